package telemetry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"go.opentelemetry.io/contrib/detectors/gcp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/stdout/stdoutmetric"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/api/option"
)

// Mode chooses where metrics and spans go.
type Mode string

// The modes of NewProviders.
const (
	// ModeGCP exports metrics to Cloud Monitoring and spans to Cloud Trace, with the resource the GCP detector
	// finds (project, region, service, revision, instance).
	ModeGCP Mode = "gcp"
	// ModeStdout writes metrics and spans as JSON to Config.Writer: for a local run.
	ModeStdout Mode = "stdout"
	// ModeNone exports only to Config.MetricReader and Config.SpanExporter, when set: for tests, or to turn
	// telemetry off.
	ModeNone Mode = "none"
)

// ParseMode reads a mode as written in configuration: "gcp", "stdout", or "none" (also "").
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case ModeGCP, ModeStdout, ModeNone:
		return m, nil
	case "":
		return ModeNone, nil
	}
	return "", fmt.Errorf("telemetry mode %q: want gcp, stdout or none", s)
}

// DefaultInterval is how often, when Config.Interval is zero, metrics and spans are exported in the background
// between the force-flushes that end each request.
const DefaultInterval = time.Minute

// MinMetricGap is the least time ModeGCP leaves between two metric exports: Cloud Monitoring refuses a point
// written less than about 5 s after the previous point of the same time series.
const MinMetricGap = 5 * time.Second

// DefaultServiceName is the service.name of the resource when Config.ServiceName is empty.
const DefaultServiceName = "ledger-export"

// Config says how to build Providers.
type Config struct {
	// Mode says where metrics and spans go.
	Mode Mode

	// ServiceName and ServiceVersion become the resource's service.name and service.version.
	ServiceName    string
	ServiceVersion string

	// ProjectID is the project Cloud Monitoring and Cloud Trace write to. ModeGCP needs it, so that no
	// credentials are looked up to find it.
	ProjectID string

	// Interval is how often metrics and spans are exported in the background (ModeGCP, ModeStdout, and the span
	// exporter of ModeNone); zero means DefaultInterval. Every request also force-flushes once.
	Interval time.Duration

	// ClientOptions are added to the options of the Cloud Monitoring and Cloud Trace clients (ModeGCP), after
	// option.WithTelemetryDisabled: an endpoint, credentials. Tests point them at a local server.
	ClientOptions []option.ClientOption

	// Resource, when set, is used as is instead of the detected one. Without it, ModeGCP asks the GCP detector,
	// which reads the metadata server when it runs on Google Cloud.
	Resource *resource.Resource

	// Writer receives ModeStdout's JSON: one line per span, one document per metric export.
	Writer io.Writer

	// MetricReader and SpanExporter receive ModeNone's metrics and spans: an sdkmetric.ManualReader and a
	// tracetest.InMemoryExporter in tests. Either may be nil.
	MetricReader sdkmetric.Reader
	SpanExporter sdktrace.SpanExporter

	// Sampler decides which traces are recorded; nil means all of them (one run a day is cheap to trace).
	Sampler sdktrace.Sampler
}

// Providers are a tracer provider and a meter provider with their exporters. Pass them to NewObserver,
// MongoMonitor and HTTPTransport; nothing is registered globally (otel.SetTracerProvider is the caller's
// choice). Call ForceFlush once per request, before writing the response.
type Providers struct {
	tp *sdktrace.TracerProvider
	mp *sdkmetric.MeterProvider

	flushMu sync.Mutex     // one flush at a time, so that the gap between metric exports holds
	spacer  *spacedMetrics // ModeGCP: the metric exporter, which remembers its last export; nil otherwise
	gap     time.Duration  // ModeGCP: MinMetricGap
}

// NewProviders builds the providers of cfg.Mode. It does not contact Cloud Monitoring or Cloud Trace: their
// exporters are built, and so look up credentials and connect, on the first export. In ModeGCP without
// cfg.Resource, the GCP resource detector reads the metadata server (on Google Cloud; elsewhere it probes
// 169.254.169.254 and metadata.google.internal, finds nothing, and the resource names the service only).
func NewProviders(ctx context.Context, cfg Config) (*Providers, error) {
	switch {
	case cfg.Mode == ModeGCP && cfg.ProjectID == "":
		return nil, errors.New("telemetry: gcp mode needs a project id")
	case cfg.Mode == ModeStdout && cfg.Writer == nil:
		return nil, errors.New("telemetry: stdout mode needs a writer")
	case cfg.Mode != ModeGCP && cfg.Mode != ModeStdout && cfg.Mode != ModeNone && cfg.Mode != "":
		return nil, fmt.Errorf("telemetry: unknown mode %q", cfg.Mode)
	}
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.Sampler == nil {
		cfg.Sampler = sdktrace.AlwaysSample()
	}
	res, err := newResource(ctx, cfg)
	if err != nil {
		return nil, err
	}
	tOpts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res), sdktrace.WithSampler(cfg.Sampler)}
	mOpts := []sdkmetric.Option{sdkmetric.WithResource(res)}
	batch := sdktrace.WithBatchTimeout(cfg.Interval)
	p := &Providers{}

	switch cfg.Mode {
	case ModeGCP:
		se, me := gcpExporters(cfg)
		p.spacer, p.gap = &spacedMetrics{Exporter: me}, MinMetricGap
		tOpts = append(tOpts, sdktrace.WithBatcher(se, batch))
		mOpts = append(mOpts, sdkmetric.WithReader(sdkmetric.NewPeriodicReader(p.spacer, sdkmetric.WithInterval(cfg.Interval))))
	case ModeStdout:
		se, err := stdouttrace.New(stdouttrace.WithWriter(cfg.Writer))
		if err != nil {
			return nil, fmt.Errorf("telemetry: stdout span exporter: %w", err)
		}
		me, err := stdoutmetric.New(stdoutmetric.WithWriter(cfg.Writer))
		if err != nil {
			return nil, fmt.Errorf("telemetry: stdout metric exporter: %w", err)
		}
		tOpts = append(tOpts, sdktrace.WithBatcher(se, batch))
		mOpts = append(mOpts, sdkmetric.WithReader(sdkmetric.NewPeriodicReader(me, sdkmetric.WithInterval(cfg.Interval))))
	default: // ModeNone
		if cfg.SpanExporter != nil {
			tOpts = append(tOpts, sdktrace.WithBatcher(cfg.SpanExporter, batch))
		}
		if cfg.MetricReader != nil {
			mOpts = append(mOpts, sdkmetric.WithReader(cfg.MetricReader))
		}
	}
	p.tp = sdktrace.NewTracerProvider(tOpts...)
	p.mp = sdkmetric.NewMeterProvider(mOpts...)
	return p, nil
}

func newResource(ctx context.Context, cfg Config) (*resource.Resource, error) {
	if cfg.Resource != nil {
		return cfg.Resource, nil
	}
	name := cfg.ServiceName
	if name == "" {
		name = DefaultServiceName
	}
	attrs := []attribute.KeyValue{attribute.String("service.name", name)}
	if cfg.ServiceVersion != "" {
		attrs = append(attrs, attribute.String("service.version", cfg.ServiceVersion))
	}
	opts := []resource.Option{resource.WithTelemetrySDK(), resource.WithFromEnv(), resource.WithAttributes(attrs...)}
	if cfg.Mode == ModeGCP {
		opts = append(opts, resource.WithDetectors(gcp.NewDetector()))
	}
	res, err := resource.New(ctx, opts...)
	if err != nil && !errors.Is(err, resource.ErrPartialResource) {
		return nil, fmt.Errorf("telemetry: resource: %w", err)
	}
	return res, nil // a partial resource still names the service
}

// TracerProvider returns the tracer provider.
func (p *Providers) TracerProvider() trace.TracerProvider { return p.tp }

// MeterProvider returns the meter provider.
func (p *Providers) MeterProvider() metric.MeterProvider { return p.mp }

// ForceFlush exports every ended span and the current value of every metric, once: the tracer provider's flush,
// then the meter provider's. In ModeGCP it first waits, within ctx, until MinMetricGap has passed since the last
// metric export. Call it once per request, after the request's spans have ended and before the response is
// written, with a context that outlives a cancelled request (context.WithoutCancel plus a timeout).
func (p *Providers) ForceFlush(ctx context.Context) error {
	p.flushMu.Lock()
	defer p.flushMu.Unlock()
	var errs []error
	if err := p.tp.ForceFlush(ctx); err != nil {
		errs = append(errs, fmt.Errorf("flush spans: %w", err))
	}
	if err := p.waitGap(ctx); err != nil {
		errs = append(errs, fmt.Errorf("flush metrics: %w", err))
		return errors.Join(errs...)
	}
	if err := p.mp.ForceFlush(ctx); err != nil {
		errs = append(errs, fmt.Errorf("flush metrics: %w", err))
	}
	return errors.Join(errs...)
}

// Shutdown flushes what is left and stops both providers and their exporters. The providers record nothing
// afterwards.
func (p *Providers) Shutdown(ctx context.Context) error {
	p.flushMu.Lock()
	defer p.flushMu.Unlock()
	var errs []error
	if err := p.tp.Shutdown(ctx); err != nil {
		errs = append(errs, fmt.Errorf("shut down tracer provider: %w", err))
	}
	if err := p.waitGap(ctx); err != nil {
		errs = append(errs, fmt.Errorf("shut down meter provider: %w", err))
	}
	if err := p.mp.Shutdown(ctx); err != nil {
		errs = append(errs, fmt.Errorf("shut down meter provider: %w", err))
	}
	return errors.Join(errs...)
}

// waitGap waits until MinMetricGap has passed since the last metric export, if ModeGCP exports metrics.
func (p *Providers) waitGap(ctx context.Context) error {
	if p.spacer == nil {
		return nil
	}
	for {
		wait := time.Until(p.spacer.last().Add(p.gap))
		if wait <= 0 {
			return nil
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("waiting %s between metric exports: %w", p.gap, ctx.Err())
		case <-t.C:
		}
	}
}

// spacedMetrics is a metric exporter that remembers when it last exported, periodic or forced, so that a flush
// can keep Cloud Monitoring's minimum gap between two points of a series.
type spacedMetrics struct {
	sdkmetric.Exporter

	mu   sync.Mutex
	prev time.Time
}

// Export records the time, then exports.
func (s *spacedMetrics) Export(ctx context.Context, rm *metricdata.ResourceMetrics) error {
	s.mu.Lock()
	s.prev = time.Now()
	s.mu.Unlock()
	if err := s.Exporter.Export(ctx, rm); err != nil {
		return fmt.Errorf("export metrics: %w", err)
	}
	return nil
}

func (s *spacedMetrics) last() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.prev
}
