package xlsxfile_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/siamledger/ledger-export/internal/csvfile"
	"github.com/siamledger/ledger-export/internal/layout"
	"github.com/siamledger/ledger-export/internal/ledger"
	"github.com/siamledger/ledger-export/internal/xlsxfile"
)

// excelText is a text cell's value as Excel and LibreOffice show it. Unlike encoding/xml, which keeps every
// character of a <t> element, they drop the white space at the edges of the text unless the element says
// xml:space="preserve" (which is why spreadsheet writers set the attribute on such text). The test's reader does
// the same: without the attribute, the edges are trimmed.
func excelText(c cell) string {
	s := c.text()
	if c.Inline.T.Space != "preserve" {
		s = strings.Trim(s, " \t\r\n")
	}
	return s
}

// TestWhiteSpaceSurvivesASpreadsheet: text with white space at either edge, or holding a tab or a line break,
// reads back in a spreadsheet as written, and text without is written without the attribute. Fails if
// xml:space="preserve" is never written, or only for leading (not trailing) white space, or for none of the edge
// cases: the spreadsheet would show " padded " as "padded" and "trailing " as "trailing".
func TestWhiteSpaceSurvivesASpreadsheet(t *testing.T) {
	at := time.Date(2026, 11, 28, 3, 4, 5, 0, time.UTC)
	texts := []string{" padded ", "trailing ", " leading", "tab\there", "line\nbreak", "plain"}
	var js []ledger.Journal
	for i, s := range texts {
		js = append(js, journal(i+1, s, at, 100))
	}
	bk := open(t, write(t, xlsxfile.Options{Location: bkk, Date: "2026-11-28"}, js))
	rows := bk.sheets[0].Rows
	for i, s := range texts {
		c := byColumn(rows[1+2*i].Cells)["G"] // account: the payload
		if got := excelText(c); got != s {
			t.Errorf("%q reads back in a spreadsheet as %q (xml:space=%q)", s, got, c.Inline.T.Space)
		}
		if wantPreserve := s != "plain"; (c.Inline.T.Space == "preserve") != wantPreserve {
			t.Errorf("%q: xml:space=%q, want preserve %t", s, c.Inline.T.Space, wantPreserve)
		}
	}
}

// TestTruncatedRepeatsAreCounted: a cut cell repeated down a journal and onto the next sheet (the column cache
// writes it again without cutting it again) counts once per cell, as the CSV writer counts it. Fails if a repeated
// cut cell is not counted, so the export's truncated count (and its warning) would be too low.
func TestTruncatedRepeatsAreCounted(t *testing.T) {
	at := time.Date(2026, 11, 28, 3, 4, 5, 0, time.UTC)
	long := strings.Repeat("x", csvfile.MaxCell+10)
	var buf bytes.Buffer
	w := xlsxfile.NewWriter(&buf, xlsxfile.Options{Location: bkk, SheetRows: 3}) // a header and 2 rows a sheet
	for i := range 3 {
		j := ledger.Journal{ID: fmt.Sprintf("j%d", i), Book: "main", Memo: long, PostedAt: at, LineCount: 2, Lines: []ledger.Line{
			{ID: fmt.Sprintf("l%d-a", i), Account: "6100", PostedAt: at, Debit: 1},
			{ID: fmt.Sprintf("l%d-b", i), Account: "1000", PostedAt: at, Credit: 1},
		}}
		if err := w.WriteJournal("2026-11-28", "e", j); err != nil {
			t.Fatal(err)
		}
	}
	if got := w.Truncated(); got != 6 { // the memo of 6 lines on 3 sheets
		t.Errorf("Truncated() = %d, want 6", got)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	bk := open(t, buf.Bytes())
	if len(bk.sheets) != 4 {
		t.Fatalf("sheets = %v, want 3 entry sheets and the summary", bk.names)
	}
	for i, s := range bk.sheets[:3] {
		for _, r := range s.Rows[1:] {
			if m := byColumn(r.Cells)["J"].text(); m == long || len(m) == 0 {
				t.Errorf("sheet %d row %d: the memo is not the cut text (%d bytes)", i+1, r.R, len(m))
			}
		}
	}
}

// TestFailureListCap: the summary lists MaxListedFailures failed entries and says how many more there are; it
// counts them all. Fails on an off-by-one at the cap (10,001 listed, and no "1 more" line) or a lost count.
func TestFailureListCap(t *testing.T) {
	var buf bytes.Buffer
	w := xlsxfile.NewWriter(&buf, xlsxfile.Options{Location: bkk, Date: "2026-11-28"})
	for i := range 10001 {
		w.Failed(fmt.Sprintf("e%d", i), "", "journal not found", ledger.Journal{})
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	bk := open(t, buf.Bytes())
	sum := bk.sheets[len(bk.sheets)-1]
	listed := 0
	var last string
	for _, r := range sum.Rows {
		c := byColumn(r.Cells)
		if c["H"].text() == "journal not found" {
			listed++
		}
		last = c["A"].text()
		if c["A"].text() == "Entries failed" && c["B"].V != "10001" {
			t.Errorf("Entries failed = %q, want 10001", c["B"].V)
		}
	}
	if listed != 10000 || xlsxfile.MaxListedFailures != 10000 {
		t.Errorf("the summary lists %d failed entries, want 10,000", listed)
	}
	if want := "… and 1 more failed entries, not listed here."; last != want {
		t.Errorf("the summary's last row = %q, want %q", last, want)
	}
}

// TestSheetHoldsExcelsRowLimit writes 1,048,576 line rows in the default sheet size: the first sheet holds
// Excel's limit, 1,048,576 rows with its header (the last numbered 1048576), and the last line goes on to
// "Entries (2)" after its header. A larger sheet size is capped to the limit. Fails if MaxRows is not Excel's
// 1,048,576 (Excel refuses to open a sheet with more rows, and cuts them), or the cap lets a larger SheetRows
// through. About 2 s; skipped under -race (60 s there, and the code runs on one goroutine): go test without
// -race and make mutate run it.
func TestSheetHoldsExcelsRowLimit(t *testing.T) {
	if raceEnabled {
		t.Skip("a million rows under the race detector take a minute; run without -race")
	}
	lay, err := layout.Parse(`{"columns":[{"header":"line","field":"line_id"}]}`, nil)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 28, 3, 4, 5, 0, time.UTC)
	j := ledger.Journal{ID: "j", Book: "main", PostedAt: at, LineCount: 1024, Lines: make([]ledger.Line, 1024)}
	for i := range j.Lines {
		j.Lines[i] = ledger.Line{ID: "l", Account: "a", PostedAt: at}
	}
	for _, rows := range []int{0, 1048577} {
		var buf bytes.Buffer
		w := xlsxfile.NewWriter(&buf, xlsxfile.Options{Layout: lay, Location: bkk, Date: "2026-11-28", SheetRows: rows})
		for range 1024 {
			if err := w.WriteJournal("2026-11-28", "e", j); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		files := unzip(t, buf.Bytes())
		if names := regexp.MustCompile(`<sheet name="([^"]+)"`).FindAllSubmatch(files["xl/workbook.xml"], -1); len(names) != 3 || string(names[1][1]) != "Entries (2)" {
			t.Fatalf("SheetRows %d: %d sheets, want Entries, Entries (2) and Summary", rows, len(names))
		}
		first, second := files["xl/worksheets/sheet1.xml"], files["xl/worksheets/sheet2.xml"]
		if !bytes.Contains(first, []byte(`<row r="1048576"><c r="A1048576" s="4" t="inlineStr"><is><t>l</t></is></c></row></sheetData><autoFilter ref="A1:A1048576"/>`)) {
			t.Errorf("SheetRows %d: the first sheet does not end with row 1048576: ...%s", rows, first[max(0, len(first)-200):])
		}
		if bytes.Count(second, []byte("<row ")) != 2 || !bytes.Contains(second, []byte(`<row r="2"><c r="A2" s="4" t="inlineStr"><is><t>l</t></is></c></row></sheetData>`)) {
			t.Errorf("SheetRows %d: the second sheet is not the header and one row: %s", rows, second[max(0, len(second)-300):])
		}
	}
}

// unzip returns the archive's members without parsing them (a sheet of a million rows is too slow to decode).
func unzip(t *testing.T, b []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		if out[f.Name], err = io.ReadAll(rc); err != nil {
			t.Fatal(err)
		}
		rc.Close()
	}
	return out
}
