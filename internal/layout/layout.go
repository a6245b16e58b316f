// Package layout says which columns the export file has: which fields, in which order, under which header names,
// how posted_at is written as text, whether money is a debit and a credit column or one signed amount, and which
// constant columns an accounting package's import wants. The CSV and the XLSX writers both follow a Layout.
//
// Default is today's file: its columns stay byte for byte what consumers already read. Presets (see presets.go)
// are the journal import templates of accounting packages; Parse reads the LAYOUT variable.
package layout

import (
	"strconv"
	"time"

	"github.com/siamledger/ledger-export/internal/ledger"
)

// Field names what a column holds. A meta column is "meta." followed by the field's name.
type Field string

// The fields a column can hold.
const (
	BatchDate Field = "batch_date" // the export's batch date, YYYY-MM-DD
	EntryID   Field = "entry_id"   // the queue entry's id
	JournalID Field = "journal_id" // the journal's id: the journal reference that groups a journal's lines
	LineID    Field = "line_id"    // the line's (Medici transaction's) id
	PostedAt  Field = "posted_at"  // when the line was posted, in the configured zone
	Book      Field = "book"       // the line's book, else the journal's
	Account   Field = "account"    // the account booked
	Debit     Field = "debit"      // the debit, 0.00 when the line is a credit
	Credit    Field = "credit"     // the credit, 0.00 when the line is a debit
	Amount    Field = "amount"     // one signed amount: debit minus credit (a debit is positive, a credit negative)
	Memo      Field = "memo"       // the line's memo, else the journal's
	Voided    Field = "voided"     // whether the line or its journal is voided: true or false
	Const     Field = "const"      // the column's constant Value on every row
)

// MetaPrefix starts the field of a meta column: "meta.invoice" is the line's meta.invoice value.
const MetaPrefix = "meta."

// Kind is how a writer renders a column.
type Kind int

// The kinds of column.
const (
	KindText  Kind = iota // text: ids, book, account, memo, the batch date
	KindMoney             // an amount of money: debit, credit or signed amount
	KindTime              // a date-time: posted_at
	KindBool              // a boolean: voided
	KindMeta              // a meta value: a number when the mapper says it is one, else text
	KindConst             // the same text on every row
)

// Column is one column of the file.
type Column struct {
	Header string `json:"header"`
	Field  Field  `json:"field"`
	Value  string `json:"value,omitempty"` // the text of a const column

	kind Kind
	meta int // a meta column's index in the configured meta fields
}

// Kind reports how the column is rendered.
func (c Column) Kind() Kind { return c.kind }

// Layout is the file's columns and how some of them are written.
type Layout struct {
	// Name is "default", a preset's name or "custom"; it is for messages and the README.
	Name    string   `json:"-"`
	Columns []Column `json:"columns"`
	// DateFormat is how posted_at is written as text (a Go time layout such as 02/01/2006); empty means RFC 3339
	// with the zone's offset. In an XLSX file posted_at is a date-time cell whose number format follows it.
	DateFormat string `json:"dateFormat,omitempty"`
	// BlankZero writes a money cell of zero as an empty cell, as imports that want a line's debit or its credit,
	// never both, expect.
	BlankZero bool `json:"blankZero,omitempty"`

	isDefault bool
}

// IsDefault reports whether the layout is Default's: the CSV writer keeps its fixed fast path for it.
func (l Layout) IsDefault() bool { return l.isDefault }

// defaultFields are today's columns, in order; meta columns follow them.
var defaultFields = []Field{BatchDate, EntryID, JournalID, LineID, PostedAt, Book, Account, Debit, Credit, Memo, Voided}

// Default is today's layout: the fixed columns under their field names, then "meta.<field>" for each configured
// meta field, posted_at as RFC 3339, and 0.00 written out.
func Default(meta []string) Layout {
	l := Layout{Name: "default", isDefault: true}
	for _, f := range defaultFields {
		k, _ := kindOf(f)
		l.Columns = append(l.Columns, Column{Header: string(f), Field: f, kind: k})
	}
	for i, m := range meta {
		l.Columns = append(l.Columns, Column{Header: MetaPrefix + m, Field: Field(MetaPrefix + m), kind: KindMeta, meta: i})
	}
	return l
}

// Header returns the header row.
func (l Layout) Header() []string {
	h := make([]string, len(l.Columns))
	for i, c := range l.Columns {
		h[i] = c.Header
	}
	return h
}

// Row is one line of a journal, as a row of the file.
type Row struct {
	BatchDate string
	EntryID   string
	Journal   *ledger.Journal
	Line      *ledger.Line
	// JournalSeq is the journal's position among the date's exported journals, from 1 (see JournalNo).
	JournalSeq int64
}

// Text returns a text column's cell: the field's text, or the constant. Money, time and boolean columns have no
// text here; the writers render them.
func (c Column) Text(r Row) string {
	switch c.Field {
	case BatchDate:
		return r.BatchDate
	case EntryID:
		return r.EntryID
	case JournalID:
		return r.Journal.ID
	case LineID:
		return r.Line.ID
	case Book:
		if r.Line.Book != "" {
			return r.Line.Book
		}
		return r.Journal.Book
	case Account:
		return r.Line.Account
	case Memo:
		if r.Line.Memo != "" {
			return r.Line.Memo
		}
		return r.Journal.Memo
	case Const:
		return c.Value
	case JournalNo:
		return journalNo(r.BatchDate, r.JournalSeq)
	}
	return ""
}

// journalNo formats a JournalNo: 2026-11-28 and 7 give 20261128-000007.
func journalNo(date string, seq int64) string {
	b := make([]byte, 0, 16)
	for i := 0; i < len(date); i++ {
		if date[i] != '-' {
			b = append(b, date[i])
		}
	}
	b = append(b, '-')
	n := strconv.AppendInt(nil, seq, 10)
	for i := len(n); i < 6; i++ {
		b = append(b, '0')
	}
	return string(append(b, n...))
}

// Money returns a money column's amount.
func (c Column) Money(r Row) ledger.Amount {
	switch c.Field {
	case Debit:
		return r.Line.Debit
	case Credit:
		return r.Line.Credit
	}
	return r.Line.Debit - r.Line.Credit
}

// Time returns posted_at.
func (c Column) Time(r Row) time.Time { return r.Line.PostedAt }

// Bool returns voided.
func (c Column) Bool(r Row) bool { return r.Line.Voided || r.Journal.Voided }

// Meta returns a meta column's value.
func (c Column) Meta(r Row) ledger.Value {
	if c.meta < len(r.Line.Meta) {
		return r.Line.Meta[c.meta]
	}
	return ledger.Value{}
}
