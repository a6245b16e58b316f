package xlsxfile_test

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/siamledger/ledger-export/internal/csvfile"
	"github.com/siamledger/ledger-export/internal/layout"
	"github.com/siamledger/ledger-export/internal/ledger"
	"github.com/siamledger/ledger-export/internal/xlsxfile"
)

var bkk = time.FixedZone("ICT", 7*3600)

// cell is a cell as the sheet's XML holds it.
type cell struct {
	Ref     string `xml:"r,attr"`
	Type    string `xml:"t,attr"`
	Style   string `xml:"s,attr"`
	V       string `xml:"v"`
	Formula string `xml:"f"`
	Inline  struct {
		T struct {
			Space string `xml:"space,attr"`
			Text  string `xml:",chardata"`
		} `xml:"t"`
	} `xml:"is"`
}

type sheetXML struct {
	Rows []struct {
		R     int    `xml:"r,attr"`
		Cells []cell `xml:"c"`
	} `xml:"sheetData>row"`
	AutoFilter struct {
		Ref string `xml:"ref,attr"`
	} `xml:"autoFilter"`
	Pane struct {
		YSplit string `xml:"ySplit,attr"`
		State  string `xml:"state,attr"`
	} `xml:"sheetViews>sheetView>pane"`
}

type workbookXML struct {
	Sheets []struct {
		Name string `xml:"name,attr"`
	} `xml:"sheets>sheet"`
	Names []struct {
		Name  string `xml:"name,attr"`
		Sheet string `xml:"localSheetId,attr"`
		Ref   string `xml:",chardata"`
	} `xml:"definedNames>definedName"`
}

// book is a written workbook, read back with archive/zip and encoding/xml.
type book struct {
	names  []string
	sheets []sheetXML
	wb     workbookXML
	files  map[string][]byte
}

func open(t *testing.T, b []byte) book {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("the file is not a zip archive: %v", err)
	}
	bk := book{files: map[string][]byte{}}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatalf("open %s: %v", f.Name, err)
		}
		data, err := io.ReadAll(rc)
		if err != nil {
			t.Fatalf("read %s: %v", f.Name, err)
		}
		bk.files[f.Name] = data
		// Every part must be well-formed XML.
		d := xml.NewDecoder(bytes.NewReader(data))
		for {
			if _, err := d.Token(); err == io.EOF {
				break
			} else if err != nil {
				t.Fatalf("%s is not well-formed XML: %v", f.Name, err)
			}
		}
	}
	for _, p := range []string{"[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml"} {
		if bk.files[p] == nil {
			t.Fatalf("the archive has no %s", p)
		}
	}
	if err := xml.Unmarshal(bk.files["xl/workbook.xml"], &bk.wb); err != nil {
		t.Fatalf("workbook.xml: %v", err)
	}
	for i, s := range bk.wb.Sheets {
		var sx sheetXML
		name := fmt.Sprintf("xl/worksheets/sheet%d.xml", i+1)
		if err := xml.Unmarshal(bk.files[name], &sx); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		bk.names = append(bk.names, s.Name)
		bk.sheets = append(bk.sheets, sx)
	}
	return bk
}

// text returns a cell's inline text as Excel reads it (an _xHHHH_ sequence is the character U+HHHH), or "" for a
// cell of another type.
func (c cell) text() string {
	if c.Type != "inlineStr" {
		return ""
	}
	return escapeSeq.ReplaceAllStringFunc(c.Inline.T.Text, func(m string) string {
		r, _ := strconv.ParseUint(m[2:6], 16, 32)
		return string(rune(r))
	})
}

var escapeSeq = regexp.MustCompile(`_[xX][0-9A-Fa-f]{4}_`)

// byColumn indexes a row's cells by their column letters.
func byColumn(cells []cell) map[string]cell {
	m := map[string]cell{}
	for _, c := range cells {
		m[strings.TrimRight(c.Ref, "0123456789")] = c
	}
	return m
}

func journal(i int, memo string, at time.Time, amount ledger.Amount, meta ...ledger.Value) ledger.Journal {
	return ledger.Journal{
		ID: fmt.Sprintf("j%d", i), Book: "main", Memo: "journal memo", PostedAt: at, LineCount: 2,
		Lines: []ledger.Line{
			{ID: fmt.Sprintf("l%d-a", i), Account: memo, Memo: memo, PostedAt: at, Debit: amount, Meta: meta},
			{ID: fmt.Sprintf("l%d-b", i), Account: "Assets:Cash", PostedAt: at, Credit: amount, Voided: i%2 == 0, Meta: meta},
		},
	}
}

func write(t *testing.T, opts xlsxfile.Options, js []ledger.Journal, failed ...[3]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := xlsxfile.NewWriter(&buf, opts)
	for i, j := range js {
		if err := w.WriteJournal("2026-11-28", fmt.Sprintf("e%d", i+1), j); err != nil {
			t.Fatalf("WriteJournal: %v", err)
		}
	}
	for _, f := range failed {
		w.Failed(f[0], f[1], f[2], ledger.Journal{})
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return buf.Bytes()
}

// payloads a spreadsheet would change if they were not typed text: number-like, date-like, boolean-like, formula
// text, XML's special characters, Excel's own _xHHHH_ escape, white space at the edges, a line break, Thai.
var payloads = []string{
	"0012", "(100)", "1e5", "1,000", "50%", "$-1", "2026-11-28", "12/11/2026", "TRUE", "1/2", "=1+1", "+SUM(A1)",
	"@cmd", "-2", "a<b>&c\"d'", "_x0041_", "_X000d_ and _x12_", " padded ", "line\nbreak", "tab\there", "ค่าเช่า 😀",
	"", "\x00nul\x01ctl\r\ncrlf",
}

// TestCellsAreTypedAndExact reads the written sheet back: every text payload is an inline string equal to the
// text written (cleaned like the CSV, never guarded), no cell is a formula, money is a number with its exact
// decimal and the money style, posted_at is the serial of the source instant in the zone, voided a boolean, and a
// numeric meta value a number. Fails if text cells lose the inline type, get an apostrophe, if _xHHHH_ is not
// escaped, or if the serial uses UTC instead of the zone. (White space as a spreadsheet reads it, which
// encoding/xml cannot show: TestWhiteSpaceSurvivesASpreadsheet.)
func TestCellsAreTypedAndExact(t *testing.T) {
	at := time.Date(2026, 11, 28, 3, 4, 5, 678e6, time.UTC)
	var js []ledger.Journal
	amounts := []ledger.Amount{1, -1250, 150000, 999999999999999, 0}
	for i, p := range payloads {
		j := journal(i+1, p, at, amounts[i%len(amounts)], ledger.Value{Text: p}, ledger.Value{Text: "1E+3", Numeric: true})
		j.Lines[0].VoidReason, j.Lines[0].OriginalJournal = p, p
		js = append(js, j)
	}
	lay, err := layout.Parse("default", []string{"ref", "qty"})
	if err != nil {
		t.Fatal(err)
	}
	bk := open(t, write(t, xlsxfile.Options{Layout: lay, Location: bkk, Date: "2026-11-28"}, js))
	if len(bk.sheets) != 2 || bk.names[0] != "Entries" || bk.names[1] != "Summary" {
		t.Fatalf("sheets = %v, want Entries and Summary", bk.names)
	}
	for name, data := range bk.files {
		if bytes.Contains(data, []byte("<f>")) || bytes.Contains(data, []byte("<f ")) {
			t.Errorf("%s holds a formula", name)
		}
	}
	s := bk.sheets[0]
	if s.Pane.YSplit != "1" || s.Pane.State != "frozen" {
		t.Errorf("pane = %+v, want the header row frozen", s.Pane)
	}
	header := byColumn(s.Rows[0].Cells)
	for i, h := range lay.Header() {
		col := string(rune('A' + i))
		if header[col].text() != h {
			t.Errorf("header %s = %q, want %q", col, header[col].text(), h)
		}
	}
	wantSerial := 46354 + (10*3600+4*60+5.678)/86400 // 2026-11-28 10:04:05.678 in Bangkok
	for i, p := range payloads {
		want, _ := csvfile.Fit(p)
		a := byColumn(s.Rows[1+2*i].Cells)
		b := byColumn(s.Rows[2+2*i].Cells)
		for _, col := range []string{"G", "J", "L", "M", "N"} { // account, memo, void_reason, original_journal, meta.ref
			c, ok := a[col]
			want := want
			if want == "" && col == "J" {
				want = "journal memo" // a line without a memo shows its journal's
			}
			if want == "" {
				if ok {
					t.Errorf("payload %q column %s: an empty text is a cell %+v, want none", p, col, c)
				}
				continue
			}
			if c.Type != "inlineStr" || c.text() != want || c.Style != "4" {
				t.Errorf("payload %q column %s = type %q style %q %q, want the inline string %q with the text style", p, col, c.Type, c.Style, c.text(), want)
			}
		}
		amt := amounts[i%len(amounts)]
		if c := a["H"]; c.Type != "" || c.Style != "2" || c.V != amt.String() {
			t.Errorf("payload %d debit = %+v, want the number %s with the money style", i, c, amt)
		}
		if c := b["I"]; c.V != amt.String() {
			t.Errorf("payload %d credit = %q, want %s", i, c.V, amt)
		}
		if c := a["E"]; c.Style != "3" || c.Type != "" {
			t.Errorf("posted_at = %+v, want a number with the date-time style", c)
		} else if v, err := strconv.ParseFloat(c.V, 64); err != nil || math.Abs(v-wantSerial) > 1e-9 {
			t.Errorf("posted_at serial = %s, want %v", c.V, wantSerial)
		}
		if c := b["K"]; c.Type != "b" || c.V != map[bool]string{true: "1", false: "0"}[(i+1)%2 == 0] {
			t.Errorf("voided = %+v", c)
		}
		if c := a["O"]; c.Type != "" || c.V != "1E+3" {
			t.Errorf("meta.qty = %+v, want the number 1E+3", c)
		}
	}
	if got := string(bk.files["xl/worksheets/sheet1.xml"]); !strings.Contains(got, `<t>_x005F_x0041_</t>`) {
		t.Errorf("_x0041_ is not written as _x005F_x0041_")
	}
	if s.AutoFilter.Ref != fmt.Sprintf("A1:O%d", 1+2*len(payloads)) {
		t.Errorf("autofilter = %q, want A1:O%d", s.AutoFilter.Ref, 1+2*len(payloads))
	}
}

// TestSameCallsSameBytes: the file is a pure function of its calls. Fails if a timestamp, a map's order or a
// compression level that varies gets into the bytes.
func TestSameCallsSameBytes(t *testing.T) {
	at := time.Date(2026, 11, 28, 3, 4, 5, 0, time.UTC)
	js := []ledger.Journal{journal(1, "rent", at, 100), journal(2, "0012", at, 250)}
	opts := xlsxfile.Options{Location: bkk, Date: "2026-11-28", SheetRows: 3}
	a := write(t, opts, js, [3]string{"e9", "j9", "journal not found"})
	time.Sleep(1100 * time.Millisecond) // a zip timestamp taken from the clock would now differ
	b := write(t, opts, js, [3]string{"e9", "j9", "journal not found"})
	if !bytes.Equal(a, b) {
		t.Fatalf("two writes of the same journals differ (%d and %d bytes)", len(a), len(b))
	}
	zr, _ := zip.NewReader(bytes.NewReader(a), int64(len(a)))
	for _, f := range zr.File {
		if !f.Modified.Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("%s modified %v, want the fixed time", f.Name, f.Modified)
		}
	}
}

// TestRowsContinueOnTheNextSheet: past the sheet's row limit the rows go on in "Entries (2)" with the header
// repeated, each sheet's autofilter and _xlnm._FilterDatabase name cover exactly its header and rows, and the
// summary says where the rows are. Fails on an off-by-one at the limit (a sheet one row too long, a lost or
// doubled row), a missing header, or a filter range that is not the sheet's.
func TestRowsContinueOnTheNextSheet(t *testing.T) {
	at := time.Date(2026, 11, 28, 3, 4, 5, 0, time.UTC)
	var js []ledger.Journal
	for i := range 5 {
		js = append(js, journal(i+1, "rent", at, 100))
	}
	// 10 rows, 4 rows a sheet (header included): 3 + 3 + 3 + 1.
	bk := open(t, write(t, xlsxfile.Options{Location: bkk, Date: "2026-11-28", SheetRows: 4}, js))
	want := []string{"Entries", "Entries (2)", "Entries (3)", "Entries (4)", "Summary"}
	if strings.Join(bk.names, "|") != strings.Join(want, "|") {
		t.Fatalf("sheets = %v, want %v", bk.names, want)
	}
	var lines []string
	for i, s := range bk.sheets[:4] {
		if h := byColumn(s.Rows[0].Cells)["A"].text(); h != "batch_date" || s.Rows[0].R != 1 {
			t.Errorf("%s row 1 = %q, want the header", want[i], h)
		}
		for k, r := range s.Rows[1:] {
			if r.R != k+2 {
				t.Errorf("%s row numbers %d, want %d", want[i], r.R, k+2)
			}
			lines = append(lines, byColumn(r.Cells)["D"].text())
		}
		wantRef := fmt.Sprintf("A1:M%d", len(s.Rows))
		if s.AutoFilter.Ref != wantRef {
			t.Errorf("%s autofilter %q, want %q", want[i], s.AutoFilter.Ref, wantRef)
		}
		n := bk.wb.Names[i]
		if n.Name != "_xlnm._FilterDatabase" || n.Sheet != strconv.Itoa(i) || n.Ref != fmt.Sprintf("'%s'!$A$1:$M$%d", want[i], len(s.Rows)) {
			t.Errorf("defined name %d = %+v", i, n)
		}
	}
	if got := strings.Join(lines, ","); got != "l1-a,l1-b,l2-a,l2-b,l3-a,l3-b,l4-a,l4-b,l5-a,l5-b" {
		t.Errorf("lines across the sheets = %s", got)
	}
	if sum := string(bk.files["xl/worksheets/sheet5.xml"]); !strings.Contains(sum, "continue on the next sheet, with the header repeated") {
		t.Errorf("the summary does not say the rows continue on the next sheet")
	}
}

// TestLayoutColumns: a preset's columns, one signed amount and blank zero money cells, and the date format as the
// posted_at number format. Fails if the XLSX writer ignores the layout.
func TestLayoutColumns(t *testing.T) {
	at := time.Date(2026, 11, 28, 3, 4, 5, 0, time.UTC)
	lay, err := layout.Parse(`{"preset":"quickbooks-journal-entry","accountMapCSV":"account,name\nRent,Rent\nAssets:Cash,Cash\n"}`, []string{"customer"})
	if err != nil {
		t.Fatal(err)
	}
	bk := open(t, write(t, xlsxfile.Options{Layout: lay, Location: bkk, Date: "2026-11-28"}, []ledger.Journal{journal(1, "Rent", at, 150025)}))
	rows := bk.sheets[0].Rows
	if h := byColumn(rows[0].Cells); h["A"].text() != "Journal No" || h["D"].text() != "Debits" {
		t.Errorf("header = %+v", rows[0].Cells)
	}
	a, b := byColumn(rows[1].Cells), byColumn(rows[2].Cells)
	if a["A"].text() != "20261128-j1" || a["D"].V != "1500.25" || b["E"].V != "1500.25" {
		t.Errorf("rows = %+v / %+v", a, b)
	}
	if _, ok := a["E"]; ok {
		t.Errorf("a zero credit is a cell, want none with blankZero")
	}
	if !bytes.Contains(bk.files["xl/styles.xml"], []byte(`formatCode="dd/mm/yyyy"`)) {
		t.Errorf("styles.xml has no dd/mm/yyyy format: %s", bk.files["xl/styles.xml"])
	}
}

// failWriter fails every write after the first n bytes.
type failWriter struct{ n int }

func (f *failWriter) Write(p []byte) (int, error) {
	if f.n < len(p) {
		return 0, io.ErrClosedPipe
	}
	f.n -= len(p)
	return len(p), nil
}

// TestWriteErrorSticks: a failed write is reported by Close and by every later call. Fails if an error is lost.
func TestWriteErrorSticks(t *testing.T) {
	w := xlsxfile.NewWriter(&failWriter{n: 100}, xlsxfile.Options{})
	at := time.Date(2026, 11, 28, 3, 4, 5, 0, time.UTC)
	var err error
	for i := 0; i < 10000 && err == nil; i++ {
		err = w.WriteJournal("2026-11-28", "e", journal(i, strings.Repeat("x", 100), at, 1))
	}
	if err = w.Close(); err == nil {
		t.Fatal("Close() = nil after a failed write")
	}
	if err2 := w.WriteJournal("2026-11-28", "e", journal(1, "x", at, 1)); err2 == nil {
		t.Fatal("WriteJournal after a failure = nil")
	}
}
