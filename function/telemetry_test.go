package function_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

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

// TestSecretsNeverReachLogsAnswersOrSpans: a run whose MongoDB URI carries a password fails to connect; neither
// the log lines, nor the answer, nor any span attribute may show the URI or the password.
func TestSecretsNeverReachLogsAnswersOrSpans(t *testing.T) {
	const password = "s3cr3t-P4ss"
	e := newEnv(t, map[string]string{
		"MONGODB_URI":  "mongodb://ledger:" + password + "@127.0.0.1:1/?serverSelectionTimeoutMS=300&connectTimeoutMS=200",
		"CALL_TIMEOUT": "1s",
	})
	o := e.observed()
	code, a, _ := e.trigger(o.h, "")
	if code != http.StatusServiceUnavailable {
		t.Fatalf("trigger with an unreachable MongoDB = %d %+v, want 503", code, a)
	}
	var spans strings.Builder
	for _, s := range o.spans.GetSpans() {
		for _, kv := range s.Attributes {
			spans.WriteString(kv.Value.String())
		}
		spans.WriteString(s.Status.Description)
		for _, ev := range s.Events {
			for _, kv := range ev.Attributes {
				spans.WriteString(kv.Value.String())
			}
		}
	}
	for where, text := range map[string]string{"logs": e.logs.String(), "answer": a.Error, "spans": spans.String()} {
		if strings.Contains(text, password) || strings.Contains(text, e.vars["MONGODB_URI"]) {
			t.Errorf("the %s show the MongoDB password or URI:\n%s", where, text)
		}
	}
	if !strings.Contains(e.logs.String(), `"errorClass":"timeout"`) && !strings.Contains(e.logs.String(), `"errorClass":"mongo"`) {
		t.Errorf("logs lack the failed run's summary line:\n%s", e.logs.String())
	}
}
