package ledger_test

import (
	"errors"
	"math"
	"strconv"
	"testing"

	"github.com/siamledger/ledger-export/internal/ledger"
)

func TestAmountFromFloat(t *testing.T) {
	tests := []struct {
		name string
		in   float64
		want string
	}{
		{"zero", 0, "0.00"},
		{"point one plus point two", 0.1 + 0.2, "0.30"},
		{"whole", 1500, "1500.00"},
		{"negative", -12.5, "-12.50"},
		{"negative under one", -0.5, "-0.50"},
		{"half rounds away from zero", 1.005, "1.01"},
		{"negative half rounds away from zero", -1.005, "-1.01"},
		{"below half rounds down", 2.004, "2.00"},
		{"large", 987654321012.34, "987654321012.34"},
		{"tiny", 1e-9, "0.00"},
		{"exponent form", 1.5e6, "1500000.00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ledger.AmountFromFloat(tt.in)
			if err != nil {
				t.Fatalf("AmountFromFloat(%v) error = %v, want nil", tt.in, err)
			}
			if got.String() != tt.want {
				t.Errorf("AmountFromFloat(%v) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestAmountFromFloatRejects(t *testing.T) {
	for _, in := range []float64{math.NaN(), math.Inf(1), math.Inf(-1), 1e16, -1e300} {
		if got, err := ledger.AmountFromFloat(in); !errors.Is(err, ledger.ErrAmount) {
			t.Errorf("AmountFromFloat(%v) = %v, %v; want ErrAmount", in, got, err)
		}
	}
}

func TestAmountFromDecimal(t *testing.T) {
	tests := []struct{ in, want string }{
		{"0.1", "0.10"},
		{"12.345", "12.35"},
		{"-12.345", "-12.35"},
		{"12.344999", "12.34"},
		{"1E+3", "1000.00"},
		{"-0", "0.00"},
		{"99999999999999.99", "99999999999999.99"},
		{"0.005", "0.01"},
	}
	for _, tt := range tests {
		got, err := ledger.AmountFromDecimal(tt.in)
		if err != nil || got.String() != tt.want {
			t.Errorf("AmountFromDecimal(%q) = %s, %v; want %s, nil", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "abc", "NaN", "Infinity", "1/3", "1e30"} {
		if got, err := ledger.AmountFromDecimal(bad); !errors.Is(err, ledger.ErrAmount) {
			t.Errorf("AmountFromDecimal(%q) = %v, %v; want ErrAmount", bad, got, err)
		}
	}
}

func TestAmountFromInt(t *testing.T) {
	if got, err := ledger.AmountFromInt(-42); err != nil || got.String() != "-42.00" {
		t.Errorf("AmountFromInt(-42) = %s, %v; want -42.00, nil", got, err)
	}
	if _, err := ledger.AmountFromInt(math.MaxInt64); !errors.Is(err, ledger.ErrAmount) {
		t.Errorf("AmountFromInt(MaxInt64) error = %v, want ErrAmount", err)
	}
}

func TestCheck(t *testing.T) {
	line := func(d, c ledger.Amount) ledger.Line { return ledger.Line{Debit: d, Credit: c} }
	tests := []struct {
		name string
		j    ledger.Journal
		want error
	}{
		{"balanced", ledger.Journal{LineCount: 2, Lines: []ledger.Line{line(150000, 0), line(0, 150000)}}, nil},
		{"no lines", ledger.Journal{LineCount: -1}, ledger.ErrNoLines},
		{"unbalanced by a satang", ledger.Journal{LineCount: -1, Lines: []ledger.Line{line(10001, 0), line(0, 10000)}}, ledger.ErrUnbalanced},
		{"missing line", ledger.Journal{LineCount: 3, Lines: []ledger.Line{line(1, 0), line(0, 1)}}, ledger.ErrMalformed},
		{"lists no lines but has two", ledger.Journal{LineCount: 0, Lines: []ledger.Line{line(1, 0), line(0, 1)}}, ledger.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.j.Check(); !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Errorf("Check() = %v, want %v", err, tt.want)
			}
		})
	}
}

// FuzzAmountFromFloatFastPath checks the integer fast path against the decimal arithmetic it replaces: for every
// double, AmountFromFloat gives what AmountFromDecimal gives for the double's shortest decimal, error or not.
func FuzzAmountFromFloatFastPath(f *testing.F) {
	for _, v := range []float64{0, math.Copysign(0, -1), 0.1 + 0.2, 1.005, -1.005, 2.004, 0.005, -0.005, 0.0049999, 1e-9, 1e15, 1e15 + 0.125,
		999999999999999.9, 1e16, 123456789.125, 5e-3, 4.9999999e-3, math.MaxFloat64, math.SmallestNonzeroFloat64, 1234.565} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v float64) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return
		}
		got, gotErr := ledger.AmountFromFloat(v)
		want, wantErr := ledger.AmountFromDecimal(strconv.FormatFloat(v, 'g', -1, 64))
		if got != want || (gotErr == nil) != (wantErr == nil) || gotErr != nil && gotErr.Error() != wantErr.Error() {
			t.Errorf("AmountFromFloat(%v) = %d, %v; the decimal path gives %d, %v", v, got, gotErr, want, wantErr)
		}
	})
}

// TestAmountFromIntBounds: whole baht are accepted up to 10^15 either way, and refused one beyond.
func TestAmountFromIntBounds(t *testing.T) {
	for baht, ok := range map[int64]bool{1e15: true, -1e15: true, 1e15 + 1: false, -1e15 - 1: false} {
		a, err := ledger.AmountFromInt(baht)
		if ok && (err != nil || int64(a) != baht*100) {
			t.Errorf("AmountFromInt(%d) = %d, %v; want %d satang", baht, int64(a), err, baht*100)
		}
		if !ok && !errors.Is(err, ledger.ErrAmount) {
			t.Errorf("AmountFromInt(%d) = %d, %v; want ErrAmount", baht, int64(a), err)
		}
	}
}
