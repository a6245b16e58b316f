// Package csvfile writes ledger journals as the CSV file the accountant opens in Excel: UTF-8 with a byte order
// mark, RFC 4180 quoting through encoding/csv with CRLF line ends, a header row, one row per journal line, money
// as plain numbers with two decimals, and text cells guarded against formula injection as OWASP describes.
//
// The output is a pure function of its input: the same journals give the same bytes.
package csvfile

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/siamledger/ledger-export/internal/ledger"
)

// BOM is the UTF-8 byte order mark that makes Excel read the file as UTF-8, so Thai text shows correctly.
const BOM = "\ufeff"

// Columns are the fixed columns, in order. Meta columns follow them.
var columns = []string{
	"batch_date", "entry_id", "journal_id", "line_id", "posted_at",
	"book", "account", "debit", "credit", "memo", "voided",
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
	// Plain turns formula neutralising off, for consumers that are not spreadsheets. Off by default.
	Plain bool
}

// Writer writes journals as CSV rows. Call Close to flush; the first error sticks and is returned by every later
// call.
type Writer struct {
	w    *csv.Writer
	opts Options
	rec  []string
	rows int64
	err  error
}

// NewWriter writes the byte order mark and the header row to w and returns a Writer for the rows.
func NewWriter(w io.Writer, opts Options) *Writer {
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	cw := &Writer{w: csv.NewWriter(w), opts: opts, rec: make([]string, len(columns)+len(opts.Meta))}
	cw.w.UseCRLF = true
	if _, err := io.WriteString(w, BOM); err != nil {
		cw.err = fmt.Errorf("write byte order mark: %w", err)
		return cw
	}
	if err := cw.w.Write(Header(opts.Meta)); err != nil {
		cw.err = fmt.Errorf("write header: %w", err)
	}
	return cw
}

// WriteJournal writes one row per line of j. batchDate and entryID identify the queue entry that asked for it.
func (w *Writer) WriteJournal(batchDate, entryID string, j ledger.Journal) error {
	if w.err != nil {
		return w.err
	}
	for _, l := range j.Lines {
		r := w.rec[:0]
		memo := l.Memo
		if memo == "" {
			memo = j.Memo
		}
		book := l.Book
		if book == "" {
			book = j.Book
		}
		voided := "false"
		if l.Voided || j.Voided {
			voided = "true"
		}
		r = append(r,
			batchDate,
			w.text(entryID),
			w.text(j.ID),
			w.text(l.ID),
			l.PostedAt.In(w.opts.Location).Format(time.RFC3339),
			w.text(book),
			w.text(l.Account),
			l.Debit.String(),
			l.Credit.String(),
			w.text(memo),
			voided,
		)
		for i := range w.opts.Meta {
			var v ledger.Value
			if i < len(l.Meta) {
				v = l.Meta[i]
			}
			if v.Numeric {
				r = append(r, v.Text)
			} else {
				r = append(r, w.text(v.Text))
			}
		}
		if err := w.w.Write(r); err != nil {
			w.err = fmt.Errorf("write journal %s line %s: %w", j.ID, l.ID, err)
			return w.err
		}
		w.rows++
	}
	return nil
}

// Rows reports how many line rows were written, not counting the header.
func (w *Writer) Rows() int64 { return w.rows }

// Close flushes buffered rows and reports the first error of the whole file.
func (w *Writer) Close() error {
	if w.err != nil {
		return w.err
	}
	w.w.Flush()
	if err := w.w.Error(); err != nil {
		w.err = fmt.Errorf("flush csv: %w", err)
	}
	return w.err
}

func (w *Writer) text(s string) string {
	if w.opts.Plain {
		return s
	}
	return Text(s)
}

// Text neutralises a text cell so that no spreadsheet runs it as a formula, following OWASP's CSV injection
// advice: a cell whose first character, or first character after leading spaces, is = + - @ (or their full-width
// forms), a tab, CR or LF gets a leading apostrophe, which Excel and LibreOffice take as "this is text". Other
// cells pass unchanged. Amounts never go through Text, so a negative amount stays a number.
func Text(s string) string {
	t := strings.TrimLeft(s, " ")
	if t == "" {
		return s
	}
	switch t[0] {
	case '=', '+', '-', '@', '\t', '\r', '\n':
		return "'" + s
	}
	for _, p := range []string{"＝", "＋", "－", "＠"} {
		if strings.HasPrefix(t, p) {
			return "'" + s
		}
	}
	return s
}
