package notify_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/siamledger/ledger-export/internal/export"
	"github.com/siamledger/ledger-export/internal/notify"
)

// TestCorrectedNotice: a re-export's delivery notice says the file was corrected, with what changed (entries,
// rows, totals before → after), the reason and who asked, even though the date's "ready" notice was sent long
// before; a retry of the same re-export sends nothing more, and a later re-export of the date gets its own notice.
// Bugs caught: the corrected notice kept under the "ready" kind (never sent, since "ready" was), a notice that
// reads like a first delivery, and one per trigger.
func TestCorrectedNotice(t *testing.T) {
	hook := newWebhook(t)
	now := time.Date(2026, 12, 1, 11, 1, 0, 0, time.UTC)
	n := &notify.Notifier{URL: hook.secretURL(), Recorder: &memRecorder{}, Now: func() time.Time { return now }, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	first := export.Summary{Date: "2026-11-28", FileName: "ledger-export_2026-11-28.csv", EntriesExported: 12, Rows: 40,
		DebitTotal: "1000.00", CreditTotal: "1000.00", Generation: 1, WebViewLink: "https://drive.google.com/file/d/F/view"}
	n.Ready(t.Context(), first)
	fixed := first
	fixed.EntriesExported, fixed.Rows, fixed.DebitTotal, fixed.CreditTotal, fixed.Generation = 13, 43, "1250.50", "1250.50", 3
	fixed.Correction = &export.Correction{By: "ops@example.com", Reason: "VAT line of J-7 was wrong", At: now,
		Previous: export.Figures(first)}
	n.Ready(t.Context(), fixed)
	n.Ready(t.Context(), fixed) // a retry of the same re-export
	msgs := hook.got()
	if len(msgs) != 2 {
		t.Fatalf("the webhook got %d messages, want the ready one and one corrected: %q", len(msgs), msgs)
	}
	for _, want := range []string{"The ledger file for 28 Nov 2026 was corrected", "Why: VAT line of J-7 was wrong (asked by ops@example.com)",
		"Entries exported: 12 → 13", "Rows: 40 → 43", "Debit total: 1,000.00 → 1,250.50", "Credit total: 1,000.00 → 1,250.50", "Open it: https://drive.google.com/file/d/F/view"} {
		if !strings.Contains(msgs[1], want) {
			t.Errorf("corrected notice = %q, want it to hold %q", msgs[1], want)
		}
	}
	if q := hook.queries[1].Get("messageId"); q != "client-ledger-export-corrected3-2026-11-28" {
		t.Errorf("messageId = %q, want one per re-export", q)
	}
	again := fixed
	again.Generation = 5
	n.Ready(t.Context(), again)
	if got := hook.got(); len(got) != 3 {
		t.Errorf("a second re-export sent %d messages in all, want 3", len(got))
	}
}

// rangeLocker holds lock records for Range; Done and Fail record nothing.
type rangeLocker struct {
	export.Locker
	recs []export.Record
}

func (l rangeLocker) Range(context.Context, string, string) ([]export.Record, error) {
	return l.recs, nil
}
func (rangeLocker) Done(context.Context, export.Lease, export.Summary, time.Time) error {
	return nil
}
func (rangeLocker) Fail(context.Context, export.Lease, export.Failed, time.Time) error { return nil }

// TestNextDaysRunSendsAMissedLateNotice: the webhook is down when a date is blocked, and healing skips a blocked
// date without taking its lock; the next day's run that finishes its own date sends the "late" notice, once.
// Bug caught: only "ready" retried by the next run, so a missed "late" notice was never sent.
func TestNextDaysRunSendsAMissedLateNotice(t *testing.T) {
	hook := newWebhook(t)
	hook.setStatus(http.StatusServiceUnavailable)
	now := time.Date(2026, 11, 28, 11, 1, 0, 0, time.UTC)
	n := &notify.Notifier{URL: hook.secretURL(), Recorder: &memRecorder{}, Now: func() time.Time { return now }, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	blocked := export.Record{Date: "2026-11-28", State: export.StateFailed, Permanent: true, ErrorClass: export.ClassDrivePermanent}
	l := notify.Locker{Locker: rangeLocker{recs: []export.Record{blocked}}, Notifier: n}
	if err := l.Fail(t.Context(), export.Lease{Date: "2026-11-28"}, export.Failed{Class: export.ClassDrivePermanent, Permanent: true}, now); err != nil {
		t.Fatal(err)
	}
	if len(hook.got()) != 0 {
		t.Fatalf("messages during the outage = %q", hook.got())
	}
	hook.setStatus(0)
	now = now.Add(24*time.Hour + notify.ClaimTTL)
	for range 2 {
		if err := l.Done(t.Context(), export.Lease{Date: "2026-11-29"}, export.Summary{Date: "2026-11-29", FileName: "f.csv"}, now); err != nil {
			t.Fatal(err)
		}
	}
	var late int
	for _, m := range hook.got() {
		if strings.HasPrefix(m, "The ledger file for 28 Nov 2026 will be late") {
			late++
		}
	}
	if late != 1 {
		t.Errorf("late notices of 28 Nov after the next day's runs = %d, want 1: %q", late, hook.got())
	}
}
