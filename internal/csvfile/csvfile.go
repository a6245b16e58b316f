// Package csvfile writes ledger journals as the CSV file the accountant opens in Excel: UTF-8 with a byte order
// mark, RFC 4180 quoting with CRLF between rows, a header row, one row per journal line, money as plain numbers
// with two decimals, and text cells made safe for a spreadsheet.
//
// Every text cell goes through the same three steps (see Text):
//
//  1. Clean: invalid UTF-8 bytes become U+FFFD, NUL is dropped, other control characters become U+FFFD, and
//     CRLF or a lone CR becomes LF, the line break Excel itself writes inside a cell.
//  2. Cap: a cell holds at most MaxCell UTF-16 code units (Excel's limit); longer text is cut and ends with a
//     marker that says how many characters were cut. Writer.Truncated counts such cells.
//  3. Guard: a cell a spreadsheet could take as a formula gets a leading apostrophe, as OWASP's CSV injection
//     advice says (see NeedsGuard). Options.Plain turns this step, and only this one, off.
//
// Fields holding a comma, a double quote, a semicolon, a tab or a line break, or starting or ending with a space,
// are quoted, so that a row stays one row whichever of those separators the spreadsheet's import splits on.
//
// The output is a pure function of its input: the same journals give the same bytes.
package csvfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/siamledger/ledger-export/internal/layout"
	"github.com/siamledger/ledger-export/internal/ledger"
)

// BOM is the UTF-8 byte order mark that makes Excel read the file as UTF-8, so Thai text shows correctly.
const BOM = "\ufeff"

// MaxCell is the most UTF-16 code units a text cell holds, apostrophe and marker included: Excel's limit of
// 32,767 characters per cell (a character outside the Basic Multilingual Plane, such as most emoji, counts twice).
const MaxCell = 32767

// columns are the fixed columns, in order. Meta columns follow them.
var columns = []string{
	"batch_date", "entry_id", "journal_id", "line_id", "posted_at",
	"book", "account", "debit", "credit", "memo", "voided", "void_reason", "original_journal",
}

// Header returns the header row for the given meta fields: the fixed columns, then "meta.<field>" for each.
func Header(meta []string) []string {
	h := append([]string(nil), columns...)
	for _, m := range meta {
		h = append(h, "meta."+m)
	}
	return h
}

// Options shape the output.
type Options struct {
	// Meta names the fields of each line's meta object written as extra columns, in order.
	Meta []string
	// Location is the zone posted_at is written in, with its offset. Nil means UTC.
	Location *time.Location
	// Plain turns the formula guard off, for consumers that are not spreadsheets. Cleaning and the cell cap stay.
	// Off by default.
	Plain bool
	// Layout chooses the columns (see internal/layout). The zero Layout and layout.Default write the fixed columns
	// and Meta as above, on the fast path; any other layout is written by writeLayout, with the same cell rules.
	Layout layout.Layout
}

// Writer writes journals as CSV rows. Call Close to flush; the first error sticks and is returned by every later
// call. It builds each row in a buffer of its own and allocates nothing per row once that buffer has grown, except
// for the rare cell that must be cleaned or cut.
type Writer struct {
	w         *bufio.Writer
	opts      Options
	row       []byte   // the row being built
	last      []cached // per column, the last text cell written
	when      []byte   // the last posted_at written, formatted
	whenAt    time.Time
	rows      int64
	truncated int64
	err       error
	custom    bool  // a layout other than the default: rows are written by writeLayout
	journals  int64 // journals written, for layout.JournalNo
	imp       *layout.Importer
	closedImp *layout.Importer // imp after Close, for LeftOut
}

// NewWriter writes the byte order mark and the header row to w and returns a Writer for the rows.
func NewWriter(w io.Writer, opts Options) *Writer {
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	cw := &Writer{w: bufio.NewWriterSize(w, 64<<10), opts: opts, row: make([]byte, 0, 1024)}
	header := Header(opts.Meta)
	if cw.custom = opts.Layout.Columns != nil && !opts.Layout.IsDefault(); cw.custom {
		header = opts.Layout.Header()
		if opts.Layout.GuardOff() {
			cw.opts.Plain = true
		} else if g := opts.Layout.FormulaGuard; g != nil && *g {
			cw.opts.Plain = false
		}
		if opts.Layout.NeedsImporter() {
			cw.imp = layout.NewImporter(&cw.opts.Layout, opts.Location, cw.writeLayout)
		}
	}
	if _, err := cw.w.WriteString(BOM); err != nil {
		cw.err = fmt.Errorf("write byte order mark: %w", err)
		return cw
	}
	if err := cw.write(header); err != nil {
		cw.err = fmt.Errorf("write header: %w", err)
	}
	return cw
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
		return nil
	}
	if w.custom {
		return w.writeLayout(batchDate, entryID, j, nil)
	}
	for i := range j.Lines {
		l := &j.Lines[i]
		memo := l.Memo
		if memo == "" {
			memo = j.Memo
		}
		book := l.Book
		if book == "" {
			book = j.Book
		}
		b := w.row[:0]
		b = append(w.column(b, colBatchDate, batchDate), ',')
		b = append(w.column(b, colEntryID, entryID), ',')
		b = append(w.column(b, colJournalID, j.ID), ',')
		b = append(w.column(b, colLineID, l.ID), ',')
		b = append(w.time(b, l.PostedAt), ',')
		b = append(w.column(b, colBook, book), ',')
		b = append(w.column(b, colAccount, l.Account), ',')
		b = append(l.Debit.AppendText(b), ',') // digits, '-' and '.': never quoted
		b = append(l.Credit.AppendText(b), ',')
		b = append(w.column(b, colMemo, memo), ',')
		if l.Voided || j.Voided {
			b = append(b, "true,"...)
		} else {
			b = append(b, "false,"...)
		}
		reason := l.VoidReason
		if reason == "" {
			reason = j.VoidReason
		}
		orig := l.OriginalJournal
		if orig == "" {
			orig = j.OriginalJournal
		}
		b = append(w.column(b, colVoidReason, reason), ',')
		b = w.column(b, colOriginalJournal, orig)
		for k := range w.opts.Meta {
			var v ledger.Value
			if k < len(l.Meta) {
				v = l.Meta[k]
			}
			b = append(b, ',')
			if v.Numeric && isNumber(v.Text) {
				b = append(b, v.Text...) // a number is never quoted
			} else {
				b = w.column(b, len(columns)+k, v.Text)
			}
		}
		b = append(b, '\r', '\n')
		w.row = b
		if _, err := w.w.Write(b); err != nil {
			w.err = fmt.Errorf("write journal %s line %s: %w", j.ID, l.ID, err)
			return w.err
		}
		w.rows++
	}
	return nil
}

// time appends t in the configured zone as RFC 3339. Lines of a journal share their time, so the last one is kept.
func (w *Writer) time(b []byte, t time.Time) []byte {
	if w.when == nil || !t.Equal(w.whenAt) {
		w.when = t.In(w.opts.Location).AppendFormat(w.when[:0], time.RFC3339)
		w.whenAt = t
	}
	if needsQuotes(string(w.when)) { // never for RFC 3339, but the rule is the rule
		return appendField(b, string(w.when))
	}
	return append(b, w.when...)
}

// Indexes of the fixed text columns in columns.
const (
	colBatchDate = 0
	colEntryID   = 1
	colJournalID = 2
	colLineID    = 3
	colBook      = 5
	colAccount   = 6
	colMemo      = 9

	colVoidReason      = 11
	colOriginalJournal = 12
)

// cached is the last text written in a column and the bytes it became.
type cached struct {
	in  string
	out []byte
	cut bool
}

// column appends s as the text cell of column col. Cells repeat down a journal (the batch date, the entry and
// journal ids, the book, the memo, most meta), so the column's last cell is kept and written again as it was.
func (w *Writer) column(b []byte, col int, s string) []byte {
	if w.last == nil {
		w.last = make([]cached, max(len(columns)+len(w.opts.Meta), len(w.opts.Layout.Columns)))
	}
	c := &w.last[col]
	if c.out != nil && s == c.in {
		if c.cut {
			w.truncated++
		}
		return append(b, c.out...)
	}
	start, cut := len(b), w.truncated
	b = w.text(b, s)
	c.in, c.out, c.cut = s, append(c.out[:0], b[start:]...), w.truncated != cut
	return b
}

// text appends s as a text cell: cleaned, capped and guarded as cell does, then quoted as write does. Text that
// needs no cleaning and is far from the cap, which is nearly all of it, takes a path that allocates nothing.
func (w *Writer) text(b []byte, s string) []byte {
	special, ok := plain(s)
	if !ok || len(s) >= MaxCell {
		c, cut := cell(s, !w.opts.Plain)
		if cut {
			w.truncated++
		}
		return appendField(b, c)
	}
	guard := !w.opts.Plain && NeedsGuard(s)
	// The cell is s, after an apostrophe when guarded: it needs quotes when s holds a separator, a quote or a
	// line break, when it ends with a space, or when it starts with one and has no apostrophe in front.
	quote := special
	if !quote && s != "" {
		first, _ := utf8.DecodeRuneInString(s)
		last, _ := utf8.DecodeLastRuneInString(s)
		quote = !guard && unicode.IsSpace(first) || unicode.IsSpace(last)
	}
	if !quote {
		if guard {
			b = append(b, '\'')
		}
		return append(b, s...)
	}
	b = append(b, '"')
	if guard {
		b = append(b, '\'')
	}
	b = appendQuoted(b, s)
	return append(b, '"')
}

// plain reports whether Clean leaves s unchanged (ok), and whether s holds a comma, a double quote, a semicolon,
// a tab or a line break (special). It may say not ok for text that is clean: the caller then takes the slow path,
// which is always right.
func plain(s string) (special, ok bool) {
	for i := 0; i < len(s); i++ {
		switch byteClass[s[i]] {
		case classPlain:
		case classSpecial:
			special = true
		case classUnclean:
			return false, false
		case classLead:
			// C1 controls are U+0080 to U+009F, encoded C2 80 to C2 9F; the non-characters U+FFFE and U+FFFF are
			// EF BF BE and EF BF BF.
			if s[i] == 0xc2 && i+1 < len(s) && s[i+1] <= 0x9f ||
				s[i] == 0xef && i+2 < len(s) && s[i+1] == 0xbf && s[i+2] >= 0xbe {
				return false, false
			}
		}
	}
	return special, utf8.ValidString(s)
}

// Classes of bytes for plain.
const (
	classPlain   = iota
	classSpecial // , " ; tab LF: the cell is quoted
	classUnclean // other C0 controls and DEL: Clean changes the text
	classLead    // C2 and EF: may start a C1 control or a non-character
)

var byteClass = func() (t [256]uint8) {
	for c := range 0x20 {
		t[c] = classUnclean
	}
	t[0x7f] = classUnclean
	for _, c := range ",\";\t\n" {
		t[c] = classSpecial
	}
	t[0xc2], t[0xef] = classLead, classLead
	return t
}()

// appendField appends a finished cell, quoted when it must be.
func appendField(b []byte, f string) []byte {
	if !needsQuotes(f) {
		return append(b, f...)
	}
	b = append(b, '"')
	b = appendQuoted(b, f)
	return append(b, '"')
}

// appendQuoted appends f with each double quote doubled.
func appendQuoted(b []byte, f string) []byte {
	for {
		q := strings.IndexByte(f, '"')
		if q < 0 {
			return append(b, f...)
		}
		b = append(b, f[:q+1]...)
		b = append(b, '"')
		f = f[q+1:]
	}
}

// isNumber reports whether s has the shape of a number written as one: -?digits[.digits][(e|E)[+-]digits], with
// at most 400 digits before and after the point and 4 in the exponent.
func isNumber(s string) bool {
	digits := func(i, most int) int {
		n := 0
		for i+n < len(s) && s[i+n] >= '0' && s[i+n] <= '9' {
			n++
		}
		if n > most {
			return -1
		}
		return n
	}
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	n := digits(i, 400)
	if n < 1 {
		return false
	}
	i += n
	if i < len(s) && s[i] == '.' {
		if n = digits(i+1, 400); n < 1 {
			return false
		}
		i += 1 + n
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '-' || s[i] == '+') {
			i++
		}
		if n = digits(i, 4); n < 1 {
			return false
		}
		i += n
	}
	return i == len(s)
}

// Rows reports how many line rows were written, not counting the header.
func (w *Writer) Rows() int64 { return w.rows }

// Truncated reports how many text cells were cut to MaxCell.
func (w *Writer) Truncated() int64 { return w.truncated }

// Close flushes buffered rows and reports the first error of the whole file.
func (w *Writer) Close() error {
	if w.err != nil {
		return w.err
	}
	if w.imp != nil {
		if err := w.imp.Close(); err != nil {
			w.err = fmt.Errorf("%s: %w", w.opts.Layout.Name, err)
			return w.err
		}
		w.closedImp, w.imp = w.imp, nil
	}
	if err := w.w.Flush(); err != nil {
		w.err = fmt.Errorf("flush csv: %w", err)
	}
	return w.err
}

// write writes one record of finished cells (the header): fields separated by commas, quoted when they must be,
// and CRLF at the end.
func (w *Writer) write(rec []string) error {
	b := w.row[:0]
	for i, f := range rec {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendField(b, f)
	}
	b = append(b, '\r', '\n')
	w.row = b
	_, err := w.w.Write(b)
	return err
}

// needsQuotes reports whether a field must be quoted: it holds a separator some import may split on (comma,
// semicolon, tab), a quote or a line break, or it starts or ends with a space an import could trim.
func needsQuotes(f string) bool {
	if f == "" {
		return false
	}
	if strings.ContainsAny(f, ",\";\t\r\n") {
		return true
	}
	first, _ := utf8.DecodeRuneInString(f)
	last, _ := utf8.DecodeLastRuneInString(f)
	return unicode.IsSpace(first) || unicode.IsSpace(last)
}

// Text returns s as a text cell with the formula guard on: cleaned, capped at MaxCell and, when NeedsGuard says
// a spreadsheet could run it, prefixed with an apostrophe, which Excel and LibreOffice show and take as text.
// Text(Text(s)) == Text(s).
func Text(s string) string {
	c, _ := cell(s, true)
	return c
}

// Fit returns s cleaned (see Clean) and capped at MaxCell, without the formula guard, and whether it was cut: the
// text of a cell in a format that types its cells, such as XLSX, where text can never be a formula.
func Fit(s string) (string, bool) { return cell(s, false) }

// IsNumber reports whether s has the shape of a number written as one: -?digits[.digits][(e|E)[+-]digits], with
// at most 400 digits before and after the point and 4 in the exponent. Numeric meta values of that shape are
// written as numbers.
func IsNumber(s string) bool { return isNumber(s) }

// cell cleans, caps and, with guard, guards s, and reports whether it was cut.
func cell(s string, guard bool) (string, bool) {
	s = Clean(s)
	g := guard && NeedsGuard(s)
	limit := MaxCell
	if g {
		limit--
	}
	s, cut := capText(s, limit)
	if g {
		s = "'" + s
	}
	return s, cut
}

// Clean makes s valid, printable cell text: each invalid UTF-8 byte becomes U+FFFD, NUL is dropped, CRLF and a
// lone CR become LF, and every other control character (C0 but tab and LF, DEL, C1) and the non-characters
// U+FFFE and U+FFFF become U+FFFD. Valid text without those passes unchanged, bidi controls included.
func Clean(s string) string {
	i := 0
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r != '\t' && r != '\n' && unclean(r) {
			break
		}
		i += size
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteRune(utf8.RuneError)
		case r == 0:
		case r == '\r':
			b.WriteByte('\n')
			if i+1 < len(s) && s[i+1] == '\n' {
				size++
			}
		case r == '\t' || r == '\n':
			b.WriteRune(r)
		case unclean(r):
			b.WriteRune(utf8.RuneError)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// unclean reports the runes Clean replaces or drops; tab and LF are checked by the caller.
func unclean(r rune) bool {
	return r < 0x20 || r >= 0x7f && r <= 0x9f || r == 0xfffe || r == 0xffff
}

// NeedsGuard reports whether a spreadsheet could take s as a formula (OWASP's CSV injection list): s starts with
// a tab, CR or LF, or its first character after any spaces and invisible format characters (such as U+00A0,
// U+3000, zero-width spaces and bidi controls) is = + - or @, or a full-width ＝ ＋ － ＠.
func NeedsGuard(s string) bool {
	for i, r := range s {
		if i == 0 && (r == '\t' || r == '\r' || r == '\n') {
			return true
		}
		switch r {
		case '=', '+', '-', '@', '＝', '＋', '－', '＠':
			return true
		}
		if !unicode.IsSpace(r) && !unicode.Is(unicode.Cf, r) {
			return false
		}
	}
	return false
}

// capText cuts s to at most limit UTF-16 code units, ending with a marker that counts the characters cut.
func capText(s string, limit int) (string, bool) {
	// Most cells are far below the limit: a byte count of at most limit means at most limit UTF-16 units.
	if len(s) <= limit {
		return s, false
	}
	units, runes := 0, 0
	for _, r := range s {
		units += utf16.RuneLen(r)
		runes++
	}
	if units <= limit {
		return s, false
	}
	// The marker's length depends on the count it shows, which is at most runes; reserve room for that many
	// digits, then cut at a rune boundary.
	room := limit - utf16Len(marker(runes))
	kept, keptRunes, end := 0, 0, 0
	for i, r := range s {
		n := utf16.RuneLen(r)
		if kept+n > room {
			end = i
			break
		}
		kept += n
		keptRunes++
	}
	return s[:end] + marker(runes-keptRunes), true
}

// marker ends a cut cell: "…[truncated N characters]".
func marker(cut int) string { return "…[truncated " + strconv.Itoa(cut) + " characters]" }

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// Failed does nothing: a CSV file holds only the exported rows; the failures are in the run's summary. It makes
// Writer an export.Encoder.
func (w *Writer) Failed(entryID, journalID, reason string, j ledger.Journal) {}
