package layout_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/siamledger/ledger-export/internal/csvfile"
	"github.com/siamledger/ledger-export/internal/layout"
	"github.com/siamledger/ledger-export/internal/ledger"
)

const testMap = `"account,code,name,tax_rate\n6100,610,Rent,Tax Exempt\n1000,100,Cash,Tax Exempt\n"`

func importLayout(t *testing.T, name string) layout.Layout {
	t.Helper()
	l, err := layout.Parse(`{"preset":"`+name+`","mode":"detail","accountMapCSV":`+testMap+`}`, []string{"customer"})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

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

// TestImportVoidPolicy: an import preset leaves a voided journal and its reversal out together (either order), posts
// a reversal whose voided journal is not in the file (it reverses a journal posted on an earlier date), and fails
// the file, naming the journal, when a voided journal comes without its reversal. The default layout keeps both.
// It fails if an import preset posts a voided journal, drops a lone reversal, or writes a file with a voided
// journal alone.
func TestImportVoidPolicy(t *testing.T) {
	v, r := voidPair()
	for _, name := range []string{"xero-manual-journal", "quickbooks-journal-entry"} {
		l := importLayout(t, name)
		for _, order := range [][]ledger.Journal{{v, r}, {r, v}} {
			out, err := write(l, order...)
			if err != nil || strings.Count(out, "\r\n") != 1 {
				t.Errorf("%s: voided and reversal = %q, %v; want the header only", name, out, err)
			}
		}
		out, err := write(l, r)
		if err != nil || strings.Count(out, "\r\n") != 3 {
			t.Errorf("%s: a lone reversal = %q, %v; want its two lines", name, out, err)
		}
		// A lone voided journal is posted (its reversal, in a later file, reverses it); failing the file would
		// fail the date on every attempt.
		if out, err := write(l, v); err != nil || strings.Count(out, "\r\n") != 3 {
			t.Errorf("%s: a lone voided journal = %q, %v; want its two lines", name, out, err)
		}
	}
	out, err := write(layout.Default(nil), v, r)
	if err != nil || strings.Count(out, "\r\n") != 5 || strings.Count(out, ",true,duplicate,\r\n") != 2 ||
		strings.Count(out, ",false,,"+v.ID+"\r\n") != 2 {
		t.Errorf("default layout = %q, %v; want both journals, the voided one marked with its reason, the reversal with its original", out, err)
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

// TestPresetNeedsAMap: a bare preset name, with no account map, is refused at start-up with the way to give one,
// and QuickBooks' Name needs its meta field configured. It fails if a preset starts without the codes it writes
// (it would then fail every journal of the day, or write Medici paths as codes).
func TestPresetNeedsAMap(t *testing.T) {
	for _, name := range layout.PresetNames() {
		_, err := layout.Parse(name, []string{"customer"})
		if err == nil || !strings.Contains(err.Error(), name+` needs an account map for its codes and names: give LAYOUT as {"preset":"`+name+`","accountMap":`) {
			t.Errorf("Parse(%s) = %v", name, err)
		}
	}
	_, err := layout.Parse(`{"preset":"quickbooks-journal-entry","accountMapCSV":`+testMap+`}`, nil)
	if err == nil || !strings.Contains(err.Error(), `meta field "customer" (nameField), which is not in META_COLUMNS`) {
		t.Errorf("QuickBooks without meta.customer: %v", err)
	}
}
