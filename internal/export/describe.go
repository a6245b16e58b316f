package export

import (
	"fmt"
	"strings"
)

// What the file says about itself in Drive's details pane.

// MaxDescription bounds the Drive description the export writes; Drive shows it in the file's details pane.
const MaxDescription = 4000

// moreFailures ends a failure list that does not list them all.
const moreFailures = "… and %d more (see the run's summary)\n"

// Describe is the file's description in Drive: the summary an accountant needs beside the file (its window and
// zone, entries, totals, voids, failures and the account map's version), in plain text of at most MaxDescription
// bytes. Failures are listed whole, as many as fit, then counted.
func Describe(s Summary) string {
	var b strings.Builder
	fmt.Fprintf(&b, "ledger-export %s, generation %d\n", s.Date, s.Generation)
	if s.WindowFrom != "" && s.WindowTo != "" {
		fmt.Fprintf(&b, "Window: [%s, %s) %s\n", s.WindowFrom, s.WindowTo, s.TimeZone)
	}
	fmt.Fprintf(&b, "Entries: %d exported, %d failed", s.EntriesExported, s.EntriesFailed)
	if s.EntriesLate != 0 {
		fmt.Fprintf(&b, ", %d late arrivals from earlier dates", s.EntriesLate)
	}
	fmt.Fprintf(&b, "\nRows: %d\nTotals: debit %s, credit %s\n", s.Rows, s.DebitTotal, s.CreditTotal)
	if v := s.Voids; v != nil {
		fmt.Fprintf(&b, "Voids: %d voided journals (debit %s, credit %s), %d reversals (debit %s, credit %s), in the totals\n",
			v.Voided, v.VoidedDebit, v.VoidedCredit, v.Reversals, v.ReversalDebit, v.ReversalCredit)
	}
	if s.EntriesLeftOut != 0 {
		fmt.Fprintf(&b, "Left out on purpose: %d entries (a voided journal and its reversal, which net to zero)\n", s.EntriesLeftOut)
	}
	if s.AccountMap != nil {
		fmt.Fprintf(&b, "Account map: %s\n", s.AccountMap)
	}
	if s.Correction != nil {
		fmt.Fprintf(&b, "Corrected by %s: %s\n", s.Correction.By, s.Correction.Reason)
	}
	if s.EntriesFailed == 0 {
		return strings.TrimSuffix(b.String(), "\n")
	}
	b.WriteString("Failed entries:\n")
	listed := 0
	for _, f := range s.Failures {
		line := fmt.Sprintf("- %s: %s\n", f.EntryID, f.Reason)
		// The description it would make: with this line, the count of the rest, and no final newline.
		if b.Len()+len(line)+moreLen(s.EntriesFailed-int64(listed+1))-1 > MaxDescription {
			break
		}
		b.WriteString(line)
		listed++
	}
	if rest := s.EntriesFailed - int64(listed); rest != 0 {
		fmt.Fprintf(&b, moreFailures, rest)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// moreLen is the length of the line that counts n failures not listed, 0 when there are none.
func moreLen(n int64) int {
	if n == 0 {
		return 0
	}
	return len(fmt.Sprintf(moreFailures, n))
}
