package lease_test

import (
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/siamledger/ledger-export/internal/export"
	"github.com/siamledger/ledger-export/internal/lease"
	"github.com/siamledger/ledger-export/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

const date = "2026-11-28"

var t0 = time.Date(2026, 11, 28, 11, 0, 0, 0, time.UTC)

func newStore(t *testing.T) *lease.Store {
	c, _ := testenv.Firestore(t)
	return lease.New(c, "runs", "test", 30*time.Second)
}

func TestAcquireOnceThenBusyThenDone(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	a, err := s.Acquire(ctx, date, t0, export.AcquireOptions{TTL: time.Hour})
	if err != nil || a.Outcome != export.LockAcquired || a.Lease.Generation != 1 {
		t.Fatalf("Acquire() = %+v, %v; want acquired at generation 1", a, err)
	}
	b, err := s.Acquire(ctx, date, t0.Add(time.Minute), export.AcquireOptions{TTL: time.Hour})
	if err != nil || b.Outcome != export.LockBusy || !b.Record.LeaseExpiresAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("second Acquire() = %+v, %v; want busy until %v", b, err, t0.Add(time.Hour))
	}
	sum := export.Summary{Date: date, Rows: 7, SHA256: "abc"}
	if err := s.Uploaded(ctx, a.Lease, export.File{ID: "f1", Name: "x.csv"}, sum, t0); err != nil {
		t.Fatalf("Uploaded() = %v", err)
	}
	if err := s.Done(ctx, a.Lease, sum, t0.Add(2*time.Minute)); err != nil {
		t.Fatalf("Done() = %v", err)
	}
	c, err := s.Acquire(ctx, date, t0.Add(3*time.Minute), export.AcquireOptions{TTL: time.Hour})
	if err != nil || c.Outcome != export.LockAlreadyDone || c.Record.Summary == nil || c.Record.Summary.Rows != 7 {
		t.Fatalf("Acquire() after Done = %+v, %v; want already_done with the summary of 7 rows", c, err)
	}
	rec, found, err := s.Get(ctx, date)
	if err != nil || !found || rec.State != export.StateDone || rec.File == nil || rec.File.ID != "f1" {
		t.Errorf("Get() = %+v, %v, %v; want done with file f1", rec, found, err)
	}
	latest, found, err := s.Latest(ctx, true)
	if err != nil || !found || latest.Date != date {
		t.Errorf("Latest(done) = %+v, %v, %v; want %s", latest, found, err, date)
	}
}

func TestConcurrentAcquireGrantsOneLease(t *testing.T) {
	s := newStore(t)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		outcomes = map[export.LockOutcome]int{}
	)
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, err := s.Acquire(t.Context(), date, t0, export.AcquireOptions{TTL: time.Hour})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				t.Errorf("Acquire() error = %v", err)
				return
			}
			outcomes[a.Outcome]++
		}()
	}
	wg.Wait()
	if outcomes[export.LockAcquired] != 1 || outcomes[export.LockBusy] != 9 {
		t.Errorf("10 concurrent Acquire() outcomes = %v, want 1 acquired and 9 busy", outcomes)
	}
}

func TestTakeoverFencesTheOldHolder(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	old, err := s.Acquire(ctx, date, t0, export.AcquireOptions{TTL: time.Hour})
	if err != nil {
		t.Fatalf("Acquire() = %v", err)
	}
	// The old holder recorded its upload, then died; its lease runs out.
	if err := s.Uploaded(ctx, old.Lease, export.File{ID: "f1"}, export.Summary{Date: date, Rows: 3}, t0); err != nil {
		t.Fatalf("Uploaded() = %v", err)
	}
	later := t0.Add(time.Hour + time.Second)
	nu, err := s.Acquire(ctx, date, later, export.AcquireOptions{TTL: time.Hour})
	if err != nil || nu.Outcome != export.LockTakeover || nu.Lease.Generation != 2 || nu.Lease.Attempt != 2 {
		t.Fatalf("Acquire() after expiry = %+v, %v; want takeover at generation 2, attempt 2", nu, err)
	}
	if nu.Record.State != export.StateUploaded || nu.Record.File == nil || nu.Record.File.ID != "f1" {
		t.Errorf("takeover record = %+v, want the uploaded state with file f1 to continue from", nu.Record)
	}
	if err := s.Done(ctx, old.Lease, export.Summary{}, later); !errors.Is(err, export.ErrLeaseLost) {
		t.Errorf("Done() by the old generation = %v, want ErrLeaseLost", err)
	}
	if err := s.Done(ctx, nu.Lease, export.Summary{Date: date}, later); err != nil {
		t.Errorf("Done() by the new generation = %v", err)
	}
}

func TestFailReleasesTheLeaseAndKeepsThePhase(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	a, err := s.Acquire(ctx, date, t0, export.AcquireOptions{TTL: time.Hour})
	if err != nil {
		t.Fatalf("Acquire() = %v", err)
	}
	if err := s.Uploaded(ctx, a.Lease, export.File{ID: "f1"}, export.Summary{Date: date}, t0); err != nil {
		t.Fatalf("Uploaded() = %v", err)
	}
	if err := s.Fail(ctx, a.Lease, export.Failed{Class: export.ClassMongo, Message: "mark: connection reset"}, t0.Add(time.Minute)); err != nil {
		t.Fatalf("Fail() = %v", err)
	}
	rec, _, err := s.Get(ctx, date)
	if err != nil || rec.State != export.StateFailed || rec.Phase != export.StateUploaded || rec.ErrorClass != export.ClassMongo {
		t.Fatalf("Get() after Fail = %+v, %v; want failed in phase uploaded, class mongo", rec, err)
	}
	// No waiting for the lease: the next attempt takes over at once and continues from the upload.
	b, err := s.Acquire(ctx, date, t0.Add(2*time.Minute), export.AcquireOptions{TTL: time.Hour})
	if err != nil || b.Outcome != export.LockTakeover || b.Lease.Generation != 2 {
		t.Fatalf("Acquire() after Fail = %+v, %v; want takeover at generation 2", b, err)
	}
	rec, _, _ = s.Get(ctx, date)
	if rec.State != export.StateUploaded || rec.Error != "" {
		t.Errorf("Get() after takeover = state %s error %q, want uploaded with the error cleared", rec.State, rec.Error)
	}
}
