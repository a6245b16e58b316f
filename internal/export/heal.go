package export

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Healing: when every one of a day's scheduled attempts failed (an outage longer than the retry schedule), no
// later trigger names that day again. So every run first finishes the unfinished dates before its own, within the
// backfill window and oldest first, each under its own lock, lease, file and summary, exactly as a run for that
// date would. No operator command is needed after an outage of any length within the window.
//
// A date is unfinished when
//   - its lock is not done and not blocked (running with an expired lease, uploaded, or failed and retryable);
//   - entries are exporting for it and its lock is not done (an attempt died after its claim);
//   - it has no lock at all, yet lies between the oldest date with a lock and the run's own date (every attempt
//     died before taking the lock, for example during a Firestore outage, or gave up healing an earlier date).
//
// Entries still exporting for a done date were claimed by an attempt that lost its lease after the date's file
// was made; no file holds them (the marks reconcile the file's generation), so they go back to the queue, where
// the next date claims them.

// historyDays is how far before the backfill window the run looks for dates nobody can finish any more.
const historyDays = 366

// FailingAfter is how many attempts in a row must fail with the same mismatch before a date counts as failing:
// stuck, reported, and skipped by healing, instead of retried as if it were an outage.
const FailingAfter = 3

// heal finishes the unfinished dates before own and reports what it did, and what it found stuck. A non-nil wait
// means the own date must not be exported now: an earlier date that can be finished is still unfinished (it is
// busy, or failed on an outage), or the dates could not be looked up. Exporting the own date then would put the
// earlier date's entries into the own date's file; the caller answers so that Cloud Scheduler retries instead.
func (r *Runner) heal(ctx context.Context, own string, now time.Time) ([]Healed, Stuck, *Error) {
	dates, stuck, err := r.unfinished(ctx, own, now, true)
	if err != nil {
		// Healing needs MongoDB and Firestore; with either down the earlier dates cannot even be listed.
		// The answer's class is the outage's own (mongo, firestore, timeout), for the alerts and the runbook.
		r.Logger.WarnContext(ctx, "looking for unfinished dates failed; the own date waits", "batchDate", own, "error", err.Error())
		class := ClassEarlierDate
		if e := (*Error)(nil); errors.As(err, &e) {
			class = e.Class
		}
		return nil, stuck, &Error{Step: "heal", Class: class,
			Err: fmt.Errorf("%w: looking for unfinished dates before %s failed: %w", ErrEarlierUnfinished, own, err)}
	}
	var healed []Healed
	for _, d := range dates {
		if ctx.Err() != nil {
			return healed, stuck, &Error{Step: "heal", Class: ClassEarlierDate,
				Err: fmt.Errorf("%w: the run's time ran out before %s: %w", ErrEarlierUnfinished, d, ctx.Err())}
		}
		r.Logger.InfoContext(ctx, "finishing an earlier date first", "batchDate", d, "ownDate", own)
		began := time.Now()
		start := r.Now()
		b, err := r.batch(Request{Date: d}, start)
		h := Healed{Date: d}
		if err == nil {
			var rep Report
			rep, err = r.runDate(ctx, r.withHeld(b, stuck), Request{Date: d}, start, began, nil)
			h.Outcome = rep.Outcome
		}
		var e *Error
		switch {
		case err != nil && errors.As(err, &e) && e.Permanent():
			// Blocked from now on: its window's entries wait for it, and the dates after it go on.
			h.Outcome, h.Error = OutcomeFailed, err.Error()
			stuck.Blocked = append(stuck.Blocked, d)
		case err != nil:
			// An outage (or a mismatch not yet seen to repeat): the dates after it would fail too, and the own
			// date must not take this one's entries.
			h.Outcome, h.Error = OutcomeFailed, err.Error()
			healed = append(healed, h)
			return healed, stuck, &Error{Step: "heal", Class: ClassEarlierDate,
				Err: fmt.Errorf("%w: %s failed: %v", ErrEarlierUnfinished, d, err)}
		case h.Outcome == OutcomeBusy:
			healed = append(healed, h)
			return healed, stuck, &Error{Step: "heal", Class: ClassEarlierDate,
				Err: fmt.Errorf("%w: %s is busy: another attempt holds its lease", ErrEarlierUnfinished, d)}
		}
		healed = append(healed, h)
	}
	slices.Sort(stuck.Blocked)
	r.obs().Stuck(ctx, stuck.Unclaimable, int64(len(stuck.Blocked)), int64(len(stuck.Abandoned)), int64(len(stuck.Failing)))
	return healed, stuck, nil
}

// withHeld returns b with the windows of the stuck dates before it held: a blocked or failing date keeps its
// window's queued entries until it is cleared, so no later date's claim takes them.
func (r *Runner) withHeld(b Batch, stuck Stuck) Batch {
	b.Held = nil
	for _, d := range slices.Concat(stuck.Blocked, stuck.Failing) {
		if d >= b.Date {
			continue
		}
		from, to, err := r.window(d)
		if err != nil {
			continue // a date this package listed always parses
		}
		b.Held = append(b.Held, Window{Date: d, From: from, To: to})
	}
	return b
}

// window is the span of createdAt instants [from, to) whose entries belong to date: from the cutoff of the day
// before to the date's own cutoff.
func (r *Runner) window(date string) (from, to time.Time, err error) {
	to, err = r.Cutoff(date)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	from, err = r.Cutoff(mustDay(date).AddDate(0, 0, -1).Format(time.DateOnly))
	return from, to, err
}

// Stuck reports the work no run can finish without an operator, as of now, changing nothing: /health shows it.
func (r *Runner) Stuck(ctx context.Context) (Stuck, error) {
	now := r.Now()
	next := mustDay(r.DateAt(now)).AddDate(0, 0, 1).Format(time.DateOnly)
	_, stuck, err := r.unfinished(ctx, next, now, false)
	return stuck, err
}

// unfinished lists the dates before own that a run should finish first, oldest first, and the stuck work. With
// repair, it also returns to the queue the entries a stale attempt claimed for a done date.
func (r *Runner) unfinished(ctx context.Context, own string, now time.Time, repair bool) ([]string, Stuck, error) {
	var stuck Stuck
	first, err := r.firstDate(now)
	if err != nil {
		return nil, stuck, err
	}
	ownDay, err := time.Parse(time.DateOnly, own)
	if err != nil {
		return nil, stuck, err
	}
	last := ownDay.AddDate(0, 0, -1).Format(time.DateOnly)
	from := mustDay(first).AddDate(0, 0, -historyDays).Format(time.DateOnly)
	var errs []error
	recs, rangeErr := r.Locker.Range(ctx, from, last)
	if rangeErr != nil {
		errs = append(errs, stepError("heal", ClassFirestore, rangeErr))
	}
	byDate := make(map[string]Record, len(recs))
	todo := map[string]bool{}
	oldest := "" // the oldest date with a lock: the export has been running since
	for _, rec := range recs {
		byDate[rec.Date] = rec
		if oldest == "" || rec.Date < oldest {
			oldest = rec.Date
		}
		switch {
		case rec.State == StateDone:
		case rec.Date < first:
			stuck.Abandoned = append(stuck.Abandoned, rec.Date)
		case rec.State == StateFailed && rec.Permanent && rec.Fingerprint == r.Fingerprint:
			stuck.Blocked = append(stuck.Blocked, rec.Date)
		case failing(rec):
			stuck.Failing = append(stuck.Failing, rec.Date)
		default:
			todo[rec.Date] = true
		}
	}
	pending, err := r.Queue.Pending(ctx)
	if err != nil {
		errs = append(errs, stepError("heal", ClassMongo, err))
	}
	for _, d := range pending {
		if d >= own {
			continue
		}
		rec, locked := byDate[d]
		switch {
		case locked && rec.State == StateDone && !repair:
		case locked && rec.State == StateDone:
			// A stale attempt's claim after the date's file was made: no file holds these entries.
			n, err := r.Queue.Release(ctx, Batch{Date: d, Generation: rec.Generation})
			if err != nil {
				errs = append(errs, stepError("heal", ClassMongo, err))
				continue
			}
			r.Logger.WarnContext(ctx, "returned entries a stale attempt claimed for a done date to the queue", "batchDate", d, "entries", n)
		case d < first:
			if !slices.Contains(stuck.Abandoned, d) {
				stuck.Abandoned = append(stuck.Abandoned, d)
			}
		case locked && rec.State == StateFailed && rec.Permanent && rec.Fingerprint == r.Fingerprint:
			// blocked, listed above
		case locked && failing(rec):
			// failing, listed above
		default:
			todo[d] = true
		}
	}
	// A date with no lock at all, after the first date the export ran for: every attempt of it died before taking
	// its lock (a Firestore outage, say), and Cloud Scheduler will not name it again.
	if oldest != "" && rangeErr == nil {
		for day := mustDay(max(oldest, first)); ; day = day.AddDate(0, 0, 1) {
			d := day.Format(time.DateOnly)
			if d > last {
				break
			}
			if _, locked := byDate[d]; !locked {
				todo[d] = true
			}
		}
	}
	if stuck.Unclaimable, err = r.Queue.Unclaimable(ctx); err != nil {
		errs = append(errs, stepError("heal", ClassMongo, err))
	}
	dates := make([]string, 0, len(todo))
	for d := range todo {
		dates = append(dates, d)
	}
	slices.Sort(dates)
	slices.Sort(stuck.Abandoned)
	return dates, stuck, errors.Join(errs...)
}

// failing reports whether a date's last FailingAfter attempts all failed with the same mismatch: a failure no
// retry fixes by itself (an operator must look), not an outage.
func failing(rec Record) bool {
	return rec.State == StateFailed && !rec.Permanent && rec.ErrorClass == ClassMismatch && rec.Repeats >= FailingAfter
}

// firstDate is the oldest date the backfill window still admits at now.
func (r *Runner) firstDate(now time.Time) (string, error) {
	d := r.DateAt(now.Add(-r.BackfillWindow))
	c, err := r.Cutoff(d)
	if err != nil {
		return "", err
	}
	if now.Sub(c) > r.BackfillWindow {
		d = mustDay(d).AddDate(0, 0, 1).Format(time.DateOnly)
	}
	return d, nil
}

// mustDay parses a date this package formatted.
func mustDay(d string) time.Time {
	t, err := time.Parse(time.DateOnly, d)
	if err != nil {
		panic("export: bad date " + d)
	}
	return t
}
