package xlsxfile

import (
	"io"

	"github.com/siamledger/ledger-export/internal/export"
	"github.com/siamledger/ledger-export/internal/ledger"
)

// Format is the XLSX file kind for export.Runner.Format: each date's file is a Writer with opts, its Date set to
// the batch date.
func Format(opts Options) export.Format {
	return export.Format{Extension: "xlsx", NewEncoder: func(w io.Writer, date string) export.Encoder {
		o := opts
		o.Date = date
		return NewWriter(w, o)
	}}
}

var _ export.LeftOutLister = (*Writer)(nil)

// LeftOut lists the journals the layout left out of the file on purpose (a voided journal and its reversal in an
// import layout), for the run's summary; nil for a layout that leaves nothing out.
func (w *Writer) LeftOut() []export.LeftOut {
	if w.imp == nil {
		return nil
	}
	var out []export.LeftOut
	for _, o := range w.imp.LeftOut() {
		out = append(out, export.LeftOut{EntryID: o.EntryID, JournalID: o.JournalID, Reason: o.Reason, Debit: o.Debit.String(), Credit: o.Credit.String()})
	}
	return out
}

// LeftOutTotals adds up the debits and credits of the journals LeftOut lists.
func (w *Writer) LeftOutTotals() ledger.Totals {
	if w.imp == nil {
		return ledger.Totals{}
	}
	return w.imp.VoidedTotals()
}
