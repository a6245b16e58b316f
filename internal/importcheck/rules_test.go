package importcheck_test

import (
	"testing"

	"github.com/siamledger/ledger-export/internal/importcheck"
)

// TestXeroRules feeds the Xero checker a good file and files each breaking one rule of help.xero.com's manual
// journal import page, and requires exactly that rule. It fails if a rule never fires, or fires on a good file.
func TestXeroRules(t *testing.T) {
	x := importcheck.Xero{Codes: map[string]bool{"200": true, "090": true, "610": true}, SystemCodes: map[string]bool{"610": true},
		TaxRates: map[string]bool{"Tax Exempt": true}}
	head := "*Narration,*Date,Description,*AccountCode,*TaxRate,*Amount\r\n"
	good := "Sales 1,30/06/2026,a,200,Tax Exempt,-10.50\r\nSales 1,30/06/2026,b,090,Tax Exempt,10.50\r\n"
	for _, tc := range []struct{ name, file, rule string }{
		{"good", head + good, ""},
		{"dd mmm yyyy", head + "S,30 Jun 2026,a,200,Tax Exempt,-1\r\nS,30 Jun 2026,b,090,Tax Exempt,1\r\n", ""},
		{"missing column", "*Narration,*Date,*AccountCode,*Amount\r\n", "columns"},
		{"empty mandatory", head + ",30/06/2026,a,200,Tax Exempt,0\r\n", "mandatory"},
		{"iso date", head + "S,2026-06-30,a,200,Tax Exempt,-1\r\nS,2026-06-30,b,090,Tax Exempt,1\r\n", "date-format"},
		{"long code", head + "S,30/06/2026,a,Assets:Cash,Tax Exempt,0\r\n", "code-length"},
		{"system account", head + "S,30/06/2026,a,610,Tax Exempt,0\r\n", "system-account"},
		{"unknown code", head + "S,30/06/2026,a,999,Tax Exempt,0\r\n", "unknown-code"},
		{"tax rate", head + "S,30/06/2026,a,200,GST,0\r\n", "tax-rate"},
		{"amount", head + "S,30/06/2026,a,200,Tax Exempt,1.005\r\n", "amount"},
		{"unbalanced", head + "S,30/06/2026,a,200,Tax Exempt,-1\r\nS,30/06/2026,b,090,Tax Exempt,2\r\n", "balance"},
		{"bare id", head + "6b0ac2406b0c05b000000001,30/06/2026,a,200,Tax Exempt,0\r\n", "project:readable-narration"},
		{"apostrophe", head + "S,30/06/2026,'=a,200,Tax Exempt,0\r\n", "project:apostrophe"},
		{"301 lines", head + repeat("S,30/06/2026,a,200,Tax Exempt,0\r\n", 301), "line-limit"},
	} {
		checkRule(t, tc.name, x.Check([]byte(tc.file)), tc.rule)
	}
}

// TestQuickBooksRules does the same for the QuickBooks Online checker and Intuit's import page.
func TestQuickBooksRules(t *testing.T) {
	q := importcheck.QuickBooks{Accounts: map[string]string{
		"Cash": "Bank", "Sales": "Income", "Debtors": "Accounts receivable (A/R)", "Assets": "Bank", "Assets:AR": "Accounts receivable (A/R)",
	}}
	head := "Journal No.,Journal Date,Account Name,Debits,Credits,Description,Name\r\n"
	for _, tc := range []struct{ name, file, rule string }{
		{"good", head + "20260630-1,30/06/2026,Cash,5.00,,a,\r\n20260630-1,30/06/2026,Sales,,5.00,a,\r\n", ""},
		{"missing column", "Journal No,Journal Date,Account Name,Debits\r\n", "columns"},
		{"long journal no", head + "2026063000000000000001,30/06/2026,Cash,5.00,,a,\r\n2026063000000000000001,30/06/2026,Sales,,5.00,a,\r\n", "journal-no"},
		{"date format", head + "1,2026-06-30,Cash,5.00,,a,\r\n1,2026-06-30,Sales,,5.00,a,\r\n", "date-format"},
		{"journal no dated elsewhere", head + "20260701-1,30/06/2026,Cash,5.00,,a,\r\n20260701-1,30/06/2026,Sales,,5.00,a,\r\n", "project:journal-no-date"},
		{"two dates", head + "1,30/06/2026,Cash,5.00,,a,\r\n1,01/07/2026,Sales,,5.00,a,\r\n", "one-date"},
		{"unknown account", head + "1,30/06/2026,Bank,5.00,,a,\r\n1,30/06/2026,Sales,,5.00,a,\r\n", "account"},
		{"sub-account type", head + "1,30/06/2026,Assets:AR,5.00,,a,x\r\n1,30/06/2026,Sales,,5.00,a,\r\n", "sub-account"},
		{"A/R without name", head + "1,30/06/2026,Debtors,5.00,,a,\r\n1,30/06/2026,Sales,,5.00,a,\r\n", "name"},
		{"both sides", head + "1,30/06/2026,Cash,5.00,5.00,a,\r\n", "amount"},
		{"unbalanced", head + "1,30/06/2026,Cash,5.00,,a,\r\n1,30/06/2026,Sales,,4.00,a,\r\n", "balance"},
		{"apostrophe", head + "1,30/06/2026,Cash,5.00,,'+a,\r\n1,30/06/2026,Sales,,5.00,a,\r\n", "project:apostrophe"},
	} {
		checkRule(t, tc.name, q.Check([]byte(tc.file)), tc.rule)
	}
}

func checkRule(t *testing.T, name string, probs []importcheck.Problem, rule string) {
	t.Helper()
	if rule == "" {
		for _, p := range probs {
			t.Errorf("%s: %s", name, p)
		}
		return
	}
	if len(probs) == 0 {
		t.Errorf("%s: no problem, want %s", name, rule)
	}
	for _, p := range probs {
		if p.Rule != rule {
			t.Errorf("%s: %s, want only %s", name, p, rule)
		}
	}
}

func repeat(s string, n int) string {
	out := ""
	for range n {
		out += s
	}
	return out
}
