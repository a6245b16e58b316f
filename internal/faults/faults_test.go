package faults_test

import (
	"context"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/siamledger/ledger-export/internal/drivefake"
	"github.com/siamledger/ledger-export/internal/export"
	"github.com/siamledger/ledger-export/internal/faults"
)

// harness builds the exportserver and starts a calibrated harness: its scaled minute is sized from a clean run
// measured now, so that a loaded machine (make test runs under -race on two shared cores) slows the schedule's
// clock instead of failing the trials. Every check below is on invariants and proofs, none on elapsed time.
func harness(t *testing.T) *faults.Harness {
	t.Helper()
	if testing.Short() {
		t.Skip("starts subprocesses and waits for scaled leases")
	}
	bin := filepath.Join(t.TempDir(), "exportserver")
	build := exec.Command("go", "build", "-o", bin, "./cmd/exportserver")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build exportserver: %v\n%s", err, out)
	}
	ctx := context.Background()
	h, err := faults.New(ctx, t.TempDir(), faults.Options{ServerBinary: bin})
	if err != nil {
		t.Fatalf("faults.New: %v", err)
	}
	t.Cleanup(h.Close)
	minute, base, err := h.Calibrate(ctx)
	if err != nil {
		t.Fatalf("Calibrate: %v", err)
	}
	t.Logf("clean run %s, %d bytes in %d chunks: scaled minute %s", base.Run, base.Bytes, base.Chunks, minute)
	return h
}

// TestFaultsSubset runs one trial of a fast subset of the fault classes (`make faults` runs the whole matrix), and
// then faults that cannot fire, which must fail. It fails when a trial breaks an invariant or cannot prove that
// its fault happened, or when the harness passes a trial whose fault never fired.
func TestFaultsSubset(t *testing.T) {
	h := harness(t)
	subset := map[string]bool{
		"SIGKILL after the claim":                               true,
		"SIGKILL mid-upload, 50% confirmed":                     true,
		"SIGKILL after the upload is recorded, before the mark": true,
		"20 simultaneous triggers on 4 instances":               true,
		"Drive 503 on a chunk":                                  true,
		"MongoDB connections dropped mid-run":                   true,
		"permanent: 403 storageQuotaExceeded":                   true,
		// Issue 18: the app's edits under the marks, and abandon under an adoption behind the deadline fence.
		"app-requeue: a failed entry re-queued and an exporting one deleted right after the file is recorded":           true,
		"thaw-reexport: an attempt frozen past its lease (a skewed clock) thawed while a newer attempt adopts its file": true,
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	ran := 0
	for _, f := range faults.Catalog(h.Minute()) {
		if !subset[f.Name] {
			continue
		}
		ran++
		t.Run(f.Name, func(t *testing.T) {
			r := h.Run(context.Background(), f, 1, rnd)
			if r.Exports != 1 || r.Proven != 1 || r.Duplicates != 0 || r.Lost != 0 {
				t.Errorf("%s: exports %d proven %d duplicates %d lost %d after %d attempts, want 1, 1, 0, 0\n%s",
					f.Name, r.Exports, r.Proven, r.Duplicates, r.Lost, r.Attempts, strings.Join(r.Problems, "\n"))
			}
		})
	}
	if ran != len(subset) {
		t.Errorf("ran %d faults of the subset, want %d: a name changed", ran, len(subset))
	}
	unfired(t, h, rnd)
}

// unfired checks the harness's own pass rule: a trial whose fault never happens must fail with "fault never
// fired", even though its date exports exactly once. A harness that counted such a trial as passed (the crash
// point disabled or misspelt, a Drive fault on a request the run never sends) fails it.
func unfired(t *testing.T, h *faults.Harness, rnd *rand.Rand) {
	for _, f := range []faults.Fault{
		{Name: "crash point never reached", Crash: "no-such-point"},
		{Name: "chunk beyond the file", Crash: export.PointChunk + ":1000000000"},
		{Name: "Drive fault on a request never sent", Drive: []drivefake.Fault{{Op: drivefake.OpDelete, Status: http.StatusServiceUnavailable}}},
	} {
		t.Run("unfired: "+f.Name, func(t *testing.T) {
			r := h.Run(context.Background(), f, 1, rnd)
			if r.Exports != 0 || r.Proven != 0 || !strings.Contains(strings.Join(r.Problems, "\n"), "fault never fired") {
				t.Errorf("exports %d proven %d, want 0 and 0 with \"fault never fired\"; problems:\n%s",
					r.Exports, r.Proven, strings.Join(r.Problems, "\n"))
			}
			if r.Duplicates != 0 || r.Lost != 0 {
				t.Errorf("a run with no fault: duplicates %d lost %d, want 0 and 0\n%s", r.Duplicates, r.Lost, strings.Join(r.Problems, "\n"))
			}
		})
	}
}

func TestMain(m *testing.M) { os.Exit(m.Run()) }

// TestFaultsHarnessFailsUntestedTrials checks the two pass rules issue 18 found missing, each on a trial whose
// world is made to break it:
//   - path 4 with a lease longer than the whole schedule: every later attempt is busy, and once thawed the frozen
//     attempt finishes the date itself. The end state is exact, but no newer attempt finished the date while the
//     old one was frozen, so the trial tested nothing of path 4. A harness whose thaw() records the problem without
//     counting it (the bug of issue 18) passes the trial;
//   - a clean export after which one journal gains a line in MongoDB: the file holds that entry with a line
//     missing. A harness that checks only which entries a file holds, not each entry's lines and amounts against
//     its journal, passes the trial.
func TestFaultsHarnessFailsUntestedTrials(t *testing.T) {
	h := harness(t)
	rnd := rand.New(rand.NewPCG(3, 4))
	var path4 faults.Fault
	for _, f := range faults.Catalog(h.Minute()) {
		if strings.HasPrefix(f.Name, "path 4") {
			path4 = f
		}
	}
	for _, c := range []struct {
		name string
		f    faults.Fault
		want string
	}{
		{"path 4, the thawed attempt finishes", faults.WithEnv(path4, "LEASE_DURATION=24h"), "not done by a newer attempt"},
		{"a line missing from the file", faults.WithLineAddedAfterExport(faults.Fault{Name: "clean, then a line added"}), "lines where journal"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := h.Run(context.Background(), c.f, 1, rnd)
			problems := strings.Join(r.Problems, "\n")
			if r.Exports != 0 || !strings.Contains(problems, c.want) {
				t.Errorf("exports %d, want 0 with %q; problems:\n%s", r.Exports, c.want, problems)
			}
		})
	}
}
