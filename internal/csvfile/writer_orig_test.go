package csvfile

// The encoder as it was before it built rows in a byte buffer (kept as the oracle of FuzzWriterUnchanged).

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/siamledger/ledger-export/internal/ledger"
)

// origWriter writes journals as CSV rows. Call Close to flush; the first error sticks and is returned by every later
// call.
type origWriter struct {
	w         *bufio.Writer
	opts      Options
	rec       []string
	rows      int64
	truncated int64
	err       error
}

// newOrigWriter writes the byte order mark and the header row to w and returns a origWriter for the rows.
func newOrigWriter(w io.Writer, opts Options) *origWriter {
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	cw := &origWriter{w: bufio.NewWriterSize(w, 64<<10), opts: opts, rec: make([]string, 0, len(columns)+len(opts.Meta))}
	if _, err := cw.w.WriteString(BOM); err != nil {
		cw.err = fmt.Errorf("write byte order mark: %w", err)
		return cw
	}
	if err := cw.write(Header(opts.Meta)); err != nil {
		cw.err = fmt.Errorf("write header: %w", err)
	}
	return cw
}

// WriteJournal writes one row per line of j. batchDate and entryID identify the queue entry that asked for it.
func (w *origWriter) WriteJournal(batchDate, entryID string, j ledger.Journal) error {
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
			w.text(batchDate),
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
			w.text(refVoidReason(j, l)),
			w.text(refOriginalJournal(j, l)),
		)
		for i := range w.opts.Meta {
			var v ledger.Value
			if i < len(l.Meta) {
				v = l.Meta[i]
			}
			if v.Numeric && origNumber.MatchString(v.Text) {
				r = append(r, v.Text)
			} else {
				r = append(r, w.text(v.Text))
			}
		}
		if err := w.write(r); err != nil {
			w.err = fmt.Errorf("write journal %s line %s: %w", j.ID, l.ID, err)
			return w.err
		}
		w.rows++
	}
	return nil
}

// refVoidReason is the void_reason cell's text: the line's reason, else the journal's.
func refVoidReason(j ledger.Journal, l ledger.Line) string {
	if l.VoidReason != "" {
		return l.VoidReason
	}
	return j.VoidReason
}

// refOriginalJournal is the original_journal cell's text: the line's _original_journal, else the journal's.
func refOriginalJournal(j ledger.Journal, l ledger.Line) string {
	if l.OriginalJournal != "" {
		return l.OriginalJournal
	}
	return j.OriginalJournal
}

// text makes a cell with the independent reference (reference_test.go), never with the production cell().
func (w *origWriter) text(s string) string {
	c, cut := ReferenceCell(s, !w.opts.Plain)
	if cut {
		w.truncated++
	}
	return c
}

// write writes one record: fields separated by commas, quoted when they must be, and CRLF at the end.
func (w *origWriter) write(rec []string) error {
	for i, f := range rec {
		if i > 0 {
			w.w.WriteByte(',')
		}
		if !origNeedsQuotes(f) {
			w.w.WriteString(f)
			continue
		}
		w.w.WriteByte('"')
		for {
			q := strings.IndexByte(f, '"')
			if q < 0 {
				break
			}
			w.w.WriteString(f[:q+1])
			w.w.WriteByte('"')
			f = f[q+1:]
		}
		w.w.WriteString(f)
		w.w.WriteByte('"')
	}
	_, err := w.w.WriteString("\r\n")
	return err
}

// origNeedsQuotes reports whether a field must be quoted: it holds a separator some import may split on (comma,
// semicolon, tab), a quote or a line break, or it starts or ends with a space an import could trim.
func origNeedsQuotes(f string) bool {
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

// origNumber is the shape of a numeric meta value written as a origNumber; anything else is written as text.
var origNumber = regexp.MustCompile(`^-?[0-9]{1,400}(\.[0-9]{1,400})?([eE][-+]?[0-9]{1,4})?$`)

func (w *origWriter) close() error {
	if w.err != nil {
		return w.err
	}
	return w.w.Flush()
}
