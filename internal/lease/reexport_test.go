package lease_test

import (
	"testing"
	"time"

	"github.com/siamledger/ledger-export/internal/export"
)

// TestReexportTakesADoneDateOver: a re-export of a done date takes the lock over at generation + 1 (never back to
// 1), running, with the date's file kept and the request recorded as the pending correction with the done
// summary's figures; while it holds its lease, a second request is busy; an expired re-export is continued by a
// plain trigger's takeover (the acquisition names the correction); Done moves the correction into the audit trail
// with the new figures, and a second re-export adds a second audit entry.
// Bugs caught: a re-export answered already_done, a generation that restarts, a lost file id, a correction
// without the previous figures, a takeover of an interrupted re-export that forgets it is one, an audit trail that
// is overwritten or never written.
func TestReexportTakesADoneDateOver(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	a, err := s.Acquire(ctx, date, t0, export.AcquireOptions{TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	first := export.Summary{Date: date, Rows: 7, EntriesExported: 3, EntriesFailed: 1, DebitTotal: "10.00", CreditTotal: "10.00", SHA256: "old", Generation: 1}
	if err := s.Uploaded(ctx, a.Lease, export.File{ID: "f1", Name: "x.csv", MD5: "m1"}, first, t0); err != nil {
		t.Fatal(err)
	}
	if err := s.Done(ctx, a.Lease, first, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	x := &export.Reexport{By: "ops@example.com", Reason: "J-1 fixed", RetryFailed: true}
	at := t0.Add(time.Hour)
	r, err := s.Acquire(ctx, date, at, export.AcquireOptions{TTL: time.Hour, Reexport: x})
	if err != nil || r.Outcome != export.LockTakeover || r.Lease.Generation != 2 {
		t.Fatalf("re-export Acquire = %+v, %v; want a takeover at generation 2", r, err)
	}
	c := r.Correction
	if c == nil || c.By != x.By || c.Reason != x.Reason || !c.RetryFailed || !c.At.Equal(at) {
		t.Fatalf("correction = %+v, want the request", c)
	}
	if p := c.Previous; p.Rows != 7 || p.EntriesExported != 3 || p.EntriesFailed != 1 || p.SHA256 != "old" || p.DebitTotal != "10.00" || p.Generation != 1 {
		t.Errorf("previous = %+v, want the done summary's figures", p)
	}
	if r.Record.File == nil || r.Record.File.ID != "f1" || r.Record.State != export.StateRunning || r.Record.Summary != nil {
		t.Errorf("record handed to the attempt = %+v, want running with file f1 and no summary", r.Record)
	}
	if busy, err := s.Acquire(ctx, date, at.Add(time.Minute), export.AcquireOptions{TTL: time.Hour, Reexport: x}); err != nil || busy.Outcome != export.LockBusy {
		t.Errorf("second re-export while the first holds its lease = %+v, %v; want busy", busy, err)
	}
	// The re-export's attempt dies; a plain trigger after the lease continues it as a re-export.
	cont, err := s.Acquire(ctx, date, at.Add(2*time.Hour), export.AcquireOptions{TTL: time.Hour})
	if err != nil || cont.Outcome != export.LockTakeover || cont.Lease.Generation != 3 || cont.Correction == nil || cont.Correction.Reason != "J-1 fixed" || !cont.Correction.RetryFailed {
		t.Fatalf("takeover of the interrupted re-export = %+v, %v; want generation 3 continuing the correction", cont, err)
	}
	second := export.Summary{Date: date, Rows: 9, EntriesExported: 4, DebitTotal: "12.00", CreditTotal: "12.00", SHA256: "new", Generation: 3}
	second.Correction = cont.Correction
	second.Correction.Previous.RevisionID = "rev-old"
	if err := s.Uploaded(ctx, cont.Lease, export.File{ID: "f1", MD5: "m2"}, second, at.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.Done(ctx, cont.Lease, second, at.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	rec, _, err := s.Get(ctx, date)
	if err != nil || rec.State != export.StateDone || rec.Correction != nil || len(rec.Audit) != 1 {
		t.Fatalf("record after the re-export = %+v, %v; want done, no pending correction, one audit entry", rec, err)
	}
	au := rec.Audit[0]
	if au.By != "ops@example.com" || au.Previous.SHA256 != "old" || au.Previous.RevisionID != "rev-old" || au.After.SHA256 != "new" || au.After.Rows != 9 || au.After.DebitTotal != "12.00" || au.After.Generation != 3 {
		t.Errorf("audit entry = %+v, want old → new figures", au)
	}
	// Another re-export: generation 4, a second audit entry.
	y, err := s.Acquire(ctx, date, at.Add(3*time.Hour), export.AcquireOptions{TTL: time.Hour, Reexport: &export.Reexport{By: "b@example.com", Reason: "again"}})
	if err != nil || y.Lease.Generation != 4 || y.Correction.Previous.SHA256 != "new" {
		t.Fatalf("second re-export = %+v, %v", y, err)
	}
	third := export.Summary{Date: date, SHA256: "third", Generation: 4}
	if err := s.Uploaded(ctx, y.Lease, export.File{ID: "f1"}, third, at.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.Done(ctx, y.Lease, third, at.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	rec, _, _ = s.Get(ctx, date)
	if len(rec.Audit) != 2 || rec.Audit[0].After.SHA256 != "new" || rec.Audit[1].By != "b@example.com" || rec.Audit[1].After.SHA256 != "third" {
		t.Errorf("audit = %+v, want both re-exports, oldest first", rec.Audit)
	}
}

// TestReexportOfADateNotDone: on a date with no lock the request acts like a normal trigger (generation 1) and is
// still recorded; a plain trigger of a done date stays already_done. Bug caught: a re-export request dropped when
// the date was not done, or a plain trigger that re-exports.
func TestReexportOfADateNotDone(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	a, err := s.Acquire(ctx, date, t0, export.AcquireOptions{TTL: time.Hour, Reexport: &export.Reexport{By: "ops@example.com", Reason: "first"}})
	if err != nil || a.Outcome != export.LockAcquired || a.Correction == nil || a.Correction.Reason != "first" {
		t.Fatalf("Acquire = %+v, %v; want acquired with the request recorded", a, err)
	}
	if err := s.Done(ctx, a.Lease, export.Summary{Date: date, SHA256: "s"}, t0); err != nil {
		t.Fatal(err)
	}
	if d, err := s.Acquire(ctx, date, t0.Add(time.Hour), export.AcquireOptions{TTL: time.Hour}); err != nil || d.Outcome != export.LockAlreadyDone {
		t.Errorf("plain trigger of the done date = %+v, %v; want already_done", d, err)
	}
}
