package lease_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/siamledger/ledger-export/internal/export"
	"github.com/siamledger/ledger-export/internal/lease"
)

// staleAndCurrent makes an attempt at generation 1 that records an upload session and then loses its lease to a
// takeover at generation 2, and returns both leases with the lock as the takeover left it.
func staleAndCurrent(t *testing.T) (*lease.Store, export.Lease, export.Lease, export.Record) {
	t.Helper()
	s := newStore(t)
	ctx := t.Context()
	old, err := s.Acquire(ctx, date, t0, export.AcquireOptions{TTL: time.Hour})
	if err != nil || old.Outcome != export.LockAcquired {
		t.Fatalf("Acquire() = %+v, %v; want acquired", old, err)
	}
	if err := s.Progress(ctx, old.Lease, export.UploadSession{URI: "https://upload/old", Offset: 256 << 10, Generation: 1}, t0); err != nil {
		t.Fatalf("Progress(generation 1) = %v", err)
	}
	nu, err := s.Acquire(ctx, date, t0.Add(time.Hour+time.Second), export.AcquireOptions{TTL: time.Hour})
	if err != nil || nu.Outcome != export.LockTakeover || nu.Lease.Generation != 2 {
		t.Fatalf("Acquire() after expiry = %+v, %v; want takeover at generation 2", nu, err)
	}
	rec, found, err := s.Get(ctx, date)
	if err != nil || !found {
		t.Fatalf("Get() = %v, %v", found, err)
	}
	return s, old.Lease, nu.Lease, rec
}

// checkFenced fails unless write, made with the stale lease, returned export.ErrLeaseLost and left the lock
// exactly as the newer generation holds it, and the newer generation can still write.
func checkFenced(t *testing.T, s *lease.Store, before export.Record, current export.Lease, name string, err error) {
	t.Helper()
	if !errors.Is(err, export.ErrLeaseLost) {
		t.Errorf("%s with the stale generation-1 lease = %v, want export.ErrLeaseLost", name, err)
	}
	after, found, gerr := s.Get(t.Context(), date)
	if gerr != nil || !found {
		t.Fatalf("Get() = %v, %v", found, gerr)
	}
	if !reflect.DeepEqual(after, before) {
		t.Errorf("%s with the stale lease changed the lock:\n got %+v\nwant %+v", name, after, before)
	}
	if err := s.Progress(t.Context(), current, export.UploadSession{URI: "https://upload/new", Generation: 2}, t0.Add(2*time.Hour)); err != nil {
		t.Errorf("Progress() by the current generation after the stale %s = %v, want nil", name, err)
	}
}

// A Progress write that skipped the generation fence would point the lock at the frozen attempt's upload session,
// so that the takeover's next attempt resumes the wrong bytes.
func TestStaleProgressChangesNothing(t *testing.T) {
	s, old, nu, before := staleAndCurrent(t)
	err := s.Progress(t.Context(), old, export.UploadSession{URI: "https://upload/stale", Offset: 512 << 10, Generation: 1}, t0.Add(90*time.Minute))
	checkFenced(t, s, before, nu, "Progress()", err)
}

// An Uploaded write that skipped the fence (the mutant of the issue-10 audit: only Uploaded left unfenced) would
// record the frozen attempt's file as the date's, and the takeover would adopt it.
func TestStaleUploadedChangesNothing(t *testing.T) {
	s, old, nu, before := staleAndCurrent(t)
	err := s.Uploaded(t.Context(), old, export.File{ID: "stale-file", Name: "stale.csv", Generation: 1}, export.Summary{Date: date, Rows: 99, Generation: 1}, t0.Add(90*time.Minute))
	checkFenced(t, s, before, nu, "Uploaded()", err)
}

// A Done write that skipped the fence would end the date with the frozen attempt's summary while the takeover is
// still exporting: the date would read done, and healing would never finish the takeover's claim.
func TestStaleDoneChangesNothing(t *testing.T) {
	s, old, nu, before := staleAndCurrent(t)
	err := s.Done(t.Context(), old, export.Summary{Date: date, Rows: 99, Generation: 1}, t0.Add(90*time.Minute))
	checkFenced(t, s, before, nu, "Done()", err)
}

// A Fail write that skipped the fence would release the takeover's live lease (a third attempt would start next
// to it) and record the frozen attempt's error as the date's.
func TestStaleFailChangesNothing(t *testing.T) {
	s, old, nu, before := staleAndCurrent(t)
	err := s.Fail(t.Context(), old, export.Failed{Class: export.ClassDriveTransient, Message: "stale: drive 503"}, t0.Add(90*time.Minute))
	checkFenced(t, s, before, nu, "Fail()", err)
}
