package ledger

import (
	"errors"
	"fmt"
	"time"
)

// Journal is one Medici journal entry (a row of medici_journals) with its lines (medici_transactions).
type Journal struct {
	ID       string
	Book     string
	Memo     string
	PostedAt time.Time
	Voided   bool
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
)

// Totals adds up debits and credits.
type Totals struct {
	Debit  Amount
	Credit Amount
}

// Add returns the totals with every line of j added.
func (t Totals) Add(j Journal) Totals {
	for _, l := range j.Lines {
		t.Debit += l.Debit
		t.Credit += l.Credit
	}
	return t
}

// Check reports why j must not be exported, or nil: it must have lines, as many as it lists, and its debits must
// equal its credits to the satang.
func (j Journal) Check() error {
	if len(j.Lines) == 0 {
		return ErrNoLines
	}
	if j.LineCount >= 0 && j.LineCount != len(j.Lines) {
		return fmt.Errorf("%w: journal lists %d lines, %d found", ErrMalformed, j.LineCount, len(j.Lines))
	}
	t := Totals{}.Add(j)
	if t.Debit != t.Credit {
		return fmt.Errorf("%w: debit %s, credit %s", ErrUnbalanced, t.Debit, t.Credit)
	}
	return nil
}
