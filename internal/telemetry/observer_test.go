package telemetry

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

const date = "2026-11-28"

// The three runs below call the Observer as the orchestrator would.

func simulateSuccess(ctx context.Context, o *Observer, finished time.Time) {
	ctx, endRun := o.StartStep(ctx, StepRun, date, 0)
	lctx, endLock := o.StartStep(ctx, StepLock, date, 0)
	o.LockOutcome(lctx, "acquired")
	endLock(nil)
	cctx, endClaim := o.StartStep(ctx, StepClaim, date, 1)
	o.Annotate(cctx, "entries_claimed", 304)
	endClaim(nil)
	sctx, endStream := o.StartStep(ctx, StepStream, date, 1)
	_, endUpload := o.StartStep(ctx, StepUpload, date, 1)
	o.Annotate(sctx, "rows", 788)
	endStream(nil)
	endUpload(nil)
	_, endMark := o.StartStep(ctx, StepMark, date, 1)
	endMark(nil)
	_, endFinish := o.StartStep(ctx, StepFinish, date, 1)
	endFinish(nil)
	o.Exported(ctx, 788, 300, 4, 212782)
	o.Finished(ctx, date, "exported", 1887*time.Millisecond, finished)
	endRun(nil)
}

func simulatePermanentFailure(ctx context.Context, o *Observer) {
	ctx, endRun := o.StartStep(ctx, StepRun, date, 0)
	lctx, endLock := o.StartStep(ctx, StepLock, date, 0)
	o.LockOutcome(lctx, "takeover")
	endLock(nil)
	_, endClaim := o.StartStep(ctx, StepClaim, date, 2)
	endClaim(nil)
	err := errors.New("upload ledger-export_2026-11-28.csv: permanent failure: storageQuotaExceeded")
	_, endUpload := o.StartStep(ctx, StepUpload, date, 2)
	endUpload(err)
	o.Failed(ctx, StepUpload, "drive_permanent")
	o.Finished(ctx, date, "failed", 3*time.Second, time.Time{})
	endRun(err)
}

func simulateBusy(ctx context.Context, o *Observer) {
	ctx, endRun := o.StartStep(ctx, StepRun, date, 0)
	lctx, endLock := o.StartStep(ctx, StepLock, date, 0)
	o.LockOutcome(lctx, "busy")
	endLock(nil)
	o.Finished(ctx, date, "busy", 200*time.Millisecond, time.Time{})
	endRun(nil)
}

func newObserver(t *testing.T, tp testProviders) *Observer {
	t.Helper()
	o, err := NewObserver(tp.TracerProvider(), tp.MeterProvider())
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestSuccessRecordsMetrics(t *testing.T) {
	tp := newTestProviders(t)
	finished := time.Date(2026, 11, 28, 11, 0, 7, 0, time.UTC)
	simulateSuccess(context.Background(), newObserver(t, tp), finished)
	ms := tp.collect(t)

	units := map[string]string{
		MetricRunDuration: "s", MetricEntriesExported: "{entry}", MetricEntriesFailed: "{entry}",
		MetricRows: "{row}", MetricBytes: "By", MetricLockOutcomes: "{run}", MetricLastSuccess: "s",
	}
	for name, unit := range units {
		m, ok := ms[name]
		if !ok {
			t.Errorf("metric %s missing", name)
			continue
		}
		if m.Unit != unit {
			t.Errorf("%s unit %q, want %q", name, m.Unit, unit)
		}
		if m.Description == "" {
			t.Errorf("%s has no description", name)
		}
	}
	for name, want := range map[string]int64{MetricEntriesExported: 300, MetricEntriesFailed: 4, MetricRows: 788, MetricBytes: 212782} {
		if got := sumPoints(t, ms[name], "")[""]; got != want {
			t.Errorf("%s = %d, want %d", name, got, want)
		}
	}
	if got := sumPoints(t, ms[MetricLockOutcomes], AttrOutcome); len(got) != 1 || got["acquired"] != 1 {
		t.Errorf("lock outcomes %v, want acquired=1", got)
	}
	for _, name := range []string{MetricErrors, MetricRetries} {
		if m, ok := ms[name]; ok && len(m.Data.(metricdata.Sum[int64]).DataPoints) > 0 {
			t.Errorf("%s recorded %v on a clean first attempt", name, sumPoints(t, m, AttrSource))
		}
	}

	hist, ok := ms[MetricRunDuration].Data.(metricdata.Histogram[float64])
	if !ok || len(hist.DataPoints) != 1 {
		t.Fatalf("duration %#v, want one histogram point", ms[MetricRunDuration].Data)
	}
	dp := hist.DataPoints[0]
	if v, _ := dp.Attributes.Value(AttrOutcome); v.AsString() != "exported" || dp.Count != 1 || dp.Sum != 1.887 {
		t.Errorf("duration point outcome=%s count=%d sum=%v, want exported 1 1.887", v.AsString(), dp.Count, dp.Sum)
	}
	if len(dp.Bounds) != len(DurationBuckets()) || dp.Bounds[0] != 0.5 || dp.Bounds[len(dp.Bounds)-1] != 1800 {
		t.Errorf("duration bounds %v, want %v", dp.Bounds, DurationBuckets())
	}

	gauge, ok := ms[MetricLastSuccess].Data.(metricdata.Gauge[int64])
	if !ok || len(gauge.DataPoints) != 1 {
		t.Fatalf("last success %#v, want one gauge point", ms[MetricLastSuccess].Data)
	}
	if v, _ := gauge.DataPoints[0].Attributes.Value(AttrBatchDate); v.AsString() != date || gauge.DataPoints[0].Value != finished.Unix() {
		t.Errorf("last success %s=%d, want %s=%d", v.AsString(), gauge.DataPoints[0].Value, date, finished.Unix())
	}
}

func TestSuccessRecordsSpans(t *testing.T) {
	tp := newTestProviders(t)
	ctx, parent := tp.TracerProvider().Tracer("test").Start(context.Background(), "POST /")
	simulateSuccess(ctx, newObserver(t, tp), time.Now())
	parent.End()
	spans := tp.endedSpans(t)

	run, ok := spans["ledger_export.run"]
	if !ok {
		t.Fatalf("no run span among %v", names(spans))
	}
	if run.Parent.SpanID() != parent.SpanContext().SpanID() {
		t.Error("the run span is not a child of the request span")
	}
	for _, step := range []string{StepLock, StepClaim, StepStream, StepUpload, StepMark, StepFinish} {
		s, ok := spans[SpanPrefix+step]
		if !ok {
			t.Errorf("no span for step %s", step)
			continue
		}
		if s.Parent.SpanID() != run.SpanContext.SpanID() {
			t.Errorf("%s is not a child of the run span", s.Name)
		}
		if v, _ := attrOf(s.Attributes, SpanAttrBatchDate); v.AsString() != date {
			t.Errorf("%s batch date %q", s.Name, v.AsString())
		}
		if s.Status.Code == codes.Error {
			t.Errorf("%s failed: %s", s.Name, s.Status.Description)
		}
	}
	if v, ok := attrOf(spans["ledger_export.claim"].Attributes, SpanAttrGeneration); !ok || v.AsInt64() != 1 {
		t.Errorf("claim generation %v", v.String())
	}
	if v, _ := attrOf(spans["ledger_export.claim"].Attributes, SpanPrefix+"entries_claimed"); v.AsInt64() != 304 {
		t.Errorf("claim entries_claimed %v", v.String())
	}
	if v, _ := attrOf(spans["ledger_export.lock"].Attributes, SpanAttrLockOutcome); v.AsString() != "acquired" {
		t.Errorf("lock outcome %q", v.AsString())
	}
	for key, want := range map[string]int64{"rows": 788, "entries_exported": 300, "entries_failed": 4, "bytes": 212782} {
		if v, _ := attrOf(run.Attributes, SpanPrefix+key); v.AsInt64() != want {
			t.Errorf("run %s = %v, want %d", key, v.String(), want)
		}
	}
	if v, _ := attrOf(run.Attributes, SpanPrefix+AttrOutcome); v.AsString() != "exported" {
		t.Errorf("run outcome %q", v.AsString())
	}
}

func TestPermanentFailure(t *testing.T) {
	tp := newTestProviders(t)
	simulatePermanentFailure(context.Background(), newObserver(t, tp))
	ms := tp.collect(t)

	errs, ok := ms[MetricErrors]
	if !ok {
		t.Fatal("no error metric")
	}
	if errs.Unit != "{error}" {
		t.Errorf("errors unit %q", errs.Unit)
	}
	sum := errs.Data.(metricdata.Sum[int64])
	if len(sum.DataPoints) != 1 {
		t.Fatalf("error points %v, want 1", sum.DataPoints)
	}
	dp := sum.DataPoints[0]
	class, _ := dp.Attributes.Value(AttrErrorClass)
	step, _ := dp.Attributes.Value(AttrStep)
	if class.AsString() != "drive_permanent" || step.AsString() != StepUpload || dp.Value != 1 {
		t.Errorf("error point %s/%s=%d, want drive_permanent/upload=1", class.AsString(), step.AsString(), dp.Value)
	}
	if got := sumPoints(t, ms[MetricLockOutcomes], AttrOutcome); got["takeover"] != 1 {
		t.Errorf("lock outcomes %v, want takeover=1", got)
	}
	if got := sumPoints(t, ms[MetricRetries], AttrSource); got[RetryAttempt] != 1 {
		t.Errorf("retries %v, want attempt=1 (a takeover is a retry)", got)
	}
	if ms[MetricRetries].Unit != "{retry}" {
		t.Errorf("retries unit %q", ms[MetricRetries].Unit)
	}
	if _, ok := ms[MetricLastSuccess]; ok {
		t.Error("a failed run set the last-success gauge")
	}
	for _, name := range []string{MetricEntriesExported, MetricRows, MetricBytes} {
		if m, ok := ms[name]; ok && sumPoints(t, m, "")[""] != 0 {
			t.Errorf("a failed run added to %s", name)
		}
	}
	hist := ms[MetricRunDuration].Data.(metricdata.Histogram[float64])
	if v, _ := hist.DataPoints[0].Attributes.Value(AttrOutcome); v.AsString() != "failed" || hist.DataPoints[0].Sum != 3 {
		t.Errorf("duration %s %v, want failed 3", v.AsString(), hist.DataPoints[0].Sum)
	}

	spans := tp.endedSpans(t)
	up := spans["ledger_export.upload"]
	if up.Status.Code != codes.Error || up.Status.Description == "" {
		t.Errorf("upload span status %v, want an error", up.Status)
	}
	run := spans["ledger_export.run"]
	if run.Status.Code != codes.Error {
		t.Errorf("run span status %v, want an error", run.Status)
	}
	if v, _ := attrOf(run.Attributes, SpanPrefix+AttrErrorClass); v.AsString() != "drive_permanent" {
		t.Errorf("run error class %q", v.AsString())
	}
	if v, _ := attrOf(spans["ledger_export.claim"].Attributes, SpanAttrGeneration); v.AsInt64() != 2 {
		t.Errorf("claim generation %v, want 2", v.String())
	}
}

func TestBusyLock(t *testing.T) {
	tp := newTestProviders(t)
	simulateBusy(context.Background(), newObserver(t, tp))
	ms := tp.collect(t)

	if got := sumPoints(t, ms[MetricLockOutcomes], AttrOutcome); len(got) != 1 || got["busy"] != 1 {
		t.Errorf("lock outcomes %v, want busy=1", got)
	}
	for _, name := range []string{MetricErrors, MetricRetries, MetricEntriesExported, MetricRows, MetricLastSuccess} {
		if m, ok := ms[name]; ok {
			t.Errorf("a busy answer recorded %s: %v", name, m.Data)
		}
	}
	hist := ms[MetricRunDuration].Data.(metricdata.Histogram[float64])
	if v, _ := hist.DataPoints[0].Attributes.Value(AttrOutcome); v.AsString() != "busy" || hist.DataPoints[0].Count != 1 {
		t.Errorf("duration %s, want busy", v.AsString())
	}
	spans := tp.endedSpans(t)
	if len(spans) != 2 {
		t.Errorf("spans %v, want run and lock only", names(spans))
	}
	if v, _ := attrOf(spans["ledger_export.lock"].Attributes, SpanAttrLockOutcome); v.AsString() != "busy" {
		t.Errorf("lock outcome %q", v.AsString())
	}
}

func TestNoopObserver(t *testing.T) {
	o, err := NewObserver(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	simulateSuccess(context.Background(), o, time.Now())
	simulatePermanentFailure(context.Background(), o)
	ctx, end := o.StartStep(context.Background(), StepLock, date, 1)
	defer end(nil)
	if trace.SpanFromContext(ctx).IsRecording() {
		t.Error("a no-op observer records spans")
	}
}

func names(spans map[string]tracetest.SpanStub) []string {
	var out []string
	for n := range spans {
		out = append(out, n)
	}
	return out
}

// exportObserver is the interface the orchestrator is to declare; Observer must keep satisfying it.
type exportObserver interface {
	StartStep(ctx context.Context, step, date string, generation int64) (context.Context, func(err error))
	Annotate(ctx context.Context, key string, value int64)
	LockOutcome(ctx context.Context, outcome string)
	Exported(ctx context.Context, rows, entriesExported, entriesFailed, bytes int64)
	Failed(ctx context.Context, step, class string)
	Finished(ctx context.Context, date, outcome string, elapsed time.Duration, lastSuccess time.Time)
}

var _ exportObserver = (*Observer)(nil)
