package lease_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/siamledger/ledger-export/internal/export"
	"github.com/siamledger/ledger-export/internal/lease"
	"github.com/siamledger/ledger-export/internal/testenv"
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

// TestExpireAtIsTheDatePlusRetention: the lock document's expireAt, which a Firestore TTL policy may act on, is the
// batch date (midnight UTC) plus Retention, whatever the time of the first attempt. Fails if it is computed from
// the attempt's clock instead (a date exported late would be kept longer, one backfilled early deleted sooner than
// the documented 400 days), or if Retention is not 400 days.
func TestExpireAtIsTheDatePlusRetention(t *testing.T) {
	c, _ := testenv.Firestore(t)
	s := lease.New(c, "runs", "test", 30*time.Second)
	late := t0.Add(50 * time.Hour) // two days after the date
	if _, err := s.Acquire(t.Context(), date, late, export.AcquireOptions{TTL: time.Hour}); err != nil {
		t.Fatalf("Acquire() = %v", err)
	}
	snap, err := c.Collection("runs").Doc(date).Get(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	got, err := snap.DataAt("expireAt")
	want := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 400)
	if at, ok := got.(time.Time); err != nil || !ok || !at.Equal(want) || lease.Retention != 400*24*time.Hour {
		t.Errorf("expireAt = %v (%v), Retention %v; want %v, 400 days", got, err, lease.Retention, want)
	}
}

// TestRangeListsTheDatesBetween: Range returns the records of the dates from through to, both included, oldest
// first, and none outside (notify's missed-notice loop reads the 7 days before a date with it). Fails if a record
// is dropped, one outside the range is returned, or a readable record is taken for an error.
func TestRangeListsTheDatesBetween(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	for _, d := range []string{"2026-11-20", "2026-11-21", "2026-11-24", "2026-11-27", "2026-11-28"} {
		if _, err := s.Acquire(ctx, d, t0, export.AcquireOptions{TTL: time.Hour}); err != nil {
			t.Fatalf("Acquire(%s) = %v", d, err)
		}
	}
	recs, err := s.Range(ctx, "2026-11-21", "2026-11-27")
	var got []string
	for _, r := range recs {
		got = append(got, r.Date+":"+string(r.State))
	}
	if want := "2026-11-21:running,2026-11-24:running,2026-11-27:running"; err != nil || strings.Join(got, ",") != want {
		t.Errorf("Range(21, 27 Nov) = %v, %v; want %s", got, err, want)
	}
	if recs, err := s.Range(ctx, "2026-11-22", "2026-11-23"); err != nil || len(recs) != 0 {
		t.Errorf("Range over no lock = %v, %v; want none", recs, err)
	}
}
