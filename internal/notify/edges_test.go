package notify_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/siamledger/ledger-export/internal/export"
	"github.com/siamledger/ledger-export/internal/notify"
)

// stubLocker is the wrapped export.Locker, answering what each test sets and recording what it is asked.
type stubLocker struct {
	export.Locker // nil: a call the test does not expect panics

	acq     export.Acquisition
	acqErr  error
	doneErr error
	failErr error
	recs    []export.Record
	mu      sync.Mutex
	ranges  [][2]string
}

func (s *stubLocker) Acquire(context.Context, string, time.Time, export.AcquireOptions) (export.Acquisition, error) {
	return s.acq, s.acqErr
}
func (s *stubLocker) Done(context.Context, export.Lease, export.Summary, time.Time) error {
	return s.doneErr
}
func (s *stubLocker) Fail(context.Context, export.Lease, export.Failed, time.Time) error {
	return s.failErr
}
func (s *stubLocker) Range(_ context.Context, from, to string) ([]export.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ranges = append(s.ranges, [2]string{from, to})
	return s.recs, nil
}

// clock is a settable time for the Notifier.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }
func newClock() *clock               { return &clock{t: time.Date(2026, 11, 28, 11, 1, 0, 0, time.UTC)} }
func summary(date string) export.Summary {
	return export.Summary{Date: date, FileName: "ledger-" + date + ".csv"}
}

// notifier is a Notifier on hook with an in-memory recorder, its failure counter and its logs.
func notifier(hook *webhook, c *clock) (*notify.Notifier, *memRecorder, *counter, *bytes.Buffer) {
	rec, failed, logs := &memRecorder{}, &counter{}, &bytes.Buffer{}
	return &notify.Notifier{URL: hook.secretURL(), Recorder: rec, Now: c.now, Failed: failed.add,
		Logger: slog.New(slog.NewJSONHandler(logs, nil))}, rec, failed, logs
}

// TestSentIsRecordedForSlack: after a Slack post the notice is recorded as sent, so a trigger after the claim has
// lapsed posts nothing. Slack's webhooks have no message id, so the record is all that stops a second message.
// Fails if NoticeSent is never called (or called before a post that then fails).
func TestSentIsRecordedForSlack(t *testing.T) {
	hook := newWebhook(t)
	to, _ := url.Parse(hook.srv.URL)
	c := newClock()
	n, rec, _, _ := notifier(hook, c)
	n.URL = "https://hooks.slack.com/services/T0/B0/SECRET"
	n.Client = &http.Client{Transport: &slackTransport{to: to}}
	n.Ready(t.Context(), summary("2026-11-28"))
	if !rec.sent["2026-11-28/ready"] {
		t.Errorf("the notice was posted but not recorded as sent")
	}
	c.add(notify.ClaimTTL + time.Minute) // the claim has lapsed
	n.Ready(t.Context(), summary("2026-11-28"))
	if got := hook.got(); len(got) != 1 {
		t.Errorf("the Slack webhook got %d messages, want 1", len(got))
	}
}

// TestChatConflictIsSent: Google Chat's 409 for a messageId it already holds means the message was sent before:
// the notice is recorded as sent, not counted or logged as a failure, and not posted again. Fails if the 409 is
// taken as a failure (a metric and warning per trigger of a notified date, and a retry that never succeeds).
func TestChatConflictIsSent(t *testing.T) {
	hook := newWebhook(t)
	hook.setStatus(http.StatusConflict)
	c := newClock()
	n, rec, failed, logs := notifier(hook, c)
	n.Ready(t.Context(), summary("2026-11-28"))
	if failed.get() != 0 || strings.Contains(logs.String(), "notice not sent") {
		t.Errorf("a 409 counted %d failures, logs:\n%s", failed.get(), logs.String())
	}
	if !rec.sent["2026-11-28/ready"] {
		t.Errorf("a 409 (the message exists) is not recorded as sent")
	}
}

// TestNoNoticeBeforeDone: when the wrapped Locker fails to record the date done, Done returns its error and sends
// nothing, not even the missed notices of earlier days. Fails if "ready" is sent before Done's error is checked
// (the accountant would be told of a file whose date may be exported again).
func TestNoNoticeBeforeDone(t *testing.T) {
	hook := newWebhook(t)
	n, _, _, _ := notifier(hook, newClock())
	inner := &stubLocker{doneErr: errors.New("lease lost"), recs: []export.Record{{Date: "2026-11-27", State: export.StateDone, Summary: &export.Summary{Date: "2026-11-27"}}}}
	l := notify.Locker{Locker: inner, Notifier: n}
	err := l.Done(t.Context(), export.Lease{Date: "2026-11-28", Generation: 1}, summary("2026-11-28"), n.Now())
	if err == nil || err.Error() != "lease lost" {
		t.Errorf("Done = %v, want the wrapped Locker's error", err)
	}
	if got := hook.got(); len(got) != 0 {
		t.Errorf("a failed Done sent %q", got)
	}
}

// TestMissedNoticesOnlyForDoneDates: after recording a date done, Done looks at the RetryDays (7) dates before it
// and sends the "ready" notice of each that is done with a summary, the "late" notice of each blocked by a
// permanent failure (issue 18: healing skips a blocked date, so only this retry sends a missed one), and nothing
// for the others (running, uploaded). Fails if the loop sends for dates that are neither, looks at the wrong days,
// or skips a done or blocked one.
func TestMissedNoticesOnlyForDoneDates(t *testing.T) {
	hook := newWebhook(t)
	n, _, _, _ := notifier(hook, newClock())
	s := func(d string) *export.Summary { v := summary(d); return &v }
	inner := &stubLocker{recs: []export.Record{
		{Date: "2026-11-21", State: export.StateDone, Summary: s("2026-11-21")},
		{Date: "2026-11-22", State: export.StateRunning, Summary: s("2026-11-22")},
		{Date: "2026-11-23", State: export.StateFailed, Summary: s("2026-11-23"), Permanent: true},
		{Date: "2026-11-24", State: export.StateUploaded, Summary: s("2026-11-24")},
		{Date: "2026-11-25", State: export.StateDone}, // no summary: nothing to say
		{Date: "2026-11-27", State: export.StateDone, Summary: s("2026-11-27")},
	}}
	l := notify.Locker{Locker: inner, Notifier: n}
	if err := l.Done(t.Context(), export.Lease{Date: "2026-11-28", Generation: 1}, summary("2026-11-28"), n.Now()); err != nil {
		t.Fatal(err)
	}
	if len(inner.ranges) != 1 || inner.ranges[0] != [2]string{"2026-11-21", "2026-11-27"} {
		t.Errorf("Range asked for %v, want 2026-11-21 to 2026-11-27", inner.ranges)
	}
	var dates []string
	for _, m := range hook.got() {
		for _, d := range []string{"28 Nov 2026", "21 Nov 2026", "22 Nov 2026", "23 Nov 2026", "24 Nov 2026", "25 Nov 2026", "27 Nov 2026"} {
			if strings.Contains(m, d) {
				dates = append(dates, d)
			}
		}
	}
	if got := strings.Join(dates, ", "); got != "28 Nov 2026, 21 Nov 2026, 23 Nov 2026, 27 Nov 2026" {
		t.Errorf("notices sent for %s, want the date's own, then 21 and 27 Nov (done) and 23 Nov (blocked: late)", got)
	}
}

// TestAcquireNotices: Acquire alone sends the notice its outcome calls for: "late" for a blocked date (with no
// Fail before it in this process: a later trigger of a date blocked by an earlier one), "ready" for a done date
// with a summary, nothing for the others or an error. Fails if Acquire on a blocked date sends no "late" notice,
// or if any other outcome sends one.
func TestAcquireNotices(t *testing.T) {
	s := summary("2026-11-28")
	tests := []struct {
		name string
		acq  export.Acquisition
		err  error
		want string // the start of the one message, "" for none
	}{
		{"blocked", export.Acquisition{Outcome: export.LockBlocked, Record: export.Record{ErrorClass: export.ClassMongo, Permanent: true}}, nil,
			"The ledger file for 28 Nov 2026 will be late: the ledger could not be read."},
		{"done", export.Acquisition{Outcome: export.LockAlreadyDone, Record: export.Record{State: export.StateDone, Summary: &s}}, nil,
			"The ledger file for 28 Nov 2026 is in Drive: ledger-2026-11-28.csv"},
		{"done without a summary", export.Acquisition{Outcome: export.LockAlreadyDone}, nil, ""},
		{"acquired", export.Acquisition{Outcome: export.LockAcquired}, nil, ""},
		{"busy", export.Acquisition{Outcome: export.LockBusy}, nil, ""},
		{"takeover", export.Acquisition{Outcome: export.LockTakeover}, nil, ""},
		{"error", export.Acquisition{Outcome: export.LockBlocked}, errors.New("firestore down"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hook := newWebhook(t)
			n, _, _, _ := notifier(hook, newClock())
			l := notify.Locker{Locker: &stubLocker{acq: tt.acq, acqErr: tt.err}, Notifier: n}
			acq, err := l.Acquire(t.Context(), "2026-11-28", n.Now(), export.AcquireOptions{})
			if err != tt.err || acq.Outcome != tt.acq.Outcome {
				t.Errorf("Acquire = %v, %v; want the wrapped Locker's %v, %v", acq.Outcome, err, tt.acq.Outcome, tt.err)
			}
			got := hook.got()
			switch {
			case tt.want == "" && len(got) != 0:
				t.Errorf("sent %q, want nothing", got)
			case tt.want != "" && (len(got) != 1 || !strings.HasPrefix(got[0], tt.want)):
				t.Errorf("sent %q, want one message starting %q", got, tt.want)
			}
		})
	}
}

// TestFailNotices: Fail returns the wrapped Locker's error and then sends nothing; a permanent failure recorded
// sends "late" with the cause in words for each class. Fails if a late notice goes out for a failure that was not
// recorded, or a class gets another cause.
func TestFailNotices(t *testing.T) {
	hook := newWebhook(t)
	n, _, _, _ := notifier(hook, newClock())
	l := notify.Locker{Locker: &stubLocker{failErr: errors.New("lease lost")}, Notifier: n}
	if err := l.Fail(t.Context(), export.Lease{Date: "2026-11-28"}, export.Failed{Class: export.ClassDrivePermanent, Permanent: true}, n.Now()); err == nil {
		t.Error("Fail = nil, want the wrapped Locker's error")
	}
	if got := hook.got(); len(got) != 0 {
		t.Errorf("an unrecorded failure sent %q", got)
	}
	for class, why := range map[export.Class]string{
		export.ClassValidation:     "the export's settings are wrong.",
		export.ClassFirestore:      "the export could not record its progress.",
		export.ClassDriveTransient: "the export stopped on an error it cannot get past by itself.",
	} {
		hook := newWebhook(t)
		n, _, _, _ := notifier(hook, newClock())
		l := notify.Locker{Locker: &stubLocker{}, Notifier: n}
		if err := l.Fail(t.Context(), export.Lease{Date: "2026-11-28"}, export.Failed{Class: class, Permanent: true}, n.Now()); err != nil {
			t.Fatal(err)
		}
		if got := hook.got(); len(got) != 1 || !strings.HasPrefix(got[0], "The ledger file for 28 Nov 2026 will be late: "+why) {
			t.Errorf("class %s: sent %q, want %q", class, got, why)
		}
	}
}

// TestAccountMapFailureTellsTheAccountant: a failure on the account map is not permanent (a retry after the fix
// exports), but only the accountant can fix it, so Fail sends the "late" notice at once, saying what is wrong
// with the sheet in the accountant's language, and once per date. Fails if the notice waited for a permanent
// failure (the accountant would not hear of it until someone read the alert), lost the sheet's problem, or went
// out on every retry.
func TestAccountMapFailureTellsTheAccountant(t *testing.T) {
	for lang, want := range map[string]string{
		notify.English: `The ledger file for 28 Nov 2026 will be late: the account map in the Drive folder needs the accountant: no Google Sheet or CSV named "account-map" in the export folder.`,
		notify.Thai:    `ไฟล์บัญชีแยกประเภทของวันที่ 28 Nov 2026 จะล่าช้า: ผังบัญชี (account map) ในโฟลเดอร์ Drive ต้องให้นักบัญชีแก้ไข: no Google Sheet or CSV named "account-map" in the export folder`,
	} {
		hook := newWebhook(t)
		n, _, _, _ := notifier(hook, newClock())
		n.Language = lang
		l := notify.Locker{Locker: &stubLocker{}, Notifier: n}
		msg := `prepare: account map: no Google Sheet or CSV named "account-map" in the export folder`
		if lang == notify.English {
			msg = strings.TrimPrefix(msg, "prepare: ") // the error's own words, as they start without the step
		}
		f := export.Failed{Class: export.ClassAccountMap, Message: msg}
		for range 2 {
			if err := l.Fail(t.Context(), export.Lease{Date: "2026-11-28"}, f, n.Now()); err != nil {
				t.Fatal(err)
			}
		}
		if got := hook.got(); len(got) != 1 || !strings.HasPrefix(got[0], want) {
			t.Errorf("%s: sent %q, want once %q", lang, got, want)
		}
	}
}

// TestReadyTextPeriodAndMap: the "ready" notice says which queue window the file covers, in its zone, and which
// version of the account map made it, in either language. Fails if either line is dropped, or the window's ends are
// swapped.
func TestReadyTextPeriodAndMap(t *testing.T) {
	s := export.Summary{Date: "2026-12-06", FileName: "ledger-export_2026-12-06.csv", WindowFrom: "2026-12-05 18:00", WindowTo: "2026-12-06 18:00",
		TimeZone: "Asia/Bangkok", AccountMap: &export.Source{Name: "account-map", Version: 7}}
	for lang, want := range map[string][]string{
		notify.English: {"Entries queued from 2026-12-05 18:00 to before 2026-12-06 18:00 (Asia/Bangkok).", "Account map: account-map, version 7."},
		notify.Thai:    {"รายการที่เข้าคิวตั้งแต่ 2026-12-05 18:00 ถึงก่อน 2026-12-06 18:00 (Asia/Bangkok)", "ผังบัญชีที่ใช้: account-map เวอร์ชัน 7"},
	} {
		hook := newWebhook(t)
		n, _, _, _ := notifier(hook, newClock())
		n.Language = lang
		n.Ready(t.Context(), s)
		got := hook.got()
		for _, w := range want {
			if len(got) != 1 || !strings.Contains(got[0], w) {
				t.Errorf("%s: sent %q, want it to say %q", lang, got, w)
			}
		}
	}
}

// TestReadyText: the "ready" message's figures in an accountant's format: thousands separated, negative totals
// signed, three failed entries listed and the rest counted. Fails on a misplaced separator (",123" or none at
// 1,000), a fourth failure listed, or a wrong "more" count.
func TestReadyText(t *testing.T) {
	hook := newWebhook(t)
	n, _, _, _ := notifier(hook, newClock())
	fails := []export.Failure{{EntryID: "e1", Reason: "r1"}, {EntryID: "e2", Reason: "r2"}, {EntryID: "e3", Reason: "r3"}, {EntryID: "e4", Reason: "r4"}}
	n.Ready(t.Context(), export.Summary{Date: "2026-11-28", FileName: "f.csv", EntriesExported: 1000, EntriesFailed: 5, Rows: 123,
		DebitTotal: "-1234.50", CreditTotal: "100", Failures: fails, WebViewLink: "https://drive.example/f"})
	want := "The ledger file for 28 Nov 2026 is in Drive: f.csv\n" +
		"Entries exported: 1,000. Failed: 5. Rows: 123.\n" +
		"Debit total: -1,234.50. Credit total: 100.\n" +
		"Entries not in the file, and why:\n- entry e1: r1\n- entry e2: r2\n- entry e3: r3\n" +
		"and 2 more (listed in the export's summary)\n" +
		"Open it: https://drive.example/f"
	if got := hook.got(); len(got) != 1 || got[0] != want {
		t.Errorf("message = %q\nwant %q", got, want)
	}
}

// TestReadyTextWithoutFailures: a date with no failed entry gets no failure heading, and no link line without a
// link. Fails if the heading is written for an empty list.
func TestReadyTextWithoutFailures(t *testing.T) {
	hook := newWebhook(t)
	n, _, _, _ := notifier(hook, newClock())
	n.Ready(t.Context(), export.Summary{Date: "2026-11-28", FileName: "f.csv", EntriesExported: 12, Rows: 24, DebitTotal: "999.00", CreditTotal: "999.00"})
	want := "The ledger file for 28 Nov 2026 is in Drive: f.csv\n" +
		"Entries exported: 12. Failed: 0. Rows: 24.\n" +
		"Debit total: 999.00. Credit total: 999.00."
	if got := hook.got(); len(got) != 1 || got[0] != want {
		t.Errorf("message = %q\nwant %q", got, want)
	}
}
