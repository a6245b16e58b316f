package docscheck

import (
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// root is the repository, relative to this package.
const root = "../.."

// markdownFiles returns every Markdown file of the repository outside hidden
// folders, testdata and build output, relative to root.
func markdownFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() && p != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "dist" || name == "node_modules") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(name, ".md") {
			rel, err := filepath.Rel(root, p)
			if err != nil {
				return err
			}
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"README.md", "terraform/README.md", "internal/csvfile/README.md"} {
		if !slices.Contains(files, want) {
			t.Fatalf("found %d Markdown files without %s: the walk is broken", len(files), want)
		}
	}
	return files
}

func read(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Every relative link of every Markdown file leads to a file or folder of the
// repository, and its #fragment to a heading (or HTML anchor) of that file.
func TestLinksResolve(t *testing.T) {
	anchors := map[string]map[string]bool{} // file relative to root -> its anchors
	anchorsOf := func(rel string) map[string]bool {
		if a, ok := anchors[rel]; ok {
			return a
		}
		a := Anchors(read(t, rel))
		anchors[rel] = a
		return a
	}
	checked := 0
	for _, file := range markdownFiles(t) {
		for _, l := range Links(read(t, file)) {
			target := l.Target
			if target == "" || strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			checked++
			path, frag, _ := strings.Cut(target, "#")
			dest := file
			if path != "" {
				p, err := url.PathUnescape(path)
				if err != nil {
					t.Errorf("%s:%d: link %q: %v", file, l.Line, target, err)
					continue
				}
				if strings.HasPrefix(p, "/") {
					t.Errorf("%s:%d: link %q is absolute; GitHub resolves it against the site, not the repository", file, l.Line, target)
					continue
				}
				dest = filepath.Join(filepath.Dir(file), filepath.FromSlash(p))
				if strings.HasPrefix(dest, "..") {
					t.Errorf("%s:%d: link %q leaves the repository", file, l.Line, target)
					continue
				}
				if _, err := os.Stat(filepath.Join(root, dest)); err != nil {
					t.Errorf("%s:%d: link %q: no file %s", file, l.Line, target, dest)
					continue
				}
			}
			if frag == "" {
				continue
			}
			if !strings.HasSuffix(dest, ".md") {
				t.Errorf("%s:%d: link %q has a #fragment into %s, which is not Markdown", file, l.Line, target, dest)
				continue
			}
			if !anchorsOf(dest)[frag] {
				t.Errorf("%s:%d: link %q: %s has no heading with the anchor #%s", file, l.Line, target, dest, frag)
			}
		}
	}
	if checked < 40 {
		t.Errorf("checked %d relative links, want at least 40: the link scanner is missing links", checked)
	}
}

// Every `make TARGET` that a Markdown file names in code is a target of the
// top-level Makefile or of a file it includes.
func TestMakeTargetsExist(t *testing.T) {
	defined := map[string]bool{}
	queue := []string{"Makefile"}
	for len(queue) > 0 {
		mk := queue[0]
		queue = queue[1:]
		targets, includes := Rules(read(t, mk))
		for _, tg := range targets {
			defined[tg] = true
		}
		queue = append(queue, includes...)
	}
	for _, must := range []string{"run", "test", "lint", "deploy-check", "invoke", "bench", "quality"} {
		if !defined[must] {
			t.Fatalf("the Makefile parser did not find target %q (found %v)", must, defined)
		}
	}
	named := 0
	for _, file := range markdownFiles(t) {
		for _, m := range MakeTargets(read(t, file)) {
			named++
			if !defined[m.Target] {
				t.Errorf("%s:%d: `make %s`: no such target in Makefile or its includes", file, m.Line, m.Target)
			}
		}
	}
	if named < 30 {
		t.Errorf("the docs name %d make commands, want at least 30: the scanner is missing them", named)
	}
}

func TestSlug(t *testing.T) {
	for heading, want := range map[string]string{
		"How it works":                            "how-it-works",
		"5. Give the function its Drive folder":   "5-give-the-function-its-drive-folder",
		"The CSV's text cells":                    "the-csvs-text-cells",
		"Known vulnerabilities: `make vulncheck`": "known-vulnerabilities-make-vulncheck",
		"Protection table (LibreOffice Calc 7.4, from `make spreadsheet-check`)": "protection-table-libreoffice-calc-74-from-make-spreadsheet-check",
		"Alert: run duration above 80% of the timeout":                           "alert-run-duration-above-80-of-the-timeout",
		"Targets, measured":            "targets-measured",
		"A [linked](other.md) heading": "a-linked-heading",
		"snake_case and ภาษาไทย":       "snake_case-and-ภาษาไทย",
		"Two  spaces":                  "two--spaces",
	} {
		if got := Slug(heading); got != want {
			t.Errorf("Slug(%q) = %q, want %q", heading, got, want)
		}
	}
}

func TestAnchorsLinksAndTargets(t *testing.T) {
	md := "# Title\n\n## Twice\n\n## Twice\n\n<a id=\"custom\"></a>\n\n```sh\n## not a heading [no](link.md)\nmake run DATE=1 && make -f x.mk invoke\n```\n\n" +
		"See [a](a.md#x), `[code](not.md)` and `make test` or `make DRY_RUN=1 status`; make sense of prose.\n"
	a := Anchors(md)
	for _, want := range []string{"title", "twice", "twice-1", "custom"} {
		if !a[want] {
			t.Errorf("Anchors lacks %q: %v", want, a)
		}
	}
	if a["not-a-heading-no"] || len(a) != 4 {
		t.Errorf("Anchors = %v, want exactly title, twice, twice-1, custom", a)
	}
	if got := Links(md); len(got) != 1 || got[0].Target != "a.md#x" || got[0].Line != 14 {
		t.Errorf("Links = %+v, want one link a.md#x on line 14", got)
	}
	var targets []string
	for _, m := range MakeTargets(md) {
		targets = append(targets, m.Target)
	}
	if want := []string{"run", "invoke", "test", "status"}; !slices.Equal(targets, want) {
		t.Errorf("MakeTargets = %v, want %v", targets, want)
	}
	targets, includes := Rules("X := 1\nY ?= a:b\n.PHONY: a b\na b: c\n\techo x: y\n%.o: %.c\ninclude scripts/x.mk\nc:\n")
	if !slices.Equal(targets, []string{"a", "b", "c"}) || !slices.Equal(includes, []string{"scripts/x.mk"}) {
		t.Errorf("Rules = %v, %v; want [a b c], [scripts/x.mk]", targets, includes)
	}
}
