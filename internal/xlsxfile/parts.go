package xlsxfile

import (
	"fmt"
	"html"
	"strconv"
	"strings"

	"github.com/siamledger/ledger-export/internal/ledger"
)

// summary writes the last sheet: the date's figures, where the rows are, the totals per account, and the failed
// entries with what could be read of their journals. Like every byte of the file it depends only on what the calls
// said. Its words are in Options.Language; numbers and dates are cells with the file's number formats.
func (w *Writer) summary() {
	n := len(w.sheets) + 1
	if !w.member(fmt.Sprintf("xl/worksheets/sheet%d.xml", n)) {
		return
	}
	lb := labelsFor(w.opts.Language)
	w.cols = []string{"A", "B", "C", "D", "E", "F", "G", "H"}
	b := append(w.row[:0], sheetHead+`<sheetFormatPr defaultRowHeight="15"/><cols>`...)
	for i, width := range []int{34, 26, 20, 30, 30, 18, 18, 70} {
		b = fmt.Appendf(b, `<col min="%d" max="%d" width="%d" customWidth="1"/>`, i+1, i+1, width)
	}
	w.write(append(b, `</cols><sheetData>`...))
	w.sheetRow = 0
	type cellFunc = func(b []byte, col int) []byte
	line := func(cells ...cellFunc) {
		w.sheetRow++
		b := w.startRow(w.row[:0])
		for i, c := range cells {
			if c != nil {
				b = c(b, i)
			}
		}
		w.row = append(b, `</row>`...)
		w.write(w.row)
	}
	text := func(s string, style byte) cellFunc {
		return func(b []byte, col int) []byte { return w.text(b, col, s, style) }
	}
	head := func(s string) cellFunc { return text(s, styleHeader) }
	number := func(v int64) cellFunc {
		return func(b []byte, col int) []byte {
			return append(strconv.AppendInt(append(w.ref(b, col), `><v>`...), v, 10), `</v></c>`...)
		}
	}
	money := func(s ledger.Sum) cellFunc {
		return func(b []byte, col int) []byte {
			return append(append(append(w.ref(b, col), ` s="2"><v>`...), s.String()...), `</v></c>`...)
		}
	}
	line(text(lb.title, styleTitle))
	line(head(lb.batchDate), func(b []byte, col int) []byte { return w.date(b, col, w.opts.Date) })
	exported := w.journals
	if w.imp != nil {
		exported = w.imp.Entries() // summary journals and left-out voids are not one journal an entry
	}
	line(head(lb.exported), number(exported))
	line(head(lb.failed), number(w.failed))
	line(head(lb.rows), number(w.rows))
	line(head(lb.debitTotal), money(w.totals.Debit))
	line(head(lb.creditTotal), money(w.totals.Credit))
	names := make([]string, len(w.sheets))
	for i, s := range w.sheets {
		names[i] = s.name
	}
	where := lb.allOnEntries
	if len(w.sheets) > 1 {
		where = fmt.Sprintf(lb.continued, strings.Join(names, ", "), thousands(int64(w.opts.SheetRows)))
	}
	line(head(lb.sheets), text(where, styleText))

	w.sheetRow++ // an empty row
	t := &w.accounts
	t.finish()
	line(text(lb.accountsTitle, styleHeader))
	line(head(lb.account), head(lb.debit), head(lb.credit), head(lb.net), head(lb.voidDebit), head(lb.voidCredit))
	sums := func(label string, s accountSum) {
		line(text(label, styleText), money(s.debit), money(s.credit), money(s.net), money(s.voidDebit), money(s.voidCredit))
	}
	accounts := t.names()
	if len(accounts) == 0 && !t.hasOther {
		line(text(lb.noAccounts, styleText))
	}
	for _, a := range accounts {
		sums(a, *t.byName[a])
	}
	if t.hasOther {
		sums(lb.other, t.other)
	}
	sums(lb.total, t.total)

	w.sheetRow++ // an empty row
	line(head(lb.failedEntry), head(lb.journal), head(lb.date), head(lb.memo), head(lb.accounts), head(lb.debit), head(lb.credit), head(lb.reason))
	if w.failed == 0 {
		line(text(lb.noneFailed, styleText))
	}
	for _, f := range w.failures {
		var at, debit, credit cellFunc
		if !f.at.IsZero() {
			at = func(b []byte, col int) []byte {
				return append(w.serial(append(w.ref(b, col), ` s="3"><v>`...), f.at), `</v></c>`...)
			}
		}
		if f.lines {
			debit, credit = money(f.debit), money(f.credit)
		}
		line(text(f.entryID, styleText), text(f.journalID, styleText), at, text(f.memo, styleText),
			text(f.accounts, styleText), debit, credit, text(f.reason, styleText))
	}
	if more := w.failed - int64(len(w.failures)); more > 0 {
		line(text(fmt.Sprintf(lb.more, thousands(more)), styleText))
	}
	if w.imp != nil && w.opts.Layout.NetsVoids() {
		w.sheetRow++ // an empty row
		v := w.imp.VoidedTotals()
		line(head(lb.voidLeftDebit), money(v.Debit))
		line(head(lb.voidLeftCredit), money(v.Credit))
		line(head(lb.leftOutEntry), head(lb.journal), head(lb.why))
		if len(w.imp.LeftOut()) == 0 {
			line(text(lb.noneLeftOut, styleText))
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
		`<numFmts count="4"><numFmt numFmtId="164" formatCode="#,##0.00"/><numFmt numFmtId="165" formatCode="` + html.EscapeString(w.opts.Layout.ExcelDateFormat()) + `"/>` +
		`<numFmt numFmtId="166" formatCode="yyyy-mm-dd"/><numFmt numFmtId="167" formatCode="&quot;TRUE&quot;;&quot;TRUE&quot;;&quot;FALSE&quot;"/></numFmts>` +
		`<fonts count="3"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font><font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font><font><b/><sz val="14"/><name val="Calibri"/><family val="2"/></font></fonts>` +
		`<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>` +
		`<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>` +
		`<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>` +
		`<cellXfs count="8">` +
		`<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>` + // styleDefault
		`<xf numFmtId="49" fontId="1" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" applyFont="1"/>` + // styleHeader
		`<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>` + // styleMoney
		`<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>` + // styleTime
		`<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>` + // styleText
		`<xf numFmtId="49" fontId="2" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" applyFont="1"/>` + // styleTitle
		`<xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>` + // styleDate
		`<xf numFmtId="167" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>` + // styleBool
		`</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>`
}
