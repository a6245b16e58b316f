package export_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/siamledger/ledger-export/internal/demo"
	"github.com/siamledger/ledger-export/internal/export"
	"github.com/siamledger/ledger-export/internal/ledger"
)

// Tests of issue 18 ("exactly once at the edges"): the own date and the earlier dates, late arrivals, an app that
// changes entries under the exporter, the marks, the lease fences of the trash paths, and the deadline fence.

// uploadFails makes every upload of one date fail on a Drive outage (a 503 after the client's own retries).
type uploadFails struct {
	export.Drive
	date string
	n    int
}

func (d *uploadFails) Upload(ctx context.Context, f export.NewFile, body io.Reader, p func(export.UploadProgress)) (export.File, error) {
	if f.Date == d.date {
		d.n++
		return export.File{}, errors.New("googleapi: Error 503: backendError")
	}
	return d.Drive.Upload(ctx, f, body, p)
}

// Defect 3 of issue 18, and the mutant "healing going on after a transient failure": day 1's attempt died after
// its claim and day 2 never took its lock. Day 3's run meets a Drive outage while healing day 1. It must neither
// go on to day 2 nor export its own date: either would put the earlier days' entries in a later file (before,
// day 2's file held 0 entries and day 3's held day 2's too). Once Drive is back, the retry exports every day in
// its own file.
func TestOwnDateWaitsWhileHealingFailsOnAnOutage(t *testing.T) {
	w := newWorld(t)
	days := []time.Time{day0, day0.AddDate(0, 0, 1), day0.AddDate(0, 0, 2)}
	names := []string{"2026-11-28", "2026-11-29", "2026-11-30"}
	want := w.seedDays(days, names, 3, 60)
	var mu sync.Mutex
	now := days[0].Add(time.Minute)
	w.crash(w.runner(&now, &mu), names[0], export.PointClaimed)

	mu.Lock()
	now = days[2].Add(2 * time.Hour) // past day 1's lease
	mu.Unlock()
	r := w.runner(&now, &mu)
	down := &uploadFails{Drive: w.store, date: names[0]}
	r.Drive = down
	rep, err := r.Run(t.Context(), export.Request{Date: names[2]})
	var e *export.Error
	if !errors.As(err, &e) || e.Class != export.ClassEarlierDate || e.Permanent() || !errors.Is(err, export.ErrEarlierUnfinished) {
		t.Fatalf("day 3 while day 1 fails = %+v, %v; want a retryable earlier_date error", rep, err)
	}
	if down.n == 0 {
		t.Fatal("the Drive outage never fired: day 1 was not healed")
	}
	if len(rep.Healed) != 1 || rep.Healed[0].Date != names[0] {
		t.Errorf("healed = %+v, want only day 1 tried (healing stops at an outage)", rep.Healed)
	}
	if files := w.liveFiles(""); len(files) != 0 {
		t.Errorf("live files = %d, want none: no date may take another's entries", len(files))
	}
	if _, found, err := w.lock.Get(t.Context(), names[1]); err != nil || found {
		t.Errorf("day 2's lock found = %v, %v; want day 2 untouched after day 1's outage", found, err)
	}
	if rec, found, err := w.lock.Get(t.Context(), names[2]); err != nil || !found || rec.State != export.StateFailed || rec.ErrorClass != export.ClassEarlierDate {
		t.Errorf("day 3's lock = %+v, %v, %v; want failed with earlier_date, so a later run heals it", rec, found, err)
	}

	r.Drive = w.store
	mu.Lock()
	now = now.Add(5 * time.Minute)
	mu.Unlock()
	rep = mustExport(t, r, names[2], "retry of day 3")
	w.checkOwnFiles(want)
}

// Defect 3 of issue 18, the busy variant: an earlier date held by a live attempt makes the own date wait.
func TestOwnDateWaitsWhileAnEarlierDateIsBusy(t *testing.T) {
	w := newWorld(t)
	days := []time.Time{day0, day0.AddDate(0, 0, 1)}
	names := []string{"2026-11-28", "2026-11-29"}
	want := w.seedDays(days, names, 3, 70)
	var mu sync.Mutex
	now := days[0].Add(time.Minute)
	w.crash(w.runner(&now, &mu), names[0], export.PointClaimed)

	mu.Lock()
	now = days[1].Add(time.Minute)
	mu.Unlock()
	r := w.runner(&now, &mu)
	// Another attempt (a manual invoke, say) takes day 1 over and holds it for the next hour.
	if _, err := w.lock.Acquire(t.Context(), names[0], now, export.AcquireOptions{TTL: time.Hour}); err != nil {
		t.Fatal(err)
	}
	rec, _, err := w.lock.Get(t.Context(), names[0])
	if err != nil || !rec.LeaseExpiresAt.After(now) {
		t.Fatalf("day 1's lock = %+v, %v; want a live lease", rec, err)
	}
	rep, err := r.Run(t.Context(), export.Request{Date: names[1]})
	var e *export.Error
	if !errors.As(err, &e) || e.Class != export.ClassEarlierDate || len(rep.Healed) != 1 || rep.Healed[0].Outcome != export.OutcomeBusy {
		t.Fatalf("day 2 while day 1 is busy = %+v, %v; want earlier_date with day 1 busy", rep, err)
	}
	if files := w.liveFiles(""); len(files) != 0 {
		t.Errorf("live files = %d, want none", len(files))
	}
	mu.Lock()
	now = now.Add(2 * time.Hour)
	mu.Unlock()
	if rep, err := r.Run(t.Context(), export.Request{Date: names[1]}); err != nil || rep.Outcome != export.OutcomeExported {
		t.Fatalf("day 2 once day 1's lease ended = %+v, %v", rep, err)
	}
	w.checkOwnFiles(want)
}

// Late arrivals (issue 18): an entry created in day 1's window that becomes visible only after day 1 is done
// goes into day 2's file, and day 2's summary lists it as late with day 1's date. Before, nothing told it apart.
func TestLateArrivalIsListedWithItsOwnDate(t *testing.T) {
	w := newWorld(t)
	var mu sync.Mutex
	d1 := demo.Generate(demo.Options{Journals: 3, Seed: 81, From: day0.Add(-10 * time.Hour), To: day0.Add(-time.Hour)})
	w.seed(d1)
	now := day0.Add(time.Minute)
	r := w.runner(&now, &mu)
	if rep, err := r.Run(t.Context(), export.Request{Date: "2026-11-28"}); err != nil || rep.Outcome != export.OutcomeExported {
		t.Fatalf("day 1 = %+v, %v", rep, err)
	}
	late := demo.Generate(demo.Options{Journals: 1, Seed: 82, From: day0.Add(-3 * time.Hour), To: day0.Add(-2 * time.Hour)})
	w.seed(late)
	own := demo.Generate(demo.Options{Journals: 2, Seed: 83, From: day0.Add(time.Hour), To: day0.Add(5 * time.Hour)})
	w.seed(own)
	mu.Lock()
	now = day0.AddDate(0, 0, 1).Add(time.Minute)
	mu.Unlock()
	rep := mustExport(t, r, "2026-11-29", "day 2")
	s := rep.Summary
	lateID := idHex(late.Queue[0])
	if s.EntriesExported != 3 || s.EntriesLate != 1 || len(s.Late) != 1 || s.Late[0].EntryID != lateID || s.Late[0].Date != "2026-11-28" {
		t.Errorf("day 2's summary: exported %d, late %d %+v; want 3 exported, 1 late (%s of 2026-11-28)", s.EntriesExported, s.EntriesLate, s.Late, lateID)
	}
}

// A blocked date keeps its window's entries until it is cleared (issue 18): day 1 fails permanently with nothing
// live in Drive, so its entries go back to the queue; day 2's claim must not take them (before, it did: they
// landed in day 2's file). After the operator clears day 1, every entry is in its own date's file.
func TestBlockedDateKeepsItsWindowsEntries(t *testing.T) {
	w := newWorld(t)
	days := []time.Time{day0, day0.AddDate(0, 0, 1)}
	names := []string{"2026-11-28", "2026-11-29"}
	want := w.seedDays(days, names, 3, 90)
	var mu sync.Mutex
	now := days[0].Add(time.Minute)
	r := w.runner(&now, &mu)
	r.Drive = &permanentDrive{Drive: w.store}
	if _, err := r.Run(t.Context(), export.Request{Date: names[0]}); err == nil {
		t.Fatal("day 1 with the folder gone = nil, want a permanent failure")
	}
	r.Drive = w.store
	mu.Lock()
	now = days[1].Add(time.Minute)
	mu.Unlock()
	rep, err := r.Run(t.Context(), export.Request{Date: names[1]})
	if err != nil || rep.Outcome != export.OutcomeExported || !slices.Equal(rep.Stuck.Blocked, names[:1]) {
		t.Fatalf("day 2 = %+v, %v; want exported with day 1 blocked", rep, err)
	}
	if got := fileEntries(t, w.liveFiles(names[1])[0]); !slices.Equal(got, want[names[1]]) {
		t.Errorf("day 2's file holds %v, want only its own %v", got, want[names[1]])
	}
	if rep, err := r.Run(t.Context(), export.Request{Date: names[0], ClearFailure: true}); err != nil || rep.Outcome != export.OutcomeExported {
		t.Fatalf("day 1 after clearFailure = %+v, %v", rep, err)
	}
	w.checkOwnFiles(want)
}

// permanentDrive answers every upload with a permanent failure before anything reaches Drive.
type permanentDrive struct{ export.Drive }

func (permanentDrive) Upload(context.Context, export.NewFile, io.Reader, func(export.UploadProgress)) (export.File, error) {
	return export.File{}, export.ErrPermanent
}

// appQueue plays an app that changes entries while the exporter holds them: just before the completed marks it
// runs change once.
type appQueue struct {
	export.Queue
	change func()
	once   sync.Once
}

func (q *appQueue) MarkExported(ctx context.Context, b export.Batch, f export.File, now time.Time) (int64, error) {
	q.once.Do(q.change)
	return q.Queue.MarkExported(ctx, b, f, now)
}

// Defect 2 of issue 18: the app re-queues a failed entry and deletes an exporting one after the file is made.
// Before, every attempt failed checkMarks for ever ("after the marks generation 1 holds 12 completed, 3 failed
// ..."). Now the date ends done, and the re-queued entry lands in the next date's file as a late arrival.
func TestAppChangesEntriesUnderTheMarks(t *testing.T) {
	w := newWorld(t)
	d := demo.Generate(demo.Options{Journals: 8, Seed: 101, From: day0.Add(-10 * time.Hour), To: day0.Add(-time.Hour), Broken: true})
	w.seed(d)
	var mu sync.Mutex
	now := day0.Add(time.Minute)
	r := w.runner(&now, &mu)
	q := w.db.Collection("q")
	var requeued, deleted any
	r.Queue = &appQueue{Queue: w.queue, change: func() {
		var failed, exporting bson.M
		if err := q.FindOne(t.Context(), bson.D{{Key: "status", Value: "failed"}}).Decode(&failed); err != nil {
			t.Errorf("no failed entry to re-queue: %v", err)
			return
		}
		if err := q.FindOne(t.Context(), bson.D{{Key: "status", Value: "exporting"}}).Decode(&exporting); err != nil {
			t.Errorf("no exporting entry to delete: %v", err)
			return
		}
		requeued, deleted = failed["_id"], exporting["_id"]
		if _, err := q.UpdateByID(t.Context(), requeued, bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: "queued"}}}}); err != nil {
			t.Error(err)
		}
		if _, err := q.DeleteOne(t.Context(), bson.D{{Key: "_id", Value: deleted}}); err != nil {
			t.Error(err)
		}
	}}
	mustExport(t, r, "2026-11-28", "Run() while the app changes entries")
	if requeued == nil {
		t.Fatal("the app's change never ran")
	}
	if st := w.statuses(""); st["exporting"] != 0 || st["queued"] != 1 || st["completed"] != d.Valid-1 || st["failed"] != d.Invalid-1 {
		t.Errorf("queue = %v; want %d completed, %d failed, the re-queued one queued, nothing exporting", st, d.Valid-1, d.Invalid-1)
	}
}

// markNothing loses the completed marks (an updateMany that matched nothing, a filter gone wrong).
type markNothing struct{ export.Queue }

func (markNothing) MarkExported(context.Context, export.Batch, export.File, time.Time) (int64, error) {
	return 0, nil
}

// The mutants "checkMarks dropped" and "checkMarks ignores entries still exporting": marks that did not apply
// must fail the run retryably, with the date not done, and a retry must finish it.
func TestMarksThatDidNotApplyNeverFinish(t *testing.T) {
	w := newWorld(t)
	d := demo.Generate(demo.Options{Journals: 6, Seed: 111, From: day0.Add(-10 * time.Hour), To: day0.Add(-time.Hour)})
	w.seed(d)
	var mu sync.Mutex
	now := day0.Add(time.Minute)
	r := w.runner(&now, &mu)
	r.Queue = markNothing{w.queue}
	rep, err := r.Run(t.Context(), export.Request{Date: "2026-11-28"})
	var e *export.Error
	if !errors.As(err, &e) || e.Class != export.ClassMismatch || e.Permanent() {
		t.Fatalf("Run() with lost marks = %+v, %v; want a retryable mismatch", rep, err)
	}
	if rec, _, _ := w.lock.Get(t.Context(), "2026-11-28"); rec.State == export.StateDone {
		t.Fatal("the date is done with its entries still exporting")
	}
	r.Queue = w.queue
	if rep, err := r.Run(t.Context(), export.Request{Date: "2026-11-28"}); err != nil || rep.Outcome != export.OutcomeExported {
		t.Fatalf("retry = %+v, %v", rep, err)
	}
	if st := w.statuses(""); st["completed"] != d.Valid || len(st) != 1 {
		t.Errorf("queue = %v, want all %d completed", st, d.Valid)
	}
}

// alwaysMismatch makes every read miss the same entry: a deterministic failure no retry fixes.
type alwaysMismatch struct {
	export.Queue
	date string
}

func (q alwaysMismatch) Read(ctx context.Context, b export.Batch, fn func([]export.Entry) error) error {
	return q.Queue.Read(ctx, b, func(p []export.Entry) error {
		if b.Date == q.date && len(p) > 1 {
			p = p[1:]
		}
		return fn(p)
	})
}

// Issue 18: a deterministic failure that repeats across attempts is stuck work (failing), not an outage. Before,
// healing stopped at that date every day and no later date was healed. Now day 1 fails FailingAfter times, then
// day 3's run reports it as failing, heals day 2 and exports its own date, and day 1's entries stay out of both.
func TestRepeatedMismatchIsStuckAndHealingGoesOn(t *testing.T) {
	w := newWorld(t)
	days := []time.Time{day0, day0.AddDate(0, 0, 1), day0.AddDate(0, 0, 2)}
	names := []string{"2026-11-28", "2026-11-29", "2026-11-30"}
	want := w.seedDays(days, names, 3, 120)
	var mu sync.Mutex
	now := days[0].Add(time.Minute)
	r := w.runner(&now, &mu)
	r.Queue = alwaysMismatch{Queue: w.queue, date: names[0]}
	for i := range export.FailingAfter {
		_, err := r.Run(t.Context(), export.Request{Date: names[0]})
		var e *export.Error
		if !errors.As(err, &e) || e.Class != export.ClassMismatch {
			t.Fatalf("day 1, attempt %d = %v; want a mismatch", i+1, err)
		}
	}
	mu.Lock()
	now = days[2].Add(time.Minute)
	mu.Unlock()
	rep := mustExport(t, r, names[2], "day 3")
	if !slices.Equal(rep.Stuck.Failing, names[:1]) {
		t.Errorf("stuck = %+v, want day 1 failing", rep.Stuck)
	}
	if len(rep.Healed) != 1 || rep.Healed[0].Date != names[1] || rep.Healed[0].Outcome != export.OutcomeExported {
		t.Errorf("healed = %+v, want day 2 exported", rep.Healed)
	}
	delete(want, names[0])
	w.checkOwnFiles(want)
	if files := w.liveFiles(names[0]); len(files) != 0 {
		t.Errorf("day 1 has %d live files, want none", len(files))
	}
}

// mustExport runs date with r and stops the test unless it ends exported; what names the run in the message.
func mustExport(t *testing.T, r *export.Runner, date, what string) export.Report {
	t.Helper()
	rep, err := r.Run(t.Context(), export.Request{Date: date})
	if err != nil || rep.Outcome != export.OutcomeExported {
		t.Fatalf("%s = %+v, %v; want exported", what, rep, err)
	}
	return rep
}

// freeze starts r's run of date and holds it at point, as an instance frozen there would be; thaw lets it go on
// and returns the run's error.
func freeze(r *export.Runner, date, point string) (thaw func() error) {
	paused, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	r.Reached = func(p string, _ int64) {
		if p == point {
			once.Do(func() { close(paused); <-release })
		}
	}
	res := make(chan error, 1)
	go func() {
		_, err := r.Run(context.Background(), export.Request{Date: date})
		res <- err
	}()
	<-paused
	return func() error { close(release); return <-res }
}

// oldGenerations reports every listed file as made by generation 1: what a file made before a lock was restarted
// (or before generations were stamped) looks like to an attempt of a higher generation.
type oldGenerations struct{ export.Drive }

func (d oldGenerations) Find(ctx context.Context, date string) ([]export.File, error) {
	files, err := d.Drive.Find(ctx, date)
	for i := range files {
		files[i].Properties = map[string]string{"generation": "1"}
	}
	return files, err
}

// Defect 5 of issue 18, trashOthers: a thawed attempt that lost its lease checked the lease only before trashing
// a file of a newer generation, so it trashed the date's file whenever that file named an older generation (a
// re-export's, before generations kept rising). Now it reads the lock before trashing anything it did not make,
// and trashes nothing.
func TestThawedAttemptTrashesNoFileItDidNotMake(t *testing.T) {
	w := newWorld(t)
	d := demo.Generate(demo.Options{Journals: 5, Seed: 131, From: day0.Add(-10 * time.Hour), To: day0.Add(-time.Hour)})
	w.seed(d)
	var mu sync.Mutex
	frozenNow := day0.Add(time.Minute)
	frozen := w.runner(&frozenNow, &mu)
	frozen.Drive = oldGenerations{w.store}
	thaw := freeze(frozen, "2026-11-28", export.PointClaimed)
	newerNow := frozenNow.Add(2 * time.Hour)
	rep := mustExport(t, w.runner(&newerNow, &mu), "2026-11-28", "newer Run()")
	err := thaw()
	var e *export.Error
	if !errors.As(err, &e) || e.Class != export.ClassLeaseLost {
		t.Errorf("thawed Run() = %v, want lease lost", err)
	}
	if files := w.liveFiles(""); len(files) != 1 || files[0].ID != rep.Summary.FileID {
		t.Errorf("live files = %v, want only the newer attempt's %s", files, rep.Summary.FileID)
	}
}

// Defect 5 of issue 18, abandon: an attempt finished its upload, froze before recording it, and thawed while a
// newer attempt was adopting that very file (the lock records its session). Before, abandon trashed it: the date
// ended done, its only file in the trash, and the "ready" notice linked to it. Now abandon leaves it.
func TestAbandonLeavesAFileTheNewerAttemptAdopts(t *testing.T) {
	w := newWorld(t)
	d := demo.Generate(demo.Options{Journals: 20, Seed: 141, From: day0.Add(-10 * time.Hour), To: day0.Add(-time.Hour)})
	// Long memos: a file of several 256 KiB chunks, so the lock records the session before the upload ends.
	pad := strings.Repeat("ค่าสินค้าและบริการตามใบแจ้งหนี้ ", 100)
	for _, doc := range d.Transactions {
		tx := doc.(bson.D)
		for i := range tx {
			if tx[i].Key == "memo" {
				tx[i].Value = fmt.Sprint(tx[i].Value) + " " + pad
			}
		}
	}
	w.seed(d)
	var mu sync.Mutex
	frozenNow := day0.Add(time.Minute)
	frozen := w.runner(&frozenNow, &mu)
	thaw := freeze(frozen, "2026-11-28", export.PointUploaded)
	newerNow := frozenNow.Add(2 * time.Hour)
	newer := w.runner(&newerNow, &mu)
	var thawed error
	newer.Reached = func(point string, _ int64) {
		if point == export.PointUploaded {
			// The newer attempt has adopted the frozen one's file and not recorded it yet: the frozen one thaws.
			thawed = thaw()
		}
	}
	rep := mustExport(t, newer, "2026-11-28", "newer Run()")
	if all := w.fake.Files(); len(all) != 1 {
		t.Fatalf("Drive holds %d files, want the one the newer attempt adopted (no new upload)", len(all))
	}
	var e *export.Error
	if !errors.As(thawed, &e) || e.Class != export.ClassLeaseLost {
		t.Errorf("thawed Run() = %v, want lease lost", thawed)
	}
	files := w.liveFiles("")
	if len(files) != 1 || files[0].ID != rep.Summary.FileID {
		t.Fatalf("live files = %v, want the adopted file %s live", files, rep.Summary.FileID)
	}
	if got := fileEntries(t, files[0]); len(got) != d.Valid {
		t.Errorf("the file holds %d entries, want %d", len(got), d.Valid)
	}
}

// takeOverAtCount lets a newer attempt take the date's lease over when the run counts its claim (the reconcile,
// before the upload's last chunk), as a freeze past the lease at that instant would.
type takeOverAtCount struct {
	export.Queue
	w    *world
	at   time.Time
	once sync.Once
}

func (q *takeOverAtCount) Count(ctx context.Context, date string, g int64) (export.Counts, error) {
	q.once.Do(func() {
		if _, err := q.w.lock.Acquire(ctx, date, q.at, export.AcquireOptions{TTL: time.Hour}); err != nil {
			q.w.t.Error(err)
		}
	})
	return q.Queue.Count(ctx, date, g)
}

// The mutant "reconcile's lease check dropped": an attempt whose lease was taken over while it streamed must not
// let its upload complete, so Drive never holds a file of an attempt that no longer owns the date (not even one
// trashed afterwards).
func TestReconcileRefusesAfterTheLeaseIsLost(t *testing.T) {
	w := newWorld(t)
	d := demo.Generate(demo.Options{Journals: 5, Seed: 151, From: day0.Add(-10 * time.Hour), To: day0.Add(-time.Hour)})
	w.seed(d)
	var mu sync.Mutex
	now := day0.Add(time.Minute)
	r := w.runner(&now, &mu)
	r.Queue = &takeOverAtCount{Queue: w.queue, w: w, at: now.Add(2 * time.Hour)}
	_, err := r.Run(t.Context(), export.Request{Date: "2026-11-28"})
	var e *export.Error
	if !errors.As(err, &e) || e.Class != export.ClassLeaseLost {
		t.Fatalf("Run() after losing the lease mid-stream = %v, want lease lost", err)
	}
	if files := w.fake.Files(); len(files) != 0 {
		t.Errorf("Drive holds %d files (live or trashed), want none: the upload must stop before its last chunk", len(files))
	}
}

// laggingList hides from Find every file made since it was built, as Drive's list can lag behind a create; and
// fails Finalize permanently, so the attempt records a permanent failure after its upload reached Drive.
type laggingList struct{ export.Drive }

func (laggingList) Find(context.Context, string) ([]export.File, error) { return nil, nil }
func (laggingList) Finalize(context.Context, string, map[string]string, string) error {
	return export.ErrPermanent
}

// The mutant "mayBeLive ignores that this attempt reached Drive": after a permanent failure that follows a
// finished upload, the claim must stay, even when Drive's list does not show the file yet. Released entries would
// go into the next file while this one is live: the same entries in two files.
func TestPermanentFailureAfterReachingDriveKeepsTheClaim(t *testing.T) {
	w := newWorld(t)
	d := demo.Generate(demo.Options{Journals: 5, Seed: 161, From: day0.Add(-10 * time.Hour), To: day0.Add(-time.Hour)})
	w.seed(d)
	var mu sync.Mutex
	now := day0.Add(time.Minute)
	r := w.runner(&now, &mu)
	r.Drive = laggingList{w.store}
	_, err := r.Run(t.Context(), export.Request{Date: "2026-11-28"})
	var e *export.Error
	if !errors.As(err, &e) || !e.Permanent() {
		t.Fatalf("Run() = %v, want a permanent failure", err)
	}
	if len(w.liveFiles("2026-11-28")) != 1 {
		t.Fatalf("live files = %d, want the uploaded one", len(w.liveFiles("2026-11-28")))
	}
	if st := w.statuses(""); st["queued"] != 0 || st["exporting"] != d.Valid {
		t.Errorf("queue = %v, want all %d entries still claimed (a live file holds them)", st, d.Valid)
	}
}

// blockingDrive holds every upload until its context ends, and notes the lease the lock grants at that moment,
// the deadline the upload was given, and when its context ended.
type blockingDrive struct {
	export.Drive
	lock            func() (export.Record, bool, error)
	lease           time.Time
	deadline, ended time.Time
}

func (d *blockingDrive) Upload(ctx context.Context, _ export.NewFile, _ io.Reader, _ func(export.UploadProgress)) (export.File, error) {
	if rec, found, err := d.lock(); err == nil && found {
		d.lease = rec.LeaseExpiresAt
	}
	d.deadline, _ = ctx.Deadline()
	<-ctx.Done()
	d.ended = time.Now()
	return export.File{}, ctx.Err()
}

// The deadline fence (issue 18), on a real clock: an attempt's work ends 5 % of the lease before the lease does,
// so a newer attempt can only take the date over once this one has stopped. A run whose context outlived the lease
// (a deadline from the caller, or none) would upload while a newer attempt owns the date.
func TestAttemptStopsBeforeItsLeaseEnds(t *testing.T) {
	w := newWorld(t)
	d := demo.Generate(demo.Options{Journals: 2, Seed: 171, From: time.Now().Add(-48 * time.Hour), To: time.Now().Add(-30 * time.Hour)})
	w.seed(d)
	r := w.runner(new(time.Time), &sync.Mutex{})
	r.Now = time.Now
	r.Lease = 4 * time.Second
	date := r.DateAt(time.Now())
	bd := &blockingDrive{Drive: w.store, lock: func() (export.Record, bool, error) { return w.lock.Get(context.Background(), date) }}
	r.Drive = bd
	if _, err := r.Run(context.Background(), export.Request{Date: date}); err == nil {
		t.Fatal("Run() with a Drive that never answers = nil, want the deadline")
	}
	if bd.lease.IsZero() || bd.deadline.IsZero() {
		t.Fatalf("lease %v, deadline %v: the upload never ran under a lease with a deadline", bd.lease, bd.deadline)
	}
	if fence := bd.lease.Add(-r.Lease / 20); bd.deadline.After(fence.Add(time.Millisecond)) { // Firestore keeps microseconds
		t.Errorf("the upload's deadline %v is after the fence %v (the lease %v less 5 %%)", bd.deadline, fence, bd.lease)
	}
	if !bd.ended.Before(bd.lease) {
		t.Errorf("the upload ended at %v, not before its lease ended at %v", bd.ended, bd.lease)
	}
}

// An app that sets a completed entry back to queued (issue 18, "an app that retries"): no other entry shows the
// file that holds its journal, so the journal-once lookup alone missed it and the next date's file held the journal
// again. Now the entry's own marks (metadata.batchDate) make it fail as already exported, naming the file.
func TestRequeuedCompletedEntryIsNotExportedTwice(t *testing.T) {
	w := newWorld(t)
	d := demo.Generate(demo.Options{Journals: 3, Seed: 181, From: day0.Add(-10 * time.Hour), To: day0.Add(-time.Hour)})
	w.seed(d)
	var mu sync.Mutex
	now := day0.Add(time.Minute)
	r := w.runner(&now, &mu)
	first := mustExport(t, r, "2026-11-28", "day 1")
	id := idOf(d.Queue[0])
	if _, err := w.db.Collection("q").UpdateByID(t.Context(), id, bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: "queued"}}}}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	now = day0.AddDate(0, 0, 1).Add(time.Minute)
	mu.Unlock()
	rep := mustExport(t, r, "2026-11-29", "day 2")
	s := rep.Summary
	want := "journal already exported in " + first.Summary.FileName + " of 2026-11-28"
	if s.EntriesExported != 0 || s.EntriesFailed != 1 || len(s.Failures) != 1 || s.Failures[0].Reason != want {
		t.Errorf("day 2: exported %d, failures %+v; want the re-queued entry failed with %q", s.EntriesExported, s.Failures, want)
	}
}

// refusingEncoder is a layout that cannot write the day's file at all (more lines than the package imports).
type refusingEncoder struct{ export.Encoder }

func (refusingEncoder) WriteJournal(string, string, ledger.Journal) error {
	return fmt.Errorf("%w: the file would hold more than 300 lines", ledger.ErrUnwritable)
}

// A file the layout refuses whatever the attempt is a permanent failure that blocks the date (and holds its
// window), not an outage: classed as mongo and retried, it failed every attempt and stopped the healing of every
// later date.
func TestUnwritableFileIsPermanent(t *testing.T) {
	w := newWorld(t)
	d := demo.Generate(demo.Options{Journals: 3, Seed: 191, From: day0.Add(-10 * time.Hour), To: day0.Add(-time.Hour)})
	w.seed(d)
	var mu sync.Mutex
	now := day0.Add(time.Minute)
	r := w.runner(&now, &mu)
	inner := r.Format.NewEncoder
	r.Format.NewEncoder = func(wr io.Writer, date string) export.Encoder { return refusingEncoder{inner(wr, date)} }
	_, err := r.Run(t.Context(), export.Request{Date: "2026-11-28"})
	var e *export.Error
	if !errors.As(err, &e) || !e.Permanent() || e.Class != export.ClassValidation || !errors.Is(err, ledger.ErrUnwritable) {
		t.Fatalf("Run() with a refused file = %v; want a permanent validation failure", err)
	}
	if rec, _, _ := w.lock.Get(t.Context(), "2026-11-28"); rec.State != export.StateFailed || !rec.Permanent {
		t.Errorf("lock = %+v, want failed and permanent (blocked)", rec)
	}
}
