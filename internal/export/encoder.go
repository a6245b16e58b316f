package export

import (
	"io"

	"github.com/siamledger/ledger-export/internal/ledger"
)

// Encoder writes one date's file as the entries are read, in the read's order. Its bytes must be a pure function
// of its calls, so that a resumed upload, the adopt-by-MD5 check and a dry run see the same file.
// *csvfile.Writer and *xlsxfile.Writer implement it.
type Encoder interface {
	// WriteJournal writes the rows of one exported entry's journal.
	WriteJournal(batchDate, entryID string, j ledger.Journal) error
	// Failed tells the encoder about an entry that is not exported, and why; a format with a summary lists it. j is
	// the entry's journal as far as it was read: whole for a journal that does not balance or that the layout
	// rejects, partly or not at all (the zero Journal) for one that could not be read.
	Failed(entryID, journalID, reason string, j ledger.Journal)
	// Close finishes the file (a summary, the archive's directory) and flushes it.
	Close() error
	// Rows reports how many line rows were written, headers not counted.
	Rows() int64
}

// Format is the kind of file a date becomes. The formats are peers that the wiring injects: csvfile.Format and
// xlsxfile.Format each build one, and this package imports neither.
type Format struct {
	Extension  string                                 // the file name's extension, without the dot: "csv", "xlsx"
	NewEncoder func(w io.Writer, date string) Encoder // starts the date's file on w
}

// extension is the file name's extension.
func (r *Runner) extension() string { return r.Format.Extension }

// newEncoder starts the date's file on w.
func (r *Runner) newEncoder(w io.Writer, date string) Encoder { return r.Format.NewEncoder(w, date) }
