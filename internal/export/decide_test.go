package export

// Service-free tests of the run's decisions: the failure classes, the batch date arithmetic, the re-export checks
// and the healing's choice of dates. They need no FerretDB or Firestore (the locker and queue are small fakes), so
// `make mutate` judges errors.go, run.go, reexport.go and heal.go by them alone (scripts/mutate).

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/siamledger/ledger-export/internal/ledger"
)

var decideZone = func() *time.Location {
	l, err := time.LoadLocation("Asia/Bangkok")
	if err != nil {
		panic(err)
	}
	return l
}()

// decideRunner cuts at 18:30 Bangkok time (UTC+7) and admits 10 days back.
func decideRunner() *Runner {
	return &Runner{Location: decideZone, CutoffHour: 18, CutoffMinute: 30, BackfillWindow: 10 * 24 * time.Hour,
		Fingerprint: "fp", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

// at is the cutoff of a date at 18:30 in Bangkok.
func at(date string) time.Time {
	d, err := time.ParseInLocation(time.DateOnly, date, decideZone)
	if err != nil {
		panic(err)
	}
	return d.Add(18*time.Hour + 30*time.Minute)
}

// stepError must keep a step's class unless the error says better: an *Error already classified passes through,
// a deadline or cancellation is a timeout, a lost lease and a mismatch keep their classes, an unwritable layout is
// a validation failure, and ErrPermanent turns only a transient Drive failure permanent. Bugs caught: an *Error
// re-wrapped under the step's class (a lost lease reported as a Firestore outage), ErrPermanent making a MongoDB
// failure "drive_permanent" (the date blocked forever on an outage), an unwritable file retried as an outage.
func TestStepErrorClass(t *testing.T) {
	inner := &Error{Step: "upload", Class: ClassLeaseLost, Err: errors.New("x")}
	if got := stepError("finish", ClassFirestore, fmt.Errorf("wrapped: %w", inner)); got != inner {
		t.Errorf("stepError of a wrapped *Error = %+v, want the *Error itself", got)
	}
	for _, tc := range []struct {
		name  string
		class Class
		err   error
		want  Class
	}{
		{"deadline", ClassMongo, fmt.Errorf("find: %w", context.DeadlineExceeded), ClassTimeout},
		{"canceled", ClassDriveTransient, context.Canceled, ClassTimeout},
		{"lease lost", ClassFirestore, fmt.Errorf("done: %w", ErrLeaseLost), ClassLeaseLost},
		{"mismatch", ClassMongo, fmt.Errorf("count: %w", ErrMismatch), ClassMismatch},
		{"unwritable", ClassDriveTransient, fmt.Errorf("encode: %w", ledger.ErrUnwritable), ClassValidation},
		{"permanent on drive", ClassDriveTransient, fmt.Errorf("create: %w", ErrPermanent), ClassDrivePermanent},
		{"permanent on mongo stays mongo", ClassMongo, fmt.Errorf("claim: %w", ErrPermanent), ClassMongo},
		{"plain", ClassFirestore, errors.New("unavailable"), ClassFirestore},
	} {
		got := stepError("step", tc.class, tc.err)
		if got.Class != tc.want || got.Step != "step" || !errors.Is(got, tc.err) {
			t.Errorf("%s: stepError = {%s %s %v}, want class %s wrapping the error", tc.name, got.Step, got.Class, got.Err, tc.want)
		}
	}
}

// Only a permanent Drive failure and a validation failure make a retry pointless. Bug caught: a permanent class
// missing (a missing folder retried for ever), or a transient one counted permanent (the date blocked by an
// outage).
func TestPermanentClasses(t *testing.T) {
	for _, c := range []Class{ClassDriveTransient, ClassDrivePermanent, ClassMongo, ClassFirestore, ClassValidation,
		ClassTimeout, ClassLeaseLost, ClassMismatch, ClassEarlierDate} {
		want := c == ClassDrivePermanent || c == ClassValidation
		if got := (&Error{Class: c}).Permanent(); got != want {
			t.Errorf("Permanent() of %s = %v, want %v", c, got, want)
		}
	}
}

// A date's cutoff is its day at the cutoff time in the configured zone; a trigger at the cutoff names that day and
// one a nanosecond earlier the day before; an entry created at the cutoff belongs to the next date; a date's window
// runs from the day before's cutoff to its own. Bugs caught: the zone ignored (a UTC instant read as Bangkok time),
// the boundary instant given to the wrong date (an entry in two files, or in none), a window a day off.
func TestDateArithmetic(t *testing.T) {
	r := decideRunner()
	c, err := r.Cutoff("2026-11-28")
	if want := time.Date(2026, 11, 28, 11, 30, 0, 0, time.UTC); err != nil || !c.Equal(want) {
		t.Errorf("Cutoff(2026-11-28) = %v, %v; want %v", c, err, want)
	}
	if _, err := r.Cutoff("28/11/2026"); !errors.Is(err, ErrInvalid) {
		t.Errorf("Cutoff(28/11/2026) error = %v, want ErrInvalid", err)
	}
	for _, tc := range []struct {
		t            time.Time
		dateAt, date string
	}{
		{time.Date(2026, 11, 28, 11, 30, 0, 0, time.UTC), "2026-11-28", "2026-11-29"},          // the cutoff, given in UTC
		{time.Date(2026, 11, 28, 11, 29, 59, 999999999, time.UTC), "2026-11-27", "2026-11-28"}, // a nanosecond before
		{time.Date(2026, 11, 28, 23, 0, 0, 0, time.UTC), "2026-11-28", "2026-11-29"},           // 06:00 on the 29th in Bangkok
		{time.Date(2026, 11, 28, 17, 0, 0, 0, time.UTC), "2026-11-28", "2026-11-29"},           // 00:00 on the 29th in Bangkok
		{time.Date(2026, 11, 28, 16, 59, 0, 0, time.UTC), "2026-11-28", "2026-11-29"},          // 23:59 on the 28th in Bangkok
		{time.Date(2026, 11, 28, 3, 0, 0, 0, time.UTC), "2026-11-27", "2026-11-28"},            // 10:00 on the 28th in Bangkok
	} {
		if got := r.DateAt(tc.t); got != tc.dateAt {
			t.Errorf("DateAt(%v) = %s, want %s", tc.t, got, tc.dateAt)
		}
		if got := r.dateOf(tc.t); got != tc.date {
			t.Errorf("dateOf(%v) = %s, want %s", tc.t, got, tc.date)
		}
	}
	from, to, err := r.window("2026-12-01")
	if err != nil || !from.Equal(at("2026-11-30")) || !to.Equal(at("2026-12-01")) {
		t.Errorf("window(2026-12-01) = [%v, %v), %v; want [%v, %v)", from, to, err, at("2026-11-30"), at("2026-12-01"))
	}
	if _, _, err := r.window("2026-13-01"); !errors.Is(err, ErrInvalid) {
		t.Errorf("window(2026-13-01) error = %v, want ErrInvalid", err)
	}
}

// batch admits a date whose cutoff has passed and that lies within the backfill window (its cutoff exactly the
// window's length ago included), names today's date when none is given, and sets the window's start. Bugs caught:
// an open date exported (entries still arriving would miss the file), the window's last instant refused, a
// request's At ignored, Since a day off.
func TestBatchChecksTheDate(t *testing.T) {
	r := decideRunner()
	now := at("2026-11-28").Add(time.Hour)
	for _, tc := range []struct {
		name string
		req  Request
		now  time.Time
		date string // "" when refused
	}{
		{"today by default", Request{}, now, "2026-11-28"},
		{"at names the date", Request{At: at("2026-11-25").Add(-time.Minute)}, now, "2026-11-24"},
		{"at the cutoff", Request{Date: "2026-11-28"}, at("2026-11-28"), "2026-11-28"},
		{"still open", Request{Date: "2026-11-29"}, now, ""},
		{"still open, dry run", Request{Date: "2026-11-29", DryRun: true}, now, "2026-11-29"},
		{"window's last instant", Request{Date: "2026-11-18"}, at("2026-11-28"), "2026-11-18"},
		{"past the window", Request{Date: "2026-11-18"}, at("2026-11-28").Add(time.Nanosecond), ""},
		{"bad date", Request{Date: "2026-11-31"}, now, ""},
		{"re-export as a dry run", Request{Date: "2026-11-27", DryRun: true, Reexport: &Reexport{By: "a@b.c", Reason: "fix"}}, now, ""},
		{"re-export", Request{Date: "2026-11-27", Reexport: &Reexport{By: "a@b.c", Reason: "fix"}}, now, "2026-11-27"},
	} {
		b, err := r.batch(tc.req, tc.now)
		if tc.date == "" {
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("%s: batch() = %+v, %v; want ErrInvalid", tc.name, b, err)
			}
			continue
		}
		if err != nil || b.Date != tc.date || !b.Cutoff.Equal(at(tc.date)) || !b.Since.Equal(at(tc.date).AddDate(0, 0, -1)) {
			t.Errorf("%s: batch() = %s cutoff %v since %v, %v; want %s", tc.name, b.Date, b.Cutoff, b.Since, err, tc.date)
		}
	}
}

// A re-export needs an explicit date, an identifiable caller and a reason of 1 to 500 characters (not bytes)
// without control characters, and cannot be a dry run. Bugs caught: a re-export without a caller accepted (no
// audit trail), the length counted in bytes (a Thai reason refused at 167 characters), a control character in
// the first byte let through.
func TestCheckReexport(t *testing.T) {
	ok := func(reason string) *Reexport { return &Reexport{By: "op@example.com", Reason: reason} }
	thai := strings.Repeat("ก", MaxReasonLength)
	for _, tc := range []struct {
		name string
		req  Request
		bad  bool
	}{
		{"none", Request{DryRun: true}, false},
		{"valid", Request{Date: "2026-11-28", Reexport: ok(" fix the rate ")}, false},
		{"500 Thai characters", Request{Date: "2026-11-28", Reexport: ok(thai)}, false},
		{"501 characters", Request{Date: "2026-11-28", Reexport: ok(thai + "x")}, true},
		{"dry run", Request{Date: "2026-11-28", DryRun: true, Reexport: ok("fix")}, true},
		{"no date", Request{Reexport: ok("fix")}, true},
		{"no caller", Request{Date: "2026-11-28", Reexport: &Reexport{By: " ", Reason: "fix"}}, true},
		{"no reason", Request{Date: "2026-11-28", Reexport: ok(" \t")}, true},
		{"control character first", Request{Date: "2026-11-28", Reexport: ok("\x00fix")}, true},
		{"control character inside", Request{Date: "2026-11-28", Reexport: ok("fix\x1bthe rate")}, true},
	} {
		err := checkReexport(tc.req)
		if tc.bad != (err != nil) || (err != nil && !errors.Is(err, ErrInvalid)) {
			t.Errorf("%s: checkReexport() = %v, want refused: %v", tc.name, err, tc.bad)
		}
	}
	if got, err := CheckReason("  fix the rate\n"); got != "fix the rate" || err != nil {
		t.Errorf("CheckReason() = %q, %v; want the reason trimmed", got, err)
	}
}

// A date is failing only after FailingAfter retryable mismatches in a row. Bugs caught: failing after
// FailingAfter-1 (a date skipped on a one-off mismatch), a permanent or non-mismatch failure counted failing.
func TestFailing(t *testing.T) {
	base := Record{State: StateFailed, ErrorClass: ClassMismatch, Repeats: FailingAfter}
	for _, tc := range []struct {
		name string
		edit func(*Record)
		want bool
	}{
		{"FailingAfter mismatches", func(*Record) {}, true},
		{"one fewer", func(r *Record) { r.Repeats = FailingAfter - 1 }, false},
		{"permanent", func(r *Record) { r.Permanent = true }, false},
		{"an outage", func(r *Record) { r.ErrorClass = ClassMongo }, false},
		{"running", func(r *Record) { r.State = StateRunning }, false},
	} {
		rec := base
		tc.edit(&rec)
		if got := failing(rec); got != tc.want {
			t.Errorf("%s: failing() = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// withHeld holds the windows of the blocked and failing dates before the batch's date, and only those (and drops
// what the batch held before). Bugs caught: the batch's own date or a later one held (its own entries never
// claimed), a failing date not held (a later date takes its entries).
func TestWithHeld(t *testing.T) {
	r := decideRunner()
	b := r.withHeld(Batch{Date: "2026-11-28", Held: []Window{{Date: "old"}}},
		Stuck{Blocked: []string{"2026-11-25", "2026-11-28", "2026-11-30"}, Failing: []string{"2026-11-26"}})
	var got []string
	for _, w := range b.Held {
		if !w.From.Equal(at(w.Date).AddDate(0, 0, -1)) || !w.To.Equal(at(w.Date)) {
			t.Errorf("held window of %s = [%v, %v)", w.Date, w.From, w.To)
		}
		got = append(got, w.Date)
	}
	if want := []string{"2026-11-25", "2026-11-26"}; !slices.Equal(got, want) {
		t.Errorf("held = %v, want %v", got, want)
	}
}

// The first date the backfill window admits is the oldest whose cutoff is at most BackfillWindow ago, as batch
// admits it. Bugs caught: the boundary date left out (an outage of exactly the window's length never healed) or
// one too old taken (batch then refuses it and healing stops).
func TestFirstDate(t *testing.T) {
	r := decideRunner()
	for _, tc := range []struct {
		now  time.Time
		want string
	}{
		{at("2026-11-28"), "2026-11-18"},
		{at("2026-11-28").Add(time.Nanosecond), "2026-11-19"},
		{at("2026-11-28").Add(-time.Nanosecond), "2026-11-18"},
	} {
		got, err := r.firstDate(tc.now)
		if err != nil || got != tc.want {
			t.Errorf("firstDate(%v) = %s, %v; want %s", tc.now, got, err, tc.want)
		}
		if _, err := r.batch(Request{Date: got}, tc.now); err != nil {
			t.Errorf("batch of firstDate(%v) = %v", tc.now, err)
		}
	}
}

// healLocker and healQueue answer the calls unfinished makes; any other call panics on the nil interface.
type healLocker struct {
	Locker
	recs     []Record
	err      error
	from, to string
}

func (l *healLocker) Range(_ context.Context, from, to string) ([]Record, error) {
	l.from, l.to = from, to
	return l.recs, l.err
}

type healQueue struct {
	Queue
	pending  []string
	err      error
	released []Batch
}

func (q *healQueue) Pending(context.Context) ([]string, error)  { return q.pending, q.err }
func (q *healQueue) Unclaimable(context.Context) (int64, error) { return 7, nil }
func (q *healQueue) Release(_ context.Context, b Batch) (int64, error) {
	q.released = append(q.released, b)
	return 1, nil
}

// unfinished lists, oldest first, the dates a run must finish before its own: every lock not done, not blocked
// (permanent under this configuration) and not failing; every pending date not done; every date without a lock
// between the oldest lock (or the first admitted date) and the day before its own. It reports dates before the
// backfill window as abandoned, blocked and failing ones as stuck, and returns to the queue the entries a stale
// attempt claimed for a done date (only when repairing). Bugs caught, each a date healed twice, never, or out of
// turn: the own date or a later one healed first; the day before the own date left out; a lock on the first
// admitted date taken as abandoned; a lock blocked under another configuration skipped; a mismatch failing one
// retry early; a done date's stale claim not released (or released by /health, which must change nothing).
func TestUnfinished(t *testing.T) {
	r := decideRunner()
	now := at("2026-11-28").Add(time.Hour) // first admitted date: 2026-11-19
	failed := func(date string, permanent bool, fp string, class Class, repeats int64) Record {
		return Record{Date: date, State: StateFailed, Permanent: permanent, Fingerprint: fp, ErrorClass: class, Repeats: repeats}
	}
	recs := []Record{
		{Date: "2026-11-10", State: StateRunning},                // before the window: abandoned
		{Date: "2026-11-19", State: StateRunning},                // the first admitted date: healed
		failed("2026-11-20", true, "fp", ClassDrivePermanent, 1), // blocked
		failed("2026-11-21", true, "old", ClassDrivePermanent, 1),
		failed("2026-11-22", false, "fp", ClassMismatch, FailingAfter), // failing
		failed("2026-11-23", false, "fp", ClassMismatch, FailingAfter-1),
		{Date: "2026-11-24", State: StateUploaded},
		// 2026-11-25: no lock
		{Date: "2026-11-26", State: StateDone, Generation: 4},
		// 2026-11-27: no lock
	}
	pending := []string{"2026-11-05", "2026-11-10", "2026-11-20", "2026-11-22", "2026-11-26", "2026-11-28", "2026-11-29"}
	for _, repair := range []bool{true, false} {
		l := &healLocker{recs: recs}
		q := &healQueue{pending: pending}
		r.Locker, r.Queue = l, q
		dates, stuck, err := r.unfinished(context.Background(), "2026-11-28", now, repair)
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"2026-11-19", "2026-11-21", "2026-11-23", "2026-11-24", "2026-11-25", "2026-11-27"}; !slices.Equal(dates, want) {
			t.Errorf("repair %v: dates = %v, want %v", repair, dates, want)
		}
		want := Stuck{Unclaimable: 7, Blocked: []string{"2026-11-20"}, Abandoned: []string{"2026-11-05", "2026-11-10"}, Failing: []string{"2026-11-22"}}
		if fmt.Sprint(stuck) != fmt.Sprint(want) {
			t.Errorf("repair %v: stuck = %+v, want %+v", repair, stuck, want)
		}
		if l.from != "2025-11-18" || l.to != "2026-11-27" {
			t.Errorf("Range(%s, %s), want (2025-11-18, 2026-11-27): the window's first date less %d days, to the day before", l.from, l.to, historyDays)
		}
		var wantReleased []Batch
		if repair {
			wantReleased = []Batch{{Date: "2026-11-26", Generation: 4}}
		}
		if fmt.Sprint(q.released) != fmt.Sprint(wantReleased) {
			t.Errorf("repair %v: released %+v, want %+v", repair, q.released, wantReleased)
		}
	}
}

// A pending date on the first admitted date without a lock is healed, not abandoned; with no lock at all, no
// date is made up between the window's start and the own date. Bugs caught: the first admitted date taken as
// abandoned (its entries never exported), dates without any lock healed from the start of the window (a new
// deployment exporting ten empty files).
func TestUnfinishedWithoutLocks(t *testing.T) {
	r := decideRunner()
	now := at("2026-11-28").Add(time.Hour)
	r.Locker, r.Queue = &healLocker{}, &healQueue{pending: []string{"2026-11-18", "2026-11-19"}}
	dates, stuck, err := r.unfinished(context.Background(), "2026-11-28", now, true)
	if err != nil || !slices.Equal(dates, []string{"2026-11-19"}) || !slices.Equal(stuck.Abandoned, []string{"2026-11-18"}) {
		t.Errorf("unfinished() = %v, abandoned %v, %v; want [2026-11-19], abandoned [2026-11-18]", dates, stuck.Abandoned, err)
	}
}

// When the locks cannot be listed, the run reports a Firestore failure and makes up no dates from the pending
// ones' gaps; when the queue cannot, a MongoDB failure. Bugs caught: an outage that lists nothing taken as "no
// unfinished date" (the own date would take the earlier dates' entries), the gap filled from a partial list.
func TestUnfinishedOutages(t *testing.T) {
	r := decideRunner()
	now := at("2026-11-28").Add(time.Hour)
	r.Locker = &healLocker{recs: []Record{{Date: "2026-11-20", State: StateDone}}, err: errors.New("firestore down")}
	r.Queue = &healQueue{pending: []string{"2026-11-24"}}
	dates, _, err := r.unfinished(context.Background(), "2026-11-28", now, true)
	var e *Error
	if !errors.As(err, &e) || e.Class != ClassFirestore || !slices.Equal(dates, []string{"2026-11-24"}) {
		t.Errorf("unfinished() with Range failing = %v, %v; want the pending date only and a firestore error", dates, err)
	}
	r.Locker = &healLocker{}
	r.Queue = &healQueue{err: errors.New("mongo down")}
	if _, _, err := r.unfinished(context.Background(), "2026-11-28", now, true); !errors.As(err, &e) || e.Class != ClassMongo {
		t.Errorf("unfinished() with Pending failing = %v, want a mongo error", err)
	}
}

// A re-export's correction records who, why and when, and, for a date that was done, the previous file's figures
// under the generation being replaced; its batch claims completed entries again (and failed ones when asked); its
// upload replaces the recorded file unless Drive lost it; the summary's correction names the revision kept.
// Bugs caught: the previous figures taken for a date never done (an audit of a file that did not exist), a
// takeover of an interrupted re-export that stops claiming the completed entries, a new revision of a file
// deleted for good (the upload fails on every attempt), the kept revision's id lost from the audit.
func TestReexportDecisions(t *testing.T) {
	now := time.Date(2026, 11, 29, 9, 0, 0, 0, decideZone)
	x := Reexport{By: "op@example.com", Reason: "rate fixed", RetryFailed: true}
	prev := &Summary{Rows: 4, EntriesExported: 2, EntriesFailed: 1, DebitTotal: "10.00", CreditTotal: "10.00", SHA256: "abc", Generation: 2}
	c := NewCorrection(x, prev, 3, now)
	want := Correction{By: x.By, Reason: x.Reason, At: now.UTC(), RetryFailed: true,
		Previous: PreviousFile{Rows: 4, EntriesExported: 2, EntriesFailed: 1, DebitTotal: "10.00", CreditTotal: "10.00", SHA256: "abc", Generation: 3}}
	if fmt.Sprint(*c) != fmt.Sprint(want) || c.At.Location() != time.UTC {
		t.Errorf("NewCorrection() = %+v, want %+v", *c, want)
	}
	if c := NewCorrection(x, nil, 3, now); c.Previous != (PreviousFile{}) {
		t.Errorf("NewCorrection(not done).Previous = %+v, want none", c.Previous)
	}

	if b := reexportBatch(Batch{Date: "d"}, nil); b.Reexport || b.RetryFailed {
		t.Errorf("reexportBatch(no correction) = %+v, want no re-export", b)
	}
	if b := reexportBatch(Batch{Date: "d"}, &Correction{RetryFailed: true}); !b.Reexport || !b.RetryFailed {
		t.Errorf("reexportBatch(retry) = %+v, want a re-export retrying failed entries", b)
	}
	if b := reexportBatch(Batch{Date: "d"}, &Correction{}); !b.Reexport || b.RetryFailed {
		t.Errorf("reexportBatch(re-export) = %+v, want a re-export only", b)
	}

	recorded := &File{ID: "F1", MD5: "m1"}
	for _, tc := range []struct {
		name    string
		a       attempt
		id, md5 string
	}{
		{"re-export of a recorded file", attempt{acq: Acquisition{Record: Record{File: recorded}, Correction: c}}, "F1", "m1"},
		{"file deleted for good", attempt{acq: Acquisition{Record: Record{File: recorded}, Correction: c}, replaceGone: true}, "", ""},
		{"no re-export", attempt{acq: Acquisition{Record: Record{File: recorded}}}, "", ""},
		{"no recorded file", attempt{acq: Acquisition{Correction: c}}, "", ""},
	} {
		if id, md5 := tc.a.replacement(); id != tc.id || md5 != tc.md5 {
			t.Errorf("%s: replacement() = %q, %q; want %q, %q", tc.name, id, md5, tc.id, tc.md5)
		}
	}

	a := attempt{acq: Acquisition{Correction: c}}
	if got := a.correction(File{KeptRevision: "R7"}); got == nil || got.Previous.RevisionID != "R7" || got.By != x.By || c.Previous.RevisionID != "" {
		t.Errorf("correction(kept R7) = %+v (the lock's correction now %+v), want revision R7 on a copy", got, c)
	}
	if got := a.correction(File{}); got == nil || got.Previous.RevisionID != "" {
		t.Errorf("correction(no kept revision) = %+v, want no revision", got)
	}
	if got := (&attempt{}).correction(File{KeptRevision: "R7"}); got != nil {
		t.Errorf("correction() of a plain export = %+v, want nil", got)
	}
}

// heal makes the own date wait, with the outage's own class, when the earlier dates cannot be listed, and with
// ClassEarlierDate when the run's time ends before an unfinished date; with nothing unfinished it lets the own
// date go on and reports what is stuck. Bugs caught: an outage while listing taken as "nothing to heal" (the own
// date's file takes the earlier dates' entries), an outage reported as earlier_date (the alerts and the runbook
// then point at the wrong service), a run that ran out of time answering success.
func TestHealWaits(t *testing.T) {
	r := decideRunner()
	now := at("2026-11-28").Add(time.Hour)
	r.Locker, r.Queue = &healLocker{err: errors.New("firestore down")}, &healQueue{}
	_, _, e := r.heal(context.Background(), "2026-11-28", now)
	if e == nil || e.Class != ClassFirestore || !errors.Is(e, ErrEarlierUnfinished) {
		t.Errorf("heal() with Range failing = %v, want a firestore error wrapping ErrEarlierUnfinished", e)
	}

	r.Locker, r.Queue = &healLocker{recs: []Record{{Date: "2026-11-27", State: StateFailed, Permanent: true, Fingerprint: "fp"}}}, &healQueue{}
	healed, stuck, e := r.heal(context.Background(), "2026-11-28", now)
	if e != nil || len(healed) != 0 || fmt.Sprint(stuck.Blocked) != "[2026-11-27]" {
		t.Errorf("heal() with one blocked date = %v, %+v, %v; want nothing healed, 2026-11-27 blocked, no error", healed, stuck, e)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r.Locker, r.Queue = &healLocker{recs: []Record{{Date: "2026-11-27", State: StateRunning}}}, &healQueue{}
	healed, _, e = r.heal(ctx, "2026-11-28", now)
	if e == nil || e.Class != ClassEarlierDate || !errors.Is(e, ErrEarlierUnfinished) || len(healed) != 0 {
		t.Errorf("heal() out of time = %v, %v; want earlier_date wrapping ErrEarlierUnfinished, nothing run", healed, e)
	}
}
