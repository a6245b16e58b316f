package main

import (
	"fmt"
	"os"
	"runtime"
	"text/tabwriter"
	"time"
)

// slowDrive is the chunk latency of the slow fake Drive: a real Drive's round trip per chunk request.
const slowDrive = 100 * time.Millisecond

// latencyRow is one run of BenchmarkLatency.
type latencyRow struct {
	n            int
	mongo, drive time.Duration
	res          result
}

func (l latencyRow) wall() float64 { return l.res.m("wall-s") }

// cpu is the CPU seconds of every stage of the run: the exporter's (the child's, during the run) and the fake
// Drive's (this process's, while the child ran).
func (l latencyRow) cpu() float64 { return l.res.m("cpu-s") + l.res.parentCPU.Seconds() }

// cpuFloor is the best wall time this machine allows the run: its CPU seconds spread over every core.
func (l latencyRow) cpuFloor() float64 { return l.cpu() / float64(runtime.NumCPU()) }

// chainFloor is the chain of queue queries: each query (medici.QueuePages pages) starts after the one before
// returned.
func (l latencyRow) chainFloor() float64 { return l.res.m("queuequeries") * l.mongo.Seconds() }

// chunkFloor is the chain of upload chunks: a resumable upload sends them one after another.
func (l latencyRow) chunkFloor() float64 { return l.res.m("chunks") * l.drive.Seconds() }

func (l latencyRow) floor() float64 { return max(l.cpuFloor(), l.chainFloor(), l.chunkFloor()) }

// latencyTable runs the pipeline at 100,000 and 1,000,000 entries for each MongoDB round trip and Drive chunk
// latency, each run in a process of its own, and prints the table, the floors and the targets.
func (r *runner) latencyTable(start time.Time) error {
	mongos := []time.Duration{0, 5 * time.Millisecond, 20 * time.Millisecond}
	drives := []time.Duration{0, slowDrive}
	sizes := []int{100_000, 1_000_000}
	var rows []latencyRow
	at := map[[3]int64]latencyRow{}
	for _, n := range sizes {
		for _, drive := range drives {
			for _, mongo := range mongos {
				res, err := r.one(fmt.Sprintf("^BenchmarkLatency$/^N=%d$/^mongo=%s$/^drive=%s$", n, mongo, drive), "1x")
				if err != nil {
					return err
				}
				l := latencyRow{n: n, mongo: mongo, drive: drive, res: res}
				rows = append(rows, l)
				at[[3]int64{int64(n), int64(mongo), int64(drive)}] = l
			}
		}
	}
	get := func(n int, mongo, drive time.Duration) latencyRow {
		return at[[3]int64{int64(n), int64(mongo), int64(drive)}]
	}

	fmt.Printf("latency: MongoDB round trip (medici.Memory.Latency, on every query and update) × Drive chunk latency (the fake's delay on every chunk request); %d cores\n", runtime.NumCPU())
	tw := tabwriter.NewWriter(os.Stdout, 2, 0, 2, ' ', tabwriter.AlignRight|tabwriter.Debug)
	fmt.Fprintln(tw, "N entries\tMongo RTT\tDrive chunk\twall\t× Mongo 0 ms\tCPU s (exporter + fake)\tCPU floor\twall / CPU floor\tqueue chain floor\tchunk floor\twall / largest floor\tround trips\tpeak RSS\t")
	for _, l := range rows {
		base := get(l.n, 0, l.drive)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.2f s\t%.2f\t%.2f + %.2f\t%.2f s\t%.2f\t%.2f s\t%.2f s\t%.2f\t%.0f\t%.1f MiB\t\n",
			count(float64(l.n)), ms(l.mongo), ms(l.drive), l.wall(), l.wall()/base.wall(),
			l.res.m("cpu-s"), l.res.parentCPU.Seconds(), l.cpuFloor(), l.wall()/l.cpuFloor(),
			l.chainFloor(), l.chunkFloor(), l.wall()/l.floor(), l.res.m("roundtrips"), float64(l.res.rss)/(1<<20))
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	const n = 1_000_000
	fmt.Println()
	fmt.Println("latency targets (1,000,000 entries, this run)")
	for _, drive := range drives {
		base := get(n, 0, drive)
		for _, t := range []struct {
			mongo time.Duration
			bound float64
		}{{5 * time.Millisecond, 1.15}, {20 * time.Millisecond, 1.5}} {
			l := get(n, t.mongo, drive)
			fmt.Printf("  Mongo %-5s ≤ %.2f× Mongo 0 ms (Drive %-6s):  %.2f s / %.2f s = %.2f×  %s%s\n", ms(t.mongo), t.bound, ms(drive),
				l.wall(), base.wall(), l.wall()/base.wall(), met(l.wall()/base.wall() <= t.bound), chainNote(l))
		}
	}
	for _, mongo := range mongos {
		l := get(n, mongo, slowDrive)
		bound := max(l.chunkFloor(), l.cpuFloor())
		fmt.Printf("  Drive 100 ms, Mongo %-5s: wall ≤ 1.15× max(chunk floor, CPU floor):  %.2f s / max(%.2f, %.2f) s = %.2f×  %s\n",
			ms(mongo), l.wall(), l.chunkFloor(), l.cpuFloor(), l.wall()/bound, met(l.wall() <= 1.15*bound))
	}
	zero := get(n, 0, 0)
	fmt.Printf("  zero latency: wall ≤ 1.15× CPU floor:  %.2f s / %.2f s = %.2f×  %s\n", zero.wall(), zero.cpuFloor(), zero.wall()/zero.cpuFloor(), met(zero.wall() <= 1.15*zero.cpuFloor()))
	worst, worstName := 0.0, ""
	for _, l := range rows {
		if rss := float64(l.res.rss) / (1 << 20); l.n == n && rss > worst {
			worst, worstName = rss, fmt.Sprintf("Mongo %s, Drive %s", ms(l.mongo), ms(l.drive))
		}
	}
	fmt.Printf("  peak RSS ≤ 64 MiB in every 1,000,000 row:  largest %.1f MiB (%s)  %s\n", worst, worstName, met(worst <= 64))

	fmt.Println()
	fmt.Println("capacity: entries per 30-minute run at this run's rate (1,000,000 entries; linear)")
	for _, drive := range drives {
		for _, mongo := range mongos[1:] {
			l := get(n, mongo, drive)
			fmt.Printf("  Mongo %-5s, Drive %-6s: %.1f million (%.2f s per 1,000,000)\n", ms(mongo), ms(drive), 1800/l.wall(), l.wall())
		}
	}
	fmt.Printf("\nload average at the end: %s; total %s\n", loadavg(), time.Since(start).Round(time.Second))
	return nil
}

// chainNote explains a MongoDB target the chain of queue queries alone rules out.
func chainNote(l latencyRow) string {
	if l.chainFloor() > l.cpuFloor() {
		return fmt.Sprintf(" (the queue chain alone is %.2f s: %.0f queue queries × %s)", l.chainFloor(), l.res.m("queuequeries"), ms(l.mongo))
	}
	return ""
}

func ms(d time.Duration) string { return fmt.Sprintf("%d ms", d.Milliseconds()) }

func met(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}
