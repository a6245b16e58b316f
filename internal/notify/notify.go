// Package notify tells the accountant that a date's file is in Drive, or that it will be late, with one message to a
// Google Chat incoming webhook (or a Slack one, chosen by the URL's host hooks.slack.com).
//
// Each notice is sent once per date and kind: before sending, the notifier claims the notice on the date's lock
// (Recorder, implemented by internal/lease), and records it as sent afterwards, so retries and concurrent triggers do
// not repeat it. Google Chat's own idempotency backs that up: the message is created with a client-assigned
// messageId (client-ledger-export-<kind>-<date>), which Chat refuses to create twice (409 ALREADY_EXISTS, taken as
// sent).
//
// The notices are in the accountant's language, Thai or English (Notifier.Language; see words.go).
//
// A failed notice never fails the export: it is logged (never with the webhook URL, a secret) and counted, its
// claim lapses after ClaimTTL, and the date's next trigger sends it.
package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/siamledger/ledger-export/internal/export"
)

// The kinds of notice.
const (
	KindReady = "ready" // the file is in Drive
	KindLate  = "late"  // the date is blocked: the file will be late
)

// ClaimTTL is how long a claimed notice is reserved for the attempt sending it; a notice whose sender died is sent
// by the first trigger after it.
const ClaimTTL = 2 * time.Minute

// Recorder keeps the notices' state on the date's lock.
type Recorder interface {
	// ClaimNotice reserves the date's notice of the kind until until. It reports false when the notice was
	// already sent, or another attempt holds an unexpired claim.
	ClaimNotice(ctx context.Context, date, kind string, now, until time.Time) (bool, error)
	// NoticeSent records that the notice was sent.
	NoticeSent(ctx context.Context, date, kind string, now time.Time) error
}

// Notifier posts the notices.
type Notifier struct {
	URL      string // the incoming webhook's URL: a secret, never logged
	Client   *http.Client
	Timeout  time.Duration // deadline of one post; 10 s when 0
	Recorder Recorder
	Logger   *slog.Logger
	Now      func() time.Time
	// Failed, when set, counts a notice that could not be sent (a metric).
	Failed func(ctx context.Context, kind string)
	// Language is the notices' language: "th" (Thai) or "en" (English); empty or any other value means English.
	Language string
}

// Ready sends the date's "file is ready" notice, unless it was sent. For a re-export (s.Correction set) it sends
// the "file was corrected" notice of that re-export instead (CorrectedKind), once.
func (n *Notifier) Ready(ctx context.Context, s export.Summary) {
	if s.Correction != nil {
		n.send(ctx, s.Date, CorrectedKind(s.Generation), correctedText(wordsFor(n.Language), s))
		return
	}
	n.send(ctx, s.Date, KindReady, readyText(wordsFor(n.Language), s))
}

// CorrectedKind is the kind of the "file was corrected" notice of the re-export that ended at generation: one per
// re-export, since a date may be corrected more than once. Its letters and digits suit both a lock field name and
// Google Chat's messageId.
func CorrectedKind(generation int64) string { return "corrected" + strconv.FormatInt(generation, 10) }

// Late sends the date's "file will be late" notice, unless it was sent. class is the permanent failure's class,
// as the lock records it.
func (n *Notifier) Late(ctx context.Context, date string, class export.Class, detail string) {
	n.send(ctx, date, KindLate, lateText(wordsFor(n.Language), date, class, detail))
}

// send claims, posts and records one notice. Every problem is logged and counted, never returned.
func (n *Notifier) send(ctx context.Context, date, kind, text string) {
	log := n.Logger.With("batchDate", date, "notice", kind)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), n.timeout())
	defer cancel()
	now := n.Now()
	ok, err := n.Recorder.ClaimNotice(ctx, date, kind, now, now.Add(ClaimTTL))
	if err != nil {
		n.fail(ctx, log, kind, fmt.Errorf("claim the notice on the lock: %w", err))
		return
	}
	if !ok {
		return // sent already, or being sent by another attempt
	}
	if err := n.post(ctx, date, kind, text); err != nil {
		n.fail(ctx, log, kind, err)
		return
	}
	if err := n.Recorder.NoticeSent(ctx, date, kind, n.Now()); err != nil {
		// The message is out; without the record, the next trigger posts again with the same messageId, which
		// Google Chat refuses as a duplicate.
		log.WarnContext(ctx, "notice sent but not recorded on the lock", "error", err.Error())
		return
	}
	log.InfoContext(ctx, "notice sent")
}

func (n *Notifier) fail(ctx context.Context, log *slog.Logger, kind string, err error) {
	log.WarnContext(ctx, "notice not sent; the date's next trigger retries it", "error", err.Error())
	if n.Failed != nil {
		n.Failed(ctx, kind)
	}
}

func (n *Notifier) timeout() time.Duration {
	if n.Timeout <= 0 {
		return 10 * time.Second
	}
	return n.Timeout
}

// post sends one message: Slack's body to hooks.slack.com, Google Chat's (with a client-assigned messageId)
// anywhere else. The error never holds the URL.
func (n *Notifier) post(ctx context.Context, date, kind, text string) error {
	u, err := url.Parse(n.URL)
	if err != nil {
		return errors.New("the webhook URL does not parse")
	}
	body := map[string]any{"text": text}
	if u.Hostname() != "hooks.slack.com" {
		q := u.Query()
		q.Set("messageId", MessageID(date, kind))
		u.RawQuery = q.Encode()
	}
	b, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("encode the message: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(b))
	if err != nil {
		return errors.New("the webhook URL is not a valid request URL")
	}
	req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	c := n.Client
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // url.Error quotes the URL, which holds the webhook's key and token
		}
		return fmt.Errorf("post to the webhook: %w", err)
	}
	defer resp.Body.Close()
	detail, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	switch {
	case resp.StatusCode/100 == 2:
		return nil
	case resp.StatusCode == http.StatusConflict:
		return nil // Google Chat: a message with this messageId exists: it was sent before
	}
	return fmt.Errorf("the webhook answered %d: %s", resp.StatusCode, strings.TrimSpace(string(detail)))
}

// MessageID is the client-assigned Google Chat message id of a date's notice (it must start with "client-").
func MessageID(date, kind string) string { return "client-ledger-export-" + kind + "-" + date }

// readyText is the "file is ready" message, in an accountant's words.
func readyText(w words, s export.Summary) string {
	var b strings.Builder
	fmt.Fprintf(&b, w.ready+"\n", showDate(s.Date), s.FileName)
	fmt.Fprintf(&b, w.counts+"\n", thousands(s.EntriesExported), thousands(s.EntriesFailed), thousands(s.Rows))
	fmt.Fprintf(&b, w.totals+"\n", money(s.DebitTotal), money(s.CreditTotal))
	if s.WindowFrom != "" && s.WindowTo != "" {
		fmt.Fprintf(&b, w.period+"\n", s.WindowFrom, s.WindowTo, s.TimeZone)
	}
	if m := s.AccountMap; m != nil {
		fmt.Fprintf(&b, w.accountMap+"\n", m.Name, m.Version)
	}
	if len(s.Failures) > 0 {
		b.WriteString(w.failures + "\n")
		for i, f := range s.Failures {
			if i == 3 {
				fmt.Fprintf(&b, w.more+"\n", thousands(s.EntriesFailed-3))
				break
			}
			fmt.Fprintf(&b, w.failure+"\n", f.EntryID, f.Reason)
		}
	}
	b.WriteString(leftOutLine(w, s))
	if s.WebViewLink != "" {
		fmt.Fprintf(&b, w.open, s.WebViewLink)
	}
	return strings.TrimRight(b.String(), "\n")
}

// leftOutLine is one line on the voided journals the file left out with their reversals, or "" when it left none
// out. They are counted as exported; the summary lists each.
func leftOutLine(w words, s export.Summary) string {
	if s.EntriesLeftOut == 0 {
		return ""
	}
	debit := ""
	if s.Voids != nil {
		debit = fmt.Sprintf(w.leftOutDebit, money(s.Voids.LeftOutDebit))
	}
	return fmt.Sprintf(w.leftOut+"\n", thousands(s.EntriesLeftOut), debit)
}

// correctedText is the "file was corrected" message: the same file (and link) holds new content; what changed,
// why, and who asked.
func correctedText(w words, s export.Summary) string {
	c, p := s.Correction, s.Correction.Previous
	var b strings.Builder
	fmt.Fprintf(&b, w.corrected+"\n", showDate(s.Date), s.FileName)
	fmt.Fprintf(&b, w.why+"\n", c.Reason, c.By)
	fmt.Fprintf(&b, w.countsChange+"\n",
		thousands(p.EntriesExported), thousands(s.EntriesExported), thousands(p.EntriesFailed), thousands(s.EntriesFailed), thousands(p.Rows), thousands(s.Rows))
	fmt.Fprintf(&b, w.totalsChange+"\n", money(p.DebitTotal), money(s.DebitTotal), money(p.CreditTotal), money(s.CreditTotal))
	if s.WebViewLink != "" {
		fmt.Fprintf(&b, w.open, s.WebViewLink)
	}
	return strings.TrimRight(b.String(), "\n")
}

// lateText is the "file will be late" message: what happened, in words an accountant understands, and what
// happens next.
func lateText(w words, date string, class export.Class, detail string) string {
	why := w.causeOther
	switch class {
	case export.ClassAccountMap:
		// The accountant fixes this one, so the notice says what is wrong with the sheet (the export's words).
		if i := strings.LastIndex(detail, "account map: "); i >= 0 {
			detail = detail[i+len("account map: "):]
		}
		why = fmt.Sprintf(w.causeMap, detail)
	case export.ClassDrivePermanent:
		why = w.causeDrive
	case export.ClassMongo:
		why = w.causeMongo
	case export.ClassValidation:
		why = w.causeSettings
	case export.ClassFirestore:
		why = w.causeProgress
	}
	return fmt.Sprintf(w.late, showDate(date), why)
}

// showDate writes 2026-11-28 as 28 Nov 2026.
func showDate(date string) string {
	t, err := time.Parse(time.DateOnly, date)
	if err != nil {
		return date
	}
	return t.Format("2 Jan 2006")
}

// money writes 2819997.22 as 2,819,997.22.
func money(s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	for i := len(whole) - 3; i > 0; i -= 3 {
		whole = whole[:i] + "," + whole[i:]
	}
	if frac != "" {
		whole += "." + frac
	}
	if neg {
		return "-" + whole
	}
	return whole
}

func thousands(n int64) string { return money(strconv.FormatInt(n, 10)) }
