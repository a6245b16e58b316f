package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"cloud.google.com/go/monitoring/apiv3/v2/monitoringpb"
	"cloud.google.com/go/trace/apiv2/tracepb"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"google.golang.org/api/option"
	metricpb "google.golang.org/genproto/googleapis/api/metric"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
)

func TestParseMode(t *testing.T) {
	for in, want := range map[string]Mode{"gcp": ModeGCP, "stdout": ModeStdout, "none": ModeNone, "": ModeNone} {
		if got, err := ParseMode(in); err != nil || got != want {
			t.Errorf("ParseMode(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseMode("otlp"); err == nil {
		t.Error("ParseMode(otlp) succeeded")
	}
}

func TestConfigErrors(t *testing.T) {
	ctx := context.Background()
	for name, cfg := range map[string]Config{
		"gcp without project":   {Mode: ModeGCP, Resource: resource.Empty()},
		"stdout without writer": {Mode: ModeStdout},
		"unknown mode":          {Mode: "otlp"},
	} {
		if _, err := NewProviders(ctx, cfg); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// ForceFlush exports the pending spans and the metrics exactly once per call, and nothing is exported before it
// (the background interval is an hour here).
func TestForceFlushFlushesBothOnce(t *testing.T) {
	ctx := context.Background()
	me := &countingMetrics{}
	se := &countingSpans{InMemoryExporter: tracetest.NewInMemoryExporter()}
	p, err := NewProviders(ctx, Config{
		Mode:         ModeNone,
		Interval:     time.Hour,
		MetricReader: metric.NewPeriodicReader(me, metric.WithInterval(time.Hour)),
		SpanExporter: se,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Shutdown(ctx)
	o, err := NewObserver(p.TracerProvider(), p.MeterProvider())
	if err != nil {
		t.Fatal(err)
	}
	simulateSuccess(ctx, o, time.Now())
	if me.count() != 0 || se.count() != 0 {
		t.Fatalf("exported before the flush: %d metric, %d span exports", me.count(), se.count())
	}
	if err := p.ForceFlush(ctx); err != nil {
		t.Fatal(err)
	}
	if me.count() != 1 || se.count() != 1 {
		t.Errorf("after one flush: %d metric and %d span exports, want 1 and 1", me.count(), se.count())
	}
	if n := len(se.GetSpans()); n != 7 {
		t.Errorf("%d spans exported, want 7", n)
	}
	if err := p.ForceFlush(ctx); err != nil {
		t.Fatal(err)
	}
	if me.count() != 2 {
		t.Errorf("after two flushes: %d metric exports, want 2", me.count())
	}
	if se.count() > 2 {
		t.Errorf("after two flushes: %d span exports, want at most 2", se.count())
	}
}

func TestStdoutMode(t *testing.T) {
	ctx := context.Background()
	var buf syncBuffer
	p, err := NewProviders(ctx, Config{Mode: ModeStdout, Writer: &buf, ServiceName: "ledger-export-test"})
	if err != nil {
		t.Fatal(err)
	}
	o, err := NewObserver(p.TracerProvider(), p.MeterProvider())
	if err != nil {
		t.Fatal(err)
	}
	simulateBusy(ctx, o)
	if err := p.ForceFlush(ctx); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{`"Name":"ledger_export.run"`, `"Name":"ledger_export.lock"`, `"Name":"` + MetricLockOutcomes + `"`,
		`"Name":"` + MetricRunDuration + `"`, "ledger-export-test", `"Unit":"{run}"`} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %s:\n%s", want, out)
		}
	}
	// Every line is a JSON document: spans one per line, metrics one document per export.
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if !json.Valid([]byte(line)) {
			t.Errorf("not a JSON line: %.200s", line)
		}
	}
	if err := p.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// fakeGCP serves the parts of the Cloud Monitoring and Cloud Trace APIs the exporters call.
type fakeGCP struct {
	monitoringpb.UnimplementedMetricServiceServer
	tracepb.UnimplementedTraceServiceServer

	mu          sync.Mutex
	timeSeries  []*monitoringpb.CreateTimeSeriesRequest
	descriptors map[string]*metricpb.MetricDescriptor
	spans       []*tracepb.BatchWriteSpansRequest
}

func (f *fakeGCP) GetMetricDescriptor(_ context.Context, r *monitoringpb.GetMetricDescriptorRequest) (*metricpb.MetricDescriptor, error) {
	return nil, status.Error(codes.NotFound, r.GetName())
}

func (f *fakeGCP) CreateMetricDescriptor(_ context.Context, r *monitoringpb.CreateMetricDescriptorRequest) (*metricpb.MetricDescriptor, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.descriptors[r.GetMetricDescriptor().GetType()] = r.GetMetricDescriptor()
	return r.GetMetricDescriptor(), nil
}

func (f *fakeGCP) CreateTimeSeries(_ context.Context, r *monitoringpb.CreateTimeSeriesRequest) (*emptypb.Empty, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.timeSeries = append(f.timeSeries, r)
	return &emptypb.Empty{}, nil
}

func (f *fakeGCP) BatchWriteSpans(_ context.Context, r *tracepb.BatchWriteSpansRequest) (*emptypb.Empty, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.spans = append(f.spans, r)
	return &emptypb.Empty{}, nil
}

func (f *fakeGCP) counts() (timeSeries, spanBatches int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.timeSeries), len(f.spans)
}

// countingListener counts the connections it accepts.
type countingListener struct {
	net.Listener
	accepted atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.accepted.Add(1)
	}
	return c, err
}

// The gcp mode against a local fake of both APIs: nothing connects at construction, one ForceFlush writes one
// batch of spans and one CreateTimeSeries, and the next flush keeps the gap Cloud Monitoring requires.
func TestGCPModeAgainstFakeAPIs(t *testing.T) {
	ctx := context.Background()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cl := &countingListener{Listener: lis}
	fake := &fakeGCP{descriptors: map[string]*metricpb.MetricDescriptor{}}
	srv := grpc.NewServer()
	monitoringpb.RegisterMetricServiceServer(srv, fake)
	tracepb.RegisterTraceServiceServer(srv, fake)
	go func() { _ = srv.Serve(cl) }()
	defer srv.Stop()

	p, err := NewProviders(ctx, Config{
		Mode:      ModeGCP,
		ProjectID: "test-project",
		// A given resource skips the GCP detector, which would probe for a metadata server.
		Resource: resource.NewSchemaless(attribute.String("service.name", "ledger-export")),
		ClientOptions: []option.ClientOption{
			option.WithEndpoint(lis.Addr().String()),
			option.WithoutAuthentication(),
			option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if p.spacer == nil || p.gap != MinMetricGap {
		t.Fatalf("gcp mode gap %v, want %v", p.gap, MinMetricGap)
	}
	p.gap = 300 * time.Millisecond // keep the test short; the rule is the same
	// The exporters' clients connect as soon as they are built, so construction must build none: checked on the
	// exporter itself rather than by sleeping and seeing whether a connection arrives.
	lm, ok := p.spacer.Exporter.(*lazyMetrics)
	if !ok {
		t.Fatalf("gcp mode metric exporter is %T, want the lazy one", p.spacer.Exporter)
	}
	if _, built := lm.current(); built {
		t.Error("the Cloud Monitoring exporter was built at construction, want it built on the first export")
	}
	if n := cl.accepted.Load(); n != 0 {
		t.Errorf("%d connections at construction, want none", n)
	}

	o, err := NewObserver(p.TracerProvider(), p.MeterProvider())
	if err != nil {
		t.Fatal(err)
	}
	simulateBusy(ctx, o)
	if err := p.ForceFlush(ctx); err != nil {
		t.Fatal(err)
	}
	ts, sb := fake.counts()
	if ts != 1 || sb != 1 {
		t.Fatalf("after one flush: %d CreateTimeSeries and %d BatchWriteSpans, want 1 and 1", ts, sb)
	}

	fake.mu.Lock()
	var spanNames []string
	for _, s := range fake.spans[0].GetSpans() {
		spanNames = append(spanNames, s.GetDisplayName().GetValue())
		if !strings.HasPrefix(s.GetName(), "projects/test-project/traces/") {
			t.Errorf("span resource name %q", s.GetName())
		}
	}
	series := map[string]*monitoringpb.TimeSeries{}
	for _, s := range fake.timeSeries[0].GetTimeSeries() {
		series[s.GetMetric().GetType()] = s
	}
	lockDesc := fake.descriptors["workload.googleapis.com/"+MetricLockOutcomes]
	fake.mu.Unlock()

	if strings.Join(spanNames, ",") != "ledger_export.lock,ledger_export.run" {
		t.Errorf("spans %v, want the lock and run spans", spanNames)
	}
	lock, ok := series["workload.googleapis.com/"+MetricLockOutcomes]
	if !ok {
		t.Fatalf("no lock outcome series among %v", keys(series))
	}
	if lock.GetMetric().GetLabels()[AttrOutcome] != "busy" || lock.GetPoints()[0].GetValue().GetInt64Value() != 1 {
		t.Errorf("lock series %v", lock)
	}
	if lockDesc == nil || lockDesc.GetUnit() != "{run}" {
		t.Errorf("lock descriptor %v, want unit {run}", lockDesc)
	}
	if _, ok := series["workload.googleapis.com/"+MetricRunDuration]; !ok {
		t.Errorf("no duration series among %v", keys(series))
	}

	first := p.spacer.last()
	if err := p.ForceFlush(ctx); err != nil {
		t.Fatal(err)
	}
	if gap := p.spacer.last().Sub(first); gap < p.gap {
		t.Errorf("a second flush exported %v after the first: it did not wait for the gap of %v", gap, p.gap)
	}
	if ts, _ := fake.counts(); ts != 2 {
		t.Errorf("after two flushes: %d CreateTimeSeries, want 2", ts)
	}
	if err := p.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
