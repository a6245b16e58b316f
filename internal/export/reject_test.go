package export_test

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/siamledger/ledger-export/internal/export"
	"github.com/siamledger/ledger-export/internal/ledger"
)

// rejecter refuses the journals of accounts it does not know, as an import layout refuses an account with no row
// in its account map.
type rejecter struct{ recorder }

func (r *rejecter) WriteJournal(date, entryID string, j ledger.Journal) error {
	for _, l := range j.Lines {
		if l.Account == "Unmapped" {
			return ledger.Reject("account Unmapped has no row in the account map")
		}
	}
	return r.recorder.WriteJournal(date, entryID, j)
}

// TestRejectedJournalFailsItsEntry: a journal the encoder rejects (ledger.Reject) fails its entry with the
// encoder's reason, is counted and listed as failed and left out of the totals, and the rest of the date exports.
// It fails if encode treats a rejection as a broken file (the whole run fails), or counts the rejected journal as
// exported, so that the queue marks it done although it is in no file.
func TestRejectedJournalFailsItsEntry(t *testing.T) {
	at := time.Date(2026, 11, 28, 9, 0, 0, 0, bkk)
	j := func(id, account string) ledger.Journal {
		return ledger.Journal{ID: id, PostedAt: at, LineCount: -1, Lines: []ledger.Line{
			{ID: id + "a", Account: account, Debit: 100, PostedAt: at}, {ID: id + "b", Account: "Sales", Credit: 100, PostedAt: at}}}
	}
	r := runner(bkk)
	r.Now = func() time.Time { return time.Date(2026, 11, 29, 9, 0, 0, 0, bkk) }
	r.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	r.Queue = listQueue{entries: []export.Entry{
		{ID: "e1", JournalID: "j1", Journal: j("j1", "Cash")},
		{ID: "e2", JournalID: "j2", Journal: j("j2", "Unmapped")},
	}}
	var got []byte
	r.Format = export.Format{Extension: "rec", NewEncoder: func(w io.Writer, date string) export.Encoder {
		return &rejecter{recorder{w: io.MultiWriter(w, writerFunc(func(p []byte) { got = append(got, p...) }))}}
	}}
	rep, err := r.Run(t.Context(), export.Request{Date: "2026-11-28", DryRun: true})
	if err != nil {
		t.Fatalf("Run(dry) = %v", err)
	}
	// The rejected journal goes to Failed whole, for the XLSX summary's date, accounts and amounts.
	want := "journal 2026-11-28 e1 j1\nfailed e2 j2 account Unmapped has no row in the account map (\"\", 2 lines)\nclose\n"
	if string(got) != want {
		t.Errorf("encoder heard\n%s\nwant\n%s", got, want)
	}
	s := rep.Summary
	if s.EntriesFailed != 1 || s.EntriesExported != 1 || s.DebitTotal != "1.00" || len(s.Failures) != 1 ||
		s.Failures[0].Reason != "account Unmapped has no row in the account map" {
		t.Errorf("summary = %+v; want j2 failed with the reason, j1 alone exported and in the totals", s)
	}
}
