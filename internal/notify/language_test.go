package notify_test

import (
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/siamledger/ledger-export/internal/export"
	"github.com/siamledger/ledger-export/internal/notify"
)

// TestNoticesInThai: with Language "th" the three notices are in Thai, in accounting terms (เดบิต, เครดิต,
// ยอดรวม, รายการที่ไม่สำเร็จ), and the numbers, the date, the file name and the link are written exactly as in
// English. Fails if Language is ignored (the Thai accountant gets English), if a Thai text loses a value (a %s
// left out shows %!s(MISSING) or drops a figure), or if the numbers or the date change notation with the
// language.
func TestNoticesInThai(t *testing.T) {
	now := time.Date(2026, 12, 1, 11, 1, 0, 0, time.UTC)
	notices := func(lang string) []string {
		hook := newWebhook(t)
		n := &notify.Notifier{URL: hook.secretURL(), Recorder: &memRecorder{}, Now: func() time.Time { return now },
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Language: lang}
		s := export.Summary{Date: "2026-11-28", FileName: "ledger-export_2026-11-28.xlsx", EntriesExported: 1303, EntriesFailed: 4,
			Rows: 2788, DebitTotal: "2805476.35", CreditTotal: "2805476.35", Generation: 1, WebViewLink: "https://drive.google.com/file/d/F/view",
			Failures: []export.Failure{{EntryID: "e1", Reason: "journal not found"}, {EntryID: "e2", Reason: "r2"}, {EntryID: "e3", Reason: "r3"}, {EntryID: "e4", Reason: "r4"}}}
		n.Ready(t.Context(), s)
		fixed := s
		fixed.Generation, fixed.DebitTotal = 3, "2805477.35"
		fixed.Correction = &export.Correction{By: "ops@example.com", Reason: "VAT", At: now, Previous: export.Figures(s)}
		n.Ready(t.Context(), fixed)
		n.Late(t.Context(), "2026-11-29", export.ClassDrivePermanent, "")
		return hook.got()
	}
	en, th := notices(""), notices(notify.Thai)
	if len(en) != 3 || len(th) != 3 {
		t.Fatalf("got %d English and %d Thai notices, want 3 of each", len(en), len(th))
	}
	for i, want := range [][]string{
		{"ไฟล์บัญชีแยกประเภทของวันที่ 28 Nov 2026", "ledger-export_2026-11-28.xlsx", "รายการที่ส่งออก: 1,303", "รายการที่ไม่สำเร็จ: 4",
			"จำนวนแถว: 2,788", "ยอดรวมเดบิต: 2,805,476.35", "ยอดรวมเครดิต: 2,805,476.35", "- รายการ e1: journal not found",
			"และอีก 1 รายการ", "https://drive.google.com/file/d/F/view"},
		{"ได้รับการแก้ไขแล้ว", "เหตุผล: VAT (ขอโดย ops@example.com)", "ยอดรวมเดบิต: 2,805,476.35 → 2,805,477.35", "จำนวนแถว: 2,788 → 2,788"},
		{"ไฟล์บัญชีแยกประเภทของวันที่ 29 Nov 2026 จะล่าช้า", "Drive"},
	} {
		for _, w := range want {
			if !strings.Contains(th[i], w) {
				t.Errorf("Thai notice %d = %q, want it to hold %q", i+1, th[i], w)
			}
		}
		if strings.Contains(th[i], "%!") || strings.Contains(th[i], "The ledger file") {
			t.Errorf("Thai notice %d = %q: a missing value or English text", i+1, th[i])
		}
		// The same figures in the same notation: every number of the English notice is in the Thai one.
		for _, f := range strings.FieldsFunc(en[i], func(r rune) bool { return !strings.ContainsRune("0123456789,.", r) }) {
			if f = strings.Trim(f, ",."); f != "" && !strings.Contains(th[i], f) {
				t.Errorf("Thai notice %d lacks the figure %q of the English one", i+1, f)
			}
		}
	}
}
