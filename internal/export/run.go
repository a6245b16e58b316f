package export

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"time"

	"github.com/siamledger/ledger-export/internal/csvfile"
	"github.com/siamledger/ledger-export/internal/ledger"
)

// Runner runs exports. Build one per process with every field set; it holds no per-run state.
type Runner struct {
	Locker Locker
	Queue  Queue
	Drive  Drive

	Now            func() time.Time // the clock; time.Now in production
	Location       *time.Location   // zone of batch dates and the cutoff
	CutoffHour     int
	CutoffMinute   int
	Lease          time.Duration // how long an attempt holds the date; longer than the function timeout
	BackfillWindow time.Duration // how far back a request may name a date
	FilePrefix     string
	CSV            csvfile.Options
	Logger         *slog.Logger
}

// Request asks for one batch date.
type Request struct {
	Date   string    // YYYY-MM-DD; when empty, the date whose cutoff is the latest at or before At
	At     time.Time // the trigger's scheduled time (constant across Cloud Scheduler's retries); zero means now
	DryRun bool      // compute the summary and change nothing anywhere
}

// Outcome says how a run ended.
type Outcome string

// The outcomes of Run.
const (
	OutcomeExported    Outcome = "exported"
	OutcomeAlreadyDone Outcome = "already_done"
	OutcomeBusy        Outcome = "busy"
	OutcomeDryRun      Outcome = "dry_run"
	OutcomeFailed      Outcome = "failed"
)

// Report is the result of Run.
type Report struct {
	Outcome    Outcome
	Date       string
	Summary    *Summary
	Lock       LockOutcome
	RetryAfter time.Duration // with OutcomeBusy: when the holder's lease ends
}

// FileName is the deterministic name of a date's file: PREFIX_YYYY-MM-DD.csv.
func (r *Runner) FileName(date string) string { return r.FilePrefix + "_" + date + ".csv" }

// Cutoff returns the instant that closes a batch date: the date at the cutoff time in the configured zone.
func (r *Runner) Cutoff(date string) (time.Time, error) {
	d, err := time.ParseInLocation(time.DateOnly, date, r.Location)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: date %q is not YYYY-MM-DD", ErrInvalid, date)
	}
	return time.Date(d.Year(), d.Month(), d.Day(), r.CutoffHour, r.CutoffMinute, 0, 0, r.Location), nil
}

// DateAt returns the batch date whose cutoff is the latest at or before t. A trigger at the cutoff names that
// day; one earlier in the day names the day before.
func (r *Runner) DateAt(t time.Time) string {
	l := t.In(r.Location)
	c := time.Date(l.Year(), l.Month(), l.Day(), r.CutoffHour, r.CutoffMinute, 0, 0, r.Location)
	if l.Before(c) {
		c = c.AddDate(0, 0, -1)
	}
	return c.Format(time.DateOnly)
}

// batch checks the requested date against the clock and returns its batch.
func (r *Runner) batch(req Request, now time.Time) (Batch, error) {
	date := req.Date
	if date == "" {
		at := req.At
		if at.IsZero() {
			at = now
		}
		date = r.DateAt(at)
	}
	cutoff, err := r.Cutoff(date)
	if err != nil {
		return Batch{}, err
	}
	if !req.DryRun && cutoff.After(now) {
		return Batch{}, fmt.Errorf("%w: batch date %s is still open until %s", ErrInvalid, date, cutoff.Format(time.RFC3339))
	}
	if now.Sub(cutoff) > r.BackfillWindow {
		return Batch{}, fmt.Errorf("%w: batch date %s is older than the backfill window of %s", ErrInvalid, date, r.BackfillWindow)
	}
	return Batch{Date: date, Cutoff: cutoff}, nil
}

// Run exports one batch date, or finishes an earlier attempt's export of it. A returned error is an *Error whose
// class and Permanent tell the caller how to answer.
func (r *Runner) Run(ctx context.Context, req Request) (Report, error) {
	start := r.Now()
	began := time.Now() // durations are real elapsed time, whatever the injected clock says
	b, err := r.batch(req, start)
	if err != nil {
		return Report{Outcome: OutcomeFailed, Date: req.Date}, &Error{Step: "request", Class: ClassValidation, Err: err}
	}
	log := r.Logger.With("batchDate", b.Date)
	log.InfoContext(ctx, "export started", "dryRun", req.DryRun, "cutoff", b.Cutoff.Format(time.RFC3339))
	rep, err := r.run(ctx, b, req.DryRun, start, began)
	rep.Date = b.Date
	attrs := []any{"outcome", rep.Outcome, "lock", rep.Lock, "durationMs", time.Since(began).Milliseconds()}
	if rep.Summary != nil {
		logged := *rep.Summary
		logged.Failures = nil // reasons can quote amounts; the count is logged, the list is in the answer
		attrs = append(attrs, "summary", logged)
	}
	if err != nil {
		var e *Error
		errors.As(err, &e)
		attrs = append(attrs, "errorClass", e.Class, "permanent", e.Permanent(), "error", err.Error())
		log.ErrorContext(ctx, "export finished", attrs...)
		return rep, err
	}
	log.InfoContext(ctx, "export finished", attrs...)
	return rep, nil
}

func (r *Runner) run(ctx context.Context, b Batch, dryRun bool, start, began time.Time) (Report, error) {
	if dryRun {
		b.Preview = true
		s, err := r.encode(ctx, b, io.Discard, false)
		if err != nil {
			return Report{Outcome: OutcomeFailed}, stepError("stream", ClassMongo, err)
		}
		s.DryRun = true
		s.FileName = r.FileName(b.Date)
		s.DurationMS = time.Since(began).Milliseconds()
		return Report{Outcome: OutcomeDryRun, Summary: &s}, nil
	}

	acq, err := r.Locker.Acquire(ctx, b.Date, start, r.Lease)
	if err != nil {
		return Report{Outcome: OutcomeFailed}, stepError("lock", ClassFirestore, err)
	}
	rep := Report{Lock: acq.Outcome}
	switch acq.Outcome {
	case LockAlreadyDone:
		rep.Outcome, rep.Summary = OutcomeAlreadyDone, acq.Record.Summary
		return rep, nil
	case LockBusy:
		rep.Outcome = OutcomeBusy
		rep.RetryAfter = max(acq.Record.LeaseExpiresAt.Sub(start), time.Second)
		return rep, nil
	}

	b.Generation = acq.Lease.Generation
	s, err := r.export(ctx, b, acq, began)
	if err != nil {
		e := stepError("export", ClassMongo, err)
		rep.Outcome = OutcomeFailed
		if e.Class != ClassLeaseLost {
			// The run's own context may be spent; recording the failure gets a short one of its own.
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 20*time.Second)
			defer cancel()
			if ferr := r.Locker.Fail(fctx, acq.Lease, e.Class, e.Permanent(), e.Error(), r.Now()); ferr != nil {
				r.Logger.ErrorContext(ctx, "recording the failure on the lock failed", "batchDate", b.Date, "error", ferr.Error())
			}
		}
		return rep, e
	}
	rep.Outcome, rep.Summary = OutcomeExported, &s
	return rep, nil
}

// export does the work under a lease: it continues from the phase the record reached.
func (r *Runner) export(ctx context.Context, b Batch, acq Acquisition, began time.Time) (Summary, error) {
	rec := acq.Record
	phase := rec.State
	if phase == StateFailed {
		phase = rec.Phase
	}
	var (
		s    Summary
		file File
	)
	if acq.Outcome == LockTakeover && phase == StateUploaded && rec.File != nil && rec.Summary != nil {
		// The file is complete in Drive and recorded: only the marks are left.
		file, s = *rec.File, *rec.Summary
	} else {
		var err error
		if file, s, err = r.produce(ctx, b); err != nil {
			return Summary{}, err
		}
		if err := r.Locker.Uploaded(ctx, acq.Lease, file, s, r.Now()); err != nil {
			return Summary{}, stepError("record upload", ClassFirestore, err)
		}
	}
	s.Generation, s.Attempt = acq.Lease.Generation, acq.Lease.Attempt

	if _, err := r.Queue.MarkExported(ctx, b, file, r.Now()); err != nil {
		return Summary{}, stepError("mark", ClassMongo, err)
	}
	s.FinishedAt = r.Now().UTC()
	s.DurationMS = time.Since(began).Milliseconds() // this attempt's time; earlier attempts are not counted
	if err := r.Queue.LogExport(ctx, s, r.Now()); err != nil {
		return Summary{}, stepError("log", ClassMongo, err)
	}
	if err := r.Locker.Done(ctx, acq.Lease, s, r.Now()); err != nil {
		return Summary{}, stepError("finish", ClassFirestore, err)
	}
	return s, nil
}

// produce claims the batch, clears files an earlier attempt left for the date, and streams the CSV into a new
// file. It returns once Drive holds the whole file and its final properties.
func (r *Runner) produce(ctx context.Context, b Batch) (File, Summary, error) {
	claimed, err := r.Queue.Claim(ctx, b, r.Now())
	if err != nil {
		return File{}, Summary{}, stepError("claim", ClassMongo, err)
	}
	// Nothing is recorded as uploaded, so any live file for the date is an earlier attempt's unrecorded (or
	// abandoned) output: it goes to the trash before the new one is made, so that no date ever has two files.
	if err := r.trashOthers(ctx, b.Date, ""); err != nil {
		return File{}, Summary{}, err
	}

	pr, pw := io.Pipe()
	type result struct {
		s   Summary
		err error
	}
	done := make(chan result, 1)
	go func() {
		s, err := r.encode(ctx, b, pw, true)
		pw.CloseWithError(err) // nil ends the upload's body with io.EOF
		done <- result{s, err}
	}()
	file, upErr := r.Drive.Upload(ctx, NewFile{Name: r.FileName(b.Date), Date: b.Date, Generation: b.Generation}, pr)
	pr.CloseWithError(errUploadStopped) // unblocks the encoder if the upload stopped reading early
	res := <-done
	switch {
	case res.err != nil && !errors.Is(res.err, errUploadStopped):
		return File{}, Summary{}, stepError("stream", ClassMongo, res.err)
	case upErr != nil:
		return File{}, Summary{}, stepError("upload", ClassDriveTransient, upErr)
	case res.err != nil:
		return File{}, Summary{}, stepError("upload", ClassDriveTransient, res.err)
	}
	s := res.s
	s.EntriesClaimed = claimed
	if s.EntriesFailed, err = r.Queue.CountFailed(ctx, b.Date); err != nil {
		return File{}, Summary{}, stepError("count failed", ClassMongo, err)
	}
	s.FileID, s.FileName, s.WebViewLink = file.ID, file.Name, file.WebViewLink

	props := map[string]string{
		"rows":    strconv.FormatInt(s.Rows, 10),
		"entries": strconv.FormatInt(s.Journals, 10),
		"sha256":  s.SHA256,
	}
	if err := r.Drive.Finalize(ctx, file.ID, props); err != nil {
		return File{}, Summary{}, stepError("finalize", ClassDriveTransient, err)
	}
	if file.Properties == nil {
		file.Properties = map[string]string{}
	}
	for k, v := range props {
		file.Properties[k] = v
	}
	// A second file can only appear if an attempt that lost its lease kept uploading; the newest wins.
	if err := r.trashOthers(ctx, b.Date, file.ID); err != nil {
		return File{}, Summary{}, err
	}
	return file, s, nil
}

// trashOthers moves every live file of the date except keep to the trash.
func (r *Runner) trashOthers(ctx context.Context, date, keep string) error {
	files, err := r.Drive.Find(ctx, date)
	if err != nil {
		return stepError("find", ClassDriveTransient, err)
	}
	for _, f := range files {
		if f.ID == keep {
			continue
		}
		r.Logger.WarnContext(ctx, "trashing a file an earlier attempt left", "batchDate", date, "fileId", f.ID)
		if err := r.Drive.Trash(ctx, f.ID); err != nil {
			return stepError("trash", ClassDriveTransient, fmt.Errorf("trash %s: %w", f.ID, err))
		}
	}
	return nil
}

var errUploadStopped = errors.New("upload stopped reading")

// encode writes the batch as CSV to w and returns the summary of what it wrote. With mark set, entries that
// cannot be exported are marked failed page by page.
func (r *Runner) encode(ctx context.Context, b Batch, w io.Writer, mark bool) (Summary, error) {
	h := sha256.New()
	n := &counter{}
	enc := csvfile.NewWriter(io.MultiWriter(w, h, n), r.CSV)
	s := Summary{Date: b.Date, FileName: r.FileName(b.Date)}
	var totals ledger.Totals
	err := r.Queue.Read(ctx, b, func(page []Entry) error {
		var failures []Failure
		for _, e := range page {
			err := e.Err
			if err == nil {
				err = e.Journal.Check()
			}
			if err != nil {
				failures = append(failures, Failure{EntryID: e.ID, JournalID: e.JournalID, Reason: err.Error()})
				continue
			}
			if err := enc.WriteJournal(b.Date, e.ID, e.Journal); err != nil {
				return err
			}
			totals = totals.Add(e.Journal)
			s.Journals++
		}
		s.EntriesFailed += int64(len(failures))
		for _, f := range failures {
			if len(s.Failures) < MaxListedFailures {
				s.Failures = append(s.Failures, f)
			}
		}
		if mark && len(failures) > 0 {
			if err := r.Queue.MarkFailed(ctx, b, failures, r.Now()); err != nil {
				return fmt.Errorf("mark %d failed entries: %w", len(failures), err)
			}
		}
		return nil
	})
	if err == nil {
		err = enc.Close()
	}
	if err != nil {
		return Summary{}, err
	}
	s.Rows = enc.Rows()
	s.EntriesExported = s.Journals
	s.EntriesClaimed = s.Journals + s.EntriesFailed
	s.DebitTotal, s.CreditTotal = totals.Debit.String(), totals.Credit.String()
	s.SHA256 = hex.EncodeToString(h.Sum(nil))
	s.Bytes = n.n
	return s, nil
}

type counter struct{ n int64 }

func (c *counter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}
