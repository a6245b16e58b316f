package importcheck_test

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/siamledger/ledger-export/internal/bench"
	"github.com/siamledger/ledger-export/internal/importcheck"
	"github.com/siamledger/ledger-export/internal/xlsxfile"
)

// sheetCSV reads the first sheet of an XLSX file as CSV text, the way an import reads a workbook: text cells as
// their text, numbers as written, and the date columns' serial numbers as the dates they show (dd/mm/yyyy, the
// presets' number format). It reads the XML itself, so a writer bug is not hidden by a shared helper.
func sheetCSV(t *testing.T, file []byte, dateColumns ...string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(file), int64(len(file)))
	if err != nil {
		t.Fatal(err)
	}
	var sheet []byte
	for _, f := range zr.File {
		if f.Name == "xl/worksheets/sheet1.xml" {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			sheet, _ = io.ReadAll(rc)
			rc.Close()
		}
	}
	var ws struct {
		Rows []struct {
			Cells []struct {
				Ref  string `xml:"r,attr"`
				Type string `xml:"t,attr"`
				V    string `xml:"v"`
				T    string `xml:"is>t"`
			} `xml:"c"`
		} `xml:"sheetData>row"`
	}
	if err := xml.Unmarshal(sheet, &ws); err != nil {
		t.Fatalf("sheet1.xml: %v", err)
	}
	var out bytes.Buffer
	w := csv.NewWriter(&out)
	var header []string
	dates := map[int]bool{}
	for i, r := range ws.Rows {
		rec := make([]string, len(header))
		for _, c := range r.Cells {
			col := int(strings.TrimRight(c.Ref, "0123456789")[0] - 'A')
			for len(rec) <= col {
				rec = append(rec, "")
			}
			v := c.V
			if c.Type == "inlineStr" {
				v = c.T
			} else if dates[col] {
				serial, err := strconv.ParseFloat(v, 64)
				if err != nil {
					t.Fatalf("date cell %s = %q", c.Ref, v)
				}
				v = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(serial)).Format("02/01/2006")
			}
			rec[col] = v
		}
		if i == 0 {
			header = rec
			for k, h := range header {
				for _, d := range dateColumns {
					dates[k] = dates[k] || h == d
				}
			}
		}
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	return out.Bytes()
}

// TestPresetWorkbooksImport: the same demo day as TestPresetFilesImport, written as XLSX (an import reads a
// workbook's first sheet), passes each package's rules. It fails if the XLSX writer leaves the import layout's
// importer out (Medici paths as codes, 788 lines, voided journals posted) or writes a date or an amount the CSV
// would not.
func TestPresetWorkbooksImport(t *testing.T) {
	d := demoData(true)
	for _, tc := range []struct {
		name  string
		date  string
		check func([]byte) []importcheck.Problem
	}{
		{"xero-manual-journal", "*Date", xeroOrg.Check},
		{"quickbooks-journal-entry", "Journal Date", qboOrg.Check},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file, _, err := runExport(t, d, xlsxfile.Format(xlsxfile.Options{Layout: preset(t, tc.name, ""), Location: bench.Zone}))
			if err != nil {
				t.Fatalf("export: %v", err)
			}
			rows := sheetCSV(t, file, tc.date)
			for _, p := range tc.check(rows) {
				t.Errorf("%s", p)
			}
			if n := bytes.Count(rows, []byte("\n")); n < 20 {
				t.Errorf("the sheet has %d rows", n)
			}
		})
	}
}
