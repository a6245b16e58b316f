package export_test

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/siamledger/ledger-export/internal/export"
)

// TestDescribe: the Drive description carries the window with its zone, the counts, the totals, the voids apart,
// the pairs left out, the map's version and each failure, and leaves out what a day does not have (no window, no
// late arrivals, no voids, no pairs, no failures). Fails if a field were left out or shown empty ("Window: [, )"),
// or a "more" line counted wrong.
func TestDescribe(t *testing.T) {
	s := export.Summary{Date: "2026-12-06", Generation: 2, WindowFrom: "2026-12-05 18:00", WindowTo: "2026-12-06 18:00", TimeZone: "Asia/Bangkok",
		EntriesExported: 296, EntriesFailed: 4, EntriesLate: 1, Rows: 788, DebitTotal: "2,805,476.35", CreditTotal: "2,805,476.35",
		AccountMap:     &export.Source{Name: "account-map", Kind: "Google Sheet", Version: 12, SHA256: "abcdef0123456789" + strings.Repeat("0", 48)},
		Failures:       []export.Failure{{EntryID: "e1", Reason: "account Expenses:Gifts has no row in the account map"}},
		Voids:          &export.VoidTotals{Voided: 3, VoidedDebit: "53,179.73", VoidedCredit: "53,179.73", Reversals: 3, ReversalDebit: "53,179.73", ReversalCredit: "53,179.73"},
		EntriesLeftOut: 6, Correction: &export.Correction{By: "ops@example.com", Reason: "map fixed"}}
	want := `ledger-export 2026-12-06, generation 2
Window: [2026-12-05 18:00, 2026-12-06 18:00) Asia/Bangkok
Entries: 296 exported, 4 failed, 1 late arrivals from earlier dates
Rows: 788
Totals: debit 2,805,476.35, credit 2,805,476.35
Voids: 3 voided journals (debit 53,179.73, credit 53,179.73), 3 reversals (debit 53,179.73, credit 53,179.73), in the totals
Left out on purpose: 6 entries (a voided journal and its reversal, which net to zero)
Account map: account-map (Google Sheet, Drive version 12, sha256 abcdef012345)
Corrected by ops@example.com: map fixed
Failed entries:
- e1: account Expenses:Gifts has no row in the account map
… and 3 more (see the run's summary)`
	if d := export.Describe(s); d != want {
		t.Errorf("description:\n%s\nwant\n%s", d, want)
	}
	plain := export.Summary{Date: "2026-12-06", Generation: 1, EntriesExported: 5, Rows: 9, DebitTotal: "1.00", CreditTotal: "1.00",
		WindowTo: "2026-12-06 18:00"}
	want = "ledger-export 2026-12-06, generation 1\nEntries: 5 exported, 0 failed\nRows: 9\nTotals: debit 1.00, credit 1.00"
	if d := export.Describe(plain); d != want {
		t.Errorf("a plain day's description:\n%s\nwant\n%s", d, want)
	}
	plain.EntriesFailed, plain.Failures = 2, []export.Failure{{EntryID: "a", Reason: "x"}, {EntryID: "b", Reason: "y"}}
	if d := export.Describe(plain); !strings.HasSuffix(d, "Failed entries:\n- a: x\n- b: y") {
		t.Errorf("every failure listed, none counted as more:\n%s", d)
	}
	plain.Failures = nil
	if d := export.Describe(plain); !strings.HasSuffix(d, "Failed entries:\n… and 2 more (see the run's summary)") {
		t.Errorf("failures counted but not listed:\n%s", d)
	}
}

// TestDescribeBound: on a day of many failures with Thai reasons, the description stays within MaxDescription,
// lists as many failures whole as fit (one more would not), and counts the rest exactly. Fails if the bound were
// ignored or off by the "more" line (Drive refuses an over-long description and the finalize would fail), a
// failure cut mid-character, listed while it did not fit, left out while it did, or the rest miscounted.
func TestDescribeBound(t *testing.T) {
	s := export.Summary{Date: "2026-12-06", EntriesFailed: 250, WindowFrom: "a", WindowTo: "b"}
	for i := range 200 {
		s.Failures = append(s.Failures, export.Failure{EntryID: fmt.Sprintf("e%03d", i), Reason: "บัญชีไม่มีในผังบัญชี " + strings.Repeat("ก", 20+i%7)})
	}
	d := export.Describe(s)
	listed := strings.Count(d, "\n- e")
	more := fmt.Sprintf("… and %d more (see the run's summary)", 250-listed)
	if len(d) > export.MaxDescription || !utf8.ValidString(d) || listed == 0 || listed >= 200 || !strings.HasSuffix(d, "\n"+more) {
		t.Fatalf("description of 250 failures: %d bytes, %d listed, valid UTF-8 %v, ends %q", len(d), listed, utf8.ValidString(d), d[max(0, len(d)-60):])
	}
	next := fmt.Sprintf("- %s: %s\n", s.Failures[listed].EntryID, s.Failures[listed].Reason)
	nextMore := fmt.Sprintf("… and %d more (see the run's summary)", 250-listed-1)
	if grown := len(d) - len(more) + len(next) + len(nextMore); grown <= export.MaxDescription {
		t.Errorf("failure %d would fit (%d bytes) but is not listed", listed, grown)
	}
}

// TestDescribeExactFit: a failure whose line makes the description exactly MaxDescription bytes long is listed, one
// byte more and it is counted instead; with the rest counted (9 more) and with nothing left to count. Fails if the
// bound were off by one either way, if the count line of the rest were measured for the wrong number (10 or 11
// instead of 9: one digit more), or counted when nothing is left.
func TestDescribeExactFit(t *testing.T) {
	for _, failed := range []int64{1, 10} {
		s := export.Summary{Date: "2026-12-06", EntriesFailed: failed, Failures: []export.Failure{{EntryID: "e1"}}}
		base := len(export.Describe(s))
		s.Failures[0].Reason = strings.Repeat("x", export.MaxDescription-base)
		if d := export.Describe(s); len(d) != export.MaxDescription || !strings.Contains(d, "- e1: x") {
			t.Errorf("%d failed, an exact fit: %d bytes, listed %v; want %d bytes with e1 listed", failed, len(d), strings.Contains(d, "- e1:"), export.MaxDescription)
		}
		s.Failures[0].Reason += "x"
		d := export.Describe(s)
		if strings.Contains(d, "- e1:") || !strings.HasSuffix(d, fmt.Sprintf("… and %d more (see the run's summary)", failed)) {
			t.Errorf("%d failed, one byte over: %q; want e1 counted, not listed", failed, d[max(0, len(d)-80):])
		}
	}
}
