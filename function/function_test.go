package function_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"cloud.google.com/go/firestore"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo"
	"google.golang.org/api/option"

	"github.com/siamledger/ledger-export/function"
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

const (
	folder = "exports-folder"
	date   = "2026-11-28"
)

var (
	bkk    = mustZone("Asia/Bangkok")
	cutoff = time.Date(2026, 11, 28, 18, 0, 0, 0, bkk) // 11:00 UTC
)

func mustZone(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

// clock is a settable time source shared by the handler under test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// The fake Drive keeps the export folder in a Shared Drive, as the README recommends, unless LEDGER_TEST_DRIVE is
// "mydrive": then in My Drive. In a Shared Drive, a request without supportsAllDrives=true, or a list without
// includeItemsFromAllDrives=true, corpora=drive and driveId, misses the files (drivefake's Shared Drive mode), so
// the exactly-once tests fail if internal/drive drops one of them. `make test` runs the Shared Drive mode,
// `make test-mydrive` (scripts/quality.mk, in `make quality`) the other.
var sharedDrive = os.Getenv("LEDGER_TEST_DRIVE") != "mydrive"

// sharedDriveID is the fake Shared Drive's id in the Shared Drive mode.
const sharedDriveID = "0ALedgerExportTests"

// driveOptions are the fake Drive's options for the mode the tests run in.
func driveOptions(faults []drivefake.Fault) drivefake.Options {
	o := drivefake.Options{Folders: []string{folder}, Faults: faults}
	if sharedDrive {
		o.SharedDrive = sharedDriveID
	}
	return o
}

type env struct {
	t     *testing.T
	h     *function.Handler
	fake  *drivefake.Server
	db    *mongo.Database
	fs    *firestore.Client
	clock *clock
	vars  map[string]string
	logs  *logBuffer
}

// newEnv wires a handler to FerretDB, the Firestore emulator and the fake Drive, all private to the test.
func newEnv(t *testing.T, extra map[string]string, faults ...drivefake.Fault) *env {
	t.Helper()
	db, uri := testenv.MongoDB(t)
	fs, project := testenv.Firestore(t)
	fake, err := drivefake.NewServer(driveOptions(faults))
	if err != nil {
		t.Fatalf("drivefake.NewServer: %v", err)
	}
	t.Cleanup(fake.Close)
	vars := map[string]string{
		"MONGODB_URI":       uri,
		"MONGODB_DATABASE":  db.Name(),
		"DRIVE_FOLDER_ID":   folder,
		"DRIVE_ENDPOINT":    fake.URL(),
		"FIRESTORE_PROJECT": project,
		"LEASE_DURATION":    "35m",
		"CHUNK_SIZE":        "262144",
	}
	if sharedDrive {
		vars["DRIVE_SHARED_DRIVE_ID"] = sharedDriveID
	}
	for k, v := range extra {
		vars[k] = v
	}
	e := &env{t: t, fake: fake, db: db, fs: fs, clock: &clock{t: cutoff.Add(5 * time.Second)}, vars: vars, logs: &logBuffer{}}
	e.h = e.handler()
	return e
}

// handler builds another instance of the function on the same services, as a second Cloud Run instance would be.
func (e *env) handler() *function.Handler {
	return e.handlerWith(nil)
}

// handlerWith builds an instance whose runs call reached at each named point.
func (e *env) handlerWith(reached func(point string, offset int64)) *function.Handler {
	h := function.New(func(k string) string { return e.vars[k] }, function.Options{
		Now: e.clock.Now, Logger: newLogger(e.logs, e.vars["FIRESTORE_PROJECT"]), Reached: reached,
	})
	if err := h.Err(); err != nil {
		e.t.Fatalf("function.New: %v", err)
	}
	e.t.Cleanup(h.Close)
	return h
}

func (e *env) seed(d demo.Data) {
	e.t.Helper()
	if err := demo.Seed(e.t.Context(), e.db, demo.Collections{Queue: "exportqueues", Journals: "medici_journals", Transactions: "medici_transactions"}, d); err != nil {
		e.t.Fatalf("demo.Seed: %v", err)
	}
}

type answer struct {
	Outcome    string          `json:"outcome"`
	Date       string          `json:"date"`
	Summary    *export.Summary `json:"summary"`
	Record     *export.Record  `json:"record"`
	ErrorClass string          `json:"errorClass"`
	Error      string          `json:"error"`
	Healthy    *bool           `json:"healthy"`
}

// trigger calls the handler as Cloud Scheduler does for the date's 18:00 run.
func (e *env) trigger(h *function.Handler, body string) (int, answer, http.Header) {
	e.t.Helper()
	return e.triggerCtx(context.Background(), h, body)
}

func (e *env) triggerCtx(ctx context.Context, h *function.Handler, body string) (int, answer, http.Header) {
	e.t.Helper()
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/", strings.NewReader(body))
	req.Header.Set("X-CloudScheduler", "true")
	req.Header.Set("X-CloudScheduler-ScheduleTime", cutoff.UTC().Format(time.RFC3339))
	req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var a answer
	if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil {
		e.t.Fatalf("answer %q is not JSON: %v", rec.Body.String(), err)
	}
	return rec.Code, a, rec.Header()
}

func (e *env) get(path string) (int, answer) {
	e.t.Helper()
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	var a answer
	if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil {
		e.t.Fatalf("GET %s answer %q is not JSON: %v", path, rec.Body.String(), err)
	}
	return rec.Code, a
}

// liveFile returns the date's only live file, failing the test when there is not exactly one.
func (e *env) liveFile() drivefake.File {
	e.t.Helper()
	files := e.fake.LiveFiles(folder)
	if len(files) != 1 {
		names := []string{}
		for _, f := range files {
			names = append(names, f.ID+" "+f.Name)
		}
		e.t.Fatalf("live files in the folder = %v, want exactly one", names)
	}
	return files[0]
}

// rows reads a CSV file back with encoding/csv and checks the BOM and the header.
func rows(t *testing.T, content []byte) [][]string {
	t.Helper()
	if !bytes.HasPrefix(content, []byte(csvfile.BOM)) {
		t.Fatalf("file starts %q, want the UTF-8 BOM", content[:min(len(content), 8)])
	}
	recs, err := csv.NewReader(bytes.NewReader(content[len(csvfile.BOM):])).ReadAll()
	if err != nil {
		t.Fatalf("csv.ReadAll: %v", err)
	}
	if len(recs) == 0 || strings.Join(recs[0], ",") != strings.Join(csvfile.Header(nil), ",") {
		t.Fatalf("header = %v, want %v", recs[:min(1, len(recs))], csvfile.Header(nil))
	}
	return recs[1:]
}

func (e *env) statuses() map[string]int {
	e.t.Helper()
	cur, err := e.db.Collection("exportqueues").Find(e.t.Context(), bson.D{})
	if err != nil {
		e.t.Fatalf("find queue: %v", err)
	}
	var docs []bson.M
	if err := cur.All(e.t.Context(), &docs); err != nil {
		e.t.Fatalf("decode queue: %v", err)
	}
	out := map[string]int{}
	for _, d := range docs {
		out[fmt.Sprint(d["status"])]++
	}
	return out
}

// checkExactlyOnce asserts the invariants of a finished date: one live file, every valid entry in it once and
// marked completed in it, every broken entry failed, and the lock done.
func (e *env) checkExactlyOnce(d demo.Data) drivefake.File {
	e.t.Helper()
	f := e.liveFile()
	recs := rows(e.t, f.Content)
	lines := map[string]int{}
	entries := map[string]bool{}
	for _, r := range recs {
		lines[r[3]]++
		entries[r[1]] = true
	}
	for id, n := range lines {
		if n != 1 {
			e.t.Errorf("line %s appears %d times in the file, want once", id, n)
		}
	}
	if len(entries) != d.Valid {
		e.t.Errorf("file holds %d entries, want %d", len(entries), d.Valid)
	}
	n, err := e.db.Collection("exportqueues").CountDocuments(e.t.Context(), bson.D{{Key: "status", Value: "completed"}, {Key: "metadata.fileId", Value: f.ID}})
	if err != nil || n != int64(d.Valid) {
		e.t.Errorf("entries completed in file %s = %d, %v; want %d", f.ID, n, err, d.Valid)
	}
	if got := e.statuses(); got["completed"] != d.Valid || got["failed"] != d.Invalid || len(got) != 2 && d.Invalid > 0 {
		e.t.Errorf("queue statuses = %v, want %d completed and %d failed", got, d.Valid, d.Invalid)
	}
	sum := sha256.Sum256(f.Content)
	if f.AppProperties["sha256"] != hex.EncodeToString(sum[:]) || f.AppProperties["exportDate"] != date {
		e.t.Errorf("file appProperties = %v, want exportDate %s and the content's sha256 %x", f.AppProperties, date, sum)
	}
	code, a := e.get("/?date=" + date)
	if code != http.StatusOK || a.Record == nil || a.Record.State != export.StateDone {
		e.t.Errorf("GET /?date=%s = %d %+v, want 200 and state done", date, code, a.Record)
	}
	return f
}

func demoData(journals int) demo.Data {
	return demo.Generate(demo.Options{Journals: journals, Seed: 7, From: cutoff.Add(-23 * time.Hour), To: cutoff.Add(-time.Minute), Broken: true})
}

func TestExportMarksAndLocks(t *testing.T) {
	e := newEnv(t, nil)
	d := demoData(40)
	e.seed(d)

	code, a, _ := e.trigger(e.h, "")
	if code != http.StatusOK || a.Outcome != "exported" || a.Summary == nil {
		t.Fatalf("trigger = %d %+v, want 200 exported", code, a)
	}
	f := e.checkExactlyOnce(d)
	s := a.Summary
	if s.FileID != f.ID || s.FileName != "ledger-export_2026-11-28.csv" || f.Name != s.FileName {
		t.Errorf("summary file %s %q, stored %s %q; want the same file named ledger-export_2026-11-28.csv", s.FileID, s.FileName, f.ID, f.Name)
	}
	if s.EntriesExported != int64(d.Valid) || s.EntriesFailed != int64(d.Invalid) || s.Rows != int64(len(rows(t, f.Content))) {
		t.Errorf("summary exported %d failed %d rows %d, want %d, %d and the file's row count", s.EntriesExported, s.EntriesFailed, s.Rows, d.Valid, d.Invalid)
	}
	if s.DebitTotal != s.CreditTotal || s.DebitTotal == "0.00" {
		t.Errorf("summary totals debit %s credit %s, want equal and non-zero", s.DebitTotal, s.CreditTotal)
	}
	if len(s.Failures) != d.Invalid {
		t.Errorf("summary lists %d failures, want %d: %+v", len(s.Failures), d.Invalid, s.Failures)
	}
	var log bson.M
	if err := e.db.Collection("exportlogs").FindOne(t.Context(), bson.D{{Key: "action", Value: "csv_generated"}, {Key: "batchDate", Value: date}}).Decode(&log); err != nil || log["fileId"] != f.ID {
		t.Errorf("export log = %v, %v; want one for %s naming file %s", log, err, date, f.ID)
	}
	for _, want := range []string{`"message":"export started"`, `"message":"export finished"`, `"severity":"INFO"`, `"logging.googleapis.com/trace":"projects/` + e.vars["FIRESTORE_PROJECT"] + `/traces/4bf92f3577b34da6a3ce929d0e0e4736"`} {
		if !strings.Contains(e.logs.String(), want) {
			t.Errorf("logs lack %s:\n%s", want, e.logs.String())
		}
	}
	if strings.Contains(e.logs.String(), e.vars["MONGODB_URI"]) {
		t.Errorf("logs contain the MongoDB URI")
	}

	// A second trigger, Cloud Scheduler's retry or a manual one, changes nothing and answers the same summary.
	before := len(e.fake.Requests())
	code, again, _ := e.trigger(e.handler(), "")
	if code != http.StatusOK || again.Outcome != "already_done" || again.Summary == nil || again.Summary.SHA256 != s.SHA256 {
		t.Errorf("second trigger = %d %+v, want 200 already_done with sha256 %s", code, again, s.SHA256)
	}
	if after := len(e.fake.Requests()); after != before {
		t.Errorf("second trigger sent %d requests to Drive, want none", after-before)
	}
	e.checkExactlyOnce(d)

	code, h := e.get("/health")
	if code != http.StatusOK || h.Healthy == nil || !*h.Healthy || h.Date != date {
		t.Errorf("GET /health = %d %+v, want 200 healthy for %s", code, h, date)
	}
	e.clock.Set(cutoff.Add(27 * time.Hour))
	if code, h := e.get("/health"); code != http.StatusServiceUnavailable || h.Healthy == nil || *h.Healthy {
		t.Errorf("GET /health 27 h later = %d %+v, want 503 unhealthy", code, h)
	}
}

// insertJournal stores one Medici journal with its lines and queues it, and returns the queue entry's id.
func insertJournal(t *testing.T, db *mongo.Database, at time.Time, memo string, lines ...bson.D) primitive.ObjectID {
	t.Helper()
	ctx := t.Context()
	jid := primitive.NewObjectIDFromTimestamp(at)
	var ids bson.A
	for i, l := range lines {
		tid := primitive.NewObjectIDFromTimestamp(at.Add(time.Duration(i) * time.Second))
		ids = append(ids, tid)
		doc := append(bson.D{{Key: "_id", Value: tid}, {Key: "_journal", Value: jid}, {Key: "datetime", Value: at}, {Key: "book", Value: "main"}, {Key: "memo", Value: memo}}, l...)
		if _, err := db.Collection("medici_transactions").InsertOne(ctx, doc); err != nil {
			t.Fatalf("insert line: %v", err)
		}
	}
	if _, err := db.Collection("medici_journals").InsertOne(ctx, bson.D{{Key: "_id", Value: jid}, {Key: "datetime", Value: at}, {Key: "memo", Value: memo}, {Key: "book", Value: "main"}, {Key: "_transactions", Value: ids}}); err != nil {
		t.Fatalf("insert journal: %v", err)
	}
	qid := primitive.NewObjectIDFromTimestamp(at)
	if _, err := db.Collection("exportqueues").InsertOne(ctx, bson.D{{Key: "_id", Value: qid}, {Key: "entryId", Value: jid}, {Key: "exportPath", Value: "scheduled"}, {Key: "status", Value: "queued"}, {Key: "createdAt", Value: at}}); err != nil {
		t.Fatalf("insert queue entry: %v", err)
	}
	return qid
}

func line(account string, debit, credit any) bson.D {
	return bson.D{{Key: "accounts", Value: account}, {Key: "debit", Value: debit}, {Key: "credit", Value: credit}}
}

// TestCSVBytes pins the whole file for a small batch: BOM, CRLF, quoting, Thai text, formula neutralising,
// exact money from doubles, posted_at in Bangkok time, voided flags and the row order.
func TestCSVBytes(t *testing.T) {
	e := newEnv(t, nil)
	at := time.Date(2026, 11, 28, 2, 30, 0, 0, time.UTC) // 09:30 in Bangkok
	q1 := insertJournal(t, e.db, at, "ค่าเช่าสำนักงาน, \"พฤศจิกายน\"",
		line("Expenses:Rent", 0.1+0.2, 0.0), line("Assets:Bank:KBank", 0.0, 0.3))
	q2 := insertJournal(t, e.db, at.Add(time.Hour), `=HYPERLINK("http://evil.example","ดูเอกสาร")`,
		line("-Assets:Cash", 1234567.891, 0.0), line("@Revenue:Sales", 0.0, 1234567.89))
	code, a, _ := e.trigger(e.h, "")
	if code != http.StatusOK {
		t.Fatalf("trigger = %d %+v, want 200", code, a)
	}
	f := e.liveFile()
	var j1, j2 bson.M
	_ = e.db.Collection("exportqueues").FindOne(t.Context(), bson.D{{Key: "_id", Value: q1}}).Decode(&j1)
	_ = e.db.Collection("exportqueues").FindOne(t.Context(), bson.D{{Key: "_id", Value: q2}}).Decode(&j2)
	lineIDs := func(q primitive.ObjectID) (string, []string) {
		var qd bson.M
		if err := e.db.Collection("exportqueues").FindOne(t.Context(), bson.D{{Key: "_id", Value: q}}).Decode(&qd); err != nil {
			t.Fatalf("find queue entry: %v", err)
		}
		jid := qd["entryId"].(primitive.ObjectID)
		cur, err := e.db.Collection("medici_transactions").Find(t.Context(), bson.D{{Key: "_journal", Value: jid}})
		if err != nil {
			t.Fatalf("find lines: %v", err)
		}
		var ls []bson.M
		_ = cur.All(t.Context(), &ls)
		var ids []string
		for _, l := range ls {
			ids = append(ids, l["_id"].(primitive.ObjectID).Hex())
		}
		if len(ids) == 2 && ids[0] > ids[1] {
			ids[0], ids[1] = ids[1], ids[0]
		}
		return jid.Hex(), ids
	}
	jid1, l1 := lineIDs(q1)
	jid2, l2 := lineIDs(q2)
	want := csvfile.BOM + "batch_date,entry_id,journal_id,line_id,posted_at,book,account,debit,credit,memo,voided,void_reason,original_journal\r\n" +
		fmt.Sprintf("2026-11-28,%s,%s,%s,2026-11-28T09:30:00+07:00,main,Expenses:Rent,0.30,0.00,\"ค่าเช่าสำนักงาน, \"\"พฤศจิกายน\"\"\",false,,\r\n", q1.Hex(), jid1, l1[0]) +
		fmt.Sprintf("2026-11-28,%s,%s,%s,2026-11-28T09:30:00+07:00,main,Assets:Bank:KBank,0.00,0.30,\"ค่าเช่าสำนักงาน, \"\"พฤศจิกายน\"\"\",false,,\r\n", q1.Hex(), jid1, l1[1]) +
		fmt.Sprintf("2026-11-28,%s,%s,%s,2026-11-28T10:30:00+07:00,main,'-Assets:Cash,1234567.89,0.00,\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"ดูเอกสาร\"\")\",false,,\r\n", q2.Hex(), jid2, l2[0]) +
		fmt.Sprintf("2026-11-28,%s,%s,%s,2026-11-28T10:30:00+07:00,main,'@Revenue:Sales,0.00,1234567.89,\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"ดูเอกสาร\"\")\",false,,\r\n", q2.Hex(), jid2, l2[1])
	if string(f.Content) != want {
		t.Errorf("file content =\n%q\nwant\n%q", f.Content, want)
	}
}

func TestConcurrentTriggersExportOnce(t *testing.T) {
	e := newEnv(t, nil)
	d := demoData(30)
	e.seed(d)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		codes = map[string]int{}
	)
	for range 10 {
		h := e.handler() // ten instances, as Cloud Run would scale them
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, a, hdr := e.trigger(h, "")
			mu.Lock()
			defer mu.Unlock()
			codes[fmt.Sprintf("%d %s", code, a.Outcome)]++
			if code == http.StatusConflict && hdr.Get("Retry-After") == "" {
				t.Errorf("409 answer without Retry-After")
			}
		}()
	}
	wg.Wait()
	if codes["200 exported"] != 1 || codes["200 exported"]+codes["409 busy"]+codes["200 already_done"] != 10 {
		t.Errorf("10 concurrent triggers answered %v, want one 200 exported and the rest 409 busy or 200 already_done", codes)
	}
	e.checkExactlyOnce(d)
	uploads := 0
	for _, s := range e.fake.Sessions() {
		if s.Complete {
			uploads++
		}
	}
	for _, r := range e.fake.Requests() {
		if r.Op == drivefake.OpMultipart {
			uploads++
		}
	}
	if uploads != 1 {
		t.Errorf("Drive received %d completed uploads, want 1", uploads)
	}
}

func TestDryRunChangesNothing(t *testing.T) {
	e := newEnv(t, nil)
	d := demoData(12)
	e.seed(d)
	code, a, _ := e.trigger(e.h, `{"date":"2026-11-28","dryRun":true}`)
	if code != http.StatusOK || a.Outcome != "dry_run" || a.Summary == nil || a.Summary.EntriesExported != int64(d.Valid) || a.Summary.EntriesFailed != int64(d.Invalid) {
		t.Fatalf("dry run = %d %+v, want 200 dry_run counting %d valid and %d failed", code, a, d.Valid, d.Invalid)
	}
	if got := e.statuses(); got["queued"] != d.Valid+d.Invalid {
		t.Errorf("queue after a dry run = %v, want all %d still queued", got, d.Valid+d.Invalid)
	}
	if len(e.fake.Requests()) != 0 {
		t.Errorf("dry run sent %d requests to Drive, want none", len(e.fake.Requests()))
	}
	if code, _ := e.get("/?date=" + date); code != http.StatusNotFound {
		t.Errorf("GET status after a dry run = %d, want 404 (no lock taken)", code)
	}
	// The real run then writes exactly the bytes the dry run hashed.
	code, real, _ := e.trigger(e.h, "")
	if code != http.StatusOK || real.Summary.SHA256 != a.Summary.SHA256 {
		t.Errorf("run after dry run = %d, sha256 %s; want 200 and the dry run's %s", code, real.Summary.SHA256, a.Summary.SHA256)
	}
}

func TestBadRequests(t *testing.T) {
	e := newEnv(t, nil)
	tests := []struct {
		name, body string
		want       int
	}{
		{"unknown field", `{"date":"2026-11-28","force":true}`, http.StatusBadRequest},
		{"bad date", `{"date":"28/11/2026"}`, http.StatusBadRequest},
		{"impossible date", `{"date":"2026-02-30"}`, http.StatusBadRequest},
		{"not json", `date=2026-11-28`, http.StatusBadRequest},
		{"two objects", `{} {}`, http.StatusBadRequest},
		{"still open", `{"date":"2026-11-29"}`, http.StatusBadRequest},
		{"beyond backfill", `{"date":"2025-01-01"}`, http.StatusBadRequest},
		{"too large", `{"date":"` + strings.Repeat("x", 5000) + `"}`, http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, a, _ := e.trigger(e.h, tt.body)
			if code != tt.want || a.Error == "" {
				t.Errorf("POST %s = %d %+v, want %d with a message", tt.body[:min(len(tt.body), 40)], code, a, tt.want)
			}
		})
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, httptest.NewRequest(http.MethodDelete, "/", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("DELETE / = %d, want 405", rec.Code)
	}
}

func TestConfigErrorAnswers500NamingTheVariable(t *testing.T) {
	h := function.New(func(k string) string {
		return map[string]string{"MONGODB_URI": "mongodb://u:pw@h", "MONGODB_DATABASE": "x", "FIRESTORE_PROJECT": "p-p-p", "CHUNK_SIZE": "1000"}[k]
	}, function.Options{Logger: newLogger(io.Discard, "")})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", nil))
	body := rec.Body.String()
	if rec.Code != http.StatusInternalServerError || !strings.Contains(body, "DRIVE_FOLDER_ID") || !strings.Contains(body, "CHUNK_SIZE") || strings.Contains(body, "pw@") {
		t.Errorf("POST with a bad configuration = %d %s, want 500 naming DRIVE_FOLDER_ID and CHUNK_SIZE without the password", rec.Code, body)
	}
}

// TestDriveFailureMidUploadThenRetry: a chunk fails in a way the client does not retry; the run answers 503 and
// leaves every entry claimed but not marked, and the next attempt exports each exactly once.
func TestDriveFailureMidUploadThenRetry(t *testing.T) {
	fault := drivefake.Fault{Op: drivefake.OpChunk, Chunk: 2, Status: http.StatusForbidden, Reason: "userRateLimitExceeded"}
	e := newEnv(t, nil, fault)
	d := padded(120, 40) // long memos: the file spans several 256 KiB chunks with few documents
	e.seed(d)

	code, a, _ := e.trigger(e.h, "")
	if code != http.StatusServiceUnavailable || a.ErrorClass != string(export.ClassDriveTransient) {
		t.Fatalf("first trigger = %d %+v, want 503 drive_transient", code, a)
	}
	if files := e.fake.LiveFiles(folder); len(files) != 0 {
		t.Errorf("live files after the failed upload = %d, want 0", len(files))
	}
	// Broken entries met before the failure are already failed; every other entry stays claimed, for the retry.
	if got := e.statuses(); got["exporting"]+got["failed"] != d.Valid+d.Invalid || got["exporting"] < d.Valid {
		t.Errorf("queue after the failed upload = %v, want all %d valid entries still exporting", got, d.Valid)
	}
	if code, st := e.get("/?date=" + date); code != http.StatusOK || st.Record.State != export.StateFailed || st.Record.ErrorClass != export.ClassDriveTransient {
		t.Errorf("lock after the failed upload = %d %+v, want failed with class drive_transient", code, st.Record)
	}

	// Cloud Scheduler's retry, five minutes later, takes over at once: the failed attempt released its lease.
	e.clock.Set(e.clock.Now().Add(5 * time.Minute))
	code, a, _ = e.trigger(e.handler(), "")
	if code != http.StatusOK || a.Outcome != "exported" || a.Summary.Attempt != 2 || a.Summary.EntriesFailed != int64(d.Invalid) {
		t.Fatalf("retry = %d %+v, want 200 exported on attempt 2 with %d failed entries", code, a, d.Invalid)
	}
	if a.Summary.Bytes < 2*262144 {
		t.Errorf("file is %d bytes, want more than two chunks so the fault hit mid-upload", a.Summary.Bytes)
	}
	e.checkExactlyOnce(d)
}

// TestExpiredLeaseTakeover: an attempt locked the date, claimed the batch and uploaded a file, then died before
// recording it. Triggers during its lease are refused; after it expires, the next attempt takes over with
// generation 2, trashes the unrecorded file and exports every entry exactly once.
func TestExpiredLeaseTakeover(t *testing.T) {
	e := newEnv(t, nil)
	d := demoData(25)
	e.seed(d)
	ctx := t.Context()
	start := e.clock.Now()

	locks := lease.New(e.fs, "ledger-export-runs", "crashed-instance", 30*time.Second)
	acq, err := locks.Acquire(ctx, date, start, export.AcquireOptions{TTL: 65 * time.Minute})
	if err != nil || acq.Outcome != export.LockAcquired {
		t.Fatalf("crashed attempt Acquire() = %+v, %v", acq, err)
	}
	q := medici.New(e.db, medici.Collections{Queue: "exportqueues", Journals: "medici_journals", Transactions: "medici_transactions", ExportLogs: "exportlogs"}, medici.Options{BatchSize: 1000, CallTimeout: 30 * time.Second})
	if err := q.Claim(ctx, export.Batch{Date: date, Cutoff: cutoff, Generation: 1}, start); err != nil {
		t.Fatalf("crashed attempt Claim() = %v", err)
	}
	dcfg := drive.Config{FolderID: folder, ChunkSize: 262144, CallTimeout: 30 * time.Second}
	if sharedDrive {
		dcfg.SharedDriveID = sharedDriveID
	}
	store, err := drive.New(ctx, dcfg,
		option.WithEndpoint(e.fake.URL()+"/drive/v3/"), option.WithoutAuthentication())
	if err != nil {
		t.Fatalf("drive.New: %v", err)
	}
	orphan, err := store.Upload(ctx, export.NewFile{Name: "ledger-export_2026-11-28.csv", Date: date, Generation: 1}, strings.NewReader("half a file"), nil)
	if err != nil {
		t.Fatalf("crashed attempt Upload() = %v", err)
	}

	e.clock.Set(start.Add(5 * time.Minute))
	code, a, hdr := e.trigger(e.h, "")
	if code != http.StatusConflict || a.Outcome != "busy" || hdr.Get("Retry-After") != "3600" {
		t.Errorf("trigger during the live lease = %d %s Retry-After %q, want 409 busy Retry-After 3600", code, a.Outcome, hdr.Get("Retry-After"))
	}

	e.clock.Set(start.Add(66 * time.Minute))
	code, a, _ = e.trigger(e.handler(), "")
	if code != http.StatusOK || a.Outcome != "exported" || a.Summary.Generation != 2 || a.Summary.Attempt != 2 {
		t.Fatalf("trigger after the lease expired = %d %+v, want 200 exported at generation 2", code, a)
	}
	if f, ok := e.fake.File(orphan.ID); !ok || !f.Trashed {
		t.Errorf("the crashed attempt's file %s: found %v trashed %v, want it in the trash", orphan.ID, ok, f.Trashed)
	}
	e.checkExactlyOnce(d)
}

// crash runs one trigger on an instance that dies the first time die says so: its goroutine ends on the spot, as a
// killed process would, so nothing after that point runs and the lease stays held until it expires.
func (e *env) crash(die func(point string, offset int64) bool) {
	e.t.Helper()
	var died atomic.Bool
	h := e.handlerWith(func(point string, offset int64) {
		if !died.Load() && die(point, offset) {
			died.Store(true)
			runtime.Goexit()
		}
	})
	done := make(chan struct{})
	go func() {
		defer close(done)
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(""))
		req.Header.Set("X-CloudScheduler-ScheduleTime", cutoff.UTC().Format(time.RFC3339))
		h.ServeHTTP(httptest.NewRecorder(), req)
	}()
	<-done
	if !died.Load() {
		e.t.Fatalf("the instance finished its run without reaching the crash point")
	}
}

// settled waits until the crashed instance's encoder is done with the queue. The crash ends the instance's upload
// goroutine only, not its encoder, which a killed process would lose with it: when the rest of the file fits in the
// upload's buffers the encoder reads on and marks its failures (failed of them) under its own generation; when it
// does not, it blocks for good on the pipe and marks nothing. On FerretDB, whose updates are not atomic per document
// as MongoDB's are, late marks could race the retry's claim and undo its takeover of an entry. So: all failures
// marked, or the count unchanged for five seconds (the encoder is blocked).
func (e *env) settled(failed int) {
	e.t.Helper()
	last, since := int64(-1), time.Now()
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		n, err := e.db.Collection("exportqueues").CountDocuments(e.t.Context(), bson.D{{Key: "status", Value: "failed"}})
		if err != nil {
			e.t.Fatal(err)
		}
		if n >= int64(failed) {
			return
		}
		if n != last {
			last, since = n, time.Now()
		} else if time.Since(since) >= 5*time.Second {
			return
		}
	}
	e.t.Fatalf("the crashed instance's failure marks never settled (%d of %d)", last, failed)
}

// padded returns demo data whose lines carry long memos, so that a file spans many 256 KiB chunks with few
// documents (FerretDB's updates are slow).
func padded(journals, repeat int) demo.Data {
	d := demoData(journals)
	pad := strings.Repeat("ค่าสินค้าและบริการตามใบแจ้งหนี้ ", repeat)
	for _, doc := range d.Transactions {
		tx := doc.(bson.D)
		for i := range tx {
			if tx[i].Key == "memo" {
				tx[i].Value = fmt.Sprint(tx[i].Value) + " " + pad
			}
		}
	}
	return d
}

// TestResumeAfterCrashAt90Percent: an attempt dies after Drive confirmed 90% of a large file. The next attempt
// resumes the same session from the recorded offset, after checking the regenerated prefix against the recorded
// hash, and the file equals the file of an uninterrupted run byte for byte.
func TestResumeAfterCrashAt90Percent(t *testing.T) {
	d := padded(60, 200)
	want := reference(t, d, nil)

	e := newEnv(t, nil)
	e.seed(d)
	var crashedAt int64
	e.crash(func(point string, offset int64) bool {
		if point == export.PointChunk && offset >= int64(len(want))*9/10 {
			crashedAt = offset
			return true
		}
		return false
	})
	e.settled(d.Invalid)

	// Cloud Scheduler's retries get 409 until the dead instance's lease ends; the next one takes over.
	e.clock.Set(e.clock.Now().Add(15 * time.Minute))
	if code, a, _ := e.trigger(e.handler(), ""); code != http.StatusConflict {
		t.Fatalf("retry during the dead instance's lease = %d %+v, want 409", code, a)
	}
	e.clock.Set(e.clock.Now().Add(60 * time.Minute))
	code, a, _ := e.trigger(e.handler(), "")
	if code != http.StatusOK || a.Outcome != "exported" || !a.Summary.Resumed {
		t.Fatalf("retry = %d %+v, want 200 exported by resuming", code, a)
	}
	got := e.checkExactlyOnce(d).Content
	if !bytes.Equal(got, want) {
		t.Fatalf("resumed file (%d bytes) differs from the uninterrupted run's (%d bytes)", len(got), len(want))
	}
	var wire int64
	for _, s := range e.fake.Sessions() {
		wire += s.WireBytes
	}
	if resent := wire - int64(len(want)); resent < 0 || resent > 2*262144 {
		t.Errorf("bytes re-sent = %d, want at most two 256 KiB chunks", resent)
	} else {
		t.Logf("crash after %d of %d bytes (%.0f%%); bytes sent in all: %d; re-sent after the crash: %d",
			crashedAt, len(want), 100*float64(crashedAt)/float64(len(want)), wire, resent)
	}
}

// reference returns the file an uninterrupted run writes for d, from a subtest with its own database and
// Firestore project, or stops the test.
func reference(t *testing.T, d demo.Data, extra map[string]string) []byte {
	t.Helper()
	var want []byte
	t.Run("uninterrupted", func(t *testing.T) {
		ref := newEnv(t, extra)
		ref.seed(d)
		if code, a, _ := ref.trigger(ref.h, ""); code != http.StatusOK {
			t.Fatalf("reference run = %d %+v", code, a)
		}
		want = ref.liveFile().Content
	})
	if want == nil {
		t.FailNow()
	}
	return want
}

// TestResumeAt4MiBChunksAcrossSegments: the resume of TestResumeAfterCrashAt90Percent at the production chunk
// size (CHUNK_SIZE's default, 4 MiB), with a file of about 10 MiB, so that the recorded hash state is taken at a
// boundary of several 1 MiB pipe segments and the resume regenerates 8 MiB before sending the rest.
func TestResumeAt4MiBChunksAcrossSegments(t *testing.T) {
	const chunk = 4 << 20
	extra := map[string]string{"CHUNK_SIZE": strconv.Itoa(chunk)}
	d := padded(60, 720)
	want := reference(t, d, extra)
	if len(want) < 2*chunk+chunk/4 {
		t.Fatalf("the file has %d bytes, want more than two 4 MiB chunks and a part", len(want))
	}

	e := newEnv(t, extra)
	e.seed(d)
	var crashedAt int64
	e.crash(func(point string, offset int64) bool {
		if point == export.PointChunk && offset >= 2*chunk {
			crashedAt = offset
			return true
		}
		return false
	})
	e.settled(d.Invalid)
	if crashedAt != 2*chunk {
		t.Fatalf("crashed after %d bytes, want after the second 4 MiB chunk (%d)", crashedAt, 2*chunk)
	}
	e.clock.Set(e.clock.Now().Add(75 * time.Minute)) // past the dead instance's lease
	code, a, _ := e.trigger(e.handler(), "")
	if code != http.StatusOK || a.Outcome != "exported" || !a.Summary.Resumed {
		t.Fatalf("retry = %d %+v, want 200 exported by resuming", code, a)
	}
	if got := e.checkExactlyOnce(d).Content; !bytes.Equal(got, want) {
		t.Fatalf("resumed file (%d bytes) differs from the uninterrupted run's (%d bytes)", len(got), len(want))
	}
	sessions := e.fake.Sessions()
	if len(sessions) != 1 {
		t.Fatalf("%d upload sessions, want the one resumed", len(sessions))
	}
	if resent := sessions[0].WireBytes - int64(len(want)); resent < 0 || resent > chunk {
		t.Errorf("bytes re-sent = %d, want at most one 4 MiB chunk", resent)
	}
}

// TestAdoptFinishedButUnrecordedFile: an attempt dies right after Drive completed the upload (PointUploaded),
// before it recorded the file. The retry finds the recorded session complete, encodes the batch again, and adopts
// the file when its MD5 matches: no second upload, no second file, and the file equals an uninterrupted run's.
func TestAdoptFinishedButUnrecordedFile(t *testing.T) {
	d := padded(20, 100) // several 256 KiB chunks, so the session is recorded before the upload ends
	want := reference(t, d, nil)

	e := newEnv(t, nil)
	e.seed(d)
	var uploaded string
	e.crash(func(point string, offset int64) bool {
		if point == export.PointUploaded {
			if files := e.fake.LiveFiles(folder); len(files) == 1 {
				uploaded = files[0].ID
			}
			return true
		}
		return false
	})
	if uploaded == "" {
		t.Fatalf("no finished file in the folder at %s", export.PointUploaded)
	}
	sessionsBefore := len(e.fake.Sessions())
	e.clock.Set(e.clock.Now().Add(75 * time.Minute))
	code, a, _ := e.trigger(e.handler(), "")
	if code != http.StatusOK || a.Outcome != "exported" {
		t.Fatalf("retry = %d %+v, want 200 exported", code, a)
	}
	f := e.checkExactlyOnce(d)
	if f.ID != uploaded {
		t.Errorf("exported file %s, want the crashed attempt's finished file %s adopted", f.ID, uploaded)
	}
	if !bytes.Equal(f.Content, want) {
		t.Errorf("adopted file (%d bytes) differs from the uninterrupted run's (%d bytes)", len(f.Content), len(want))
	}
	if n := len(e.fake.Sessions()); n != sessionsBefore || n != 1 {
		t.Errorf("%d upload sessions after the retry (%d before), want the crashed attempt's one only", n, sessionsBefore)
	}
	uploads := 0
	for _, r := range e.fake.Requests() {
		if r.Op == drivefake.OpMultipart || r.Op == drivefake.OpInitiate {
			uploads++
		}
	}
	if uploads != 1 {
		t.Errorf("%d uploads started, want 1: the retry must adopt the finished file, not upload again", uploads)
	}
	if all := e.fake.Files(); len(all) != 1 {
		t.Errorf("%d files on Drive, want 1", len(all))
	}
}

// TestPermanentFailureBlocksUntilCleared: Drive refuses the folder. The run answers 500 with the class, returns
// the entries to the queue and records a permanent failure; later triggers fail fast without touching Drive or the
// queue, until an operator clears it (or the configuration changes).
func TestPermanentFailureBlocksUntilCleared(t *testing.T) {
	fault := drivefake.Fault{Op: drivefake.OpMultipart, Status: http.StatusForbidden, Reason: "insufficientFilePermissions"}
	e := newEnv(t, nil, fault)
	d := demoData(10)
	e.seed(d)

	code, a, _ := e.trigger(e.h, "")
	if code != http.StatusInternalServerError || a.ErrorClass != string(export.ClassDrivePermanent) {
		t.Fatalf("first trigger = %d %+v, want 500 drive_permanent", code, a)
	}
	if got := e.statuses(); got["queued"] != d.Valid || got["exporting"] != 0 {
		t.Errorf("queue after the permanent failure = %v, want the %d valid entries back in the queue", got, d.Valid)
	}
	code, st := e.get("/?date=" + date)
	if code != http.StatusOK || st.Record.State != export.StateFailed || !st.Record.Permanent {
		t.Errorf("lock = %d %+v, want failed and permanent", code, st.Record)
	}

	before := len(e.fake.Requests())
	e.clock.Set(e.clock.Now().Add(5 * time.Minute))
	code, a, _ = e.trigger(e.handler(), "")
	if code != http.StatusInternalServerError || !strings.Contains(a.Error, "clearFailure") {
		t.Errorf("retry while blocked = %d %+v, want 500 naming clearFailure", code, a)
	}
	if after := len(e.fake.Requests()); after != before {
		t.Errorf("retry while blocked sent %d requests to Drive, want none", after-before)
	}
	if got := e.statuses(); got["queued"] != d.Valid {
		t.Errorf("queue after the blocked retry = %v, want untouched", got)
	}

	// The operator fixed the folder's sharing and clears the failure.
	code, a, _ = e.trigger(e.handler(), `{"date":"2026-11-28","clearFailure":true}`)
	if code != http.StatusOK || a.Outcome != "exported" {
		t.Fatalf("cleared retry = %d %+v, want 200 exported", code, a)
	}
	e.checkExactlyOnce(d)
}

// TestConfigChangeUnblocksAPermanentFailure: a new configuration (here another file prefix) is a new fingerprint.
func TestConfigChangeUnblocksAPermanentFailure(t *testing.T) {
	fault := drivefake.Fault{Op: drivefake.OpMultipart, Status: http.StatusNotFound, Reason: "notFound"}
	e := newEnv(t, nil, fault)
	d := demoData(5)
	e.seed(d)
	if code, a, _ := e.trigger(e.h, ""); code != http.StatusInternalServerError {
		t.Fatalf("first trigger = %d %+v, want 500", code, a)
	}
	e.vars["FILE_PREFIX"] = "ledger"
	e.clock.Set(e.clock.Now().Add(5 * time.Minute))
	if code, a, _ := e.trigger(e.handler(), ""); code != http.StatusOK || a.Summary.FileName != "ledger_2026-11-28.csv" {
		t.Fatalf("trigger after the configuration changed = %d %+v, want 200 exported as ledger_2026-11-28.csv", code, a)
	}
}

// TestResumeRefusedWhenTheBytesDiffer: between the crash and the retry a journal's memo changed, so the bytes
// regenerated for the recorded prefix no longer hash to the recorded state. The retry must not append to the old
// session (that would splice two versions into one file): it starts over and writes one consistent file.
func TestResumeRefusedWhenTheBytesDiffer(t *testing.T) {
	d := padded(30, 200)
	e := newEnv(t, nil)
	e.seed(d)
	e.crash(func(point string, offset int64) bool { return point == export.PointChunk && offset >= 2*262144 })
	first := d.Transactions[0].(bson.D)[0].Value
	if _, err := e.db.Collection("medici_transactions").UpdateOne(t.Context(), bson.D{{Key: "_id", Value: first}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "memo", Value: "แก้ไขแล้ว"}}}}); err != nil {
		t.Fatalf("edit a memo: %v", err)
	}
	e.clock.Set(e.clock.Now().Add(40 * time.Minute))
	code, a, _ := e.trigger(e.handler(), "")
	if code != http.StatusOK || a.Summary.Resumed {
		t.Fatalf("retry = %d %+v, want 200 exported by starting over", code, a)
	}
	f := e.checkExactlyOnce(d)
	if !bytes.Contains(f.Content, []byte(",แก้ไขแล้ว,")) {
		t.Errorf("file lacks the edited memo: it is not one consistent encoding")
	}
}

// lockFor takes the date's lock as another instance would, and keeps it.
func lockFor(e *env, holder string) (export.Acquisition, error) {
	return lease.New(e.fs, "ledger-export-runs", holder, 30*time.Second).
		Acquire(context.Background(), date, e.clock.Now(), export.AcquireOptions{TTL: 35 * time.Minute})
}
