package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/siamledger/ledger-export/internal/importcheck"
)

// TestPresetsRunOutOfTheBox is `LAYOUT=xero-manual-journal make run` and `LAYOUT=quickbooks-journal-entry make
// run` on a fresh folder, as a fresh clone runs them: the demo account map is shared in the fake Drive folder, the
// demo voids journals the Medici way, and the file the export writes passes the checker of the package's
// published rules (importcheck) on the demo organisation. It fails if make run needs a map the clone does not
// ship, if the seeded data had no Medici voids, or if a preset's file breaks any rule its checker enforces
// (codes, 300 lines, system accounts, tax rates, balance per journal, dates, Names on A/R lines, sub-account paths).
func TestPresetsRunOutOfTheBox(t *testing.T) {
	if testing.Short() {
		t.Skip("starts FerretDB and the Firestore emulator")
	}
	for _, tc := range []struct {
		layout string
		check  func([]byte) []importcheck.Problem
	}{
		{"xero-manual-journal", importcheck.DemoXero.Check},
		{"quickbooks-journal-entry", importcheck.DemoQuickBooks.Check},
	} {
		t.Run(tc.layout, func(t *testing.T) {
			t.Setenv("LAYOUT", tc.layout)
			t.Setenv("OUTPUT_FORMAT", "")
			dir := t.TempDir()
			if err := run(t.Context(), dir, "", 120); err != nil {
				t.Fatalf("make run with LAYOUT=%s: %v", tc.layout, err)
			}
			files, _ := filepath.Glob(filepath.Join(dir, "csv-"+tc.layout, "exports", "*.csv"))
			if len(files) != 1 {
				t.Fatalf("saved files = %v, want one CSV", files)
			}
			b, err := os.ReadFile(files[0])
			if err != nil {
				t.Fatal(err)
			}
			if probs := tc.check(b); len(probs) > 0 {
				t.Errorf("%s breaks %d rules of the package's import, first: %v", filepath.Base(files[0]), len(probs), probs[0])
			}
			if strings.Count(string(b), "\n") < 3 {
				t.Errorf("the file has almost no lines:\n%s", b)
			}
		})
	}
}
