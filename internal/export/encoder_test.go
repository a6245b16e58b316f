package export_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/siamledger/ledger-export/internal/export"
	"github.com/siamledger/ledger-export/internal/ledger"
)

// listQueue is a Queue whose one page is a fixed list of entries; a dry run only reads.
type listQueue struct {
	export.Queue
	entries []export.Entry
}

func (q listQueue) Read(_ context.Context, _ export.Batch, fn func([]export.Entry) error) error {
	return fn(q.entries)
}

// recorder is an Encoder that writes one line per call, so the file shows what encode told it.
type recorder struct {
	w    io.Writer
	rows int64
}

func (r *recorder) WriteJournal(date, entryID string, j ledger.Journal) error {
	r.rows += int64(len(j.Lines))
	_, err := fmt.Fprintf(r.w, "journal %s %s %s\n", date, entryID, j.ID)
	return err
}
func (r *recorder) Failed(entryID, journalID, reason string, j ledger.Journal) {
	fmt.Fprintf(r.w, "failed %s %s %s (%q, %d lines)\n", entryID, journalID, reason, j.Memo, len(j.Lines))
}
func (r *recorder) Close() error { _, err := io.WriteString(r.w, "close\n"); return err }
func (r *recorder) Rows() int64  { return r.rows }

// TestFormatEncoderHearsEveryEntry: the Format's encoder, not the CSV writer, makes the file, under the Format's
// extension, and hears about the failed entries too, each with its journal as read (an XLSX summary lists its
// date, memo, accounts and amounts). Fails if encode still calls csvfile.NewWriter directly, drops the Failed call
// from its failure branch, or passes Failed an empty journal instead of the one read (an unbalanced journal's memo
// and lines would be missing from the summary).
func TestFormatEncoderHearsEveryEntry(t *testing.T) {
	at := time.Date(2026, 11, 28, 9, 0, 0, 0, bkk)
	good := ledger.Journal{ID: "j1", PostedAt: at, LineCount: -1, Lines: []ledger.Line{
		{ID: "l1", Account: "Cash", Debit: 100, PostedAt: at}, {ID: "l2", Account: "Sales", Credit: 100, PostedAt: at}}}
	r := runner(bkk)
	r.Now = func() time.Time { return time.Date(2026, 11, 29, 9, 0, 0, 0, bkk) }
	r.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	r.Queue = listQueue{entries: []export.Entry{
		{ID: "e1", JournalID: "j1", Journal: good},
		{ID: "e2", JournalID: "j2", Err: errors.New("journal not found")},
		{ID: "e3", JournalID: "j3", Journal: ledger.Journal{ID: "j3", Memo: "ซื้อ", PostedAt: at, LineCount: -1, Lines: []ledger.Line{
			{ID: "l3", Account: "Supplies", Debit: 100, PostedAt: at}, {ID: "l4", Account: "Cash", Credit: 99, PostedAt: at}}}},
	}}
	var got []byte
	r.Format = export.Format{Extension: "rec", NewEncoder: func(w io.Writer, date string) export.Encoder {
		return &recorder{w: io.MultiWriter(w, writerFunc(func(p []byte) { got = append(got, p...) }))}
	}}
	rep, err := r.Run(t.Context(), export.Request{Date: "2026-11-28", DryRun: true})
	if err != nil {
		t.Fatalf("Run(dry) = %v", err)
	}
	want := "journal 2026-11-28 e1 j1\nfailed e2 j2 journal not found (\"\", 0 lines)\n" +
		"failed e3 j3 journal does not balance: debit 1.00, credit 0.99 (\"ซื้อ\", 2 lines)\nclose\n"
	if string(got) != want {
		t.Errorf("encoder heard\n%s\nwant\n%s", got, want)
	}
	if s := rep.Summary; s.FileName != "ledger-export_2026-11-28.rec" || s.Rows != 2 || s.Bytes != int64(len(want)) {
		t.Errorf("summary = %+v, want ledger-export_2026-11-28.rec with 2 rows and %d bytes", s, len(want))
	}
}

type writerFunc func([]byte)

func (f writerFunc) Write(p []byte) (int, error) { f(p); return len(p), nil }
