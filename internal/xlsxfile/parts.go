package xlsxfile

import (
	"fmt"
	"html"
	"strconv"
	"strings"

	"github.com/siamledger/ledger-export/internal/ledger"
)

// summary writes the last sheet: the date's totals, where the rows are, and the failed entries with their
// reasons. Like every byte of the file it depends only on what the calls said.
func (w *Writer) summary() {
	n := len(w.sheets) + 1
	if !w.member(fmt.Sprintf("xl/worksheets/sheet%d.xml", n)) {
		return
	}
	w.cols = []string{"A", "B", "C"}
	w.write([]byte(sheetHead + `<sheetFormatPr defaultRowHeight="15"/><cols><col min="1" max="1" width="28" customWidth="1"/><col min="2" max="2" width="30" customWidth="1"/><col min="3" max="3" width="80" customWidth="1"/></cols><sheetData>`))
	w.sheetRow = 0
	line := func(cells ...func(b []byte, col int) []byte) {
		w.sheetRow++
		b := w.startRow(w.row[:0])
		for i, c := range cells {
			b = c(b, i)
		}
		w.row = append(b, `</row>`...)
		w.write(w.row)
	}
	text := func(s string, style byte) func([]byte, int) []byte {
		return func(b []byte, col int) []byte { return w.text(b, col, s, style) }
	}
	number := func(v int64) func([]byte, int) []byte {
		return func(b []byte, col int) []byte {
			return append(strconv.AppendInt(append(w.ref(b, col), `><v>`...), v, 10), `</v></c>`...)
		}
	}
	money := func(s ledger.Sum) func([]byte, int) []byte {
		return func(b []byte, col int) []byte {
			return append(append(append(w.ref(b, col), ` s="2"><v>`...), s.String()...), `</v></c>`...)
		}
	}
	line(text("Ledger export summary", styleTitle))
	line(text("Batch date", styleHeader), text(w.opts.Date, styleText))
	exported := w.journals
	if w.imp != nil {
		exported = w.imp.Entries() // summary journals and left-out voids are not one journal an entry
	}
	line(text("Entries exported", styleHeader), number(exported))
	line(text("Entries failed", styleHeader), number(w.failed))
	line(text("Rows", styleHeader), number(w.rows))
	line(text("Debit total", styleHeader), money(w.totals.Debit))
	line(text("Credit total", styleHeader), money(w.totals.Credit))
	names := make([]string, len(w.sheets))
	for i, s := range w.sheets {
		names[i] = s.name
	}
	where := "All rows are on the sheet Entries."
	if len(w.sheets) > 1 {
		where = fmt.Sprintf("The rows are on the sheets %s: a sheet holds at most %s rows, so the rows continue on the next sheet, with the header repeated.",
			strings.Join(names, ", "), thousands(int64(w.opts.SheetRows)))
	}
	line(text("Sheets", styleHeader), text(where, styleText))
	w.sheetRow++ // an empty row
	line(text("Failed entry", styleHeader), text("Journal", styleHeader), text("Reason", styleHeader))
	if w.failed == 0 {
		line(text("No entry failed.", styleText))
	}
	for _, f := range w.failures {
		line(text(f.entryID, styleText), text(f.journalID, styleText), text(f.reason, styleText))
	}
	if more := w.failed - int64(len(w.failures)); more > 0 {
		line(text(fmt.Sprintf("… and %s more failed entries, not listed here.", thousands(more)), styleText))
	}
	if w.imp != nil && w.opts.Layout.NetsVoids() {
		w.sheetRow++ // an empty row
		v := w.imp.VoidedTotals()
		line(text("Voided, left out: debit", styleHeader), money(v.Debit))
		line(text("Voided, left out: credit", styleHeader), money(v.Credit))
		line(text("Left out entry", styleHeader), text("Journal", styleHeader), text("Why", styleHeader))
		if len(w.imp.LeftOut()) == 0 {
			line(text("No voided journal was left out.", styleText))
		}
		for _, o := range w.imp.LeftOut() {
			line(text(o.EntryID, styleText), text(o.JournalID, styleText), text(o.Reason, styleText))
		}
	}
	w.write([]byte(`</sheetData></worksheet>`))
}

// thousands writes n with comma separators: 1048576 is 1,048,576.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

const xmlHead = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n"

// parts writes the workbook's remaining parts: styles, the workbook with its sheets and the autofilters' defined
// names, the relationships and the content types. They come after the sheets, since only then are the sheets
// known; a zip archive's members may come in any order.
func (w *Writer) parts() {
	nsheets := len(w.sheets) + 1
	var wb, rels, types strings.Builder
	wb.WriteString(xmlHead + `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><bookViews><workbookView activeTab="0"/></bookViews><sheets>`)
	rels.WriteString(xmlHead + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`)
	types.WriteString(xmlHead + `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>`)
	for i := 1; i <= nsheets; i++ {
		name := "Summary"
		if i < nsheets {
			name = w.sheets[i-1].name
		}
		fmt.Fprintf(&wb, `<sheet name="%s" sheetId="%d" r:id="rId%d"/>`, name, i, i)
		fmt.Fprintf(&rels, `<Relationship Id="rId%d" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet%d.xml"/>`, i, i)
		fmt.Fprintf(&types, `<Override PartName="/xl/worksheets/sheet%d.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`, i)
	}
	wb.WriteString(`</sheets><definedNames>`)
	for i, s := range w.sheets {
		fmt.Fprintf(&wb, `<definedName name="_xlnm._FilterDatabase" localSheetId="%d" hidden="1">%s</definedName>`, i, html.EscapeString(w.filterRef(s, true)))
	}
	wb.WriteString(`</definedNames></workbook>`)
	fmt.Fprintf(&rels, `<Relationship Id="rId%d" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>`, nsheets+1)
	types.WriteString(`</Types>`)

	for _, p := range []struct{ name, body string }{
		{"xl/styles.xml", w.stylesXML()},
		{"xl/workbook.xml", wb.String()},
		{"xl/_rels/workbook.xml.rels", rels.String()},
		{"_rels/.rels", xmlHead + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
		{"[Content_Types].xml", types.String()},
	} {
		if w.member(p.name) {
			w.write([]byte(p.body))
		}
	}
}

// stylesXML is the style sheet: the cellXfs indexed by the style constants.
func (w *Writer) stylesXML() string {
	return xmlHead + `<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` +
		`<numFmts count="2"><numFmt numFmtId="164" formatCode="#,##0.00"/><numFmt numFmtId="165" formatCode="` + html.EscapeString(w.opts.Layout.ExcelDateFormat()) + `"/></numFmts>` +
		`<fonts count="3"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font><font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font><font><b/><sz val="14"/><name val="Calibri"/><family val="2"/></font></fonts>` +
		`<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>` +
		`<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>` +
		`<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>` +
		`<cellXfs count="6">` +
		`<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>` + // styleDefault
		`<xf numFmtId="49" fontId="1" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" applyFont="1"/>` + // styleHeader
		`<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>` + // styleMoney
		`<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>` + // styleTime
		`<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>` + // styleText
		`<xf numFmtId="49" fontId="2" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" applyFont="1"/>` + // styleTitle
		`</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>`
}
