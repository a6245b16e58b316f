package lease_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/siamledger/ledger-export/internal/export"
)

// TestRecordKeepsWhatWasWritten: every optional field a write sets reads back from Firestore as written (updates
// deletes a field only when it is empty): the upload session of Progress, and the error, class, permanence and
// configuration fingerprint of Fail. The fingerprint then decides: the same configuration finds the date blocked,
// another takes it over, clearing the failure and keeping the upload to resume. Fails if a set field is deleted
// (an empty check inverted): a lost upload restarts a 1 GB upload, a lost error leaves the operator no cause, and
// a lost fingerprint lets every trigger retry a permanent failure instead of blocking.
func TestRecordKeepsWhatWasWritten(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	a, err := s.Acquire(ctx, date, t0, export.AcquireOptions{TTL: time.Hour, Fingerprint: "fp1"})
	if err != nil || a.Outcome != export.LockAcquired {
		t.Fatalf("Acquire() = %+v, %v", a, err)
	}
	up := export.UploadSession{URI: "https://upload.example/s1", Offset: 262144, HashState: []byte{1, 2, 3}, Generation: 1}
	if err := s.Progress(ctx, a.Lease, up, t0.Add(time.Minute)); err != nil {
		t.Fatalf("Progress() = %v", err)
	}
	rec, _, err := s.Get(ctx, date)
	if err != nil || rec.Upload == nil || rec.Upload.URI != up.URI || rec.Upload.Offset != up.Offset ||
		!bytes.Equal(rec.Upload.HashState, up.HashState) || rec.Upload.Generation != 1 || rec.Error != "" || rec.Permanent {
		t.Fatalf("Get() after Progress = %+v (upload %+v), %v; want the session at 262144 and no error", rec, rec.Upload, err)
	}
	f := export.Failed{Class: export.ClassDrivePermanent, Permanent: true, Message: "drive: 403 insufficientFilePermissions", Fingerprint: "fp1"}
	if err := s.Fail(ctx, a.Lease, f, t0.Add(2*time.Minute)); err != nil {
		t.Fatalf("Fail() = %v", err)
	}
	rec, _, err = s.Get(ctx, date)
	if err != nil || rec.State != export.StateFailed || rec.Error != f.Message || rec.ErrorClass != f.Class || !rec.Permanent ||
		rec.Fingerprint != "fp1" || rec.Upload == nil || rec.Upload.URI != up.URI {
		t.Fatalf("Get() after Fail = %+v, %v; want failed with %q, class, permanent, fingerprint fp1 and the upload", rec, err, f.Message)
	}
	b, err := s.Acquire(ctx, date, t0.Add(3*time.Minute), export.AcquireOptions{TTL: time.Hour, Fingerprint: "fp1"})
	if err != nil || b.Outcome != export.LockBlocked || b.Record.Error != f.Message {
		t.Fatalf("Acquire() with the same configuration = %+v, %v; want blocked with the error", b.Outcome, err)
	}
	c, err := s.Acquire(ctx, date, t0.Add(4*time.Minute), export.AcquireOptions{TTL: time.Hour, Fingerprint: "fp2"})
	if err != nil || c.Outcome != export.LockTakeover || c.Lease.Generation != 2 {
		t.Fatalf("Acquire() with another configuration = %+v, %v; want takeover at generation 2", c.Outcome, err)
	}
	rec, _, err = s.Get(ctx, date)
	if err != nil || rec.State != export.StateRunning || rec.Error != "" || rec.ErrorClass != "" || rec.Permanent ||
		rec.Fingerprint != "" || rec.Upload == nil || rec.Upload.Offset != up.Offset {
		t.Errorf("Get() after the takeover = %+v, %v; want running, the failure cleared, the upload kept", rec, err)
	}
}
