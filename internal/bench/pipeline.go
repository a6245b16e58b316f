package bench

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"google.golang.org/api/option"

	"github.com/siamledger/ledger-export/internal/csvfile"
	"github.com/siamledger/ledger-export/internal/drive"
	"github.com/siamledger/ledger-export/internal/export"
	"github.com/siamledger/ledger-export/internal/layout"
	"github.com/siamledger/ledger-export/internal/ledger"
	"github.com/siamledger/ledger-export/internal/medici"
	"github.com/siamledger/ledger-export/internal/xlsxfile"
)

// Folder is the Drive folder the benchmarks upload into; a fake must have it.
const Folder = "bench-folder"

// DeployedMemoryLimit is the default of terraform's go_memory_limit, the GOMEMLIMIT the function runs with; the
// benchmarks and the memory test run with it unless GOMEMLIMIT is set. TestDeployedMemoryLimit (cmd/bench) keeps
// the two equal.
const DeployedMemoryLimit = "44MiB"

// DefaultChunk is the upload chunk size the benchmarks use unless told otherwise: the CHUNK_SIZE that the
// chunk-size curve picks (internal/bench/README.md).
const DefaultChunk = 4 << 20

// Config is one run of the pipeline.
type Config struct {
	Entries   int
	ChunkSize int    // resumable upload chunk size; DefaultChunk when 0
	Buffers   int    // export.Runner.Buffers
	DriveURL  string // the fake Drive's base URL
	Format    string // the file's format: csv (when empty) or xlsx
	// MongoLatency is the round trip every MongoDB query and update pays (medici.Memory.Latency).
	MongoLatency time.Duration
}

// Result is what a run did.
type Result struct {
	Summary    export.Summary
	Wall       time.Duration
	CPU        time.Duration // the process's CPU time (user and system) during the run, on every core
	RoundTrips int64         // the MongoDB round trips the run paid
}

// CSVOptions are the CSV options of every run: the workload's meta columns, Bangkok time, the formula guard on.
func CSVOptions() csvfile.Options { return csvfile.Options{Meta: Meta, Location: Zone} }

// Mapper is the mapper of every run.
func Mapper() medici.Mapper { return medici.Mapper{Meta: Meta, Location: Zone} }

func (c Config) chunk() int {
	if c.ChunkSize <= 0 {
		return DefaultChunk
	}
	return c.ChunkSize
}

// NewDrive opens the real Drive client on the fake at url.
func NewDrive(ctx context.Context, url string, chunk int) (*drive.Store, error) {
	s, err := drive.New(ctx, drive.Config{FolderID: Folder, ChunkSize: chunk, CallTimeout: time.Minute},
		option.WithEndpoint(url+"/drive/v3/"), option.WithoutAuthentication())
	if err != nil {
		return nil, fmt.Errorf("open drive client on %s: %w", url, err)
	}
	return s, nil
}

// Runner returns an export.Runner with every production part but MongoDB and Firestore: q is the queue, Drive
// is the real client on the fake, the lock lives in memory.
func Runner(ctx context.Context, c Config, q export.Queue) (*export.Runner, error) {
	d, err := NewDrive(ctx, c.DriveURL, c.chunk())
	if err != nil {
		return nil, err
	}
	now := Cutoff.Add(time.Minute)
	return &export.Runner{
		Locker: &Locker{}, Queue: q, Drive: d,
		Now: func() time.Time { return now }, Location: Zone, CutoffHour: 18,
		Lease: 35 * time.Minute, BackfillWindow: 62 * 24 * time.Hour, FilePrefix: "bench",
		ChunkSize: c.chunk(), Buffers: c.Buffers, Format: c.format(),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}, nil
}

// format is the export.Format of c.Format, built by the format packages' constructors as function/wire.go builds
// OUTPUT_FORMAT's.
func (c Config) format() export.Format {
	if c.Format == "xlsx" {
		return xlsxfile.Format(xlsxfile.Options{Layout: layout.Default(Meta), Location: Zone})
	}
	return csvfile.Format(CSVOptions())
}

// RunPipeline exports a fresh workload of c.Entries entries through the whole run: lock, claim, read, encode,
// hash, upload, record, mark.
func RunPipeline(ctx context.Context, c Config) (Result, error) {
	w := NewWorkload(c.Entries, 1)
	q := w.Queue(Mapper())
	q.Latency = c.MongoLatency
	r, err := Runner(ctx, c, q)
	if err != nil {
		return Result{}, err
	}
	cpu0 := ProcessCPU()
	start := time.Now()
	rep, err := r.Run(ctx, export.Request{Date: Date})
	wall, cpu := time.Since(start), ProcessCPU()-cpu0
	if err != nil {
		return Result{}, fmt.Errorf("run: %w", err)
	}
	if rep.Outcome != export.OutcomeExported || rep.Summary == nil {
		return Result{}, fmt.Errorf("run: outcome %s, want exported", rep.Outcome)
	}
	return Result{Summary: *rep.Summary, Wall: wall, CPU: cpu, RoundTrips: q.RoundTrips()}, nil
}

// ProcessCPU returns the CPU time (user and system) the process has used so far, on every core; zero where
// getrusage fails.
func ProcessCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// StageSource reads and checks the workload without writing anything: page making, BSON mapping, assembly and
// the journal checks. It returns the entries read and the rows they hold.
func StageSource(ctx context.Context, n int) (entries, rows int64, err error) {
	q := NewWorkload(n, 1).Queue(Mapper())
	err = q.Read(ctx, export.Batch{Date: Date}, func(page []export.Entry) error {
		for _, e := range page {
			entries++
			if e.Err == nil && e.Journal.Check() == nil {
				rows += int64(len(e.Journal.Lines))
			}
		}
		return nil
	})
	return entries, rows, err
}

// Sample is a set of mapped, valid journals to encode again and again.
type Sample struct {
	IDs      []string
	Journals []ledger.Journal
	Rows     int
}

// NewSample maps the first n entries of the workload and keeps the valid ones.
func NewSample(ctx context.Context, n int) (*Sample, error) {
	s := &Sample{}
	err := NewWorkload(n, 1).Queue(Mapper()).Read(ctx, export.Batch{Date: Date}, func(page []export.Entry) error {
		for _, e := range page {
			if e.Err == nil && e.Journal.Check() == nil {
				s.IDs = append(s.IDs, e.ID)
				s.Journals = append(s.Journals, e.Journal)
				s.Rows += len(e.Journal.Lines)
			}
		}
		return nil
	})
	return s, err
}

// StageEncode writes rows CSV rows (at least) to w by encoding the sample over and over, and returns the rows.
func StageEncode(s *Sample, rows int64, w io.Writer) (int64, error) {
	enc := csvfile.NewWriter(w, CSVOptions())
	for enc.Rows() < rows {
		for i, j := range s.Journals {
			if err := enc.WriteJournal(Date, s.IDs[i], j); err != nil {
				return enc.Rows(), err
			}
		}
	}
	return enc.Rows(), enc.Close()
}

// StageHash takes the SHA-256 of size bytes of CSV, as the pipeline does, in 64 KiB writes.
func StageHash(block []byte, size int64) []byte {
	h := sha256.New()
	for size > 0 {
		for b := block; len(b) > 0 && size > 0; {
			k := min(len(b), 64<<10, int(size))
			h.Write(b[:k])
			b, size = b[k:], size-int64(k)
		}
	}
	return h.Sum(nil)
}

// StageUpload uploads size bytes of CSV (block, repeated) through the real client to the fake, with nothing to
// make: the upload stage alone.
func StageUpload(ctx context.Context, url string, chunk int, block []byte, size int64) (export.File, error) {
	d, err := NewDrive(ctx, url, chunk)
	if err != nil {
		return export.File{}, err
	}
	body := io.LimitReader(&repeater{b: block}, size)
	return d.Upload(ctx, export.NewFile{Name: "stage.csv", Date: Date, Generation: 1}, body, nil)
}

// Block returns about n bytes of the workload's CSV, to hash or upload again and again.
func Block(ctx context.Context, n int) ([]byte, error) {
	s, err := NewSample(ctx, 2000)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := StageEncode(s, 1, &buf); err != nil {
		return nil, err
	}
	for buf.Len() < n {
		if _, err := StageEncode(s, 1, &buf); err != nil {
			return nil, err
		}
	}
	return buf.Bytes()[:n], nil
}

type repeater struct {
	b   []byte
	off int
}

func (r *repeater) Read(p []byte) (int, error) {
	n := copy(p, r.b[r.off:])
	r.off = (r.off + n) % len(r.b)
	return n, nil
}

// PeakRSS returns the process's peak resident set size (VmHWM) in bytes.
func PeakRSS() (int64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, fmt.Errorf("read peak RSS: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("read peak RSS: %q: %w", v, err)
			}
			return kb << 10, nil
		}
	}
	return 0, errors.New("read peak RSS: no VmHWM in /proc/self/status")
}

// Locker is an export.Locker in memory: one process, no Firestore. The lock's cost is a few writes per run, not
// per entry, so it does not change what the benchmarks measure.
type Locker struct {
	mu   sync.Mutex
	recs map[string]export.Record
}

var _ export.Locker = (*Locker)(nil)

// Acquire grants the date to the first caller and reports it done afterwards.
func (l *Locker) Acquire(_ context.Context, date string, now time.Time, o export.AcquireOptions) (export.Acquisition, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.recs == nil {
		l.recs = map[string]export.Record{}
	}
	if rec, ok := l.recs[date]; ok {
		if rec.State == export.StateDone {
			return export.Acquisition{Outcome: export.LockAlreadyDone, Record: rec}, nil
		}
		return export.Acquisition{Outcome: export.LockBusy, Record: rec}, nil
	}
	lease := export.Lease{Date: date, Generation: 1, Attempt: 1, ExpiresAt: now.Add(o.TTL)}
	rec := export.Record{Date: date, State: export.StateRunning, Generation: 1, Attempts: 1, LeaseExpiresAt: lease.ExpiresAt, UpdatedAt: now}
	l.recs[date] = rec
	return export.Acquisition{Outcome: export.LockAcquired, Lease: lease, Record: rec}, nil
}

func (l *Locker) update(date string, fn func(*export.Record)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	rec := l.recs[date]
	fn(&rec)
	l.recs[date] = rec
}

// Progress records the upload's progress.
func (l *Locker) Progress(_ context.Context, ls export.Lease, u export.UploadSession, _ time.Time) error {
	l.update(ls.Date, func(r *export.Record) { r.Upload = &u })
	return nil
}

// Uploaded records the file.
func (l *Locker) Uploaded(_ context.Context, ls export.Lease, f export.File, s export.Summary, _ time.Time) error {
	l.update(ls.Date, func(r *export.Record) { r.State, r.File, r.Summary, r.Upload = export.StateUploaded, &f, &s, nil })
	return nil
}

// Done ends the date.
func (l *Locker) Done(_ context.Context, ls export.Lease, s export.Summary, _ time.Time) error {
	l.update(ls.Date, func(r *export.Record) { r.State, r.Summary = export.StateDone, &s })
	return nil
}

// Fail records a failure.
func (l *Locker) Fail(_ context.Context, ls export.Lease, f export.Failed, _ time.Time) error {
	l.update(ls.Date, func(r *export.Record) {
		r.Phase, r.State, r.Error, r.ErrorClass, r.Permanent = r.State, export.StateFailed, f.Message, f.Class, f.Permanent
	})
	return nil
}

// Get returns the date's record.
func (l *Locker) Get(_ context.Context, date string) (export.Record, bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	rec, ok := l.recs[date]
	return rec, ok, nil
}

// Latest is not used by the benchmarks.
func (l *Locker) Latest(context.Context, bool) (export.Record, bool, error) {
	return export.Record{}, false, nil
}

// Range returns the records of the dates from through to, oldest first.
func (l *Locker) Range(_ context.Context, from, to string) ([]export.Record, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []export.Record
	for d, rec := range l.recs {
		if d >= from && d <= to {
			out = append(out, rec)
		}
	}
	slices.SortFunc(out, func(a, b export.Record) int { return strings.Compare(a.Date, b.Date) })
	return out, nil
}
