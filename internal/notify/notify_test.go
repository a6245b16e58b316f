package notify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/siamledger/ledger-export/internal/bench"
	"github.com/siamledger/ledger-export/internal/drivefake"
	"github.com/siamledger/ledger-export/internal/export"
	"github.com/siamledger/ledger-export/internal/notify"
)

// memRecorder is a Recorder in memory with the lease's semantics: a claim wins unless the notice was sent or an
// unexpired claim holds it.
type memRecorder struct {
	mu      sync.Mutex
	sent    map[string]bool
	claimed map[string]time.Time
}

func (m *memRecorder) ClaimNotice(_ context.Context, date, kind string, now, until time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := date + "/" + kind
	if m.sent[k] || now.Before(m.claimed[k]) {
		return false, nil
	}
	if m.claimed == nil {
		m.claimed = map[string]time.Time{}
	}
	m.claimed[k] = until
	return true, nil
}

func (m *memRecorder) NoticeSent(_ context.Context, date, kind string, _ time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.sent == nil {
		m.sent = map[string]bool{}
	}
	m.sent[date+"/"+kind] = true
	return nil
}

// webhook is a local incoming webhook: it keeps every message, and answers status while it is set (an outage).
type webhook struct {
	mu       sync.Mutex
	messages []string
	queries  []url.Values
	status   int
	srv      *httptest.Server
}

func newWebhook(t *testing.T) *webhook {
	w := &webhook{}
	w.srv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.status != 0 {
			http.Error(rw, "unavailable", w.status)
			return
		}
		var body struct{ Text string }
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || r.Method != http.MethodPost {
			http.Error(rw, "bad request", http.StatusBadRequest)
			return
		}
		w.messages = append(w.messages, body.Text)
		w.queries = append(w.queries, r.URL.Query())
	}))
	t.Cleanup(w.srv.Close)
	return w
}

func (w *webhook) got() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.messages...)
}

func (w *webhook) setStatus(s int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.status = s
}

// secretURL is the webhook's URL with a key and token, as Google Chat gives it.
func (w *webhook) secretURL() string {
	return w.srv.URL + "/v1/spaces/AAA/messages?key=KEY-SECRET&token=TOKEN-SECRET"
}

type counter struct {
	mu sync.Mutex
	n  int
}

func (c *counter) add(context.Context, string) { c.mu.Lock(); c.n++; c.mu.Unlock() }
func (c *counter) get() int                    { c.mu.Lock(); defer c.mu.Unlock(); return c.n }

// setup returns a runner exporting 2,000 generated entries with every production part but MongoDB and Firestore
// (internal/bench), its Locker wrapped by notify.Locker.
func setup(t *testing.T, hook *webhook, logs io.Writer) (*export.Runner, *counter) {
	t.Helper()
	fake, err := drivefake.NewServer(drivefake.Options{Folders: []string{bench.Folder}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	r, err := bench.Runner(t.Context(), bench.Config{Entries: 2000, DriveURL: fake.URL()}, bench.NewWorkload(2000, 1).Queue(bench.Mapper()))
	if err != nil {
		t.Fatal(err)
	}
	failed := &counter{}
	n := &notify.Notifier{
		URL: hook.secretURL(), Recorder: &memRecorder{}, Now: r.Now, Timeout: 5 * time.Second, Failed: failed.add,
		Logger: slog.New(slog.NewJSONHandler(logs, nil)),
	}
	r.Locker = notify.Locker{Locker: r.Locker, Notifier: n}
	return r, failed
}

// TestOneMessagePerDate: the first run that finishes the date posts one message; retries and concurrent triggers
// of the same date post nothing more. The message says what the accountant needs and carries Google Chat's
// client-assigned messageId. A trigger after the claim has lapsed (ClaimTTL) posts nothing either, since the
// notice is recorded as sent on the lock. Fails if a notice is sent per trigger, or never, or if the sent record
// is not written (the claim alone holds only for ClaimTTL; then the date's next trigger posts again).
func TestOneMessagePerDate(t *testing.T) {
	hook := newWebhook(t)
	r, failed := setup(t, hook, io.Discard)
	rep, err := r.Run(t.Context(), export.Request{Date: bench.Date})
	if err != nil || rep.Outcome != export.OutcomeExported {
		t.Fatalf("Run = %+v, %v", rep, err)
	}
	var wg sync.WaitGroup
	for range 6 { // Cloud Scheduler's retries and a manual trigger at once
		wg.Add(1)
		go func() {
			defer wg.Done()
			if rep, err := r.Run(t.Context(), export.Request{Date: bench.Date}); err != nil || rep.Outcome != export.OutcomeAlreadyDone {
				t.Errorf("retry = %+v, %v; want already_done", rep.Outcome, err)
			}
		}()
	}
	wg.Wait()
	n := r.Locker.(notify.Locker).Notifier
	if rec := n.Recorder.(*memRecorder); !rec.sent[bench.Date+"/ready"] {
		t.Errorf("the notice is not recorded as sent on the lock")
	}
	later := r.Now().Add(notify.ClaimTTL + time.Minute) // every claim has lapsed
	r.Now = func() time.Time { return later }
	n.Now = r.Now
	if rep, err := r.Run(t.Context(), export.Request{Date: bench.Date}); err != nil || rep.Outcome != export.OutcomeAlreadyDone {
		t.Errorf("trigger after the claim lapsed = %+v, %v; want already_done", rep.Outcome, err)
	}
	msgs := hook.got()
	if len(msgs) != 1 {
		t.Fatalf("the webhook got %d messages, want 1: %q", len(msgs), msgs)
	}
	s := rep.Summary
	for _, want := range []string{"28 Nov 2026", s.FileName, "Entries exported: ", "Debit total: ", s.WebViewLink} {
		if !strings.Contains(msgs[0], want) {
			t.Errorf("the message lacks %q:\n%s", want, msgs[0])
		}
	}
	if q := hook.queries[0]; q.Get("messageId") != "client-ledger-export-ready-2026-11-28" || q.Get("token") != "TOKEN-SECRET" {
		t.Errorf("query = %v, want the webhook's own parameters and messageId client-ledger-export-ready-2026-11-28", q)
	}
	if failed.get() != 0 {
		t.Errorf("failures counted: %d", failed.get())
	}
}

// TestOutageDoesNotChangeTheExport: with the webhook down the export ends exactly as without a notifier (same
// outcome, same bytes), the failure is logged without the URL's secrets and counted, and the next trigger of the
// date, with the webhook back, sends the one message. Fails if a notice error reaches the run, if the URL is logged,
// or if a failed notice is never retried.
func TestOutageDoesNotChangeTheExport(t *testing.T) {
	hook := newWebhook(t)
	hook.setStatus(http.StatusServiceUnavailable)
	var logs bytes.Buffer
	r, failed := setup(t, hook, &logs)
	rep, err := r.Run(t.Context(), export.Request{Date: bench.Date})
	if err != nil || rep.Outcome != export.OutcomeExported {
		t.Fatalf("Run with the webhook down = %+v, %v; want exported", rep, err)
	}
	plain, _ := setup(t, newWebhook(t), io.Discard)
	plain.Locker = plain.Locker.(notify.Locker).Locker // no notifier at all
	ref, err := plain.Run(t.Context(), export.Request{Date: bench.Date})
	if err != nil || ref.Summary.SHA256 != rep.Summary.SHA256 || ref.Summary.Rows != rep.Summary.Rows {
		t.Errorf("the export with the webhook down differs from one without a notifier: %+v vs %+v (%v)", rep.Summary, ref.Summary, err)
	}
	if failed.get() != 1 || len(hook.got()) != 0 {
		t.Errorf("failures counted %d, messages %d; want 1 and 0", failed.get(), len(hook.got()))
	}
	if strings.Contains(logs.String(), "SECRET") {
		t.Errorf("the logs hold the webhook URL's secrets:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "notice not sent") {
		t.Errorf("the failed notice is not logged:\n%s", logs.String())
	}

	hook.setStatus(0)
	later := r.Now().Add(notify.ClaimTTL + time.Minute)
	r.Now = func() time.Time { return later }
	r.Locker.(notify.Locker).Notifier.Now = r.Now
	if rep, err := r.Run(t.Context(), export.Request{Date: bench.Date}); err != nil || rep.Outcome != export.OutcomeAlreadyDone {
		t.Fatalf("next trigger = %+v, %v", rep, err)
	}
	if _, err := r.Run(t.Context(), export.Request{Date: bench.Date}); err != nil {
		t.Fatal(err)
	}
	if got := hook.got(); len(got) != 1 {
		t.Errorf("after the outage the webhook got %d messages, want 1", len(got))
	}
}

// failLocker is a Locker whose Fail and Acquire report a permanent failure, as a blocked date's lock does.
type failLocker struct{ export.Locker }

func (failLocker) Fail(context.Context, export.Lease, export.Failed, time.Time) error { return nil }
func (failLocker) Acquire(_ context.Context, date string, _ time.Time, _ export.AcquireOptions) (export.Acquisition, error) {
	return export.Acquisition{Outcome: export.LockBlocked, Record: export.Record{Date: date, ErrorClass: export.ClassDrivePermanent, Permanent: true}}, nil
}

// TestLateNoticeOnce: a permanent failure sends one "file will be late" notice in an accountant's words; the
// blocked date's later triggers send nothing more, and a transient failure sends nothing. Fails if the late notice
// repeats, names an error class instead of a cause, or follows a transient failure.
func TestLateNoticeOnce(t *testing.T) {
	hook := newWebhook(t)
	now := time.Date(2026, 11, 28, 11, 1, 0, 0, time.UTC)
	n := &notify.Notifier{URL: hook.secretURL(), Recorder: &memRecorder{}, Now: func() time.Time { return now }, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	l := notify.Locker{Locker: failLocker{}, Notifier: n}
	le := export.Lease{Date: "2026-11-28", Generation: 1}
	if err := l.Fail(t.Context(), le, export.Failed{Class: export.ClassDriveTransient}, now); err != nil {
		t.Fatal(err)
	}
	if len(hook.got()) != 0 {
		t.Fatalf("a transient failure sent %q", hook.got())
	}
	if err := l.Fail(t.Context(), le, export.Failed{Class: export.ClassDrivePermanent, Permanent: true}, now); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := l.Acquire(t.Context(), "2026-11-28", now, export.AcquireOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	msgs := hook.got()
	if len(msgs) != 1 {
		t.Fatalf("the webhook got %d messages, want 1: %q", len(msgs), msgs)
	}
	if want := "The ledger file for 28 Nov 2026 will be late: the export cannot write to the Drive folder"; !strings.HasPrefix(msgs[0], want) || strings.Contains(msgs[0], "drive_permanent") {
		t.Errorf("late notice = %q, want it to start %q, in words", msgs[0], want)
	}
}

// slackTransport sends every request to the local webhook, whatever its host, so the notifier can be given a
// hooks.slack.com URL.
type slackTransport struct {
	to   *url.URL
	seen *url.URL
}

func (s *slackTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	s.seen = r.URL
	r2 := r.Clone(r.Context())
	r2.URL.Scheme, r2.URL.Host = s.to.Scheme, s.to.Host
	return http.DefaultTransport.RoundTrip(r2)
}

// TestSlackByHost: a hooks.slack.com URL gets Slack's body and no Google Chat messageId. Fails if the host does
// not choose the body.
func TestSlackByHost(t *testing.T) {
	hook := newWebhook(t)
	to, _ := url.Parse(hook.srv.URL)
	tr := &slackTransport{to: to}
	now := time.Date(2026, 11, 28, 11, 1, 0, 0, time.UTC)
	n := &notify.Notifier{URL: "https://hooks.slack.com/services/T0/B0/SECRET", Client: &http.Client{Transport: tr},
		Recorder: &memRecorder{}, Now: func() time.Time { return now }, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	n.Ready(t.Context(), export.Summary{Date: "2026-11-28", FileName: "f.xlsx", DebitTotal: "1234567.50", CreditTotal: "1234567.50"})
	if got := hook.got(); len(got) != 1 || !strings.Contains(got[0], "Debit total: 1,234,567.50") {
		t.Fatalf("messages = %q", got)
	}
	if tr.seen == nil || tr.seen.Host != "hooks.slack.com" || tr.seen.Query().Has("messageId") {
		t.Errorf("request URL = %v, want hooks.slack.com without messageId", tr.seen)
	}
}

// TestNextDaysRunSendsAMissedNotice: the webhook is down all through a date's run; the next day's run, with the
// webhook back, sends that date's notice as well as its own. Fails if only the date's own trigger retries it
// (Cloud Scheduler never triggers a done date again).
func TestNextDaysRunSendsAMissedNotice(t *testing.T) {
	hook := newWebhook(t)
	hook.setStatus(http.StatusServiceUnavailable)
	r, _ := setup(t, hook, io.Discard)
	if rep, err := r.Run(t.Context(), export.Request{Date: bench.Date}); err != nil || rep.Outcome != export.OutcomeExported {
		t.Fatalf("day 1 = %+v, %v", rep, err)
	}
	hook.setStatus(0)
	next := r.Now().AddDate(0, 0, 1)
	r.Now = func() time.Time { return next }
	r.Locker.(notify.Locker).Notifier.Now = r.Now
	r.Queue = bench.NewWorkload(2000, 1).Queue(bench.Mapper()) // day 2's entries
	if rep, err := r.Run(t.Context(), export.Request{Date: "2026-11-29"}); err != nil || rep.Outcome != export.OutcomeExported {
		t.Fatalf("day 2 = %+v, %v", rep, err)
	}
	got := hook.got()
	if len(got) != 2 || !strings.Contains(got[0]+got[1], bench.Date) || !strings.Contains(got[0]+got[1], "2026-11-29") {
		t.Errorf("messages after day 2 = %d %q, want one for each date", len(got), got)
	}
}
