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
	// Xero's manual journal import (Accounting > Manual journals > Import), ManualJournalImportTemplate.csv:
	// *Narration, *Date, Description, *AccountCode, *TaxRate, *Amount (tracking columns are optional and left
	// out). Lines sharing a narration and a date become one journal; an amount is positive for a debit and
	// negative for a credit; the date is in the organisation's region format.
	"xero-manual-journal": {
		Source: "Xero: Import a manual journal, ManualJournalImportTemplate.csv",
		Layout: Layout{
			Columns: []Column{
				{Header: "*Narration", Field: JournalID},
				{Header: "*Date", Field: PostedAt},
				{Header: "Description", Field: Memo},
				{Header: "*AccountCode", Field: Account},
				{Header: "*TaxRate", Field: Const, Value: "Tax Exempt"},
				{Header: "*Amount", Field: Amount},
			},
			DateFormat: "02/01/2006",
		},
	},
	// QuickBooks Online's journal entry import (Settings > Import data > Journal entries), from Intuit's sample
	// file: Journal No, Journal Date, Account Name, Debits, Credits, Description, Name. A line has a debit or a
	// credit, the other left empty; lines with the same journal number become one entry. The journal number is
	// the short JournalNo, since QuickBooks keeps at most 21 characters of a document number.
	"quickbooks-journal-entry": {
		Source: "QuickBooks Online: Import journal entries, sample journal entry import file",
		Layout: Layout{
			Columns: []Column{
				{Header: "Journal No", Field: JournalNo},
				{Header: "Journal Date", Field: PostedAt},
				{Header: "Account Name", Field: Account},
				{Header: "Debits", Field: Debit},
				{Header: "Credits", Field: Credit},
				{Header: "Description", Field: Memo},
				{Header: "Name", Field: Const},
			},
			DateFormat: "02/01/2006",
			BlankZero:  true,
		},
	},
}

// PresetNames lists the presets' names, sorted.
func PresetNames() []string {
	var names []string
	for n := range Presets {
		names = append(names, n)
	}
	slices.SortFunc(names, strings.Compare)
	return names
}
