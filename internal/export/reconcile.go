package export

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/bits-and-blooms/bloom/v3"
)

// Reconcile, before the upload's last chunk: the file must hold every claimed entry once.

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
