package ledger

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"time"
)

// Journal is one Medici journal entry (a row of medici_journals) with its lines (medici_transactions).
type Journal struct {
	ID       string
	Book     string
	Memo     string
	PostedAt time.Time
	Voided   bool
	// VoidReason is Medici's void_reason: why the journal was voided (Book.void sets it with voided).
	VoidReason string
	// OriginalJournal is Medici's _original_journal: on a reversal that Book.void committed, the id of the journal
	// it reverses; empty on any other journal.
	OriginalJournal string
	// LineCount is how many lines the journal itself lists in _transactions, or -1 when it lists none.
	LineCount int
	Lines     []Line
}

// Line is one Medici transaction: one side of a journal, booked to one account.
type Line struct {
	ID       string
	Account  string
	Book     string
	Memo     string
	PostedAt time.Time
	Debit    Amount
	Credit   Amount
	Voided   bool
	// VoidReason is the line's void_reason, set with voided when its journal is voided.
	VoidReason string
	// OriginalJournal is the line's _original_journal: on a reversal's line, the id of the journal it reverses.
	OriginalJournal string
	// Meta holds the configured meta columns, in configuration order; a missing value is the zero Value.
	Meta []Value
}

// Value is one cell taken from a line's meta object. Numeric values are written unaltered, as numbers; all other
// values are text and go through formula neutralising.
type Value struct {
	Text    string
	Numeric bool
}

// Problems a journal can have. Each fails its queue entry and leaves the rest of the batch to go on.
var (
	ErrNotFound   = errors.New("journal not found")
	ErrNoLines    = errors.New("journal has no lines")
	ErrUnbalanced = errors.New("journal does not balance")
	ErrMalformed  = errors.New("malformed document")
	// ErrOverflow reports a journal whose debit or credit lines add up to more than int64 satang can hold.
	ErrOverflow = errors.New("journal sum overflows")
)

// Totals adds up the debits and credits of a whole file. The totals are exact however many journals are added.
type Totals struct {
	Debit  Sum
	Credit Sum
}

// Add returns the totals with every line of j added.
func (t Totals) Add(j Journal) Totals {
	for _, l := range j.Lines {
		t.Debit = t.Debit.Add(l.Debit)
		t.Credit = t.Credit.Add(l.Credit)
	}
	return t
}

// Sum is an exact sum of amounts in satang. It is a 128-bit two's complement integer: each addend fits in 64
// bits, so leaving its range would take more than 2^64 additions, more lines than any file can hold. The zero
// value is 0. It is hand-written on math/bits because math/big would allocate on every line of the export.
type Sum struct {
	hi int64  // high 64 bits, with the sign
	lo uint64 // low 64 bits
}

// Add returns s + a.
func (s Sum) Add(a Amount) Sum {
	lo, carry := bits.Add64(s.lo, uint64(a), 0)
	// a sign-extended to 128 bits has the high word 0 or -1 (a>>63).
	return Sum{hi: s.hi + int64(a>>63) + int64(carry), lo: lo}
}

// String formats the sum as Amount.String does: two decimals, a leading minus when negative, no separators.
func (s Sum) String() string {
	if s.hi == int64(s.lo)>>63 { // fits in an int64
		return Amount(int64(s.lo)).String()
	}
	// Beyond int64 (an export of more than 92 quadrillion baht): rare and once per run, so math/big is fine.
	v := new(big.Int).Lsh(big.NewInt(s.hi), 64)
	v.Add(v, new(big.Int).SetUint64(s.lo))
	neg := v.Sign() < 0
	v.Abs(v)
	baht, satang := new(big.Int).QuoRem(v, big.NewInt(100), new(big.Int))
	sign := ""
	if neg {
		sign = "-"
	}
	return fmt.Sprintf("%s%s.%02d", sign, baht, satang.Int64())
}

// Check reports why j must not be exported, or nil: it must have lines, as many as it lists, its debits and its
// credits must each add up to a sum that fits in an Amount, and the two sums must be equal to the satang.
func (j Journal) Check() error {
	if len(j.Lines) == 0 {
		return ErrNoLines
	}
	if j.LineCount >= 0 && j.LineCount != len(j.Lines) {
		return fmt.Errorf("%w: journal lists %d lines, %d found", ErrMalformed, j.LineCount, len(j.Lines))
	}
	var debit, credit Amount
	debitOK, creditOK := true, true
	for _, l := range j.Lines {
		if debitOK {
			debit, debitOK = add(debit, l.Debit)
		}
		if creditOK {
			credit, creditOK = add(credit, l.Credit)
		}
	}
	for _, side := range []struct {
		name string
		ok   bool
	}{{"debit", debitOK}, {"credit", creditOK}} {
		if !side.ok {
			return fmt.Errorf("%w: the %s lines add up to more than ±%s", ErrOverflow, side.name, Amount(math.MaxInt64))
		}
	}
	if debit != credit {
		return fmt.Errorf("%w: debit %s, credit %s", ErrUnbalanced, debit, credit)
	}
	return nil
}

// add returns a+b, and false when the sum leaves int64 (Go's integer addition wraps silently).
func add(a, b Amount) (Amount, bool) {
	s := a + b
	return s, (s > a) == (b > 0)
}

// ErrUnwritable marks a file that the layout cannot write as configured, whatever the attempt: more lines than
// the accounting package imports from one file, say. A retry cannot fix it; a change of layout (or the data) can.
var ErrUnwritable = errors.New("the file cannot be written in this layout")

// ErrRejected marks a journal that the file's layout cannot write (for example, an account with no row in the
// account map). The export fails that journal's entry, lists it with the reason, and goes on with the rest.
var ErrRejected = errors.New("rejected by the file's layout")

// Reject returns an error saying why a layout cannot write a journal: its text is reason, and errors.Is reports
// it as ErrRejected.
func Reject(reason string) error { return rejected(reason) }

type rejected string

func (r rejected) Error() string        { return string(r) }
func (r rejected) Is(target error) bool { return target == ErrRejected }
