// Command mutate runs mutation testing (github.com/go-gremlins/gremlins) over the packages with logic and reports,
// per target (a package, or some files of one), the share of covered mutants the tests kill. Run it with
// `make mutate`.
//
// It copies the module (tracked and untracked files, as git lists them) to a temporary directory, so the working
// tree is never mutated. Each target is one gremlins run. A target may keep only some of its package's tests (the
// others are set aside in the copy while it runs): the medici mapper is judged by the mapper's tests, and the
// service-free decisions of internal/medici and internal/export by their decide_test.go, since the packages'
// other tests start FerretDB and the Firestore emulator. internal/lease's tests start them themselves, once per
// mutant.
//
// A surviving mutant that cannot change behaviour (an equivalent mutant) is listed with its reason in
// scripts/mutate/equivalent.txt; the gate is the kill rate with those left out, and the raw rate is reported too.
// A listed mutant that no longer survives is reported as stale. The exit status is 1 when a package misses its
// target.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// target is one package to mutate, with the files to leave alone and the kill rate it must reach.
type target struct {
	name    string   // the name in the report and for -only, when not the package's directory (a part of it)
	pkg     string   // package directory, relative to the module root
	exclude []string // gremlins -E regexps, matched against file paths relative to the package directory
	tests   string   // when set, a regexp of the package's _test.go names kept for this target; the others are set aside
	min     float64  // percent of covered mutants (killed+lived) killed, equivalent ones left out
}

var targets = []target{
	{pkg: "internal/csvfile", exclude: []string{`csvtest/`}, min: 85},
	{pkg: "internal/ledger", min: 85},
	{pkg: "internal/trigger", min: 75},
	{pkg: "internal/config", min: 75},
	// The mapper only, judged by the mapper's tests: the package's other tests start FerretDB and the emulator.
	{name: "internal/medici:mapper", pkg: "internal/medici", exclude: []string{`^([^m]|m[^a])[^/]*\.go$`}, tests: `^mapper.*_test\.go$`, min: 75},
	// The queue's decisions that need no database: MongoDB's order of BSON values (order.go), the claim's rule
	// (claim.go), the read pipeline and the page assembly (pipeline.go, queue.go's assembler and keyset
	// continuation) and the in-memory queue (memory.go), judged by the package's service-free tests
	// (decide_test.go, pipeline_test.go, memory_reference_test.go), which run them on Memory. Store's methods in
	// queue.go need FerretDB: their tests are set aside, so their mutants are reported not covered.
	{name: "internal/medici:decide", pkg: "internal/medici", exclude: []string{`^mapper\.go$`}, tests: `^(decide|pipeline|memory_reference)_test\.go$`, min: 75},
	{pkg: "internal/xlsxfile", min: 85},
	{pkg: "internal/layout", min: 85},
	// The notifier and its Locker; the tests run the real export.Runner on internal/bench's in-memory queue and
	// lock and the fake Drive, so no service is needed.
	{pkg: "internal/notify", min: 85},
	// Drive in three parts with their own targets: the error classifier, the resumable upload's arithmetic
	// (offsets, Content-Range, the session's answers) and the re-export's revisions. drive.go (the files.* calls)
	// is left out: its tests need the fake Drive's full round trips and it holds little arithmetic.
	{name: "internal/drive:classify", pkg: "internal/drive", exclude: []string{`^(drive|resumable|revision|sheet)\.go$`}, min: 85},
	{name: "internal/drive:resumable", pkg: "internal/drive", exclude: []string{`^(drive|classify|revision|sheet)\.go$`}, min: 75},
	// revision.go: keep the replaced revision, find the kept one, a file deleted for good.
	{name: "internal/drive:revision", pkg: "internal/drive", exclude: []string{`^(drive|classify|resumable|sheet)\.go$`}, min: 75},
	// sheet.go: the account map read from the export folder (which file, exported or downloaded, what the
	// accountant must fix), judged by drive's tests on the fake Drive.
	{name: "internal/drive:sheet", pkg: "internal/drive", exclude: []string{`^(drive|classify|resumable|revision)\.go$`}, min: 75},
	// The account map bound to the layout for one attempt.
	{pkg: "internal/mapsheet", min: 75},
	// The lock on Firestore: the tests start the Firestore emulator and FerretDB once per test binary
	// (testenv.Main), i.e. once per mutant, which is slow (about 20 s a mutant) but exact. Run it with 1 worker.
	{pkg: "internal/lease", min: 75},
	// The run's decisions that need no service: the failure classes (errors.go), the batch date arithmetic and
	// checks (run.go), the re-export checks (reexport.go) and the healing's choice of dates (heal.go), judged by
	// decide_test.go on small fakes of the locker and queue, and the Drive description (describe.go), judged by
	// describe_test.go. The rest (the attempt, upload, marks, source.go's per-attempt map) runs on FerretDB and
	// the emulator in export's other tests, and is left out.
	{name: "internal/export:decide", pkg: "internal/export", exclude: []string{`^(attempt|chunkpipe|claim|encode|encoder|lock|mark|observe|read|reconcile|report|source|trash|types|upload)\.go$`}, tests: `^(decide|describe)_test\.go$`, min: 75},
}

// label is the target's name in the report and for -only.
func (t target) label() string {
	if t.name != "" {
		return t.name
	}
	return t.pkg
}

// selected reports whether -only names the target: by its label, or by its package's directory (all its parts).
func selected(only string, t target) bool {
	if only == "" {
		return true
	}
	list := "," + only + ","
	return strings.Contains(list, ","+t.label()+",") || strings.Contains(list, ","+t.pkg+",")
}

// report is the part of gremlins' JSON output (-o) used here.
type report struct {
	Files []struct {
		Name      string `json:"file_name"`
		Mutations []struct {
			Type   string `json:"type"`
			Status string `json:"status"`
			Line   int    `json:"line"`
			Column int    `json:"column"`
		} `json:"mutations"`
	} `json:"files"`
	Elapsed float64 `json:"elapsed_time"`
}

// equivalent is one entry of the allow-list.
type equivalent struct {
	pkg, file, mutator string
	column             int
	text               string // the mutated source line, trimmed
	reason             string
	used               bool
}

func main() {
	gremlins := flag.String("gremlins", "gremlins", "the gremlins command (v0.6.0)")
	workers := flag.Int("workers", 0, "gremlins --workers (0: its default, the number of CPUs)")
	allowPath := flag.String("allow", "scripts/mutate/equivalent.txt", "the allow-list of equivalent mutants")
	only := flag.String("only", "", "a comma-separated list of package directories or target names (internal/drive:classify) to run (default: all)")
	flag.Parse()
	if err := run(*gremlins, *workers, *allowPath, *only); err != nil {
		fmt.Fprintln(os.Stderr, "mutate:", err)
		os.Exit(1)
	}
}

func run(gremlins string, workers int, allowPath, only string) error {
	allow, err := readAllow(allowPath)
	if err != nil {
		return err
	}
	root, err := os.Getwd()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "ledger-mutate-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := copyModule(root, tmp); err != nil {
		return fmt.Errorf("copy the module: %w", err)
	}

	failed := false
	fmt.Printf("%-18s %6s %6s %6s %6s %9s %8s %9s %8s  %s\n", "package", "killed", "lived", "equiv", "t/out", "not cov.", "raw", "adjusted", "target", "time")
	var survivors []string
	mutated := map[string]bool{} // "pkg|file" of every file a run mutated, for the stale check
	for _, t := range targets {
		if !selected(only, t) {
			continue
		}
		slug := strings.NewReplacer("/", "_", ":", "_").Replace(t.label())
		out := filepath.Join(tmp, slug+".json")
		args := []string{"unleash", "--output", out}
		if workers > 0 {
			args = append(args, "--workers", strconv.Itoa(workers))
		}
		for _, e := range t.exclude {
			args = append(args, "--exclude-files", e)
		}
		args = append(args, "./"+t.pkg)
		restore, err := keepTests(tmp, t)
		if err != nil {
			return err
		}
		cmd := exec.Command(gremlins, args...)
		cmd.Dir = tmp
		logf, err := os.Create(filepath.Join(os.TempDir(), "ledger-mutate-"+slug+".log"))
		if err != nil {
			return err
		}
		cmd.Stdout, cmd.Stderr = logf, logf
		start := time.Now()
		err = cmd.Run()
		logf.Close()
		if rerr := restore(); rerr != nil {
			return rerr
		}
		if err != nil {
			return fmt.Errorf("gremlins on %s: %w (log: %s)", t.label(), err, logf.Name())
		}
		var rep report
		b, err := os.ReadFile(out)
		if err == nil {
			err = json.Unmarshal(b, &rep)
		}
		if err != nil {
			return fmt.Errorf("read gremlins' report of %s: %w", t.label(), err)
		}
		var killed, lived, equiv, timedOut, notCovered int
		for _, f := range rep.Files {
			mutated[t.pkg+"|"+f.Name] = true
			for _, m := range f.Mutations {
				switch m.Status {
				case "KILLED":
					killed++
				case "LIVED":
					lived++
					text := sourceLine(filepath.Join(tmp, t.pkg, f.Name), m.Line)
					if e := match(allow, t.pkg, f.Name, m.Type, m.Column, text); e != nil {
						e.used = true
						equiv++
						continue
					}
					survivors = append(survivors, fmt.Sprintf("%s | %s | %s | %d | %s   (line %d)", t.pkg, f.Name, m.Type, m.Column, text, m.Line))
				case "TIMED OUT":
					timedOut++
				case "NOT COVERED":
					notCovered++
				}
			}
		}
		raw := percent(killed, killed+lived)
		adjusted := percent(killed, killed+lived-equiv)
		mark := ""
		if adjusted < t.min {
			mark, failed = "  BELOW TARGET", true
		}
		fmt.Printf("%-18s %6d %6d %6d %6d %9d %7.1f%% %8.1f%% %7.0f%%  %s%s\n", strings.TrimPrefix(t.label(), "internal/"),
			killed, lived, equiv, timedOut, notCovered, raw, adjusted, t.min, time.Since(start).Round(time.Second), mark)
	}
	if len(survivors) > 0 {
		fmt.Println("\nSurviving mutants not in the allow-list (kill them with a test, or list them with a reason if equivalent):")
		for _, s := range survivors {
			fmt.Println("  " + s)
		}
	}
	for _, e := range allow {
		if !e.used && mutated[e.pkg+"|"+e.file] {
			fmt.Printf("\nstale allow-list entry (the mutant no longer survives or the line changed): %s | %s | %s | %d | %s\n", e.pkg, e.file, e.mutator, e.column, e.text)
		}
	}
	if failed {
		return errors.New("a package is below its kill-rate target")
	}
	return nil
}

func percent(a, b int) float64 {
	if b <= 0 {
		return 100
	}
	return 100 * float64(a) / float64(b)
}

func match(allow []*equivalent, pkg, file, mutator string, column int, text string) *equivalent {
	for _, e := range allow {
		if e.pkg == pkg && e.file == file && e.mutator == mutator && e.column == column && e.text == text {
			return e
		}
	}
	return nil
}

// readAllow reads the allow-list: one mutant a line, "package | file | MUTATOR | column | source line | reason";
// # starts a comment.
func readAllow(path string) ([]*equivalent, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []*equivalent
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.Split(line, " | ")
		if len(parts) != 6 {
			return nil, fmt.Errorf("%s:%d: want 6 fields separated by ' | ', got %d", path, n, len(parts))
		}
		col, err := strconv.Atoi(strings.TrimSpace(parts[3]))
		if err != nil {
			return nil, fmt.Errorf("%s:%d: column: %w", path, n, err)
		}
		if strings.TrimSpace(parts[5]) == "" {
			return nil, fmt.Errorf("%s:%d: every entry needs a reason", path, n)
		}
		out = append(out, &equivalent{pkg: strings.TrimSpace(parts[0]), file: strings.TrimSpace(parts[1]),
			mutator: strings.TrimSpace(parts[2]), column: col, text: strings.TrimSpace(parts[4]), reason: parts[5]})
	}
	return out, sc.Err()
}

// keepTests sets aside, in the copy at tmp, the test files of t's package that t.tests does not name (tests that
// need services, or that judge other files), and returns the function that puts them back.
func keepTests(tmp string, t target) (func() error, error) {
	if t.tests == "" {
		return func() error { return nil }, nil
	}
	re, err := regexp.Compile(t.tests)
	if err != nil {
		return nil, fmt.Errorf("target %s: tests: %w", t.label(), err)
	}
	dir := filepath.Join(tmp, t.pkg)
	aside := filepath.Join(tmp, ".aside", t.pkg)
	if err := os.MkdirAll(aside, 0o755); err != nil {
		return nil, err
	}
	files, err := filepath.Glob(filepath.Join(dir, "*_test.go"))
	if err != nil {
		return nil, err
	}
	var moved []string
	restore := func() error {
		for _, name := range moved {
			if err := os.Rename(filepath.Join(aside, name), filepath.Join(dir, name)); err != nil {
				return err
			}
		}
		return nil
	}
	for _, f := range files {
		name := filepath.Base(f)
		if re.MatchString(name) {
			continue
		}
		if err := os.Rename(f, filepath.Join(aside, name)); err != nil {
			restore()
			return nil, err
		}
		moved = append(moved, name)
	}
	return restore, nil
}

// sourceLine returns line n of the file, trimmed.
func sourceLine(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(string(b), "\n")
	if n < 1 || n > len(lines) {
		return ""
	}
	return strings.TrimSpace(lines[n-1])
}

// copyModule copies the files git lists (tracked, and untracked but not ignored) from root to dst.
func copyModule(root, dst string) error {
	out, err := exec.Command("git", "-C", root, "ls-files", "-co", "--exclude-standard", "-z").Output()
	if err != nil {
		return fmt.Errorf("git ls-files: %w", err)
	}
	for _, name := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		src := filepath.Join(root, name)
		fi, err := os.Lstat(src)
		if err != nil || !fi.Mode().IsRegular() {
			continue // deleted in the working tree, or a link
		}
		if err := copyFile(src, filepath.Join(dst, name), fi.Mode()); err != nil {
			return err
		}
	}
	return nil
}

func copyFile(src, dst string, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode.Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
