package ledger_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/siamledger/ledger-export/internal/ledger"
)

// maxAmount is the largest amount the converters accept: 10^15 baht.
func maxAmount(t *testing.T) ledger.Amount {
	t.Helper()
	a, err := ledger.AmountFromInt(1e15)
	if err != nil {
		t.Fatalf("AmountFromInt(1e15): %v", err)
	}
	if _, err := ledger.AmountFromInt(1e15 + 1); err == nil {
		t.Fatal("AmountFromInt(1e15+1) accepted: the largest amount is no longer 10^15 baht; update this test")
	}
	return a
}

// lines returns one line per amount, on the debit side or the credit side.
func lines(debit bool, amounts ...ledger.Amount) []ledger.Line {
	out := make([]ledger.Line, len(amounts))
	for i, a := range amounts {
		if debit {
			out[i].Debit = a
		} else {
			out[i].Credit = a
		}
	}
	return out
}

func repeat(a ledger.Amount, n int) []ledger.Amount {
	out := make([]ledger.Amount, n)
	for i := range out {
		out[i] = a
	}
	return out
}

// wrapPartner returns amounts, each within ±maxAmount, whose exact sum equals the int64-wrapped sum of n lines of
// amount line: a journal with the two sides balances if the sums wrap.
func wrapPartner(t *testing.T, line ledger.Amount, n int) []ledger.Amount {
	t.Helper()
	var wrapped ledger.Amount
	for range n {
		wrapped += line // wraps on purpose: this is the sum the unchecked code computed
	}
	if exact := float64(line) * float64(n); float64(wrapped) == exact {
		t.Fatalf("%d lines of %s do not overflow int64; the test needs more lines", n, line)
	}
	bound := line
	if bound < 0 {
		bound = -bound
	}
	var out []ledger.Amount
	for rest := wrapped; rest != 0; {
		step := min(max(rest, -bound), bound)
		out = append(out, step)
		rest -= step
	}
	return out
}

// TestCheckOverflow fails a journal whose debit or credit sum leaves int64, even when the wrapped sums are equal
// (the unchecked sum passed these journals as balanced), and names the side. The 92-line rows fit and balance:
// they fail if the check rejects sums that fit.
func TestCheckOverflow(t *testing.T) {
	top := maxAmount(t)
	tests := []struct {
		name    string
		lines   []ledger.Line
		side    string // "" when the journal must pass
		wantErr error
	}{
		{
			name:    "93 max debits against credits equal to the wrapped debit sum",
			lines:   append(lines(true, repeat(top, 93)...), lines(false, wrapPartner(t, top, 93)...)...),
			side:    "debit",
			wantErr: ledger.ErrOverflow,
		},
		{
			name:    "93 max credits against debits equal to the wrapped credit sum",
			lines:   append(lines(true, wrapPartner(t, top, 93)...), lines(false, repeat(top, 93)...)...),
			side:    "credit",
			wantErr: ledger.ErrOverflow,
		},
		{
			name:    "93 negative max debits against credits equal to the wrapped sum",
			lines:   append(lines(true, repeat(-top, 93)...), lines(false, wrapPartner(t, -top, 93)...)...),
			side:    "debit",
			wantErr: ledger.ErrOverflow,
		},
		{
			name:    "both sides overflow to the same wrapped sum",
			lines:   append(lines(true, repeat(top, 93)...), lines(false, repeat(top, 93)...)...),
			side:    "debit",
			wantErr: ledger.ErrOverflow,
		},
		{
			name:  "92 max debits and 92 max credits fit and balance",
			lines: append(lines(true, repeat(top, 92)...), lines(false, repeat(top, 92)...)...),
		},
		{
			name:  "92 negative max debits and credits fit and balance",
			lines: append(lines(true, repeat(-top, 92)...), lines(false, repeat(-top, 92)...)...),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := ledger.Journal{ID: "j1", LineCount: -1, Lines: tt.lines}
			err := j.Check()
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("Check() = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Check() = %v, want %v", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.side) {
				t.Errorf("Check() = %q, want the reason to name the %s side", err, tt.side)
			}
		})
	}
}

// TestTotalsDoNotWrap adds journals whose running totals leave int64: the totals must be exact. With an int64
// accumulator they wrap and print a wrong (even negative) sum.
func TestTotalsDoNotWrap(t *testing.T) {
	top := maxAmount(t)
	tests := []struct {
		name       string
		journals   int
		debit      ledger.Amount // of each journal's one debit line
		credit     ledger.Amount // of each journal's one credit line
		wantDebit  string
		wantCredit string
	}{
		{"100 max journals", 100, top, top, "100000000000000000.00", "100000000000000000.00"},
		{"93 negative max journals", 93, -top, -top, "-93000000000000000.00", "-93000000000000000.00"},
		{"1000 journals far past int64", 1000, top, top, "1000000000000000000.00", "1000000000000000000.00"},
		{"small negative under one baht", 3, -1, 2, "-0.03", "0.06"},
		{"int64 extremes", 2, math.MaxInt64, math.MinInt64, "184467440737095516.14", "-184467440737095516.16"},
		{"nothing", 0, 1, 1, "0.00", "0.00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := ledger.Journal{Lines: []ledger.Line{{Debit: tt.debit}, {Credit: tt.credit}}}
			var totals ledger.Totals
			for range tt.journals {
				totals = totals.Add(j)
			}
			if got := totals.Debit.String(); got != tt.wantDebit {
				t.Errorf("debit total = %s, want %s", got, tt.wantDebit)
			}
			if got := totals.Credit.String(); got != tt.wantCredit {
				t.Errorf("credit total = %s, want %s", got, tt.wantCredit)
			}
		})
	}
}

// TestTotalsAddDoesNotAllocate keeps the per-journal addition, which runs for every exported journal, free of
// allocations (a math/big accumulator would allocate).
func TestTotalsAddDoesNotAllocate(t *testing.T) {
	j := ledger.Journal{Lines: []ledger.Line{{Debit: maxAmount(t)}, {Credit: maxAmount(t)}}}
	var totals ledger.Totals
	if n := testing.AllocsPerRun(100, func() { totals = totals.Add(j) }); n != 0 {
		t.Errorf("Totals.Add allocates %v times per call, want 0", n)
	}
}
