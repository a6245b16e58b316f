package export

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bits-and-blooms/bloom/v3"

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
	ChunkSize      int    // the upload's chunk size: resume points fall on its multiples
	Buffers        int    // filled chunks that may wait for the upload, one chunk of memory each; 0: DefaultBuffers, <0: none
	Fingerprint    string // identifies the configuration; see AcquireOptions
	CSV            csvfile.Options
	Format         Format // the file's kind; the zero Format is CSV with CSV's options
	Logger         *slog.Logger
	Observer       Observer // spans and metrics; nil observes nothing

	// Reached, when set, is called at each named point of a run (see the Point constants) with the bytes uploaded
	// so far. Only the fault-injection harness sets it; production wiring leaves it nil.
	Reached func(point string, offset int64)
}

// Points of a run where the fault harness may stop the process.
const (
	PointLocked   = "after-lock"
	PointClaimed  = "after-claim"
	PointChunk    = "after-chunk" // after each chunk Drive confirms
	PointUploaded = "after-upload"
	PointRecorded = "after-record"
	PointMarked   = "after-mark"
	PointLogged   = "before-done"
)

func (r *Runner) reach(point string, offset int64) {
	if r.Reached != nil {
		r.Reached(point, offset)
	}
}

// Request asks for one batch date.
type Request struct {
	Date   string    // YYYY-MM-DD; when empty, the date whose cutoff is the latest at or before At
	At     time.Time // the trigger's scheduled time (constant across Cloud Scheduler's retries); zero means now
	DryRun bool      // compute the summary and change nothing anywhere
	// ClearFailure retries a date blocked by a permanent failure (an operator's decision, after fixing the cause).
	ClearFailure bool
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
	// Healed are the earlier dates this run finished (or tried to) before its own, oldest first.
	Healed []Healed
	// Stuck is the work no run can finish without an operator, as found before this run's own date.
	Stuck Stuck
}

// Healed is the outcome of one earlier date a run finished before its own.
type Healed struct {
	Date    string  `json:"date"`
	Outcome Outcome `json:"outcome"`
	Error   string  `json:"error,omitempty"`

	transient bool // failed on an outage: the dates after it would fail too
}

// FileName is the deterministic name of a date's file: PREFIX_YYYY-MM-DD.csv (or the Format's extension).
func (r *Runner) FileName(date string) string { return r.FilePrefix + "_" + date + "." + r.extension() }

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
	obs := r.obs()
	b, err := r.batch(req, start)
	if err != nil {
		obs.Failed(ctx, "request", string(ClassValidation))
		obs.Finished(ctx, req.Date, string(OutcomeFailed), time.Since(began), time.Time{})
		return Report{Outcome: OutcomeFailed, Date: req.Date}, &Error{Step: "request", Class: ClassValidation, Err: err}
	}
	var (
		healed []Healed
		stuck  Stuck
	)
	if !req.DryRun {
		healed, stuck = r.heal(ctx, b.Date, start)
	}
	rep, err := r.runDate(ctx, b, req, start, began)
	rep.Healed, rep.Stuck = healed, stuck
	return rep, err
}

// runDate runs one batch date, observed and logged.
func (r *Runner) runDate(ctx context.Context, b Batch, req Request, start, began time.Time) (Report, error) {
	obs := r.obs()
	ctx, endRun := obs.StartStep(ctx, StepRun, b.Date, 0)
	log := r.Logger.With("batchDate", b.Date)
	log.InfoContext(ctx, "export started", "dryRun", req.DryRun, "cutoff", b.Cutoff.Format(time.RFC3339))
	rep, err := r.run(ctx, b, req, start, began)
	rep.Date = b.Date
	var e *Error
	if errors.As(err, &e) {
		obs.Failed(ctx, e.Step, string(e.Class))
	}
	var last time.Time
	if rep.Summary != nil && (rep.Outcome == OutcomeExported || rep.Outcome == OutcomeAlreadyDone) {
		last = rep.Summary.FinishedAt
	}
	obs.Finished(ctx, b.Date, string(rep.Outcome), time.Since(began), last)
	defer endRun(err)
	attrs := []any{"outcome", rep.Outcome, "lock", rep.Lock, "durationMs", time.Since(began).Milliseconds()}
	if rep.Summary != nil {
		logged := *rep.Summary
		logged.Failures = nil // reasons can quote amounts; the count is logged, the list is in the answer
		attrs = append(attrs, "summary", logged)
	}
	if err != nil {
		attrs = append(attrs, "errorClass", e.Class, "permanent", e.Permanent(), "error", err.Error())
		log.ErrorContext(ctx, "export finished", attrs...)
		return rep, err
	}
	log.InfoContext(ctx, "export finished", attrs...)
	return rep, nil
}

func (r *Runner) run(ctx context.Context, b Batch, req Request, start, began time.Time) (Report, error) {
	if req.DryRun {
		b.Preview = true
		h := newHashWriter(false)
		sctx, endStream := r.obs().StartStep(ctx, StepStream, b.Date, 0)
		s, err := r.encode(sctx, b, h, false, nil)
		endStream(err)
		if err != nil {
			return Report{Outcome: OutcomeFailed}, stepError("stream", ClassMongo, err)
		}
		s.SHA256, s.Bytes = hex.EncodeToString(h.sha.Sum(nil)), h.n
		s.DryRun = true
		s.DurationMS = time.Since(began).Milliseconds()
		return Report{Outcome: OutcomeDryRun, Summary: &s}, nil
	}

	lctx, endLock := r.obs().StartStep(ctx, StepLock, b.Date, 0)
	acq, err := r.Locker.Acquire(lctx, b.Date, start, AcquireOptions{TTL: r.Lease, Fingerprint: r.Fingerprint, ClearFailure: req.ClearFailure})
	if err == nil {
		r.obs().LockOutcome(lctx, string(acq.Outcome))
	}
	endLock(err)
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
	case LockBlocked:
		// The serverless circuit breaker: a permanent failure stays failed, fast and without touching Drive or
		// the queue, until the configuration changes or an operator clears it.
		rep.Outcome = OutcomeFailed
		return rep, &Error{Step: "lock", Class: acq.Record.ErrorClass, Err: fmt.Errorf("%w: blocked by the last attempt's failure (%s); fix the cause, then retry with {\"date\":%q,\"clearFailure\":true}",
			ErrPermanent, acq.Record.Error, b.Date)}
	}
	r.reach(PointLocked, 0)

	// The work now belongs to the lease, not to the caller: if Cloud Scheduler gives up on the attempt (its
	// deadline) the run goes on, bounded by its own lease, instead of throwing away a half-made export.
	// (The lease's remaining time is measured on the injected clock, after Acquire returned; the deadline runs on
	// the real one.)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), acq.Lease.ExpiresAt.Sub(r.Now())-r.Lease/20)
	defer cancel()
	b.Generation = acq.Lease.Generation
	a := &attempt{Runner: r, b: b, acq: acq, began: began}
	s, err := a.export(ctx)
	if err != nil {
		e := stepError("export", ClassMongo, err)
		rep.Outcome = OutcomeFailed
		if e.Class == ClassLeaseLost {
			a.abandon(ctx)
		} else {
			a.recordFailure(ctx, e)
		}
		return rep, e
	}
	rep.Outcome, rep.Summary = OutcomeExported, &s
	return rep, nil
}

// attempt is one run's work under a lease.
type attempt struct {
	*Runner
	b       Batch
	acq     Acquisition
	began   time.Time
	reached bool   // something reached Drive: a session or a file may exist
	made    string // the id of the file this attempt's upload completed, if any
}

// recordFailure writes the failure on the lock, with a short context of its own since the run's may be spent.
// Only an attempt that still holds the lease goes on: after a permanent failure, and only when nothing of the date
// can be live in Drive, the claimed entries go back to the queue.
func (a *attempt) recordFailure(ctx context.Context, e *Error) {
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 20*time.Second)
	defer cancel()
	f := Failed{Class: e.Class, Permanent: e.Permanent(), Message: e.Error(), Fingerprint: a.Fingerprint}
	if err := a.Locker.Fail(fctx, a.acq.Lease, f, a.Now()); err != nil {
		// Lost the lease, or Firestore is down: either way this attempt no longer decides for the date.
		a.Logger.ErrorContext(ctx, "recording the failure on the lock failed", "batchDate", a.b.Date, "error", err.Error())
		return
	}
	if !e.Permanent() {
		return
	}
	if live, why := a.mayBeLive(fctx); live {
		a.Logger.WarnContext(ctx, "claimed entries kept: a file of the date may be live in Drive", "batchDate", a.b.Date, "why", why)
		return
	}
	if n, err := a.Queue.Release(fctx, a.b); err != nil {
		a.Logger.ErrorContext(ctx, "returning the claimed entries to the queue failed", "batchDate", a.b.Date, "error", err.Error())
	} else {
		a.Logger.WarnContext(ctx, "claimed entries returned to the queue after a permanent failure", "batchDate", a.b.Date, "entries", n)
	}
}

// mayBeLive reports whether a file holding the date's entries may be live in Drive, and why: a file or an upload
// session is recorded, this attempt reached Drive, or Drive lists a live file of the date (or cannot be asked).
func (a *attempt) mayBeLive(ctx context.Context) (bool, string) {
	switch {
	case a.acq.Record.File != nil:
		return true, "a file is recorded"
	case a.acq.Record.Upload != nil:
		return true, "an earlier attempt's upload session is recorded"
	case a.reached:
		return true, "this attempt reached Drive"
	}
	files, err := a.Drive.Find(ctx, a.b.Date)
	if err != nil {
		return true, "Drive could not be asked: " + err.Error()
	}
	if len(files) > 0 {
		return true, fmt.Sprintf("Drive lists %d live file(s) of the date", len(files))
	}
	return false, ""
}

// abandon is what an attempt that lost its lease does: it changes nothing the newer attempt owns, and trashes
// the file its own upload completed unless that file is the one the lock records.
func (a *attempt) abandon(ctx context.Context) {
	if a.made == "" {
		return
	}
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 20*time.Second)
	defer cancel()
	rec, found, err := a.Locker.Get(fctx, a.b.Date)
	if err != nil {
		a.Logger.ErrorContext(ctx, "lost the lease; cannot read the lock to clean up", "batchDate", a.b.Date, "fileId", a.made, "error", err.Error())
		return
	}
	if found && rec.File != nil && rec.File.ID == a.made {
		return // the newer attempt took this file over
	}
	a.Logger.WarnContext(ctx, "lost the lease after uploading; trashing this attempt's file", "batchDate", a.b.Date, "fileId", a.made)
	if err := a.Drive.Trash(fctx, a.made); err != nil {
		a.Logger.ErrorContext(ctx, "trashing this attempt's file failed", "batchDate", a.b.Date, "fileId", a.made, "error", err.Error())
	}
}

// export continues from the phase the record reached.
func (a *attempt) export(ctx context.Context) (Summary, error) {
	rec := a.acq.Record
	phase := rec.State
	if phase == StateFailed {
		phase = rec.Phase
	}
	var (
		s    Summary
		file File
	)
	if a.acq.Outcome == LockTakeover && phase == StateUploaded && rec.File != nil && rec.Summary != nil {
		// The file is complete in Drive and recorded: only the marks are left.
		file, s = *rec.File, *rec.Summary
	} else {
		var err error
		if file, s, err = a.produce(ctx); err != nil {
			return Summary{}, err
		}
		rctx, endRecord := a.obs().StartStep(ctx, StepRecord, a.b.Date, a.b.Generation)
		err = a.Locker.Uploaded(rctx, a.acq.Lease, file, s, a.Now())
		endRecord(err)
		if err != nil {
			return Summary{}, stepError("record upload", ClassFirestore, err)
		}
		a.reach(PointRecorded, s.Bytes)
	}
	s.Generation, s.Attempt = a.acq.Lease.Generation, a.acq.Lease.Attempt

	// The file holds the entries stamped with the generation that made it; those are the ones to complete.
	fb := a.b
	if file.Generation != 0 {
		fb.Generation = file.Generation
	}
	mctx, endMark := a.obs().StartStep(ctx, StepMark, a.b.Date, a.b.Generation)
	marked, err := a.Queue.MarkExported(mctx, fb, file, a.Now())
	a.obs().Annotate(mctx, "entries_marked", marked)
	if err == nil {
		err = a.checkMarks(mctx, fb, s)
	}
	endMark(err)
	if err != nil {
		return Summary{}, stepError("mark", ClassMongo, err)
	}
	a.reach(PointMarked, s.Bytes)
	s.FinishedAt = a.Now().UTC()
	s.DurationMS = time.Since(a.began).Milliseconds() // this attempt's time; earlier attempts are not counted
	fctx, endFinish := a.obs().StartStep(ctx, StepFinish, a.b.Date, a.b.Generation)
	if err := a.Queue.LogExport(fctx, s, a.Now()); err != nil {
		endFinish(err)
		return Summary{}, stepError("log", ClassMongo, err)
	}
	a.reach(PointLogged, s.Bytes)
	if err := a.Locker.Done(fctx, a.acq.Lease, s, a.Now()); err != nil {
		endFinish(err)
		return Summary{}, stepError("finish", ClassFirestore, err)
	}
	endFinish(nil)
	a.obs().Exported(ctx, s.Rows, s.EntriesExported, s.EntriesFailed, s.Bytes)
	return s, nil
}

// checkMarks counts the file's generation after the marks: every entry completed or failed, as many of each as
// the file and its failures hold. A difference fails the run (a retry marks again) instead of finishing the date.
func (a *attempt) checkMarks(ctx context.Context, fb Batch, s Summary) error {
	c, err := a.Queue.Count(ctx, fb.Date, fb.Generation)
	if err != nil {
		return err
	}
	if c.Exporting != 0 || c.Completed != s.EntriesExported || c.Failed != s.EntriesFailed {
		return fmt.Errorf("%w: after the marks generation %d holds %d completed, %d failed and %d exporting entries; the file holds %d and %d failed",
			ErrMismatch, fb.Generation, c.Completed, c.Failed, c.Exporting, s.EntriesExported, s.EntriesFailed)
	}
	return nil
}

// reconcile proves, before the file is complete, that it holds every claimed entry once: the entries the read
// returned (written and failed) must be exactly as many as the claim stamped, every failure must be marked, and
// the lease must still be this attempt's. Otherwise the upload is abandoned before its last chunk, so Drive never
// holds the file.
func (a *attempt) reconcile(ctx context.Context, s Summary, read *bloom.BloomFilter) error {
	c, err := a.Queue.Count(ctx, a.b.Date, a.b.Generation)
	if err != nil {
		return err
	}
	if n, claimed := s.EntriesExported+s.EntriesFailed, c.Exporting+c.Failed; n != claimed || c.Failed != s.EntriesFailed || c.Completed != 0 {
		return fmt.Errorf("%w: generation %d claimed %d entries (%d exporting, %d failed, %d completed) but the read returned %d (%d written, %d failed)%s",
			ErrMismatch, a.b.Generation, claimed, c.Exporting, c.Failed, c.Completed, n, s.EntriesExported, s.EntriesFailed, a.unread(ctx, read))
	}
	rec, held, err := a.holdsLease(ctx)
	if err != nil {
		return err
	}
	if !held {
		return fmt.Errorf("%w: the lock is at generation %d, this attempt is %d", ErrLeaseLost, rec.Generation, a.b.Generation)
	}
	return nil
}

// holdsLease reads the date's lock and reports whether it still names this attempt's generation and is not done:
// whether this attempt may still change what the date's export owns.
func (a *attempt) holdsLease(ctx context.Context) (Record, bool, error) {
	rec, found, err := a.Locker.Get(ctx, a.b.Date)
	if err != nil {
		return Record{}, false, err
	}
	return rec, found && rec.Generation == a.b.Generation && rec.State != StateDone, nil
}

// The read remembers the ids it returned in a Bloom filter, so that a run whose read and claim differ can name
// the claimed entries it never read without holding every id: about 1.8 MB for a million entries. A false
// positive only leaves an unread entry out of the list; an entry the read returned is never named.
const (
	readSetSize           = 1_000_000
	readSetFalsePositives = 0.001
	maxNamed              = 20
)

// unread names up to maxNamed claimed entries the read did not return, for the mismatch error.
func (a *attempt) unread(ctx context.Context, read *bloom.BloomFilter) string {
	if read == nil {
		return ""
	}
	var (
		names []string
		more  int
	)
	err := a.Queue.IDs(ctx, a.b.Date, a.b.Generation, func(id string) error {
		if !read.TestString(id) {
			if len(names) < maxNamed {
				names = append(names, strconv.Quote(id))
			} else {
				more++
			}
		}
		return nil
	})
	switch {
	case err != nil:
		return "; listing the claimed entries failed: " + err.Error()
	case len(names) == 0:
		return "; every claimed entry was read (an entry was read twice, or the claim changed)"
	case more > 0:
		return fmt.Sprintf("; claimed but not read: %s and %d more", strings.Join(names, ", "), more)
	}
	return "; claimed but not read: " + strings.Join(names, ", ")
}

// produce claims the batch and makes the date's file: it resumes an earlier attempt's upload when it can, and
// otherwise clears what earlier attempts left and uploads anew. It returns once Drive holds the whole file with
// its final properties.
func (a *attempt) produce(ctx context.Context) (File, Summary, error) {
	cctx, endClaim := a.obs().StartStep(ctx, StepClaim, a.b.Date, a.b.Generation)
	err := a.Queue.Claim(cctx, a.b, a.Now())
	endClaim(err)
	if err != nil {
		return File{}, Summary{}, stepError("claim", ClassMongo, err)
	}
	a.reach(PointClaimed, 0)

	ctx, endUpload := a.obs().StartStep(ctx, StepUpload, a.b.Date, a.b.Generation)
	file, s, err := a.uploadFile(ctx)
	endUpload(err)
	return file, s, err
}

// uploadFile makes the date's file (see produce) and sets its final properties.
func (a *attempt) uploadFile(ctx context.Context) (File, Summary, error) {
	var (
		file File
		s    Summary
		ok   bool
		err  error
	)
	if up := a.acq.Record.Upload; a.acq.Outcome == LockTakeover && up != nil {
		if file, s, ok, err = a.resume(ctx, *up); err != nil {
			return File{}, Summary{}, err
		}
		s.Resumed = ok
	}
	if !ok {
		// Nothing usable is recorded, so any live file for the date is an earlier attempt's unrecorded (or
		// abandoned) output: it goes to the trash before the new one is made, so no date ever has two files.
		if err := a.trashOthers(ctx, ""); err != nil {
			return File{}, Summary{}, err
		}
		if file, s, err = a.upload(ctx); err != nil {
			return File{}, Summary{}, err
		}
	}
	a.reach(PointUploaded, s.Bytes)

	file.Generation = a.b.Generation // the entries stamped with this generation are the file's
	s.FileID, s.FileName, s.WebViewLink = file.ID, a.FileName(a.b.Date), file.WebViewLink
	props := map[string]string{
		"generation": strconv.FormatInt(a.b.Generation, 10),
		"rows":       strconv.FormatInt(s.Rows, 10),
		"entries":    strconv.FormatInt(s.Journals, 10),
		"sha256":     s.SHA256,
	}
	if err := a.Drive.Finalize(ctx, file.ID, props); err != nil {
		return File{}, Summary{}, stepError("finalize", ClassDriveTransient, err)
	}
	if file.Properties == nil {
		file.Properties = map[string]string{}
	}
	for k, v := range props {
		file.Properties[k] = v
	}
	// A second file can only appear if an attempt that lost its lease kept uploading; the newest wins.
	if err := a.trashOthers(ctx, file.ID); err != nil {
		return File{}, Summary{}, err
	}
	return file, s, nil
}

// upload streams a fresh encoding of the batch into a new file, recording the session and each confirmed chunk on
// the lock so that a takeover can resume.
func (a *attempt) upload(ctx context.Context) (File, Summary, error) {
	cp := newChunkPipe(a.ChunkSize, a.buffers(), -1)
	done := a.encodeInto(ctx, cp)
	file, upErr := a.Drive.Upload(ctx, NewFile{Name: a.FileName(a.b.Date), Date: a.b.Date, Generation: a.b.Generation}, cp, a.progress(ctx, cp))
	cp.closeRead(errUploadStopped) // unblocks the encoder if the upload stopped reading early
	res := <-done
	if upErr == nil {
		a.reached, a.made = true, file.ID
	}
	if err := streamError(res.err, upErr); err != nil {
		return File{}, Summary{}, err
	}
	s := res.s
	sum, n := cp.result()
	s.SHA256, s.Bytes = hex.EncodeToString(sum), n
	return file, s, nil
}

// resume continues an earlier attempt's upload session. It regenerates the batch's bytes and checks that the
// prefix Drive holds hashes to the recorded state before sending the rest. ok is false when the session cannot be
// used (expired, ahead of or behind the record, or the bytes differ): the caller then starts over.
func (a *attempt) resume(ctx context.Context, up UploadSession) (File, Summary, bool, error) {
	log := a.Logger.With("batchDate", a.b.Date, "recordedOffset", up.Offset)
	st, err := a.Drive.Status(ctx, up)
	switch {
	case err != nil && errors.Is(err, ErrPermanent):
		log.WarnContext(ctx, "cannot resume: the session is refused; starting over", "error", err.Error())
		return File{}, Summary{}, false, nil
	case err != nil:
		return File{}, Summary{}, false, stepError("resume", ClassDriveTransient, err)
	case st.Gone:
		log.WarnContext(ctx, "cannot resume: the session expired; starting over")
		return File{}, Summary{}, false, nil
	case st.Complete != nil:
		return a.adopt(ctx, *st.Complete)
	case st.Offset != up.Offset || up.HashState == nil:
		log.WarnContext(ctx, "cannot resume: Drive holds a different offset; starting over", "driveOffset", st.Offset)
		return File{}, Summary{}, false, nil
	}

	cp := newChunkPipe(a.ChunkSize, a.buffers(), up.Offset)
	done := a.encodeInto(ctx, cp)
	a.reached = true
	if _, err := io.CopyN(io.Discard, cp, up.Offset); err != nil || !bytes.Equal(cp.stateAt(up.Offset), up.HashState) {
		cp.closeRead(errUploadStopped)
		if res := <-done; res.err != nil && !errors.Is(res.err, errUploadStopped) {
			return File{}, Summary{}, false, stepError("stream", ClassMongo, res.err)
		}
		log.WarnContext(ctx, "cannot resume: the regenerated bytes differ from what Drive holds; starting over")
		return File{}, Summary{}, false, nil
	}
	log.InfoContext(ctx, "resuming the upload")
	file, upErr := a.Drive.Resume(ctx, up, cp, a.progress(ctx, cp))
	cp.closeRead(errUploadStopped)
	res := <-done
	if upErr == nil {
		a.made = file.ID
	}
	if err := streamError(res.err, upErr); err != nil {
		return File{}, Summary{}, false, err
	}
	s := res.s
	sum, n := cp.result()
	s.SHA256, s.Bytes = hex.EncodeToString(sum), n
	return file, s, true, nil
}

// adopt takes over a file an earlier attempt finished uploading but did not record, when its content equals a
// fresh encoding of the batch (by Drive's MD5 checksum). Otherwise the caller starts over and trashes it.
func (a *attempt) adopt(ctx context.Context, f File) (File, Summary, bool, error) {
	h := newHashWriter(true)
	s, err := a.encodeChecked(ctx, h)
	if err != nil {
		return File{}, Summary{}, false, stepError("stream", ClassMongo, err)
	}
	if f.MD5 == "" || hex.EncodeToString(h.md5.Sum(nil)) != f.MD5 {
		a.Logger.WarnContext(ctx, "the earlier attempt's finished file differs from the batch; starting over", "batchDate", a.b.Date, "fileId", f.ID)
		return File{}, Summary{}, false, nil
	}
	s.SHA256, s.Bytes = hex.EncodeToString(h.sha.Sum(nil)), h.n
	return f, s, true, nil
}

// progress records each confirmed offset on the lock, with the hash state of the bytes before it.
func (a *attempt) progress(ctx context.Context, cp *chunkPipe) func(UploadProgress) {
	var mu sync.Mutex
	return func(p UploadProgress) {
		mu.Lock()
		defer mu.Unlock()
		a.reached = true
		state := cp.stateAt(p.Offset)
		if state == nil {
			return
		}
		u := UploadSession{URI: p.SessionURI, Offset: p.Offset, HashState: state, Generation: a.b.Generation}
		if err := a.Locker.Progress(ctx, a.acq.Lease, u, a.Now()); err != nil {
			// Resume points are an optimisation: without one a takeover starts the upload over.
			a.Logger.WarnContext(ctx, "recording upload progress failed", "batchDate", a.b.Date, "offset", p.Offset, "error", err.Error())
		}
		if p.Offset > 0 {
			a.reach(PointChunk, p.Offset)
		}
	}
}

type encoded struct {
	s   Summary
	err error
}

// encodeInto encodes the batch into cp in a goroutine and closes cp's writing side with the result.
func (a *attempt) encodeInto(ctx context.Context, cp *chunkPipe) <-chan encoded {
	done := make(chan encoded, 1)
	go func() {
		sctx, endStream := a.obs().StartStep(ctx, StepStream, a.b.Date, a.b.Generation)
		s, err := a.encodeChecked(sctx, cp)
		a.obs().Annotate(sctx, "rows", s.Rows)
		endStream(err)
		cp.closeWrite(err) // nil ends the upload's body with io.EOF
		done <- encoded{s, err}
	}()
	return done
}

// encodeChecked encodes the batch into w, marking failures, and reconciles before returning: an error leaves
// the file unfinished.
func (a *attempt) encodeChecked(ctx context.Context, w io.Writer) (Summary, error) {
	read := bloom.NewWithEstimates(readSetSize, readSetFalsePositives)
	s, err := a.encode(ctx, a.b, w, true, read)
	if err != nil {
		return Summary{}, err
	}
	if err := a.reconcile(ctx, s, read); err != nil {
		return Summary{}, fmt.Errorf("reconcile: %w", err)
	}
	return s, nil
}

func (r *Runner) buffers() int {
	switch {
	case r.Buffers < 0:
		return 0
	case r.Buffers == 0:
		return DefaultBuffers
	}
	return r.Buffers
}

// streamError picks the error that explains a failed stream-and-upload: the encoder's own, else the upload's.
func streamError(encErr, upErr error) error {
	switch {
	case encErr != nil && !errors.Is(encErr, errUploadStopped):
		return stepError("stream", ClassMongo, encErr)
	case upErr != nil:
		return stepError("upload", ClassDriveTransient, upErr)
	case encErr != nil:
		return stepError("upload", ClassDriveTransient, encErr)
	}
	return nil
}

// trashOthers moves to the trash every live file of the date except keep that an attempt of this generation or
// an older one made. A file of a newer generation means a newer attempt owns the date and this one lost its lease,
// unless the lock still names this attempt's generation: then the file is from before the lock was deleted (a
// deliberate re-export), and goes to the trash like any other.
func (a *attempt) trashOthers(ctx context.Context, keep string) error {
	files, err := a.Drive.Find(ctx, a.b.Date)
	if err != nil {
		return stepError("find", ClassDriveTransient, err)
	}
	for _, f := range files {
		if f.ID == keep {
			continue
		}
		if g, err := strconv.ParseInt(f.Properties["generation"], 10, 64); err == nil && g > a.b.Generation {
			_, held, err := a.holdsLease(ctx)
			if err != nil {
				return stepError("trash", ClassFirestore, err)
			}
			if !held {
				return stepError("trash", ClassLeaseLost, fmt.Errorf("%w: file %s was made by generation %d, this attempt is %d", ErrLeaseLost, f.ID, g, a.b.Generation))
			}
		}
		a.Logger.WarnContext(ctx, "trashing a file an earlier attempt left", "batchDate", a.b.Date, "fileId", f.ID)
		if err := a.Drive.Trash(ctx, f.ID); err != nil {
			return stepError("trash", ClassDriveTransient, fmt.Errorf("trash %s: %w", f.ID, err))
		}
	}
	return nil
}

var errUploadStopped = errors.New("upload stopped reading")

// markBatch is how many failed entries encode collects before it marks them: one update command per batch, not
// per page, so that failures add no query to a page's reads.
const markBatch = 1000

// encode writes the batch as CSV to w and returns the summary of what it wrote (without the hash, which the
// caller takes where the bytes go). With mark set, entries that cannot be exported are marked failed, in batches
// of markBatch and at the end.
func (r *Runner) encode(ctx context.Context, b Batch, w io.Writer, mark bool, read *bloom.BloomFilter) (Summary, error) {
	enc := r.newEncoder(w, b.Date)
	s := Summary{Date: b.Date, FileName: r.FileName(b.Date)}
	var (
		totals  ledger.Totals
		pending []Failure
	)
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		if err := r.Queue.MarkFailed(ctx, b, pending, r.Now()); err != nil {
			return fmt.Errorf("mark %d failed entries: %w", len(pending), err)
		}
		pending = pending[:0]
		return nil
	}
	err := r.readAhead(ctx, b, func(page []Entry) error {
		for _, e := range page {
			if read != nil {
				read.AddString(e.ID)
			}
			err := e.Err
			if err == nil {
				err = e.Journal.Check()
			}
			if err != nil {
				f := Failure{EntryID: e.ID, JournalID: e.JournalID, Reason: err.Error(), Key: e.Key}
				enc.Failed(f.EntryID, f.JournalID, f.Reason)
				s.EntriesFailed++
				if len(s.Failures) < MaxListedFailures {
					s.Failures = append(s.Failures, f)
				}
				if mark && !e.Marked {
					pending = append(pending, f)
				}
				continue
			}
			if err := enc.WriteJournal(b.Date, e.ID, e.Journal); err != nil {
				return err
			}
			totals = totals.Add(e.Journal)
			s.Journals++
		}
		if len(pending) >= markBatch {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
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
	return s, nil
}

// readAhead calls fn with the batch's pages in order, reading in its own goroutine while fn handles the page
// before, so that the database's round trips and the documents' decoding overlap the encoding. The queue's Read
// may read further ahead on its own (medici.Store keeps up to medici.ReadAhead pages on their way, mapped on every
// core); readAhead adds the one page fn handles. An error from fn stops the reading.
func (r *Runner) readAhead(ctx context.Context, b Batch, fn func([]Entry) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	pages := make(chan []Entry)
	read := make(chan error, 1)
	go func() {
		defer close(pages)
		read <- r.Queue.Read(ctx, b, func(p []Entry) error {
			select {
			case pages <- p:
				return nil
			case <-ctx.Done():
				return context.Cause(ctx)
			}
		})
	}()
	for p := range pages {
		if err := fn(p); err != nil {
			cancel(err)
			for range pages { // let the reader see the cancellation and end
			}
			<-read
			return err
		}
	}
	return <-read
}
