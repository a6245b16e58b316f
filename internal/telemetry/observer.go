package telemetry

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// Observer is told what a run does, and turns it into spans and metrics. Its methods take plain values, so that
// the orchestrator can declare the interface it needs without importing this package:
//
//	type Observer interface {
//		StartStep(ctx context.Context, step, date string, generation int64) (context.Context, func(err error))
//		Annotate(ctx context.Context, key string, value int64)
//		LockOutcome(ctx context.Context, outcome string)
//		Exported(ctx context.Context, rows, entriesExported, entriesFailed, bytes int64)
//		Failed(ctx context.Context, step, class string)
//		Finished(ctx context.Context, date, outcome string, elapsed time.Duration, lastSuccess time.Time)
//	}
type Observer struct {
	tracing *Tracing
	metrics *Metrics
}

// NewObserver returns an Observer whose spans go to tp and whose metrics go to mp; nil means a no-op provider.
func NewObserver(tp trace.TracerProvider, mp metric.MeterProvider) (*Observer, error) {
	m, err := NewMetrics(mp)
	if err != nil {
		return nil, err
	}
	return &Observer{tracing: NewTracing(tp), metrics: m}, nil
}

// Tracing returns the Observer's span maker, for the request span.
func (o *Observer) Tracing() *Tracing { return o.tracing }

// Metrics returns the Observer's instruments, for HTTPTransport.
func (o *Observer) Metrics() *Metrics { return o.metrics }

// StartStep starts the span of one step of a run; see Tracing.StartStep.
func (o *Observer) StartStep(ctx context.Context, step, date string, generation int64) (context.Context, func(err error)) {
	return o.tracing.StartStep(ctx, step, date, generation)
}

// Annotate sets a count on ctx's span; see the package function Annotate.
func (o *Observer) Annotate(ctx context.Context, key string, value int64) { Annotate(ctx, key, value) }

// LockOutcome records what the run found on the date's lock (acquired, takeover, already_done, busy): on ctx's
// span, and in the lock outcome counter (a takeover also counts as a retry).
func (o *Observer) LockOutcome(ctx context.Context, outcome string) {
	trace.SpanFromContext(ctx).SetAttributes(attribute.String(SpanAttrLockOutcome, outcome))
	o.metrics.LockOutcome(ctx, outcome)
}

// Exported records the figures of a completed export on ctx's span (rows, entries_exported, entries_failed,
// bytes) and adds them to the counters. Call it once per date that ends exported.
func (o *Observer) Exported(ctx context.Context, rows, entriesExported, entriesFailed, bytes int64) {
	Annotate(ctx, "rows", rows)
	Annotate(ctx, "entries_exported", entriesExported)
	Annotate(ctx, "entries_failed", entriesFailed)
	Annotate(ctx, "bytes", bytes)
	o.metrics.Exported(ctx, rows, entriesExported, entriesFailed, bytes)
}

// Failed counts a failed run by the step that failed and its error class.
func (o *Observer) Failed(ctx context.Context, step, class string) {
	trace.SpanFromContext(ctx).SetAttributes(attribute.String(SpanPrefix+AttrErrorClass, class),
		attribute.String(SpanPrefix+"failed_step", step))
	o.metrics.Failed(ctx, step, class)
}

// Finished records the end of a run: its duration by outcome and, with a non-zero lastSuccess (when the date's
// export finished), the last-success gauge of the date.
func (o *Observer) Finished(ctx context.Context, date, outcome string, elapsed time.Duration, lastSuccess time.Time) {
	trace.SpanFromContext(ctx).SetAttributes(attribute.String(SpanPrefix+AttrOutcome, outcome))
	o.metrics.Finished(ctx, date, outcome, elapsed, lastSuccess)
}

// Stuck records the stuck work a run found: unclaimable entries, blocked dates, unfinished dates past the window.
func (o *Observer) Stuck(ctx context.Context, unclaimable, blocked, abandoned, failing int64) {
	o.metrics.Stuck(ctx, unclaimable, blocked, abandoned, failing)
}
