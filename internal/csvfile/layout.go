package csvfile

import (
	"fmt"

	"github.com/siamledger/ledger-export/internal/layout"
	"github.com/siamledger/ledger-export/internal/ledger"
)

// writeLayout writes one row per line of j in the columns of a layout other than the default, with the cell rules
// of the fixed columns: text cleaned, capped, guarded and quoted as text does (and kept per column, as column
// does), money as plain decimals (empty for zero with BlankZero), posted_at in the layout's date format, voided as
// true or false, a numeric meta value unquoted.
// maps holds each line's account map row, or is nil.
func (w *Writer) writeLayout(batchDate, entryID string, j ledger.Journal, maps []layout.MapRow) error {
	w.journals++
	lay := &w.opts.Layout
	for i := range j.Lines {
		r := layout.Row{BatchDate: batchDate, EntryID: entryID, Journal: &j, Line: &j.Lines[i], JournalSeq: w.journals, Location: w.opts.Location}
		if maps != nil {
			r.Map = maps[i]
		}
		b := w.row[:0]
		for k, c := range lay.Columns {
			if k > 0 {
				b = append(b, ',')
			}
			switch c.Kind() {
			case layout.KindText, layout.KindConst:
				b = w.column(b, k, c.Text(r))
			case layout.KindMoney:
				if a := c.Money(r); a != 0 || !lay.BlankZero {
					b = a.AppendText(b)
				}
			case layout.KindTime:
				if w.when == nil || !r.Line.PostedAt.Equal(w.whenAt) {
					w.when = lay.FormatTime(w.when[:0], r.Line.PostedAt.In(w.opts.Location))
					w.whenAt = r.Line.PostedAt
				}
				b = w.column(b, k, string(w.when))
			case layout.KindBool:
				if c.Bool(r) {
					b = append(b, "true"...)
				} else {
					b = append(b, "false"...)
				}
			case layout.KindMeta:
				if v := c.Meta(r); v.Numeric && isNumber(v.Text) {
					b = append(b, v.Text...)
				} else {
					b = w.column(b, k, v.Text)
				}
			}
		}
		b = append(b, '\r', '\n')
		w.row = b
		if _, err := w.w.Write(b); err != nil {
			w.err = fmt.Errorf("write journal %s line %s: %w", j.ID, j.Lines[i].ID, err)
			return w.err
		}
		w.rows++
	}
	return nil
}
