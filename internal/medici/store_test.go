package medici_test

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/event"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/siamledger/ledger-export/internal/demo"
	"github.com/siamledger/ledger-export/internal/export"
	"github.com/siamledger/ledger-export/internal/ledger"
	"github.com/siamledger/ledger-export/internal/medici"
	"github.com/siamledger/ledger-export/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

var (
	bkk         = mustZone("Asia/Bangkok")
	cutoff      = time.Date(2026, 11, 28, 18, 0, 0, 0, bkk)
	collections = medici.Collections{Queue: "exportqueues", Journals: "medici_journals", Transactions: "medici_transactions", ExportLogs: "exportlogs"}
)

func mustZone(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

// commands counts the commands the driver sends, by name.
type commands struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *commands) monitor() *event.CommandMonitor {
	return &event.CommandMonitor{Started: func(_ context.Context, e *event.CommandStartedEvent) {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.n[e.CommandName]++
	}}
}

func (c *commands) reset() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.n
	c.n = map[string]int{}
	return n
}

func setup(t *testing.T, d demo.Data, batch int) (*medici.Store, *mongo.Database, *commands) {
	t.Helper()
	seedDB, uri := testenv.MongoDB(t)
	if err := demo.Seed(t.Context(), seedDB, demo.Collections{Queue: collections.Queue, Journals: collections.Journals, Transactions: collections.Transactions}, d); err != nil {
		t.Fatalf("demo.Seed: %v", err)
	}
	cmds := &commands{n: map[string]int{}}
	c, err := mongo.Connect(t.Context(), options.Client().ApplyURI(uri).SetMonitor(cmds.monitor()))
	if err != nil {
		t.Fatalf("mongo.Connect: %v", err)
	}
	t.Cleanup(func() { _ = c.Disconnect(context.Background()) })
	db := c.Database(seedDB.Name())
	s := medici.New(db, collections, medici.Options{BatchSize: batch, CallTimeout: 30 * time.Second, Mapper: medici.Mapper{Location: bkk}})
	return s, db, cmds
}

func TestClaimReadMark(t *testing.T) {
	d := demo.Generate(demo.Options{Journals: 45, Seed: 1, From: cutoff.Add(-20 * time.Hour), To: cutoff.Add(-time.Hour), Broken: true})
	// One entry queued exactly at the cutoff belongs to the next day.
	late := demo.Generate(demo.Options{Journals: 1, Seed: 2, From: cutoff.Add(-time.Second), To: cutoff})
	d.Journals = append(d.Journals, late.Journals...)
	d.Transactions = append(d.Transactions, late.Transactions...)
	d.Queue = append(d.Queue, late.Queue...)
	s, db, cmds := setup(t, d, 10)
	ctx := t.Context()
	b := export.Batch{Date: "2026-11-28", Cutoff: cutoff, Generation: 1}

	cmds.reset()
	if err := s.Claim(ctx, b, time.Now()); err != nil {
		t.Fatalf("Claim() = %v", err)
	}
	if got := cmds.reset(); got["update"] != 1 || len(got) != 1 {
		t.Errorf("Claim() sent %v, want exactly one update command", got)
	}
	if c, err := s.Count(ctx, b.Date, b.Generation); err != nil || c != (export.Counts{Exporting: int64(d.Valid + d.Invalid)}) {
		t.Fatalf("Count() after the claim = %+v, %v; want %d exporting (every entry before the cutoff, none at it)", c, err, d.Valid+d.Invalid)
	}
	cmds.reset()

	var (
		valid, pages int
		failures     []export.Failure
		lastID       string
	)
	err := s.Read(ctx, b, func(page []export.Entry) error {
		pages++
		for _, e := range page {
			if e.ID <= lastID {
				t.Errorf("Read() gave %s after %s, want _id order", e.ID, lastID)
			}
			lastID = e.ID
			if err := e.Err; err != nil || e.Journal.Check() != nil {
				if err == nil {
					err = e.Journal.Check()
				}
				failures = append(failures, export.Failure{EntryID: e.ID, JournalID: e.JournalID, Reason: err.Error(), Key: e.Key})
				continue
			}
			valid++
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Read() = %v", err)
	}
	if valid != d.Valid || len(failures) != d.Invalid {
		t.Errorf("Read() gave %d valid and %d failed entries, want %d and %d: %v", valid, len(failures), d.Valid, d.Invalid, failures)
	}
	got := cmds.reset()
	// 49 entries in pages of 10: five pages, all in one find of queue entries (medici.QueuePages pages), then one
	// find for each page's journals, one for their lines and one for the journals exported for another date, and
	// one aggregation for journals queued twice.
	if pages != 5 || got["find"] != 1+3*pages || got["aggregate"] != 1 || len(got) != 2 {
		t.Errorf("Read() took %d pages and sent %v, want 5 pages, 1 + 3 finds a page, one aggregate and nothing else", pages, got)
	}

	if err := s.MarkFailed(ctx, b, failures, time.Now()); err != nil {
		t.Fatalf("MarkFailed() = %v", err)
	}
	if c, err := s.Count(ctx, b.Date, b.Generation); err != nil || c.Failed != int64(d.Invalid) {
		t.Errorf("Count() = %+v, %v; want %d failed", c, err, d.Invalid)
	}
	cmds.reset()
	nm, err := s.MarkExported(ctx, b, export.File{ID: "file-1", WebViewLink: "https://drive/x"}, time.Now())
	if err != nil || nm != int64(d.Valid) {
		t.Errorf("MarkExported() = %d, %v; want %d", nm, err, d.Valid)
	}
	if got := cmds.reset(); got["update"] != 1 {
		t.Errorf("MarkExported() sent %v, want one update", got)
	}
	again, err := s.MarkExported(ctx, b, export.File{ID: "file-1"}, time.Now())
	if err != nil || again != 0 {
		t.Errorf("second MarkExported() = %d, %v; want 0 (idempotent)", again, err)
	}

	count := func(f bson.D) int64 {
		n, err := db.Collection(collections.Queue).CountDocuments(ctx, f)
		if err != nil {
			t.Fatalf("CountDocuments(%v): %v", f, err)
		}
		return n
	}
	if c := count(bson.D{{Key: "status", Value: "completed"}, {Key: "metadata.fileId", Value: "file-1"}, {Key: "batchDate", Value: b.Date}}); c != int64(d.Valid) {
		t.Errorf("completed entries in file-1 = %d, want %d", c, d.Valid)
	}
	if c := count(bson.D{{Key: "status", Value: "queued"}}); c != 1 {
		t.Errorf("entries still queued = %d, want 1 (the one at the cutoff)", c)
	}
	var failed bson.M
	if err := db.Collection(collections.Queue).FindOne(ctx, bson.D{{Key: "status", Value: "failed"}, {Key: "error", Value: bson.D{{Key: "$regex", Value: "does not balance"}}}}).Decode(&failed); err != nil {
		t.Errorf("find the unbalanced entry marked failed with its reason: %v", err)
	}
}

func TestReadMissingJournalIsAFailedEntry(t *testing.T) {
	d := demo.Generate(demo.Options{Journals: 0, Seed: 3, From: cutoff.Add(-time.Hour), To: cutoff.Add(-time.Minute), Broken: true})
	s, _, _ := setup(t, d, 1000)
	b := export.Batch{Date: "2026-11-28", Cutoff: cutoff, Preview: true}
	reasons := map[error]int{}
	err := s.Read(t.Context(), b, func(page []export.Entry) error {
		for _, e := range page {
			err := e.Err
			if err == nil {
				err = e.Journal.Check()
			}
			for _, want := range []error{ledger.ErrNotFound, ledger.ErrUnbalanced, ledger.ErrMalformed, ledger.ErrNoLines} {
				if errors.Is(err, want) {
					reasons[want]++
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Read(preview) = %v", err)
	}
	for _, want := range []error{ledger.ErrNotFound, ledger.ErrUnbalanced, ledger.ErrMalformed, ledger.ErrNoLines} {
		if reasons[want] != 1 {
			t.Errorf("Read(preview) entries failing with %v = %d, want 1 (all: %v)", want, reasons[want], reasons)
		}
	}
}

// One export log per export: a retry of the same generation replaces its own log (a log per attempt would list a
// date twice for one file), and a re-export, with a newer generation, adds one beside it (a log per date, as
// before issue 18, overwrote the first export's record with the correction). The re-export's log carries the
// correction and the late arrivals; the retry of the first export leaves no correction behind. Store and Memory
// alike.
func TestLogExportIsOnePerExport(t *testing.T) {
	at := time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)
	first := export.Summary{Date: "2026-11-28", Generation: 2, Rows: 10, FileID: "f", FileName: "ledger-2026-11-28.csv", SHA256: "aa", DebitTotal: "5.00", CreditTotal: "5.00", EntriesExported: 4}
	retry := first
	retry.Rows, retry.EntriesLate = 11, 1
	correction := export.Summary{Date: "2026-11-28", Generation: 5, Rows: 12, WindowFrom: "2026-11-27 18:00", TimeZone: "Asia/Bangkok",
		AccountMap: &export.Source{Name: "account-map", FileID: "m1", Version: 7, SHA256: "cc"}, FileID: "f", FileName: "ledger-2026-11-28.csv", SHA256: "bb", DebitTotal: "7.00", CreditTotal: "7.00", EntriesExported: 5,
		Correction: &export.Correction{By: "ops@example.com", Reason: "journal fixed", At: at, RetryFailed: true,
			Previous: export.PreviousFile{Rows: 11, EntriesExported: 4, DebitTotal: "5.00", CreditTotal: "5.00", SHA256: "aa", RevisionID: "r1", Generation: 2}}}
	s, db, _ := setup(t, demo.Data{}, 10)
	mem := &medici.Memory{}
	for _, q := range []export.Queue{s, mem} {
		for _, sum := range []export.Summary{first, retry, correction} {
			if err := q.LogExport(t.Context(), sum, at); err != nil {
				t.Fatalf("LogExport() = %v", err)
			}
		}
	}
	var logs []bson.M
	cur, err := db.Collection(collections.ExportLogs).Find(t.Context(), bson.D{}, options.Find().SetSort(bson.D{{Key: "generation", Value: 1}}))
	if err == nil {
		err = cur.All(t.Context(), &logs)
	}
	if err != nil || len(logs) != 2 {
		t.Fatalf("export logs = %v, %v; want two (generations 2 and 5)", logs, err)
	}
	if l := logs[0]; l["action"] != "csv_generated" || l["generation"] != int64(2) || l["rows"] != int64(11) || l["entriesLate"] != int64(1) || l["correction"] != nil {
		t.Errorf("first export's log = %v, want generation 2 replaced by its retry: rows 11, entriesLate 1, no correction", l)
	}
	if m, _ := logs[1]["accountMap"].(bson.M); m["version"] != int64(7) || m["sha256"] != "cc" || logs[1]["windowFrom"] != "2026-11-27 18:00" || logs[1]["timeZone"] != "Asia/Bangkok" || logs[0]["accountMap"] != nil {
		t.Errorf("the correction's log = %v; want its account map (version 7, sha256 cc) and window, and none on the first", logs[1])
	}
	c, _ := logs[1]["correction"].(bson.M)
	prev, _ := c["previous"].(bson.M)
	nu, _ := c["new"].(bson.M)
	if logs[1]["generation"] != int64(5) || c["by"] != "ops@example.com" || c["reason"] != "journal fixed" || c["retryFailed"] != true ||
		prev["sha256"] != "aa" || prev["rows"] != int64(11) || prev["revisionId"] != "r1" || nu["sha256"] != "bb" || nu["rows"] != int64(12) || nu["debitTotal"] != "7.00" {
		t.Errorf("re-export's log = %v, want the correction by ops@example.com with the previous (aa, 11 rows) and new (bb, 12 rows) file", logs[1])
	}
	got := mem.Logs()
	if len(got) != 2 || got[0].Generation != 2 || got[0].Rows != 11 || got[1].Generation != 5 || got[1].Correction == nil {
		t.Errorf("Memory.Logs() = %+v, want the same two logs as Store", got)
	}
}
