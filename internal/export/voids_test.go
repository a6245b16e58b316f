package export_test

import (
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/siamledger/ledger-export/internal/export"
	"github.com/siamledger/ledger-export/internal/ledger"
)

// leftOutRecorder is a recorder whose layout left some journals out: it reports them as an import layout's
// writer does.
type leftOutRecorder struct {
	recorder
	out    []export.LeftOut
	totals ledger.Totals
}

func (r *leftOutRecorder) LeftOut() []export.LeftOut    { return r.out }
func (r *leftOutRecorder) LeftOutTotals() ledger.Totals { return r.totals }

// TestSummaryVoidsApart: a dry run over a live journal, a voided one, its reversal and a reversal that was voided
// in turn puts each in exactly one of live, voided (the voided reversal included) and reversals, so the three add
// up to the totals; the encoder's left-out journals are all counted, the first MaxListedFailures listed, with
// their totals. An encoder that leaves nothing out, over journals without voids, adds no voids at all. Fails if a
// voided journal or a reversal is counted as live, a voided reversal twice, the left-out list is not asked for
// or not capped, or a summary without voids grows the fields.
func TestSummaryVoidsApart(t *testing.T) {
	at := time.Date(2026, 11, 28, 9, 0, 0, 0, bkk)
	journal := func(id string, amount ledger.Amount) ledger.Journal {
		return ledger.Journal{ID: id, PostedAt: at, LineCount: -1, Lines: []ledger.Line{
			{ID: id + "-d", Account: "Cash", Debit: amount, PostedAt: at}, {ID: id + "-c", Account: "Sales", Credit: amount, PostedAt: at}}}
	}
	live := journal("j1", 100)
	voided := journal("j2", 2000)
	voided.Voided, voided.VoidReason = true, "duplicate"
	rev := journal("j3", 2000)
	for i := range rev.Lines {
		rev.Lines[i].OriginalJournal = "j2" // Medici puts _original_journal on every line
	}
	voidedRev := journal("j4", 30000)
	voidedRev.OriginalJournal = "j0"
	voidedRev.Lines[0].Voided = true // a line's mark is enough
	var out []export.LeftOut
	for i := range export.MaxListedFailures + 5 {
		out = append(out, export.LeftOut{EntryID: fmt.Sprint("e", i), JournalID: fmt.Sprint("j", i), Reason: "paired"})
	}
	var totals ledger.Totals
	totals = totals.Add(voided).Add(rev)

	run := func(enc func(w io.Writer) export.Encoder, js ...ledger.Journal) *export.Summary {
		t.Helper()
		r := runner(bkk)
		r.Now = func() time.Time { return time.Date(2026, 11, 29, 9, 0, 0, 0, bkk) }
		r.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
		var entries []export.Entry
		for i, j := range js {
			entries = append(entries, export.Entry{ID: fmt.Sprint("q", i), JournalID: j.ID, Journal: j})
		}
		r.Queue = listQueue{entries: entries}
		r.Format = export.Format{Extension: "rec", NewEncoder: func(w io.Writer, _ string) export.Encoder { return enc(w) }}
		rep, err := r.Run(t.Context(), export.Request{Date: "2026-11-28", DryRun: true})
		if err != nil {
			t.Fatalf("Run(dry) = %v", err)
		}
		return rep.Summary
	}

	s := run(func(w io.Writer) export.Encoder {
		return &leftOutRecorder{recorder: recorder{w: w}, out: out, totals: totals}
	}, live, voided, rev, voidedRev)
	want := export.VoidTotals{LiveDebit: "1.00", LiveCredit: "1.00", Voided: 2, VoidedDebit: "320.00", VoidedCredit: "320.00",
		Reversals: 1, ReversalDebit: "20.00", ReversalCredit: "20.00", LeftOutDebit: "40.00", LeftOutCredit: "40.00"}
	if s.Voids == nil || *s.Voids != want {
		t.Errorf("voids = %+v, want %+v", s.Voids, want)
	}
	if s.DebitTotal != "341.00" || s.EntriesExported != 4 {
		t.Errorf("debit total %s, %d entries exported; want 341.00 = 1.00 + 320.00 + 20.00 and 4", s.DebitTotal, s.EntriesExported)
	}
	if s.EntriesLeftOut != int64(len(out)) || len(s.LeftOut) != export.MaxListedFailures || s.LeftOut[0] != out[0] {
		t.Errorf("left out: %d counted, %d listed (first %+v); want %d counted, the first %d listed", s.EntriesLeftOut, len(s.LeftOut), s.LeftOut[:min(1, len(s.LeftOut))], len(out), export.MaxListedFailures)
	}

	s = run(func(w io.Writer) export.Encoder { return &recorder{w: w} }, live)
	if s.Voids != nil || s.EntriesLeftOut != 0 || s.LeftOut != nil {
		t.Errorf("a day without voids: voids %+v, left out %d %v; want none", s.Voids, s.EntriesLeftOut, s.LeftOut)
	}
}
