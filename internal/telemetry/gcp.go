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
	spans := &lazySpans{build: func(ctx context.Context) (sdktrace.SpanExporter, error) {
		e, err := texporter.New(texporter.WithContext(ctx), texporter.WithProjectID(cfg.ProjectID),
			texporter.WithTraceClientOptions(opts))
		if err != nil {
			return nil, fmt.Errorf("telemetry: cloud trace exporter: %w", err)
		}
		return e, nil
	}}
	metrics := &lazyMetrics{build: func(ctx context.Context) (sdkmetric.Exporter, error) {
		e, err := mexporter.New(mexporter.WithContext(ctx), mexporter.WithProjectID(cfg.ProjectID),
			mexporter.WithMonitoringClientOptions(opts...))
		if err != nil {
			return nil, fmt.Errorf("telemetry: cloud monitoring exporter: %w", err)
		}
		return e, nil
	}}
	return spans, metrics
}

var errShutdown = errors.New("telemetry: exporter is shut down")

// lazySpans builds its span exporter on the first export; a failed build is tried again on the next.
type lazySpans struct {
	build func(context.Context) (sdktrace.SpanExporter, error)

	mu   sync.Mutex
	exp  sdktrace.SpanExporter
	done bool // shut down
}

func (l *lazySpans) get(ctx context.Context) (sdktrace.SpanExporter, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.done {
		return nil, errShutdown
	}
	if l.exp == nil {
		e, err := l.build(context.WithoutCancel(ctx))
		if err != nil {
			return nil, err
		}
		l.exp = e
	}
	return l.exp, nil
}

// ExportSpans builds the exporter if need be and exports.
func (l *lazySpans) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	e, err := l.get(ctx)
	if err != nil {
		return err
	}
	return e.ExportSpans(ctx, spans)
}

// Shutdown shuts the exporter down, if it was built.
func (l *lazySpans) Shutdown(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.done = true
	if l.exp == nil {
		return nil
	}
	return l.exp.Shutdown(ctx)
}

// lazyMetrics builds its metric exporter on the first export; a failed build is tried again on the next. Its
// temporality and aggregation are the SDK's defaults, which the Cloud Monitoring exporter uses.
type lazyMetrics struct {
	build func(context.Context) (sdkmetric.Exporter, error)

	mu   sync.Mutex
	exp  sdkmetric.Exporter
	done bool
}

func (l *lazyMetrics) get(ctx context.Context) (sdkmetric.Exporter, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.done {
		return nil, errShutdown
	}
	if l.exp == nil {
		e, err := l.build(context.WithoutCancel(ctx))
		if err != nil {
			return nil, err
		}
		l.exp = e
	}
	return l.exp, nil
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
	l.mu.Lock()
	e := l.exp
	l.mu.Unlock()
	if e == nil {
		return nil
	}
	return e.ForceFlush(ctx)
}

// Shutdown shuts the exporter down, if it was built.
func (l *lazyMetrics) Shutdown(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.done = true
	if l.exp == nil {
		return nil
	}
	return l.exp.Shutdown(ctx)
}
