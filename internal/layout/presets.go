package layout

import (
	"slices"
	"strings"
)

// Preset is a named layout for an accounting package's journal import, with the template it follows.
type Preset struct {
	Layout Layout
	Source string // the vendor's template the columns follow
}

// Presets are the built-in layouts, by the name LAYOUT takes. See README.md for each template's source and what
// was (and was not) verified.
var Presets = map[string]Preset{
	// Xero's manual journal import (help.xero.com/nz/ManualJournalsImport): *Narration, *Date (dd/mm/yyyy),
	// Description, *AccountCode (the code, at most 10 characters), *TaxRate (the full name from the tax settings),
	// *Amount (positive debit, negative credit), then one tracking pair; at most 300 lines a file. Rows sharing a
	// narration and a date become one journal. The default mode is the daily summary journal, one journal per
	// posting date with one line per code, tax rate and tracking option, which keeps a day under 300 lines;
	// {"preset":"xero-manual-journal","mode":"detail"} writes a journal per Medici journal instead.
	"xero-manual-journal": {
		Source: "Xero: Enter multiple manual journals using an import template (help.xero.com/nz/ManualJournalsImport)",
		Layout: Layout{
			Columns: []Column{
				{Header: "*Narration", Field: Narration},
				{Header: "*Date", Field: PostedAt},
				{Header: "Description", Field: Memo},
				{Header: "*AccountCode", Field: AccountCode},
				{Header: "*TaxRate", Field: TaxRate},
				{Header: "*Amount", Field: Amount},
				{Header: "TrackingName1", Field: TrackingName},
				{Header: "TrackingOption1", Field: TrackingOption},
			},
			DateFormat:   "02/01/2006",
			Mode:         "summary",
			DetailFile:   "ledger-export_{date}.csv",
			MaxLines:     300,
			Voids:        "net",
			FormulaGuard: off(),
		},
	},
	// QuickBooks Online's journal entry import (Intuit, "Import journal entries"): Journal No., Journal Date,
	// Account Name (a sub-account as Parent:Sub), Debits, Credits, Description, Name (required on A/R and A/P
	// lines). A line has a debit or a credit, the other left empty; lines with the same journal number become one
	// entry. The journal number is journal_ref (QuickBooks keeps 21 characters of a document number), whose date is
	// the Journal Date's; Name comes from meta.customer.
	"quickbooks-journal-entry": {
		Source: "QuickBooks Online: Import journal entries (quickbooks.intuit.com/learn-support/en-au/help-article/import-export-files/import-journal-entries-quickbooks-online/L4tQBwbs7_AU_en_AU)",
		Layout: Layout{
			Columns: []Column{
				{Header: "Journal No", Field: JournalRef},
				{Header: "Journal Date", Field: PostedAt},
				{Header: "Account Name", Field: AccountName},
				{Header: "Debits", Field: Debit},
				{Header: "Credits", Field: Credit},
				{Header: "Description", Field: Memo},
				{Header: "Name", Field: Name},
			},
			DateFormat:   "02/01/2006",
			BlankZero:    true,
			NameField:    "customer",
			Voids:        "net",
			FormulaGuard: off(),
		},
	},
}

func off() *bool { f := false; return &f }

// PresetNames lists the presets' names, sorted.
func PresetNames() []string {
	var names []string
	for n := range Presets {
		names = append(names, n)
	}
	slices.SortFunc(names, strings.Compare)
	return names
}
