package export_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"
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

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

var bkk = func() *time.Location {
	l, err := time.LoadLocation("Asia/Bangkok")
	if err != nil {
		panic(err)
	}
	return l
}()

func runner(loc *time.Location) *export.Runner {
	return &export.Runner{Location: loc, CutoffHour: 18, BackfillWindow: 62 * 24 * time.Hour, FilePrefix: "ledger-export", Format: csvfile.Format(csvfile.Options{Location: loc})}
}

func TestDateAt(t *testing.T) {
	r := runner(bkk)
	tests := []struct {
		at   time.Time
		want string
	}{
		{time.Date(2026, 11, 28, 18, 0, 0, 0, bkk), "2026-11-28"},
		{time.Date(2026, 11, 28, 17, 59, 59, 0, bkk), "2026-11-27"},
		{time.Date(2026, 11, 28, 23, 59, 0, 0, bkk), "2026-11-28"},
		{time.Date(2026, 11, 28, 11, 0, 0, 0, time.UTC), "2026-11-28"}, // 18:00 in Bangkok
		{time.Date(2026, 11, 28, 10, 59, 0, 0, time.UTC), "2026-11-27"},
		{time.Date(2026, 11, 28, 0, 30, 0, 0, bkk), "2026-11-27"},
	}
	for _, tt := range tests {
		if got := r.DateAt(tt.at); got != tt.want {
			t.Errorf("DateAt(%v) = %s, want %s", tt.at, got, tt.want)
		}
	}
	c, err := r.Cutoff("2026-11-28")
	if err != nil || !c.Equal(time.Date(2026, 11, 28, 11, 0, 0, 0, time.UTC)) {
		t.Errorf("Cutoff(2026-11-28) = %v, %v; want 11:00 UTC", c, err)
	}
}

// failingQueue fails MarkExported the first time, as a dropped Mongo connection would just before the mark.
type failingQueue struct {
	export.Queue
	fails int
}

func (q *failingQueue) MarkExported(ctx context.Context, b export.Batch, f export.File, now time.Time) (int64, error) {
	if q.fails > 0 {
		q.fails--
		return 0, errors.New("connection reset by peer")
	}
	return q.Queue.MarkExported(ctx, b, f, now)
}

// TestFailureBeforeTheMarkContinuesWithoutReupload: the upload is recorded, then the mark fails. The next attempt
// continues from the recorded upload: it sends nothing to Drive and marks every entry in the one file.
func TestFailureBeforeTheMarkContinuesWithoutReupload(t *testing.T) {
	ctx := t.Context()
	db, _ := testenv.MongoDB(t)
	fs, _ := testenv.Firestore(t)
	fake, err := drivefake.NewServer(drivefake.Options{Folders: []string{"f"}})
	if err != nil {
		t.Fatalf("drivefake.NewServer: %v", err)
	}
	t.Cleanup(fake.Close)
	cutoff := time.Date(2026, 11, 28, 18, 0, 0, 0, bkk)
	d := demo.Generate(demo.Options{Journals: 20, Seed: 9, From: cutoff.Add(-10 * time.Hour), To: cutoff.Add(-time.Hour)})
	if err := demo.Seed(ctx, db, demo.Collections{Queue: "q", Journals: "j", Transactions: "t"}, d); err != nil {
		t.Fatalf("demo.Seed: %v", err)
	}
	store, err := drive.New(ctx, drive.Config{FolderID: "f", ChunkSize: 256 << 10, CallTimeout: 30 * time.Second},
		option.WithEndpoint(fake.URL()+"/drive/v3/"), option.WithoutAuthentication())
	if err != nil {
		t.Fatalf("drive.New: %v", err)
	}
	queue := &failingQueue{fails: 1, Queue: medici.New(db, medici.Collections{Queue: "q", Journals: "j", Transactions: "t", ExportLogs: "l"},
		medici.Options{BatchSize: 7, CallTimeout: 30 * time.Second})}
	now := cutoff.Add(time.Minute)
	r := runner(bkk)
	r.Locker = lease.New(fs, "runs", "test", 30*time.Second)
	r.Queue = queue
	r.Drive = store
	r.ChunkSize = 256 << 10
	r.Now = func() time.Time { return now }
	r.Lease = time.Hour
	r.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))

	rep, err := r.Run(ctx, export.Request{Date: "2026-11-28"})
	var e *export.Error
	if !errors.As(err, &e) || e.Class != export.ClassMongo || e.Step != "mark" || rep.Outcome != export.OutcomeFailed {
		t.Fatalf("first Run() = %+v, %v; want a failed mark of class mongo", rep, err)
	}
	rec, _, _ := r.Locker.Get(ctx, "2026-11-28")
	if rec.State != export.StateFailed || rec.Phase != export.StateUploaded || rec.File == nil {
		t.Fatalf("lock after the failed mark = %+v, want failed in phase uploaded with the file recorded", rec)
	}
	requests := len(fake.Requests())

	now = now.Add(5 * time.Minute)
	rep, err = r.Run(ctx, export.Request{Date: "2026-11-28"})
	if err != nil || rep.Outcome != export.OutcomeExported || rep.Lock != export.LockTakeover || rep.Summary.Attempt != 2 {
		t.Fatalf("second Run() = %+v, %v; want exported by takeover on attempt 2", rep, err)
	}
	if got := len(fake.Requests()); got != requests {
		t.Errorf("second Run() sent %d requests to Drive, want none", got-requests)
	}
	if files := fake.LiveFiles("f"); len(files) != 1 || files[0].ID != rec.File.ID {
		t.Errorf("live files = %d, want only the recorded %s", len(files), rec.File.ID)
	}
	n, err := db.Collection("q").CountDocuments(ctx, bson.D{{Key: "status", Value: "completed"}, {Key: "metadata.fileId", Value: rec.File.ID}})
	if err != nil || n != int64(d.Valid) {
		t.Errorf("entries completed in the file = %d, %v; want %d", n, err, d.Valid)
	}
	if rep.Summary.EntriesExported != int64(d.Valid) || rep.Summary.Rows == 0 {
		t.Errorf("summary = %+v, want %d entries exported", rep.Summary, d.Valid)
	}
}
