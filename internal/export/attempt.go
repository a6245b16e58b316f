package export

import (
	"context"
	"fmt"
	"time"
)

// An attempt is one run's work under a lease: it continues from the phase the lock recorded, and on failure
// records it, releasing the claim only when nothing of the date can be live in Drive.

// attempt is one run's work under a lease.
type attempt struct {
	*Runner
	b       Batch
	acq     Acquisition
	began   time.Time
	reached bool   // something reached Drive: a session or a file may exist
	made    string // the id of the file this attempt's upload completed, if any
	session string // the resumable session this attempt's upload used (its own, or the earlier one it resumed)
}

// export continues from the phase the record reached.
func (a *attempt) export(ctx context.Context) (Summary, error) {
	rec := a.acq.Record
	phase := rec.State
	if phase == StateFailed {
		phase = rec.Phase
	}
	var (
		s    Summary
		file File
	)
	if a.acq.Outcome == LockTakeover && phase == StateUploaded && rec.File != nil && rec.Summary != nil {
		// The file is complete in Drive and recorded: only the marks are left.
		file, s = *rec.File, *rec.Summary
	} else {
		var err error
		if file, s, err = a.produce(ctx); err != nil {
			return Summary{}, err
		}
		rctx, endRecord := a.obs().StartStep(ctx, StepRecord, a.b.Date, a.b.Generation)
		err = a.Locker.Uploaded(rctx, a.acq.Lease, file, s, a.Now())
		endRecord(err)
		if err != nil {
			return Summary{}, stepError("record upload", ClassFirestore, err)
		}
		a.reach(PointRecorded, s.Bytes)
	}
	s.Generation, s.Attempt = a.acq.Lease.Generation, a.acq.Lease.Attempt
	if err := a.mark(ctx, file, s); err != nil {
		return Summary{}, err
	}
	return a.report(ctx, s)
}

// recordFailure writes the failure on the lock, with a short context of its own since the run's may be spent.
// Only an attempt that still holds the lease goes on: after a permanent failure, and only when nothing of the date
// can be live in Drive, the claimed entries go back to the queue.
func (a *attempt) recordFailure(ctx context.Context, e *Error) {
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 20*time.Second)
	defer cancel()
	f := Failed{Class: e.Class, Permanent: e.Permanent(), Message: e.Error(), Fingerprint: a.Fingerprint}
	if err := a.Locker.Fail(fctx, a.acq.Lease, f, a.Now()); err != nil {
		// Lost the lease, or Firestore is down: either way this attempt no longer decides for the date.
		a.Logger.ErrorContext(ctx, "recording the failure on the lock failed", "batchDate", a.b.Date, "error", err.Error())
		return
	}
	if !e.Permanent() {
		return
	}
	if live, why := a.mayBeLive(fctx); live {
		a.Logger.WarnContext(ctx, "claimed entries kept: a file of the date may be live in Drive", "batchDate", a.b.Date, "why", why)
		return
	}
	if n, err := a.Queue.Release(fctx, a.b); err != nil {
		a.Logger.ErrorContext(ctx, "returning the claimed entries to the queue failed", "batchDate", a.b.Date, "error", err.Error())
	} else {
		a.Logger.WarnContext(ctx, "claimed entries returned to the queue after a permanent failure", "batchDate", a.b.Date, "entries", n)
	}
}

// mayBeLive reports whether a file holding the date's entries may be live in Drive, and why: a file or an upload
// session is recorded, this attempt reached Drive, or Drive lists a live file of the date (or cannot be asked).
func (a *attempt) mayBeLive(ctx context.Context) (bool, string) {
	switch {
	case a.acq.Record.File != nil:
		return true, "a file is recorded"
	case a.acq.Record.Upload != nil:
		return true, "an earlier attempt's upload session is recorded"
	case a.reached:
		return true, "this attempt reached Drive"
	}
	files, err := a.Drive.Find(ctx, a.b.Date)
	if err != nil {
		return true, "Drive could not be asked: " + err.Error()
	}
	if len(files) > 0 {
		return true, fmt.Sprintf("Drive lists %d live file(s) of the date", len(files))
	}
	return false, ""
}

// holdsLease reads the date's lock and reports whether it still names this attempt's generation and is not done:
// whether this attempt may still change what the date's export owns.
func (a *attempt) holdsLease(ctx context.Context) (Record, bool, error) {
	rec, found, err := a.Locker.Get(ctx, a.b.Date)
	if err != nil {
		return Record{}, false, err
	}
	return rec, found && rec.Generation == a.b.Generation && rec.State != StateDone, nil
}
