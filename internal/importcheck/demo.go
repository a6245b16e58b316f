package importcheck

// The demo organisation's settings, as its accountant set them up in each package (internal/demo's business and
// its account map, internal/demo/accountmap.csv): written out here, not read from the account map, so that a map
// naming a code or an account the package does not have fails the check.
var (
	// DemoXero is the demo organisation in Xero: its chart's codes, Xero's default system accounts (accounts
	// receivable and payable, and the GST/VAT account) and its tax rates.
	DemoXero = Xero{
		Codes:       set("090", "091", "092", "200", "445", "461", "469", "477", "610", "615", "800", "820", "825", "826", "827"),
		SystemCodes: set("610", "800", "820"),
		TaxRates:    set("Tax Exempt", "Output VAT 7%", "Input VAT 7%", "No VAT"),
	}
	// DemoQuickBooks is the demo company in QuickBooks Online: each account's full name and type.
	DemoQuickBooks = QuickBooks{Accounts: map[string]string{
		"Cash on hand": "Bank", "KBank current account": "Bank", "SCB current account": "Bank",
		"Accounts Receivable (A/R)": "Accounts receivable (A/R)", "Input VAT": "Other Current Assets",
		"Output VAT": "Other Current Liabilities", "Withholding tax payable": "Other Current Liabilities",
		"Sales": "Income", "Rent": "Expenses", "Light and power": "Expenses", "Salaries": "Expenses", "Supplies": "Expenses",
	}}
)

func set(s ...string) map[string]bool {
	m := map[string]bool{}
	for _, v := range s {
		m[v] = true
	}
	return m
}
