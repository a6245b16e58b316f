package telemetry

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
)

// ScopeName is the instrumentation scope of the package's meter and tracer.
const ScopeName = "github.com/siamledger/ledger-export/internal/telemetry"

// The names of the metrics. In Cloud Monitoring they are workload.googleapis.com/<name>; in PromQL, dots become
// underscores (workload_googleapis_com:ledger_export_run_duration).
const (
	MetricRunDuration     = "ledger_export.run.duration"      // histogram, s, by outcome
	MetricEntriesExported = "ledger_export.entries.exported"  // counter, {entry}
	MetricEntriesFailed   = "ledger_export.entries.failed"    // counter, {entry}
	MetricRows            = "ledger_export.rows.written"      // counter, {row}
	MetricBytes           = "ledger_export.bytes.uploaded"    // counter, By
	MetricErrors          = "ledger_export.errors"            // counter, {error}, by error_class and step
	MetricLockOutcomes    = "ledger_export.lock.outcomes"     // counter, {run}, by outcome
	MetricRetries         = "ledger_export.retries"           // counter, {retry}, by source
	MetricLastSuccess     = "ledger_export.last_success.time" // gauge, s (Unix time), by batch_date
	MetricStuck           = "ledger_export.stuck"             // gauge, by kind: unclaimable (entries), blocked, abandoned and failing (dates)
)

// The attribute keys of the metrics: short snake_case names, which Cloud Monitoring keeps as label keys.
const (
	AttrOutcome    = "outcome"     // run outcome or lock outcome
	AttrErrorClass = "error_class" // drive_transient, drive_permanent, mongo, firestore, validation, timeout, lease_lost, mismatch, earlier_date
	AttrStep       = "step"        // the step that failed
	AttrSource     = "source"      // what retried: RetryAttempt, RetryDriveUpload
	AttrKind       = "kind"        // kind of stuck work: unclaimable, blocked, abandoned, failing
	AttrBatchDate  = "batch_date"  // YYYY-MM-DD
)

// The sources of retries.
const (
	// RetryAttempt is a run that took a date over from an earlier attempt that failed or died: a retry by Cloud
	// Scheduler or by an operator.
	RetryAttempt = "attempt"
	// RetryDriveUpload is a resumable-upload request to Drive that failed in a way the Drive client retries on
	// its own (408, 429, 5xx, a reset connection).
	RetryDriveUpload = "drive_upload"
)

// DurationBuckets returns the bounds, in seconds, of the run duration histogram: from the one-second answers
// (busy, already done) to the 30-minute timeout, with 1440 s (80 % of it, the alert's threshold) as a bound.
func DurationBuckets() []float64 {
	return []float64{0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 900, 1200, 1440, 1800}
}

// Metrics are the function's instruments. Build them once per process with NewMetrics; the methods are safe for
// concurrent use, and do nothing on a no-op provider.
type Metrics struct {
	duration    metric.Float64Histogram
	exported    metric.Int64Counter
	failed      metric.Int64Counter
	rows        metric.Int64Counter
	bytes       metric.Int64Counter
	errors      metric.Int64Counter
	locks       metric.Int64Counter
	retries     metric.Int64Counter
	lastSuccess metric.Int64Gauge
	stuck       metric.Int64Gauge
}

// NewMetrics creates the instruments from mp; nil means a no-op provider.
func NewMetrics(mp metric.MeterProvider) (*Metrics, error) {
	if mp == nil {
		mp = noop.NewMeterProvider()
	}
	mt := mp.Meter(ScopeName)
	var (
		m    Metrics
		errs []error
	)
	counter := func(name, unit, desc string) metric.Int64Counter {
		c, err := mt.Int64Counter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		errs = append(errs, err)
		return c
	}
	var err error
	m.duration, err = mt.Float64Histogram(MetricRunDuration, metric.WithUnit("s"),
		metric.WithDescription("How long a run took, from the request to its answer, by outcome."),
		metric.WithExplicitBucketBoundaries(DurationBuckets()...))
	errs = append(errs, err)
	m.exported = counter(MetricEntriesExported, "{entry}", "Queue entries written to a file and marked completed.")
	m.failed = counter(MetricEntriesFailed, "{entry}", "Queue entries that could not be exported and were marked failed.")
	m.rows = counter(MetricRows, "{row}", "CSV rows written to Drive, one per journal line.")
	m.bytes = counter(MetricBytes, "By", "Bytes of CSV uploaded to Drive.")
	m.errors = counter(MetricErrors, "{error}", "Failed runs, by error class and the step that failed.")
	m.locks = counter(MetricLockOutcomes, "{run}", "What each run found on the date's lock: acquired, takeover, already_done or busy.")
	m.retries = counter(MetricRetries, "{retry}", "Retries observed: attempts that took a date over, and Drive upload requests the client retries.")
	m.lastSuccess, err = mt.Int64Gauge(MetricLastSuccess, metric.WithUnit("s"),
		metric.WithDescription("Unix time at which the last successful export of the batch date finished."))
	errs = append(errs, err)
	m.stuck, err = mt.Int64Gauge(MetricStuck, metric.WithUnit("{item}"),
		metric.WithDescription("Work no run can finish without an operator, by kind: unclaimable entries, blocked dates, dates past the backfill window still unfinished."))
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("telemetry: create instruments: %w", err)
	}
	return &m, nil
}

func set(kv ...attribute.KeyValue) metric.MeasurementOption {
	return metric.WithAttributeSet(attribute.NewSet(kv...))
}

// LockOutcome counts what a run found on the date's lock: acquired, takeover, already_done or busy. A takeover is
// also counted as a retry from RetryAttempt.
func (m *Metrics) LockOutcome(ctx context.Context, outcome string) {
	m.locks.Add(ctx, 1, set(attribute.String(AttrOutcome, outcome)))
	if outcome == "takeover" {
		m.Retry(ctx, RetryAttempt)
	}
}

// Retry counts one retry from source (RetryAttempt, RetryDriveUpload).
func (m *Metrics) Retry(ctx context.Context, source string) {
	m.retries.Add(ctx, 1, set(attribute.String(AttrSource, source)))
}

// Exported adds the figures of a completed export: rows and bytes written, entries exported and failed. Call it
// once per date that ends exported, with the summary's figures.
func (m *Metrics) Exported(ctx context.Context, rows, entriesExported, entriesFailed, bytes int64) {
	m.rows.Add(ctx, rows)
	m.exported.Add(ctx, entriesExported)
	m.failed.Add(ctx, entriesFailed)
	m.bytes.Add(ctx, bytes)
}

// Failed counts a failed run by its error class and the step that failed.
func (m *Metrics) Failed(ctx context.Context, step, class string) {
	m.errors.Add(ctx, 1, set(attribute.String(AttrErrorClass, class), attribute.String(AttrStep, step)))
}

// Finished records a run's duration by outcome (exported, already_done, busy, dry_run, failed). A non-zero
// lastSuccess, the time the date's export finished, sets the last-success gauge of the date.
func (m *Metrics) Finished(ctx context.Context, date, outcome string, elapsed time.Duration, lastSuccess time.Time) {
	m.duration.Record(ctx, elapsed.Seconds(), set(attribute.String(AttrOutcome, outcome)))
	if !lastSuccess.IsZero() {
		m.lastSuccess.Record(ctx, lastSuccess.Unix(), set(attribute.String(AttrBatchDate, date)))
	}
}

// Stuck sets the stuck-work gauge: queued entries no claim can take, dates blocked by a permanent failure,
// unfinished dates past the backfill window, and dates whose failure repeats on every attempt.
func (m *Metrics) Stuck(ctx context.Context, unclaimable, blocked, abandoned, failing int64) {
	m.stuck.Record(ctx, unclaimable, set(attribute.String(AttrKind, "unclaimable")))
	m.stuck.Record(ctx, blocked, set(attribute.String(AttrKind, "blocked")))
	m.stuck.Record(ctx, abandoned, set(attribute.String(AttrKind, "abandoned")))
	m.stuck.Record(ctx, failing, set(attribute.String(AttrKind, "failing")))
}
