package lease_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/siamledger/ledger-export/internal/export"
)

// TestNoticeClaimedOnce: of concurrent claims of a date's notice exactly one wins; a claim that lapses without the
// notice being sent can be taken again; once recorded as sent, the notice is never claimed again; and the lock's
// own life (a done date found done) is unchanged by the notices on it. Fails if two claims can both win (no
// precondition), if a sent notice can be claimed, or if the notices field breaks the lock's decoding.
func TestNoticeClaimedOnce(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	if ok, err := s.ClaimNotice(ctx, date, "ready", t0, t0.Add(time.Minute)); err != nil || ok {
		t.Fatalf("ClaimNotice without a lock = %v, %v; want false", ok, err)
	}
	a, err := s.Acquire(ctx, date, t0, export.AcquireOptions{TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	sum := export.Summary{Date: date, Rows: 7}
	if err := s.Uploaded(ctx, a.Lease, export.File{ID: "f1"}, sum, t0); err != nil {
		t.Fatal(err)
	}
	if err := s.Done(ctx, a.Lease, sum, t0); err != nil {
		t.Fatal(err)
	}

	var won atomic.Int32
	var wg sync.WaitGroup
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := s.ClaimNotice(ctx, date, "ready", t0, t0.Add(2*time.Minute))
			if err != nil {
				t.Errorf("ClaimNotice = %v", err)
			}
			if ok {
				won.Add(1)
			}
		}()
	}
	wg.Wait()
	if won.Load() != 1 {
		t.Fatalf("%d concurrent claims won, want 1", won.Load())
	}
	if ok, _ := s.ClaimNotice(ctx, date, "ready", t0.Add(time.Minute), t0.Add(3*time.Minute)); ok {
		t.Errorf("a claim won while another's was unexpired")
	}
	if ok, err := s.ClaimNotice(ctx, date, "ready", t0.Add(3*time.Minute), t0.Add(5*time.Minute)); err != nil || !ok {
		t.Errorf("a claim after the last one lapsed = %v, %v; want it won", ok, err)
	}
	if ok, err := s.ClaimNotice(ctx, date, "late", t0, t0.Add(time.Minute)); err != nil || !ok {
		t.Errorf("another kind's claim = %v, %v; want it won", ok, err)
	}
	if err := s.NoticeSent(ctx, date, "ready", t0.Add(4*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.ClaimNotice(ctx, date, "ready", t0.Add(time.Hour), t0.Add(2*time.Hour)); ok {
		t.Errorf("a sent notice was claimed again")
	}
	c, err := s.Acquire(ctx, date, t0.Add(time.Hour), export.AcquireOptions{TTL: time.Hour})
	if err != nil || c.Outcome != export.LockAlreadyDone || c.Record.Summary == nil || c.Record.Summary.Rows != 7 {
		t.Errorf("Acquire after the notices = %+v, %v; want already_done with its summary", c, err)
	}
}
