package lease_test

import (
	"testing"
	"time"

	"github.com/siamledger/ledger-export/internal/export"
)

// Record.Repeats counts the failures in a row of one class, across takeovers: a second mismatch makes 2, a
// failure of another class starts again at 1, and Done clears it. The export counts a date failing (stuck, and
// skipped by healing) after export.FailingAfter mismatches in a row. Bugs caught: the count never stored, or its
// class dropped from the document (the count never passes 1, so a date whose every attempt mismatches is retried
// as an outage for ever), a failure of another class counted on (an outage between mismatches makes a date
// failing), the count kept after the date is done.
func TestRepeatsCountOneClassInARow(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	at := t0
	for i, tc := range []struct {
		class export.Class
		want  int64
	}{
		{export.ClassMismatch, 1},
		{export.ClassMismatch, 2},
		{export.ClassMongo, 1},
		{export.ClassMismatch, 1},
		{export.ClassMismatch, 2},
		{export.ClassMismatch, 3},
	} {
		a, err := s.Acquire(ctx, date, at, export.AcquireOptions{TTL: time.Hour})
		if err != nil || (a.Outcome != export.LockAcquired && a.Outcome != export.LockTakeover) {
			t.Fatalf("attempt %d: Acquire() = %+v, %v", i+1, a, err)
		}
		if err := s.Fail(ctx, a.Lease, export.Failed{Class: tc.class, Message: "failed"}, at); err != nil {
			t.Fatalf("attempt %d: Fail() = %v", i+1, err)
		}
		rec, _, err := s.Get(ctx, date)
		if err != nil || rec.Repeats != tc.want || rec.ErrorClass != tc.class {
			t.Fatalf("attempt %d: after a %s failure Repeats = %d (class %s), %v; want %d", i+1, tc.class, rec.Repeats, rec.ErrorClass, err, tc.want)
		}
		at = at.Add(time.Minute)
	}
	a, err := s.Acquire(ctx, date, at, export.AcquireOptions{TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Done(ctx, a.Lease, export.Summary{Date: date, Generation: a.Lease.Generation}, at); err != nil {
		t.Fatal(err)
	}
	if rec, _, err := s.Get(ctx, date); err != nil || rec.Repeats != 0 {
		t.Errorf("after Done Repeats = %d, %v; want 0", rec.Repeats, err)
	}
}

// A re-export's "before" figures carry the generation that made the done file (the summary's), not the lock's
// current one: a takeover that only marked the entries of a file an earlier generation uploaded leaves the lock
// one generation ahead. Bug caught: the audit trail naming a generation that never wrote the file it replaced.
func TestReexportPreviousIsTheFilesGeneration(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	a, err := s.Acquire(ctx, date, t0, export.AcquireOptions{TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	sum := export.Summary{Date: date, Rows: 3, EntriesExported: 2, Generation: 1}
	if err := s.Uploaded(ctx, a.Lease, export.File{ID: "f1", MD5: "m1"}, sum, t0); err != nil {
		t.Fatal(err)
	}
	if err := s.Fail(ctx, a.Lease, export.Failed{Class: export.ClassMongo, Message: "mark: connection reset"}, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	b, err := s.Acquire(ctx, date, t0.Add(2*time.Minute), export.AcquireOptions{TTL: time.Hour})
	if err != nil || b.Lease.Generation != 2 {
		t.Fatalf("takeover = %+v, %v; want generation 2", b, err)
	}
	if err := s.Done(ctx, b.Lease, sum, t0.Add(3*time.Minute)); err != nil {
		t.Fatal(err)
	}
	x := &export.Reexport{By: "ops@example.com", Reason: "rate fixed"}
	r, err := s.Acquire(ctx, date, t0.Add(time.Hour), export.AcquireOptions{TTL: time.Hour, Reexport: x})
	if err != nil || r.Correction == nil || r.Lease.Generation != 3 {
		t.Fatalf("re-export Acquire = %+v, %v; want a takeover at generation 3 with a correction", r, err)
	}
	if g := r.Correction.Previous.Generation; g != 1 {
		t.Errorf("correction's previous generation = %d, want 1 (the done summary's, not the lock's 2)", g)
	}
}
