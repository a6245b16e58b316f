package csvfile

import (
	"io"

	"github.com/siamledger/ledger-export/internal/export"
	"github.com/siamledger/ledger-export/internal/layout"
	"github.com/siamledger/ledger-export/internal/ledger"
)

// Format is the CSV file kind for export.Runner.Format: each date's file is a Writer with opts.
func Format(opts Options) export.Format {
	return export.Format{Extension: "csv", NewEncoder: func(w io.Writer, _ string) export.Encoder {
		return NewWriter(w, opts)
	}}
}

var _ export.LeftOutLister = (*Writer)(nil)

// LeftOut lists the journals the layout left out of the file on purpose (a voided journal and its reversal in an
// import layout), for the run's summary; nil for a layout that leaves nothing out.
func (w *Writer) LeftOut() []export.LeftOut {
	imp := w.importer()
	if imp == nil {
		return nil
	}
	var out []export.LeftOut
	for _, o := range imp.LeftOut() {
		out = append(out, export.LeftOut{EntryID: o.EntryID, JournalID: o.JournalID, Reason: o.Reason, Debit: o.Debit.String(), Credit: o.Credit.String()})
	}
	return out
}

// LeftOutTotals adds up the debits and credits of the journals LeftOut lists.
func (w *Writer) LeftOutTotals() ledger.Totals {
	imp := w.importer()
	if imp == nil {
		return ledger.Totals{}
	}
	return imp.VoidedTotals()
}

// importer is the layout's importer, before or after Close; nil for a layout without one.
func (w *Writer) importer() *layout.Importer {
	if w.imp != nil {
		return w.imp
	}
	return w.closedImp
}
