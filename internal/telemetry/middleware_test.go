package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// orderedWriter records when the answer reaches it.
type orderedWriter struct {
	*httptest.ResponseRecorder
	events *[]string
}

func (w orderedWriter) WriteHeader(code int) {
	*w.events = append(*w.events, "answer")
	w.ResponseRecorder.WriteHeader(code)
}

// flushSpy flushes the real providers and records when, and whether the request span was already ended.
type flushSpy struct {
	tp       testProviders
	events   *[]string
	ended    bool
	canceled bool
}

func (f *flushSpy) ForceFlush(ctx context.Context) error {
	*f.events = append(*f.events, "flush")
	f.canceled = ctx.Err() != nil
	err := f.tp.ForceFlush(ctx)
	for _, s := range f.tp.spans.GetSpans() {
		f.ended = f.ended || s.Name == "POST /"
	}
	return err
}

func TestMiddlewareFlushesBeforeAnswering(t *testing.T) {
	tp := newTestProviders(t)
	o := newObserver(t, tp)
	var logs bytes.Buffer
	log := NewLogger(&logs, "p", slog.LevelInfo)
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, end := o.StartStep(r.Context(), StepRun, date, 0)
		o.LockOutcome(ctx, "busy")
		log.InfoContext(ctx, "export finished", "outcome", "busy")
		end(nil)
		w.Header().Set("Retry-After", "60")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusConflict)
		_, _ = w.Write([]byte(`{"outcome":"busy"}`))
	})
	var events []string
	spy := &flushSpy{tp: tp, events: &events}
	rec := httptest.NewRecorder()
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the caller has gone away: the flush happens all the same
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/", strings.NewReader("{}"))
	req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	Middleware(next, o.Tracing(), spy, log).ServeHTTP(orderedWriter{rec, &events}, req)

	if strings.Join(events, ",") != "flush,answer" {
		t.Errorf("events %v, want the flush before the answer", events)
	}
	if !spy.ended {
		t.Error("the request span was not exported by the flush")
	}
	if spy.canceled {
		t.Error("the flush got the cancelled request context")
	}
	if rec.Code != http.StatusConflict || rec.Header().Get("Retry-After") != "60" || rec.Body.String() != `{"outcome":"busy"}` {
		t.Errorf("answer %d %v %q", rec.Code, rec.Header(), rec.Body.String())
	}

	request, runSpan := spansNamed(tp.spans.GetSpans(), "POST /"), spansNamed(tp.spans.GetSpans(), "ledger_export.run")
	if request.Parent.SpanID().String() != "00f067aa0ba902b7" {
		t.Errorf("request span parent %v, want the traceparent's", request.Parent.SpanID())
	}
	if v, _ := attrOf(request.Attributes, "http.response.status_code"); v.AsInt64() != http.StatusConflict {
		t.Errorf("request span status %v", v.String())
	}
	if runSpan.Parent.SpanID() != request.SpanContext.SpanID() {
		t.Error("the run span is not under the request span")
	}
	run := runSpan.SpanContext.SpanID().String()
	var line map[string]any
	if err := json.Unmarshal(logs.Bytes(), &line); err != nil {
		t.Fatal(err)
	}
	if line[TraceKey] != "projects/p/traces/4bf92f3577b34da6a3ce929d0e0e4736" || line[SpanKey] != run {
		t.Errorf("log line %v: want the run span %s of the caller's trace", line, run)
	}
	ms := tp.collect(t)
	if got := sumPoints(t, ms[MetricLockOutcomes], AttrOutcome); got["busy"] != 1 {
		t.Errorf("lock outcomes %v", got)
	}
}

type failingFlusher struct{}

func (failingFlusher) ForceFlush(context.Context) error { return errors.New("monitoring unavailable") }

func TestMiddlewareAnswersWhenTheFlushFails(t *testing.T) {
	var logs bytes.Buffer
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) })
	rec := httptest.NewRecorder()
	start := time.Now()
	Middleware(next, NewTracing(nil), failingFlusher{}, NewLogger(&logs, "", slog.LevelInfo)).
		ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/health", nil))
	if rec.Code != http.StatusOK || rec.Body.String() != "ok" {
		t.Errorf("answer %d %q", rec.Code, rec.Body.String())
	}
	if !strings.Contains(logs.String(), "telemetry flush failed") || !strings.Contains(logs.String(), "monitoring unavailable") {
		t.Errorf("logs %q", logs.String())
	}
	if time.Since(start) > FlushTimeout {
		t.Error("a failed flush held the answer")
	}
}
