package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// logLine logs one line with ctx and returns it decoded.
func logLine(t *testing.T, ctx context.Context, project string) map[string]any {
	t.Helper()
	var buf bytes.Buffer
	NewLogger(&buf, project, slog.LevelInfo).With("batchDate", date).InfoContext(ctx, "export started")
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatalf("log line %q: %v", buf.String(), err)
	}
	return m
}

func TestLogCarriesTheSpan(t *testing.T) {
	tp := newTestProviders(t).TracerProvider() // samples every trace, whatever the caller decided
	// The request came with an unsampled traceparent; the span started under it wins over it.
	in := Trace{TraceID: "4bf92f3577b34da6a3ce929d0e0e4736", SpanID: "00f067aa0ba902b7", Sampled: false}
	ctx := WithTrace(context.Background(), in)
	sc, ok := in.SpanContext()
	if !ok {
		t.Fatal("the incoming trace is not a valid span context")
	}
	ctx = trace.ContextWithRemoteSpanContext(ctx, sc)
	ctx, span := NewTracing(tp).StartStep(ctx, StepLock, date, 1)
	defer span(nil)
	got := trace.SpanContextFromContext(ctx)

	m := logLine(t, ctx, "my-project")
	if want := "projects/my-project/traces/" + in.TraceID; m[TraceKey] != want {
		t.Errorf("%s = %v, want %s", TraceKey, m[TraceKey], want)
	}
	if m[SpanKey] != got.SpanID().String() || m[SpanKey] == in.SpanID {
		t.Errorf("%s = %v, want the step span %s", SpanKey, m[SpanKey], got.SpanID())
	}
	if m[TraceSampledKey] != true {
		t.Errorf("%s = %v, want true (the function samples every run)", TraceSampledKey, m[TraceSampledKey])
	}
	if m["severity"] != "INFO" || m["message"] != "export started" || m["batchDate"] != date {
		t.Errorf("line %v", m)
	}
}

func TestLogFallsBackToTheHeader(t *testing.T) {
	tr, ok := ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "")
	if !ok {
		t.Fatal("traceparent not parsed")
	}
	m := logLine(t, WithTrace(context.Background(), tr), "")
	if m[TraceKey] != tr.TraceID || m[SpanKey] != "00f067aa0ba902b7" || m[TraceSampledKey] != true {
		t.Errorf("line %v", m)
	}
	m = logLine(t, context.Background(), "p")
	if _, ok := m[TraceKey]; ok {
		t.Errorf("a line without a trace has %s: %v", TraceKey, m)
	}
}

// X-Cloud-Trace-Context gives the span id in decimal; logs and spans need it in hex.
func TestCloudTraceContextSpanIDIsHex(t *testing.T) {
	tr, ok := ParseTraceparent("", "105445aa7843bc8bf206b12000100000/1;o=1")
	if !ok || tr.TraceID != "105445aa7843bc8bf206b12000100000" || tr.SpanID != "0000000000000001" || !tr.Sampled {
		t.Errorf("parsed %+v, %v", tr, ok)
	}
	tr, _ = ParseTraceparent("", "105445aa7843bc8bf206b12000100000/18446744073709551615;o=0")
	if tr.SpanID != "ffffffffffffffff" || tr.Sampled {
		t.Errorf("parsed %+v", tr)
	}
	if _, ok := (Trace{TraceID: "105445aa7843bc8bf206b12000100000"}).SpanContext(); ok {
		t.Error("a trace without a span id makes a span context")
	}
}

// StartRequest continues the caller's trace from either header.
func TestStartRequestContinuesTheCallersTrace(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	defer tp.Shutdown(context.Background())
	tr := NewTracing(tp)

	for name, hdr := range map[string][2]string{
		"traceparent":           {"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
		"X-Cloud-Trace-Context": {"X-Cloud-Trace-Context", "4bf92f3577b34da6a3ce929d0e0e4736/67667974448284343;o=1"},
	} {
		exp.Reset()
		r := httptest.NewRequest("POST", "/", nil)
		r.Header.Set(hdr[0], hdr[1])
		r.Header.Set("X-CloudScheduler", "true")
		_, span := tr.StartRequest(context.Background(), r)
		EndRequest(span, 503)
		got := exp.GetSpans()
		if len(got) != 1 {
			t.Fatalf("%s: %d spans", name, len(got))
		}
		s := got[0]
		if s.Name != "POST /" || s.SpanKind != trace.SpanKindServer {
			t.Errorf("%s: span %q kind %v", name, s.Name, s.SpanKind)
		}
		if s.Parent.TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" || s.Parent.SpanID().String() != "00f067aa0ba902b7" || !s.Parent.IsRemote() {
			t.Errorf("%s: parent %v", name, s.Parent)
		}
		if v, _ := attrOf(s.Attributes, "http.response.status_code"); v.AsInt64() != 503 || s.Status.Code.String() != "Error" {
			t.Errorf("%s: status %v %v", name, v.String(), s.Status)
		}
		if v, _ := attrOf(s.Attributes, SpanAttrScheduled); !v.AsBool() {
			t.Errorf("%s: not marked as Cloud Scheduler's call", name)
		}
	}

	exp.Reset()
	_, span := tr.StartRequest(context.Background(), httptest.NewRequest("GET", "/nope/123", nil))
	EndRequest(span, 405)
	if s := exp.GetSpans()[0]; s.Name != "GET" || s.Parent.IsValid() || s.Status.Code.String() == "Error" {
		t.Errorf("span %q parent %v status %v", s.Name, s.Parent, s.Status)
	}
}
