package bench_test

import (
	"bufio"
	"cmp"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/siamledger/ledger-export/internal/bench"
	"github.com/siamledger/ledger-export/internal/csvfile"
	"github.com/siamledger/ledger-export/internal/drivefake"
	"github.com/siamledger/ledger-export/internal/ledger"
)

// Variables through which cmd/bench steers the benchmarks. All are optional.
const (
	envDriveURL = "LEDGER_BENCH_DRIVE_URL" // a fake Drive in another process, so that peak RSS is the exporter's own
	envChunk    = "LEDGER_BENCH_CHUNK"     // the upload chunk size in bytes (default bench.DefaultChunk)
	envBuffers  = "LEDGER_BENCH_BUFFERS"   // export.Runner.Buffers (default export.DefaultBuffers)
	envEntries  = "LEDGER_BENCH_ENTRIES"   // entries of BenchmarkPipelineN
	envServer   = "LEDGER_BENCH_EXPORTSERVER"
	envChild    = "LEDGER_BENCH_CHILD"
	envFerret   = "LEDGER_BENCH_FERRET_ENTRIES" // entries of BenchmarkFerretDB (2,000 by default)
	envSmoke    = "LEDGER_BENCH_SMOKE"          // set: every size a hundredth (at least 100), so -benchtime=1x runs in seconds
)

// size scales a benchmark's number of entries down in smoke runs.
func size(n int) int {
	if os.Getenv(envSmoke) != "" {
		return max(n/100, 100)
	}
	return n
}

// driveURL returns the fake Drive to upload to: the one cmd/bench runs, or one in this process that keeps no
// content.
func driveURL(tb testing.TB) string {
	if u := os.Getenv(envDriveURL); u != "" {
		return u
	}
	fake, err := drivefake.NewServer(drivefake.Options{Folders: []string{bench.Folder}, Discard: true})
	if err != nil {
		tb.Fatalf("drivefake.NewServer: %v", err)
	}
	tb.Cleanup(fake.Close)
	return fake.URL()
}

func envInt(tb testing.TB, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		tb.Fatalf("%s=%q: %v", name, v, err)
	}
	return n
}

func config(tb testing.TB, entries int) bench.Config {
	return bench.Config{
		Entries: entries, DriveURL: driveURL(tb),
		ChunkSize: envInt(tb, envChunk, bench.DefaultChunk), Buffers: envInt(tb, envBuffers, 0),
	}
}

// report adds the table's columns to a benchmark: rows/s, MB/s, heap allocations per row, wall seconds and the
// process's peak RSS so far.
func report(b *testing.B, rows, bytes int64, mallocs uint64, wall time.Duration) {
	b.Helper()
	ops := float64(b.N)
	secs := wall.Seconds()
	b.ReportMetric(float64(rows)*ops/secs, "rows/s")
	b.ReportMetric(float64(bytes)*ops/secs/1e6, "MB/s")
	if rows > 0 {
		b.ReportMetric(float64(mallocs)/ops/float64(rows), "allocs/row")
	}
	b.ReportMetric(secs/ops, "wall-s")
	if rss, err := bench.PeakRSS(); err == nil {
		b.ReportMetric(float64(rss)/(1<<20), "peakRSS-MiB")
	}
}

func mallocs() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.Mallocs
}

// Layer 1: the encoder alone, rows to bytes, against encoding/csv writing the same cells.

// sample is the journals the encoder benchmarks write: the workload's first 2,000 entries, mapped.
var sample = sync.OnceValues(func() (*bench.Sample, error) { return bench.NewSample(context.Background(), 2000) })

func BenchmarkEncoder(b *testing.B) {
	s, err := sample()
	if err != nil {
		b.Fatal(err)
	}
	var size int64
	{
		cw := &countWriter{}
		if _, err := bench.StageEncode(s, 1, cw); err != nil {
			b.Fatal(err)
		}
		size = cw.n
	}
	b.Run("csvfile", func(b *testing.B) {
		enc := csvfile.NewWriter(io.Discard, bench.CSVOptions())
		b.SetBytes(size)
		b.ReportAllocs()
		// Steady state: one pass first, so the writer's scratch space has grown.
		writeSample(b, enc, s)
		m0, start := mallocs(), time.Now()
		b.ResetTimer()
		for range b.N {
			writeSample(b, enc, s)
		}
		b.StopTimer()
		report(b, int64(s.Rows), size, mallocs()-m0, time.Since(start))
	})
	b.Run("encoding-csv", func(b *testing.B) {
		cw := csv.NewWriter(io.Discard)
		cw.UseCRLF = true
		b.SetBytes(size)
		b.ReportAllocs()
		rec := make([]string, 0, 16)
		rec = writeSampleStd(cw, rec, s)
		m0, start := mallocs(), time.Now()
		b.ResetTimer()
		for range b.N {
			rec = writeSampleStd(cw, rec, s)
		}
		cw.Flush()
		b.StopTimer()
		report(b, int64(s.Rows), size, mallocs()-m0, time.Since(start))
	})
}

func writeSample(b *testing.B, enc *csvfile.Writer, s *bench.Sample) {
	for i, j := range s.Journals {
		if err := enc.WriteJournal(bench.Date, s.IDs[i], j); err != nil {
			b.Fatal(err)
		}
	}
}

// writeSampleStd writes the sample with encoding/csv: the same cells as csvfile makes (cleaned, capped and
// guarded text, RFC 3339 times, two-decimal amounts, numeric meta as is), then csv.Writer's own quoting.
func writeSampleStd(cw *csv.Writer, rec []string, s *bench.Sample) []string {
	for i, j := range s.Journals {
		for _, l := range j.Lines {
			memo, book := l.Memo, l.Book
			if memo == "" {
				memo = j.Memo
			}
			if book == "" {
				book = j.Book
			}
			voided := "false"
			if l.Voided || j.Voided {
				voided = "true"
			}
			rec = append(rec[:0], csvfile.Text(bench.Date), csvfile.Text(s.IDs[i]), csvfile.Text(j.ID), csvfile.Text(l.ID),
				l.PostedAt.In(bench.Zone).Format(time.RFC3339), csvfile.Text(book), csvfile.Text(l.Account),
				l.Debit.String(), l.Credit.String(), csvfile.Text(memo), voided, csvfile.Text(cmp.Or(l.VoidReason, j.VoidReason)),
				csvfile.Text(cmp.Or(l.OriginalJournal, j.OriginalJournal)))
			for k := range bench.Meta {
				var v ledger.Value
				if k < len(l.Meta) {
					v = l.Meta[k]
				}
				if v.Numeric && numeric(v.Text) {
					rec = append(rec, v.Text)
				} else {
					rec = append(rec, csvfile.Text(v.Text))
				}
			}
			_ = cw.Write(rec)
		}
	}
	return rec
}

// numeric is csvfile's number shape, -?digits[.digits][e±digits], checked by hand.
func numeric(s string) bool {
	s = strings.TrimPrefix(s, "-")
	digits := func(s string) (int, string) {
		n := 0
		for n < len(s) && s[n] >= '0' && s[n] <= '9' {
			n++
		}
		return n, s[n:]
	}
	n, s := digits(s)
	if n == 0 {
		return false
	}
	if rest, ok := strings.CutPrefix(s, "."); ok {
		if n, s = digits(rest); n == 0 {
			return false
		}
	}
	if len(s) > 0 && (s[0] == 'e' || s[0] == 'E') {
		s = strings.TrimLeft(s[1:], "+-")
		if n, s = digits(s); n == 0 {
			return false
		}
	}
	return s == ""
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}

// Layer 2: the pipeline, with the database replaced by generated BSON through medici's mapping.

func BenchmarkPipeline(b *testing.B) {
	for _, n := range []int{10_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) { pipeline(b, size(n)) })
	}
}

// BenchmarkPipelineXLSX is the pipeline writing the XLSX workbook (OUTPUT_FORMAT=xlsx) instead of the CSV; cmd/bench
// compares its wall time and peak RSS with the CSV pipeline's at the same size in the same run.
func BenchmarkPipelineXLSX(b *testing.B) {
	for _, n := range []int{1_000_000} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			c := config(b, size(n))
			c.Format = "xlsx"
			pipelineWith(b, c)
		})
	}
}

// BenchmarkPipelineN runs the pipeline with LEDGER_BENCH_ENTRIES entries (200,000 by default); the chunk-size curve
// runs it with each chunk size and buffer count.
func BenchmarkPipelineN(b *testing.B) { pipeline(b, size(envInt(b, envEntries, 200_000))) }

func pipeline(b *testing.B, n int) { pipelineWith(b, config(b, n)) }

func pipelineWith(b *testing.B, c bench.Config) {
	var (
		rows, size int64
		m0         = mallocs()
		wall       time.Duration
	)
	b.ResetTimer()
	for range b.N {
		res, err := bench.RunPipeline(b.Context(), c)
		if err != nil {
			b.Fatal(err)
		}
		rows, size, wall = res.Summary.Rows, res.Summary.Bytes, wall+res.Wall
	}
	b.StopTimer()
	report(b, rows, size, mallocs()-m0, wall)
}

// BenchmarkStage times each stage of the pipeline alone at the given size, for the overlap ratio: source (page
// making, BSON mapping, checks), encode (the CSV of as many rows), hash (SHA-256 of as many bytes) and upload (as
// many bytes through the client to the fake).
func BenchmarkStage(b *testing.B) {
	for _, named := range []int{100_000, 1_000_000} {
		n := size(named)
		w := bench.NewWorkload(n, 1)
		rows := w.Rows()
		s, err := sample()
		if err != nil {
			b.Fatal(err)
		}
		cw := &countWriter{}
		if _, err := bench.StageEncode(s, 1, cw); err != nil {
			b.Fatal(err)
		}
		size := rows * cw.n / int64(s.Rows)
		b.Run(fmt.Sprintf("source/N=%d", named), func(b *testing.B) {
			m0, c0, start := mallocs(), bench.ProcessCPU(), time.Now()
			for range b.N {
				if _, _, err := bench.StageSource(b.Context(), n); err != nil {
					b.Fatal(err)
				}
			}
			report(b, rows, size, mallocs()-m0, time.Since(start))
			b.ReportMetric((bench.ProcessCPU()-c0).Seconds()/float64(b.N), "cpu-s")
		})
		b.Run(fmt.Sprintf("encode/N=%d", named), func(b *testing.B) {
			m0, c0, start := mallocs(), bench.ProcessCPU(), time.Now()
			for range b.N {
				if _, err := bench.StageEncode(s, rows, io.Discard); err != nil {
					b.Fatal(err)
				}
			}
			report(b, rows, size, mallocs()-m0, time.Since(start))
			b.ReportMetric((bench.ProcessCPU()-c0).Seconds()/float64(b.N), "cpu-s")
		})
		block, err := bench.Block(b.Context(), 4<<20)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("hash/N=%d", named), func(b *testing.B) {
			m0, c0, start := mallocs(), bench.ProcessCPU(), time.Now()
			for range b.N {
				bench.StageHash(block, size)
			}
			report(b, rows, size, mallocs()-m0, time.Since(start))
			b.ReportMetric((bench.ProcessCPU()-c0).Seconds()/float64(b.N), "cpu-s")
		})
		b.Run(fmt.Sprintf("upload/N=%d", named), func(b *testing.B) {
			url, chunk := driveURL(b), envInt(b, envChunk, bench.DefaultChunk)
			m0, c0, start := mallocs(), bench.ProcessCPU(), time.Now()
			for range b.N {
				if _, err := bench.StageUpload(b.Context(), url, chunk, block, size); err != nil {
					b.Fatal(err)
				}
			}
			report(b, rows, size, mallocs()-m0, time.Since(start))
			b.ReportMetric((bench.ProcessCPU()-c0).Seconds()/float64(b.N), "cpu-s")
		})
	}
}

// Cold start: from exec to a listening server, with every client still unopened.

// BenchmarkColdStart starts the function's server (internal/faults/cmd/exportserver, which serves
// function.New exactly as the Cloud Functions entry point does) and times it until it listens. Its MongoDB,
// Firestore and Drive addresses point at a listener that fails the benchmark if anything connects: nothing may
// dial during start-up.
func BenchmarkColdStart(b *testing.B) {
	bin := os.Getenv(envServer)
	if bin == "" {
		bin = filepath.Join(b.TempDir(), "exportserver")
		build := exec.Command("go", "build", "-o", bin, "github.com/siamledger/ledger-export/internal/faults/cmd/exportserver")
		if out, err := build.CombinedOutput(); err != nil {
			b.Fatalf("go build exportserver: %v\n%s", err, out)
		}
	}
	trap, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer trap.Close()
	// Every connection the trap accepts, by the caller's address, in the order the kernel queued them.
	dialed := make(chan string, 64)
	go func() {
		for {
			c, err := trap.Accept()
			if err != nil {
				close(dialed)
				return
			}
			dialed <- c.RemoteAddr().String()
			c.Close()
		}
	}()
	addr := trap.Addr().String()
	env := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "TELEMETRY=none",
		"MONGODB_URI=mongodb://" + addr, "MONGODB_DATABASE=ledger", "DRIVE_FOLDER_ID=folder",
		"DRIVE_ENDPOINT=http://" + addr, "FIRESTORE_PROJECT=demo-ledger-export", "FIRESTORE_EMULATOR_HOST=" + addr,
	}
	var total time.Duration
	b.ResetTimer()
	for range b.N {
		d, err := coldStart(b.Context(), bin, env)
		if err != nil {
			b.Fatal(err)
		}
		total += d
	}
	b.StopTimer()
	// The servers have exited, so any connection of theirs is already queued on the trap, ahead of this one: read
	// the accepted connections up to this sentinel instead of waiting a while for none.
	sentinel, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	defer sentinel.Close()
	for from := range dialed {
		if from == sentinel.LocalAddr().String() {
			break
		}
		b.Fatalf("the server connected to MongoDB, Firestore or Drive during start-up (from %s)", from)
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms-to-listen")
}

func coldStart(ctx context.Context, bin string, env []string) (time.Duration, error) {
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = env
	out, err := cmd.StdoutPipe()
	if err != nil {
		return 0, err
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("start %s: %w", bin, err)
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "listening on ") {
			return time.Since(start), nil
		}
	}
	return 0, fmt.Errorf("%s ended without listening", bin)
}

// The memory bound, as a test: 200,000 entries (about 500,000 rows, 100 MB of CSV) through the whole pipeline in
// a child process with the deployed GOMEMLIMIT, whose peak RSS must stay under 96 MiB, half again the 64 MiB
// target (this test binary carries embedded FerretDB and the fake Drive, about 12 MiB more than the function).
// Under the limit the heap cannot keep what leaks: a leak of 200 bytes per entry fails it (checked with one in
// medici's page lookup). It takes about 2 seconds; under the race detector (make test) it is skipped, and make
// bench-smoke runs it.

const memoryBound = 96 << 20

func TestPipelineMemory(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector multiplies memory; make bench-smoke runs this test without it")
	}
	if os.Getenv(envChild) == "memory" {
		res, err := bench.RunPipeline(t.Context(), bench.Config{Entries: 200_000, DriveURL: driveURL(t)})
		if err != nil {
			t.Fatal(err)
		}
		// The peak is a bound only for a run that wrote the whole batch: a run that stopped early (a lost page,
		// a short read) would pass it cheaply.
		if want := bench.NewWorkload(200_000, 1).Rows(); res.Summary.Rows != want || res.Summary.Bytes == 0 {
			t.Fatalf("the child wrote %d rows (%d bytes), want the workload's %d", res.Summary.Rows, res.Summary.Bytes, want)
		}
		t.Logf("rows %d, bytes %d, wall %v", res.Summary.Rows, res.Summary.Bytes, res.Wall)
		return
	}
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestPipelineMemory$", "-test.v")
	cmd.Env = append(os.Environ(), envChild+"=memory")
	if os.Getenv("GOMEMLIMIT") == "" {
		cmd.Env = append(cmd.Env, "GOMEMLIMIT="+bench.DeployedMemoryLimit) // as deployed
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		t.Skip("no rusage on this platform")
	}
	peak := ru.Maxrss << 10 // kilobytes on Linux
	t.Logf("peak RSS of 200,000 entries: %.1f MiB (bound %d MiB)\n%s", float64(peak)/(1<<20), memoryBound>>20, out)
	if peak > memoryBound {
		t.Errorf("peak RSS of the pipeline at 200,000 entries = %.1f MiB, want at most %d MiB", float64(peak)/(1<<20), memoryBound>>20)
	}
}
