package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/siamledger/ledger-export/internal/csvfile"
	"github.com/siamledger/ledger-export/internal/csvfile/csvtest"
	"github.com/siamledger/ledger-export/internal/layout"
	"github.com/siamledger/ledger-export/internal/ledger"
	"github.com/siamledger/ledger-export/internal/xlsxfile"
)

// checkXLSX writes the journals as an XLSX workbook with the project's writer (xlsxfile.NewWriter) and reads it
// with two independent readers: LibreOffice Calc (converted to .fods, as for the CSV) and Python's openpyxl. In
// both, and with no exception for number-like payloads:
//
//   - no cell is a formula;
//   - every text cell is exactly the payload as csvfile.Fit makes it (cleaned and capped, never guarded), so
//     "0012", "(100)", "1e5" and "12/11/2026" stay text;
//   - every amount is a number with the exact value, with the #,##0.00 format;
//   - posted_at is a date-time equal to the source instant in the zone;
//   - batch_date is a date (the batch date, with the yyyy-mm-dd format);
//   - voided is a boolean, the numeric meta column a number.
//
// It returns the problems found.
func checkXLSX(bin, python, dir string, payloads []csvtest.Payload, journals []ledger.Journal) ([]string, error) {
	path := filepath.Join(dir, "typed.xlsx")
	var buf bytes.Buffer
	lay, err := layout.Parse("default", metaColumns)
	if err != nil {
		return nil, err
	}
	w := xlsxfile.NewWriter(&buf, xlsxfile.Options{Layout: lay, Location: bangkok(), Date: "2026-11-28"})
	for i, j := range journals {
		if err := w.WriteJournal("2026-11-28", fmt.Sprintf("e%03d", i+1), j); err != nil {
			return nil, fmt.Errorf("write %s: %w", path, err)
		}
	}
	w.Failed("e999", "j999", "journal not found", ledger.Journal{})
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}

	var failures []string
	if n, err := formulaElements(buf.Bytes()); err != nil {
		return nil, err
	} else if n > 0 {
		failures = append(failures, fmt.Sprintf("[xlsx] the file holds %d formula elements", n))
	}
	out := filepath.Join(dir, "xlsx")
	if err := convert(bin, mode{name: "xlsx", lang: "C.UTF-8"}, out, path); err != nil {
		return nil, fmt.Errorf("LibreOffice: %w", err)
	}
	rows, err := load(filepath.Join(out, "typed.fods"))
	if err != nil {
		return nil, fmt.Errorf("LibreOffice: %w", err)
	}
	// LibreOffice has no boolean cell type: it imports an OOXML boolean cell (t="b") as the formula =TRUE() or
	// =FALSE() with a boolean format. Those, and only those, count as booleans, not as formulas; the file itself
	// holds no formula (formulaElements above, and openpyxl below).
	booleans := 0
	for _, row := range rows {
		for i, c := range row {
			if c.Formula == "of:=TRUE()" || c.Formula == "of:=FALSE()" {
				row[i] = Cell{Type: "boolean", Text: strings.TrimSuffix(strings.TrimPrefix(c.Formula, "of:="), "()")}
				booleans++
			}
		}
	}
	lo := &typedChecker{reader: "LibreOffice", payloads: payloads, journals: journals}
	lo.check(rows)
	failures = append(failures, lo.failures...)
	fmt.Printf("spreadsheet-check: [xlsx, LibreOffice] %d cells checked, %d formulas, %d text cells not exact (%d booleans, which LibreOffice shows as =TRUE() or =FALSE())\n",
		lo.checked, lo.formulas, lo.inexact, booleans)

	rows, err = readOpenpyxl(python, path)
	if err != nil {
		return nil, fmt.Errorf("openpyxl: %w", err)
	}
	op := &typedChecker{reader: "openpyxl", payloads: payloads, journals: journals}
	op.check(rows)
	failures = append(failures, op.failures...)
	fmt.Printf("spreadsheet-check: [xlsx, openpyxl] %d cells checked, %d formulas, %d text cells not exact\n", op.checked, op.formulas, op.inexact)
	return failures, nil
}

// openpyxlScript prints the first sheet's cells as JSON, in the shape of Cell: a formula cell's formula, the type
// (string, float, date, boolean), the value of a number, the ISO date-time of a date, the text of a string, and
// the number format in Value's place for dates (so the check can see the format).
const openpyxlScript = `
import json, sys, datetime, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
ws = wb.worksheets[0]
rows = []
for row in ws.iter_rows():
    out = []
    for c in row:
        v = c.value
        d = {"Formula": "", "Type": "", "Value": "", "Date": "", "Text": "", "Format": c.number_format}
        if c.data_type == "f" or (isinstance(v, str) and v.startswith("=") and c.data_type != "s"):
            d["Formula"] = str(v)
        elif v is None:
            pass
        elif isinstance(v, bool):
            d["Type"], d["Text"] = "boolean", "true" if v else "false"
        elif isinstance(v, datetime.datetime):
            d["Type"], d["Date"] = "date", v.isoformat()
        elif isinstance(v, (int, float)):
            d["Type"], d["Value"] = "float", repr(v)
        else:
            d["Type"], d["Text"] = "string", str(v)
        out.append(d)
    while out and out[-1]["Type"] == "" and out[-1]["Formula"] == "":
        out.pop()
    rows.append(out)
json.dump({"version": openpyxl.__version__, "rows": rows}, sys.stdout)
`

// readOpenpyxl reads the workbook's first sheet with openpyxl.
func readOpenpyxl(python, path string) ([][]Cell, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, python, "-c", openpyxlScript, path)
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s: %w\n%s", python, err, stderr.String())
	}
	var res struct {
		Version string
		Rows    [][]struct {
			Cell
			Format string
		}
	}
	if err := json.Unmarshal(b, &res); err != nil {
		return nil, fmt.Errorf("read openpyxl's output: %w", err)
	}
	fmt.Printf("spreadsheet-check: openpyxl %s\n", res.Version)
	rows := make([][]Cell, len(res.Rows))
	for i, r := range res.Rows {
		for _, c := range r {
			c.Cell.Format = c.Format
			if c.Type == "string" {
				// openpyxl 3.0 returns a string as the file holds it; Excel and LibreOffice decode its _xHHHH_
				// escapes (ECMA-376 Part 1, 22.4.2.4 ST_Xstring), and so does the check, as they do.
				c.Text = xstring.ReplaceAllStringFunc(c.Text, func(m string) string {
					r, _ := strconv.ParseUint(m[2:6], 16, 32)
					return string(rune(r))
				})
			}
			rows[i] = append(rows[i], c.Cell)
		}
	}
	return rows, nil
}

var xstring = regexp.MustCompile(`_x[0-9A-Fa-f]{4}_`)

// formulaElements counts the formula elements (<f>) in every XML part of the workbook.
func formulaElements(b []byte) (int, error) {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return 0, fmt.Errorf("the xlsx is not a zip archive: %w", err)
	}
	n := 0
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			return 0, fmt.Errorf("open %s: %w", f.Name, err)
		}
		d := xml.NewDecoder(rc)
		for {
			tok, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				rc.Close()
				return 0, fmt.Errorf("%s is not well-formed XML: %w", f.Name, err)
			}
			if s, ok := tok.(xml.StartElement); ok && s.Name.Local == "f" {
				n++
			}
		}
		rc.Close()
	}
	return n, nil
}

// findPython returns a Python 3 that can import openpyxl: python3 on the PATH, else Debian's /usr/bin/python3
// (where apt's python3-openpyxl goes).
func findPython() (string, error) {
	for _, p := range []string{"python3", "/usr/bin/python3"} {
		if exec.Command(p, "-c", "import openpyxl").Run() == nil {
			return p, nil
		}
	}
	return "", errors.New("no python3 with openpyxl; make spreadsheet-check installs Debian's python3-openpyxl")
}

// typedChecker checks the Entries sheet of the typed workbook as one reader saw it.
type typedChecker struct {
	reader   string
	payloads []csvtest.Payload
	journals []ledger.Journal
	failures []string
	checked  int
	formulas int
	inexact  int
}

func (c *typedChecker) fail(format string, args ...any) {
	c.failures = append(c.failures, fmt.Sprintf("[xlsx, %s] ", c.reader)+fmt.Sprintf(format, args...))
}

func (c *typedChecker) check(rows [][]Cell) {
	if len(rows) != 1+2*len(c.journals) {
		c.fail("the sheet has %d rows, want %d", len(rows), 1+2*len(c.journals))
	}
	header := csvfile.Header(metaColumns)
	at := c.journals[0].PostedAt.In(bangkok()).Format("2006-01-02T15:04:05")
	for r := range min(len(rows), 1+2*len(c.journals)) {
		row := rows[r]
		cell := func(col int) Cell {
			if col < len(row) {
				return row[col]
			}
			return Cell{}
		}
		for _, cl := range row {
			c.checked++
			if cl.Formula != "" {
				c.formulas++
				c.fail("row %d holds a formula: %s", r+1, cl.Formula)
			}
		}
		if r == 0 {
			for col, h := range header {
				if x := cell(col); x.Type != "string" || x.Text != h {
					c.fail("header column %d is %s %q, want %q", col+1, x.Type, x.Text, h)
				}
			}
			continue
		}
		i := (r - 1) / 2
		p := c.payloads[i]
		line := c.journals[i].Lines[(r-1)%2]
		if x := cell(colLineID); x.Text != line.ID {
			c.fail("row %d holds line %q, want %q (rows shifted)", r+1, x.Text, line.ID)
			continue
		}
		for _, m := range []struct {
			col int
			a   ledger.Amount
		}{{colDebit, line.Debit}, {colCredit, line.Credit}} {
			x := cell(m.col)
			got, err := strconv.ParseFloat(x.Value, 64)
			if x.Type != "float" || err != nil || spreadsheetValue(x.Value) != spreadsheetValue(m.a.String()) {
				c.fail("row %d column %d (amount %s) is %s %q, want the number %s", r+1, m.col+1, m.a, x.Type, x.Value, m.a)
			}
			if c.reader == "openpyxl" && x.Format != "#,##0.00" {
				c.fail("row %d column %d has the number format %q, want #,##0.00", r+1, m.col+1, x.Format)
			}
			if digits(m.a) <= 15 && strconv.FormatFloat(got, 'f', 2, 64) != m.a.String() {
				c.fail("row %d column %d (amount %s) reads back as %s", r+1, m.col+1, m.a, strconv.FormatFloat(got, 'f', 2, 64))
			}
		}
		if x := cell(colQty); x.Type != "float" || spreadsheetValue(line.Meta[1].Text) != spreadsheetValue(x.Value) {
			c.fail("row %d meta.qty %q is %s %q, want the number", r+1, line.Meta[1].Text, x.Type, x.Value)
		}
		if x := cell(colPostedAt); x.Type != "date" || !strings.HasPrefix(x.Date, at) || strings.TrimRight(strings.TrimPrefix(x.Date, at), ".0") != "" {
			c.fail("row %d posted_at is %s %q, want the date-time %s", r+1, x.Type, x.Date, at)
		}
		voided := strconv.FormatBool(line.Voided || c.journals[i].Voided)
		if x := cell(colVoided); x.Type != "boolean" || !strings.EqualFold(x.Text, voided) {
			c.fail("row %d voided is %s %q, want the boolean %s", r+1, x.Type, x.Text, voided)
		}
		if x := cell(colBatchDate); x.Type != "date" || !strings.HasPrefix(x.Date, "2026-11-28") || strings.Trim(strings.TrimPrefix(x.Date, "2026-11-28"), "T0:.") != "" {
			c.fail("row %d batch_date is %s %q %q, want the date 2026-11-28", r+1, x.Type, x.Date, x.Text)
		} else if c.reader == "openpyxl" && x.Format != "yyyy-mm-dd" {
			c.fail("row %d batch_date has the number format %q, want yyyy-mm-dd", r+1, x.Format)
		}
		texts := map[int]string{colEntryID: fmt.Sprintf("e%03d", i+1), colJournalID: c.journals[i].ID, colBook: "main"}
		if (r-1)%2 == 0 {
			texts[colAccount], texts[colMemo], texts[colRef] = p.Value, p.Value, p.Value
			texts[colVoidReason], texts[colOriginalJournal] = p.Value, ""
		} else {
			texts[colAccount], texts[colMemo], texts[colRef] = "Assets:Cash", c.journals[i].Memo, "ok"
			texts[colVoidReason], texts[colOriginalJournal] = "", line.OriginalJournal
		}
		for col, v := range texts {
			want, _ := csvfile.Fit(v)
			x := cell(col)
			if want == "" && x.Empty() || x.Type == "string" && x.Text == want {
				continue
			}
			c.inexact++
			c.fail("row %d column %d (payload line %d, %s): shows %s %.60q, want the text %.60q", r+1, col+1, p.Line, p.Class, x.Type, x.Text, want)
		}
	}
}
