package xlsxfile_test

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/siamledger/ledger-export/internal/layout"
	"github.com/siamledger/ledger-export/internal/ledger"
	"github.com/siamledger/ledger-export/internal/xlsxfile"
)

// failedEntry is one Failed call.
type failedEntry struct {
	entry, journal, reason string
	j                      ledger.Journal
}

// writeFailed writes js, then the failed entries, and returns the workbook read back.
func writeFailed(t *testing.T, opts xlsxfile.Options, js []ledger.Journal, failed ...failedEntry) book {
	t.Helper()
	var buf bytes.Buffer
	w := xlsxfile.NewWriter(&buf, opts)
	for i, j := range js {
		if err := w.WriteJournal("2026-11-28", fmt.Sprintf("e%d", i+1), j); err != nil {
			t.Fatalf("WriteJournal: %v", err)
		}
	}
	for _, f := range failed {
		w.Failed(f.entry, f.journal, f.reason, f.j)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return open(t, buf.Bytes())
}

// rendered is a sheet's rows as text: each cell as COLUMN:value, where a text cell's value is its text and any
// other cell's is #value, followed by /s and its style index when it has one.
func rendered(s sheetXML) []string {
	var rows []string
	for _, r := range s.Rows {
		var cells []string
		for _, c := range r.Cells {
			col := strings.TrimRight(c.Ref, "0123456789")
			v := c.text()
			if c.Type != "inlineStr" {
				v = "#" + c.V
				if c.Style != "" {
					v += "/s" + c.Style
				}
			}
			cells = append(cells, col+":"+v)
		}
		rows = append(rows, strings.Join(cells, " | "))
	}
	return rows
}

// TestSummarySheet: the summary holds the date as a date cell, the counts, the totals as numbers, the totals per
// account, and every failed entry with its reason and what was read of its journal: the date-time in the zone,
// the memo, the accounts and the debit and credit sums, blank where nothing was read (never a 0 or a date of
// 1899). Nothing in it changes between attempts. Fails if Failed calls are dropped, if the journal's details are
// not shown or land in the wrong columns, if an unread date or amount is written as a cell, or if a total is
// wrong.
func TestSummarySheet(t *testing.T) {
	at := time.Date(2026, 11, 28, 3, 4, 5, 0, time.UTC)
	js := []ledger.Journal{journal(1, "rent", at, 150025), journal(2, "fee", at, 75)}
	unbalanced := ledger.Journal{ID: "j7", Memo: "ซื้อวัสดุ", PostedAt: at, LineCount: -1, Lines: []ledger.Line{
		{ID: "l7a", Account: "Expenses:Supplies", PostedAt: at, Debit: 10000},
		{ID: "l7b", Account: "Assets:Cash", PostedAt: at, Credit: 9999},
		{ID: "l7c", Account: "Expenses:Supplies", PostedAt: at, Debit: 1},
	}}
	bk := writeFailed(t, xlsxfile.Options{Location: bkk, Date: "2026-11-28"}, js,
		failedEntry{"e7", "j7", "journal does not balance: debit 100.01, credit 99.99", unbalanced},
		failedEntry{"e8", "", "journal not found", ledger.Journal{}},
		failedEntry{"e9", "j9", "malformed document: journal j9: datetime is missing", ledger.Journal{ID: "j9", Memo: "m9", LineCount: -1}})
	serial := strconv.FormatFloat(46354+float64(10*3600+4*60+5)/86400, 'f', -1, 64) // 10:04:05 in Bangkok
	want := []string{
		"A:Ledger export summary",
		"A:Batch date | B:#46354/s6",
		"A:Entries exported | B:#2",
		"A:Entries failed | B:#3",
		"A:Rows | B:#4",
		"A:Debit total | B:#1501.00/s2",
		"A:Credit total | B:#1501.00/s2",
		"A:Sheets | B:All rows are on the sheet Entries.",
		"A:Totals per account: the day's movement, voided amounts apart",
		"A:Account | B:Debit | C:Credit | D:Net (debit − credit) | E:Voided debit | F:Voided credit",
		// journal 2's credit line is voided (the test journals void the second line of every even journal)
		"A:Assets:Cash | B:#0.00/s2 | C:#1500.25/s2 | D:#-1500.25/s2 | E:#0.00/s2 | F:#0.75/s2",
		"A:fee | B:#0.75/s2 | C:#0.00/s2 | D:#0.75/s2 | E:#0.00/s2 | F:#0.00/s2",
		"A:rent | B:#1500.25/s2 | C:#0.00/s2 | D:#1500.25/s2 | E:#0.00/s2 | F:#0.00/s2",
		"A:Total | B:#1501.00/s2 | C:#1500.25/s2 | D:#0.75/s2 | E:#0.00/s2 | F:#0.75/s2",
		"A:Failed entry | B:Journal | C:Date | D:Memo | E:Accounts | F:Debit | G:Credit | H:Reason",
		"A:e7 | B:j7 | C:#" + serial + "/s3 | D:ซื้อวัสดุ | E:Expenses:Supplies, Assets:Cash | F:#100.01/s2 | G:#99.99/s2 | H:journal does not balance: debit 100.01, credit 99.99",
		"A:e8 | H:journal not found",
		"A:e9 | B:j9 | D:m9 | H:malformed document: journal j9: datetime is missing",
	}
	sum := bk.sheets[len(bk.sheets)-1]
	if got := rendered(sum); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("summary rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if regexp.MustCompile(`20\d\d-\d\d-\d\dT`).Match(bk.files[fmt.Sprintf("xl/worksheets/sheet%d.xml", len(bk.sheets))]) {
		t.Errorf("the summary holds a timestamp")
	}
}

// TestAccountTotalsVoidsApart: the totals per account hold the day's movement exactly, with the voided amounts
// apart. A voided journal's lines are in the voided columns only; so is its reversal (Medici's
// _original_journal) when both are in the file, whichever comes first, since they net to zero and an import leaves
// both out; a reversal of a journal voided on an earlier date is live, since it moves today's balances. Amounts of
// 10^15 baht and a satang add up exactly. Fails if voided lines are counted live, if a same-file reversal is live
// (Assets:Cash would net -750.00), if an earlier date's reversal is set apart, if the sums go through float64
// (2000000000000000.02 cannot be held), or if the total row is not the sum of the accounts.
func TestAccountTotalsVoidsApart(t *testing.T) {
	at := time.Date(2026, 11, 28, 3, 4, 5, 0, time.UTC)
	two := func(id, debit, credit string, a ledger.Amount) ledger.Journal {
		return ledger.Journal{ID: id, PostedAt: at, LineCount: -1, Lines: []ledger.Line{
			{ID: id + "a", Account: debit, PostedAt: at, Debit: a}, {ID: id + "b", Account: credit, PostedAt: at, Credit: a}}}
	}
	rev2 := two("R2", "Assets:Cash", "Expenses:Supplies", 20000)
	for i := range rev2.Lines {
		rev2.Lines[i].OriginalJournal = "J2" // on the lines only, as the mapper may find it
	}
	j2 := two("J2", "Expenses:Supplies", "Assets:Cash", 20000)
	j2.Voided, j2.VoidReason = true, "บันทึกซ้ำ"
	rev0 := two("R0", "Assets:Cash", "Sales", 5000)
	rev0.OriginalJournal = "J0" // voided on an earlier date: not in this file
	js := []ledger.Journal{
		rev2, // the reversal before its voided journal
		two("J1", "Expenses:Rent", "Assets:Cash", 100000),
		j2,
		rev0,
		two("J3", "Assets:Bank", "Equity", 100000000000000001),
		two("J4", "Assets:Bank", "Equity", 100000000000000001),
	}
	bk := writeFailed(t, xlsxfile.Options{Location: bkk, Date: "2026-11-28"}, js)
	want := strings.Join([]string{
		"A:Account | B:Debit | C:Credit | D:Net (debit − credit) | E:Voided debit | F:Voided credit",
		"A:Assets:Bank | B:#2000000000000000.02/s2 | C:#0.00/s2 | D:#2000000000000000.02/s2 | E:#0.00/s2 | F:#0.00/s2",
		"A:Assets:Cash | B:#50.00/s2 | C:#1000.00/s2 | D:#-950.00/s2 | E:#200.00/s2 | F:#200.00/s2",
		"A:Equity | B:#0.00/s2 | C:#2000000000000000.02/s2 | D:#-2000000000000000.02/s2 | E:#0.00/s2 | F:#0.00/s2",
		"A:Expenses:Rent | B:#1000.00/s2 | C:#0.00/s2 | D:#1000.00/s2 | E:#0.00/s2 | F:#0.00/s2",
		"A:Expenses:Supplies | B:#0.00/s2 | C:#0.00/s2 | D:#0.00/s2 | E:#200.00/s2 | F:#200.00/s2",
		"A:Sales | B:#0.00/s2 | C:#50.00/s2 | D:#-50.00/s2 | E:#0.00/s2 | F:#0.00/s2",
		"A:Total | B:#2000000000001050.02/s2 | C:#2000000000001050.02/s2 | D:#0.00/s2 | E:#400.00/s2 | F:#400.00/s2",
	}, "\n")
	rows := rendered(bk.sheets[len(bk.sheets)-1])
	got := strings.Join(rows[9:min(len(rows), 17)], "\n")
	if got != want {
		t.Errorf("totals per account:\n%s\nwant:\n%s", got, want)
	}
}

// TestAccountTotalsBounded: past MaxAccounts accounts, the rest are added into one "Other accounts" row, and the
// total still covers every line. Fails if the account list grows without bound (memory), or if the lines of the
// accounts past the cap are lost from the total.
func TestAccountTotalsBounded(t *testing.T) {
	at := time.Date(2026, 11, 28, 3, 4, 5, 0, time.UTC)
	var js []ledger.Journal
	for i := range xlsxfile.MaxAccounts + 1 {
		js = append(js, ledger.Journal{ID: fmt.Sprintf("j%d", i), PostedAt: at, LineCount: -1, Lines: []ledger.Line{
			{ID: "a", Account: fmt.Sprintf("Expenses:%05d", i), PostedAt: at, Debit: 100},
			{ID: "b", Account: "Assets:Cash", PostedAt: at, Credit: 100}}})
	}
	bk := writeFailed(t, xlsxfile.Options{Location: bkk, Date: "2026-11-28"}, js)
	accounts, other, total := 0, "", ""
	inTotals := false
	for _, r := range bk.sheets[len(bk.sheets)-1].Rows {
		c := byColumn(r.Cells)
		switch a := c["A"].text(); {
		case a == "Account":
			inTotals = true
		case a == "Other accounts":
			other = c["B"].V
		case a == "Total":
			total = c["B"].V + "/" + c["C"].V
			inTotals = false
		case inTotals:
			accounts++
		}
	}
	// Assets:Cash and Expenses:00000 to 09998 are listed; Expenses:09999 and 10000 are the other accounts.
	if accounts != xlsxfile.MaxAccounts || other != "2.00" || total != "10001.00/10001.00" {
		t.Errorf("%d accounts listed, other accounts' debit %q, total %q; want %d, 2.00 and 10001.00/10001.00", accounts, other, total, xlsxfile.MaxAccounts)
	}
}

// TestBatchDateIsADateCell: batch_date is a date cell (the whole-number Excel serial of the date, exact, with the
// yyyy-mm-dd number format) on every row, in the default layout and in a JSON layout, and on the summary. Fails if
// it is written as text, if the serial is a day off (Excel's 1900 leap-year quirk: 2026-11-28 is 46354), or if the
// style does not carry the date format.
func TestBatchDateIsADateCell(t *testing.T) {
	at := time.Date(2026, 11, 28, 3, 4, 5, 0, time.UTC)
	custom, err := layout.Parse(`{"columns":[{"header":"Ref","field":"journal_id"},{"header":"Day","field":"batch_date"}]}`, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		lay  layout.Layout
		col  string
	}{{"default", layout.Layout{}, "A"}, {"custom", custom, "B"}} {
		bk := writeFailed(t, xlsxfile.Options{Layout: tc.lay, Location: bkk, Date: "2026-11-28"},
			[]ledger.Journal{journal(1, "rent", at, 100), journal(2, "fee", at, 5)})
		for i, r := range bk.sheets[0].Rows[1:] {
			if c := byColumn(r.Cells)[tc.col]; c.Type != "" || c.Style != "6" || c.V != "46354" {
				t.Errorf("%s: row %d batch_date = %+v, want the number 46354 with style 6", tc.name, i+2, c)
			}
		}
		if c := byColumn(bk.sheets[len(bk.sheets)-1].Rows[1].Cells)["B"]; c.Type != "" || c.Style != "6" || c.V != "46354" {
			t.Errorf("%s: the summary's batch date = %+v, want the number 46354 with style 6", tc.name, c)
		}
		styles := string(bk.files["xl/styles.xml"])
		if !strings.Contains(styles, `<numFmt numFmtId="166" formatCode="yyyy-mm-dd"/>`) || xf(styles, 6) == "" || !strings.Contains(xf(styles, 6), `numFmtId="166"`) {
			t.Errorf("%s: style 6 is %q, want the yyyy-mm-dd format 166 (styles: %s)", tc.name, xf(styles, 6), styles)
		}
	}
}

// xf returns the i-th cell format (from 0) of styles.xml's cellXfs.
func xf(styles string, i int) string {
	_, after, _ := strings.Cut(styles, "<cellXfs")
	xfs := regexp.MustCompile(`<xf [^>]*/>`).FindAllString(after, -1)
	if i >= len(xfs) {
		return ""
	}
	return xfs[i]
}

// TestVoidedCellsAreBooleanOnEveryRow: every row has a voided cell, a boolean TRUE or FALSE, in the default and in
// a JSON layout: a line without the field is FALSE, a line of a voided journal TRUE even when the line itself is
// not marked. The cells' style shows "TRUE" and "FALSE" even to a reader that takes the boolean for the number 1
// or 0. Fails if a row lacks the cell (an empty cell), if a cell is a number, or if the style lacks the format.
func TestVoidedCellsAreBooleanOnEveryRow(t *testing.T) {
	at := time.Date(2026, 11, 28, 3, 4, 5, 0, time.UTC)
	voidedJournal := journal(3, "rent", at, 100)
	voidedJournal.Voided = true
	js := []ledger.Journal{journal(1, "rent", at, 100), journal(2, "fee", at, 5), voidedJournal}
	want := []string{"0", "0", "0", "1", "1", "1"}
	custom, err := layout.Parse(`{"columns":[{"header":"Ref","field":"journal_id"},{"header":"Void","field":"voided"}]}`, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		lay  layout.Layout
		col  string
	}{{"default", layout.Layout{}, "K"}, {"custom", custom, "B"}} {
		bk := writeFailed(t, xlsxfile.Options{Layout: tc.lay, Location: bkk, Date: "2026-11-28"}, js)
		rows := bk.sheets[0].Rows[1:]
		if len(rows) != len(want) {
			t.Fatalf("%s: %d rows, want %d", tc.name, len(rows), len(want))
		}
		for i, r := range rows {
			if c, ok := byColumn(r.Cells)[tc.col]; !ok || c.Type != "b" || c.Style != "7" || c.V != want[i] {
				t.Errorf("%s: row %d voided = %+v (present %v), want the boolean %s with style 7", tc.name, i+2, c, ok, want[i])
			}
		}
		styles := string(bk.files["xl/styles.xml"])
		if !strings.Contains(styles, `<numFmt numFmtId="167" formatCode="&quot;TRUE&quot;;&quot;TRUE&quot;;&quot;FALSE&quot;"/>`) || !strings.Contains(xf(styles, 7), `numFmtId="167"`) {
			t.Errorf("%s: style 7 is %q, want the TRUE/FALSE format 167", tc.name, xf(styles, 7))
		}
	}
}

// TestSummaryInThai: with Language "th" the Summary sheet's words are Thai, while the numbers, the dates and the
// entry sheets are the same bytes as in English: the layout's headers are what an import reads, so they are never
// translated. Fails if Language is ignored, if a header of the entry sheet is translated, or if a number or a
// date is written differently in Thai.
func TestSummaryInThai(t *testing.T) {
	at := time.Date(2026, 11, 28, 3, 4, 5, 0, time.UTC)
	js := []ledger.Journal{journal(1, "rent", at, 150025)}
	failed := failedEntry{"e7", "j7", "journal not found", ledger.Journal{}}
	en := writeFailed(t, xlsxfile.Options{Location: bkk, Date: "2026-11-28"}, js, failed)
	th := writeFailed(t, xlsxfile.Options{Location: bkk, Date: "2026-11-28", Language: xlsxfile.Thai}, js, failed)
	if !bytes.Equal(en.files["xl/worksheets/sheet1.xml"], th.files["xl/worksheets/sheet1.xml"]) {
		t.Errorf("the entry sheet differs between English and Thai")
	}
	sum := th.sheets[len(th.sheets)-1]
	for _, c := range []struct {
		row       int
		col, want string
	}{
		{0, "A", "สรุปการส่งออกบัญชีแยกประเภท"}, {3, "A", "รายการที่ไม่สำเร็จ"}, {5, "A", "ยอดรวมเดบิต"},
		{9, "B", "เดบิต"}, {9, "C", "เครดิต"}, {12, "A", "ยอดรวม"}, {13, "H", "สาเหตุ"},
	} {
		if got := byColumn(sum.Rows[c.row].Cells)[c.col].text(); got != c.want {
			t.Errorf("Thai summary row %d column %s = %q, want %q", c.row+1, c.col, got, c.want)
		}
	}
	// With every text cell taken out, the two summaries are the same bytes: numbers and dates alike.
	strip := regexp.MustCompile(`<c r="[A-Z]+\d+" s="\d" t="inlineStr"><is><t[^>]*>[^<]*</t></is></c>`)
	a := strip.ReplaceAll(en.files["xl/worksheets/sheet2.xml"], nil)
	b := strip.ReplaceAll(th.files["xl/worksheets/sheet2.xml"], nil)
	if !bytes.Equal(a, b) || !bytes.Contains(a, []byte(`<v>46354</v>`)) {
		t.Errorf("the summaries' numbers differ between English and Thai:\n%s\n%s", a, b)
	}
}

// TestFailedEntryTextsShortened: a failed entry's memo and account list are kept to 500 characters, the cut marked
// with an ellipsis, since up to 10,000 failures wait in memory until the summary is written. Fails if a memo is
// kept whole (32,767 characters each would hold hundreds of MiB) or cut one character off the limit.
func TestFailedEntryTextsShortened(t *testing.T) {
	long := strings.Repeat("ค", 600)
	j := ledger.Journal{ID: "j1", Memo: long, LineCount: -1, Lines: []ledger.Line{{ID: "l", Account: long, Debit: 1}}}
	bk := writeFailed(t, xlsxfile.Options{Location: bkk, Date: "2026-11-28"}, nil, failedEntry{"e1", "j1", "journal does not balance", j})
	rows := bk.sheets[len(bk.sheets)-1].Rows
	c := byColumn(rows[len(rows)-1].Cells)
	want := strings.Repeat("ค", 499) + "…"
	if c["D"].text() != want || c["E"].text() != want {
		t.Errorf("memo %d and accounts %d characters, want both %d ending in …", len([]rune(c["D"].text())), len([]rune(c["E"].text())), 500)
	}
}
