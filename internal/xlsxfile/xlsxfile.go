// Package xlsxfile writes ledger journals as an Excel workbook (Office Open XML, .xlsx), streamed: rows go into a
// zip archive on the given io.Writer as they come, so memory stays flat however many rows there are, and nothing
// is ever written to disk.
//
// Cells are typed, so a spreadsheet shows every value as written: text as inline strings (never a formula, so no
// guard prefix is needed; "0012", "(100)", "1e5" and "12/11/2026" stay text, and the cells have the text number
// format @ so that editing them keeps them text), money as numbers in satang-exact decimal with the #,##0.00
// format, batch_date as a date, posted_at as a date-time in the configured zone, voided as a boolean (shown TRUE or
// FALSE on every row), and numeric meta values as
// numbers. The header row is bold and frozen, has an autofilter and fixed column widths.
//
// A sheet holds at most 1,048,576 rows (Excel's limit); past it the rows continue on the next sheet, "Entries (2)",
// with the header repeated. The last sheet, "Summary", holds the date's figures, the totals per account (the
// day's movement, voided amounts apart) and its failed entries with what was read of their journals and the
// reasons, in Thai or English (Options.Language).
//
// The bytes are a pure function of the calls: the archive's timestamps are fixed, the compression level is fixed,
// and the summary holds nothing but what the calls said (no run time, no attempt). See README.md for why this is
// hand-written rather than excelize's StreamWriter.
package xlsxfile

import (
	"archive/zip"
	"bufio"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/klauspost/compress/flate"

	"github.com/siamledger/ledger-export/internal/csvfile"
	"github.com/siamledger/ledger-export/internal/layout"
	"github.com/siamledger/ledger-export/internal/ledger"
)

// MaxRows is the most rows a sheet holds, header included: Excel's limit.
const MaxRows = 1048576

// MaxListedFailures is how many failed entries the summary sheet lists; it counts them all.
const MaxListedFailures = 10000

// Options shape the workbook.
type Options struct {
	Layout   layout.Layout  // the columns; the zero Layout means layout.Default(nil)
	Location *time.Location // the zone of posted_at; nil means UTC
	Date     string         // the batch date, shown on the summary sheet
	// SheetRows is the most rows a sheet holds, header included; 0 means MaxRows. Tests set it small.
	SheetRows int
	// Language is the Summary sheet's language: "th" (Thai) or "en" (English); empty or any other value means
	// English. The entry sheets' headers stay the layout's, whatever the language: an import reads them.
	Language string
}

// Style indexes in styles.xml's cellXfs.
const (
	styleDefault = iota
	styleHeader  // bold
	styleMoney   // #,##0.00
	styleTime    // the layout's date-time format
	styleText    // @: text stays text when edited
	styleTitle   // bold, larger
	styleDate    // yyyy-mm-dd: batch_date
	styleBool    // "TRUE";"TRUE";"FALSE": a boolean shows TRUE or FALSE even where a reader takes it as 1 or 0
)

// modified is every archive member's time: fixed, so the same rows make the same bytes.
var modified = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Writer writes one workbook. Call Close to finish it; the first error sticks and is returned by every later call.
type Writer struct {
	zw     *zip.Writer
	bw     *bufio.Writer // the open sheet's member, buffered
	opts   Options
	cols   []string // column letters
	styles []byte   // per column: the s attribute of its cells

	sheets    []sheet // the entry sheets so far
	sheetRow  int     // rows in the open sheet, header included
	row       []byte
	rows      int64
	journals  int64
	totals    ledger.Totals
	truncated int64
	failures  []failure
	failed    int64
	accounts  accountTotals // the day's movement per account, for the summary
	day       []byte        // the last batch date written as a date cell: its serial number
	dayOf     string        // the batch date day holds the serial of; "" when it is not a date
	when      []byte        // the last posted_at written, as a serial number
	last      []cached      // per column, the last text cell written
	whenAt    time.Time
	closed    bool
	err       error
	imp       *layout.Importer // an import layout's importer, or nil
}

// cached is the last text written in a column and the cell it became, after its reference.
type cached struct {
	in  string
	out []byte
	cut bool
	set bool
}

type sheet struct {
	name string
	rows int // header included
}

// failure is a failed entry as the summary lists it: its ids and reason, and what could be read of its journal.
type failure struct {
	entryID, journalID, reason string
	at                         time.Time // posted_at; zero when it could not be read
	memo, accounts             string
	debit, credit              ledger.Sum
	lines                      bool // some line was read: debit and credit are its sums
}

// NewWriter starts the workbook on w: the first entry sheet and its header row.
func NewWriter(w io.Writer, opts Options) *Writer {
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	if opts.Layout.Columns == nil {
		opts.Layout = layout.Default(nil)
	}
	if opts.SheetRows <= 1 || opts.SheetRows > MaxRows {
		opts.SheetRows = MaxRows
	}
	xw := &Writer{zw: zip.NewWriter(w), opts: opts, row: make([]byte, 0, 4096), accounts: newAccountTotals()}
	// A fixed level, so the same rows always compress to the same bytes. klauspost/compress's deflate (already in
	// the module graph) at BestSpeed is about twice as fast as compress/flate's, which spent most of the
	// workbook's encoding time (README.md).
	xw.zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.BestSpeed)
	})
	for i, c := range opts.Layout.Columns {
		xw.cols = append(xw.cols, columnName(i))
		var s byte = styleText
		switch c.Kind() {
		case layout.KindMoney:
			s = styleMoney
		case layout.KindTime:
			s = styleTime
		case layout.KindBool:
			s = styleBool
		case layout.KindMeta:
			s = styleDefault
		}
		if c.Field == layout.BatchDate {
			s = styleDate
		}
		xw.styles = append(xw.styles, s)
	}
	if opts.Layout.NeedsImporter() {
		xw.imp = layout.NewImporter(&xw.opts.Layout, opts.Location, xw.writeRows)
	}
	xw.startSheet()
	return xw
}

// columnName returns the letters of the i-th column (from 0): A, B, ..., Z, AA, ...
func columnName(i int) string {
	name := ""
	for i++; i > 0; i = (i - 1) / 26 {
		name = string(rune('A'+(i-1)%26)) + name
	}
	return name
}

// sheetName is the name of the n-th entry sheet (from 1).
func sheetName(n int) string {
	if n == 1 {
		return "Entries"
	}
	return "Entries (" + strconv.Itoa(n) + ")"
}

const sheetHead = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
	`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">`

// startSheet opens the next entry sheet: its view with the header row frozen, its column widths and its header.
func (w *Writer) startSheet() {
	n := len(w.sheets) + 1
	w.sheets = append(w.sheets, sheet{name: sheetName(n)})
	if !w.member(fmt.Sprintf("xl/worksheets/sheet%d.xml", n)) {
		return
	}
	b := append(w.row[:0], sheetHead...)
	b = append(b, `<sheetViews><sheetView workbookViewId="0"`...)
	if n == 1 {
		b = append(b, ` tabSelected="1"`...)
	}
	b = append(b, `><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/><cols>`...)
	for i, c := range w.opts.Layout.Columns {
		b = fmt.Appendf(b, `<col min="%d" max="%d" width="%d" customWidth="1"/>`, i+1, i+1, width(c))
	}
	b = append(b, `</cols><sheetData>`...)
	w.row = b
	w.write(b)
	w.sheetRow = 0
	w.header()
}

// width is a column's width in characters: enough for its usual content and for its header with the filter button.
func width(c layout.Column) int {
	w := 14
	switch c.Field {
	case layout.BatchDate, layout.Voided, layout.Book:
		w = 11
	case layout.EntryID, layout.JournalID, layout.LineID:
		w = 26
	case layout.PostedAt:
		w = 20
	case layout.Account:
		w = 28
	case layout.Debit, layout.Credit, layout.Amount:
		w = 18
	case layout.Memo:
		w = 40
	case layout.JournalNo:
		w = 17
	}
	return max(w, min(utf8.RuneCountInString(c.Header)+4, 60))
}

// header writes the header row.
func (w *Writer) header() {
	w.sheetRow++
	b := w.startRow(w.row[:0])
	for i, h := range w.opts.Layout.Header() {
		b = w.text(b, i, h, styleHeader)
	}
	b = append(b, `</row>`...)
	w.row = b
	w.write(b)
}

// startRow appends the open tag of the sheet's next row.
func (w *Writer) startRow(b []byte) []byte {
	b = append(b, `<row r="`...)
	b = strconv.AppendInt(b, int64(w.sheetRow), 10)
	return append(b, `">`...)
}

// ref appends a cell's open tag up to its attributes: <c r="B7".
func (w *Writer) ref(b []byte, col int) []byte {
	b = append(b, `<c r="`...)
	b = append(b, w.cols[col]...)
	b = strconv.AppendInt(b, int64(w.sheetRow), 10)
	return append(b, '"')
}

// WriteJournal writes one row per line of j. batchDate and entryID identify the queue entry that asked for it.
func (w *Writer) WriteJournal(batchDate, entryID string, j ledger.Journal) error {
	if w.err != nil {
		return w.err
	}
	if w.imp != nil {
		if err := w.imp.WriteJournal(batchDate, entryID, j); err != nil {
			if !errors.Is(err, ledger.ErrRejected) {
				w.err = err
			}
			return err
		}
	} else if err := w.writeRows(batchDate, entryID, j, nil); err != nil {
		return err
	}
	// The entry's own journal, whatever the layout made of it (a summary journal's line, a voided pair left out).
	w.accounts.add(j)
	return nil
}

// writeRows writes one row per line of j; maps holds each line's account map row, or is nil.
func (w *Writer) writeRows(batchDate, entryID string, j ledger.Journal, maps []layout.MapRow) error {
	w.journals++
	for i := range j.Lines {
		if w.sheetRow == w.opts.SheetRows {
			w.endSheet()
			w.startSheet()
			if w.err != nil {
				return w.err
			}
		}
		w.sheetRow++
		r := layout.Row{BatchDate: batchDate, EntryID: entryID, Journal: &j, Line: &j.Lines[i], JournalSeq: w.journals, Location: w.opts.Location}
		if maps != nil {
			r.Map = maps[i]
		}
		b := w.startRow(w.row[:0])
		for k, c := range w.opts.Layout.Columns {
			switch c.Kind() {
			case layout.KindText, layout.KindConst:
				if c.Field == layout.BatchDate {
					b = w.date(b, k, batchDate)
					continue
				}
				b = w.column(b, k, c.Text(r))
			case layout.KindMoney:
				a := c.Money(r)
				if a == 0 && w.opts.Layout.BlankZero {
					continue
				}
				b = append(w.ref(b, k), ` s="2"><v>`...)
				b = append(a.AppendText(b), `</v></c>`...)
			case layout.KindTime:
				b = append(w.ref(b, k), ` s="3"><v>`...)
				b = append(w.serial(b, c.Time(r)), `</v></c>`...)
			case layout.KindBool:
				// Every row has the cell, TRUE or FALSE: a line without the field is false, never an empty cell.
				b = append(w.ref(b, k), ` s="7" t="b"><v>`...)
				if c.Bool(r) {
					b = append(b, '1')
				} else {
					b = append(b, '0')
				}
				b = append(b, `</v></c>`...)
			case layout.KindMeta:
				v := c.Meta(r)
				if v.Numeric && csvfile.IsNumber(v.Text) {
					b = append(w.ref(b, k), `><v>`...)
					b = append(append(b, v.Text...), `</v></c>`...)
				} else {
					b = w.column(b, k, v.Text)
				}
			}
		}
		b = append(b, `</row>`...)
		w.row = b
		if !w.write(b) {
			return w.err
		}
		w.rows++
	}
	w.totals = w.totals.Add(j)
	return nil
}

// excelEpoch is day 0 of Excel's 1900 date system as it counts dates after February 1900.
var excelEpoch = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)

// serial appends t as an Excel date-time serial number: days since 1899-12-30 of t's wall clock in the configured
// zone, and the time of day as a fraction. Lines of a journal share their time, so the last one is kept.
func (w *Writer) serial(b []byte, t time.Time) []byte {
	if w.when == nil || !t.Equal(w.whenAt) {
		l := t.In(w.opts.Location)
		day := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, time.UTC)
		// In seconds, not a time.Duration, which saturates past ±292 years (a year-1 or year-2400 typo in the
		// ledger would otherwise show as another date).
		days := (day.Unix() - excelEpoch.Unix()) / 86400
		ns := int64(l.Hour())*int64(time.Hour) + int64(l.Minute())*int64(time.Minute) + int64(l.Second())*int64(time.Second) + int64(l.Nanosecond())
		w.when = strconv.AppendFloat(w.when[:0], float64(days)+float64(ns)/float64(24*time.Hour), 'f', -1, 64)
		w.whenAt = t
	}
	return append(b, w.when...)
}

// date appends the batch date (YYYY-MM-DD) as a date cell in column col: its Excel serial, a whole number of days
// since 1899-12-30, exact, with the yyyy-mm-dd format. A text that is not such a date is written as text.
func (w *Writer) date(b []byte, col int, s string) []byte {
	if s != w.dayOf || w.day == nil {
		w.dayOf, w.day = s, w.day[:0]
		d, err := time.Parse(time.DateOnly, s)
		if err != nil || len(s) != len(time.DateOnly) {
			w.dayOf = ""
		} else {
			w.day = strconv.AppendInt(w.day, (d.Unix()-excelEpoch.Unix())/86400, 10)
		}
	}
	if w.dayOf == "" {
		return w.text(b, col, s, styleText)
	}
	b = append(w.ref(b, col), ` s="6"><v>`...)
	return append(append(b, w.day...), `</v></c>`...)
}

// column appends the text cell s in data column col. Cells repeat down a journal and the file (the batch date, the
// entry and journal ids, the book, the memo, most meta), so the column's last cell is kept and written again as it
// was: cleaning, escaping and the cap are done once per change.
func (w *Writer) column(b []byte, col int, s string) []byte {
	if w.last == nil {
		w.last = make([]cached, len(w.cols))
	}
	c := &w.last[col]
	if !c.set || c.in != s {
		start, cut := len(b), w.truncated
		b = w.text(b, col, s, styleText)
		c.in, c.cut, c.set = s, w.truncated != cut, true
		c.out = c.out[:0]
		if len(b) > start { // the cell after its reference, <c r="B7"
			c.out = append(c.out, b[start+len(`<c r="`)+len(w.cols[col])+digits(w.sheetRow)+1:]...)
		}
		return b
	}
	if c.cut {
		w.truncated++
	}
	if len(c.out) == 0 {
		return b
	}
	return append(w.ref(b, col), c.out...)
}

// digits counts the decimal digits of n ≥ 0.
func digits(n int) int {
	d := 1
	for ; n >= 10; n /= 10 {
		d++
	}
	return d
}

// text appends a text cell: cleaned and capped as csvfile.Fit does, written as an inline string. An empty text
// is no cell at all.
func (w *Writer) text(b []byte, col int, s string, style byte) []byte {
	s, cut := csvfile.Fit(s)
	if cut {
		w.truncated++
	}
	if s == "" {
		return b
	}
	b = w.ref(b, col)
	if style != styleDefault {
		b = append(b, ` s="`...)
		b = append(b, '0'+style)
		b = append(b, '"')
	}
	b = append(b, ` t="inlineStr"><is><t`...)
	if preserve(s) {
		b = append(b, ` xml:space="preserve"`...)
	}
	b = append(b, '>')
	b = appendEscaped(b, s)
	return append(b, `</t></is></c>`...)
}

// preserve reports whether a text needs xml:space="preserve" to keep its white space: it starts or ends with
// white space, or holds a tab or a line break.
func preserve(s string) bool {
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' }
	return isSpace(s[0]) || isSpace(s[len(s)-1]) || strings.ContainsAny(s, "\t\n")
}

// appendEscaped appends s as XML character data. It also escapes the underscore of an _xHHHH_ sequence as
// _x005F_, since Excel reads _xHHHH_ in a string as the character U+HHHH (ECMA-376 Part 1, 22.4.2.4
// ST_Xstring): without it the text _x0041_ would show as A.
func appendEscaped(b []byte, s string) []byte {
	last := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '_':
			if isEscapeSequence(s[i:]) {
				esc = "_x005F_"
			}
		}
		if esc != "" {
			b = append(append(b, s[last:i]...), esc...)
			last = i + 1
		}
	}
	return append(b, s[last:]...)
}

// isEscapeSequence reports whether s starts with _xHHHH_.
func isEscapeSequence(s string) bool {
	if len(s) < 7 || s[1] != 'x' && s[1] != 'X' || s[6] != '_' {
		return false
	}
	for _, c := range []byte(s[2:6]) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// Failed records an entry that is not exported, for the summary sheet: its ids, the reason, and what j holds of
// its journal (posted_at, memo, accounts, debit and credit sums; blank where nothing was read).
func (w *Writer) Failed(entryID, journalID, reason string, j ledger.Journal) {
	w.failed++
	if len(w.failures) >= MaxListedFailures {
		return
	}
	f := failure{entryID: entryID, journalID: journalID, reason: reason, at: j.PostedAt, memo: j.Memo}
	var accounts []string
	for _, l := range j.Lines {
		if f.at.IsZero() {
			f.at = l.PostedAt
		}
		if f.memo == "" {
			f.memo = l.Memo
		}
		if l.Account != "" && !slices.Contains(accounts, l.Account) {
			accounts = append(accounts, l.Account)
		}
		f.debit, f.credit, f.lines = f.debit.Add(l.Debit), f.credit.Add(l.Credit), true
	}
	// Up to 10,000 failures are kept until the summary: a memo or an account list is kept to maxListed runes.
	f.memo, f.accounts = shorten(f.memo), shorten(strings.Join(accounts, ", "))
	w.failures = append(w.failures, f)
}

// maxListed is the most runes of a failed entry's memo or account list the summary shows.
const maxListed = 500

// shorten cuts s to maxListed runes, marking the cut with an ellipsis.
func shorten(s string) string {
	if utf8.RuneCountInString(s) <= maxListed {
		return s
	}
	return string([]rune(s)[:maxListed-1]) + "…"
}

// Rows reports how many line rows were written, headers not counted.
func (w *Writer) Rows() int64 { return w.rows }

// Truncated reports how many text cells were cut to csvfile.MaxCell.
func (w *Writer) Truncated() int64 { return w.truncated }

// endSheet closes the open entry sheet: the end of its rows and the autofilter over the header and every row.
func (w *Writer) endSheet() {
	s := &w.sheets[len(w.sheets)-1]
	s.rows = w.sheetRow
	w.write(fmt.Appendf(w.row[:0], `</sheetData><autoFilter ref="%s"/></worksheet>`, w.filterRef(*s, false)))
}

// filterRef is the range of a sheet's autofilter: A1 to the last column of the last row. With abs it is the
// absolute, sheet-qualified form of the _xlnm._FilterDatabase name Excel keeps for every autofilter.
func (w *Writer) filterRef(s sheet, abs bool) string {
	last := columnName(len(w.opts.Layout.Columns) - 1)
	if abs {
		return fmt.Sprintf("'%s'!$A$1:$%s$%d", s.name, last, s.rows)
	}
	return fmt.Sprintf("A1:%s%d", last, s.rows)
}

// Close writes the summary sheet and the workbook's parts, and finishes the archive.
func (w *Writer) Close() error {
	if w.closed || w.err != nil {
		return w.err
	}
	w.closed = true
	if w.imp != nil {
		if err := w.imp.Close(); err != nil {
			w.err = fmt.Errorf("%s: %w", w.opts.Layout.Name, err)
			return w.err
		}
	}
	w.endSheet()
	w.summary()
	w.parts()
	if w.err != nil {
		return w.err
	}
	if err := w.flush(); err != nil {
		return err
	}
	if err := w.zw.Close(); err != nil {
		w.err = fmt.Errorf("finish xlsx: %w", err)
	}
	return w.err
}

// member starts an archive member; what write writes goes into it.
func (w *Writer) member(name string) bool {
	if w.err != nil || w.flush() != nil {
		return false
	}
	f, err := w.zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: modified})
	if err != nil {
		w.err = fmt.Errorf("xlsx member %s: %w", name, err)
		return false
	}
	if w.bw == nil {
		w.bw = bufio.NewWriterSize(f, 64<<10)
	} else {
		w.bw.Reset(f)
	}
	return true
}

func (w *Writer) flush() error {
	if w.bw != nil && w.err == nil {
		if err := w.bw.Flush(); err != nil {
			w.err = fmt.Errorf("write xlsx: %w", err)
		}
	}
	return w.err
}

func (w *Writer) write(b []byte) bool {
	if w.err != nil {
		return false
	}
	if _, err := w.bw.Write(b); err != nil {
		w.err = fmt.Errorf("write xlsx: %w", err)
		return false
	}
	return true
}
