package export

import (
	"context"
	"fmt"
	"io"
	"time"

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

// LeftOutLister is an Encoder whose layout may leave exported journals out of the file on purpose (an import
// layout leaves a voided journal and its reversal out together). encode asks it after Close and lists them in the
// summary. *csvfile.Writer and *xlsxfile.Writer implement it; an encoder without it leaves nothing out.
type LeftOutLister interface {
	// LeftOut lists every journal left out, in the order the file decided on them.
	LeftOut() []LeftOut
	// LeftOutTotals adds up their debits and credits.
	LeftOutTotals() ledger.Totals
}

// Format is the kind of file a date becomes. The formats are peers that the wiring injects: csvfile.Format and
// xlsxfile.Format each build one, and this package imports neither.
type Format struct {
	Extension  string                                 // the file name's extension, without the dot: "csv", "xlsx"
	NewEncoder func(w io.Writer, date string) Encoder // starts the date's file on w
	// Load, when set, reads what the file depends on besides the ledger (an import layout's account map, kept by
	// the accountant in the export folder) at the start of every attempt that makes a file, and returns the format
	// to make it with and what was read, for the summary. An error wrapping ErrAccountMap fails the attempt with
	// ClassAccountMap; others are classified as Drive errors.
	Load func(ctx context.Context) (Format, *Source, error)
}

// Source is a file an export was made with, besides the ledger: the account map, as read by the attempt.
type Source struct {
	Name     string    `json:"name"`
	FileID   string    `json:"fileId"`
	Kind     string    `json:"kind"`    // "Google Sheet" or "CSV"
	Version  int64     `json:"version"` // Drive's version number of the file
	Modified time.Time `json:"modifiedTime,omitzero"`
	SHA256   string    `json:"sha256"` // of the content read
	Rows     int       `json:"rows"`   // accounts mapped
}

// String is the source as the file's description shows it.
func (s *Source) String() string {
	return fmt.Sprintf("%s (%s, Drive version %d, sha256 %.12s)", s.Name, s.Kind, s.Version, s.SHA256)
}

// extension is the file name's extension.
func (r *Runner) extension() string { return r.Format.Extension }

// newEncoder starts the date's file on w.
func (r *Runner) newEncoder(w io.Writer, date string) Encoder { return r.Format.NewEncoder(w, date) }
