package export

import (
	"context"
	"encoding/hex"
	"fmt"
	"time"
)

// The lock step: take the date's lease (or find it done, busy or blocked), then hand the work to an attempt.

func (r *Runner) run(ctx context.Context, b Batch, req Request, start, began time.Time, wait *Error) (Report, error) {
	if req.DryRun {
		b.Preview = true
		r, err := r.loaded(ctx)
		if err != nil {
			return Report{Outcome: OutcomeFailed}, err
		}
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
	acq, err := r.Locker.Acquire(lctx, b.Date, start, AcquireOptions{TTL: r.Lease, Fingerprint: r.Fingerprint, ClearFailure: req.ClearFailure, Reexport: req.Reexport})
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
	b = reexportBatch(b, acq.Correction)
	a := &attempt{Runner: r, b: b, acq: acq, began: began}
	if wait != nil {
		// The lock records why the date waits, so a later run heals it even if no trigger names it again.
		rep.Outcome = OutcomeFailed
		a.recordFailure(ctx, wait)
		return rep, wait
	}
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
