package export

import (
	"context"
	"time"
)

// Observer is told what a run does: spans for its steps and the figures for its metrics. internal/telemetry
// implements it; a nil Runner.Observer observes nothing.
type Observer interface {
	// StartStep starts the span of one step and returns the function that ends it with the step's error.
	StartStep(ctx context.Context, step, date string, generation int64) (context.Context, func(err error))
	// Annotate sets a count on the span in ctx.
	Annotate(ctx context.Context, key string, value int64)
	// LockOutcome records what the run found on the date's lock.
	LockOutcome(ctx context.Context, outcome string)
	// Exported records the figures of a date that ended exported.
	Exported(ctx context.Context, rows, entriesExported, entriesFailed, bytes int64)
	// Failed counts a failed run by step and class.
	Failed(ctx context.Context, step, class string)
	// Finished records a run's end: its duration by outcome, and the date's success time when it has one.
	Finished(ctx context.Context, date, outcome string, elapsed time.Duration, lastSuccess time.Time)
	// Stuck records the work no run can finish without an operator: unclaimable entries, blocked dates,
	// unfinished dates past the backfill window, and dates whose failure repeats on every attempt.
	Stuck(ctx context.Context, unclaimable, blocked, abandoned, failing int64)
}

// The steps a run's spans are named after.
const (
	StepRun    = "run"
	StepLock   = "lock"
	StepClaim  = "claim"
	StepStream = "stream"
	StepUpload = "upload"
	StepRecord = "record"
	StepMark   = "mark"
	StepFinish = "finish"
)

type nopObserver struct{}

func (nopObserver) StartStep(ctx context.Context, _, _ string, _ int64) (context.Context, func(error)) {
	return ctx, func(error) {}
}
func (nopObserver) Annotate(context.Context, string, int64)                            {}
func (nopObserver) LockOutcome(context.Context, string)                                {}
func (nopObserver) Exported(context.Context, int64, int64, int64, int64)               {}
func (nopObserver) Failed(context.Context, string, string)                             {}
func (nopObserver) Finished(context.Context, string, string, time.Duration, time.Time) {}
func (nopObserver) Stuck(context.Context, int64, int64, int64, int64)                  {}

func (r *Runner) obs() Observer {
	if r.Observer == nil {
		return nopObserver{}
	}
	return r.Observer
}
