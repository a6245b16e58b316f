package main

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

const testModule = "example.com/ledger"

// writeTree creates files (slash paths to contents) under a new temp folder.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, body := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func repoTree() map[string]string {
	return map[string]string{
		"go.mod":                           "module " + testModule + "\n\ngo 1.26\n",
		"go.sum":                           "",
		"Makefile":                         "all:\n",
		"README.md":                        "# x\n",
		"function/function.go":             "package function\n",
		"function/wire.go":                 "package function\n",
		"function/function_test.go":        "package function_test\n",
		"function/testdata/x.go":           "package broken\n",
		"function/cmd/local/main.go":       "package main\n",
		"internal/csvfile/csv.go":          "package csvfile\n",
		"internal/csvfile/csv_test.go":     "package csvfile\n",
		"internal/drivefake/fake.go":       "package drivefake\n",
		"internal/drivefake/cmd/x/main.go": "package main\n",
		"internal/testenv/env.go":          "package testenv\n",
		"internal/faults/faults.go":        "package faults\n",
		"internal/bench/bench.go":          "package bench\n",
		"internal/lease/.hidden.go":        "package lease\n",
		"internal/lease/lease.go":          "package lease\n",
		"internal/lease/notes.txt":         "not go\n",
		"scripts/gcfpack/main.go":          "package main\n",
		"terraform/main.tf":                "",
	}
}

func packTree(t *testing.T, root string) ([]byte, []string) {
	t.Helper()
	o := defaultOptions()
	o.root = root
	data, names, err := pack(o)
	if err != nil {
		t.Fatalf("pack(%s): %v", root, err)
	}
	return data, names
}

func TestPackHoldsOnlyDeployedGoSources(t *testing.T) {
	_, names := packTree(t, writeTree(t, repoTree()))
	want := []string{
		"function/function.go",
		"function/wire.go",
		shimFile,
		"go.mod",
		"go.sum",
		"internal/csvfile/csv.go",
		"internal/lease/lease.go",
	}
	if !slices.Equal(names, want) {
		t.Errorf("pack() names = %q, want %q", names, want)
	}
}

func TestPackIsDeterministic(t *testing.T) {
	root := writeTree(t, repoTree())
	first, _ := packTree(t, root)
	// A fresh clone has other times and modes: they must not change the bytes.
	later := time.Now().Add(48 * time.Hour)
	for _, f := range []string{"go.mod", "function/function.go", "internal/lease/lease.go"} {
		p := filepath.Join(root, filepath.FromSlash(f))
		if err := os.Chtimes(p, later, later); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	second, _ := packTree(t, root)
	if !bytes.Equal(first, second) {
		t.Errorf("pack() gave %d then %d different bytes for the same sources", len(first), len(second))
	}

	if err := os.WriteFile(filepath.Join(root, "internal/lease/lease.go"), []byte("package lease\n\nconst x = 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	third, _ := packTree(t, root)
	if bytes.Equal(first, third) {
		t.Error("pack() gave the same bytes after a source changed")
	}
}

func TestPackShimImportsTheFunction(t *testing.T) {
	data, _ := packTree(t, writeTree(t, repoTree()))
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var shim string
	for _, f := range zr.File {
		if f.Modified.Year() != 1980 || f.Mode().Perm() != 0o644 {
			t.Errorf("%s: time %v mode %v, want 1980 and 0644", f.Name, f.Modified, f.Mode().Perm())
		}
		if f.Name == shimFile {
			rc, _ := f.Open()
			b, _ := io.ReadAll(rc)
			rc.Close()
			shim = string(b)
		}
	}
	for _, want := range []string{
		"package " + shimPackage + "\n",
		`_ "` + functionsPkg + `"`,
		`_ "` + testModule + `/function"`,
	} {
		if !strings.Contains(shim, want) {
			t.Errorf("%s does not contain %q:\n%s", shimFile, want, shim)
		}
	}
}

func TestPackRefusesABadLayout(t *testing.T) {
	tests := []struct {
		name   string
		change func(map[string]string)
		want   string
	}{
		{"no function package", func(m map[string]string) {
			delete(m, "function/function.go")
			delete(m, "function/wire.go")
		}, "no .go files"},
		{"function is package main", func(m map[string]string) {
			m["function/function.go"], m["function/wire.go"] = "package main\n", "package main\n"
		}, "package main"},
		{"go code at the root", func(m map[string]string) { m["main.go"] = "package ledger\n" }, "module root holds .go files"},
		{"no go.mod", func(m map[string]string) { delete(m, "go.mod") }, "go.mod"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := repoTree()
			tt.change(files)
			o := defaultOptions()
			o.root = writeTree(t, files)
			if _, _, err := pack(o); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("pack() error = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

// planBuild applies the buildpack's package and template rules.
func TestPlanBuild(t *testing.T) {
	tests := []struct {
		name         string
		files        map[string]string
		wantPackage  string
		wantImport   string
		wantTemplate string
		wantErr      string
	}{
		{
			name:         "generated shim",
			files:        map[string]string{shimFile: string(shimSource(testModule, "function")), "function/f.go": "package function\n"},
			wantPackage:  shimPackage,
			wantImport:   testModule,
			wantTemplate: "declarative",
		},
		{
			name:         "folder named like the root package",
			files:        map[string]string{"fn.go": "package function\n\nimport _ \"" + functionsPkg + "\"\n", "function/f.go": "package function\n"},
			wantPackage:  "function",
			wantImport:   testModule + "/function",
			wantTemplate: "declarative",
		},
		{
			name:         "root without the functions import",
			files:        map[string]string{"fn.go": "package hello\n\nimport \"net/http\"\n\nvar _ http.Handler\n"},
			wantPackage:  "hello",
			wantImport:   testModule,
			wantTemplate: "v1_1",
		},
		{
			name:    "no go files at the root",
			files:   map[string]string{"function/f.go": "package function\n"},
			wantErr: "unable to find Go package",
		},
		{
			name:    "two packages at the root",
			files:   map[string]string{"a.go": "package a\n", "a_test.go": "package b\n"},
			wantErr: "multiple packages",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := planBuild(writeTree(t, tt.files), testModule)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("planBuild() error = %v, want one mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("planBuild() error = %v", err)
			}
			if got.Package != tt.wantPackage || got.Import != tt.wantImport || got.Template != tt.wantTemplate {
				t.Errorf("planBuild() = package %q, import %q, template %q; want %q, %q, %q",
					got.Package, got.Import, got.Template, tt.wantPackage, tt.wantImport, tt.wantTemplate)
			}
		})
	}
	if _, err := planBuild(writeTree(t, map[string]string{"a.go": "package a\n"}), "ledger/export"); err == nil {
		t.Error("planBuild() accepted a module path without a dot in its first element")
	}
}

func TestMissingLocalImports(t *testing.T) {
	src := writeTree(t, map[string]string{
		"function/f.go":         "package function\n\nimport _ \"" + testModule + "/internal/testenv\"\n",
		"internal/lease/l.go":   "package lease\n\nimport _ \"" + testModule + "/internal/ledger\"\n",
		"internal/ledger/l.go":  "package ledger\n",
		"internal/csvfile/c.go": "package csvfile\n\nimport _ \"encoding/csv\"\n",
	})
	err := missingLocalImports(src, testModule)
	if err == nil || !strings.Contains(err.Error(), "function/f.go imports "+testModule+"/internal/testenv") {
		t.Fatalf("missingLocalImports() = %v, want it to name function/f.go and internal/testenv", err)
	}
	if strings.Contains(err.Error(), "internal/ledger") {
		t.Errorf("missingLocalImports() = %v, but internal/ledger is in the archive", err)
	}
}

func TestCheckRuntime(t *testing.T) {
	for _, c := range []struct {
		runtime, goMod string
		ok             bool
	}{
		{"go127", "go 1.26.8", true},
		{"go126", "go 1.26", true},
		{"go126", "go 1.26.0", true},
		{"go126", "go 1.26.8", false}, // the image's patch may be below 1.26.8
		{"go125", "go 1.26.8", false},
		{"go125", "go 1.26", false},
		{"go130", "go 1.26.8 // comment", true},
		{"nodejs22", "go 1.26.8", false},
		{"go127", "toolchain go1.26.8", false}, // no go directive
	} {
		err := checkRuntime(c.runtime, []byte("module x\n\n"+c.goMod+"\n"))
		if (err == nil) != c.ok {
			t.Errorf("checkRuntime(%s, %q) = %v, want ok %v", c.runtime, c.goMod, err, c.ok)
		}
	}
}

func TestTerraformRuntime(t *testing.T) {
	vars := "variable \"region\" {\n  default = \"x\"\n}\n\nvariable \"runtime\" {\n  type    = string\n  default = \"go127\"\n}\n"
	dir := writeTree(t, map[string]string{"variables.tf": vars})
	if rt, from, err := terraformRuntime(dir); err != nil || rt != "go127" || filepath.Base(from) != "variables.tf" {
		t.Errorf("terraformRuntime = %q, %q, %v; want go127 from variables.tf", rt, from, err)
	}
	dir = writeTree(t, map[string]string{"variables.tf": vars, "terraform.tfvars": "project_id = \"p\"\n runtime = \"go125\"\n"})
	if rt, from, err := terraformRuntime(dir); err != nil || rt != "go125" || filepath.Base(from) != "terraform.tfvars" {
		t.Errorf("terraformRuntime = %q, %q, %v; want go125 from terraform.tfvars", rt, from, err)
	}
}

// The runtime this repository deploys with builds its go.mod.
func TestRepositoryRuntimeBuildsGoMod(t *testing.T) {
	rt, from, err := terraformRuntime("../../terraform")
	if err != nil {
		t.Fatal(err)
	}
	goMod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	if err := checkRuntime(rt, goMod); err != nil {
		t.Errorf("%s: %v", from, err)
	}
}

// make package fails for a too-old runtime, before writing anything.
func TestPackRefusesAnOldRuntime(t *testing.T) {
	tree := repoTree()
	tree["go.mod"] = "module " + testModule + "\n\ngo 1.26.8\n"
	tree["terraform/variables.tf"] = "variable \"runtime\" {\n  default = \"go126\"\n}\n"
	root := writeTree(t, tree)
	out := filepath.Join(root, "dist", "x.zip")
	err := runPack([]string{"-root", root, "-o", out})
	if err == nil || !strings.Contains(err.Error(), "go126") {
		t.Errorf("runPack with runtime go126 and go 1.26.8 = %v, want an error naming go126", err)
	}
	if _, statErr := os.Stat(out); statErr == nil {
		t.Error("runPack wrote the archive although the runtime was refused")
	}
	if err := runPack([]string{"-root", root, "-o", out, "-runtime", "go127"}); err != nil {
		t.Errorf("runPack -runtime go127: %v", err)
	}
}
