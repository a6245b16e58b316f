package ledger_test

import (
	"errors"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/siamledger/ledger-export/internal/ledger"
)

// amountShape is the only form Amount.String may take: what the CSV writes as a number.
var amountShape = regexp.MustCompile(`^-?(0|[1-9][0-9]*)\.[0-9]{2}$`)

// plainDecimal is the decimal form the oracle below can round by hand.
var plainDecimal = regexp.MustCompile(`^(-?)([0-9]+)(?:\.([0-9]+))?$`)

// roundSatang is an oracle independent of the code under test: it rounds a plain decimal string half away from
// zero to hundredths with integer digit arithmetic only. ok is false for strings it does not handle.
func roundSatang(s string) (satang *big.Int, ok bool) {
	m := plainDecimal.FindStringSubmatch(s)
	if m == nil {
		return nil, false
	}
	frac := m[3] + "000"
	n, _ := new(big.Int).SetString(m[2]+frac[:2], 10)
	if frac[2] >= '5' {
		n.Add(n, big.NewInt(1))
	}
	if m[1] == "-" {
		n.Neg(n)
	}
	return n, true
}

const maxSatang = 100_000_000_000_000_000 // ledger's bound: 10^15 baht

// checkAmount checks what every valid amount must satisfy: its bound, its printed shape, and that the printed form
// parses back to the same amount.
func checkAmount(t *testing.T, in string, a ledger.Amount) {
	t.Helper()
	if a > maxSatang || a < -maxSatang {
		t.Fatalf("%s gave %d satang, beyond the bound of %d", in, int64(a), int64(maxSatang))
	}
	s := a.String()
	if !amountShape.MatchString(s) {
		t.Fatalf("%s gave the amount %q, not -?digits.dd", in, s)
	}
	back, err := ledger.AmountFromDecimal(s)
	if err != nil || back != a {
		t.Fatalf("AmountFromDecimal(%q) = %d, %v; want %d, nil (from %s)", s, int64(back), err, int64(a), in)
	}
}

func FuzzAmountFromDecimal(f *testing.F) {
	for _, s := range []string{"0.1", "12.345", "-12.345", "1E+3", "-0", "0.005", "-0.005", "99999999999999.99",
		"1e30", "NaN", "1/3", "", " 7 ", "0x10", "1_000", "+5", ".5", "5.", "-1E-7", "1000000000000000.004999",
		"1000000000000000", "-1000000000000000.00", "1000000000000000.005", "-1000000000000000.01", "1000000000000001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ledger.AmountFromDecimal(s)
		if err != nil {
			if !errors.Is(err, ledger.ErrAmount) {
				t.Fatalf("AmountFromDecimal(%q) error = %v, want ErrAmount", s, err)
			}
			// A plain decimal is refused only beyond the documented bound of 10^15 baht.
			if want, ok := roundSatang(strings.TrimSpace(s)); ok && want.CmpAbs(big.NewInt(maxSatang)) <= 0 {
				t.Fatalf("AmountFromDecimal(%q) = %v, want %s satang: within 10^15 baht", s, err, want)
			}
			return
		}
		checkAmount(t, strconv.Quote(s), a)
		if want, ok := roundSatang(strings.TrimSpace(s)); ok && want.Cmp(big.NewInt(int64(a))) != 0 {
			t.Fatalf("AmountFromDecimal(%q) = %d satang, want %s", s, int64(a), want)
		}
	})
}

func FuzzAmountFromFloat(f *testing.F) {
	for _, v := range []float64{0, 0.1 + 0.2, 1.005, -1.005, 2.004, 987654321012.34, 1e-9, 1.5e6, 1e15, 1e16,
		math.MaxFloat64, math.SmallestNonzeroFloat64, math.Inf(1), math.NaN(), math.Copysign(0, -1),
		-1e15, math.Nextafter(1e15, 0), math.Nextafter(1e15, 2e15), 9.999999999999999e14, 1e14,
		// 2^64 satang: a fast path that multiplied without its overflow check would wrap it to 3.84 baht.
		1.8446744073709552e17, -1.8446744073709552e17} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v float64) {
		a, err := ledger.AmountFromFloat(v)
		if err != nil {
			if !errors.Is(err, ledger.ErrAmount) {
				t.Fatalf("AmountFromFloat(%v) error = %v, want ErrAmount", v, err)
			}
			// Refused only when not a number or beyond the documented bound of 10^15 baht, after rounding.
			if want, ok := roundSatang(strconv.FormatFloat(v, 'f', -1, 64)); !math.IsNaN(v) && !math.IsInf(v, 0) &&
				ok && want.CmpAbs(big.NewInt(maxSatang)) <= 0 {
				t.Fatalf("AmountFromFloat(%v) = %v, want %s satang: within 10^15 baht", v, err, want)
			}
			return
		}
		in := strconv.FormatFloat(v, 'g', -1, 64)
		checkAmount(t, "AmountFromFloat("+in+")", a)
		// The shortest decimal that reads back as v, in plain notation, rounded by hand.
		want, ok := roundSatang(strconv.FormatFloat(v, 'f', -1, 64))
		if !ok || want.Cmp(big.NewInt(int64(a))) != 0 {
			t.Fatalf("AmountFromFloat(%s) = %d satang, want %v", in, int64(a), want)
		}
	})
}

func FuzzAmountString(f *testing.F) {
	for _, n := range []int64{0, 1, -1, 99, -100, 150000, maxSatang, -maxSatang, math.MaxInt64, math.MinInt64} {
		f.Add(n)
	}
	f.Fuzz(func(t *testing.T, n int64) {
		a := ledger.Amount(n)
		s := a.String()
		if !amountShape.MatchString(s) {
			t.Fatalf("Amount(%d).String() = %q, not -?digits.dd", n, s)
		}
		if r, ok := new(big.Rat).SetString(s); !ok || r.Cmp(big.NewRat(n, 100)) != 0 {
			t.Fatalf("Amount(%d).String() = %q, want the value %d/100", n, s, n)
		}
		if b := a.AppendText([]byte("x")); string(b) != "x"+s {
			t.Fatalf("Amount(%d).AppendText(x) = %q, want %q", n, b, "x"+s)
		}
		if n <= maxSatang && n >= -maxSatang {
			checkAmount(t, "Amount("+strconv.FormatInt(n, 10)+")", a)
		}
	})
}
