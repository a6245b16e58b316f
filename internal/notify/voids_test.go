package notify_test

import (
	"testing"

	"github.com/siamledger/ledger-export/internal/export"
)

// TestReadyTextLeftOutVoids: a file that left out a voided journal and its reversal says so in one line, with the
// count and the debit they held, before the link. Fails if the notice stays silent about the left-out pair (the
// accountant would see fewer rows than entries exported and no reason), or names them as failures.
func TestReadyTextLeftOutVoids(t *testing.T) {
	hook := newWebhook(t)
	n, _, _, _ := notifier(hook, newClock())
	n.Ready(t.Context(), export.Summary{Date: "2026-11-28", FileName: "f.csv", EntriesExported: 12, Rows: 20, DebitTotal: "31000.50",
		CreditTotal: "31000.50", EntriesLeftOut: 2, Voids: &export.VoidTotals{LeftOutDebit: "30000.50", LeftOutCredit: "30000.50"},
		WebViewLink: "https://drive.example/f"})
	want := "The ledger file for 28 Nov 2026 is in Drive: f.csv\n" +
		"Entries exported: 12. Failed: 0. Rows: 20.\n" +
		"Debit total: 31,000.50. Credit total: 31,000.50.\n" +
		"Left out on purpose: 2 entries (debit 30,000.50), voided journals with their reversals in the same file, which cancel out; they are counted as exported and listed in the export's summary.\n" +
		"Open it: https://drive.example/f"
	if got := hook.got(); len(got) != 1 || got[0] != want {
		t.Errorf("message = %q\nwant %q", got, want)
	}
}
