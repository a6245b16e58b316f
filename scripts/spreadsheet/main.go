// Command spreadsheet opens the CSV the export writes in a real spreadsheet, LibreOffice Calc (headless), the way
// the accountant does, and checks what the spreadsheet made of it. `make spreadsheet-check` installs LibreOffice
// when it is missing and runs this.
//
// It writes every payload of internal/csvfile/testdata/payloads.txt through a memo, an account name and a meta
// column with the project's own encoder (csvfile.NewWriter), next to amount cells and a numeric meta column, then
// has soffice convert the file to flat OpenDocument (.fods) under several import settings and reads the cells:
//
//   - no cell is a formula;
//   - every amount and numeric meta cell is a number with the exact value;
//   - every text cell shows exactly the text the encoder wrote (Thai, emoji, combining marks, quotes, commas and
//     line breaks included), except payloads of a class csvtest.Convertible names, which may become numbers or dates;
//   - the header is right and every row has the same number of columns and its own line id.
//
// As a control, the same journals are written with the guard off (csvfile.Options.Plain) and must produce formulas:
// a check that could not see a formula would prove nothing.
//
// Then the same journals are written as XLSX (xlsxfile) and read by LibreOffice and by Python's openpyxl, two
// independent readers; there every payload, number- and date-like ones included, must come back as the exact text
// (see xlsx.go).
//
// Usage: go run ./scripts/spreadsheet [-corpus FILE] [-keep DIR] [-report FILE] [-soffice PATH] [-formats csv,xlsx]
package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"math"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/siamledger/ledger-export/internal/csvfile"
	"github.com/siamledger/ledger-export/internal/csvfile/csvtest"
	"github.com/siamledger/ledger-export/internal/ledger"
)

// mode is one way of opening the CSV: the filter options LibreOffice's Text CSV import takes on the command line
// (separators, text delimiter, character set, first line, column formats, language, quoted field as text, detect
// special numbers, and, as the 13th token, evaluate formulas), and the locale soffice runs in.
type mode struct {
	name   string
	filter string // empty: --infilter is not given
	lang   string
}

var modes = []mode{
	// What the Text Import dialog preselects for this file on a Thai desktop: the BOM makes it choose UTF-8
	// (76), comma, the Thai locale (1054), special numbers detected and formulas evaluated.
	{"th-TH, UTF-8, comma, detect special numbers, evaluate formulas", "CSV:44,34,76,1,,1054,false,true,false,false,false,-1,true", "C.UTF-8"},
	// A user who left tab, comma and semicolon all ticked as separators, in an English locale.
	{"en-US, UTF-8, tab+comma+semicolon, detect special numbers, evaluate formulas", "CSV:9/44/59,34,76,1,,1033,false,true,false,false,false,-1,true", "C.UTF-8"},
	// The filter's own defaults: character set from the (UTF-8) system locale, system language, formulas evaluated.
	{"filter defaults, system charset (C.UTF-8)", "CSV:44,34,0,1", "C.UTF-8"},
}

// metaColumns are the meta columns written: a text one that carries the payload and a numeric one.
var metaColumns = []string{"ref", "qty"}

// amounts cycle through the rows: negative, zero, large and the smallest unit.
var amounts = []ledger.Amount{0, -1, -1250, 150000, 999999999999999, -999999999999999, 98765432101234, 10, 1, 100000000, 9999999999999999, -50}

// quantities cycle through the numeric meta column, as the mapper renders int32, double and Decimal128 values.
var quantities = []string{"-3", "0.07", "1E+3", "-1.5E-7", "42", "1234567.89", "-0", "12345678901234567890"}

// A row's columns, by index in csvfile.Header(metaColumns).
const (
	colBatchDate = iota
	colEntryID
	colJournalID
	colLineID
	colPostedAt
	colBook
	colAccount
	colDebit
	colCredit
	colMemo
	colVoided
	colVoidReason
	colOriginalJournal
	colRef
	colQty
	numColumns
)

func main() {
	corpus := flag.String("corpus", "internal/csvfile/testdata/payloads.txt", "payload file")
	keep := flag.String("keep", "", "directory to keep the CSV and .fods files in (default: a temporary one, removed)")
	report := flag.String("report", "", "file to write the Markdown protection table to")
	soffice := flag.String("soffice", "soffice", "LibreOffice's soffice command")
	formats := flag.String("formats", "csv,xlsx", "the formats to check, comma-separated")
	flag.Parse()
	if err := run(*corpus, *keep, *report, *soffice, *formats); err != nil {
		fmt.Fprintln(os.Stderr, "spreadsheet-check: FAILED:", err)
		os.Exit(1)
	}
}

func run(corpus, keep, report, soffice, formats string) error {
	start := time.Now()
	payloads, err := csvtest.Load(corpus)
	if err != nil {
		return err
	}
	if len(payloads) < 150 {
		return fmt.Errorf("%s has %d payloads, want at least 150", corpus, len(payloads))
	}
	bin, err := exec.LookPath(soffice)
	if err != nil {
		return fmt.Errorf("LibreOffice is not installed (%s not found); make spreadsheet-check installs it: %w", soffice, err)
	}
	dir := keep
	if dir == "" {
		if dir, err = os.MkdirTemp("", "spreadsheet-check-*"); err != nil {
			return fmt.Errorf("temporary directory: %w", err)
		}
		defer os.RemoveAll(dir)
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("keep directory: %w", err)
	}
	version, _ := exec.Command(bin, "--version").Output()
	fmt.Printf("spreadsheet-check: %s", version)
	fmt.Printf("spreadsheet-check: %d payloads × 3 text columns (memo, account, meta.ref), %d rows, %d columns\n",
		len(payloads), 2*len(payloads), numColumns)

	journals := build(payloads)
	files := map[string]string{"guarded": filepath.Join(dir, "guarded.csv"), "plain": filepath.Join(dir, "plain.csv")}
	want := map[string][][]string{}
	for name, path := range files {
		recs, err := writeCSV(path, journals, csvfile.Options{Meta: metaColumns, Location: bangkok(), Plain: name == "plain"})
		if err != nil {
			return err
		}
		want[name] = recs
	}
	if err := checkEncoder(payloads, want["guarded"]); err != nil {
		return err
	}

	var failures []string
	results := map[string][]classResult{}
	checkModes := modes
	if !slices.Contains(strings.Split(formats, ","), "csv") {
		checkModes = nil
	}
	for i, m := range checkModes {
		out := filepath.Join(dir, fmt.Sprintf("mode%d", i+1))
		if err := convert(bin, m, out, files["guarded"], files["plain"]); err != nil {
			return fmt.Errorf("%s: %w", m.name, err)
		}
		guarded, err := load(filepath.Join(out, "guarded.fods"))
		if err != nil {
			return fmt.Errorf("%s: %w", m.name, err)
		}
		plain, err := load(filepath.Join(out, "plain.fods"))
		if err != nil {
			return fmt.Errorf("%s: %w", m.name, err)
		}
		c := &checker{mode: m.name, payloads: payloads, journals: journals}
		c.checkGuarded(guarded, want["guarded"])
		formulas := c.checkPlain(plain)
		failures = append(failures, c.failures...)
		results[m.name] = c.summary(guarded, plain)
		fmt.Printf("spreadsheet-check: [%s] %d cells checked, %d formulas, %d text cells converted to numbers or dates; without the guard: %d formulas\n",
			m.name, c.checked, c.formulas, c.converted, formulas)
	}
	if report != "" && checkModes != nil {
		if err := os.WriteFile(report, []byte(table(results[modes[0].name])), 0o644); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
	}
	if checkModes != nil {
		printTable(results[modes[0].name])
	}
	if slices.Contains(strings.Split(formats, ","), "xlsx") {
		python, err := findPython()
		if err != nil {
			return err
		}
		typed, err := checkXLSX(bin, python, dir, payloads, journals)
		if err != nil {
			return fmt.Errorf("xlsx: %w", err)
		}
		failures = append(failures, typed...)
	}
	if len(failures) > 0 {
		const show = 400
		for _, f := range failures[:min(show, len(failures))] {
			fmt.Fprintln(os.Stderr, "spreadsheet-check:", f)
		}
		if len(failures) > show {
			fmt.Fprintf(os.Stderr, "spreadsheet-check: ... and %d more\n", len(failures)-show)
		}
		return fmt.Errorf("%d problems", len(failures))
	}
	fmt.Printf("spreadsheet-check: passed: %d payloads × 3 columns × %d CSV import settings and the XLSX in LibreOffice and openpyxl, no formula, every XLSX text exact, in %s\n",
		len(payloads), len(modes), time.Since(start).Round(time.Second))
	return nil
}

func bangkok() *time.Location {
	if loc, err := time.LoadLocation("Asia/Bangkok"); err == nil {
		return loc
	}
	return time.FixedZone("ICT", 7*3600)
}

// build makes one balanced journal per payload: line a carries the payload as account, memo, void_reason and
// meta.ref, line b books the other side to a plain account and names an original journal, as a reversal's line does.
func build(payloads []csvtest.Payload) []ledger.Journal {
	at := time.Date(2026, 11, 28, 3, 4, 5, 0, time.UTC)
	js := make([]ledger.Journal, len(payloads))
	for i, p := range payloads {
		a := amounts[i%len(amounts)]
		qty := quantities[i%len(quantities)]
		js[i] = ledger.Journal{
			ID: fmt.Sprintf("j%03d", i+1), Book: "main", Memo: "ค่าเช่า", PostedAt: at, LineCount: 2,
			Lines: []ledger.Line{
				{ID: fmt.Sprintf("p%03d-a", i+1), Account: p.Value, Memo: p.Value, PostedAt: at, Debit: a,
					Meta: []ledger.Value{{Text: p.Value}, {Text: qty, Numeric: true}}, VoidReason: p.Value},
				{ID: fmt.Sprintf("p%03d-b", i+1), Account: "Assets:Cash", PostedAt: at, Credit: a,
					Meta: []ledger.Value{{Text: "ok"}, {Text: qty, Numeric: true}}, OriginalJournal: fmt.Sprintf("o%03d", i+1)},
			},
		}
	}
	return js
}

// writeCSV writes the journals with the project's encoder and reads the file back with encoding/csv, strictly:
// the records are what the file says each cell holds.
func writeCSV(path string, js []ledger.Journal, opts csvfile.Options) ([][]string, error) {
	var buf bytes.Buffer
	w := csvfile.NewWriter(&buf, opts)
	for i, j := range js {
		if err := w.WriteJournal("2026-11-28", fmt.Sprintf("e%03d", i+1), j); err != nil {
			return nil, fmt.Errorf("write %s: %w", path, err)
		}
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	data, ok := bytes.CutPrefix(buf.Bytes(), []byte(csvfile.BOM))
	if !ok {
		return nil, fmt.Errorf("%s does not start with the byte order mark", path)
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = numColumns
	recs, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("read back %s with encoding/csv: %w", path, err)
	}
	if len(recs) != 1+2*len(js) {
		return nil, fmt.Errorf("read back %d records from %s, want %d", len(recs), path, 1+2*len(js))
	}
	return recs, nil
}

// checkEncoder checks that each text cell in the file is csvfile.Text of its payload, so that what LibreOffice
// is compared with below is the encoder's documented rule and not whatever the file happens to hold.
func checkEncoder(payloads []csvtest.Payload, recs [][]string) error {
	for i, p := range payloads {
		row := recs[1+2*i]
		if csvtest.Verbatim[p.Class] && csvfile.Text(p.Value) != p.Value {
			return fmt.Errorf("payload line %d (%s): csvfile.Text changed %q to %q, want it unchanged", p.Line, p.Class, p.Value, csvfile.Text(p.Value))
		}
		for _, col := range []int{colAccount, colMemo, colVoidReason, colRef} {
			if want := csvfile.Text(p.Value); row[col] != want {
				return fmt.Errorf("payload line %d: the file holds %.80q in column %d, want csvfile.Text = %.80q", p.Line, row[col], col, want)
			}
		}
	}
	return nil
}

// convert has soffice open the CSV files with the mode's import settings and save them as .fods in out. It runs
// with a profile of its own, so that no setting of a user's LibreOffice changes the result and no lock is shared.
func convert(bin string, m mode, out string, files ...string) error {
	profile, err := os.MkdirTemp("", "soffice-profile-*")
	if err != nil {
		return fmt.Errorf("profile directory: %w", err)
	}
	defer os.RemoveAll(profile)
	args := []string{"-env:UserInstallation=file://" + profile, "--headless", "--norestore", "--nolockcheck"}
	if m.filter != "" {
		args = append(args, "--infilter="+m.filter)
	}
	args = append(args, "--convert-to", "fods", "--outdir", out)
	args = append(args, files...)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), "LANG="+m.lang, "LC_ALL="+m.lang, "SAL_USE_VCLPLUGIN=svp")
	// soffice starts soffice.bin; a process group of its own lets a timeout end both.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("soffice %s: %w\n%s", strings.Join(args, " "), err, log.String())
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), filepath.Ext(f)) + ".fods"
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			return fmt.Errorf("soffice wrote no %s: %w\n%s", name, err, log.String())
		}
	}
	return nil
}

func load(path string) ([][]Cell, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	rows, err := readSheet(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	return rows, nil
}

// checker collects the problems of one import mode.
type checker struct {
	mode      string
	payloads  []csvtest.Payload
	journals  []ledger.Journal
	failures  []string
	checked   int
	formulas  int
	converted int
}

func (c *checker) fail(format string, args ...any) {
	c.failures = append(c.failures, fmt.Sprintf("[%s] ", c.mode)+fmt.Sprintf(format, args...))
}

// checkGuarded checks the sheet LibreOffice made of the guarded file against the records the file holds.
func (c *checker) checkGuarded(rows [][]Cell, want [][]string) {
	if len(rows) != len(want) {
		c.fail("the sheet has %d rows, want %d (a row was split or merged)", len(rows), len(want))
	}
	header := csvfile.Header(metaColumns)
	for r := range min(len(rows), len(want)) {
		row := rows[r]
		if len(row) != numColumns {
			c.fail("row %d has %d columns, want %d", r+1, len(row), numColumns)
		}
		for col, cell := range row {
			c.checked++
			if cell.Formula != "" {
				c.formulas++
				c.fail("row %d column %d is a formula: %s (shows %q)", r+1, col+1, cell.Formula, cell.Text)
			}
		}
		if r == 0 {
			for col := range min(len(row), len(header)) {
				if row[col].Type != "string" || row[col].Text != header[col] {
					c.fail("header column %d is %s %q, want the text %q", col+1, row[col].Type, row[col].Text, header[col])
				}
			}
			continue
		}
		if len(row) != numColumns {
			continue
		}
		i := (r - 1) / 2
		p := c.payloads[i]
		line := c.journals[i].Lines[(r-1)%2]
		if row[colLineID].Text != line.ID {
			c.fail("row %d holds line %q, want %q (rows shifted)", r+1, row[colLineID].Text, line.ID)
			continue
		}
		c.amount(r, colDebit, row[colDebit], line.Debit)
		c.amount(r, colCredit, row[colCredit], line.Credit)
		c.number(r, row[colQty], line.Meta[1].Text)
		if d := row[colBatchDate]; d.Type != "date" && d.Text != "2026-11-28" || d.Type == "date" && d.Date != "2026-11-28" {
			c.fail("row %d batch_date is %s %q %q, want the date 2026-11-28", r+1, d.Type, d.Date, d.Text)
		}
		if v := row[colVoided]; !(v.Type == "string" && v.Text == want[r][colVoided] || v.Type == "boolean" && strings.EqualFold(v.Text, want[r][colVoided])) {
			c.fail("row %d voided is %s %q, want the text or boolean %q", r+1, v.Type, v.Text, want[r][colVoided])
		}
		for _, col := range []int{colEntryID, colJournalID, colPostedAt, colBook} {
			if row[col].Type != "string" || row[col].Text != want[r][col] {
				c.fail("row %d column %d is %s %q, want the text %q", r+1, col+1, row[col].Type, row[col].Text, want[r][col])
			}
		}
		cols := []int{colAccount, colMemo, colVoidReason, colOriginalJournal, colRef}
		if r%2 == 0 {
			cols = []int{colVoidReason, colRef} // line b: account, memo and original_journal are fixed text, checked as the payload's neighbours
			for _, col := range []int{colAccount, colMemo, colOriginalJournal} {
				if row[col].Type != "string" || row[col].Text != want[r][col] {
					c.fail("row %d column %d is %s %q, want the text %q", r+1, col+1, row[col].Type, row[col].Text, want[r][col])
				}
			}
		}
		for _, col := range cols {
			c.text(r, col, row[col], want[r][col], p)
		}
	}
}

// text checks one text cell: the exact text written, or, for a convertible payload, a value that is no formula.
func (c *checker) text(r, col int, cell Cell, want string, p csvtest.Payload) {
	if cell.Type == "string" && cell.Text == want {
		return
	}
	if want == "" && cell.Empty() {
		return
	}
	if cell.Type != "string" && csvtest.Convertible[p.Class] {
		c.converted++
		return
	}
	c.fail("row %d column %d (payload line %d, %s): LibreOffice shows %s %.60q, want the text %.60q",
		r+1, col+1, p.Line, p.Class, cell.Type, cell.Text, want)
}

// amount checks a money cell: a number whose value is the amount. Spreadsheets keep 15 significant digits (Excel
// cuts what it reads to 15, and LibreOffice saves 15), so an amount of up to 15 digits, 9,999,999,999,999.99
// baht, must come back to the satang, and a longer one as the amount rounded to 15 significant digits.
func (c *checker) amount(r, col int, cell Cell, a ledger.Amount) {
	if cell.Type != "float" {
		c.fail("row %d column %d (amount %s) is %s %q, want a number", r+1, col+1, a, cell.Type, cell.Text)
		return
	}
	got, err := strconv.ParseFloat(cell.Value, 64)
	if err != nil || got != spreadsheetValue(a.String()) {
		c.fail("row %d column %d (amount %s) has the value %s, want %s", r+1, col+1, a, cell.Value, a)
		return
	}
	if digits(a) <= 15 {
		if s := strconv.FormatFloat(got, 'f', 2, 64); s != a.String() {
			c.fail("row %d column %d (amount %s) reads back as %s", r+1, col+1, a, s)
		}
	}
}

// number checks a numeric meta cell: a number with the value of the decimal written, to 15 significant digits.
func (c *checker) number(r int, cell Cell, text string) {
	got, err := strconv.ParseFloat(cell.Value, 64)
	if cell.Type != "float" || err != nil {
		c.fail("row %d meta.qty %q is %s %q, want a number", r+1, text, cell.Type, cell.Text)
		return
	}
	if want := spreadsheetValue(text); got != want {
		c.fail("row %d meta.qty %q has the value %s, want %v", r+1, text, cell.Value, want)
	}
}

// spreadsheetValue is the double a spreadsheet holds for a decimal: the decimal rounded to 15 significant digits.
func spreadsheetValue(decimal string) float64 {
	f, _, err := big.ParseFloat(decimal, 10, 256, big.ToNearestEven)
	if err != nil {
		return math.NaN()
	}
	v, err := strconv.ParseFloat(f.Text('g', 15), 64)
	if err != nil {
		return math.NaN()
	}
	return v
}

// digits counts the significant digits of an amount in satang.
func digits(a ledger.Amount) int {
	s := strings.TrimLeft(strings.TrimPrefix(strconv.FormatInt(int64(a), 10), "-"), "0")
	return max(len(s), 1)
}

// checkPlain counts the formulas in the sheet of the unguarded file, and fails when there are none: an "=1+1"
// memo must become a formula when nothing guards it, or this check could not see one.
func (c *checker) checkPlain(rows [][]Cell) int {
	n := 0
	for _, row := range rows {
		for _, cell := range row {
			if cell.Formula != "" {
				n++
			}
		}
	}
	found := false
	for i, p := range c.payloads {
		if p.Value == "=1+1" && 1+2*i < len(rows) && colMemo < len(rows[1+2*i]) {
			cell := rows[1+2*i][colMemo]
			found = cell.Formula != "" && cell.Text == "2"
		}
	}
	if !found {
		c.fail("control: the unguarded memo =1+1 did not become a formula showing 2; the check cannot see formulas")
	}
	return n
}

// classResult is what one payload class looked like in LibreOffice.
type classResult struct {
	class         string
	payloads      int
	example       string // a payload of the class: the first one that became a formula without the guard, if any
	shows         string // what the example's memo cell shows with the guard on
	showsKind     string
	formulas      int // formula cells among the class's text cells, guard on
	plainFormulas int // the same with the guard off
	plainShows    string
	plainKind     string
}

// summary sums up each payload class over its memo, account and meta.ref cells.
func (c *checker) summary(guarded, plain [][]Cell) []classResult {
	var out []classResult
	index := map[string]int{}
	cell := func(rows [][]Cell, r, col int) Cell {
		if r < len(rows) && col < len(rows[r]) {
			return rows[r][col]
		}
		return Cell{}
	}
	for i, p := range c.payloads {
		g, pl := cell(guarded, 1+2*i, colMemo), cell(plain, 1+2*i, colMemo)
		k, ok := index[p.Class]
		if !ok {
			k = len(out)
			index[p.Class] = k
			out = append(out, classResult{class: p.Class})
		}
		r := &out[k]
		if !ok || r.plainFormulas == 0 && pl.Formula != "" {
			r.example, r.shows, r.showsKind, r.plainShows, r.plainKind = p.Value, g.Text, kind(g), pl.Text, kind(pl)
		}
		r.payloads++
		for _, col := range []int{colAccount, colMemo, colRef} {
			if cell(guarded, 1+2*i, col).Formula != "" {
				r.formulas++
			}
			if cell(plain, 1+2*i, col).Formula != "" {
				r.plainFormulas++
			}
		}
	}
	return out
}

// kind names what a cell is: a formula, or its value type.
func kind(c Cell) string {
	if c.Formula != "" {
		f := c.Formula
		if utf8.RuneCountInString(f) > 40 {
			f = string([]rune(f)[:40]) + "…"
		}
		return "formula " + f
	}
	if c.Type == "" {
		return "empty"
	}
	return c.Type
}

// short quotes s for the table: Go-escaped, at most 40 characters, pipes escaped for Markdown.
func short(s string) string {
	q := strconv.QuoteToGraphic(s)
	if utf8.RuneCountInString(q) > 42 {
		q = string([]rune(q)[:40]) + "…"
	}
	return "`" + strings.ReplaceAll(q, "|", "\\|") + "`"
}

// table renders the protection table in Markdown.
func table(rs []classResult) string {
	var b strings.Builder
	b.WriteString("| payload class | n | example payload | LibreOffice shows (guard on) | formula ran? | guard off (CSV_FORMULA_GUARD=false) |\n")
	b.WriteString("| --- | --- | --- | --- | --- | --- |\n")
	for _, r := range rs {
		ran := "never"
		if r.formulas > 0 {
			ran = fmt.Sprintf("**YES: %d cells**", r.formulas)
		}
		fmt.Fprintf(&b, "| %s | %d | %s | %s (%s) | %s | %d of %d cells were formulas; the example shows %s (%s) |\n",
			r.class, r.payloads, short(r.example), short(r.shows), r.showsKind, ran, r.plainFormulas, 3*r.payloads,
			short(r.plainShows), r.plainKind)
	}
	return b.String()
}

func printTable(rs []classResult) {
	rs = slices.Clone(rs)
	slices.SortStableFunc(rs, func(a, b classResult) int { return b.plainFormulas - a.plainFormulas })
	fmt.Printf("spreadsheet-check: %-15s %4s %8s %14s\n", "class", "n", "formulas", "unguarded")
	for _, r := range rs {
		fmt.Printf("spreadsheet-check: %-15s %4d %8d %14d\n", r.class, r.payloads, r.formulas, r.plainFormulas)
	}
}
