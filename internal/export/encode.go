package export

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/bits-and-blooms/bloom/v3"

	"github.com/siamledger/ledger-export/internal/ledger"
)

// The encode step: every entry read is written to the file or marked failed, with the file's totals.

// markBatch is how many failed entries encode collects before it marks them: one update command per batch, not
// per page, so that failures add no query to a page's reads.
const markBatch = 1000

// encode writes the batch as CSV to w and returns the summary of what it wrote (without the hash, which the
// caller takes where the bytes go). With mark set, entries that cannot be exported are marked failed, in batches
// of markBatch and at the end.
func (r *Runner) encode(ctx context.Context, b Batch, w io.Writer, mark bool, read *bloom.BloomFilter) (Summary, error) {
	enc := r.newEncoder(w, b.Date)
	s := Summary{Date: b.Date, FileName: r.FileName(b.Date)}
	r.windowOf(&s, b)
	var (
		totals  ledger.Totals
		voids   voidTotals
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
			if err == nil {
				// A journal the layout cannot write (ledger.Reject) fails its entry like a broken one.
				if err = enc.WriteJournal(b.Date, e.ID, e.Journal); err != nil && !errors.Is(err, ledger.ErrRejected) {
					return err
				}
			}
			if err != nil {
				f := Failure{EntryID: e.ID, JournalID: e.JournalID, Reason: err.Error(), Key: e.Key}
				enc.Failed(f.EntryID, f.JournalID, f.Reason, e.Journal)
				s.EntriesFailed++
				if len(s.Failures) < MaxListedFailures {
					s.Failures = append(s.Failures, f)
				}
				if mark && !e.Marked {
					pending = append(pending, f)
				}
				continue
			}
			totals = totals.Add(e.Journal)
			voids.add(e.Journal)
			s.Journals++
			if !b.Since.IsZero() && !e.CreatedAt.IsZero() && e.CreatedAt.Before(b.Since) {
				// A late arrival: its own date was done before it became visible.
				s.EntriesLate++
				if len(s.Late) < MaxListedFailures {
					s.Late = append(s.Late, LateEntry{EntryID: e.ID, JournalID: e.JournalID, Date: r.dateOf(e.CreatedAt)})
				}
			}
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
	voids.summarise(&s, enc)
	return s, nil
}

// voidTotals adds up the voided journals and the reversals among the exported ones (see VoidTotals).
type voidTotals struct {
	voided, reversals               int64
	liveSum, voidedSum, reversalSum ledger.Totals
}

// add counts j when Medici voided it or committed it as a reversal.
func (v *voidTotals) add(j ledger.Journal) {
	switch {
	case isVoided(j):
		v.voided++
		v.voidedSum = v.voidedSum.Add(j)
	case reverses(j):
		v.reversals++
		v.reversalSum = v.reversalSum.Add(j)
	default:
		v.liveSum = v.liveSum.Add(j)
	}
}

// summarise sets the summary's voids and the journals the encoder left out. Every exported journal is added to
// exactly one of live, voided and reversals, so the three add up to the summary's totals.
func (v *voidTotals) summarise(s *Summary, enc Encoder) {
	var out ledger.Totals
	if l, ok := enc.(LeftOutLister); ok {
		all := l.LeftOut()
		s.EntriesLeftOut = int64(len(all))
		s.LeftOut = all[:min(len(all), MaxListedFailures)]
		out = l.LeftOutTotals()
	}
	if v.voided == 0 && v.reversals == 0 && s.EntriesLeftOut == 0 {
		return
	}
	s.Voids = &VoidTotals{
		LiveDebit:      v.liveSum.Debit.String(),
		LiveCredit:     v.liveSum.Credit.String(),
		Voided:         v.voided,
		VoidedDebit:    v.voidedSum.Debit.String(),
		VoidedCredit:   v.voidedSum.Credit.String(),
		Reversals:      v.reversals,
		ReversalDebit:  v.reversalSum.Debit.String(),
		ReversalCredit: v.reversalSum.Credit.String(),
		LeftOutDebit:   out.Debit.String(),
		LeftOutCredit:  out.Credit.String(),
	}
}

// isVoided reports whether Medici marked j, or one of its lines, voided.
func isVoided(j ledger.Journal) bool {
	if j.Voided {
		return true
	}
	for _, l := range j.Lines {
		if l.Voided {
			return true
		}
	}
	return false
}

// reverses reports whether j is a reversal Medici's void() committed: it, or a line, names the original journal.
func reverses(j ledger.Journal) bool {
	if j.OriginalJournal != "" {
		return true
	}
	for _, l := range j.Lines {
		if l.OriginalJournal != "" {
			return true
		}
	}
	return false
}
