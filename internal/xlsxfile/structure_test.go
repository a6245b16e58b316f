package xlsxfile_test

import (
	"encoding/xml"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/siamledger/ledger-export/internal/layout"
	"github.com/siamledger/ledger-export/internal/ledger"
	"github.com/siamledger/ledger-export/internal/xlsxfile"
)

// TestWideLayoutColumns: a layout of 31 columns (the 13 fixed ones and 18 meta columns) gets the column letters A
// to Z, then AA to AE, in every cell reference, the autofilter and the column widths (<col min max> numbered from
// 1, one per column). Fails if the letters go wrong past Z (a bijective base-26 slip) or a <col> element names
// another column.
func TestWideLayoutColumns(t *testing.T) {
	var meta []string
	for i := range 18 {
		meta = append(meta, fmt.Sprintf("m%02d", i))
	}
	lay, err := layout.Parse("default", meta)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 28, 3, 4, 5, 0, time.UTC)
	var vals []ledger.Value
	for i := range 18 {
		vals = append(vals, ledger.Value{Text: fmt.Sprintf("v%02d", i)})
	}
	bk := open(t, write(t, xlsxfile.Options{Layout: lay, Location: bkk, Date: "2026-11-28"}, []ledger.Journal{journal(1, "rent", at, 100, vals...)}))
	s := bk.sheets[0]
	letters := strings.Split("A B C D E F G H I J K L M N O P Q R S T U V W X Y Z AA AB AC AD AE", " ")
	var got []string
	for _, c := range s.Rows[0].Cells {
		got = append(got, c.Ref)
	}
	var want []string
	for _, l := range letters {
		want = append(want, l+"1")
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("header refs = %v, want %v", got, want)
	}
	if c := byColumn(s.Rows[1].Cells)["AE"]; c.text() != "v17" {
		t.Errorf("cell AE2 = %+v, want meta.m17's v17", c)
	}
	if s.AutoFilter.Ref != "A1:AE3" {
		t.Errorf("autofilter = %q, want A1:AE3", s.AutoFilter.Ref)
	}
	var cols struct {
		Cols []struct {
			Min string `xml:"min,attr"`
			Max string `xml:"max,attr"`
		} `xml:"cols>col"`
	}
	if err := xml.Unmarshal(bk.files["xl/worksheets/sheet1.xml"], &cols); err != nil {
		t.Fatal(err)
	}
	if len(cols.Cols) != 31 {
		t.Fatalf("%d <col> elements, want 31", len(cols.Cols))
	}
	for i, c := range cols.Cols {
		if c.Min != fmt.Sprint(i+1) || c.Max != fmt.Sprint(i+1) {
			t.Errorf("<col> %d covers %s to %s, want %d", i, c.Min, c.Max, i+1)
		}
	}
}

// TestColumnWidthFitsItsHeader: a column is at least as wide as its header and the filter button (4 characters
// more), up to 60. Fails if the margin is subtracted (a long header then hides under the filter button) or the cap
// is lost.
func TestColumnWidthFitsItsHeader(t *testing.T) {
	lay, err := layout.Parse(`{"columns":[{"header":"`+strings.Repeat("h", 30)+`","field":"memo"},{"header":"`+strings.Repeat("w", 80)+`","field":"book"},{"header":"x","field":"account"}]}`, nil)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 28, 3, 4, 5, 0, time.UTC)
	bk := open(t, write(t, xlsxfile.Options{Layout: lay, Location: bkk}, []ledger.Journal{journal(1, "rent", at, 100)}))
	widths := regexp.MustCompile(`<col min="\d+" max="\d+" width="(\d+)"`).FindAllSubmatch(bk.files["xl/worksheets/sheet1.xml"], -1)
	var got []string
	for _, w := range widths {
		got = append(got, string(w[1]))
	}
	if strings.Join(got, ",") != "40,60,28" { // memo's own 40 > 34; 84 capped to 60; account's own 28
		t.Errorf("widths = %v, want 40, 60, 28", got)
	}
	lay2, _ := layout.Parse(`{"columns":[{"header":"`+strings.Repeat("h", 50)+`","field":"memo"}]}`, nil)
	bk = open(t, write(t, xlsxfile.Options{Layout: lay2, Location: bkk}, []ledger.Journal{journal(1, "rent", at, 100)}))
	if !strings.Contains(string(bk.files["xl/worksheets/sheet1.xml"]), `width="54"`) {
		t.Errorf("a 50-character header's column is not 54 wide: %s", regexp.MustCompile(`<cols>.*</cols>`).Find(bk.files["xl/worksheets/sheet1.xml"]))
	}
}

// TestPackageStructure: across several sheets, only the first is the selected tab; the workbook's relationships
// have unique ids, each sheet's r:id names its own part, and styles.xml has a relationship of its own. Fails if
// every sheet but the first is selected (Excel opens with several tabs grouped), or if the styles relationship
// reuses a sheet's id (the package is corrupt: Excel repairs it, dropping the styles).
func TestPackageStructure(t *testing.T) {
	at := time.Date(2026, 11, 28, 3, 4, 5, 0, time.UTC)
	bk := open(t, write(t, xlsxfile.Options{Location: bkk, SheetRows: 3}, []ledger.Journal{journal(1, "a", at, 1), journal(2, "b", at, 1)}))
	if len(bk.names) != 3 {
		t.Fatalf("sheets = %v, want 2 entry sheets and the summary", bk.names)
	}
	for i := range 3 {
		sel := strings.Contains(string(bk.files[fmt.Sprintf("xl/worksheets/sheet%d.xml", i+1)]), `tabSelected="1"`)
		if sel != (i == 0) {
			t.Errorf("sheet %d tabSelected %t, want only the first", i+1, sel)
		}
	}
	var rels struct {
		Rel []struct {
			ID     string `xml:"Id,attr"`
			Type   string `xml:",attr"`
			Target string `xml:",attr"`
		} `xml:"Relationship"`
	}
	if err := xml.Unmarshal(bk.files["xl/_rels/workbook.xml.rels"], &rels); err != nil {
		t.Fatal(err)
	}
	targets := map[string]string{}
	for _, r := range rels.Rel {
		if _, dup := targets[r.ID]; dup {
			t.Errorf("relationship id %s used twice", r.ID)
		}
		targets[r.ID] = r.Target
		if bk.files["xl/"+r.Target] == nil {
			t.Errorf("relationship %s targets %s, which is not in the package", r.ID, r.Target)
		}
	}
	ids := regexp.MustCompile(`<sheet name="[^"]+" sheetId="(\d+)" r:id="(rId\d+)"/>`).FindAllSubmatch(bk.files["xl/workbook.xml"], -1)
	for i, m := range ids {
		if want := fmt.Sprintf("worksheets/sheet%d.xml", i+1); targets[string(m[2])] != want {
			t.Errorf("sheet %d's %s targets %q, want %s", i+1, m[2], targets[string(m[2])], want)
		}
	}
	if len(rels.Rel) != 4 || !strings.Contains(string(bk.files["xl/_rels/workbook.xml.rels"]), `Target="styles.xml"`) {
		t.Errorf("relationships = %+v, want three sheets and the styles", rels.Rel)
	}
}

// TestSummaryRowsAndSheetSize: the summary's rows are numbered 1 to 8, then 10 on (row 9 is left empty), and
// after the totals per account one more row is left empty, never a number twice; and with rows on several sheets it names the sheet size with thousands separators. Fails if the empty
// row's step goes backwards (two rows numbered alike: Excel repairs the file) or the size is written as ",100".
func TestSummaryRowsAndSheetSize(t *testing.T) {
	at := time.Date(2026, 11, 28, 3, 4, 5, 0, time.UTC)
	var js []ledger.Journal
	for i := range 60 {
		js = append(js, journal(i+1, "rent", at, 100))
	}
	bk := open(t, write(t, xlsxfile.Options{Location: bkk, SheetRows: 100}, js, [3]string{"e7", "j7", "journal not found"}))
	sum := bk.sheets[len(bk.sheets)-1]
	var rs []string
	for _, r := range sum.Rows {
		rs = append(rs, fmt.Sprint(r.R))
	}
	// 10 the totals' title, 11 their header, 12 and 13 the accounts, 14 the total; 16 the failures' header, 17 e7.
	if got := strings.Join(rs, ","); got != "1,2,3,4,5,6,7,8,10,11,12,13,14,16,17" {
		t.Errorf("summary row numbers = %s, want 1 to 8, 10 to 14, then 16 and 17", got)
	}
	if sizes := byColumn(sum.Rows[7].Cells)["B"].text(); !strings.Contains(sizes, "a sheet holds at most 100 rows") {
		t.Errorf("summary's sheets row = %q, want it to say at most 100 rows", sizes)
	}
}

// TestSheetRowsBounds: a SheetRows of 1 (no room for a row under the header) or less means Excel's limit, not a
// sheet per row. Fails if 1 is taken as a size.
func TestSheetRowsBounds(t *testing.T) {
	at := time.Date(2026, 11, 28, 3, 4, 5, 0, time.UTC)
	for _, n := range []int{1, 0, -5} {
		bk := open(t, write(t, xlsxfile.Options{Location: bkk, SheetRows: n}, []ledger.Journal{journal(1, "a", at, 1), journal(2, "b", at, 1)}))
		if len(bk.names) != 2 || len(bk.sheets[0].Rows) != 5 {
			t.Errorf("SheetRows %d: sheets %v, want all 4 rows and the header on Entries", n, bk.names)
		}
	}
}

// TestZeroTimeGetsASerial: a posted_at of Go's zero time (0001-01-01, a date BSON can hold) and one far in the
// future are written as their serial numbers like any other, even as the file's first time cell. Fails if the
// cached serial is taken for the zero time before any was computed (an empty <v>, which Excel refuses), or if the
// day count saturates (time.Duration holds only ±292 years: 0001-01-01 came out as -106751, 2400-01-01 as
// 2192-04-11).
func TestZeroTimeGetsASerial(t *testing.T) {
	bk := open(t, write(t, xlsxfile.Options{Location: time.UTC}, []ledger.Journal{journal(1, "a", time.Time{}, 1)}))
	c := byColumn(bk.sheets[0].Rows[1].Cells)["E"]
	if c.V != "-693593" { // 1899-12-30 minus 693,593 days (Go's time.Time{}.Unix() is -62135596800)
		t.Errorf("posted_at of the zero time = %q, want the serial -693593", c.V)
	}
	bk = open(t, write(t, xlsxfile.Options{Location: time.UTC}, []ledger.Journal{journal(1, "a", time.Date(2400, 1, 1, 12, 0, 0, 0, time.UTC), 1)}))
	if c := byColumn(bk.sheets[0].Rows[1].Cells)["E"]; c.V != "182623.5" { // 182,623 days after 1899-12-30, and half a day
		t.Errorf("posted_at 2400-01-01 12:00 = %q, want the serial 182623.5", c.V)
	}
}

// TestEscapeSequenceBounds: the underscore of _xHHHH_ is escaped exactly when the four characters are hex digits,
// at the edges of each range (0 9 a f A F) and just outside them (/ : ` g @ G). Fails on an off-by-one in a range
// (then _x0000_ or _xFFFF_ shows as a control or other character in Excel, or a harmless _x/000_ is altered).
func TestEscapeSequenceBounds(t *testing.T) {
	at := time.Date(2026, 11, 28, 3, 4, 5, 0, time.UTC)
	hex := []string{"0000", "9999", "aaaa", "ffff", "AAAA", "FFFF", "09af", "AF90"}
	not := []string{"/000", ":000", "`000", "g000", "@000", "G000", "000/", "000:", "000`", "000g", "000@", "000G"}
	var js []ledger.Journal
	for i, h := range append(append([]string{}, hex...), not...) {
		js = append(js, journal(i+1, "_x"+h+"_", at, 1))
	}
	sheet := string(open(t, write(t, xlsxfile.Options{Location: bkk}, js)).files["xl/worksheets/sheet1.xml"])
	for _, h := range hex {
		if !strings.Contains(sheet, "<t>_x005F_x"+h+"_</t>") {
			t.Errorf("_x%s_ is not escaped", h)
		}
	}
	for _, h := range not {
		if !strings.Contains(sheet, "<t>_x"+h+"_</t>") || strings.Contains(sheet, "_x005F_x"+h) {
			t.Errorf("_x%s_ (not hex) is escaped", h)
		}
	}
}
