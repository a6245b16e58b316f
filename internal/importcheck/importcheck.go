// Package importcheck checks an import file as the accounting package's import would, from the package's
// published rules, so that the tests can show that the files the export writes import. Each rule names the help
// page it comes from (see README.md); rules marked "project" are this project's own (a readable narration, no
// formula-guard apostrophe, a journal number whose date is the journal's), written down from issue 19.
//
// The checkers read the CSV the export writes (a UTF-8 byte order mark is allowed). They know nothing of the
// layouts: they see only the bytes, the header names and the organisation's settings the test gives them (its
// chart of accounts, its tax rates).
package importcheck

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Problem is one broken rule.
type Problem struct {
	Line   int    // the file's line (1 is the header), 0 for the whole file
	Rule   string // the rule's short name, such as "code-length"
	Detail string
}

func (p Problem) String() string { return fmt.Sprintf("line %d: %s: %s", p.Line, p.Rule, p.Detail) }

// XeroLineLimit is the most lines Xero imports from one manual journal file: "You can import up to 300 lines in
// one template file" (help.xero.com/nz/ManualJournalsImport).
const XeroLineLimit = 300

// XeroCodeLength is the most characters of a Xero account code (Xero's chart of accounts settings: a code has
// at most 10 characters).
const XeroCodeLength = 10

// Xero describes the organisation a Xero file is checked against.
type Xero struct {
	Codes       map[string]bool // the chart of accounts' codes; nil skips the check
	SystemCodes map[string]bool // system accounts, which manual journals cannot use
	TaxRates    map[string]bool // the tax rates' full names; nil skips the check
}

// the 24 hex characters of a MongoDB ObjectId, alone: a narration nobody can read.
var bareID = regexp.MustCompile(`^[0-9a-f]{24}$`)

// Check checks a Xero manual journal import file (ManualJournalImportTemplate.csv) against the rules of
// help.xero.com/nz/ManualJournalsImport: the mandatory columns Narration, Date, AccountCode, TaxRate and Amount,
// each filled on every row; Date as dd/mm/yyyy or dd mmm yyyy; AccountCode a code of the chart (at most 10
// characters, not a system account); TaxRate a full tax rate name of the settings; Amount a number, positive for
// a debit and negative for a credit; at most 300 lines; and each journal (the rows sharing a narration and a date)
// balancing to zero.
func (x Xero) Check(file []byte) []Problem {
	rows, probs := read(file)
	if rows == nil {
		return probs
	}
	col, p := columns(rows[0], "Narration", "Date", "AccountCode", "TaxRate", "Amount")
	if p != nil {
		return append(probs, *p)
	}
	if n := len(rows) - 1; n > XeroLineLimit {
		probs = append(probs, Problem{0, "line-limit", fmt.Sprintf("%d lines, Xero imports at most %d from one file", n, XeroLineLimit)})
	}
	type key struct{ narration, date string }
	sums := map[key]int64{}
	var order []key
	for i, r := range rows[1:] {
		line := i + 2
		get := func(c string) string { return field(r, col[c]) }
		for _, c := range []string{"Narration", "Date", "AccountCode", "TaxRate", "Amount"} {
			if get(c) == "" {
				probs = append(probs, Problem{line, "mandatory", c + " is empty"})
			}
		}
		if bareID.MatchString(get("Narration")) {
			probs = append(probs, Problem{line, "project:readable-narration", fmt.Sprintf("narration %q is a bare journal id", get("Narration"))})
		}
		if d := get("Date"); d != "" && !xeroDate(d) {
			probs = append(probs, Problem{line, "date-format", fmt.Sprintf("date %q is not dd/mm/yyyy or dd mmm yyyy", d)})
		}
		code := get("AccountCode")
		switch {
		case len([]rune(code)) > XeroCodeLength:
			probs = append(probs, Problem{line, "code-length", fmt.Sprintf("account code %q has %d characters, Xero allows %d", code, len([]rune(code)), XeroCodeLength)})
		case code != "" && x.SystemCodes[code]:
			probs = append(probs, Problem{line, "system-account", fmt.Sprintf("account code %q is a system account, which a manual journal cannot use", code)})
		case code != "" && x.Codes != nil && !x.Codes[code]:
			probs = append(probs, Problem{line, "unknown-code", fmt.Sprintf("account code %q is not in the chart of accounts", code)})
		}
		if t := get("TaxRate"); t != "" && x.TaxRates != nil && !x.TaxRates[t] {
			probs = append(probs, Problem{line, "tax-rate", fmt.Sprintf("tax rate %q is not a tax rate of the organisation", t)})
		}
		probs = append(probs, apostrophes(line, r)...)
		a, err := cents(get("Amount"), true)
		if err != nil {
			probs = append(probs, Problem{line, "amount", err.Error()})
			continue
		}
		k := key{get("Narration"), get("Date")}
		if _, ok := sums[k]; !ok {
			order = append(order, k)
		}
		sums[k] += a
	}
	for _, k := range order {
		if sums[k] != 0 {
			probs = append(probs, Problem{0, "balance", fmt.Sprintf("journal %q of %s is off by %s", k.narration, k.date, money(sums[k]))})
		}
	}
	return probs
}

// xeroDate reports whether d is dd/mm/yyyy or dd mmm yyyy (the page's 30/6/2015 and 30 Jun 2015).
func xeroDate(d string) bool {
	for _, f := range []string{"2/1/2006", "2 Jan 2006"} {
		if _, err := time.Parse(f, d); err == nil {
			return true
		}
	}
	return false
}

// QuickBooks describes the company a QuickBooks Online file is checked against.
type QuickBooks struct {
	// Accounts maps each account's full name (a sub-account as Parent:Sub) to its account type, such as
	// "Accounts receivable (A/R)"; nil skips the chart checks.
	Accounts map[string]string
	// DateFormat is the date format chosen on the import's mapping screen, as a Go layout; empty means 02/01/2006.
	DateFormat string
}

// QuickBooksDocNumber is the most characters QuickBooks Online keeps of a journal number (a transaction's
// document number).
const QuickBooksDocNumber = 21

// Check checks a QuickBooks Online journal entry import file against Intuit's "Import journal entries"
// (quickbooks.intuit.com/learn-support/en-au/help-article/import-export-files/import-journal-entries-quickbooks-online/L4tQBwbs7_AU_en_AU):
// the columns Journal No., Journal Date, Account Name, Description, Debits and Credits; an account of the chart,
// a sub-account written Parent:Sub whose parent exists with the same account type; a Name on every Accounts
// receivable (A/R) or Accounts payable (A/P) line; a debit or a credit on each line; each journal balancing; and
// dates in the format chosen at the import.
func (q QuickBooks) Check(file []byte) []Problem {
	rows, probs := read(file)
	if rows == nil {
		return probs
	}
	col, p := columns(rows[0], "Journal No", "Journal Date", "Account Name", "Description", "Debits", "Credits")
	if p != nil {
		return append(probs, *p)
	}
	nameCol, hasName := find(rows[0], "Name")
	df := q.DateFormat
	if df == "" {
		df = "02/01/2006"
	}
	sums := map[string]int64{}
	dates := map[string]string{}
	var order []string
	for i, r := range rows[1:] {
		line := i + 2
		get := func(c string) string { return field(r, col[c]) }
		no, date, acct := get("Journal No"), get("Journal Date"), get("Account Name")
		switch {
		case no == "":
			probs = append(probs, Problem{line, "journal-no", "Journal No is empty"})
		case len([]rune(no)) > QuickBooksDocNumber:
			probs = append(probs, Problem{line, "journal-no", fmt.Sprintf("Journal No %q has more than %d characters", no, QuickBooksDocNumber)})
		}
		day, err := time.Parse(df, date)
		if err != nil {
			probs = append(probs, Problem{line, "date-format", fmt.Sprintf("Journal Date %q is not in the format %s", date, df)})
		} else if len(no) > 9 && no[8] == '-' && isDigits(no[:8]) && no[:8] != day.Format("20060102") {
			probs = append(probs, Problem{line, "project:journal-no-date", fmt.Sprintf("Journal No %q names another date than Journal Date %s", no, date)})
		}
		if d, ok := dates[no]; ok && d != date {
			probs = append(probs, Problem{line, "one-date", fmt.Sprintf("journal %s has lines dated %s and %s", no, d, date)})
		}
		dates[no] = date
		if acct == "" {
			probs = append(probs, Problem{line, "account", "Account Name is empty"})
		} else if q.Accounts != nil {
			typ, ok := q.Accounts[acct]
			if !ok {
				probs = append(probs, Problem{line, "account", fmt.Sprintf("account %q is not in the chart of accounts", acct)})
			}
			if k := strings.LastIndex(acct, ":"); k > 0 {
				parent := acct[:k]
				if pt, ok := q.Accounts[parent]; !ok || (typ != "" && pt != typ) {
					probs = append(probs, Problem{line, "sub-account", fmt.Sprintf("%q is read as the parent %q and a sub-account, and a parent and its sub-accounts must share one account type (parent type %q, account type %q)", acct, parent, pt, typ)})
				}
			}
			if strings.Contains(typ, "(A/R)") || strings.Contains(typ, "(A/P)") {
				if !hasName || field(r, nameCol) == "" {
					probs = append(probs, Problem{line, "name", fmt.Sprintf("account %q is %s and its line has no Name", acct, typ)})
				}
			}
		}
		probs = append(probs, apostrophes(line, r)...)
		d, errD := cents(get("Debits"), false)
		c, errC := cents(get("Credits"), false)
		switch {
		case errD != nil:
			probs = append(probs, Problem{line, "amount", "Debits: " + errD.Error()})
		case errC != nil:
			probs = append(probs, Problem{line, "amount", "Credits: " + errC.Error()})
		case (get("Debits") == "") == (get("Credits") == ""):
			probs = append(probs, Problem{line, "amount", "a line needs a debit or a credit, and not both"})
		case d < 0 || c < 0:
			probs = append(probs, Problem{line, "amount", "debits and credits are positive"})
		}
		if _, ok := sums[no]; !ok {
			order = append(order, no)
		}
		sums[no] += d - c
	}
	for _, no := range order {
		if sums[no] != 0 {
			probs = append(probs, Problem{0, "balance", fmt.Sprintf("journal %s is off by %s", no, money(sums[no]))})
		}
	}
	return probs
}

// read parses the CSV; rows is nil when it cannot be read or has no header.
func read(file []byte) ([][]string, []Problem) {
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(file, []byte("\ufeff"))))
	rows, err := r.ReadAll()
	if err != nil {
		return nil, []Problem{{0, "csv", err.Error()}}
	}
	if len(rows) == 0 {
		return nil, []Problem{{0, "csv", "no header row"}}
	}
	return rows, nil
}

// columns finds the required columns by name, ignoring case, a leading * (Xero marks the mandatory ones) and a
// trailing dot (Intuit's "Journal No.").
func columns(header []string, names ...string) (map[string]int, *Problem) {
	col := map[string]int{}
	var missing []string
	for _, n := range names {
		k, ok := find(header, n)
		if !ok {
			missing = append(missing, n)
		}
		col[n] = k
	}
	if missing != nil {
		return nil, &Problem{1, "columns", "missing " + strings.Join(missing, ", ")}
	}
	return col, nil
}

func find(header []string, name string) (int, bool) {
	norm := func(s string) string {
		return strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(s), "*"), "."))
	}
	for k, h := range header {
		if norm(h) == norm(name) {
			return k, true
		}
	}
	return -1, false
}

func field(r []string, k int) string {
	if k < 0 || k >= len(r) {
		return ""
	}
	return strings.TrimSpace(r[k])
}

// apostrophes reports cells starting with the formula guard's apostrophe, which an import keeps as text.
func apostrophes(line int, r []string) []Problem {
	var probs []Problem
	for _, f := range r {
		if strings.HasPrefix(f, "'") {
			probs = append(probs, Problem{line, "project:apostrophe", fmt.Sprintf("%q starts with an apostrophe, which the import keeps as text", f)})
		}
	}
	return probs
}

// cents reads a plain decimal amount with at most two decimals; empty is 0. signed allows a leading minus.
func cents(s string, signed bool) (int64, error) {
	if s == "" {
		return 0, nil
	}
	neg := strings.HasPrefix(s, "-")
	if neg && !signed {
		return 0, fmt.Errorf("%q is negative", s)
	}
	whole, frac, _ := strings.Cut(strings.TrimPrefix(s, "-"), ".")
	if whole == "" || !isDigits(whole) || len(frac) > 2 || (frac != "" && !isDigits(frac)) {
		return 0, fmt.Errorf("%q is not an amount with at most two decimals", s)
	}
	for len(frac) < 2 {
		frac += "0"
	}
	v, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q: %w", s, err)
	}
	if neg {
		v = -v
	}
	return v, nil
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

func money(v int64) string {
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)
}
