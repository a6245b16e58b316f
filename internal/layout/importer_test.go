package layout_test

import (
	"bytes"
	"encoding/csv"
	"errors"
	"maps"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/siamledger/ledger-export/internal/csvfile"
	"github.com/siamledger/ledger-export/internal/layout"
	"github.com/siamledger/ledger-export/internal/ledger"
)

const testMap = `"account,code,name,tax_rate\n6100,610,Rent,Tax Exempt\n1000,100,Cash,Tax Exempt\n"`

// voidPair is rent() voided the Medici way and its reversal.
func voidPair() (ledger.Journal, ledger.Journal) {
	v := rent()
	v.Voided, v.VoidReason = true, "duplicate"
	r := rent()
	r.ID, r.Memo, r.OriginalJournal = "6b0ac2406b0c05b000000009", "duplicate", v.ID
	r.Lines = []ledger.Line{
		{ID: "r1", Account: "6100", PostedAt: r.PostedAt, Credit: 1500025, OriginalJournal: v.ID},
		{ID: "r2", Account: "1000", PostedAt: r.PostedAt, Debit: 1500025, OriginalJournal: v.ID},
	}
	return v, r
}

func write(l layout.Layout, js ...ledger.Journal) (string, error) {
	var b bytes.Buffer
	w := csvfile.NewWriter(&b, csvfile.Options{Location: bkk, Layout: l})
	for _, j := range js {
		if err := w.WriteJournal("2026-11-28", "e-"+j.ID, j); err != nil && !errors.Is(err, ledger.ErrRejected) {
			return "", err
		}
	}
	err := w.Close()
	return b.String(), err
}

// balances reads an import file back and adds up each account's movement (debit positive): Xero's *AccountCode
// and *Amount, or QuickBooks' Account Name, Debits and Credits. It reads the bytes only, as the package would.
func balances(t *testing.T, file string) map[string]int64 {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(file, csvfile.BOM))).ReadAll()
	if err != nil || len(recs) == 0 {
		t.Fatalf("read back %q: %v", file, err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	cents := func(s string) int64 {
		if s == "" {
			return 0
		}
		r, ok := new(big.Rat).SetString(s)
		if !ok {
			t.Fatalf("amount %q", s)
		}
		return new(big.Rat).Mul(r, big.NewRat(100, 1)).Num().Int64()
	}
	out := map[string]int64{}
	for _, r := range recs[1:] {
		if k, ok := col["*AccountCode"]; ok {
			out[r[k]] += cents(r[col["*Amount"]])
			continue
		}
		out[r[col["Account Name"]]] += cents(r[col["Debits"]]) - cents(r[col["Credits"]])
	}
	return out
}

// add adds b's movements into a, dropping accounts that net to zero.
func add(a, b map[string]int64) map[string]int64 {
	for k, v := range b {
		a[k] += v
		if a[k] == 0 {
			delete(a, k)
		}
	}
	return a
}

// TestImportVoidPolicy walks the void policy table of README.md ("What each layout does with a voided journal and
// its reversal"), row by row, with each import preset (in detail and in summary mode) and with the default layout.
// Each row is a sequence of daily files; after every file, the accounts' balances in the package (the files read
// back, added up) must equal the ledger's for the postings exported so far, as they stood at each file's cutoff.
// It fails if an import file posts a voided journal together with its reversal (or leaves only one of a pair out),
// leaves a lone voided journal out (its reversal, in a later file, would then reverse nothing), drops a lone
// reversal (the journal it reverses, posted live earlier, would stay in the package), writes a different file
// for a date re-exported after the void, pairs a voided reversal with the wrong journal, or if the default file
// drops a void or does not mark it (voided with its reason, a reversal with its original journal).
func TestImportVoidPolicy(t *testing.T) {
	v, r := voidPair()
	live := rent() // v as the ledger held it before the void
	// r voided in turn: Medici marks it and commits rr, which reverses it (v's lines again).
	rv := r
	rv.Voided, rv.VoidReason = true, "mistake"
	rr := rent()
	rr.ID, rr.Memo, rr.OriginalJournal = "6b0ac2406b0c05b00000000a", "mistake", r.ID
	rows := []struct {
		name  string
		files [][]ledger.Journal
		// lines is each file's line rows in detail mode; leftOut the journals each file left out.
		lines, leftOut []int
	}{
		{"a voided journal and its reversal in one file: both left out", [][]ledger.Journal{{v, r}}, []int{0}, []int{2}},
		{"the same, reversal first", [][]ledger.Journal{{r, v}}, []int{0}, []int{2}},
		{"a voided journal whose reversal is in a later file: posted as it stood at the cutoff, the reversal reverses it",
			[][]ledger.Journal{{v}, {r}}, []int{2, 2}, []int{0, 0}},
		{"a reversal whose journal was exported live on an earlier date: posted",
			[][]ledger.Journal{{live}, {r}}, []int{2, 2}, []int{0, 0}},
		{"a journal exported live, voided later, its date re-exported: the same file as before",
			[][]ledger.Journal{{live}, {v}}, []int{2, 2}, []int{0, 0}},
		{"a reversal voided in turn, with its own reversal: that pair left out, the first voided journal posted",
			[][]ledger.Journal{{v, rv, rr}}, []int{2}, []int{2}},
	}
	for _, name := range []string{"xero-manual-journal", "quickbooks-journal-entry"} {
		for _, mode := range []string{"detail", "summary"} {
			l, err := layout.Parse(`{"preset":"`+name+`","mode":"`+mode+`","accountMapCSV":`+testMap+`}`, []string{"customer"})
			if err != nil {
				t.Fatal(err)
			}
			for _, row := range rows {
				// The ledger's postings exported so far: every journal of the files so far, each as the file's
				// run read it (a void after a file's run changes nothing in that file).
				ledgerBal, pkgBal := map[string]int64{}, map[string]int64{}
				var files []string
				for i, js := range row.files {
					var b bytes.Buffer
					w := csvfile.NewWriter(&b, csvfile.Options{Location: bkk, Layout: l})
					for _, j := range js {
						if err := w.WriteJournal("2026-11-28", "e-"+j.ID, j); err != nil {
							t.Fatal(err)
						}
						for _, ln := range j.Lines {
							acct := map[string]string{"6100": "Rent", "1000": "Cash"}[ln.Account]
							if name == "xero-manual-journal" {
								acct = map[string]string{"6100": "610", "1000": "100"}[ln.Account]
							}
							add(ledgerBal, map[string]int64{acct: int64(ln.Debit - ln.Credit)})
						}
					}
					if err := w.Close(); err != nil {
						t.Fatalf("%s %s, %s: file %d: %v", name, mode, row.name, i+1, err)
					}
					out := b.String()
					files = append(files, out)
					if got := len(w.LeftOut()); got != row.leftOut[i] {
						t.Errorf("%s %s, %s: file %d left out %d journals, want %d", name, mode, row.name, i+1, got, row.leftOut[i])
					}
					if n := strings.Count(out, "\r\n") - 1; mode == "detail" && n != row.lines[i] {
						t.Errorf("%s %s, %s: file %d has %d lines, want %d:\n%s", name, mode, row.name, i+1, n, row.lines[i], out)
					}
					add(pkgBal, balances(t, out))
					if !maps.Equal(pkgBal, ledgerBal) {
						t.Errorf("%s %s, %s: after file %d the package holds %v, the ledger's exported postings %v", name, mode, row.name, i+1, pkgBal, ledgerBal)
					}
				}
				if strings.HasPrefix(row.name, "a journal exported live") && files[0] != files[1] {
					t.Errorf("%s %s: the re-exported date's file changed after the void:\n%s\nwas\n%s", name, mode, files[1], files[0])
				}
			}
		}
	}
	for _, row := range rows {
		var js []ledger.Journal
		for _, f := range row.files {
			js = append(js, f...)
		}
		out, err := write(layout.Default(nil), js...)
		if err != nil || strings.Count(out, "\r\n") != 1+2*len(js) {
			t.Errorf("default layout, %s: %q, %v; want every journal's lines", row.name, out, err)
		}
		for _, j := range js {
			// A voided journal's lines end true,<reason>,<original>; a live one's false,,<original>.
			suffix := ",false,," + j.OriginalJournal + "\r\n"
			if j.Voided {
				suffix = ",true," + j.VoidReason + "," + j.OriginalJournal + "\r\n"
			}
			n := 0
			for _, line := range strings.SplitAfter(out, "\r\n") {
				if strings.Contains(line, ","+j.ID+",") && strings.HasSuffix(line, suffix) {
					n++
				}
			}
			if n != 2 {
				t.Errorf("default layout, %s: journal %s has %d lines ending %q, want 2:\n%s", row.name, j.ID, n, suffix, out)
			}
		}
	}
}

// TestSummaryJournalNetsByCode: two rent journals on one day and one on the next become one summary journal per
// posting date, a line per code with the day's net amount, narrated with the date and the detail file. It fails
// if the summary groups by batch date instead of posting date, keeps one line per journal, or drops the detail file.
func TestSummaryJournalNetsByCode(t *testing.T) {
	l, err := layout.Parse(`{"preset":"xero-manual-journal","accountMapCSV":`+testMap+`}`, nil)
	if err != nil {
		t.Fatal(err)
	}
	a, b, c := rent(), rent(), rent()
	b.ID = "6b0ac2406b0c05b000000002"
	c.ID = "6b0ac2406b0c05b000000003"
	next := a.PostedAt.Add(24 * time.Hour)
	c.PostedAt = next
	for i := range c.Lines {
		c.Lines[i].PostedAt = next
	}
	out, err := write(l, a, b, c)
	if err != nil {
		t.Fatal(err)
	}
	want := "\ufeff*Narration,*Date,Description,*AccountCode,*TaxRate,*Amount,TrackingName1,TrackingOption1\r\n" +
		"\"Daily summary 28/11/2026, detail in ledger-export_2026-11-28.csv\",28/11/2026,6100,610,Tax Exempt,30000.50,,\r\n" +
		"\"Daily summary 28/11/2026, detail in ledger-export_2026-11-28.csv\",28/11/2026,1000,100,Tax Exempt,-30000.50,,\r\n" +
		"\"Daily summary 29/11/2026, detail in ledger-export_2026-11-28.csv\",29/11/2026,6100,610,Tax Exempt,15000.25,,\r\n" +
		"\"Daily summary 29/11/2026, detail in ledger-export_2026-11-28.csv\",29/11/2026,1000,100,Tax Exempt,-15000.25,,\r\n"
	if out != want {
		t.Errorf("summary =\n%s\nwant\n%s", out, want)
	}
}

// TestAccountMapRefusals: a map with a duplicate account, an unknown column, no account column or no rows is
// refused at start-up, and a preset given both a map file and map text too. It fails if a broken map loads and
// later maps accounts silently wrong.
func TestAccountMapRefusals(t *testing.T) {
	for _, m := range []string{
		"account,code\nA,1\nA,2\n", "account,kode\nA,1\n", "code,name\n1,x\n", "account,code\n",
	} {
		if _, err := layout.ParseAccountMap([]byte(m)); err == nil {
			t.Errorf("ParseAccountMap(%q) = nil error", m)
		}
	}
	if _, err := layout.Parse(`{"preset":"xero-manual-journal","accountMap":"x.csv","accountMapCSV":`+testMap+`}`, nil); err == nil {
		t.Error("a map file and map text both given: nil error")
	}
	m, err := layout.ParseAccountMap([]byte("\ufeffAccount,Code\nAssets:Cash,091\n"))
	if err != nil || m.Len() != 1 || len(m.Version()) != 64 {
		t.Fatalf("ParseAccountMap with a BOM = %v, %v", m, err)
	}
	if r, ok := m.Row("Assets:Cash"); !ok || r.Code != "091" {
		t.Errorf("Row(Assets:Cash) = %+v, %v", r, ok)
	}
}

// TestPresetReadsItsMapFromTheFolder: a bare preset name takes its account map from the export folder (the sheet
// "account-map", read at every attempt), a map given in LAYOUT is used as given, and accountMapSheet renames the
// sheet but cannot be combined with a given map. It fails if a preset starts without knowing where its codes come
// from (it would write Medici paths as codes, or fail every journal), or if a given map were read from Drive
// instead.
func TestPresetReadsItsMapFromTheFolder(t *testing.T) {
	for _, name := range layout.PresetNames() {
		l, err := layout.Parse(name, []string{"customer"})
		if err != nil || l.SheetName() != layout.DefaultSheet || l.Accounts() != nil {
			t.Errorf("Parse(%s) = sheet %q, map %v, %v; want the folder's %q", name, l.SheetName(), l.Accounts(), err, layout.DefaultSheet)
		}
	}
	l, err := layout.Parse(`{"preset":"xero-manual-journal","accountMapSheet":"Xero codes"}`, nil)
	if err != nil || l.SheetName() != "Xero codes" {
		t.Errorf("accountMapSheet: sheet %q, %v", l.SheetName(), err)
	}
	l, err = layout.Parse(`{"preset":"xero-manual-journal","accountMapCSV":`+testMap+`}`, nil)
	if err != nil || l.SheetName() != "" || l.Accounts() == nil {
		t.Errorf("a given map: sheet %q, map %v, %v; want no sheet", l.SheetName(), l.Accounts(), err)
	}
	if m := l.Accounts(); l.WithAccounts(nil).Accounts() != nil || l.Accounts() != m {
		t.Error("WithAccounts changed the layout it was called on, or kept the old map")
	}
	_, err = layout.Parse(`{"preset":"xero-manual-journal","accountMapSheet":"x","accountMapCSV":`+testMap+`}`, nil)
	if err == nil || !strings.Contains(err.Error(), "accountMapSheet with accountMap or accountMapCSV") {
		t.Errorf("accountMapSheet with a map: %v", err)
	}
	if l, err := layout.Parse("default", nil); err != nil || l.SheetName() != "" {
		t.Errorf("the default layout reads sheet %q (%v)", l.SheetName(), err)
	}
	_, err = layout.Parse(`{"preset":"quickbooks-journal-entry","accountMapCSV":`+testMap+`}`, nil)
	if err == nil || !strings.Contains(err.Error(), `meta field "customer" (nameField), which is not in META_COLUMNS`) {
		t.Errorf("QuickBooks without meta.customer: %v", err)
	}
}
