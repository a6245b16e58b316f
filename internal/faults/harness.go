// Package faults is the fault-injection harness behind `make faults`: it runs the real function as a subprocess
// (cmd/exportserver) against the Firestore emulator, an embedded FerretDB and the fake Drive, breaks it in a named
// way — SIGKILL at a named point or a random moment, a Drive fault, a MongoDB or Firestore outage, concurrent and
// duplicate triggers, a permanent Drive refusal — and lets Cloud Scheduler's bounded retry play out on a scaled
// clock. Then it checks the invariants from outside, by reading Drive, MongoDB and Firestore directly: one live CSV
// for the date, every claimed entry in it exactly once, every entry marked consistently with it, nothing lost, and
// the lock done (or, after a permanent fault, blocked with the entries back in the queue).
package faults

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"cloud.google.com/go/firestore"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/siamledger/ledger-export/internal/csvfile"
	"github.com/siamledger/ledger-export/internal/demo"
	"github.com/siamledger/ledger-export/internal/drivefake"
	"github.com/siamledger/ledger-export/internal/export"
	"github.com/siamledger/ledger-export/internal/lease"
	"github.com/siamledger/ledger-export/internal/testenv"
)

// Options configure a Harness.
type Options struct {
	// ServerBinary is the built cmd/exportserver.
	ServerBinary string
	// Minute is how long one minute of the production schedule lasts here. Cloud Scheduler's waits (5, 10, 20 and
	// 40 min), its 30-min attempt deadline and the 35-min lease are all scaled by it.
	Minute time.Duration
	// Logs receives the servers' own output; nil discards it.
	Logs io.Writer
}

// Harness holds the services every trial shares. Each trial gets its own database, Firestore project and fake
// Drive.
type Harness struct {
	opts    Options
	mg      *testenv.Mongo
	emu     *testenv.Emulator
	emuHost string
	mgProxy *Proxy
	fsProxy *Proxy
	direct  *mongo.Client
	trials  atomic.Int64
}

// New starts FerretDB, the Firestore emulator (or uses FIRESTORE_EMULATOR_HOST) and a proxy in front of each.
func New(ctx context.Context, dir string, o Options) (*Harness, error) {
	h := &Harness{opts: o}
	if h.opts.Logs == nil {
		h.opts.Logs = io.Discard
	}
	var err error
	if h.mg, err = testenv.StartMongo(dir, nil); err != nil {
		return nil, err
	}
	h.emuHost = os.Getenv("FIRESTORE_EMULATOR_HOST")
	if h.emuHost == "" {
		if h.emu, err = testenv.StartFirestore(ctx, testenv.EmulatorOptions{}); err != nil {
			h.Close()
			return nil, err
		}
		h.emuHost = h.emu.Host
		// The harness's own Firestore client (for the checks) finds the emulator through this variable.
		os.Setenv("FIRESTORE_EMULATOR_HOST", h.emuHost)
	}
	mongoAddr := strings.TrimSuffix(strings.TrimPrefix(h.mg.URI, "mongodb://"), "/")
	if h.mgProxy, err = NewProxy(mongoAddr); err != nil {
		h.Close()
		return nil, err
	}
	if h.fsProxy, err = NewProxy(h.emuHost); err != nil {
		h.Close()
		return nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if h.direct, err = mongo.Connect(cctx, options.Client().ApplyURI(h.mg.URI)); err != nil {
		h.Close()
		return nil, fmt.Errorf("connect to ferretdb: %w", err)
	}
	return h, nil
}

// Close stops everything New started.
func (h *Harness) Close() {
	if h.direct != nil {
		_ = h.direct.Disconnect(context.Background())
	}
	for _, p := range []*Proxy{h.mgProxy, h.fsProxy} {
		if p != nil {
			p.Close()
		}
	}
	if h.emu != nil {
		h.emu.Stop()
	}
	if h.mg != nil {
		h.mg.Stop()
	}
}

// Fault is one way to break a run.
type Fault struct {
	Name string
	// Crash is LEDGER_EXPORT_CRASH_AT for the first instance: "POINT" or "after-chunk:BYTES".
	Crash string
	// CrashAtFraction, with Crash "after-chunk", places the crash at this fraction of the file instead of BYTES.
	CrashAtFraction float64
	// KillWithin kills the first instance with SIGKILL at a random moment of its first attempt.
	KillWithin time.Duration
	// Drive are faults of the fake Drive.
	Drive []drivefake.Fault
	// Burst sends this many triggers at once, spread over BurstInstances instances.
	Burst, BurstInstances int
	// Duplicate sends a second trigger to another instance while the first attempt runs.
	Duplicate bool
	// MongoOutage and FirestoreOutage break every connection (and refuse new ones briefly) at a random moment of
	// the first attempt.
	MongoOutage, FirestoreOutage bool
	// Permanent: the fault is permanent; the date must end blocked with its entries back in the queue.
	Permanent bool
}

// Result is a fault's row of the table.
type Result struct {
	Fault      string
	Trials     int
	Exports    int // trials that ended with the date done and one live file (blocked dates, for permanent faults)
	Duplicates int // entry appearances beyond one, and live files beyond one, over all trials
	Lost       int // valid entries neither in the date's file (and marked so) nor back in the queue
	Attempts   int // scheduler attempts, over all trials
	Problems   []string
}

// Run runs trials of one fault.
func (h *Harness) Run(ctx context.Context, f Fault, trials int, rnd *rand.Rand) Result {
	r := Result{Fault: f.Name, Trials: trials}
	for range trials {
		t, err := h.trial(ctx, f, rnd)
		r.Attempts += t.attempts
		r.Duplicates += t.duplicates
		r.Lost += t.lost
		if t.ok {
			r.Exports++
		}
		if err != nil {
			r.Problems = append(r.Problems, err.Error())
		}
		r.Problems = append(r.Problems, t.problems...)
	}
	return r
}

type trialResult struct {
	ok                         bool
	attempts, duplicates, lost int
	problems                   []string
}

const folder = "exports"

// trial sets up fresh data, runs the schedule with the fault, and checks the invariants.
func (h *Harness) trial(ctx context.Context, f Fault, rnd *rand.Rand) (trialResult, error) {
	id := h.trials.Add(1)
	bkk, err := time.LoadLocation("Asia/Bangkok")
	if err != nil {
		return trialResult{}, fmt.Errorf("load zone: %w", err)
	}
	runner := export.Runner{Location: bkk, CutoffHour: 18}
	date := runner.DateAt(time.Now())
	cutoff, _ := runner.Cutoff(date)

	fake, err := drivefake.NewServer(drivefake.Options{Folders: []string{folder}, Faults: f.Drive})
	if err != nil {
		return trialResult{}, fmt.Errorf("start fake drive: %w", err)
	}
	defer fake.Close()

	dbName, project := fmt.Sprintf("faults%d", id), fmt.Sprintf("faults-%d", id)
	db := h.direct.Database(dbName)
	defer func() { _ = db.Drop(context.Background()) }()
	d := Data(int64(id), cutoff)
	if err := demo.Seed(ctx, db, demo.Collections{Queue: "exportqueues", Journals: "medici_journals", Transactions: "medici_transactions"}, d); err != nil {
		return trialResult{}, err
	}

	env := append(os.Environ(),
		"MONGODB_URI=mongodb://"+h.mgProxy.Addr()+"/",
		"MONGODB_DATABASE="+dbName,
		"FIRESTORE_PROJECT="+project,
		"FIRESTORE_EMULATOR_HOST="+h.fsProxy.Addr(),
		"DRIVE_FOLDER_ID="+folder,
		"DRIVE_ENDPOINT="+fake.URL(),
		"CHUNK_SIZE=262144",
		"LEASE_DURATION="+(35*h.opts.Minute).String(),
		"CALL_TIMEOUT=5s",
		"K_SERVICE=", "FUNCTION_TARGET=",
	)
	s := &schedule{h: h, env: env, at: cutoff, f: f, rnd: rnd, fileSize: expectedSize(d)}
	defer s.stopAll()
	if err := s.play(ctx); err != nil {
		return trialResult{attempts: s.attempts}, err
	}
	// An attempt whose caller (the scheduler) gave up at its deadline goes on running under its lease, as on
	// Cloud Run; let it finish before judging.
	h.settle(ctx, project, date, 35*h.opts.Minute)
	t := h.check(ctx, f, d, db, project, date, fake)
	t.attempts = s.attempts
	return t, nil
}

// Data is a trial's batch: a few journals whose long memos make a file of several 256 KiB chunks, plus the four
// broken entries of package demo.
func Data(seed int64, cutoff time.Time) demo.Data {
	d := demo.Generate(demo.Options{Journals: 16, Seed: uint64(seed), From: cutoff.Add(-20 * time.Hour), To: cutoff.Add(-time.Minute), Broken: true})
	pad := strings.Repeat("ค่าสินค้าและบริการตามใบแจ้งหนี้ ", 400)
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

// expectedSize estimates the file's size from the data, to place fractional crash points.
func expectedSize(d demo.Data) int64 {
	var n int64
	for _, doc := range d.Transactions {
		b, _ := bson.Marshal(doc)
		n += int64(len(b))
	}
	return n
}

// schedule plays Cloud Scheduler: the first attempt, then up to four retries after 5, 10, 20 and 40 (scaled)
// minutes, each with a 30-minute attempt deadline. A dead instance is replaced, as Cloud Run would.
type schedule struct {
	h        *Harness
	env      []string
	at       time.Time
	f        Fault
	rnd      *rand.Rand
	fileSize int64

	mu        sync.Mutex
	instances []*instance
	attempts  int
}

func (s *schedule) play(ctx context.Context) error {
	waits := []int{0, 5, 10, 20, 40}
	for i, w := range waits {
		if i > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Duration(w) * s.h.opts.Minute):
			}
		}
		code, err := s.attempt(ctx, i)
		if err != nil {
			return err
		}
		if code == http.StatusOK {
			return nil
		}
	}
	return nil
}

// attempt runs one scheduler attempt and returns the status it got (0 when the connection broke).
func (s *schedule) attempt(ctx context.Context, n int) (int, error) {
	s.attempts++
	crash := ""
	if n == 0 {
		crash = s.f.Crash
		if s.f.CrashAtFraction > 0 {
			crash = fmt.Sprintf("after-chunk:%d", int64(float64(s.fileSize)*s.f.CrashAtFraction))
		}
	}
	inst, err := s.instance(ctx, crash)
	if err != nil {
		return 0, err
	}
	if n > 0 {
		return s.post(ctx, inst), nil
	}

	// The first attempt carries the fault.
	var wg sync.WaitGroup
	switch {
	case s.f.KillWithin > 0:
		delay := time.Duration(s.rnd.Int64N(int64(s.f.KillWithin)))
		wg.Add(1)
		go func() { defer wg.Done(); time.Sleep(delay); inst.kill() }()
	case s.f.MongoOutage || s.f.FirestoreOutage:
		delay := time.Duration(50+s.rnd.IntN(500)) * time.Millisecond
		p := s.h.mgProxy
		if s.f.FirestoreOutage {
			p = s.h.fsProxy
		}
		wg.Add(1)
		go func() { defer wg.Done(); time.Sleep(delay); p.Outage(300 * time.Millisecond) }()
	case s.f.Duplicate:
		other, err := s.instance(ctx, "")
		if err != nil {
			return 0, err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(150 * time.Millisecond)
			s.post(ctx, other)
		}()
	case s.f.Burst > 0:
		insts := []*instance{inst}
		for len(insts) < s.f.BurstInstances {
			i, err := s.instance(ctx, "")
			if err != nil {
				return 0, err
			}
			insts = append(insts, i)
		}
		codes := make([]int, s.f.Burst)
		for i := range s.f.Burst {
			wg.Add(1)
			go func() { defer wg.Done(); codes[i] = s.post(ctx, insts[i%len(insts)]) }()
		}
		wg.Wait()
		best := 0
		for _, c := range codes {
			if c == http.StatusOK {
				best = c
			}
		}
		return best, nil
	}
	code := s.post(ctx, inst)
	wg.Wait()
	return code, nil
}

// post sends Cloud Scheduler's request with its attempt deadline and returns the status (0 if none came back).
func (s *schedule) post(ctx context.Context, inst *instance) int {
	ctx, cancel := context.WithTimeout(ctx, 30*s.h.opts.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, inst.url, strings.NewReader("{}"))
	if err != nil {
		return 0
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CloudScheduler", "true")
	req.Header.Set("X-CloudScheduler-ScheduleTime", s.at.UTC().Format(time.RFC3339))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// instance returns a live instance: the last one if it still runs and no crash is asked for, else a new one.
func (s *schedule) instance(ctx context.Context, crash string) (*instance, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if crash == "" && len(s.instances) > 0 && !s.f.Duplicate && s.f.Burst == 0 {
		if last := s.instances[len(s.instances)-1]; last.alive() {
			return last, nil
		}
	}
	env := s.env
	if crash != "" {
		env = append(env[:len(env):len(env)], "LEDGER_EXPORT_CRASH_AT="+crash)
	}
	inst, err := startInstance(ctx, s.h.opts.ServerBinary, env, s.h.opts.Logs)
	if err != nil {
		return nil, err
	}
	s.instances = append(s.instances, inst)
	return inst, nil
}

func (s *schedule) stopAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, i := range s.instances {
		i.kill()
	}
}

// instance is one running exportserver process.
type instance struct {
	cmd  *exec.Cmd
	url  string
	done chan struct{}
}

func startInstance(ctx context.Context, bin string, env []string, logs io.Writer) (*instance, error) {
	cmd := exec.Command(bin)
	cmd.Env = env
	cmd.Stderr = logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("start exportserver: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start exportserver: %w", err)
	}
	i := &instance{cmd: cmd, done: make(chan struct{})}
	lines := bufio.NewScanner(out)
	ready := make(chan string, 1)
	go func() {
		first := true
		for lines.Scan() {
			if first {
				ready <- lines.Text()
				first = false
			}
			_, _ = fmt.Fprintln(logs, lines.Text())
		}
		if first {
			close(ready)
		}
	}()
	go func() { _ = cmd.Wait(); close(i.done) }()
	select {
	case line, ok := <-ready:
		if !ok || !strings.HasPrefix(line, "listening on ") {
			i.kill()
			return nil, fmt.Errorf("exportserver did not start: %q", line)
		}
		i.url = strings.TrimPrefix(line, "listening on ") + "/"
	case <-time.After(30 * time.Second):
		i.kill()
		return nil, errors.New("exportserver did not start within 30 s")
	case <-ctx.Done():
		i.kill()
		return nil, ctx.Err()
	}
	return i, nil
}

func (i *instance) alive() bool {
	select {
	case <-i.done:
		return false
	default:
		return true
	}
}

func (i *instance) kill() {
	_ = syscall.Kill(-i.cmd.Process.Pid, syscall.SIGKILL)
	<-i.done
}

// check reads Drive, MongoDB and Firestore directly and counts what the invariants forbid.
func (h *Harness) check(ctx context.Context, f Fault, d demo.Data, db *mongo.Database, project, date string, fake *drivefake.Server) trialResult {
	var t trialResult
	fail := func(format string, args ...any) { t.problems = append(t.problems, fmt.Sprintf(format, args...)) }

	valid := map[string]bool{}
	for i, q := range d.Queue {
		if i < d.Valid {
			valid[q.(bson.D)[0].Value.(primitive.ObjectID).Hex()] = true
		}
	}
	status, fileOf, err := queueState(ctx, db)
	if err != nil {
		fail("read queue: %v", err)
		return t
	}
	rec, found, err := h.lock(ctx, project, date)
	if err != nil {
		fail("read lock: %v", err)
		return t
	}
	files := fake.LiveFiles(folder)

	if f.Permanent {
		for id := range valid {
			if status[id] != "queued" {
				t.lost++
			}
		}
		if len(files) != 0 {
			t.duplicates += len(files)
			fail("a blocked date has %d live files", len(files))
		}
		// Once the permanent failure is recorded, later attempts must fail fast: no Drive request after it.
		after := 0
		for _, r := range fake.Requests() {
			if r.Time.After(rec.UpdatedAt) {
				after++
			}
		}
		if after > 0 {
			fail("blocked attempts sent %d requests to Drive", after)
		}
		t.ok = found && rec.State == export.StateFailed && rec.Permanent && t.lost == 0 && len(files) == 0 && after == 0
		if !t.ok {
			fail("blocked date: lock found=%v state=%s permanent=%v, lost %d", found, rec.State, rec.Permanent, t.lost)
		}
		return t
	}

	if len(files) > 1 {
		t.duplicates += len(files) - 1
		fail("%d live files for the date", len(files))
	}
	seen := map[string]int{} // entry id → appearances over the live files (by distinct line)
	lines := map[string]int{}
	live := map[string]bool{}
	for _, file := range files {
		live[file.ID] = true
		recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(file.Content, []byte(csvfile.BOM)))).ReadAll()
		if err != nil {
			fail("file %s is not CSV: %v", file.ID, err)
			continue
		}
		for _, r := range recs[1:] {
			lines[r[3]]++
			if lines[r[3]] == 1 {
				seen[r[1]]++
			}
		}
	}
	for id, n := range lines {
		if n > 1 {
			t.duplicates += n - 1
			fail("line %s appears %d times", id, n)
		}
	}
	for id := range valid {
		switch {
		case seen[id] == 0:
			t.lost++
		case status[id] != "completed" || !live[fileOf[id]]:
			t.lost++
			fail("entry %s is in the file but marked %s in %q", id, status[id], fileOf[id])
		}
	}
	for id, st := range status {
		if !valid[id] && st != "failed" {
			fail("broken entry %s is %s, want failed", id, st)
		}
	}
	t.ok = found && rec.State == export.StateDone && len(files) == 1 && t.lost == 0 && t.duplicates == 0
	if !t.ok && found && rec.State != export.StateDone {
		fail("lock ended %s (%s)", rec.State, rec.Error)
	}
	return t
}

// settle waits until the date's lock is no longer held by a running attempt, for at most max.
func (h *Harness) settle(ctx context.Context, project, date string, max time.Duration) {
	deadline := time.Now().Add(max)
	for time.Now().Before(deadline) {
		rec, found, err := h.lock(ctx, project, date)
		// A grace of a tenth of the wait past the lease lets an attempt that hit its deadline record its failure.
		if err != nil || !found || rec.State == export.StateDone || rec.State == export.StateFailed || time.Now().After(rec.LeaseExpiresAt.Add(max/10)) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func queueState(ctx context.Context, db *mongo.Database) (status, fileOf map[string]string, err error) {
	cur, err := db.Collection("exportqueues").Find(ctx, bson.D{})
	if err != nil {
		return nil, nil, err
	}
	var docs []struct {
		ID       primitive.ObjectID `bson:"_id"`
		Status   string             `bson:"status"`
		Metadata struct {
			FileID string `bson:"fileId"`
		} `bson:"metadata"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return nil, nil, err
	}
	status, fileOf = map[string]string{}, map[string]string{}
	for _, d := range docs {
		status[d.ID.Hex()] = d.Status
		fileOf[d.ID.Hex()] = d.Metadata.FileID
	}
	return status, fileOf, nil
}

func (h *Harness) lock(ctx context.Context, project, date string) (export.Record, bool, error) {
	c, err := firestore.NewClient(ctx, project)
	if err != nil {
		return export.Record{}, false, err
	}
	defer c.Close()
	return lease.New(c, "ledger-export-runs", "harness", 30*time.Second).Get(ctx, date)
}
