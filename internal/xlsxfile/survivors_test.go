package xlsxfile_test

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/siamledger/ledger-export/internal/layout"
	"github.com/siamledger/ledger-export/internal/ledger"
	"github.com/siamledger/ledger-export/internal/xlsxfile"
)

// TestImportSummaryVoidsSection writes an import preset that nets voids (QuickBooks) and reads its summary back
// whole, row numbers included: the totals per account hold the entries the importer wrote, and after the failures
// an empty row, the voided amounts left out, and the left-out entries, or "No voided journal was left out." when
// there are none. Fails if the voids section is not written for an importer that nets voids, if its empty row's
// step goes backwards (two rows numbered alike: Excel repairs the file), if the "none left out" line is written
// when entries were left out or missing when none were, or if an entry the importer wrote is missing from the
// totals per account (WriteJournal returning before it counts the journal).
func TestImportSummaryVoidsSection(t *testing.T) {
	lay, err := layout.Parse(`{"preset":"quickbooks-journal-entry","accountMapCSV":"account,name\nRent,Rent\nAssets:Cash,Cash\n"}`, []string{"customer"})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 28, 3, 4, 5, 0, time.UTC)
	plain := journal(1, "Rent", at, 150025)
	plain.Lines[1].Voided = false
	voided := journal(2, "Rent", at, 2000)
	voided.Voided, voided.VoidReason = true, "typo"
	reversal := ledger.Journal{ID: "j3", Book: "main", Memo: "reversal", PostedAt: at, LineCount: 2, OriginalJournal: "j2",
		Lines: []ledger.Line{
			{ID: "l3-a", Account: "Assets:Cash", PostedAt: at, Debit: 2000},
			{ID: "l3-b", Account: "Rent", PostedAt: at, Credit: 2000},
		}}
	head := []string{
		"A:Ledger export summary",
		"A:Batch date | B:#46354/s6",
		"A:Entries exported | B:#%d",
		"A:Entries failed | B:#0",
		"A:Rows | B:#2",
		"A:Debit total | B:#1500.25/s2",
		"A:Credit total | B:#1500.25/s2",
		"A:Sheets | B:All rows are on the sheet Entries.",
		"A:Totals per account: the day's movement, voided amounts apart",
		"A:Account | B:Debit | C:Credit | D:Net (debit − credit) | E:Voided debit | F:Voided credit",
	}
	for _, tc := range []struct {
		name     string
		js       []ledger.Journal
		accounts []string // the rows of the totals per account, the total included
		voids    []string // the rows after the failures
	}{
		{"a void and its reversal left out", []ledger.Journal{plain, voided, reversal},
			[]string{
				"A:Assets:Cash | B:#0.00/s2 | C:#1500.25/s2 | D:#-1500.25/s2 | E:#20.00/s2 | F:#20.00/s2",
				"A:Rent | B:#1500.25/s2 | C:#0.00/s2 | D:#1500.25/s2 | E:#20.00/s2 | F:#20.00/s2",
				"A:Total | B:#1500.25/s2 | C:#1500.25/s2 | D:#0.00/s2 | E:#40.00/s2 | F:#40.00/s2",
			},
			[]string{
				"A:Voided, left out: debit | B:#40.00/s2",
				"A:Voided, left out: credit | B:#40.00/s2",
				"A:Left out entry | B:Journal | C:Why",
				"A:e2 | B:j2 | C:voided (typo), left out with its reversal j3",
				"A:e3 | B:j3 | C:reversal of voided journal j2, left out with it",
			}},
		{"nothing left out", []ledger.Journal{plain},
			[]string{
				"A:Assets:Cash | B:#0.00/s2 | C:#1500.25/s2 | D:#-1500.25/s2 | E:#0.00/s2 | F:#0.00/s2",
				"A:Rent | B:#1500.25/s2 | C:#0.00/s2 | D:#1500.25/s2 | E:#0.00/s2 | F:#0.00/s2",
				"A:Total | B:#1500.25/s2 | C:#1500.25/s2 | D:#0.00/s2 | E:#0.00/s2 | F:#0.00/s2",
			},
			[]string{
				"A:Voided, left out: debit | B:#0.00/s2",
				"A:Voided, left out: credit | B:#0.00/s2",
				"A:Left out entry | B:Journal | C:Why",
				"A:No voided journal was left out.",
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bk := writeFailed(t, xlsxfile.Options{Layout: lay, Location: bkk, Date: "2026-11-28"}, tc.js)
			sum := bk.sheets[len(bk.sheets)-1]
			want := append([]string{}, head...)
			want[2] = fmt.Sprintf(want[2], len(tc.js))
			want = append(want, tc.accounts...)
			want = append(want, "A:Failed entry | B:Journal | C:Date | D:Memo | E:Accounts | F:Debit | G:Credit | H:Reason",
				"A:No entry failed.")
			want = append(want, tc.voids...)
			if got := rendered(sum); strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("summary =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			// 1 to 8, an empty row, the totals' title, header and accounts, an empty row, the failures' header and
			// its one row, an empty row, then the voids section: every number once, rising.
			var wantR []int
			r := 0
			for _, n := range []int{8, 2 + len(tc.accounts), 2, len(tc.voids)} {
				for range n {
					r++
					wantR = append(wantR, r)
				}
				r++ // the empty row
			}
			var gotR []int
			for _, row := range sum.Rows {
				gotR = append(gotR, row.R)
			}
			if fmt.Sprint(gotR) != fmt.Sprint(wantR) {
				t.Errorf("summary row numbers = %v, want %v", gotR, wantR)
			}
		})
	}
}

// TestSummaryColumns: the summary sheet's eight <col> elements each name their own column, 1 to 8, with its
// width. Fails if a column's min or max is off by one (a <col min="0">, or columns 0 to 6: Excel repairs the
// file, dropping the widths).
func TestSummaryColumns(t *testing.T) {
	bk := writeFailed(t, xlsxfile.Options{Location: bkk, Date: "2026-11-28"}, nil)
	sum := bk.files[fmt.Sprintf("xl/worksheets/sheet%d.xml", len(bk.sheets))]
	got := regexp.MustCompile(`<col [^>]*/>`).FindAll(sum, -1)
	want := ""
	for i, w := range []int{34, 26, 20, 30, 30, 18, 18, 70} {
		want += fmt.Sprintf(`<col min="%d" max="%d" width="%d" customWidth="1"/>`, i+1, i+1, w)
	}
	if string(bytes.Join(got, nil)) != want {
		t.Errorf("summary columns = %s, want %s", bytes.Join(got, nil), want)
	}
}

// TestBatchDatesDifferWithinAFile: each date cell is the serial of its own batch date, when rows of two batch
// dates share a file and when the summary's date (Options.Date) is another day again. Fails if the writer keeps
// the serial of the first date it wrote for a later, different date.
func TestBatchDatesDifferWithinAFile(t *testing.T) {
	at := time.Date(2026, 11, 28, 3, 4, 5, 0, time.UTC)
	var buf bytes.Buffer
	w := xlsxfile.NewWriter(&buf, xlsxfile.Options{Location: bkk, Date: "2026-11-30"})
	for i, d := range []string{"2026-11-28", "2026-11-28", "2026-11-29"} {
		if err := w.WriteJournal(d, fmt.Sprintf("e%d", i+1), journal(i+1, "rent", at, 100)); err != nil {
			t.Fatalf("WriteJournal: %v", err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	bk := open(t, buf.Bytes())
	var got []string
	for _, r := range bk.sheets[0].Rows[1:] {
		got = append(got, byColumn(r.Cells)["A"].V)
	}
	got = append(got, byColumn(bk.sheets[len(bk.sheets)-1].Rows[1].Cells)["B"].V)
	// 46354 is 2026-11-28; two rows a journal.
	if want := "46354,46354,46354,46354,46355,46355,46356"; strings.Join(got, ",") != want {
		t.Errorf("batch date serials = %s, want %s", strings.Join(got, ","), want)
	}
}

// TestFailedEntryTextsAtTheLimit: a failed entry's memo and account list of exactly 500 characters are shown
// whole; one more and they are cut to 499 and an ellipsis. Fails if a text of exactly the limit is cut.
func TestFailedEntryTextsAtTheLimit(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want string
	}{
		{499, strings.Repeat("ค", 499)},
		{500, strings.Repeat("ค", 500)},
		{501, strings.Repeat("ค", 499) + "…"},
	} {
		s := strings.Repeat("ค", tc.n)
		j := ledger.Journal{ID: "j1", Memo: s, LineCount: -1, Lines: []ledger.Line{{ID: "l", Account: s, Debit: 1}}}
		bk := writeFailed(t, xlsxfile.Options{Location: bkk, Date: "2026-11-28"}, nil, failedEntry{"e1", "j1", "journal does not balance", j})
		rows := bk.sheets[len(bk.sheets)-1].Rows
		c := byColumn(rows[len(rows)-1].Cells)
		if c["D"].text() != tc.want || c["E"].text() != tc.want {
			t.Errorf("%d characters: memo %d and accounts %d characters, want %d", tc.n,
				len([]rune(c["D"].text())), len([]rune(c["E"].text())), len([]rune(tc.want)))
		}
	}
}
