// Command faults runs the fault matrix (`make faults`) and prints the results table: per fault, the trials, the
// trials whose fault was proven to have happened, the exports that ended as the class requires (exactly once, or
// blocked by design), duplicated and lost entries, and the scheduler attempts it took. It exits 1 if any trial
// broke an invariant or could not prove its fault.
//
//	go run ./internal/faults/cmd/faults [-trials 10] [-minute 0] [-only REGEXP] [-seed 1] [-format csv|xlsx] [-v]
//
// With -minute 0 (the default) the scaled minute is sized from a measured clean run, so that a loaded machine
// slows the clock instead of failing trials.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/siamledger/ledger-export/internal/faults"
)

func main() {
	trials := flag.Int("trials", 10, "trials per fault")
	minute := flag.Duration("minute", 0, "how long one minute of the production schedule lasts; 0 sizes it from a measured clean run")
	only := flag.String("only", "", "run only the faults whose name matches this regular expression")
	seed := flag.Uint64("seed", 1, "seed of the random moments")
	format := flag.String("format", "csv", "output format of the function, passed as OUTPUT_FORMAT: "+strings.Join(faults.Formats, " or "))
	verbose := flag.Bool("v", false, "show the servers' logs")
	flag.Parse()
	if err := run(*trials, *minute, *only, *seed, *format, *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "faults:", err)
		os.Exit(1)
	}
}

func run(trials int, minute time.Duration, only string, seed uint64, format string, verbose bool) error {
	match, err := regexp.Compile(only)
	if err != nil {
		return fmt.Errorf("-only: %w", err)
	}
	tmp, err := os.MkdirTemp("", "faults-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "exportserver")
	build := exec.Command("go", "build", "-o", bin, "./internal/faults/cmd/exportserver")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("build exportserver: %w", err)
	}
	var logs io.Writer
	if verbose {
		logs = os.Stderr
	}
	ctx := context.Background()
	h, err := faults.New(ctx, tmp, faults.Options{ServerBinary: bin, Minute: minute, Format: format, Logs: logs})
	if err != nil {
		return err
	}
	defer h.Close()
	minute, base, err := h.Calibrate(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("clean run: %s, %d bytes in %d chunks; scaled minute %s\n\n", base.Run.Round(time.Millisecond), base.Bytes, base.Chunks, minute.Round(time.Millisecond))

	rnd := rand.New(rand.NewPCG(seed, seed+1))
	start := time.Now()
	fmt.Printf("| fault | trials | fault proven | exported exactly once | duplicates | lost entries | scheduler attempts |\n")
	fmt.Printf("| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	broken := 0
	for _, f := range faults.Catalog(minute) {
		if !match.MatchString(f.Name) {
			continue
		}
		r := h.Run(ctx, f, trials, rnd)
		outcome := fmt.Sprint(r.Exports)
		if f.Permanent {
			outcome = fmt.Sprintf("0 (blocked, entries queued: %d/%d)", r.Exports, r.Trials)
		}
		fmt.Printf("| %s | %d | %d | %s | %d | %d | %d |\n", f.Name, r.Trials, r.Proven, outcome, r.Duplicates, r.Lost, r.Attempts)
		if r.Exports != r.Trials || r.Duplicates != 0 || r.Lost != 0 {
			broken++
			for _, p := range r.Problems {
				fmt.Fprintf(os.Stderr, "  %s: %s\n", f.Name, p)
			}
		}
	}
	fmt.Printf("\n%d faults broke an invariant or were not proven; %s with a scaled minute of %s, format %s (%s)\n",
		broken, time.Since(start).Round(time.Second), minute.Round(time.Millisecond), format, "go run ./internal/faults/cmd/faults")
	if broken > 0 {
		return fmt.Errorf("%d faults broke an invariant or were not proven", broken)
	}
	return nil
}
