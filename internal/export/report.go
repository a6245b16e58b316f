package export

import (
	"context"
	"time"
)

// The report step: the app's export log, then the lock's done record with the final summary.

// report writes the export log and ends the date with the summary.
func (a *attempt) report(ctx context.Context, s Summary) (Summary, error) {
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
