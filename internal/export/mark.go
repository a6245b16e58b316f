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

// checkMarks counts the file's generation after the marks. Nothing may still be exporting (the marks did not all
// apply), and no more entries may be completed or failed than the file and its failures hold (the claim changed
// under the file). Fewer is not an error: the app re-queued, deleted or changed entries after the file was made,
// and those left the claim. They are logged, and a re-queued one goes to a later file as a late arrival. Any other
// difference fails the run (a retry marks again) instead of finishing the date.
func (a *attempt) checkMarks(ctx context.Context, fb Batch, s Summary) error {
	c, err := a.Queue.Count(ctx, fb.Date, fb.Generation)
	if err != nil {
		return err
	}
	if c.Exporting != 0 || c.Completed > s.EntriesExported || c.Failed > s.EntriesFailed {
		return fmt.Errorf("%w: after the marks generation %d holds %d completed, %d failed and %d exporting entries; the file holds %d and %d failed",
			ErrMismatch, fb.Generation, c.Completed, c.Failed, c.Exporting, s.EntriesExported, s.EntriesFailed)
	}
	if left := s.EntriesExported - c.Completed + s.EntriesFailed - c.Failed; left > 0 {
		a.Logger.WarnContext(ctx, "entries left the claim after the file was made (re-queued, deleted or changed by the app)",
			"batchDate", fb.Date, "generation", fb.Generation, "written", s.EntriesExported, "completed", c.Completed,
			"failedInFile", s.EntriesFailed, "failed", c.Failed, "left", left)
	}
	return nil
}
