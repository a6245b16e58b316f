package export

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Runner runs exports. Build one per process with every field set; it holds no per-run state.
type Runner struct {
	Locker Locker
	Queue  Queue
	Drive  Drive

	Now            func() time.Time // the clock; time.Now in production
	Location       *time.Location   // zone of batch dates and the cutoff
	CutoffHour     int
	CutoffMinute   int
	Lease          time.Duration // how long an attempt holds the date; longer than the function timeout
	BackfillWindow time.Duration // how far back a request may name a date
	FilePrefix     string
	ChunkSize      int    // the upload's chunk size: resume points fall on its multiples
	Buffers        int    // filled chunks that may wait for the upload, one chunk of memory each; 0: DefaultBuffers, <0: none
	Fingerprint    string // identifies the configuration; see AcquireOptions
	Format         Format // the file's kind: csvfile.Format or xlsxfile.Format
	Logger         *slog.Logger
	Observer       Observer // spans and metrics; nil observes nothing

	// source is what Format.Load read for this attempt (set on the attempt's copy of the runner; see loaded).
	source *Source

	// Reached, when set, is called at each named point of a run (see the Point constants) with the bytes uploaded
	// so far. Only the fault-injection harness sets it; production wiring leaves it nil.
	Reached func(point string, offset int64)
}

// Points of a run where the fault harness may stop the process.
const (
	PointLocked   = "after-lock"
	PointClaimed  = "after-claim"
	PointChunk    = "after-chunk" // after each chunk Drive confirms
	PointUploaded = "after-upload"
	PointRecorded = "after-record"
	PointMarked   = "after-mark"
	PointLogged   = "before-done"
)

func (r *Runner) reach(point string, offset int64) {
	if r.Reached != nil {
		r.Reached(point, offset)
	}
}

// Request asks for one batch date.
type Request struct {
	Date   string    // YYYY-MM-DD; when empty, the date whose cutoff is the latest at or before At
	At     time.Time // the trigger's scheduled time (constant across Cloud Scheduler's retries); zero means now
	DryRun bool      // compute the summary and change nothing anywhere
	// ClearFailure retries a date blocked by a permanent failure (an operator's decision, after fixing the cause).
	ClearFailure bool
	// Reexport exports the date again on an operator's request (see reexport.go); nil for an ordinary trigger.
	Reexport *Reexport
}

// Outcome says how a run ended.
type Outcome string

// The outcomes of Run.
const (
	OutcomeExported    Outcome = "exported"
	OutcomeAlreadyDone Outcome = "already_done"
	OutcomeBusy        Outcome = "busy"
	OutcomeDryRun      Outcome = "dry_run"
	OutcomeFailed      Outcome = "failed"
)

// Report is the result of Run.
type Report struct {
	Outcome    Outcome
	Date       string
	Summary    *Summary
	Lock       LockOutcome
	RetryAfter time.Duration // with OutcomeBusy: when the holder's lease ends
	// Healed are the earlier dates this run finished (or tried to) before its own, oldest first.
	Healed []Healed
	// Stuck is the work no run can finish without an operator, as found before this run's own date.
	Stuck Stuck
}

// Healed is the outcome of one earlier date a run finished before its own.
type Healed struct {
	Date    string  `json:"date"`
	Outcome Outcome `json:"outcome"`
	Error   string  `json:"error,omitempty"`
}

// FileName is the deterministic name of a date's file: PREFIX_YYYY-MM-DD.csv (or the Format's extension).
func (r *Runner) FileName(date string) string { return r.FilePrefix + "_" + date + "." + r.extension() }

// Cutoff returns the instant that closes a batch date: the date at the cutoff time in the configured zone.
func (r *Runner) Cutoff(date string) (time.Time, error) {
	d, err := time.ParseInLocation(time.DateOnly, date, r.Location)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: date %q is not YYYY-MM-DD", ErrInvalid, date)
	}
	return time.Date(d.Year(), d.Month(), d.Day(), r.CutoffHour, r.CutoffMinute, 0, 0, r.Location), nil
}

// DateAt returns the batch date whose cutoff is the latest at or before t. A trigger at the cutoff names that
// day; one earlier in the day names the day before.
func (r *Runner) DateAt(t time.Time) string {
	l := t.In(r.Location)
	c := time.Date(l.Year(), l.Month(), l.Day(), r.CutoffHour, r.CutoffMinute, 0, 0, r.Location)
	if l.Before(c) {
		c = c.AddDate(0, 0, -1)
	}
	return c.Format(time.DateOnly)
}

// dateOf is the batch date an entry created at t belongs to: the first date whose cutoff is after t.
func (r *Runner) dateOf(t time.Time) string {
	return mustDay(r.DateAt(t)).AddDate(0, 0, 1).Format(time.DateOnly)
}

// batch checks the requested date against the clock and returns its batch.
func (r *Runner) batch(req Request, now time.Time) (Batch, error) {
	date := req.Date
	if date == "" {
		at := req.At
		if at.IsZero() {
			at = now
		}
		date = r.DateAt(at)
	}
	cutoff, err := r.Cutoff(date)
	if err != nil {
		return Batch{}, err
	}
	if !req.DryRun && cutoff.After(now) {
		return Batch{}, fmt.Errorf("%w: batch date %s is still open until %s", ErrInvalid, date, cutoff.Format(time.RFC3339))
	}
	if now.Sub(cutoff) > r.BackfillWindow {
		return Batch{}, fmt.Errorf("%w: batch date %s is older than the backfill window of %s", ErrInvalid, date, r.BackfillWindow)
	}
	if err := checkReexport(req); err != nil {
		return Batch{}, err
	}
	since, _, err := r.window(date)
	if err != nil {
		return Batch{}, err
	}
	return Batch{Date: date, Cutoff: cutoff, Since: since}, nil
}

// Run exports one batch date, or finishes an earlier attempt's export of it. A returned error is an *Error whose
// class and Permanent tell the caller how to answer.
func (r *Runner) Run(ctx context.Context, req Request) (Report, error) {
	start := r.Now()
	began := time.Now() // durations are real elapsed time, whatever the injected clock says
	obs := r.obs()
	b, err := r.batch(req, start)
	if err == nil && (r.Format.NewEncoder == nil || r.Format.Extension == "") {
		err = errors.New("the runner has no file format: set Runner.Format (csvfile.Format or xlsxfile.Format)")
	}
	if err != nil {
		obs.Failed(ctx, "request", string(ClassValidation))
		obs.Finished(ctx, req.Date, string(OutcomeFailed), time.Since(began), time.Time{})
		return Report{Outcome: OutcomeFailed, Date: req.Date}, &Error{Step: "request", Class: ClassValidation, Err: err}
	}
	var (
		healed []Healed
		stuck  Stuck
		wait   *Error
	)
	if !req.DryRun {
		healed, stuck, wait = r.heal(ctx, b.Date, start)
		b = r.withHeld(b, stuck)
	}
	rep, err := r.runDate(ctx, b, req, start, began, wait)
	rep.Healed, rep.Stuck = healed, stuck
	return rep, err
}

// runDate runs one batch date, observed and logged. With wait set, an earlier date must be finished first: the
// date's lock records wait as a retryable failure, and nothing else is done.
func (r *Runner) runDate(ctx context.Context, b Batch, req Request, start, began time.Time, wait *Error) (Report, error) {
	obs := r.obs()
	ctx, endRun := obs.StartStep(ctx, StepRun, b.Date, 0)
	log := r.Logger.With("batchDate", b.Date)
	log.InfoContext(ctx, "export started", "dryRun", req.DryRun, "cutoff", b.Cutoff.Format(time.RFC3339))
	rep, err := r.run(ctx, b, req, start, began, wait)
	rep.Date = b.Date
	var e *Error
	if errors.As(err, &e) {
		obs.Failed(ctx, e.Step, string(e.Class))
	}
	var last time.Time
	if rep.Summary != nil && (rep.Outcome == OutcomeExported || rep.Outcome == OutcomeAlreadyDone) {
		last = rep.Summary.FinishedAt
	}
	obs.Finished(ctx, b.Date, string(rep.Outcome), time.Since(began), last)
	defer endRun(err)
	attrs := []any{"outcome", rep.Outcome, "lock", rep.Lock, "durationMs", time.Since(began).Milliseconds()}
	if rep.Summary != nil {
		logged := *rep.Summary
		logged.Failures = nil // reasons can quote amounts; the count is logged, the list is in the answer
		attrs = append(attrs, "summary", logged)
	}
	if err != nil {
		attrs = append(attrs, "errorClass", e.Class, "permanent", e.Permanent(), "error", err.Error())
		log.ErrorContext(ctx, "export finished", attrs...)
		return rep, err
	}
	log.InfoContext(ctx, "export finished", attrs...)
	return rep, nil
}
