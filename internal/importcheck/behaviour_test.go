package importcheck_test

import (
	"archive/zip"
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/siamledger/ledger-export/internal/bench"
	"github.com/siamledger/ledger-export/internal/demo"
	"github.com/siamledger/ledger-export/internal/xlsxfile"
)

// TestXeroDetailModeKeepsTheLimit: the Xero preset in detail mode on the demo day (788 lines) fails the run with
// the reason and uploads nothing, and on a day that fits it writes a file that passes Xero's rules, narrations
// readable. It fails if detail mode writes a file Xero would refuse, or refuses a day that fits.
func TestXeroDetailModeKeepsTheLimit(t *testing.T) {
	lay := preset(t, "xero-manual-journal", `,"mode":"detail"`)
	file, _, err := runExport(t, demoData(true), csvFormat(lay))
	if err == nil || !strings.Contains(err.Error(), "more than 300 lines") || file != nil {
		t.Fatalf("detail export of 788 lines = %d bytes, %v; want no file and the 300-line reason", len(file), err)
	}
	small := demo.Generate(demo.Options{Journals: 60, Seed: 7, From: bench.Cutoff.Add(-24 * time.Hour), To: bench.Cutoff.Add(-time.Minute), MediciVoids: true})
	file, _, err = runExport(t, small, csvFormat(lay))
	if err != nil {
		t.Fatalf("detail export of 60 journals: %v", err)
	}
	for _, p := range xeroOrg.Check(file) {
		t.Errorf("detail file: %s", p)
	}
	rows := strings.Split(string(file), "\r\n")
	t.Logf("detail file of 60 journals, %d rows after the header; the first rows:\n%s", len(rows)-2, strings.Join(rows[:min(len(rows), 5)], "\n"))
	if !strings.Contains(string(file), "ค่าเช่าสำนักงาน (") {
		t.Errorf("no narration names the journal's memo and id:\n%.600s", file)
	}
}

// TestUnmappedAccountFailsItsJournal: with an account map that lacks Expenses:Supplies, every journal booking it
// fails with "account Expenses:Supplies has no row in the account map", listed in the run's failures, and the
// rest of the day imports. It fails if such a journal is written (under its Medici path or with a guessed code),
// dropped without a failure, or fails the whole run.
func TestUnmappedAccountFailsItsJournal(t *testing.T) {
	m := strings.ReplaceAll(string(demo.AccountMap), "Expenses:Supplies,461,Supplies,Input VAT 7%,Branch,Siam Square\n", "")
	if m == string(demo.AccountMap) {
		t.Fatal("the demo map has no Expenses:Supplies row to remove")
	}
	for _, name := range []string{"xero-manual-journal", "quickbooks-journal-entry"} {
		t.Run(name, func(t *testing.T) {
			spec := `{"preset":"` + name + `","accountMapCSV":` + quote(m) + `}`
			file, rep, err := runExport(t, demoData(true), csvFormat(parse(t, spec)))
			if err != nil {
				t.Fatalf("export: %v", err)
			}
			// One journal in eight books supplies (the demo's templates): 37 of 300, and the reversal of the voided
			// journal 207, a supplies journal, makes 38; with the 4 broken entries, 42 fail. The summary lists the
			// first export.MaxListedFailures, all of them journals read before the broken entries.
			if rep.Summary == nil || rep.Summary.EntriesFailed != 42 {
				t.Fatalf("summary = %+v, want 42 failed entries", rep.Summary)
			}
			for _, r := range failures(rep) {
				if r != "account Expenses:Supplies has no row in the account map" {
					t.Errorf("listed failure %q, want the unmapped account", r)
				}
			}
			if strings.Contains(string(file), "Supplies") || strings.Contains(string(file), ",461,") {
				t.Errorf("the file holds the unmapped account")
			}
			check := xeroOrg.Check
			if name != "xero-manual-journal" {
				check = qboOrg.Check
			}
			for _, p := range check(file) {
				t.Errorf("%s", p)
			}
		})
	}
}

// TestVoidsListedInTheWorkbook: the QuickBooks preset as XLSX leaves the three voided journals and their
// reversals out, lists all six on the Summary sheet with why, and shows the voided amounts apart. It fails if a
// voided pair is posted, or left out without being listed.
func TestVoidsListedInTheWorkbook(t *testing.T) {
	lay := preset(t, "quickbooks-journal-entry", "")
	file, _, err := runExport(t, demoData(true), xlsxfile.Format(xlsxfile.Options{Layout: lay, Location: bench.Zone}))
	if err != nil {
		t.Fatalf("export: %v", err)
	}
	zr, err := zip.NewReader(bytes.NewReader(file), int64(len(file)))
	if err != nil {
		t.Fatal(err)
	}
	var summary, entries string
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		switch f.Name {
		case "xl/worksheets/sheet1.xml":
			entries = string(b)
		case "xl/worksheets/sheet2.xml":
			summary = string(b)
		}
	}
	if n := strings.Count(summary, "left out with its reversal"); n != 3 {
		t.Errorf("summary lists %d voided journals, want 3", n)
	}
	if n := strings.Count(summary, "reversal of voided journal"); n != 3 {
		t.Errorf("summary lists %d reversals, want 3", n)
	}
	// 300 journals and 3 reversals are taken; the 4 broken entries fail.
	if !strings.Contains(summary, `<t>Entries exported</t></is></c><c r="B3"><v>303</v>`) {
		t.Errorf("summary does not count 303 entries exported: %.400s", summary[strings.Index(summary, "Entries exported"):])
	}
	if !strings.Contains(summary, "Voided, left out: debit") {
		t.Errorf("summary shows no voided total")
	}
	if strings.Contains(entries, demo.VoidReason) {
		t.Errorf("the entries sheet holds a reversal")
	}
}

func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}
