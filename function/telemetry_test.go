package function_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/siamledger/ledger-export/function"
	"github.com/siamledger/ledger-export/internal/drivefake"
	"github.com/siamledger/ledger-export/internal/telemetry"
)

// observed is a handler whose metrics and spans the test reads.
type observed struct {
	h      *function.Handler
	reader *sdkmetric.ManualReader
	spans  *tracetest.InMemoryExporter
}

func (e *env) observed() observed {
	e.t.Helper()
	o := observed{reader: sdkmetric.NewManualReader(), spans: tracetest.NewInMemoryExporter()}
	prov, err := telemetry.NewProviders(context.Background(), telemetry.Config{Mode: telemetry.ModeNone, MetricReader: o.reader, SpanExporter: o.spans})
	if err != nil {
		e.t.Fatalf("telemetry.NewProviders: %v", err)
	}
	e.t.Cleanup(func() { _ = prov.Shutdown(context.Background()) })
	o.h = function.New(func(k string) string { return e.vars[k] }, function.Options{
		Now: e.clock.Now, Logger: newLogger(e.logs, e.vars["FIRESTORE_PROJECT"]), Telemetry: prov,
	})
	e.t.Cleanup(o.h.Close)
	return o
}

// sum adds up the points of a counter whose attributes include want.
func (o observed) sum(t *testing.T, name string, want map[string]string) int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := o.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatalf("Collect: %v", err)
	}
	var total int64
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != name {
				continue
			}
			sum, ok := m.Data.(metricdata.Sum[int64])
			if !ok {
				t.Fatalf("metric %s is %T, want an int64 sum", name, m.Data)
			}
			for _, p := range sum.DataPoints {
				match := true
				for k, v := range want {
					if got, ok := p.Attributes.Value(attrKey(k)); !ok || got.AsString() != v {
						match = false
					}
				}
				if match {
					total += p.Value
				}
			}
		}
	}
	return total
}

func (o observed) spanNames() []string {
	var names []string
	for _, s := range o.spans.GetSpans() {
		names = append(names, s.Name)
	}
	return names
}

func TestTelemetryOfASuccess(t *testing.T) {
	e := newEnv(t, nil)
	d := demoData(10)
	e.seed(d)
	o := e.observed()
	if code, a, _ := e.trigger(o.h, ""); code != http.StatusOK {
		t.Fatalf("trigger = %d %+v", code, a)
	}
	if got := o.sum(t, telemetry.MetricEntriesExported, nil); got != int64(d.Valid) {
		t.Errorf("%s = %d, want %d", telemetry.MetricEntriesExported, got, d.Valid)
	}
	if got := o.sum(t, telemetry.MetricEntriesFailed, nil); got != int64(d.Invalid) {
		t.Errorf("%s = %d, want %d", telemetry.MetricEntriesFailed, got, d.Invalid)
	}
	if got := o.sum(t, telemetry.MetricLockOutcomes, map[string]string{"outcome": "acquired"}); got != 1 {
		t.Errorf("%s{outcome=acquired} = %d, want 1", telemetry.MetricLockOutcomes, got)
	}
	names := o.spanNames()
	for _, step := range []string{"run", "lock", "claim", "stream", "upload", "record", "mark", "finish"} {
		if !slices.Contains(names, telemetry.SpanPrefix+step) {
			t.Errorf("spans %v lack %s%s", names, telemetry.SpanPrefix, step)
		}
	}
	// The spans were flushed before the answer: they are all in the exporter already.
	if len(o.spans.GetSpans()) == 0 {
		t.Errorf("no span was exported by the time the answer was written")
	}
}

func TestTelemetryOfAPermanentFailure(t *testing.T) {
	fault := drivefake.Fault{Op: drivefake.OpMultipart, Status: http.StatusForbidden, Reason: "storageQuotaExceeded"}
	e := newEnv(t, nil, fault)
	e.seed(demoData(5))
	o := e.observed()
	if code, a, _ := e.trigger(o.h, ""); code != http.StatusInternalServerError {
		t.Fatalf("trigger = %d %+v, want 500", code, a)
	}
	if got := o.sum(t, telemetry.MetricErrors, map[string]string{"error_class": "drive_permanent"}); got != 1 {
		t.Errorf("%s{error_class=drive_permanent} = %d, want 1", telemetry.MetricErrors, got)
	}
}

func TestTelemetryOfABusyLock(t *testing.T) {
	busy := newEnv(t, nil)
	busy.seed(demoData(5))
	ob := busy.observed()
	if _, err := lockFor(busy, "someone-else"); err != nil {
		t.Fatalf("hold the lock: %v", err)
	}
	if code, a, _ := busy.trigger(ob.h, ""); code != http.StatusConflict {
		t.Fatalf("trigger while locked = %d %+v, want 409", code, a)
	}
	if got := ob.sum(t, telemetry.MetricLockOutcomes, map[string]string{"outcome": "busy"}); got != 1 {
		t.Errorf("%s{outcome=busy} = %d, want 1", telemetry.MetricLockOutcomes, got)
	}
}

func attrKey(k string) attribute.Key { return attribute.Key(k) }

// TestSecretsNeverReachLogsAnswersOrSpans: neither the log lines, nor the whole answer body, nor any span name,
// attribute, status or event may show the MongoDB URI or the secret in it, both for a run that fails to connect
// (the password in the URI) and for a run that exports (a distinctive token in the URI's options, which FerretDB
// accepts, so that the whole run's logs and spans are scanned). The collected span text must not be empty, or the
// scan would pass for want of spans.
func TestSecretsNeverReachLogsAnswersOrSpans(t *testing.T) {
	const password = "s3cr3t-P4ss"
	t.Run("failed run", func(t *testing.T) {
		e := newEnv(t, map[string]string{
			"MONGODB_URI":  "mongodb://ledger:" + password + "@127.0.0.1:1/?serverSelectionTimeoutMS=300&connectTimeoutMS=200",
			"CALL_TIMEOUT": "10s", // for Firestore on a loaded machine; MongoDB fails at once (serverSelectionTimeoutMS)
		})
		o := e.observed()
		code, body := rawTrigger(o.h)
		if code != http.StatusServiceUnavailable {
			t.Fatalf("trigger with an unreachable MongoDB = %d %s, want 503", code, body)
		}
		checkNoSecret(t, e, o, body, password)
		if !strings.Contains(e.logs.String(), `"errorClass":"timeout"`) && !strings.Contains(e.logs.String(), `"errorClass":"mongo"`) {
			t.Errorf("logs lack the failed run's summary line:\n%s", e.logs.String())
		}
	})
	t.Run("exported run", func(t *testing.T) {
		const token = "tok-9f8e7d6c5b4a"
		e := newEnv(t, nil)
		e.seed(demoData(5))
		uri := e.vars["MONGODB_URI"]
		if strings.Contains(uri, "?") {
			uri += "&appName=" + token
		} else {
			uri += "/?appName=" + token
		}
		e.vars["MONGODB_URI"] = uri
		o := e.observed()
		code, body := rawTrigger(o.h)
		var a answer
		if err := json.Unmarshal([]byte(body), &a); err != nil || code != http.StatusOK || a.Outcome != "exported" {
			t.Fatalf("trigger = %d %s, want 200 exported", code, body)
		}
		checkNoSecret(t, e, o, body, token)
	})
}

// rawTrigger sends the scheduler's trigger to h and returns the status and the whole answer body.
func rawTrigger(h http.Handler) (int, string) {
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(""))
	req.Header.Set("X-CloudScheduler-ScheduleTime", cutoff.UTC().Format(time.RFC3339))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

// checkNoSecret fails t when the logs, the answer body or the spans show secret or the MongoDB URI, or when no
// span text was collected.
func checkNoSecret(t *testing.T, e *env, o observed, body, secret string) {
	t.Helper()
	var spans strings.Builder
	for _, s := range o.spans.GetSpans() {
		spans.WriteString(s.Name)
		for _, kv := range s.Attributes {
			spans.WriteString(string(kv.Key) + "=" + kv.Value.String())
		}
		spans.WriteString(s.Status.Description)
		for _, ev := range s.Events {
			spans.WriteString(ev.Name)
			for _, kv := range ev.Attributes {
				spans.WriteString(string(kv.Key) + "=" + kv.Value.String())
			}
		}
	}
	if spans.Len() == 0 {
		t.Fatalf("no span text collected: the scan of spans would pass for want of spans")
	}
	for where, text := range map[string]string{"logs": e.logs.String(), "answer": body, "spans": spans.String()} {
		if strings.Contains(text, secret) || strings.Contains(text, e.vars["MONGODB_URI"]) {
			t.Errorf("the %s show the MongoDB secret or URI:\n%s", where, text)
		}
	}
}
