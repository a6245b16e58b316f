//lint:file-ignore SA1019 The Cloud Trace and Cloud Monitoring exporters are deprecated (archived after 2027-01-01) in favour of OTLP to telemetry.googleapis.com; this file is the only one that uses them, so the move replaces it alone.

package telemetry

import (
	"context"
	"errors"
	"fmt"
	"sync"

	mexporter "github.com/GoogleCloudPlatform/opentelemetry-operations-go/exporter/metric"
	texporter "github.com/GoogleCloudPlatform/opentelemetry-operations-go/exporter/trace"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"google.golang.org/api/option"
)

// gcpExporters returns the Cloud Trace and Cloud Monitoring exporters of cfg. Each is built on its first export:
// the exporters' clients start connecting (and look up credentials) as soon as they are built, and building the
// providers must not touch the network.
func gcpExporters(cfg Config) (sdktrace.SpanExporter, sdkmetric.Exporter) {
	// The exporters' own clients must not trace or measure their calls: with a global provider set, every export
	// would make spans for the next export to carry.
	opts := append([]option.ClientOption{option.WithTelemetryDisabled()}, cfg.ClientOptions...)
	spans := &lazySpans{lazy[sdktrace.SpanExporter]{build: func(ctx context.Context) (sdktrace.SpanExporter, error) {
		e, err := texporter.New(texporter.WithContext(ctx), texporter.WithProjectID(cfg.ProjectID),
			texporter.WithTraceClientOptions(opts))
		if err != nil {
			return nil, fmt.Errorf("telemetry: cloud trace exporter: %w", err)
		}
		return e, nil
	}}}
	metrics := &lazyMetrics{lazy[sdkmetric.Exporter]{build: func(ctx context.Context) (sdkmetric.Exporter, error) {
		e, err := mexporter.New(mexporter.WithContext(ctx), mexporter.WithProjectID(cfg.ProjectID),
			mexporter.WithMonitoringClientOptions(opts...))
		if err != nil {
			return nil, fmt.Errorf("telemetry: cloud monitoring exporter: %w", err)
		}
		return e, nil
	}}}
	return spans, metrics
}

var errShutdown = errors.New("telemetry: exporter is shut down")

// lazy builds an exporter on first use; a failed build is tried again on the next use. After shutdown it builds
// nothing.
type lazy[E interface{ Shutdown(context.Context) error }] struct {
	build func(context.Context) (E, error)

	mu    sync.Mutex
	exp   E
	built bool
	done  bool // shut down
}

func (l *lazy[E]) get(ctx context.Context) (E, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var zero E
	if l.done {
		return zero, errShutdown
	}
	if !l.built {
		e, err := l.build(context.WithoutCancel(ctx))
		if err != nil {
			return zero, err
		}
		l.exp, l.built = e, true
	}
	return l.exp, nil
}

// current returns the exporter if it was built.
func (l *lazy[E]) current() (E, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.exp, l.built
}

// Shutdown shuts the exporter down, if it was built.
func (l *lazy[E]) Shutdown(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.done = true
	if !l.built {
		return nil
	}
	return l.exp.Shutdown(ctx)
}

// lazySpans is a span exporter built on its first export.
type lazySpans struct {
	lazy[sdktrace.SpanExporter]
}

// ExportSpans builds the exporter if need be and exports.
func (l *lazySpans) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	e, err := l.get(ctx)
	if err != nil {
		return err
	}
	return e.ExportSpans(ctx, spans)
}

// lazyMetrics is a metric exporter built on its first export. Its temporality and aggregation are the SDK's
// defaults, which the Cloud Monitoring exporter uses.
type lazyMetrics struct {
	lazy[sdkmetric.Exporter]
}

// Temporality is the SDK's default: cumulative.
func (l *lazyMetrics) Temporality(k sdkmetric.InstrumentKind) metricdata.Temporality {
	return sdkmetric.DefaultTemporalitySelector(k)
}

// Aggregation is the SDK's default for the kind.
func (l *lazyMetrics) Aggregation(k sdkmetric.InstrumentKind) sdkmetric.Aggregation {
	return sdkmetric.DefaultAggregationSelector(k)
}

// Export builds the exporter if need be and exports.
func (l *lazyMetrics) Export(ctx context.Context, rm *metricdata.ResourceMetrics) error {
	e, err := l.get(ctx)
	if err != nil {
		return err
	}
	return e.Export(ctx, rm)
}

// ForceFlush flushes the exporter, if it was built.
func (l *lazyMetrics) ForceFlush(ctx context.Context) error {
	e, ok := l.current()
	if !ok {
		return nil
	}
	return e.ForceFlush(ctx)
}
