package csvfile

import (
	"io"

	"github.com/siamledger/ledger-export/internal/export"
)

// Format is the CSV file kind for export.Runner.Format: each date's file is a Writer with opts.
func Format(opts Options) export.Format {
	return export.Format{Extension: "csv", NewEncoder: func(w io.Writer, _ string) export.Encoder {
		return NewWriter(w, opts)
	}}
}
