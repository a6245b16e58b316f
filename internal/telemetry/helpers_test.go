package telemetry

import (
	"context"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// testProviders are ModeNone providers around a manual reader and an in-memory span exporter.
type testProviders struct {
	*Providers
	reader *sdkmetric.ManualReader
	spans  *tracetest.InMemoryExporter
}

func newTestProviders(t *testing.T) testProviders {
	t.Helper()
	reader := sdkmetric.NewManualReader()
	spans := tracetest.NewInMemoryExporter()
	p, err := NewProviders(context.Background(), Config{Mode: ModeNone, MetricReader: reader, SpanExporter: spans})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Shutdown(context.Background()) })
	return testProviders{Providers: p, reader: reader, spans: spans}
}

// collect reads the metrics recorded so far, by name.
func (tp testProviders) collect(t *testing.T) map[string]metricdata.Metrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := tp.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]metricdata.Metrics{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if sm.Scope.Name != ScopeName {
				t.Errorf("metric %s has scope %q, want %q", m.Name, sm.Scope.Name, ScopeName)
			}
			out[m.Name] = m
		}
	}
	return out
}

// endedSpans flushes and returns the ended spans by name (the last one of each name).
func (tp testProviders) endedSpans(t *testing.T) map[string]tracetest.SpanStub {
	t.Helper()
	if err := tp.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}
	out := map[string]tracetest.SpanStub{}
	for _, s := range tp.spans.GetSpans() {
		out[s.Name] = s
	}
	return out
}

// sumPoints returns an int64 counter's values by the given attribute's value ("" for none).
func sumPoints(t *testing.T, m metricdata.Metrics, key string) map[string]int64 {
	t.Helper()
	sum, ok := m.Data.(metricdata.Sum[int64])
	if !ok {
		t.Fatalf("%s is %T, want an int64 sum", m.Name, m.Data)
	}
	if !sum.IsMonotonic || sum.Temporality != metricdata.CumulativeTemporality {
		t.Errorf("%s: monotonic %v, temporality %v; want a cumulative counter", m.Name, sum.IsMonotonic, sum.Temporality)
	}
	out := map[string]int64{}
	for _, dp := range sum.DataPoints {
		v, _ := dp.Attributes.Value(attribute.Key(key))
		out[v.String()] += dp.Value
	}
	return out
}

func attrOf(kvs []attribute.KeyValue, key string) (attribute.Value, bool) {
	for _, kv := range kvs {
		if string(kv.Key) == key {
			return kv.Value, true
		}
	}
	return attribute.Value{}, false
}

// countingMetrics is a metric exporter that counts its exports.
type countingMetrics struct {
	mu      sync.Mutex
	exports int
	last    metricdata.ResourceMetrics
}

func (c *countingMetrics) Temporality(k sdkmetric.InstrumentKind) metricdata.Temporality {
	return sdkmetric.DefaultTemporalitySelector(k)
}

func (c *countingMetrics) Aggregation(k sdkmetric.InstrumentKind) sdkmetric.Aggregation {
	return sdkmetric.DefaultAggregationSelector(k)
}

func (c *countingMetrics) Export(_ context.Context, rm *metricdata.ResourceMetrics) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.exports++
	c.last = *rm
	return nil
}

func (c *countingMetrics) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.exports
}

func (c *countingMetrics) ForceFlush(context.Context) error { return nil }
func (c *countingMetrics) Shutdown(context.Context) error   { return nil }

// countingSpans is an in-memory span exporter that counts its exports.
type countingSpans struct {
	*tracetest.InMemoryExporter
	mu      sync.Mutex
	exports int
}

func (c *countingSpans) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	c.mu.Lock()
	c.exports++
	c.mu.Unlock()
	return c.InMemoryExporter.ExportSpans(ctx, spans)
}

func (c *countingSpans) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.exports
}
