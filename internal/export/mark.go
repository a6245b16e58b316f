package export

import (
	"context"
	"fmt"
)

// The mark step: the file's entries completed, proven by counting the generation afterwards.

// mark completes the entries the file holds: those stamped with the generation that made it.
func (a *attempt) mark(ctx context.Context, file File, s Summary) error {
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
		return stepError("mark", ClassMongo, err)
	}
	a.reach(PointMarked, s.Bytes)
	return nil
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
