package faults_test

import (
	"context"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/siamledger/ledger-export/internal/faults"
)

// TestFaultsSubset runs one trial of a fast subset of each fault class; `make faults` runs the whole matrix.
func TestFaultsSubset(t *testing.T) {
	if testing.Short() {
		t.Skip("starts subprocesses and waits for scaled leases")
	}
	bin := filepath.Join(t.TempDir(), "exportserver")
	build := exec.Command("go", "build", "-o", bin, "./cmd/exportserver")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build exportserver: %v\n%s", err, out)
	}
	ctx := context.Background()
	h, err := faults.New(ctx, t.TempDir(), faults.Options{ServerBinary: bin, Minute: 100 * time.Millisecond})
	if err != nil {
		t.Fatalf("faults.New: %v", err)
	}
	t.Cleanup(h.Close)
	subset := map[string]bool{
		"SIGKILL after the claim":                               true,
		"SIGKILL mid-upload, 50% confirmed":                     true,
		"SIGKILL after the upload is recorded, before the mark": true,
		"20 simultaneous triggers on 4 instances":               true,
		"Drive 503 on a chunk":                                  true,
		"MongoDB connections dropped mid-run":                   true,
		"permanent: 403 storageQuotaExceeded":                   true,
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	ran := 0
	for _, f := range faults.Catalog(100 * time.Millisecond) {
		if !subset[f.Name] {
			continue
		}
		ran++
		t.Run(f.Name, func(t *testing.T) {
			r := h.Run(ctx, f, 1, rnd)
			if r.Exports != 1 || r.Duplicates != 0 || r.Lost != 0 {
				t.Errorf("%s: exports %d duplicates %d lost %d after %d attempts, want 1, 0, 0\n%s",
					f.Name, r.Exports, r.Duplicates, r.Lost, r.Attempts, strings.Join(r.Problems, "\n"))
			}
		})
	}
	if ran != len(subset) {
		t.Errorf("ran %d faults of the subset, want %d: a name changed", ran, len(subset))
	}
}

func TestMain(m *testing.M) { os.Exit(m.Run()) }
