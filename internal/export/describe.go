package export

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// What the file says about itself in Drive's details pane.

// maxDescription bounds the Drive description the export writes; Drive shows it in the file's details pane.
const maxDescription = 4000

// Describe is the file's description in Drive: the summary an accountant needs beside the file (its window and
// zone, entries, totals, failures and the account map's version), in plain text.
func Describe(s Summary) string {
	var b strings.Builder
	fmt.Fprintf(&b, "ledger-export %s, generation %d\n", s.Date, s.Generation)
	if s.WindowFrom != "" || s.WindowTo != "" {
		fmt.Fprintf(&b, "Window: [%s, %s) %s\n", s.WindowFrom, s.WindowTo, s.TimeZone)
	}
	fmt.Fprintf(&b, "Entries: %d exported, %d failed", s.EntriesExported, s.EntriesFailed)
	if s.EntriesLate > 0 {
		fmt.Fprintf(&b, ", %d late arrivals from earlier dates", s.EntriesLate)
	}
	fmt.Fprintf(&b, "\nRows: %d\nTotals: debit %s, credit %s\n", s.Rows, s.DebitTotal, s.CreditTotal)
	if v := s.Voids; v != nil {
		fmt.Fprintf(&b, "Voids: %d voided journals (debit %s, credit %s), %d reversals (debit %s, credit %s), in the totals\n",
			v.Voided, v.VoidedDebit, v.VoidedCredit, v.Reversals, v.ReversalDebit, v.ReversalCredit)
	}
	if s.EntriesLeftOut > 0 {
		fmt.Fprintf(&b, "Left out on purpose: %d entries (a voided journal and its reversal, which net to zero)\n", s.EntriesLeftOut)
	}
	if s.AccountMap != nil {
		fmt.Fprintf(&b, "Account map: %s\n", s.AccountMap)
	}
	if s.Correction != nil {
		fmt.Fprintf(&b, "Corrected by %s: %s\n", s.Correction.By, s.Correction.Reason)
	}
	if len(s.Failures) > 0 {
		b.WriteString("Failed entries:\n")
	}
	for i, f := range s.Failures {
		line := fmt.Sprintf("- %s: %s\n", f.EntryID, f.Reason)
		if b.Len()+len(line) > maxDescription-100 {
			fmt.Fprintf(&b, "… and %d more (see the run's summary)\n", s.EntriesFailed-int64(i))
			break
		}
		b.WriteString(line)
	}
	if rest := s.EntriesFailed - int64(len(s.Failures)); rest > 0 && len(s.Failures) > 0 && b.Len() < maxDescription-100 {
		fmt.Fprintf(&b, "… and %d more (see the run's summary)\n", rest)
	}
	out := strings.TrimSuffix(b.String(), "\n")
	if len(out) > maxDescription {
		out = out[:maxDescription]
		for !utf8.ValidString(out) {
			out = out[:len(out)-1]
		}
	}
	return out
}
