package faults

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo"

	"github.com/siamledger/ledger-export/internal/demo"
	"github.com/siamledger/ledger-export/internal/drivefake"
	"github.com/siamledger/ledger-export/internal/export"
)

// Fault is one way to break a run.
type Fault struct {
	Name string
	// Crash is LEDGER_EXPORT_CRASH_AT for the first instance: "POINT" or "after-chunk:BYTES".
	Crash string
	// CrashAtFraction, with Crash "after-chunk", places the crash at this fraction of the measured file size.
	CrashAtFraction float64
	// Stop is LEDGER_EXPORT_STOP_AT for the first instance: it freezes there (SIGSTOP) past its lease, the
	// scheduler's later attempts go to other instances, and once they are over the frozen one is thawed (SIGCONT).
	Stop string
	// RandomKill kills the first instance with SIGKILL at a random moment of its first attempt: uniformly within
	// nine tenths of the measured clean run, so that the moment falls inside the attempt even on a faster machine.
	RandomKill bool
	// Drive are faults of the fake Drive from the start; DriveAfterFirst are added once the first attempt has
	// ended. Each must serve at least one request.
	Drive, DriveAfterFirst []drivefake.Fault
	// Burst sends this many triggers at once, spread over BurstInstances instances.
	Burst, BurstInstances int
	// Duplicate sends a second trigger to another instance while the first attempt runs.
	Duplicate bool
	// MongoOutage and FirestoreOutage cut every connection to MongoDB or Firestore and refuse new ones for
	// outageLength, beginning when the first attempt sends a chunk chosen at random.
	MongoOutage, FirestoreOutage bool
	// Permanent: the fault is permanent; the date must end blocked with its entries back in the queue.
	Permanent bool
	// Operator: issue 10's path 1. The first attempt's file is complete in Drive but not recorded when a later
	// attempt meets a permanent error: the date must end blocked with no entry back in the queue while the file
	// is live. Then the cause is fixed, the next day runs, and an operator clears the failure; every date must
	// end exported exactly once, and no entry may ever be in two live files.
	Operator bool
	// Heal: every scheduled attempt of two days fails (MongoDB is down from the first day's second chunk to the
	// end of the second day), then the third day's single attempt must finish all three dates.
	Heal bool

	// edge is one of the classes of issue 18 (the boundary with operators and the app), played by its own
	// scenario (edges.go); "" for the classes above.
	edge edge
	// env is added to the environment of every instance of the trial (the harness's own tests set it).
	env []string
	// tamper, when set, changes the world after the schedule and before the checks (the harness's own tests
	// use it to make a condition the checks must catch).
	tamper func(ctx context.Context, w *world) error
}

// minuteScale is how many calibrated minutes make one scaled minute of the fault's trials. Healing's day three
// exports three dates in one attempt: a calibrated run lasts a tenth of the 30-minute deadline, so three runs and
// their lookups would fill it on a loaded machine, while in production a date takes seconds of it; the class scales
// its minute by the dates it exports, so that its attempt keeps the headroom of one date's run.
func (f Fault) minuteScale() int {
	if f.Heal {
		return 3
	}
	return 1
}

// outageLength is how long a brief outage refuses connections.
const outageLength = 300 * time.Millisecond

// day is one batch date of a trial, with its seeded entries.
type day struct {
	date   string
	cutoff time.Time
	data   demo.Data
	valid  map[string]bool // queue _id (hex) of entries that must export
	broken map[string]bool // queue _id (hex) of entries that must fail
}

// world is one trial's fresh fake Drive, database, Firestore project and seeded days.
type world struct {
	h       *Harness
	id      int64
	dir     string
	fake    *drivefake.Server
	db      *mongo.Database
	project string
	env     []string
	days    []day // oldest first; the last is the latest closed date

	// Indexes in fake.FaultsServed() of the faults that must each serve a request.
	proveFaults []int
	trigger     int               // index of the fault that begins an outage, -1 when none
	registered  []drivefake.Fault // every fault given to the fake, in order

	// alsoValid are entries a scenario made valid beyond the seeded ones (an entry the app fixed and re-queued,
	// or deleted after a file may have taken it): a live file may hold them.
	alsoValid map[string]bool
	// late are the entries a scenario made late arrivals (queued again after their date was done).
	late map[string]bool

	mu        sync.Mutex
	instances []*instance
	outages   []*Outage
}

// newWorld seeds n days ending at the latest closed date and starts a fake Drive with the fault's Drive faults.
func (h *Harness) newWorld(ctx context.Context, f Fault, n int, rnd *rand.Rand) (*world, error) {
	id := h.trials.Add(1)
	dir, err := h.trialDir(id)
	if err != nil {
		return nil, err
	}
	bkk, err := time.LoadLocation("Asia/Bangkok")
	if err != nil {
		return nil, fmt.Errorf("load zone: %w", err)
	}
	runner := export.Runner{Location: bkk, CutoffHour: 18}
	latest, _ := time.ParseInLocation(time.DateOnly, runner.DateAt(time.Now()), bkk)
	w := &world{h: h, id: id, dir: dir, trigger: -1, alsoValid: map[string]bool{}, late: map[string]bool{}}
	for k := n - 1; k >= 0; k-- {
		date := latest.AddDate(0, 0, -k).Format(time.DateOnly)
		cutoff, _ := runner.Cutoff(date)
		d := Data(id*10+int64(n-1-k), cutoff, h.opts.Format)
		w.days = append(w.days, newDay(date, cutoff, d))
	}

	faults := append([]drivefake.Fault(nil), f.Drive...)
	for i := range f.Drive {
		w.proveFaults = append(w.proveFaults, i)
	}
	if f.MongoOutage || f.FirestoreOutage || f.Heal {
		p, length, chunk := h.mgProxy, outageLength, 1+rnd.IntN(max(1, h.base.Chunks-1))
		if f.FirestoreOutage {
			p = h.fsProxy
		}
		if f.Heal {
			length, chunk = 0, 2 // until restored, from the first day's second chunk
		}
		w.trigger = len(faults)
		faults = append(faults, drivefake.Fault{Op: drivefake.OpChunk, Chunk: chunk, Trigger: func() {
			o := p.Cut(length)
			w.mu.Lock()
			w.outages = append(w.outages, o)
			w.mu.Unlock()
		}})
	}
	w.registered = faults
	if w.fake, err = drivefake.NewServer(drivefake.Options{Folders: []string{folder}, Faults: faults}); err != nil {
		return nil, fmt.Errorf("start fake drive: %w", err)
	}
	dbName := fmt.Sprintf("faults%d", id)
	w.project = fmt.Sprintf("faults-%d", id)
	w.db = h.direct.Database(dbName)
	for _, d := range w.days {
		if err := demo.Seed(ctx, w.db, demo.Collections{Queue: "exportqueues", Journals: "medici_journals", Transactions: "medici_transactions"}, d.data); err != nil {
			w.close()
			return nil, err
		}
	}
	w.env = append(os.Environ(),
		"MONGODB_URI=mongodb://"+h.mgProxy.Addr()+"/",
		"MONGODB_DATABASE="+dbName,
		"FIRESTORE_PROJECT="+w.project,
		"FIRESTORE_EMULATOR_HOST="+h.fsProxy.Addr(),
		"DRIVE_FOLDER_ID="+folder,
		"DRIVE_ENDPOINT="+w.fake.URL(),
		"CHUNK_SIZE=262144",
		"LEASE_DURATION="+(35*h.opts.Minute).String(),
		"CALL_TIMEOUT="+h.callTimeout().String(),
		"OUTPUT_FORMAT="+h.opts.Format,
		"K_SERVICE=", "FUNCTION_TARGET=",
	)
	w.env = append(w.env, f.env...)
	return w, nil
}

func newDay(date string, cutoff time.Time, d demo.Data) day {
	dy := day{date: date, cutoff: cutoff, data: d, valid: map[string]bool{}, broken: map[string]bool{}}
	for i, q := range d.Queue {
		id := q.(bson.D)[0].Value.(primitive.ObjectID).Hex()
		if i < d.Valid {
			dy.valid[id] = true
		} else {
			dy.broken[id] = true
		}
	}
	return dy
}

// close stops the trial's instances and fake Drive and drops its database.
func (w *world) close() {
	w.mu.Lock()
	insts := w.instances
	w.mu.Unlock()
	for _, i := range insts {
		i.kill()
	}
	w.h.mgProxy.Restore()
	w.h.fsProxy.Restore()
	if w.fake != nil {
		w.fake.Close()
	}
	_ = w.db.Drop(context.Background())
}

// addDriveFaults registers faults that must each serve a request.
func (w *world) addDriveFaults(fs []drivefake.Fault) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, f := range fs {
		w.proveFaults = append(w.proveFaults, len(w.registered))
		w.registered = append(w.registered, f)
		w.fake.AddFault(f)
	}
}

// instance returns the last instance if it still runs and is not frozen, else a new one.
func (w *world) instance(ctx context.Context) (*instance, error) {
	w.mu.Lock()
	if len(w.instances) > 0 {
		last := w.instances[len(w.instances)-1]
		if last.alive() && !last.frozen.Load() {
			w.mu.Unlock()
			return last, nil
		}
	}
	w.mu.Unlock()
	return w.newInstance(ctx, "", "")
}

// newInstance starts an instance with the given crash and stop points ("" for none) and extra environment.
func (w *world) newInstance(ctx context.Context, crash, stop string, extra ...string) (*instance, error) {
	env := append(w.env[:len(w.env):len(w.env)], extra...)
	if crash != "" {
		env = append(env[:len(env):len(env)], "LEDGER_EXPORT_CRASH_AT="+crash)
	}
	if stop != "" {
		env = append(env[:len(env):len(env)], "LEDGER_EXPORT_STOP_AT="+stop)
	}
	w.mu.Lock()
	mark := filepath.Join(w.dir, fmt.Sprintf("instance%d.mark", len(w.instances)))
	w.mu.Unlock()
	inst, err := startInstance(ctx, w.h.opts.ServerBinary, env, mark, w.h.opts.Logs)
	if err != nil {
		return nil, err
	}
	w.mu.Lock()
	w.instances = append(w.instances, inst)
	w.mu.Unlock()
	return inst, nil
}

// waitIdle waits until no instance is handling a request, except frozen ones. A run is bounded by its lease, and
// recording its failure by 20 s more: an attempt still in flight well after that is a fault of its own.
func (w *world) waitIdle(ctx context.Context, t *trialResult) bool {
	w.mu.Lock()
	insts := append([]*instance(nil), w.instances...)
	w.mu.Unlock()
	max := 35*w.h.opts.Minute + time.Minute
	for n, i := range insts {
		if i.frozen.Load() && i.stopped() {
			continue
		}
		if !i.waitIdle(ctx, max) {
			t.fail("instance %d still handles a request %s after the schedule ended", n, max)
			return false
		}
	}
	return true
}

// request is one POST to the function: Cloud Scheduler's (scheduled set) or an operator's (body set; with
// operator set, it carries the operator's OIDC token).
type request struct {
	scheduled time.Time
	body      any
	operator  bool
}

// post sends the request with Cloud Scheduler's attempt deadline and returns the status (0 if none came back).
func (w *world) post(ctx context.Context, inst *instance, r request) int {
	ctx, cancel := context.WithTimeout(ctx, 30*w.h.opts.Minute)
	defer cancel()
	body := "{}"
	if r.body != nil {
		b, err := json.Marshal(r.body)
		if err != nil {
			return 0
		}
		body = string(b)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, inst.url, strings.NewReader(body))
	if err != nil {
		return 0
	}
	req.Header.Set("Content-Type", "application/json")
	if r.operator {
		req.Header.Set("Authorization", "Bearer "+operatorToken)
	}
	if !r.scheduled.IsZero() {
		req.Header.Set("X-CloudScheduler", "true")
		req.Header.Set("X-CloudScheduler-ScheduleTime", r.scheduled.UTC().Format(time.RFC3339))
	}
	inst.posted.Add(1)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// schedule plays Cloud Scheduler for one date: the first attempt, then retries after 5, 10, 20 and 40 (scaled)
// minutes, each with a 30-minute attempt deadline, until one answers 200. A dead instance is replaced, as Cloud
// Run would. The fault, if any, breaks the first attempt.
type schedule struct {
	w   *world
	day day
	f   Fault
	rnd *rand.Rand

	attempts int
	codes    []int         // the answer of each attempt, 0 when none came
	starts   []time.Time   // when each attempt began
	others   []int         // answers of the duplicate or burst triggers
	first    *instance     // the first attempt's instance
	measured time.Duration // the first attempt's duration, request to answer
	stopSeen bool          // the first instance was seen stopped after the later attempts
	thawed   bool          // ... and, thawed, finished its request
}

// retryWaits are Cloud Scheduler's waits before each attempt, in minutes.
var retryWaits = []int{0, 5, 10, 20, 40}

// play runs up to n attempts and reports whether one answered 200.
func (s *schedule) play(ctx context.Context, n int) (bool, error) { return s.playFrom(ctx, 0, n) }

// playFrom runs the schedule's attempts first to n-1 (each after its wait) and reports whether one answered 200.
func (s *schedule) playFrom(ctx context.Context, first, n int) (bool, error) {
	for i := first; i < n; i++ {
		wait := retryWaits[i]
		if i > 0 {
			select {
			case <-ctx.Done():
				return false, ctx.Err()
			case <-time.After(time.Duration(wait) * s.w.h.opts.Minute):
			}
		}
		s.starts = append(s.starts, time.Now())
		code, err := s.attempt(ctx, i)
		if err != nil {
			return false, err
		}
		s.codes = append(s.codes, code)
		if i == 0 && len(s.f.DriveAfterFirst) > 0 {
			s.w.addDriveFaults(s.f.DriveAfterFirst)
		}
		if code == http.StatusOK {
			return true, nil
		}
	}
	return false, nil
}

// attempt runs one scheduler attempt and returns the status it got (0 when the connection broke).
func (s *schedule) attempt(ctx context.Context, n int) (int, error) {
	s.attempts++
	req := request{scheduled: s.day.cutoff}
	crash, stop := "", ""
	if n == 0 {
		crash, stop = s.f.Crash, s.f.Stop
		if s.f.CrashAtFraction > 0 {
			crash = fmt.Sprintf("%s:%d", s.f.Crash, int64(float64(s.w.h.base.Bytes)*s.f.CrashAtFraction))
		}
	}
	var inst *instance
	var err error
	if crash != "" || stop != "" {
		inst, err = s.w.newInstance(ctx, crash, stop)
	} else {
		inst, err = s.w.instance(ctx)
	}
	if err != nil {
		return 0, err
	}
	if n > 0 {
		return s.w.post(ctx, inst, req), nil
	}
	s.first = inst
	if stop != "" {
		inst.frozen.Store(true) // later attempts go elsewhere, as they would while this instance hangs
	}

	// The first attempt carries the fault.
	var wg sync.WaitGroup
	var mu sync.Mutex
	switch {
	case s.f.RandomKill:
		window := s.w.h.fastest * 9 / 10
		delay := time.Duration(s.rnd.Int64N(int64(max(window, time.Millisecond))))
		wg.Add(1)
		go func() { defer wg.Done(); time.Sleep(delay); inst.kill() }()
	case s.f.Duplicate:
		other, err := s.w.newInstance(ctx, "", "") // Cloud Run starts another instance for a concurrent request
		if err != nil {
			return 0, err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(150 * time.Millisecond)
			code := s.w.post(ctx, other, req)
			mu.Lock()
			s.others = append(s.others, code)
			mu.Unlock()
		}()
	case s.f.Burst > 0:
		insts := []*instance{inst}
		for len(insts) < s.f.BurstInstances {
			i, err := s.w.newInstance(ctx, "", "")
			if err != nil {
				return 0, err
			}
			insts = append(insts, i)
		}
		codes := make([]int, s.f.Burst)
		for i := range s.f.Burst {
			wg.Add(1)
			go func() { defer wg.Done(); codes[i] = s.w.post(ctx, insts[i%len(insts)], req) }()
		}
		wg.Wait()
		s.others = codes
		for _, c := range codes {
			if c == http.StatusOK {
				return c, nil
			}
		}
		return codes[0], nil
	}
	began := time.Now()
	code := s.w.post(ctx, inst, req)
	s.measured = time.Since(began)
	wg.Wait()
	return code, nil
}

// Data is a trial's batch for one date: a few journals whose long memos make a file of several 256 KiB chunks,
// plus the four broken entries of package demo. For CSV the memos repeat a Thai phrase (multi-byte text); an xlsx
// file is deflated, which would shrink that to one request, so for xlsx each memo also carries 24,000 characters
// drawn at random from the seed (within the 32,767-character cell cap), which deflate cannot shrink much.
func Data(seed int64, cutoff time.Time, format string) demo.Data {
	d := demo.Generate(demo.Options{Journals: 16, Seed: uint64(seed), From: cutoff.Add(-20 * time.Hour), To: cutoff.Add(-time.Minute), Broken: true})
	thai := strings.Repeat("ค่าสินค้าและบริการตามใบแจ้งหนี้ ", 400)
	rnd := rand.New(rand.NewPCG(uint64(seed), 0x6d656d6f))
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	for _, doc := range d.Transactions {
		tx := doc.(bson.D)
		for i := range tx {
			if tx[i].Key != "memo" {
				continue
			}
			pad := thai
			if format == "xlsx" {
				b := make([]byte, 24000)
				for j := range b {
					b[j] = alphabet[rnd.IntN(len(alphabet))]
				}
				pad = "ค่าสินค้าและบริการ " + string(b)
			}
			tx[i].Value = fmt.Sprint(tx[i].Value) + " " + pad
		}
	}
	return d
}

// docMap gives a seeded document's fields by name.
func docMap(doc any) map[string]any {
	m := map[string]any{}
	for _, e := range doc.(bson.D) {
		m[e.Key] = e.Value
	}
	return m
}
