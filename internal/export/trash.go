package export

import (
	"context"
	"fmt"
	"time"
)

// Drive clean-up: other attempts' files of the date go to the trash, and an attempt that lost its lease
// trashes what it made unless the lock records it.

// trashOthers moves to the trash every live file of the date but keep, the file the lock records, and none at
// all unless this attempt still holds the lease. Before it trashes a file it did not make itself, it reads the lock
// once: a thawed attempt that lost its lease (whatever generation the file names) trashes nothing of a newer
// attempt's, such as a re-export's file, and stops with ErrLeaseLost.
func (a *attempt) trashOthers(ctx context.Context, keep string) error {
	files, err := a.Drive.Find(ctx, a.b.Date)
	if err != nil {
		return stepError("find", ClassDriveTransient, err)
	}
	var (
		rec     Record
		checked bool
	)
	for _, f := range files {
		if f.ID == keep {
			continue
		}
		if f.ID != a.made && !checked {
			var held bool
			if rec, held, err = a.holdsLease(ctx); err != nil {
				return stepError("trash", ClassFirestore, err)
			}
			if !held {
				return stepError("trash", ClassLeaseLost, fmt.Errorf("%w: file %s (generation %s) of the date is live, and the lock is at generation %d, this attempt is %d",
					ErrLeaseLost, f.ID, f.Properties["generation"], rec.Generation, a.b.Generation))
			}
			checked = true
		}
		if rec.File != nil && rec.File.ID == f.ID {
			continue // the date's recorded file: a re-export replaces its content, never the file
		}
		a.Logger.WarnContext(ctx, "trashing a file an earlier attempt left", "batchDate", a.b.Date, "fileId", f.ID)
		if err := a.Drive.Trash(ctx, f.ID); err != nil {
			return stepError("trash", ClassDriveTransient, fmt.Errorf("trash %s: %w", f.ID, err))
		}
	}
	return nil
}

// abandon is what an attempt that lost its lease does: it changes nothing the newer attempt owns, and trashes
// the file its own upload completed, unless the lock records that file, or records the session that made it (the
// newer attempt then resumes or adopts it).
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
	switch {
	case !found:
	case rec.File != nil && rec.File.ID == a.made:
		return // the newer attempt took this file over
	case rec.Upload != nil && a.session != "" && rec.Upload.URI == a.session:
		return // the newer attempt is resuming or adopting this attempt's session, whose file this is
	}
	a.Logger.WarnContext(ctx, "lost the lease after uploading; trashing this attempt's file", "batchDate", a.b.Date, "fileId", a.made)
	if err := a.Drive.Trash(fctx, a.made); err != nil {
		a.Logger.ErrorContext(ctx, "trashing this attempt's file failed", "batchDate", a.b.Date, "fileId", a.made, "error", err.Error())
	}
}
