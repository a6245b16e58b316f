package notify

import (
	"context"
	"time"

	"github.com/siamledger/ledger-export/internal/export"
)

// Locker is an export.Locker that sends the notices at the points where a date's fate is written on its lock, so
// that the run itself knows nothing of them:
//
//   - Done (the date is finished): the "file is ready" notice, and those of the days before that an outage kept
//     from being sent;
//   - Acquire finding the date done: the "file is ready" notice again, which sends it only if an earlier attempt
//     could not (the claim on the lock says whether it was sent);
//   - Fail with a permanent failure, or Acquire finding the date blocked by one: the "file will be late" notice.
//
// A notice's problems are the Notifier's to log and count; what the wrapped Locker returns passes unchanged.
type Locker struct {
	export.Locker
	Notifier *Notifier
}

// Acquire acquires through the wrapped Locker, then sends a notice an earlier attempt may have missed.
func (l Locker) Acquire(ctx context.Context, date string, now time.Time, o export.AcquireOptions) (export.Acquisition, error) {
	acq, err := l.Locker.Acquire(ctx, date, now, o)
	if err != nil {
		return acq, err
	}
	switch acq.Outcome {
	case export.LockAlreadyDone:
		if s := acq.Record.Summary; s != nil {
			l.Notifier.Ready(ctx, *s)
		}
	case export.LockBlocked:
		l.Notifier.Late(ctx, date, acq.Record.ErrorClass, acq.Record.Error)
	}
	return acq, nil
}

// RetryDays is how many days before a finished date the run looks for "file is ready" (or "corrected") and "file
// will be late" notices that could not be sent (a webhook outage): the next day's run sends them, once each.
const RetryDays = 7

// Done records the date as done, then sends the "file is ready" notice, and the notices of the RetryDays dates
// before it that are done but whose notice was not sent. All of it comes after the date is recorded done, so no
// notice delays or fails the export.
func (l Locker) Done(ctx context.Context, le export.Lease, s export.Summary, now time.Time) error {
	if err := l.Locker.Done(ctx, le, s, now); err != nil {
		return err
	}
	l.Notifier.Ready(ctx, s)
	l.retryMissed(ctx, le.Date)
	return nil
}

// retryMissed sends the notices of the RetryDays dates before date that could not be sent: "ready" (or
// "corrected") for a done date, "late" for a date blocked by a permanent failure. A notice that was sent is not
// sent again (its claim on the lock says so).
func (l Locker) retryMissed(ctx context.Context, date string) {
	day, err := time.Parse(time.DateOnly, date)
	if err != nil {
		return
	}
	recs, err := l.Locker.Range(ctx, day.AddDate(0, 0, -RetryDays).Format(time.DateOnly), day.AddDate(0, 0, -1).Format(time.DateOnly))
	if err != nil {
		return // the notices wait for the next run; the export is unaffected
	}
	for _, rec := range recs {
		switch {
		case rec.State == export.StateDone && rec.Summary != nil:
			l.Notifier.Ready(ctx, *rec.Summary)
		case rec.State == export.StateFailed && rec.Permanent:
			l.Notifier.Late(ctx, rec.Date, rec.ErrorClass, rec.Error)
		}
	}
}

// Fail records the failure, then, for a permanent one or one only the accountant can fix (the account map), sends
// the "file will be late" notice.
func (l Locker) Fail(ctx context.Context, le export.Lease, f export.Failed, now time.Time) error {
	if err := l.Locker.Fail(ctx, le, f, now); err != nil {
		return err
	}
	if f.Permanent || f.Class == export.ClassAccountMap {
		l.Notifier.Late(ctx, le.Date, f.Class, f.Message)
	}
	return nil
}
