package xlsxfile

import (
	"io"

	"github.com/siamledger/ledger-export/internal/export"
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
