// Package faults is the fault-injection harness behind `make faults`: it runs the real function as a subprocess
// (cmd/exportserver) against the Firestore emulator, an embedded FerretDB and the fake Drive, breaks it in a named
// way — SIGKILL at a named point or a random moment, SIGSTOP past the lease, a Drive fault, a MongoDB or Firestore
// outage, concurrent and duplicate triggers, a permanent Drive refusal, days of failed attempts — and lets Cloud
// Scheduler's bounded retry play out on a scaled clock. Then it checks the invariants from outside, by reading
// Drive, MongoDB and Firestore directly: one live file per date, every valid entry in it exactly once and marked
// completed with it, every broken entry failed, nothing lost, and the lock done (or, after a permanent fault,
// blocked with its entries back in the queue when no file of the date is live).
//
// A trial passes only if it also proves that its fault happened: the crash or stop point was reached (the
// exportserver leaves a mark just before it signals itself), every Drive fault served at least one request, an
// outage cut connections or refused some while the run was under way, a random kill hit an attempt in flight,
// concurrent triggers overlapped. A trial whose fault never fired fails with "fault never fired".
//
// Nothing here fails on timing alone: the scaled minute is sized from a measured clean run (Calibrate), and the
// checks wait until no attempt is in flight instead of for a fixed time.
package faults

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/siamledger/ledger-export/internal/testenv"
)

// Options configure a Harness.
type Options struct {
	// ServerBinary is the built cmd/exportserver.
	ServerBinary string
	// Minute is how long one minute of the production schedule lasts here. Cloud Scheduler's waits (5, 10, 20 and
	// 40 min), its 30-min attempt deadline and the 35-min lease are all scaled by it. Zero sizes it from the
	// measured clean run: MinuteFactor times the run's duration, and at least MinMinute.
	Minute time.Duration
	// Format is the output format the function writes, passed to it as OUTPUT_FORMAT: "csv" (the default) or
	// "xlsx".
	Format string
	// Logs receives the servers' own output; nil discards it.
	Logs io.Writer
}

// MinMinute is the shortest scaled minute a calibrated harness uses.
const MinMinute = 50 * time.Millisecond

// MinuteFactor sizes a calibrated minute: a clean run lasts 1/MinuteFactor minutes, so the 30-minute attempt
// deadline holds three clean runs, and the lease a little more, however slow the machine is at the time. (The
// fixed 50 ms minute this replaces held barely one run of a loaded machine.)
const MinuteFactor = 0.1

// Formats are the output formats the harness can read back.
var Formats = []string{"csv", "xlsx"}

// Harness holds the services every trial shares. Each trial gets its own database, Firestore project and fake
// Drive.
type Harness struct {
	opts    Options
	dir     string
	mg      *testenv.Mongo
	emu     *testenv.Emulator
	emuHost string
	setEnv  bool // New set FIRESTORE_EMULATOR_HOST to its own emulator; Close unsets it
	mgProxy *Proxy
	fsProxy *Proxy
	direct  *mongo.Client
	trials  atomic.Int64
	base    Baseline
	fastest time.Duration // the fastest clean attempt seen: a random kill falls within 9/10 of it
}

// randomKillTries is how many times a random-kill trial is drawn before a kill that keeps missing the attempt
// fails it.
const randomKillTries = 3

// Baseline is what a clean run measured: how long its one attempt took and the shape of its file, from which
// the fractional crash points, the chunk that triggers an outage, and the window of a random kill are placed.
type Baseline struct {
	Run    time.Duration // the clean attempt's duration, request to answer
	Bytes  int64         // its file's size
	Chunks int           // chunk requests of its upload
}

// New starts FerretDB, the Firestore emulator (or uses FIRESTORE_EMULATOR_HOST) and a proxy in front of each.
// Call Calibrate before running trials.
func New(ctx context.Context, dir string, o Options) (*Harness, error) {
	if o.Format == "" {
		o.Format = "csv"
	}
	if !slices.Contains(Formats, o.Format) {
		return nil, fmt.Errorf("format %q: want one of %s", o.Format, strings.Join(Formats, ", "))
	}
	h := &Harness{opts: o, dir: dir}
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
		// The harness's own Firestore client (for the checks) finds the emulator through this variable. Close
		// unsets it: a later harness in the same process would otherwise take the stopped emulator for its own.
		os.Setenv("FIRESTORE_EMULATOR_HOST", h.emuHost)
		h.setEnv = true
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
	if h.setEnv {
		os.Unsetenv("FIRESTORE_EMULATOR_HOST")
	}
	if h.mg != nil {
		h.mg.Stop()
	}
}

// calibrationMinute is the scaled minute of the calibration run: long enough that no deadline can cut it short.
const calibrationMinute = 2 * time.Second

// Calibrate runs two clean trials, checks that each exported exactly once, and measures the second (the first
// also warms the emulator and the caches). Unless Options.Minute is set, it sizes the scaled minute from that
// run's duration. It returns the minute in force.
func (h *Harness) Calibrate(ctx context.Context) (time.Duration, Baseline, error) {
	want := h.opts.Minute
	h.opts.Minute = calibrationMinute
	h.fastest = time.Duration(math.MaxInt64)
	measured := 0
	// A clean run that needed a retry (a call past its timeout on a very busy machine) is exactly once but no
	// measurement; up to five runs are tried for two measurements.
	for try := 0; measured < 2 && try < 5; try++ {
		t, err := h.trial(ctx, Fault{Name: "calibration: no fault"}, rand.New(rand.NewPCG(0, 1)))
		if err == nil && !t.ok {
			err = fmt.Errorf("it did not export exactly once: %s", strings.Join(t.problems, "; "))
		}
		if err != nil {
			h.opts.Minute = want
			return 0, Baseline{}, fmt.Errorf("calibration run: %w", err)
		}
		if t.baseline.Run > 0 {
			measured++
			h.base = t.baseline
			h.fastest = min(h.fastest, t.baseline.Run)
		}
	}
	h.opts.Minute = want
	if measured == 0 {
		return 0, Baseline{}, errors.New("calibration: no clean run finished in one attempt out of five")
	}
	if h.opts.Minute == 0 {
		h.opts.Minute = max(MinMinute, time.Duration(float64(h.base.Run)*MinuteFactor))
	}
	return h.opts.Minute, h.base, nil
}

// callTimeout is CALL_TIMEOUT for the function: twice a clean run, between 5 and 30 s (30 s while calibrating),
// so that one slow call on a busy machine does not fail an attempt, and a hung call still ends within it.
func (h *Harness) callTimeout() time.Duration {
	if h.base.Run == 0 {
		return 30 * time.Second
	}
	return min(max(2*h.base.Run, 5*time.Second), 30*time.Second)
}

// Minute is the scaled minute in force.
func (h *Harness) Minute() time.Duration { return h.opts.Minute }

// Result is a fault's row of the table.
type Result struct {
	Fault      string
	Trials     int
	Exports    int // trials that ended as the fault class requires (exactly once, or blocked by design) with the fault proven
	Proven     int // trials whose fault was proven to have happened
	Duplicates int // entry appearances beyond one, and live files beyond one per date, over all trials
	Lost       int // valid entries neither in their date's file (and marked so) nor back in the queue
	Attempts   int // scheduler attempts, over all trials
	Problems   []string
}

// Run runs trials of one fault.
func (h *Harness) Run(ctx context.Context, f Fault, trials int, rnd *rand.Rand) Result {
	r := Result{Fault: f.Name, Trials: trials}
	if h.base.Run == 0 || h.opts.Minute == 0 {
		r.Problems = append(r.Problems, "the harness is not calibrated: call Calibrate first")
		return r
	}
	if k := f.minuteScale(); k > 1 {
		defer func(m time.Duration) { h.opts.Minute = m }(h.opts.Minute)
		h.opts.Minute *= time.Duration(k)
	}
	for range trials {
		t, err := h.trial(ctx, f, rnd)
		for try := 1; t.missed && try < randomKillTries; try++ {
			// The random kill came after the attempt had answered: the run was faster than the window, and the
			// trial tested nothing. It is not counted; the window shrinks to the run just measured, and the
			// trial is redone. After randomKillTries misses the trial fails with "fault never fired".
			r.Attempts += t.attempts
			h.fastest = min(h.fastest, t.cleanRun)
			t, err = h.trial(ctx, f, rnd)
		}
		r.Attempts += t.attempts
		r.Duplicates += t.duplicates
		r.Lost += t.lost
		if t.proven {
			r.Proven++
		}
		if t.ok && t.proven && err == nil {
			r.Exports++
		}
		if err != nil {
			r.Problems = append(r.Problems, err.Error())
		}
		r.Problems = append(r.Problems, t.problems...)
	}
	return r
}

// trialResult is what one trial found.
type trialResult struct {
	ok                         bool // the end state is the one the fault class requires
	proven                     bool // the fault demonstrably happened
	attempts, duplicates, lost int
	problems                   []string
	baseline                   Baseline // of a clean first attempt that answered 200
	// missed: a random kill came after the first attempt had answered, which took cleanRun.
	missed   bool
	cleanRun time.Duration
}

func (t *trialResult) fail(format string, args ...any) {
	t.problems = append(t.problems, fmt.Sprintf(format, args...))
}

// trialDir is a fresh folder for one trial's mark files.
func (h *Harness) trialDir(id int64) (string, error) {
	d := filepath.Join(h.dir, fmt.Sprintf("trial%d", id))
	if err := os.MkdirAll(d, 0o700); err != nil {
		return "", fmt.Errorf("trial folder: %w", err)
	}
	return d, nil
}
