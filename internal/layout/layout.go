// Package layout says which columns the export file has: which fields, in which order, under which header names,
// how posted_at is written as text, whether money is a debit and a credit column or one signed amount, and which
// constant columns an accounting package's import wants. The CSV and the XLSX writers both follow a Layout.
//
// Default is the default file: the columns consumers already read, with void_reason and original_journal after
// voided (issue 19; the meta columns moved two to the right). Presets (see presets.go)
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

	// Fields read from the account map (see AccountMap); a layout using one needs a map.
	AccountCode    Field = "account_code"    // the account's code in the package (Xero's AccountCode)
	AccountName    Field = "account_name"    // the account's name in the package (QuickBooks' Account Name)
	TaxRate        Field = "tax_rate"        // the account's tax rate name
	TrackingName   Field = "tracking_name"   // the account's tracking category
	TrackingOption Field = "tracking_option" // the account's tracking option

	Narration       Field = "narration"        // the journal's memo and its id; a summary journal's own narration
	JournalRef      Field = "journal_ref"      // the posting date and the end of the journal id: 20261206-0b0c05b00001
	Name            Field = "name"             // the line's meta value named by Layout.NameField (a customer, a vendor)
	VoidReason      Field = "void_reason"      // the void reason of the line, else of its journal
	OriginalJournal Field = "original_journal" // on a reversal, the id of the journal it reverses
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

	// Preset starts a JSON layout from a preset: the keys given replace the preset's.
	Preset string `json:"preset,omitempty"`
	// AccountMap is the path of the account map's CSV file; AccountMapCSV is the map itself, as CSV text. A layout
	// with a map column needs one of them; until one is given, every journal fails with "account X has no row".
	AccountMap    string `json:"accountMap,omitempty"`
	AccountMapCSV string `json:"accountMapCSV,omitempty"`
	// AccountMapSheet names the account map kept in the export folder: a Google Sheet (its first sheet) or a CSV
	// file of that name, read at every attempt (see SheetName). It is where a layout with a map column takes its
	// map when neither AccountMap nor AccountMapCSV is given.
	AccountMapSheet string `json:"accountMapSheet,omitempty"`
	// Mode is "detail" (a row per line, the default) or "summary": one journal per posting date with one line per
	// account code, tax rate and tracking option (a daily summary journal, as a point-of-sale system posts).
	Mode string `json:"mode,omitempty"`
	// DetailFile names the detail file in a summary journal's narration; {date} is the batch date.
	DetailFile string `json:"detailFile,omitempty"`
	// NameField is the meta field whose value the name column holds (QuickBooks' Name); it must be in META_COLUMNS.
	NameField string `json:"nameField,omitempty"`
	// MaxLines is the most line rows the package imports from one file (Xero: 300); 0 means no limit. A file that
	// would hold more fails with the reason instead of being written.
	MaxLines int `json:"maxLines,omitempty"`
	// Voids is what the layout does with a voided journal: "keep" (write it, marked voided, as the default file
	// does) or "net" (an import: a voided journal and its reversal in the same file are left out together; a
	// voided journal whose reversal is not in the file is posted as it stood at the cutoff, since its reversal, in
	// a later file, reverses it; a reversal whose journal is not in the file is posted). The policy table:
	// README.md, "What each layout does with a voided journal and its reversal".
	Voids string `json:"voids,omitempty"`
	// FormulaGuard turns the CSV formula guard on or off for this layout; unset keeps CSV_FORMULA_GUARD. The import
	// presets set it off: an import does not evaluate formulas, and the apostrophe would become part of the text.
	FormulaGuard *bool `json:"formulaGuard,omitempty"`

	accounts  *AccountMap
	isDefault bool
}

// Accounts returns the layout's account map, or nil.
func (l Layout) Accounts() *AccountMap { return l.accounts }

// DefaultSheet is the account map's name in the export folder when the layout names none.
const DefaultSheet = "account-map"

// SheetName returns the name of the account map the layout reads from the export folder at every attempt, or ""
// when it needs none (no map column) or was given one (AccountMap, AccountMapCSV).
func (l Layout) SheetName() string {
	if !l.usesMap() || l.accounts != nil {
		return ""
	}
	if l.AccountMapSheet != "" {
		return l.AccountMapSheet
	}
	return DefaultSheet
}

// WithAccounts returns a copy of the layout that writes with the account map m (read from the export folder for
// one attempt).
func (l Layout) WithAccounts(m *AccountMap) Layout {
	l.accounts = m
	return l
}

// Summary reports whether the layout writes daily summary journals.
func (l Layout) Summary() bool { return l.Mode == "summary" }

// NetsVoids reports whether voided journals and their reversals are left out together (an import layout).
func (l Layout) NetsVoids() bool { return l.Voids == "net" }

// GuardOff reports whether the layout turns the CSV formula guard off.
func (l Layout) GuardOff() bool { return l.FormulaGuard != nil && !*l.FormulaGuard }

// NeedsImporter reports whether the rows go through an Importer (a map, summary journals, netted voids or a line
// limit) before a writer writes them.
func (l Layout) NeedsImporter() bool {
	return !l.isDefault && (l.usesMap() || l.Summary() || l.NetsVoids() || l.MaxLines > 0)
}

// usesMap reports whether a column reads the account map.
func (l Layout) usesMap() bool {
	for _, c := range l.Columns {
		switch c.Field {
		case AccountCode, AccountName, TaxRate, TrackingName, TrackingOption:
			return true
		}
	}
	return false
}

// IsDefault reports whether the layout is Default's: the CSV writer keeps its fixed fast path for it.
func (l Layout) IsDefault() bool { return l.isDefault }

// defaultFields are the default file's columns, in order; meta columns follow them. void_reason and
// original_journal were added after voided in issue 19, so that the file shows why a journal is voided and which
// journal a reversal reverses.
var defaultFields = []Field{BatchDate, EntryID, JournalID, LineID, PostedAt, Book, Account, Debit, Credit, Memo, Voided,
	VoidReason, OriginalJournal}

// Default is the default layout: the fixed columns under their field names, then "meta.<field>" for each
// configured meta field, posted_at as RFC 3339, and 0.00 written out. It keeps voided journals and their
// reversals and marks them (voided, void_reason, original_journal).
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
	// Map is the line's account map row, set by the writer from Layout.Accounts.
	Map MapRow
	// Location is the zone of the posting date in journal_ref; nil means UTC.
	Location *time.Location
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
	case AccountCode:
		return r.Map.Code
	case AccountName:
		return r.Map.Name
	case TaxRate:
		return r.Map.TaxRate
	case TrackingName:
		return r.Map.TrackingName
	case TrackingOption:
		return r.Map.TrackingOption
	case Narration:
		if r.Journal.ID == "" {
			return r.Journal.Memo
		}
		if r.Journal.Memo == "" {
			return r.Journal.ID
		}
		return r.Journal.Memo + " (" + r.Journal.ID + ")"
	case JournalRef:
		return journalRef(r)
	case Name:
		return c.Meta(r).Text
	case VoidReason:
		if r.Line.VoidReason != "" {
			return r.Line.VoidReason
		}
		return r.Journal.VoidReason
	case OriginalJournal:
		if r.Line.OriginalJournal != "" {
			return r.Line.OriginalJournal
		}
		return r.Journal.OriginalJournal
	}
	return ""
}

// journalRef is the journal's reference in 21 characters (QuickBooks keeps at most 21 of a document number): the
// posting date in the zone and the last 12 characters of the journal id, 20261206-0b0c05b00001. The date is the
// one the Journal Date column shows, and the id's end finds the journal in Medici.
func journalRef(r Row) string {
	loc := r.Location
	if loc == nil {
		loc = time.UTC
	}
	at := r.Journal.PostedAt
	if at.IsZero() {
		at = r.Line.PostedAt
	}
	id := r.Journal.ID
	if len(id) > 12 {
		id = id[len(id)-12:]
	}
	return at.In(loc).Format("20060102") + "-" + id
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
