// Command bench runs the export's benchmarks (internal/bench) and prints one table: the encoder against
// encoding/csv, the pipeline at 10,000, 100,000 and 1,000,000 queue entries (and at 1,000,000 writing XLSX), each
// stage alone at 1,000,000, the end-to-end run on embedded FerretDB, and the cold start; then the latency table:
// the pipeline at 100,000 and 1,000,000 entries for each MongoDB round trip (0, 5, 20 ms) and Drive chunk latency
// (0, 100 ms), with its CPU, queue-chain and chunk floors and the latency targets. Each benchmark runs in a process
// of its own, so that its peak RSS (the child's maximum resident set size, from wait4's rusage) is its own; the
// fake Drives run in this process, so the children's RSS is the exporter's alone. Every benchmark but layer 3 runs
// in a test binary built with -tags benchlean, without embedded FerretDB, whose code the function's binary does
// not carry either (it would add about 8 MiB of file-backed pages to every pipeline row's RSS). With -latency-only it prints the
// latency table alone. With -curve it prints instead the wall time and peak RSS of the pipeline for each upload
// chunk size and number of buffered chunks.
//
//	go run ./internal/bench/cmd/bench [-latency-only] [-curve] [-curve-entries 300000] [-latency 0s]
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/siamledger/ledger-export/internal/bench"
	"github.com/siamledger/ledger-export/internal/drivefake"
)

func main() {
	curve := flag.Bool("curve", false, "print the chunk-size and buffer curve instead of the table")
	curveEntries := flag.Int("curve-entries", 300_000, "entries of each run of the curve")
	latency := flag.Duration("latency", 0, "delay the fake Drive adds to every chunk request, as a real Drive's round trip would")
	latencyOnly := flag.Bool("latency-only", false, "print only the latency table (MongoDB round trip × Drive chunk latency) and its targets")
	flag.Parse()
	if err := run(*curve, *curveEntries, *latency, *latencyOnly); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// result is one benchmark line: its metrics by unit, and the child's peak RSS.
type result struct {
	name      string
	metrics   map[string]float64
	rss       int64
	parentCPU time.Duration // this process's CPU time while the child ran: the fake Drive's work
}

func (r result) m(unit string) float64 {
	v, ok := r.metrics[unit]
	if !ok {
		return math.NaN()
	}
	return v
}

type runner struct {
	dir, test, server, drive string
	ferret                   string // the test binary with layer 3 (embedded FerretDB); test is built without it
	slowDrive                string // a fake Drive that delays every chunk request by slowDrive
}

func run(curve bool, curveEntries int, latency time.Duration, latencyOnly bool) error {
	dir, err := os.MkdirTemp("", "ledger-bench-*")
	if err != nil {
		return fmt.Errorf("temporary directory: %w", err)
	}
	defer os.RemoveAll(dir)
	r := &runner{dir: dir, test: filepath.Join(dir, "bench.test"), ferret: filepath.Join(dir, "ferretdb.test"), server: filepath.Join(dir, "exportserver")}
	start := time.Now()
	fmt.Fprintln(os.Stderr, "bench: building the benchmarks and the function's server")
	if out, err := exec.Command("go", "test", "-c", "-tags", "benchlean", "-o", r.test, "./internal/bench").CombinedOutput(); err != nil {
		return fmt.Errorf("go test -c -tags benchlean ./internal/bench: %w\n%s", err, out)
	}
	if !curve && !latencyOnly {
		if out, err := exec.Command("go", "test", "-c", "-o", r.ferret, "./internal/bench").CombinedOutput(); err != nil {
			return fmt.Errorf("go test -c ./internal/bench: %w\n%s", err, out)
		}
	}
	if out, err := exec.Command("go", "build", "-o", r.server, "./internal/faults/cmd/exportserver").CombinedOutput(); err != nil {
		return fmt.Errorf("go build exportserver: %w\n%s", err, out)
	}
	var faults []drivefake.Fault
	if latency > 0 {
		faults = append(faults, drivefake.Fault{Op: drivefake.OpChunk, Delay: latency, Times: -1})
	}
	fake, err := drivefake.NewServer(drivefake.Options{Folders: []string{bench.Folder}, Discard: true, Faults: faults})
	if err != nil {
		return err
	}
	defer fake.Close()
	r.drive = fake.URL()
	slow, err := drivefake.NewServer(drivefake.Options{Folders: []string{bench.Folder}, Discard: true,
		Faults: []drivefake.Fault{{Op: drivefake.OpChunk, Delay: slowDrive, Times: -1}}})
	if err != nil {
		return err
	}
	defer slow.Close()
	r.slowDrive = slow.URL()

	fmt.Println(machine())
	if latency > 0 {
		fmt.Printf("the fake Drive delays every chunk request by %s\n", latency)
	}
	if curve {
		return r.curve(curveEntries, latency)
	}
	if latencyOnly {
		return r.latencyTable(start)
	}
	return r.table(start)
}

// bench runs one benchmark pattern in a child process and returns its lines.
func (r *runner) bench(pattern, benchtime string, env ...string) ([]result, error) {
	return r.benchIn(r.test, pattern, benchtime, env...)
}

// benchIn runs one benchmark pattern of the test binary bin in a child process and returns its lines.
func (r *runner) benchIn(bin, pattern, benchtime string, env ...string) ([]result, error) {
	fmt.Fprintf(os.Stderr, "bench: %s (%s)\n", pattern, benchtime)
	cmd := exec.Command(bin, "-test.run=^$", "-test.bench="+pattern, "-test.benchtime="+benchtime, "-test.benchmem", "-test.timeout=20m")
	cmd.Dir = filepath.Join("internal", "bench")
	cmd.Env = append(os.Environ(), append([]string{"LEDGER_BENCH_DRIVE_URL=" + r.drive, "LEDGER_BENCH_SLOW_DRIVE_URL=" + r.slowDrive,
		"LEDGER_BENCH_EXPORTSERVER=" + r.server}, env...)...)
	if os.Getenv("GOMEMLIMIT") == "" {
		// The function runs with GOMEMLIMIT (terraform variable go_memory_limit): measure it as deployed.
		cmd.Env = append(cmd.Env, "GOMEMLIMIT="+bench.DeployedMemoryLimit)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cpu0 := bench.ProcessCPU()
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s: %w\n%s", pattern, err, out.String())
	}
	parentCPU := bench.ProcessCPU() - cpu0
	var rss int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss << 10 // kilobytes on Linux
	}
	var res []result
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		rr := result{name: f[0], metrics: map[string]float64{}, rss: rss, parentCPU: parentCPU}
		for i := 2; i+1 < len(f); i += 2 {
			if v, err := strconv.ParseFloat(f[i], 64); err == nil {
				rr.metrics[f[i+1]] = v
			}
		}
		res = append(res, rr)
	}
	if len(res) == 0 {
		return nil, fmt.Errorf("%s: no benchmark line in\n%s", pattern, out.String())
	}
	return res, nil
}

func (r *runner) one(pattern, benchtime string, env ...string) (result, error) {
	res, err := r.bench(pattern, benchtime, env...)
	if err != nil {
		return result{}, err
	}
	return res[0], nil
}

// row is one line of the table.
type row struct {
	layer, n, rows, rate, mbs, rss, allocs, wall, notes string
}

func (r *runner) table(start time.Time) error {
	var rows []row
	add := func(layer, n string, res result, notes string) {
		rows = append(rows, row{
			layer: layer, n: n,
			rows:   count(res.m("rows/s") * res.m("wall-s")),
			rate:   count(res.m("rows/s")),
			mbs:    fmt.Sprintf("%.1f", res.m("MB/s")),
			rss:    fmt.Sprintf("%.1f MiB", float64(res.rss)/(1<<20)),
			allocs: fmt.Sprintf("%.2f", res.m("allocs/row")),
			wall:   fmt.Sprintf("%.3f s", res.m("wall-s")),
			notes:  notes,
		})
	}

	enc, err := r.bench("^BenchmarkEncoder$", "2s")
	if err != nil {
		return err
	}
	if len(enc) != 2 {
		return errors.New("BenchmarkEncoder: want two lines, csvfile and encoding-csv")
	}
	ratio := enc[0].m("rows/s") / enc[1].m("rows/s")
	add("1 encoder: csvfile", "2,000", enc[0], fmt.Sprintf("%.2f× encoding/csv; %.0f allocs/op", ratio, enc[0].m("allocs/op")))
	add("1 encoder: encoding/csv", "2,000", enc[1], "same cells, its own quoting")

	var pipe []result
	for _, p := range []struct {
		n     int
		times string
	}{{10_000, "5x"}, {100_000, "2x"}, {1_000_000, "1x"}} {
		res, err := r.one(fmt.Sprintf("^BenchmarkPipeline$/^N=%d$", p.n), p.times)
		if err != nil {
			return err
		}
		pipe = append(pipe, res)
		add("2 pipeline", count(float64(p.n)), res, p.times+" in one process")
	}

	xlsx, err := r.one("^BenchmarkPipelineXLSX$/^N=1000000$", "1x")
	if err != nil {
		return err
	}
	add("2 pipeline: xlsx", "1,000,000", xlsx, fmt.Sprintf("OUTPUT_FORMAT=xlsx; %.2f× the CSV's wall", xlsx.m("wall-s")/pipe[2].m("wall-s")))

	// The stages overlap when the pipeline takes little more than the slowest of them alone, or than their CPU
	// seconds spread over every core, whichever is more: the source maps pages on every core, so on this machine
	// the stages' work together can take longer than the slowest stage alone.
	var slowest, stageCPU float64
	var slowestName string
	for _, stage := range []string{"source", "encode", "hash", "upload"} {
		res, err := r.one(fmt.Sprintf("^BenchmarkStage$/^%s/N=1000000$", stage), "1x")
		if err != nil {
			return err
		}
		if w := res.m("wall-s"); w > slowest {
			slowest, slowestName = w, stage
		}
		stageCPU += res.m("cpu-s") + res.parentCPU.Seconds() // the upload's fake Drive runs in this process
		add("2 stage alone: "+stage, "1,000,000", res, fmt.Sprintf("%.2f CPU s", res.m("cpu-s")+res.parentCPU.Seconds()))
	}
	stageFloor := stageCPU / float64(runtime.NumCPU())
	overlap := pipe[2].m("wall-s") / max(slowest, stageFloor)

	fdbs, err := r.benchIn(r.ferret, "^BenchmarkFerretDB$", "1x", "LEDGER_BENCH_FERRET_ENTRIES=2000")
	if err != nil {
		return err
	}
	fdb := fdbs[0]
	add("3 FerretDB end to end", "2,000", fdb, fmt.Sprintf("%.1f finds per 1,000 entries, %.0f updates", fdb.m("finds/1000entries"), fdb.m("updates")))

	cold, err := r.one("^BenchmarkColdStart$", "5x")
	if err != nil {
		return err
	}
	rows = append(rows, row{layer: "cold start (exec to listening)", n: "-", rows: "-", rate: "-", mbs: "-",
		rss: fmt.Sprintf("%.1f MiB", float64(cold.rss)/(1<<20)), allocs: "-",
		wall: fmt.Sprintf("%.0f ms", cold.m("ms-to-listen")), notes: "mean of 5; nothing dialled"})

	tw := tabwriter.NewWriter(os.Stdout, 2, 0, 2, ' ', tabwriter.AlignRight|tabwriter.Debug)
	fmt.Fprintln(tw, "layer\tN entries\tCSV rows\tCSV rows/s\tMB/s\tpeak RSS\theap allocs/row\twall\tnotes\t")
	for _, rw := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", rw.layer, rw.n, rw.rows, rw.rate, rw.mbs, rw.rss, rw.allocs, rw.wall, rw.notes)
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	minRSS, maxRSS := math.Inf(1), 0.0
	for _, p := range pipe {
		minRSS, maxRSS = min(minRSS, float64(p.rss)), max(maxRSS, float64(p.rss))
	}
	rss1M := float64(pipe[2].rss) / (1 << 20)
	fmt.Println()
	fmt.Println("targets")
	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "MISSED"
	}
	fmt.Printf("  peak RSS at 1,000,000 entries ≤ 64 MiB:        %.1f MiB  %s\n", rss1M, verdict(rss1M <= 64))
	fmt.Printf("  flat from 10,000 to 1,000,000 (±10%%):          max/min %.3f  %s\n", maxRSS/minRSS, verdict(maxRSS/minRSS <= 1.10))
	fmt.Printf("  encoder ≥ 2× encoding/csv:                     %.2f×  %s\n", ratio, verdict(ratio >= 2))
	fmt.Printf("  encoder allocations per row (steady state):    %.4f  (%.0f allocs per %s-row pass: the sample's cells that need cleaning)\n",
		enc[0].m("allocs/row"), enc[0].m("allocs/op"), count(enc[0].m("rows/s")*enc[0].m("wall-s")))
	fmt.Printf("  1,000,000 entries through layer 2 ≤ 10 s:      %.2f s  %s\n", pipe[2].m("wall-s"), verdict(pipe[2].m("wall-s") <= 10))
	xlsxRSS, xlsxRatio := float64(xlsx.rss)/(1<<20), xlsx.m("wall-s")/pipe[2].m("wall-s")
	fmt.Printf("  xlsx: peak RSS at 1,000,000 entries ≤ 64 MiB:  %.1f MiB  %s\n", xlsxRSS, verdict(xlsxRSS <= 64))
	fmt.Printf("  xlsx: wall ≤ 2× the CSV's (same run):          %.2f s, %.2f×  %s\n", xlsx.m("wall-s"), xlsxRatio, verdict(xlsxRatio <= 2))
	fmt.Printf("  overlap: wall / max(slowest stage alone, stages' CPU s / cores) ≤ 1.2:  %.2f (slowest: %s, %.2f s; %.2f CPU s / %d cores = %.2f s)  %s\n",
		overlap, slowestName, slowest, stageCPU, runtime.NumCPU(), stageFloor, verdict(overlap <= 1.2))
	fmt.Printf("  FerretDB finds per 1,000 entries ≤ 4:          %.1f  %s\n", fdb.m("finds/1000entries"), verdict(fdb.m("finds/1000entries") <= 4)) // three lookups a page since the journal-once check
	fmt.Printf("  cold start ≤ 150 ms:                           %.0f ms  %s\n", cold.m("ms-to-listen"), verdict(cold.m("ms-to-listen") <= 150))
	fmt.Println()
	return r.latencyTable(start)
}

// curve runs the pipeline for each chunk size and buffer count. With a chunk latency it also prints the chunk
// floor: the upload sends its chunks one after another, so chunks × latency is the least the run can take.
func (r *runner) curve(entries int, latency time.Duration) error {
	tw := tabwriter.NewWriter(os.Stdout, 2, 0, 2, ' ', tabwriter.AlignRight|tabwriter.Debug)
	fmt.Fprintf(tw, "chunk\tbuffers\twall (%s entries)\tCSV rows/s\tpeak RSS\tchunk floor\twall / chunk floor\t\n", count(float64(entries)))
	for _, chunk := range []int{1 << 20, 2 << 20, 4 << 20, 8 << 20, 16 << 20} {
		for _, buffers := range []int{-1, 1, 2, 4} {
			res, err := r.one("^BenchmarkPipelineN$", "1x",
				fmt.Sprintf("LEDGER_BENCH_CHUNK=%d", chunk), fmt.Sprintf("LEDGER_BENCH_BUFFERS=%d", buffers),
				fmt.Sprintf("LEDGER_BENCH_ENTRIES=%d", entries))
			if err != nil {
				return err
			}
			b := strconv.Itoa(max(buffers, 0))
			bytes := res.m("MB/s") * 1e6 * res.m("wall-s")
			floor := math.Ceil(bytes/float64(chunk)) * latency.Seconds()
			ratio := "-"
			if floor > 0 {
				ratio = fmt.Sprintf("%.2f", res.m("wall-s")/floor)
			}
			fmt.Fprintf(tw, "%d MiB\t%s\t%.2f s\t%s\t%.1f MiB\t%.2f s\t%s\t\n", chunk>>20, b, res.m("wall-s"), count(res.m("rows/s")), float64(res.rss)/(1<<20), floor, ratio)
		}
	}
	return tw.Flush()
}

// machine describes where the benchmarks run.
func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "model name"); ok {
				model = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		if f := strings.Fields(strings.SplitN(string(b), "\n", 2)[0]); len(f) >= 2 {
			if kb, err := strconv.ParseFloat(f[1], 64); err == nil {
				mem = fmt.Sprintf(", %.0f GiB", kb/(1<<20))
			}
		}
	}
	return fmt.Sprintf("machine: %s, %d cores%s, %s %s/%s; load average %s", model, runtime.NumCPU(), mem, runtime.Version(), runtime.GOOS, runtime.GOARCH, loadavg())
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// count formats n with thousands separators.
func count(n float64) string {
	if math.IsNaN(n) {
		return "-"
	}
	s := strconv.FormatInt(int64(math.Round(n)), 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
