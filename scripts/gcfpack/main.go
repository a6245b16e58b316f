// Command gcfpack makes the Cloud Functions source archive and proves, before
// any deploy, that Google's Go buildpack can build it.
//
//	gcfpack pack  [-root .] [-o dist/ledger-export-source.zip] [-runtime go127] [-exclude DIRS]
//	gcfpack check [-zip dist/ledger-export-source.zip] [-target ExportDaily]
//
// # Why the archive has one generated file
//
// The function lives in function/, not at the module root. Google's Go
// functions buildpack (GoogleCloudPlatform/buildpacks, cmd/go/functions_framework)
// reads the package name from the .go files at the root of the deployed source
// and fails with "unable to find Go package" when there are none; no setting
// points it at a subfolder (GOOGLE_FUNCTION_SOURCE is only passed on to the
// running container as FUNCTION_SOURCE, and GOOGLE_BUILDABLE is overwritten
// with the generated main). Cloud Functions' own rule is "your function must be
// in a Go package at the root of your project".
//
// So pack writes gcf_entry.go at the root of the archive only (never into the
// repository): package ledgerexport, which blank-imports <module>/function (its
// init registers ExportDaily with functions.HTTP) and the framework's functions
// package. Then the buildpack
//   - infers package "ledgerexport" from the root;
//   - imports <module>/ledgerexport if a folder of that name exists at the root,
//     else the module root: no such folder exists, so it imports the module
//     root, i.e. gcf_entry.go;
//   - sees the functions package among the root's imports, so it generates the
//     declarative main (blank import + funcframework.Start) rather than the
//     older template that calls <pkg>.ExportDaily directly.
//
// check replays those steps on the archive in a temporary folder, runs
// `go mod tidy` and `go build` as the buildpack does, then starts the binary
// with FUNCTION_TARGET set and waits until it listens, so a layout mistake
// fails here and not at deploy time.
//
// The archive holds go.mod, go.sum and the non-test .go files of function/ and
// internal/, without testdata folders and without the local-only packages
// (function/cmd, internal/demo, internal/drivefake, internal/testenv,
// internal/faults, internal/bench; -exclude replaces the list): those are for
// tests, `make faults`, `make bench` and `make run`, would drag test-only
// modules (embedded FerretDB, SQLite) and the crash hooks into the cloud build,
// and the check proves that nothing deployed imports them.
//
// pack also refuses a Cloud Functions runtime that may not build go.mod's go
// directive (see runtime.go): the runtime is -runtime, else the one Terraform
// deploys with (terraform/terraform.tfvars, else the variable's default).
// Entries
// are sorted and carry a fixed time and mode, so the same sources give the same
// bytes and the same SHA-256, and Terraform redeploys only when code changes.
package main

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"time"
)

const (
	shimFile       = "gcf_entry.go"
	shimPackage    = "ledgerexport"
	frameworkMod   = "github.com/GoogleCloudPlatform/functions-framework-go"
	functionsPkg   = frameworkMod + "/functions"
	frameworkPkg   = frameworkMod + "/funcframework"
	appModuleDir   = "functions.local/app" // where the buildpack writes its main, inside the source
	fnSourceDir    = "serverless_function_source_code"
	defaultArchive = "dist/ledger-export-source.zip"
)

// zipTime is the modification time of every entry, so the archive depends on
// the sources only (zip cannot store times before 1980).
var zipTime = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// options says what goes into the archive.
type options struct {
	root        string   // module root (holds go.mod)
	functionDir string   // folder of the function package, relative to root
	dirs        []string // top-level folders whose Go sources are packed
	exclude     []string // slash paths, relative to root, left out with everything below them
}

func defaultOptions() options {
	return options{
		root:        ".",
		functionDir: "function",
		dirs:        []string{"function", "internal"},
		exclude:     []string{"function/cmd", "internal/demo", "internal/drivefake", "internal/testenv", "internal/faults", "internal/bench"},
	}
}

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "pack":
		err = runPack(os.Args[2:])
	case "check":
		err = runCheck(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "gcfpack %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: gcfpack pack [-root DIR] [-o ZIP] | gcfpack check [-zip ZIP] [-target NAME]")
	os.Exit(2)
}

func runPack(args []string) error {
	o := defaultOptions()
	flags := flag.NewFlagSet("pack", flag.ContinueOnError)
	out := flags.String("o", defaultArchive, "archive to write")
	flags.StringVar(&o.root, "root", o.root, "module root")
	flags.StringVar(&o.functionDir, "function", o.functionDir, "folder of the function package")
	dirs := flags.String("dirs", strings.Join(o.dirs, ","), "comma-separated top-level folders to pack")
	excl := flags.String("exclude", strings.Join(o.exclude, ","), "comma-separated folders to leave out")
	rtFlag := flags.String("runtime", "", "Cloud Functions runtime ID to check go.mod against (default: Terraform's, from -tfdir)")
	tfDir := flags.String("tfdir", "terraform", "Terraform configuration whose runtime is checked, relative to -root")
	if err := flags.Parse(args); err != nil {
		return err
	}
	o.dirs = splitList(*dirs)
	o.exclude = splitList(*excl)

	from := "-runtime"
	if *rtFlag == "" {
		var err error
		if *rtFlag, from, err = terraformRuntime(filepath.Join(o.root, *tfDir)); err != nil {
			return fmt.Errorf("the runtime to check: %w (or pass -runtime)", err)
		}
	}
	goMod, err := os.ReadFile(filepath.Join(o.root, "go.mod"))
	if err != nil {
		return err
	}
	if err := checkRuntime(*rtFlag, goMod); err != nil {
		return fmt.Errorf("%w (runtime from %s)", err, from)
	}

	data, files, err := pack(o)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		return err
	}
	tmp := *out + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, *out); err != nil {
		return err
	}
	sum := sha256.Sum256(data)
	fmt.Printf("package: wrote %s (%d files, %d bytes)\n", *out, len(files), len(data))
	fmt.Printf("package: sha256 %s (the Terraform object name carries it)\n", hex.EncodeToString(sum[:]))
	fmt.Printf("package: runtime %s (from %s) builds go.mod's go directive\n", *rtFlag, from)
	fmt.Printf("package: generated %s at the archive root (package %s, imports the function package)\n", shimFile, shimPackage)
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.Trim(strings.TrimSpace(p), "/"); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// pack returns the archive bytes and the sorted names it holds.
func pack(o options) ([]byte, []string, error) {
	modPath, err := modulePath(filepath.Join(o.root, "go.mod"))
	if err != nil {
		return nil, nil, err
	}
	rootGo, err := filepath.Glob(filepath.Join(o.root, "*.go"))
	if err != nil {
		return nil, nil, err
	}
	if len(rootGo) > 0 {
		return nil, nil, fmt.Errorf("the module root holds .go files (%s); the layout keeps Go code in %s/ and internal/, and the archive's root package is generated", filepath.Base(rootGo[0]), o.functionDir)
	}
	fnPkg, err := packageName(filepath.Join(o.root, filepath.FromSlash(o.functionDir)), false)
	if err != nil {
		return nil, nil, fmt.Errorf("function package: %w", err)
	}
	if fnPkg == "main" {
		return nil, nil, fmt.Errorf("%s/ is package main; the function must be a library package that registers itself in init", o.functionDir)
	}

	files := map[string][]byte{}
	for _, name := range []string{"go.mod", "go.sum"} {
		b, err := os.ReadFile(filepath.Join(o.root, name))
		if err != nil {
			return nil, nil, err
		}
		files[name] = b
	}
	for _, dir := range o.dirs {
		base := filepath.Join(o.root, filepath.FromSlash(dir))
		if _, err := os.Stat(base); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		err := filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, err := filepath.Rel(o.root, p)
			if err != nil {
				return err
			}
			rel = filepath.ToSlash(rel)
			name := d.Name()
			if d.IsDir() {
				if p != base && (name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
					return filepath.SkipDir
				}
				if excluded(rel, o.exclude) {
					return filepath.SkipDir
				}
				return nil
			}
			if !d.Type().IsRegular() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") ||
				strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
				return nil
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			files[rel] = b
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
	}
	files[shimFile] = shimSource(modPath, o.functionDir)

	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)

	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range names {
		h := &zip.FileHeader{Name: n, Method: zip.Deflate, Modified: zipTime}
		h.SetMode(0o644)
		w, err := zw.CreateHeader(h)
		if err != nil {
			return nil, nil, err
		}
		if _, err := w.Write(files[n]); err != nil {
			return nil, nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, nil, err
	}
	return buf.Bytes(), names, nil
}

func excluded(rel string, exclude []string) bool {
	for _, e := range exclude {
		if rel == e || strings.HasPrefix(rel, e+"/") {
			return true
		}
	}
	return false
}

// shimSource is the root file of the archive (see the package comment).
func shimSource(modPath, functionDir string) []byte {
	return []byte(fmt.Sprintf(`// Code generated by scripts/gcfpack; DO NOT EDIT.
// It exists only in the deployed archive, never in the repository.

// Package %s is the root package that Google's Go functions buildpack
// needs. Importing it runs the init of %s/%s, which registers the
// function with functions.HTTP; the import of the functions package makes
// the buildpack generate its declarative main.
package %s

import (
	_ %q
	_ %q
)
`, shimPackage, modPath, functionDir, shimPackage, functionsPkg, modPath+"/"+functionDir))
}

var moduleLine = regexp.MustCompile(`(?m)^module\s+"?([^"\s]+)"?\s*(//.*)?$`)

func modulePath(goMod string) (string, error) {
	b, err := os.ReadFile(goMod)
	if err != nil {
		return "", err
	}
	m := moduleLine.FindSubmatch(b)
	if m == nil {
		return "", fmt.Errorf("%s: no module line", goMod)
	}
	return string(m[1]), nil
}

// packageName returns the one package name of the .go files in dir, as the
// buildpack's get_package converter does (go/parser over every .go file,
// _test.go included when withTests is set, as parser.ParseDir did).
func packageName(dir string, withTests bool) (string, error) {
	name, _, err := parseRoot(dir, withTests)
	return name, err
}

// parseRoot reads the package clause and imports of every .go file in dir.
func parseRoot(dir string, withTests bool) (string, []string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", nil, err
	}
	fset := token.NewFileSet()
	var pkg string
	imports := map[string]bool{}
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".go") || (!withTests && strings.HasSuffix(n, "_test.go")) {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, n), nil, parser.ImportsOnly)
		if err != nil {
			return "", nil, err
		}
		if pkg == "" {
			pkg = f.Name.Name
		} else if f.Name.Name != pkg {
			return "", nil, fmt.Errorf("multiple packages in %s: %s != %s", dir, pkg, f.Name.Name)
		}
		for _, imp := range f.Imports {
			p, err := strconv.Unquote(imp.Path.Value)
			if err != nil {
				return "", nil, err
			}
			imports[p] = true
		}
	}
	if pkg == "" {
		return "", nil, fmt.Errorf("unable to find Go package in %s (no .go files)", dir)
	}
	var list []string
	for p := range imports {
		list = append(list, p)
	}
	slices.Sort(list)
	return pkg, list, nil
}

// missingLocalImports reports a package of the archive that imports a package
// of the same module that the archive left out (such as internal/testenv),
// which would otherwise surface as a puzzling module-proxy error.
func missingLocalImports(src, module string) error {
	var problems []string
	fset := token.NewFileSet()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") {
			return err
		}
		f, err := parser.ParseFile(fset, p, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			ip, _ := strconv.Unquote(imp.Path.Value)
			rel, ok := strings.CutPrefix(ip, module+"/")
			if !ok {
				continue
			}
			if fi, err := os.Stat(filepath.Join(src, filepath.FromSlash(rel))); err != nil || !fi.IsDir() {
				from, _ := filepath.Rel(src, p)
				problems = append(problems, fmt.Sprintf("%s imports %s, which the archive leaves out", filepath.ToSlash(from), ip))
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s (deployed code must not import the local-only packages)", strings.Join(problems, "; "))
	}
	return nil
}

// buildPlan is what the buildpack decides for one archive.
type buildPlan struct {
	Package  string   // name inferred from the root
	Imports  []string // imports of the root files
	Module   string   // go list -m
	Import   string   // import path the generated main uses
	Template string   // declarative, v1_1 or v0
}

// planBuild applies the buildpack's rules to an unpacked source folder.
func planBuild(src, module string) (buildPlan, error) {
	pkg, imports, err := parseRoot(src, true)
	if err != nil {
		return buildPlan{}, err
	}
	if first, _, _ := strings.Cut(module, "/"); !strings.Contains(first, ".") {
		return buildPlan{}, fmt.Errorf("module path %q: the buildpack needs a dot in its first element", module)
	}
	p := buildPlan{Package: pkg, Imports: imports, Module: module, Import: module}
	if fi, err := os.Stat(filepath.Join(src, pkg)); err == nil && fi.IsDir() {
		p.Import = module + "/" + pkg
	}
	p.Template = "v1_1" // the framework in go.mod is v1.9.2 (>= v1.1.0)
	if slices.Contains(imports, functionsPkg) {
		p.Template = "declarative"
	}
	return p, nil
}

// The buildpack's main templates (cmd/go/functions_framework/lib/template_*.go),
// reduced to what decides whether the build succeeds.
var mainTemplates = map[string]*template.Template{
	"declarative": template.Must(template.New("declarative").Parse(`// Generated by gcfpack check: the buildpack's declarative main.
package main

import (
	"log"
	"net/http"
	"os"

	_ "{{.Import}}"

	"github.com/GoogleCloudPlatform/functions-framework-go/funcframework"
)

func main() {
	http.HandleFunc("/robots.txt", http.NotFound)
	http.HandleFunc("/favicon.ico", http.NotFound)

	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	if err := funcframework.Start(port); err != nil {
		log.Fatalf("Function failed to start: %v\n", err)
	}
}
`)),
	"v1_1": template.Must(template.New("v1_1").Parse(`// Generated by gcfpack check: the buildpack's v1.1 main.
package main

import (
	"context"
	"log"
	"net/http"
	"os"

	userfunction "{{.Import}}"

	"github.com/GoogleCloudPlatform/functions-framework-go/funcframework"
)

func main() {
	var fn interface{} = userfunction.{{.Target}}
	ctx := context.Background()
	if h, ok := fn.(func(http.ResponseWriter, *http.Request)); ok {
		if err := funcframework.RegisterHTTPFunctionContext(ctx, "/", h); err != nil {
			log.Fatalf("Function failed to register: %v\n", err)
		}
	} else if err := funcframework.RegisterEventFunctionContext(ctx, "/", fn); err != nil {
		log.Fatalf("Function failed to register: %v\n", err)
	}
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	if err := funcframework.Start(port); err != nil {
		log.Fatalf("Function failed to start: %v\n", err)
	}
}
`)),
}

func runCheck(args []string) error {
	flags := flag.NewFlagSet("check", flag.ContinueOnError)
	zipPath := flags.String("zip", defaultArchive, "archive made by gcfpack pack")
	target := flags.String("target", "ExportDaily", "GOOGLE_FUNCTION_TARGET (the entry point)")
	keep := flags.Bool("keep", false, "keep the temporary folder")
	startWait := flags.Duration("start-timeout", 20*time.Second, "how long the built function may take to listen")
	if err := flags.Parse(args); err != nil {
		return err
	}

	work, err := os.MkdirTemp("", "gcfpack-check-")
	if err != nil {
		return err
	}
	if *keep {
		fmt.Printf("buildpack-check: work folder %s (kept)\n", work)
	} else {
		defer os.RemoveAll(work)
	}
	src := filepath.Join(work, "workspace", fnSourceDir)
	if err := unzip(*zipPath, src); err != nil {
		return fmt.Errorf("unpack %s: %w", *zipPath, err)
	}
	step := func(format string, a ...any) { fmt.Printf("buildpack-check: "+format+"\n", a...) }
	step("unpacked %s into %s", *zipPath, src)

	if _, err := os.Stat(filepath.Join(src, "go.mod")); err != nil {
		return errors.New("the archive has no go.mod at its root (the buildpack then takes the vendored GOPATH path, which Go 1.14+ runtimes refuse)")
	}
	if _, err := os.Stat(filepath.Join(src, "go.sum")); err != nil {
		return errors.New("the archive has no go.sum at its root")
	}
	env := append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod", "CGO_ENABLED=0")
	gocmd := func(dir string, args ...string) (string, error) {
		cmd := exec.Command("go", args...)
		cmd.Dir, cmd.Env = dir, env
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		if err != nil {
			return out.String(), fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, out.String())
		}
		return strings.TrimSpace(out.String()), nil
	}

	module, err := gocmd(src, "list", "-m")
	if err != nil {
		return err
	}
	if err := missingLocalImports(src, module); err != nil {
		return err
	}
	plan, err := planBuild(src, module)
	if err != nil {
		return err
	}
	step("root package %q (from the .go files at the archive root); module %s", plan.Package, plan.Module)
	step("imports %s (a folder %q at the root would have meant %s/%s)", plan.Import, plan.Package, plan.Module, plan.Package)
	step("main template: %s (the root imports %s: %v)", plan.Template, functionsPkg, plan.Template == "declarative")

	if v, err := gocmd(src, "list", "-m", "-f", "{{.Version}}", frameworkMod); err != nil || v == "" {
		return fmt.Errorf("%s is not required in go.mod; the buildpack would inject its own version (and refuses to when GOOGLE_SKIP_FRAMEWORK_INJECTION is set)", frameworkMod)
	} else {
		step("functions framework %s from go.mod", v)
	}

	appDir := filepath.Join(src, filepath.FromSlash(appModuleDir))
	if err := os.MkdirAll(appDir, 0o755); err != nil {
		return err
	}
	var mainGo bytes.Buffer
	if err := mainTemplates[plan.Template].Execute(&mainGo, map[string]string{"Import": plan.Import, "Target": *target}); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(appDir, "main.go"), mainGo.Bytes(), 0o644); err != nil {
		return err
	}
	step("wrote %s/main.go importing %s", appModuleDir, plan.Import)

	if _, err := gocmd(src, "mod", "tidy"); err != nil {
		return err
	}
	step("go mod tidy: ok")
	bin := filepath.Join(work, "main")
	if _, err := gocmd(src, "build", "-o", bin, "./"+appModuleDir); err != nil {
		return err
	}
	step("go build ./%s: ok", appModuleDir)

	if err := smokeStart(bin, *target, *startWait); err != nil {
		return err
	}
	step("started with FUNCTION_TARGET=%s: it registered the target and listened", *target)
	step("OK: the archive builds and starts the way Google's Go buildpack builds it")
	return nil
}

// smokeStart runs the built server with FUNCTION_TARGET set, as Cloud Run
// does, and waits until it accepts a TCP connection on loopback. It sends no
// request, so none of the function's code beyond its init runs. funcframework
// exits at start-up when no function of that name was registered.
func smokeStart(bin, target string, wait time.Duration) error {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()

	ctx, cancel := context.WithTimeout(context.Background(), wait+5*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = append(os.Environ(), "PORT="+port, "FUNCTION_TARGET="+target, "K_SERVICE=gcfpack-check")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		_ = cmd.Process.Kill()
		<-exited
	}()

	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			exited <- err // for the deferred wait
			return fmt.Errorf("the built function exited at start-up (%v); is %q registered with functions.HTTP in init?\n%s", err, target, out.String())
		default:
		}
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+port, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("the built function did not listen on 127.0.0.1:%s within %s\n%s", port, wait, out.String())
}

func unzip(zipPath, dest string) error {
	r, err := zip.OpenReader(zipPath)
	if err != nil {
		return err
	}
	defer r.Close()
	for _, f := range r.File {
		name := path.Clean(f.Name)
		if path.IsAbs(name) || name == ".." || strings.HasPrefix(name, "../") {
			return fmt.Errorf("unsafe path %q in archive", f.Name)
		}
		p := filepath.Join(dest, filepath.FromSlash(name))
		if f.FileInfo().IsDir() {
			if err := os.MkdirAll(p, 0o755); err != nil {
				return err
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		rc, err := f.Open()
		if err != nil {
			return err
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return err
		}
		// go.mod must be writable: the buildpack refuses a read-only one.
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}
