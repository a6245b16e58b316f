package telemetry

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel/trace"
)

// Fields Cloud Logging lifts out of a JSON log line.
const (
	TraceKey        = "logging.googleapis.com/trace"
	SpanKey         = "logging.googleapis.com/spanId"
	TraceSampledKey = "logging.googleapis.com/trace_sampled"
)

// NewLogger returns a JSON logger for Cloud Logging on w. project, when set, turns trace ids into the full
// resource name Cloud Logging links to traces. A line logged with a context that holds an OpenTelemetry span
// carries that span's trace, span id and sampling decision; without one, the Trace of WithTrace, if any.
func NewLogger(w io.Writer, project string, level slog.Leveler) *slog.Logger {
	h := slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level, ReplaceAttr: replace})
	return slog.New(&traceHandler{Handler: h, project: project})
}

// replace renames slog's keys to Cloud Logging's and its levels to severities.
func replace(groups []string, a slog.Attr) slog.Attr {
	if len(groups) > 0 {
		return a
	}
	switch a.Key {
	case slog.LevelKey:
		a.Key = "severity"
		lvl, _ := a.Value.Any().(slog.Level)
		a.Value = slog.StringValue(severity(lvl))
	case slog.MessageKey:
		a.Key = "message"
	case slog.TimeKey:
		a.Key = "time"
	}
	return a
}

func severity(l slog.Level) string {
	switch {
	case l >= slog.LevelError:
		return "ERROR"
	case l >= slog.LevelWarn:
		return "WARNING"
	case l >= slog.LevelInfo:
		return "INFO"
	}
	return "DEBUG"
}

// Trace is the trace context of one request, as Cloud Logging wants it.
type Trace struct {
	TraceID string // 32 hex digits
	SpanID  string // 16 hex digits
	Sampled bool
}

type traceKey struct{}

// WithTrace returns a context whose log lines carry t.
func WithTrace(ctx context.Context, t Trace) context.Context {
	return context.WithValue(ctx, traceKey{}, t)
}

// ParseTraceparent reads a W3C traceparent header ("00-TRACEID-SPANID-FLAGS"), or Google's older
// X-Cloud-Trace-Context ("TRACEID/SPANID;o=1") when traceparent is empty. The older header gives the span id in
// decimal; the Trace holds it in hex, as Cloud Logging and Cloud Trace want it.
func ParseTraceparent(traceparent, cloudTrace string) (Trace, bool) {
	if p := strings.Split(traceparent, "-"); len(p) == 4 && len(p[1]) == 32 && len(p[2]) == 16 {
		return Trace{TraceID: p[1], SpanID: p[2], Sampled: strings.HasSuffix(p[3], "1")}, true
	}
	if cloudTrace == "" {
		return Trace{}, false
	}
	id, rest, _ := strings.Cut(cloudTrace, "/")
	span, opts, _ := strings.Cut(rest, ";")
	if len(id) != 32 {
		return Trace{}, false
	}
	t := Trace{TraceID: id, Sampled: opts == "o=1"}
	if n, err := strconv.ParseUint(span, 10, 64); err == nil && n != 0 {
		t.SpanID = fmt.Sprintf("%016x", n)
	}
	return t, true
}

// SpanContext returns t as the remote parent of the function's spans. ok is false when the trace id or span id is
// not valid hex of the right length, or is all zeros.
func (t Trace) SpanContext() (sc trace.SpanContext, ok bool) {
	tid, err := trace.TraceIDFromHex(t.TraceID)
	if err != nil {
		return trace.SpanContext{}, false
	}
	sid, err := trace.SpanIDFromHex(t.SpanID)
	if err != nil {
		return trace.SpanContext{}, false
	}
	var flags trace.TraceFlags
	if t.Sampled {
		flags = trace.FlagsSampled
	}
	sc = trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: flags, Remote: true})
	return sc, sc.IsValid()
}

type traceHandler struct {
	slog.Handler
	project string
}

// traceOf returns the trace a log line of ctx belongs to: the OpenTelemetry span's, else the one WithTrace set.
func traceOf(ctx context.Context) (Trace, bool) {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		return Trace{TraceID: sc.TraceID().String(), SpanID: sc.SpanID().String(), Sampled: sc.IsSampled()}, true
	}
	t, ok := ctx.Value(traceKey{}).(Trace)
	return t, ok
}

func (h *traceHandler) Handle(ctx context.Context, r slog.Record) error {
	if ctx == nil {
		return h.Handler.Handle(ctx, r)
	}
	if t, ok := traceOf(ctx); ok {
		id := t.TraceID
		if h.project != "" {
			id = "projects/" + h.project + "/traces/" + t.TraceID
		}
		r.AddAttrs(slog.String(TraceKey, id), slog.String(SpanKey, t.SpanID), slog.Bool(TraceSampledKey, t.Sampled))
	}
	return h.Handler.Handle(ctx, r)
}

func (h *traceHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &traceHandler{Handler: h.Handler.WithAttrs(as), project: h.project}
}

func (h *traceHandler) WithGroup(name string) slog.Handler {
	return &traceHandler{Handler: h.Handler.WithGroup(name), project: h.project}
}
