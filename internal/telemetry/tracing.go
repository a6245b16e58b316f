package telemetry

import (
	"context"
	"net/http"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// The steps of a run, as span names take them ("ledger_export.lock"). StartStep accepts any other name too.
const (
	StepRun    = "run"    // the whole run, from the batch date to the report
	StepLock   = "lock"   // Acquire on the date's lock document
	StepClaim  = "claim"  // the claim of the queued entries
	StepStream = "stream" // reading the batch and encoding the CSV (runs alongside upload)
	StepUpload = "upload" // the resumable upload into Drive, and finalize
	StepMark   = "mark"   // marking the entries exported
	StepFinish = "finish" // the export log and the lock's done state
)

// SpanPrefix starts the name of every span and span attribute the package makes.
const SpanPrefix = "ledger_export."

// The span attributes the package sets; Annotate adds SpanPrefix + its key.
const (
	SpanAttrBatchDate   = SpanPrefix + "batch_date"
	SpanAttrGeneration  = SpanPrefix + "generation"
	SpanAttrLockOutcome = SpanPrefix + "lock_outcome"
	SpanAttrScheduled   = SpanPrefix + "scheduled" // true when Cloud Scheduler made the call
)

// Tracing makes the function's spans: one server span per request and one span per step of a run.
type Tracing struct {
	tracer trace.Tracer
}

// NewTracing returns a Tracing whose spans go to tp; nil means a no-op provider.
func NewTracing(tp trace.TracerProvider) *Tracing {
	if tp == nil {
		tp = noop.NewTracerProvider()
	}
	return &Tracing{tracer: tp.Tracer(ScopeName)}
}

// StartRequest starts the server span of an incoming request, as a child of the caller's span when the request
// carries a W3C traceparent header, or else Google's X-Cloud-Trace-Context: so the function's spans join the
// trace Cloud Run starts for the request. The span is named "METHOD /" or "METHOD /health", or just the method for
// any other path. End it with EndRequest before flushing and answering.
func (t *Tracing) StartRequest(ctx context.Context, r *http.Request) (context.Context, trace.Span) {
	ctx = propagation.TraceContext{}.Extract(ctx, propagation.HeaderCarrier(r.Header))
	if !trace.SpanContextFromContext(ctx).IsValid() {
		if tr, ok := ParseTraceparent("", r.Header.Get("X-Cloud-Trace-Context")); ok {
			if sc, ok := tr.SpanContext(); ok {
				ctx = trace.ContextWithRemoteSpanContext(ctx, sc)
			}
		}
	}
	name := r.Method
	if p := r.URL.Path; p == "/" || p == "" || p == "/health" {
		if p == "" {
			p = "/"
		}
		name += " " + p
	}
	attrs := []attribute.KeyValue{
		attribute.String("http.request.method", r.Method),
		attribute.String("url.path", r.URL.Path),
		attribute.Bool(SpanAttrScheduled, r.Header.Get("X-CloudScheduler") == "true"),
	}
	return t.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(attrs...))
}

// EndRequest records the response status on the request's span, marks it failed for a 5xx, and ends it.
func EndRequest(span trace.Span, status int) {
	span.SetAttributes(attribute.Int("http.response.status_code", status))
	if status >= http.StatusInternalServerError {
		span.SetStatus(codes.Error, http.StatusText(status))
	}
	span.End()
}

// StartStep starts the span of one step of a run, named SpanPrefix + step, as a child of ctx's span, with the batch
// date (when not empty) and the lease generation (when positive). end ends it; a non-nil err marks the span
// failed with the error's message. Call end exactly once.
func (t *Tracing) StartStep(ctx context.Context, step, date string, generation int64) (context.Context, func(err error)) {
	var attrs []attribute.KeyValue
	if date != "" {
		attrs = append(attrs, attribute.String(SpanAttrBatchDate, date))
	}
	if generation > 0 {
		attrs = append(attrs, attribute.Int64(SpanAttrGeneration, generation))
	}
	ctx, span := t.tracer.Start(ctx, SpanPrefix+step, trace.WithAttributes(attrs...))
	return ctx, func(err error) {
		if err != nil {
			span.SetStatus(codes.Error, err.Error())
		}
		span.End()
	}
}

// Annotate sets the attribute SpanPrefix + key to value on ctx's span: a count such as "rows", "entries_claimed".
func Annotate(ctx context.Context, key string, value int64) {
	trace.SpanFromContext(ctx).SetAttributes(attribute.Int64(SpanPrefix+key, value))
}
