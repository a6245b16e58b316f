package export_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/firestore"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"google.golang.org/api/option"

	"github.com/siamledger/ledger-export/internal/csvfile"
	"github.com/siamledger/ledger-export/internal/demo"
	"github.com/siamledger/ledger-export/internal/drive"
	"github.com/siamledger/ledger-export/internal/drivefake"
	"github.com/siamledger/ledger-export/internal/export"
	"github.com/siamledger/ledger-export/internal/lease"
	"github.com/siamledger/ledger-export/internal/medici"
	"github.com/siamledger/ledger-export/internal/testenv"
)

// world is one test's MongoDB, Firestore and fake Drive, and the runners built on them.
type world struct {
	t     *testing.T
	db    *mongo.Database
	fake  *drivefake.Server
	lock  *lease.Store
	store *drive.Store
	queue *medici.Store
	fs    *firestore.Client
}

var day0 = time.Date(2026, 11, 28, 18, 0, 0, 0, bkk)

func newWorld(t *testing.T) *world {
	t.Helper()
	db, _ := testenv.MongoDB(t)
	fs, _ := testenv.Firestore(t)
	fake, err := drivefake.NewServer(drivefake.Options{Folders: []string{"f"}})
	if err != nil {
		t.Fatalf("drivefake.NewServer: %v", err)
	}
	t.Cleanup(fake.Close)
	store, err := drive.New(t.Context(), drive.Config{FolderID: "f", ChunkSize: 256 << 10, CallTimeout: 30 * time.Second},
		option.WithEndpoint(fake.URL()+"/drive/v3/"), option.WithoutAuthentication())
	if err != nil {
		t.Fatalf("drive.New: %v", err)
	}
	q := medici.New(db, medici.Collections{Queue: "q", Journals: "j", Transactions: "t", ExportLogs: "l"},
		medici.Options{BatchSize: 7, CallTimeout: 30 * time.Second, Mapper: medici.Mapper{Location: bkk}})
	return &world{t: t, db: db, fake: fake, lock: lease.New(fs, "runs", "test", 30*time.Second), store: store, queue: q, fs: fs}
}

func (w *world) seed(d demo.Data) {
	w.t.Helper()
	if err := demo.Seed(w.t.Context(), w.db, demo.Collections{Queue: "q", Journals: "j", Transactions: "t"}, d); err != nil {
		w.t.Fatalf("demo.Seed: %v", err)
	}
}

// runner returns a runner on the world whose clock reads *now.
func (w *world) runner(now *time.Time, mu *sync.Mutex) *export.Runner {
	r := runner(bkk)
	r.Locker, r.Queue, r.Drive = w.lock, w.queue, w.store
	r.ChunkSize = 256 << 10
	r.Now = func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return *now
	}
	r.Lease = time.Hour
	r.Format = csvfile.Format(csvfile.Options{Location: bkk})
	r.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	return r
}

func (w *world) statuses(date string) map[string]int {
	w.t.Helper()
	cur, err := w.db.Collection("q").Find(w.t.Context(), bson.D{})
	if err != nil {
		w.t.Fatal(err)
	}
	var docs []bson.M
	if err := cur.All(w.t.Context(), &docs); err != nil {
		w.t.Fatal(err)
	}
	out := map[string]int{}
	for _, d := range docs {
		if date == "" || d["batchDate"] == date || d["batchDate"] == nil {
			out[d["status"].(string)]++
		}
	}
	return out
}

// crash runs r for the date on an instance that dies at point: its goroutine ends there, as a killed process
// would, so nothing after it runs and its lease stays held until it expires.
func (w *world) crash(r *export.Runner, date, point string) {
	w.t.Helper()
	died := false
	r.Reached = func(p string, _ int64) {
		if p == point {
			died = true
			runtime.Goexit()
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = r.Run(context.Background(), export.Request{Date: date})
	}()
	<-done
	if !died {
		w.t.Fatalf("the run of %s finished without reaching %s", date, point)
	}
}

// liveFiles returns the live files of the date (all dates when date is empty).
func (w *world) liveFiles(date string) []drivefake.File {
	var out []drivefake.File
	for _, f := range w.fake.LiveFiles("f") {
		if date == "" || f.AppProperties["exportDate"] == date {
			out = append(out, f)
		}
	}
	return out
}

// fileEntries lists the queue entry ids in a file (the CSV's entry_id column), each once.
func fileEntries(t *testing.T, f drivefake.File) []string {
	t.Helper()
	seen := map[string]bool{}
	var out []string
	for _, line := range strings.Split(strings.TrimPrefix(string(f.Content), csvfile.BOM), "\r\n")[1:] {
		cols := strings.Split(line, ",")
		if len(cols) > 1 && !seen[cols[1]] {
			seen[cols[1]] = true
			out = append(out, cols[1])
		}
	}
	slices.Sort(out)
	return out
}

// droppingQueue loses one entry of the read, as a bug in paging or mapping would.
type droppingQueue struct {
	export.Queue
	drop bool
	lost string // the id of the entry it dropped
}

func (q *droppingQueue) Read(ctx context.Context, b export.Batch, fn func([]export.Entry) error) error {
	first := true
	return q.Queue.Read(ctx, b, func(p []export.Entry) error {
		if first && q.drop && len(p) > 2 {
			q.lost = p[2].ID
			p = slices.Delete(p, 2, 3)
		}
		first = false
		return fn(p)
	})
}

// A read that loses an entry used to finish anyway: MarkExported completed everything exporting for the date,
// the lost entry included, though no file held it. Now the run refuses before the file is complete, retryably,
// and the next attempt exports every entry once.
func TestReadThatLosesAnEntryNeverFinishes(t *testing.T) {
	w := newWorld(t)
	d := demo.Generate(demo.Options{Journals: 20, Seed: 21, From: day0.Add(-10 * time.Hour), To: day0.Add(-time.Hour), Broken: true})
	w.seed(d)
	var mu sync.Mutex
	now := day0.Add(time.Minute)
	r := w.runner(&now, &mu)
	q := &droppingQueue{Queue: w.queue, drop: true}
	r.Queue = q

	rep, err := r.Run(t.Context(), export.Request{Date: "2026-11-28"})
	var e *export.Error
	if !errors.As(err, &e) || !errors.Is(err, export.ErrMismatch) || e.Permanent() || rep.Outcome != export.OutcomeFailed {
		t.Fatalf("Run() with a lost entry = %+v, %v; want a retryable mismatch", rep, err)
	}
	if lost := q.lost; lost == "" || !strings.Contains(err.Error(), "claimed but not read: \""+lost+"\"") {
		t.Errorf("mismatch error %q does not name the lost entry %q", err, lost)
	}
	if files := w.liveFiles(""); len(files) != 0 {
		t.Errorf("live files after the refused run = %d, want none: the upload must not complete", len(files))
	}
	if st := w.statuses(""); st["completed"] != 0 {
		t.Errorf("queue after the refused run = %v, want nothing completed", st)
	}

	q.drop = false
	mu.Lock()
	now = now.Add(5 * time.Minute)
	mu.Unlock()
	rep, err = r.Run(t.Context(), export.Request{Date: "2026-11-28"})
	if err != nil || rep.Outcome != export.OutcomeExported {
		t.Fatalf("retry = %+v, %v; want exported", rep, err)
	}
	files := w.liveFiles("2026-11-28")
	if len(files) != 1 || len(fileEntries(t, files[0])) != d.Valid {
		t.Fatalf("live files = %d, want one holding %d entries", len(files), d.Valid)
	}
	if st := w.statuses(""); st["completed"] != d.Valid || st["failed"] != d.Invalid || len(st) != 2 {
		t.Errorf("queue = %v, want %d completed and %d failed", st, d.Valid, d.Invalid)
	}
}

// countFailsOnce fails the first Count, after the run has marked its failures: the attempt dies late.
type countFailsOnce struct {
	export.Queue
	failed bool
}

func (q *countFailsOnce) Count(ctx context.Context, date string, g int64) (export.Counts, error) {
	if !q.failed {
		q.failed = true
		return export.Counts{}, errors.New("connection reset by peer")
	}
	return q.Queue.Count(ctx, date, g)
}

// The summary of a date must not depend on which attempt finished it. Before, a retry's claim counted only the
// entries still exporting, so the failures the first attempt had marked dropped out of entriesClaimed,
// entriesFailed and the failure list.
func TestSummaryIsTheSameWhicheverAttemptFinishes(t *testing.T) {
	d := demo.Generate(demo.Options{Journals: 20, Seed: 22, From: day0.Add(-10 * time.Hour), To: day0.Add(-time.Hour), Broken: true})
	var mu sync.Mutex
	now := day0.Add(time.Minute)

	ref := newWorld(t)
	ref.seed(d)
	want, err := ref.runner(&now, &mu).Run(t.Context(), export.Request{Date: "2026-11-28"})
	if err != nil {
		t.Fatalf("reference Run() = %v", err)
	}

	w := &world{}
	t.Run("retried", func(t *testing.T) {
		w = newWorld(t)
		w.seed(d)
		r := w.runner(&now, &mu)
		r.Queue = &countFailsOnce{Queue: w.queue}
		if _, err := r.Run(t.Context(), export.Request{Date: "2026-11-28"}); err == nil {
			t.Fatal("first Run() = nil, want the failed count")
		}
		if st := w.statuses(""); st["failed"] != d.Invalid {
			t.Fatalf("after the first attempt the queue holds %v, want its %d failures marked", st, d.Invalid)
		}
		got, err := r.Run(t.Context(), export.Request{Date: "2026-11-28"})
		if err != nil || got.Lock != export.LockTakeover {
			t.Fatalf("retry = %+v, %v; want exported by takeover", got, err)
		}
		a, b := *want.Summary, *got.Summary
		if a.EntriesClaimed != b.EntriesClaimed || a.EntriesFailed != b.EntriesFailed || a.EntriesExported != b.EntriesExported ||
			a.Rows != b.Rows || a.SHA256 != b.SHA256 || a.DebitTotal != b.DebitTotal || !slices.Equal(reasons(a.Failures), reasons(b.Failures)) {
			t.Errorf("retried summary = %+v\nwant as uninterrupted %+v", b, a)
		}
		if a.EntriesClaimed != int64(d.Valid+d.Invalid) || a.EntriesFailed != int64(d.Invalid) {
			t.Errorf("summary claims %d and fails %d, want %d and %d", a.EntriesClaimed, a.EntriesFailed, d.Valid+d.Invalid, d.Invalid)
		}
	})
}

// Path 1 of issue 10: an attempt finished the file and died before recording it; the next attempt adopts it and
// then gets a permanent 403. The entries used to go back to the queue while the file was live with them, so the
// next day exported them again. Now they stay claimed, and clearing the failure finishes the date with one file.
func TestPermanentFailureAfterAnUnrecordedFileKeepsTheClaim(t *testing.T) {
	w := newWorld(t)
	d := demo.Generate(demo.Options{Journals: 15, Seed: 23, From: day0.Add(-10 * time.Hour), To: day0.Add(-time.Hour)})
	w.seed(d)
	var mu sync.Mutex
	now := day0.Add(time.Minute)
	w.crash(w.runner(&now, &mu), "2026-11-28", export.PointUploaded)
	if files := w.liveFiles(""); len(files) != 1 {
		t.Fatalf("live files after the crash = %d, want the finished, unrecorded one", len(files))
	}

	// Sharing changed: the adopting attempt may not update the file.
	w.fake.AddFault(drivefake.Fault{Op: drivefake.OpUpdate, Status: http.StatusForbidden, Reason: "insufficientFilePermissions"})
	mu.Lock()
	now = now.Add(2 * time.Hour)
	mu.Unlock()
	r := w.runner(&now, &mu)
	_, err := r.Run(t.Context(), export.Request{Date: "2026-11-28"})
	var e *export.Error
	if !errors.As(err, &e) || !e.Permanent() {
		t.Fatalf("adopting Run() = %v, want a permanent failure", err)
	}
	if st := w.statuses(""); st["queued"] != 0 || st["exporting"] != d.Valid {
		t.Fatalf("queue after the permanent failure = %v, want all %d entries still claimed: a live file holds them", st, d.Valid)
	}

	rep, err := r.Run(t.Context(), export.Request{Date: "2026-11-28", ClearFailure: true})
	if err != nil || rep.Outcome != export.OutcomeExported {
		t.Fatalf("cleared Run() = %+v, %v; want exported", rep, err)
	}
	files := w.liveFiles("")
	if len(files) != 1 || len(fileEntries(t, files[0])) != d.Valid {
		t.Fatalf("live files = %d, want one with all %d entries", len(files), d.Valid)
	}
	if st := w.statuses(""); st["completed"] != d.Valid {
		t.Errorf("queue = %v, want %d completed", st, d.Valid)
	}
}

// Path 4 of issue 10: an attempt is frozen past its lease while a newer one finishes the date, then thaws. Its
// claim, reads and marks must change nothing the newer one owns, and it must leave no second file.
func TestThawedAttemptChangesNothing(t *testing.T) {
	for _, at := range []string{export.PointLocked, export.PointClaimed, export.PointUploaded} {
		t.Run(at, func(t *testing.T) {
			// Queue statuses below count every entry of every date.
			w := newWorld(t)
			d := demo.Generate(demo.Options{Journals: 12, Seed: 24, From: day0.Add(-10 * time.Hour), To: day0.Add(-time.Hour), Broken: true})
			w.seed(d)
			var mu sync.Mutex
			frozenNow := day0.Add(time.Minute)
			frozen := w.runner(&frozenNow, &mu)
			paused, thaw := make(chan struct{}), make(chan struct{})
			frozen.Reached = func(point string, _ int64) {
				if point == at {
					close(paused)
					<-thaw
				}
			}
			type result struct {
				rep export.Report
				err error
			}
			res := make(chan result, 1)
			go func() {
				rep, err := frozen.Run(context.Background(), export.Request{Date: "2026-11-28"})
				res <- result{rep, err}
			}()
			<-paused

			newerNow := frozenNow.Add(2 * time.Hour) // past the frozen attempt's lease
			newer := w.runner(&newerNow, &mu)
			rep, err := newer.Run(t.Context(), export.Request{Date: "2026-11-28"})
			if err != nil || rep.Outcome != export.OutcomeExported {
				t.Fatalf("newer Run() = %+v, %v; want exported", rep, err)
			}
			// An entry queued late with a createdAt before the cutoff (a clock-skewed app): a thawed claim may
			// take it for the done date, where no file will ever hold it.
			late := demo.Generate(demo.Options{Journals: 1, Seed: 124, From: day0.Add(-2 * time.Hour), To: day0.Add(-time.Hour)})
			w.seed(late)
			close(thaw)
			old := <-res
			var e *export.Error
			if !errors.As(old.err, &e) || e.Class != export.ClassLeaseLost {
				t.Errorf("thawed Run() = %+v, %v; want lease lost", old.rep, old.err)
			}
			files := w.liveFiles("")
			if len(files) != 1 || files[0].ID != rep.Summary.FileID {
				t.Fatalf("live files = %v, want only the newer attempt's %s", files, rep.Summary.FileID)
			}
			if got := fileEntries(t, files[0]); len(got) != d.Valid {
				t.Errorf("the file holds %d entries, want %d", len(got), d.Valid)
			}
			if st := w.statuses("2026-11-28"); st["completed"] != d.Valid || st["failed"] != d.Invalid {
				t.Errorf("queue = %v, want %d completed in the file and %d failed", st, d.Valid, d.Invalid)
			}
			n, err := w.db.Collection("q").CountDocuments(t.Context(), bson.D{{Key: "status", Value: "completed"}, {Key: "metadata.fileId", Value: files[0].ID}})
			if err != nil || n != int64(d.Valid) {
				t.Errorf("entries completed in the live file = %d, %v; want %d", n, err, d.Valid)
			}
			// The next day's run returns whatever the thawed claim took to the queue, and exports it in its own file.
			nextNow := day0.AddDate(0, 0, 1).Add(time.Minute)
			next, err := w.runner(&nextNow, &mu).Run(t.Context(), export.Request{Date: "2026-11-29"})
			if err != nil || next.Outcome != export.OutcomeExported || next.Summary.EntriesExported != 1 {
				t.Fatalf("next day = %+v, %v; want the late entry exported", next, err)
			}
			if st := w.statuses(""); st["completed"] != d.Valid+1 || st["exporting"] != 0 || st["queued"] != 0 {
				t.Errorf("queue after the next day = %v, want %d completed and nothing left", st, d.Valid+1)
			}
		})
	}
}

// Healing: every attempt of two days failed (one died after its claim, the other never took its lock). The
// third day's single run finishes both, oldest first, each in its own file with its own entries, then its own.
// Before, the first day stayed exporting until an operator acted and the second day's entries landed in the
// third day's file.
func TestNextRunHealsEarlierDates(t *testing.T) {
	w := newWorld(t)
	days := []time.Time{day0, day0.AddDate(0, 0, 1), day0.AddDate(0, 0, 2), day0.AddDate(0, 0, 3)}
	names := []string{"2026-11-28", "2026-11-29", "2026-11-30", "2026-12-01"}
	want := w.seedDays(days, names, 4, 30)
	// A queued entry whose createdAt is a string can never be claimed: the run must report it.
	if _, err := w.db.Collection("q").InsertOne(t.Context(), bson.D{{Key: "_id", Value: "bad"}, {Key: "entryId", Value: "x"},
		{Key: "exportPath", Value: "scheduled"}, {Key: "status", Value: "queued"}, {Key: "createdAt", Value: "yesterday"}}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	now := days[0].Add(time.Minute)
	r := w.runner(&now, &mu)
	if rep, err := r.Run(t.Context(), export.Request{Date: names[0]}); err != nil || rep.Outcome != export.OutcomeExported {
		t.Fatalf("day 1 = %+v, %v", rep, err)
	}
	// Day 2: the only attempt dies after its claim.
	mu.Lock()
	now = days[1].Add(time.Minute)
	mu.Unlock()
	w.crash(w.runner(&now, &mu), names[1], export.PointClaimed)
	// Day 3: no attempt ever took the lock. Day 4's run heals days 2 and 3.
	mu.Lock()
	now = days[3].Add(time.Minute)
	mu.Unlock()
	rep, err := r.Run(t.Context(), export.Request{Date: names[3]})
	if err != nil || rep.Outcome != export.OutcomeExported {
		t.Fatalf("day 4 = %+v, %v; want exported", rep, err)
	}
	wantHealed := []export.Healed{{Date: names[1], Outcome: export.OutcomeExported}, {Date: names[2], Outcome: export.OutcomeExported}}
	if !slices.Equal(rep.Healed, wantHealed) {
		t.Errorf("healed = %+v, want %+v", rep.Healed, wantHealed)
	}
	if rep.Stuck.Unclaimable != 1 || len(rep.Stuck.Blocked) != 0 {
		t.Errorf("stuck = %+v, want the one unclaimable entry", rep.Stuck)
	}
	w.checkOwnFiles(want)
	if st := w.statuses(""); st["exporting"] != 0 || st["queued"] != 1 {
		t.Errorf("queue = %v, want nothing exporting and only the unclaimable entry queued", st)
	}
}

// seedDays seeds a batch for each of the days (cutoffs), journals+i entries and seed+i for the i-th, and returns
// each date's queue entry ids, sorted, by name.
func (w *world) seedDays(days []time.Time, names []string, journals int, seed uint64) map[string][]string {
	w.t.Helper()
	want := map[string][]string{}
	for i, c := range days {
		d := demo.Generate(demo.Options{Journals: journals + i, Seed: seed + uint64(i), From: c.Add(-20 * time.Hour), To: c.Add(-time.Hour)})
		w.seed(d)
		for _, q := range d.Queue {
			want[names[i]] = append(want[names[i]], idHex(q))
		}
		slices.Sort(want[names[i]])
	}
	return want
}

// checkOwnFiles requires each date to have one live file holding exactly its own entries.
func (w *world) checkOwnFiles(want map[string][]string) {
	w.t.Helper()
	for _, name := range slices.Sorted(maps.Keys(want)) {
		files := w.liveFiles(name)
		if len(files) != 1 {
			w.t.Errorf("%s: %d live files, want 1", name, len(files))
			continue
		}
		if got := fileEntries(w.t, files[0]); !slices.Equal(got, want[name]) {
			w.t.Errorf("%s: file holds %v, want its own entries %v", name, got, want[name])
		}
	}
}

func idHex(q any) string {
	if s, ok := idOf(q).(interface{ Hex() string }); ok {
		return s.Hex()
	}
	return ""
}

// idOf returns the _id of a seeded queue document, with its own type.
func idOf(q any) any {
	for _, e := range q.(bson.D) {
		if e.Key == "_id" {
			return e.Value
		}
	}
	return nil
}

func reasons(fs []export.Failure) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.EntryID+" "+f.JournalID+" "+f.Reason)
	}
	return out
}

// A deliberate re-export runs under the date's lease: the runbook no longer re-queues entries or deletes the lock
// (issue 18, defect 1: the lock restarted at generation 1 and the claim, fenced on lower generations, took
// nothing). After a crash and a takeover the date is done at generation 2; the re-export takes it over at
// generation 3, claims its completed entries again, and uploads a new revision of the same file, keeping the
// earlier revision forever: one live file, every entry in it exactly once and completed in it, nothing left
// exporting, and the summary's correction naming the kept revision.
// Bugs caught: a generation that restarts, a re-export that makes a second file or trashes the first, a claim
// that leaves the completed entries out, a correction without the earlier figures.
func TestReexportUnderTheLease(t *testing.T) {
	w := newWorld(t)
	d := demo.Generate(demo.Options{Journals: 8, Seed: 25, From: day0.Add(-10 * time.Hour), To: day0.Add(-time.Hour)})
	w.seed(d)
	var mu sync.Mutex
	now := day0.Add(time.Minute)
	w.crash(w.runner(&now, &mu), "2026-11-28", export.PointLocked)
	mu.Lock()
	now = now.Add(2 * time.Hour)
	mu.Unlock()
	r := w.runner(&now, &mu)
	first, err := r.Run(t.Context(), export.Request{Date: "2026-11-28"})
	if err != nil || first.Summary.Generation != 2 {
		t.Fatalf("first export = %+v, %v; want exported by generation 2", first, err)
	}
	old := w.liveFiles("")[0]

	x := &export.Reexport{By: "ops@example.com", Reason: "memo corrected"}
	again, err := r.Run(t.Context(), export.Request{Date: "2026-11-28", Reexport: x})
	if err != nil || again.Outcome != export.OutcomeExported || again.Summary.Generation != 3 {
		t.Fatalf("re-export = %+v, %v; want exported at generation 3", again, err)
	}
	files := w.liveFiles("")
	if len(files) != 1 || files[0].ID != old.ID || len(fileEntries(t, files[0])) != d.Valid {
		t.Fatalf("live files = %v, want only file %s with all %d entries", files, old.ID, d.Valid)
	}
	revs := w.fake.Revisions(old.ID)
	if len(revs) != 2 || !revs[0].KeepForever || !slices.Equal(revs[0].Content, old.Content) {
		t.Errorf("revisions = %d, want the earlier one kept forever with its content, and the new head", len(revs))
	}
	c := again.Summary.Correction
	if c == nil || c.By != x.By || c.Previous.SHA256 != first.Summary.SHA256 || c.Previous.Generation != 2 || len(revs) == 0 || c.Previous.RevisionID != revs[0].ID {
		t.Errorf("correction = %+v, want the request and the first export's figures", c)
	}
	if got := w.statuses("2026-11-28"); got["exporting"] != 0 || got["queued"] != 0 || got["completed"] != d.Valid {
		t.Errorf("queue = %v, want all %d completed and nothing exporting or queued", got, d.Valid)
	}
}

// downQueue is MongoDB unreachable: every call fails.
type downQueue struct{ export.Queue }

var errDown = errors.New("server selection error: connection refused")

func (downQueue) Claim(context.Context, export.Batch, time.Time) error { return errDown }
func (downQueue) Pending(context.Context) ([]string, error)            { return nil, errDown }
func (downQueue) Unclaimable(context.Context) (int64, error)           { return 0, errDown }
func (downQueue) Release(context.Context, export.Batch) (int64, error) { return 0, errDown }
func (downQueue) Count(context.Context, string, int64) (export.Counts, error) {
	return export.Counts{}, errDown
}

// Healing with no done date yet: MongoDB is down through the first day's attempts (its lock records the failure)
// and no attempt of the second day ever took its lock. The third day's run finishes both, each with its own
// entries. Before, a date with no lock was healed only after a done date, so the second day's entries went into
// the third day's file; and an outage spent the attempt healing instead of taking the own date's lock.
func TestHealingWithoutADoneDate(t *testing.T) {
	w := newWorld(t)
	days := []time.Time{day0, day0.AddDate(0, 0, 1), day0.AddDate(0, 0, 2)}
	names := []string{"2026-11-28", "2026-11-29", "2026-11-30"}
	want := w.seedDays(days, names, 3, 50)
	var mu sync.Mutex
	now := days[0].Add(time.Minute)
	down := w.runner(&now, &mu)
	down.Queue = downQueue{w.queue}
	if _, err := down.Run(t.Context(), export.Request{Date: names[0]}); err == nil {
		t.Fatal("day 1 with MongoDB down = nil, want a failure")
	}
	mu.Lock()
	now = days[2].Add(time.Minute)
	mu.Unlock()
	rep, err := w.runner(&now, &mu).Run(t.Context(), export.Request{Date: names[2]})
	if err != nil || rep.Outcome != export.OutcomeExported {
		t.Fatalf("day 3 = %+v, %v", rep, err)
	}
	if len(rep.Healed) != 2 || rep.Healed[0].Date != names[0] || rep.Healed[1].Date != names[1] {
		t.Errorf("healed = %+v, want days 1 and 2", rep.Healed)
	}
	w.checkOwnFiles(want)
}

// With MongoDB down, a run must not spend its attempt healing earlier dates: it goes straight to its own date,
// whose lock then records the failure (so the next run heals it too).
func TestOutageSkipsHealingAndLocksTheOwnDate(t *testing.T) {
	w := newWorld(t)
	var mu sync.Mutex
	now := day0.Add(time.Minute)
	r := w.runner(&now, &mu)
	r.Queue = downQueue{w.queue}
	if _, err := r.Run(t.Context(), export.Request{Date: "2026-11-28"}); err == nil {
		t.Fatal("day 1 = nil, want a failure")
	}
	mu.Lock()
	now = day0.AddDate(0, 0, 1).Add(time.Minute)
	mu.Unlock()
	rep, err := r.Run(t.Context(), export.Request{Date: "2026-11-29"})
	if err == nil || len(rep.Healed) != 0 {
		t.Fatalf("day 2 with MongoDB down = %+v, %v; want a failure and no healing attempted", rep, err)
	}
	if rec, found, err := w.lock.Get(t.Context(), "2026-11-29"); err != nil || !found || rec.State != export.StateFailed {
		t.Errorf("day 2's lock = %+v, %v, %v; want it taken and failed", rec, found, err)
	}
}
