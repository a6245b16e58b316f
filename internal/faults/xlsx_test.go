package faults

import (
	"archive/zip"
	"bytes"
	"reflect"
	"testing"
)

// TestXLSXRows reads a hand-made workbook with every kind of cell the reader handles: a shared string, an inline
// string in rich-text runs, a number, and a row whose cells skip a column. Ignoring the cell reference, an
// off-by-one shared index or dropping the runs fails it.
func TestXLSXRows(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	add := func(name, body string) {
		f, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	add("xl/sharedStrings.xml", `<?xml version="1.0" encoding="UTF-8"?>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="3" uniqueCount="3">
<si><t>entry_id</t></si><si><t>line_id</t></si><si><r><t>ค่า</t></r><r><t>สินค้า</t></r></si></sst>`)
	add("xl/worksheets/sheet1.xml", `<?xml version="1.0" encoding="UTF-8"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="inlineStr"><is><t>memo</t></is></c></row>
<row r="2"><c r="A2" t="inlineStr"><is><r><t>65a</t></r><r><t>0ff</t></r></is></c><c r="C2" t="s"><v>2</v></c></row>
<row r="3"><c r="B3"><v>42.5</v></c></row>
</sheetData></worksheet>`)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := xlsxRows(buf.Bytes())
	if err != nil {
		t.Fatalf("xlsxRows: %v", err)
	}
	want := [][]string{{"entry_id", "line_id", "memo"}, {"65a0ff", "", "ค่าสินค้า"}, {"", "42.5"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rows = %q, want %q", got, want)
	}
	if _, err := xlsxRows([]byte("entry_id,line_id\r\n")); err == nil {
		t.Error("a CSV file read as xlsx gave no error")
	}
}
