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

// The tests in this file were written for the survivors of `make mutate` over internal/layout (issue 21); each
// names the mutants it kills.

// sent is one call of an Importer's sink.
type sent struct {
	entryID string
	j       ledger.Journal
	maps    []layout.MapRow
}

// importer returns an Importer for the layout spec, in Bangkok's zone, and the journals its sink received.
func importer(t *testing.T, spec string, meta []string) (*layout.Importer, *[]sent) {
	t.Helper()
	l, err := layout.Parse(spec, meta)
	if err != nil {
		t.Fatalf("Parse(%s) = %v", spec, err)
	}
	var got []sent
	im := layout.NewImporter(&l, bkk, func(_, entryID string, j ledger.Journal, maps []layout.MapRow) error {
		got = append(got, sent{entryID, j, maps})
		return nil
	})
	return im, &got
}

// TestAccountMapParseEdges: a column named twice is refused even when its first place is the first column, an
// error names the CSV line it is on, and a row shorter than the header reads its missing cells as empty. It fails
// if a duplicate first column is taken silently (`idx[i] > 0`: the second "account" column would win), if the line
// number counts down (`line--`), or if a short row indexes past its end and panics (`idx[i] > len(rec)`).
func TestAccountMapParseEdges(t *testing.T) {
	for _, c := range []struct{ csv, err string }{
		{"account,code,account\nA,1,B\n", `column "account" twice`},
		{"account,code\nA,1\nB,2\nA,3\n", `line 4: account "A" is mapped twice`},
		{"account,code\nA,1\n,2\n", "line 3: no account"},
	} {
		if _, err := layout.ParseAccountMap([]byte(c.csv)); err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("ParseAccountMap(%q) = %v, want %q", c.csv, err, c.err)
		}
	}
	m, err := layout.ParseAccountMap([]byte("account,code,name\nA,1\nB\n"))
	if err != nil {
		t.Fatalf("short rows: %v", err)
	}
	if r, ok := m.Row("A"); !ok || r != (layout.MapRow{Account: "A", Code: "1"}) {
		t.Errorf("Row(A) = %+v, %v; want code 1, no name", r, ok)
	}
	if r, ok := m.Row("B"); !ok || r != (layout.MapRow{Account: "B"}) {
		t.Errorf("Row(B) = %+v, %v; want no code, no name", r, ok)
	}
}

// TestMapColumnsTheLayoutWrites: an account is refused for a missing code only when the layout writes the code,
// and for a missing name only when it writes the name. It fails if Xero (codes, no names) refuses a map without
// names or QuickBooks (names, no codes) a map without codes (`c.Field != AccountCode` or `!= AccountName`), or if
// either accepts an account with the one it writes missing.
func TestMapColumnsTheLayoutWrites(t *testing.T) {
	const codes, names = `"account,code\n6100,610\n1000,100\n"`, `"account,name\n6100,Rent\n1000,Cash\n"`
	for _, c := range []struct {
		preset, csv, refused string // refused: "" when the journal is written
	}{
		{"xero-manual-journal", codes, ""},
		{"quickbooks-journal-entry", names, ""},
		{"xero-manual-journal", names, "account 6100 has no code in the account map"},
		{"quickbooks-journal-entry", codes, "account 6100 has no name in the account map"},
	} {
		im, got := importer(t, `{"preset":"`+c.preset+`","mode":"detail","accountMapCSV":`+c.csv+`}`, []string{"customer"})
		err := im.WriteJournal("2026-11-28", "e1", rent())
		switch {
		case c.refused == "" && (err != nil || len(*got) != 1):
			t.Errorf("%s with %s: %v, %d journals written; want written", c.preset, c.csv, err, len(*got))
		case c.refused != "" && (!errors.Is(err, ledger.ErrRejected) || !strings.Contains(err.Error(), c.refused)):
			t.Errorf("%s with %s: %v; want refused: %s", c.preset, c.csv, err, c.refused)
		}
	}
}

// TestVoidPairs checks what a netting layout says of a voided journal and its reversal left out together, and
// that it finds the pair however Medici marked it. It fails if the reasons are swapped between the voided journal
// and its reversal (`h.j.ID != r.j.ID`), if the void reason is not taken from the first line when the journal has
// none or is taken from the line although the journal has one (`reason != ""`, `len(v.j.Lines) <= 0`), if a
// voided journal without lines panics (`len(v.j.Lines) >= 0` reads Lines[0]), or if a reversal marked on its lines
// only is not paired (`l.OriginalJournal == ""` in originalOf).
func TestVoidPairs(t *testing.T) {
	v, r := voidPair()
	lineReason := v
	lineReason.VoidReason = ""
	lineReason.Lines = append([]ledger.Line(nil), v.Lines...)
	for i := range lineReason.Lines {
		lineReason.Lines[i].Voided, lineReason.Lines[i].VoidReason = true, "typo"
	}
	both := lineReason
	both.VoidReason = "duplicate"
	empty := v
	empty.VoidReason, empty.Lines, empty.LineCount = "", nil, 0
	emptyR := r
	emptyR.Lines, emptyR.LineCount = nil, 0
	onLines := r
	onLines.OriginalJournal = "" // Medici marks the reversal's lines, the journal only in newer versions
	for _, c := range []struct {
		name   string
		v, r   ledger.Journal
		reason string
	}{
		{"the journal's reason", v, r, "duplicate"},
		{"the first line's reason when the journal has none", lineReason, r, "typo"},
		{"the journal's reason before the line's", both, r, "duplicate"},
		{"no lines, no reason", empty, emptyR, ""},
		{"a reversal marked on its lines only", v, onLines, "duplicate"},
	} {
		im, got := importer(t, `{"preset":"xero-manual-journal","mode":"detail","accountMapCSV":`+testMap+`}`, nil)
		for _, j := range []ledger.Journal{c.v, c.r} {
			if err := im.WriteJournal("2026-11-28", "e-"+j.ID, j); err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
		}
		if err := im.Close(); err != nil {
			t.Fatalf("%s: Close: %v", c.name, err)
		}
		want := []string{
			"voided (" + c.reason + "), left out with its reversal " + r.ID,
			"reversal of voided journal " + v.ID + ", left out with it",
		}
		out := im.LeftOut()
		if len(*got) != 0 || len(out) != 2 || out[0].JournalID != v.ID || out[0].Reason != want[0] ||
			out[1].JournalID != r.ID || out[1].Reason != want[1] {
			t.Errorf("%s: wrote %d journals, left out %+v; want none written and %q", c.name, len(*got), out, want)
		}
	}
}

// TestLineLimitBounds: with maxLines 4, two journals of two lines fill the file exactly and a third is refused as
// unwritable. It fails if a file of exactly maxLines lines is refused (`im.lines+n >= MaxLines`) or if the limit
// subtracts the new lines instead of adding them (`im.lines-n > MaxLines`: the third journal goes through).
func TestLineLimitBounds(t *testing.T) {
	im, got := importer(t, `{"preset":"xero-manual-journal","mode":"detail","maxLines":4,"accountMapCSV":`+testMap+`}`, nil)
	a, b := rent(), rent()
	b.ID = "6b0ac2406b0c05b000000002"
	for _, j := range []ledger.Journal{a, b} {
		if err := im.WriteJournal("2026-11-28", "e-"+j.ID, j); err != nil {
			t.Fatalf("journal %s within the limit: %v", j.ID, err)
		}
	}
	c := rent()
	c.ID = "6b0ac2406b0c05b000000003"
	if err := im.WriteJournal("2026-11-28", "e3", c); !errors.Is(err, ledger.ErrUnwritable) {
		t.Errorf("a fifth and sixth line past maxLines 4: %v, want ErrUnwritable", err)
	}
	if len(*got) != 2 {
		t.Errorf("%d journals written, want 2", len(*got))
	}
}

// TestNeedsImporterForALineLimitAlone: a custom layout with only a line limit goes through the Importer, so the
// limit holds; one with none of the Importer's jobs does not. It fails if `MaxLines > 0` becomes `>= 0` (every
// custom layout routed through the Importer) or `<= 0` (a custom maxLines never enforced: the writer writes 2
// lines past a limit of 1).
func TestNeedsImporterForALineLimitAlone(t *testing.T) {
	plain, err := layout.Parse(`{"columns":[{"header":"Account","field":"account"}]}`, nil)
	if err != nil || plain.NeedsImporter() {
		t.Errorf("a plain custom layout: NeedsImporter %v, %v; want false", plain.NeedsImporter(), err)
	}
	limited, err := layout.Parse(`{"columns":[{"header":"Account","field":"account"}],"maxLines":1}`, nil)
	if err != nil || !limited.NeedsImporter() {
		t.Fatalf("a custom layout with maxLines: NeedsImporter %v, %v; want true", limited.NeedsImporter(), err)
	}
	var b bytes.Buffer
	w := csvfile.NewWriter(&b, csvfile.Options{Location: bkk, Layout: limited})
	err = w.WriteJournal("2026-11-28", "e1", rent())
	if err == nil {
		err = w.Close()
	}
	if !errors.Is(err, ledger.ErrUnwritable) {
		t.Errorf("2 lines under maxLines 1: %v, want ErrUnwritable", err)
	}
}

// TestSummaryJournalShape: the daily summary journal handed to the writer is dated in the configured zone, is a
// well-formed journal (ledger's Check passes: it lists no lines of its own, LineCount -1), writes a net debit as a
// debit and a net credit as a credit, takes a line of zero without calling it an overflow, and Entries counts each
// entry taken. It fails if the zone is dropped for UTC (`loc != nil`: 03:30 on the 29th in Bangkok is the 28th in
// UTC), if LineCount is 1 (Check: "lists 1 lines, 2 found"), if a positive sum goes to the credit as a negative
// credit (`s.amount <= 0`, seen in QuickBooks' Debits and Credits columns, not in Xero's one amount), if adding 0
// reports an overflow (`s >= a` or `b >= 0` in addAmount), or if Entries counts down (`im.entries--`).
func TestSummaryJournalShape(t *testing.T) {
	im, got := importer(t, `{"preset":"quickbooks-journal-entry","mode":"summary","accountMapCSV":`+testMap+`}`, []string{"customer"})
	j := rent()
	at := time.Date(2026, 11, 28, 20, 30, 0, 0, time.UTC) // 03:30 on the 29th in Bangkok
	j.PostedAt = at
	for i := range j.Lines {
		j.Lines[i].PostedAt = at
	}
	j.Lines = append(j.Lines, ledger.Line{ID: "l3", Account: "6100", PostedAt: at}) // a line of 0.00
	j.LineCount = 3
	k := rent()
	k.ID = "6b0ac2406b0c05b000000002"
	k.PostedAt = at
	for i := range k.Lines {
		k.Lines[i].PostedAt = at
	}
	for _, x := range []ledger.Journal{j, k} {
		if err := im.WriteJournal("2026-11-28", "e-"+x.ID, x); err != nil {
			t.Fatalf("WriteJournal(%s): %v", x.ID, err)
		}
	}
	if err := im.Close(); err != nil {
		t.Fatal(err)
	}
	if n := im.Entries(); n != 2 {
		t.Errorf("Entries() = %d, want 2", n)
	}
	if len(*got) != 1 {
		t.Fatalf("%d summary journals, want 1: %+v", len(*got), *got)
	}
	s := (*got)[0]
	if s.entryID != "summary-2026-11-29" || s.j.PostedAt.In(bkk).Format(time.DateOnly) != "2026-11-29" {
		t.Errorf("summary %s posted %v; want the 29th in Bangkok", s.entryID, s.j.PostedAt)
	}
	if err := s.j.Check(); err != nil {
		t.Errorf("the summary journal is malformed: %v", err)
	}
	want := []struct {
		account       string
		debit, credit ledger.Amount
	}{{"6100", 3000050, 0}, {"1000", 0, 3000050}}
	if len(s.j.Lines) != len(want) {
		t.Fatalf("summary lines %+v, want %+v", s.j.Lines, want)
	}
	for i, w := range want {
		if l := s.j.Lines[i]; l.Account != w.account || l.Debit != w.debit || l.Credit != w.credit {
			t.Errorf("summary line %d = %s debit %d credit %d, want %+v", i, l.Account, l.Debit, l.Credit, w)
		}
	}
}

// TestNarrationAndJournalRef: a journal without a memo is narrated by its id alone, and journal_ref's date is the
// posting date in the row's zone. It fails if an empty memo gives " (id)" (`Memo != ""`), or if the row's zone
// is replaced by UTC (`loc != nil`: 03:30 on the 29th in Bangkok would read 20261128).
func TestNarrationAndJournalRef(t *testing.T) {
	j := rent()
	j.Memo = ""
	j.PostedAt = time.Date(2026, 11, 28, 20, 30, 0, 0, time.UTC)
	r := layout.Row{Journal: &j, Line: &j.Lines[0], Location: bkk}
	if got := (layout.Column{Field: layout.Narration}).Text(r); got != j.ID {
		t.Errorf("narration without a memo = %q, want %q", got, j.ID)
	}
	j.Memo = "rent"
	if got := (layout.Column{Field: layout.Narration}).Text(r); got != "rent ("+j.ID+")" {
		t.Errorf("narration = %q", got)
	}
	if got := (layout.Column{Field: layout.JournalRef}).Text(r); got != "20261129-05b000000001" {
		t.Errorf("journal_ref in Bangkok = %q, want 20261129-05b000000001", got)
	}
}

// TestPresetOverrides: a JSON layout's maxLines replaces its preset's and an absent one keeps it, and a name column
// without its meta field is named by its place. It fails if the override is read the wrong way round
// (`o.MaxLines == 0`: the preset's 300 would become 0, no limit) or if the column's number is off
// (`i-1`: QuickBooks' Name column, the 7th, called the 5th).
func TestPresetOverrides(t *testing.T) {
	for _, c := range []struct {
		extra string
		want  int
	}{{"", 300}, {`,"maxLines":5`, 5}} {
		l, err := layout.Parse(`{"preset":"xero-manual-journal","accountMapCSV":`+testMap+c.extra+`}`, nil)
		if err != nil || l.MaxLines != c.want {
			t.Errorf("xero-manual-journal%s: MaxLines %d, %v; want %d", c.extra, l.MaxLines, err, c.want)
		}
	}
	_, err := layout.Parse(`{"preset":"quickbooks-journal-entry","accountMapCSV":`+testMap+`}`, nil)
	if err == nil || !strings.Contains(err.Error(), `column 7 ("Name")`) {
		t.Errorf("QuickBooks without meta.customer: %v; want it to name column 7", err)
	}
}
