//go:build !benchlean

package bench_test

// Layer 3 lives in a file of its own so that cmd/bench can build the other layers without it (-tags benchlean):
// embedded FerretDB, its SQLite and their dependencies add about 20 MB to the test binary, which the function's
// binary does not carry, and which counted about 8 MiB of file-backed pages in every pipeline row's peak RSS.

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/event"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/siamledger/ledger-export/internal/bench"
	"github.com/siamledger/ledger-export/internal/export"
	"github.com/siamledger/ledger-export/internal/medici"
	"github.com/siamledger/ledger-export/internal/testenv"
)

// Layer 3: end to end on embedded FerretDB, through the real driver. FerretDB scans every collection in full for
// each filter, and its updateMany takes time quadratic in the documents it changes (1,000 entries: 7.9 s of 8.3 s
// in the claim and the marks; 10,000 would take about 13 minutes), so this layer runs 2,000 entries: it shows the
// real path's round trips and correctness, not MongoDB's speed.

func BenchmarkFerretDB(b *testing.B) {
	n := size(envInt(b, envFerret, 2_000))
	// On tmpfs where there is one: FerretDB's SQLite syncs every write, which on a disk costs milliseconds each.
	dir, err := os.MkdirTemp("/dev/shm", "ferretdb-bench-*")
	if err != nil {
		dir = b.TempDir()
	} else {
		defer os.RemoveAll(dir)
	}
	mg, err := testenv.StartMongo(dir, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer mg.Stop()
	cmds := &commands{n: map[string]int{}}
	client, err := mongo.Connect(b.Context(), options.Client().ApplyURI(mg.URI).SetMonitor(cmds.monitor()))
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = client.Disconnect(context.Background()) }()
	colls := medici.Collections{Queue: "exportqueues", Journals: "medici_journals", Transactions: "medici_transactions", ExportLogs: "exportlogs"}
	var rows, size int64
	var wall time.Duration
	var finds, updates int
	m0 := mallocs()
	for i := range b.N {
		b.StopTimer()
		db := client.Database(fmt.Sprintf("bench%d", i))
		if err := seed(b.Context(), db, colls, bench.NewFerretWorkload(n, 1)); err != nil {
			b.Fatal(err)
		}
		q := medici.New(db, colls, medici.Options{BatchSize: 1000, CallTimeout: 5 * time.Minute, Mapper: bench.Mapper()})
		r, err := bench.Runner(b.Context(), config(b, n), q)
		if err != nil {
			b.Fatal(err)
		}
		cmds.reset()
		b.StartTimer()
		start := time.Now()
		rep, err := r.Run(b.Context(), export.Request{Date: bench.Date})
		wall += time.Since(start)
		if err != nil || rep.Summary == nil {
			b.Fatalf("Run() = %+v, %v", rep, err)
		}
		got := cmds.reset()
		b.Logf("commands (count, and -ms the time in them): %v", got)
		finds, updates = got["find"]+got["getMore"], got["update"]
		rows, size = rep.Summary.Rows, rep.Summary.Bytes
	}
	b.StopTimer()
	report(b, rows, size, mallocs()-m0, wall)
	b.ReportMetric(float64(finds)/(float64(n)/1000), "finds/1000entries")
	b.ReportMetric(float64(updates), "updates")
}

// seed inserts the workload's documents, a page at a time.
func seed(ctx context.Context, db *mongo.Database, c medici.Collections, w *bench.Workload) error {
	return w.Pages(func(p medici.Page) error {
		for _, part := range []struct {
			coll string
			docs []bson.Raw
		}{{c.Queue, p.Queue}, {c.Journals, p.Journals}, {c.Transactions, p.Lines}} {
			docs := make([]any, len(part.docs))
			for i, d := range part.docs {
				docs[i] = d
			}
			if _, err := db.Collection(part.coll).InsertMany(ctx, docs); err != nil {
				return fmt.Errorf("seed %s: %w", part.coll, err)
			}
		}
		return nil
	})
}

// commands counts the commands the driver sends, by name.
type commands struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *commands) monitor() *event.CommandMonitor {
	return &event.CommandMonitor{
		Started: func(_ context.Context, e *event.CommandStartedEvent) {
			c.mu.Lock()
			defer c.mu.Unlock()
			c.n[e.CommandName]++
		},
		Succeeded: func(_ context.Context, e *event.CommandSucceededEvent) {
			c.mu.Lock()
			defer c.mu.Unlock()
			c.n[e.CommandName+"-ms"] += int(e.Duration.Milliseconds())
		},
	}
}

func (c *commands) reset() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.n
	c.n = map[string]int{}
	return n
}
