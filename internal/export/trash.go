package export

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// Drive clean-up: other attempts' files of the date go to the trash, and an attempt that lost its lease
// trashes what it made unless the lock records it.

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
