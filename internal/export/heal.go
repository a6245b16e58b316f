package export

import (
	"context"
	"errors"
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

// heal finishes the unfinished dates before own and reports what it did, and what it found stuck.
func (r *Runner) heal(ctx context.Context, own string, now time.Time) ([]Healed, Stuck) {
	dates, stuck, err := r.unfinished(ctx, own, now, true)
	if err != nil {
		// Healing needs MongoDB and Firestore; with either down it would only spend the attempt's time. The own
		// date goes on (and fails, retryably, if the outage lasts); the next run heals.
		r.Logger.WarnContext(ctx, "looking for unfinished dates failed; exporting the requested date only", "error", err.Error())
		dates = nil
	}
	var healed []Healed
	for _, d := range dates {
		if ctx.Err() != nil {
			break
		}
		if n := len(healed); n > 0 && healed[n-1].transient {
			// The last date failed on an outage: the others would too. The own date comes next.
			break
		}
		r.Logger.InfoContext(ctx, "finishing an earlier date first", "batchDate", d, "ownDate", own)
		began := time.Now()
		start := r.Now()
		b, err := r.batch(Request{Date: d}, start)
		h := Healed{Date: d}
		if err == nil {
			var rep Report
			rep, err = r.runDate(ctx, b, Request{Date: d}, start, began)
			h.Outcome = rep.Outcome
		}
		if err != nil {
			h.Outcome, h.Error = OutcomeFailed, err.Error()
			var e *Error
			h.transient = !errors.As(err, &e) || !e.Permanent()
		}
		healed = append(healed, h)
	}
	r.obs().Stuck(ctx, stuck.Unclaimable, int64(len(stuck.Blocked)), int64(len(stuck.Abandoned)))
	return healed, stuck
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
		errs = append(errs, rangeErr)
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
		default:
			todo[rec.Date] = true
		}
	}
	pending, err := r.Queue.Pending(ctx)
	if err != nil {
		errs = append(errs, err)
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
				errs = append(errs, err)
				continue
			}
			r.Logger.WarnContext(ctx, "returned entries a stale attempt claimed for a done date to the queue", "batchDate", d, "entries", n)
		case d < first:
			if !slices.Contains(stuck.Abandoned, d) {
				stuck.Abandoned = append(stuck.Abandoned, d)
			}
		case locked && rec.State == StateFailed && rec.Permanent && rec.Fingerprint == r.Fingerprint:
			// blocked, listed above
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
		errs = append(errs, err)
	}
	dates := make([]string, 0, len(todo))
	for d := range todo {
		dates = append(dates, d)
	}
	slices.Sort(dates)
	slices.Sort(stuck.Abandoned)
	return dates, stuck, errors.Join(errs...)
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
