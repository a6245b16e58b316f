package export_test

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/siamledger/ledger-export/internal/export"
)

// TestDescribe: the Drive description carries the window with its zone, the counts, the totals, the voids apart,
// the pairs left out, the map's version and each failure, and stays within its bound on a day of many failures with Thai reasons, cut on a
// character boundary, with the count of those left out. It fails if a field were left out, the bound ignored
// (Drive refuses an over-long description and the finalize would fail), or a cut split a Thai character.
func TestDescribe(t *testing.T) {
	s := export.Summary{Date: "2026-12-06", Generation: 2, WindowFrom: "2026-12-05 18:00", WindowTo: "2026-12-06 18:00", TimeZone: "Asia/Bangkok",
		EntriesExported: 296, EntriesFailed: 4, EntriesLate: 1, Rows: 788, DebitTotal: "2,805,476.35", CreditTotal: "2,805,476.35",
		AccountMap:     &export.Source{Name: "account-map", Kind: "Google Sheet", Version: 12, SHA256: "abcdef0123456789" + strings.Repeat("0", 48)},
		Failures:       []export.Failure{{EntryID: "e1", Reason: "account Expenses:Gifts has no row in the account map"}},
		Voids:          &export.VoidTotals{Voided: 3, VoidedDebit: "53,179.73", VoidedCredit: "53,179.73", Reversals: 3, ReversalDebit: "53,179.73", ReversalCredit: "53,179.73"},
		EntriesLeftOut: 6}
	d := export.Describe(s)
	for _, want := range []string{"ledger-export 2026-12-06, generation 2", "Window: [2026-12-05 18:00, 2026-12-06 18:00) Asia/Bangkok",
		"Entries: 296 exported, 4 failed, 1 late arrivals", "Rows: 788", "Totals: debit 2,805,476.35, credit 2,805,476.35",
		"Account map: account-map (Google Sheet, Drive version 12, sha256 abcdef012345)",
		"- e1: account Expenses:Gifts has no row in the account map", "… and 3 more",
		"Voids: 3 voided journals (debit 53,179.73, credit 53,179.73), 3 reversals (debit 53,179.73, credit 53,179.73), in the totals",
		"Left out on purpose: 6 entries (a voided journal and its reversal, which net to zero)"} {
		if !strings.Contains(d, want) {
			t.Errorf("description lacks %q:\n%s", want, d)
		}
	}
	s.Failures = nil
	for i := range 200 {
		s.Failures = append(s.Failures, export.Failure{EntryID: fmt.Sprintf("e%03d", i), Reason: "บัญชีไม่มีในผังบัญชี " + strings.Repeat("ก", 20)})
	}
	s.EntriesFailed = 250
	d = export.Describe(s)
	if len(d) > 4000 || !utf8.ValidString(d) || !strings.Contains(d, "- e000: ") || strings.Contains(d, "- e199: ") {
		t.Errorf("description of 250 failures: %d bytes, valid UTF-8 %v", len(d), utf8.ValidString(d))
	}
	if !strings.Contains(d, "more (see the run's summary)") {
		t.Errorf("a cut description does not say how many failures it left out:\n%s", d[len(d)-200:])
	}
}
