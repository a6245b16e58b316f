package importcheck_test

import (
	"testing"

	"github.com/siamledger/ledger-export/internal/bench"
	"github.com/siamledger/ledger-export/internal/csvfile"
	"github.com/siamledger/ledger-export/internal/importcheck"
	"github.com/siamledger/ledger-export/internal/layout"
)

// The presets as they were before issue 19, written out as custom layouts (the formula guard on, as
// CSV_FORMULA_GUARD's default left it).
const (
	oldXero = `{"columns":[{"header":"*Narration","field":"journal_id"},{"header":"*Date","field":"posted_at"},` +
		`{"header":"Description","field":"memo"},{"header":"*AccountCode","field":"account"},` +
		`{"header":"*TaxRate","field":"const","value":"Tax Exempt"},{"header":"*Amount","field":"amount"}],"dateFormat":"02/01/2006"}`
	oldQuickBooks = `{"columns":[{"header":"Journal No","field":"journal_no"},{"header":"Journal Date","field":"posted_at"},` +
		`{"header":"Account Name","field":"account"},{"header":"Debits","field":"debit"},{"header":"Credits","field":"credit"},` +
		`{"header":"Description","field":"memo"},{"header":"Name","field":"const"}],"dateFormat":"02/01/2006","blankZero":true}`
)

// TestOldPresetsFailTheRules exports the demo day with the presets as they were and requires the checkers to find
// each problem issue 19 lists: for Xero, Medici paths longer than 10 characters as codes, more than 300 lines, bare
// ids as narrations and guard apostrophes; for QuickBooks, with a chart that even mirrors the Medici paths, a
// sub-account whose parent has another type, A/R lines without a Name, journal numbers dated another day than
// their journal, and guard apostrophes. It fails if a checker misses one of them (a rule that cannot fire).
func TestOldPresetsFailTheRules(t *testing.T) {
	d := demoData(false)
	mirror := importcheck.QuickBooks{Accounts: map[string]string{}}
	for _, a := range []string{"Assets", "Assets:Cash", "Assets:Bank:KBank", "Assets:Bank:SCB", "Assets:Bank", "Assets:VAT", "Assets:VAT:Input"} {
		mirror.Accounts[a] = "Bank"
	}
	mirror.Accounts["Assets:Receivables"] = "Accounts receivable (A/R)"
	for _, tc := range []struct {
		name, spec string
		check      func([]byte) []importcheck.Problem
		want       []string
	}{
		{"xero", oldXero, xeroOrg.Check, []string{"code-length", "line-limit", "project:readable-narration", "project:apostrophe"}},
		{"quickbooks", oldQuickBooks, mirror.Check, []string{"sub-account", "name", "project:journal-no-date", "project:apostrophe"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := layout.Parse(tc.spec, meta)
			if err != nil {
				t.Fatal(err)
			}
			file, _, err := runExport(t, d, csvfile.Format(csvfile.Options{Meta: meta, Location: bench.Zone, Layout: l}))
			if err != nil {
				t.Fatalf("export: %v", err)
			}
			seen := map[string]int{}
			for _, p := range tc.check(file) {
				seen[p.Rule]++
			}
			for _, r := range tc.want {
				if seen[r] == 0 {
					t.Errorf("rule %s did not fire on the old %s preset (fired: %v)", r, tc.name, seen)
				}
			}
			t.Logf("old %s preset: %v", tc.name, seen)
		})
	}
}
