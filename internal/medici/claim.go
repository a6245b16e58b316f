package medici

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/siamledger/ledger-export/internal/export"
)

// The claim's rule, in one place for Store (as MongoDB filters) and Memory (as a function of a document):
//
//   - a queued scheduled entry is taken when its createdAt is before the cutoff and in none of the held windows
//     (the windows of earlier dates that are not done keep their entries); one created before the date's own
//     window (Batch.Since) is a late arrival and is taken all the same;
//   - the date's exporting and failed entries of an older generation are taken over, keeping their status;
//   - with Batch.Reexport, the date's completed entries of an older generation become exporting again;
//   - with Batch.RetryFailed too, the date's failed entries of an older generation become exporting again, their
//     error cleared, so that the read checks their journals anew.
//
// An entry of a newer generation is never taken: a thawed attempt's claim takes nothing a newer one owns.

// span is a range [from, to) of createdAt instants a claim takes; a zero from has no lower bound.
type span struct{ from, to time.Time }

// spans returns the ranges of createdAt a claim of b takes: before the cutoff, less the held windows, in order.
// A held window whose From is not before its To is bad input.
func spans(b export.Batch) ([]span, error) {
	held := slices.Clone(b.Held)
	for _, w := range held {
		if !w.From.Before(w.To) {
			return nil, fmt.Errorf("held window of %s: from %s is not before to %s", w.Date, w.From.Format(time.RFC3339), w.To.Format(time.RFC3339))
		}
	}
	slices.SortFunc(held, func(a, b export.Window) int { return a.From.Compare(b.From) })
	var (
		out     []span
		from    time.Time // where the next span starts
		bounded bool      // from is set (the first span has no lower bound)
	)
	for _, w := range held {
		if !w.From.Before(b.Cutoff) {
			break
		}
		if !bounded || w.From.After(from) {
			out = append(out, span{from: from, to: w.From})
		}
		if !bounded || w.To.After(from) {
			from, bounded = w.To, true
		}
	}
	if !bounded || from.Before(b.Cutoff) {
		out = append(out, span{from: from, to: b.Cutoff})
	}
	return out, nil
}

// contains reports whether t falls in one of the spans.
func contains(sp []span, t time.Time) bool {
	for _, s := range sp {
		if (s.from.IsZero() || !t.Before(s.from)) && t.Before(s.to) {
			return true
		}
	}
	return false
}

// rangeOf is the createdAt condition of a span: {$gte: from, $lt: to}, or {$lt: to} without a lower bound.
func rangeOf(s span) bson.D {
	if s.from.IsZero() {
		return bson.D{{Key: "$lt", Value: s.to}}
	}
	return bson.D{{Key: "$gte", Value: s.from}, {Key: "$lt", Value: s.to}}
}

// claimable selects the queued scheduled entries whose createdAt falls in the spans, or returns nil when there
// are no spans (every instant before the cutoff is held). Several spans make an $or of createdAt ranges beside
// status and exportPath, so that each branch uses the index {status, exportPath, createdAt}.
func claimable(sp []span) bson.D {
	if len(sp) == 0 {
		return nil
	}
	f := bson.D{{Key: "exportPath", Value: PathScheduled}, {Key: "status", Value: StatusQueued}}
	if len(sp) == 1 {
		return append(f, bson.E{Key: "createdAt", Value: rangeOf(sp[0])})
	}
	var branches bson.A
	for _, s := range sp {
		branches = append(branches, bson.D{{Key: "createdAt", Value: rangeOf(s)}})
	}
	return append(f, bson.E{Key: "$or", Value: branches})
}

// claimRule is the claim of one batch as a function of a queue document: what Store's claim and read select,
// applied by Memory to the documents it is given, and by both to a dry run's documents.
type claimRule struct {
	b     export.Batch
	spans []span
}

func newClaimRule(b export.Batch) (*claimRule, error) {
	sp, err := spans(b)
	if err != nil {
		return nil, err
	}
	if b.RetryFailed && !b.Reexport {
		return nil, fmt.Errorf("retry of failed entries without a re-export of %s", b.Date)
	}
	return &claimRule{b: b, spans: sp}, nil
}

// take says whether the batch holds the queue document once claimed, and with which status: exporting, or
// failed (keeping its recorded error). In a dry run (Preview) the generations are not compared, since nothing
// is stamped.
func (r *claimRule) take(raw bson.Raw) (status string, ok bool) {
	st, _ := raw.Lookup("status").StringValueOK()
	if st == StatusQueued {
		path, _ := raw.Lookup("exportPath").StringValueOK()
		at, isDate := raw.Lookup("createdAt").DateTimeOK()
		if path == PathScheduled && isDate && contains(r.spans, time.UnixMilli(at)) {
			return StatusExporting, true
		}
		return "", false
	}
	if d, _ := raw.Lookup("batchDate").StringValueOK(); d != r.b.Date {
		return "", false
	}
	gen, _ := raw.Lookup("exportGeneration").AsInt64OK() // none: claimed before generations, so older
	older := r.b.Preview || gen < r.b.Generation
	if !r.b.Preview && gen > r.b.Generation {
		return "", false
	}
	switch st {
	case StatusExporting:
		return StatusExporting, true
	case StatusFailed:
		if r.b.RetryFailed && older {
			return StatusExporting, true
		}
		return StatusFailed, true
	case StatusCompleted:
		if r.b.Reexport && older {
			return StatusExporting, true
		}
	}
	return "", false
}

// elsewhere is where a journal is already exported, as another entry of the queue shows: completed in the file
// of another date, or exporting for an earlier date (which a date healing at the same time is about to write).
type elsewhere struct {
	date, file string
	completed  bool
}

// exportedElsewhere reads a queue entry naming one of a batch's journals, and reports whether it holds that
// journal for another file: completed for another date, or exporting for an earlier one. It returns the
// journal's hex id.
func exportedElsewhere(date string, raw bson.Raw) (string, elsewhere, bool) {
	jid, err := objectID(raw.Lookup("entryId"))
	if err != nil {
		return "", elsewhere{}, false
	}
	st, _ := raw.Lookup("status").StringValueOK()
	d, _ := raw.Lookup("batchDate").StringValueOK()
	switch {
	case st == StatusCompleted && d != date:
		file, _ := raw.Lookup("metadata", "fileName").StringValueOK()
		if file == "" {
			// Entries marked before the file's name was stored keep only its id.
			id, _ := raw.Lookup("metadata", "fileId").StringValueOK()
			file = "file " + id
		}
		return jid.Hex(), elsewhere{date: d, file: file, completed: true}, true
	case st == StatusExporting && d != "" && d < date:
		return jid.Hex(), elsewhere{date: d, file: "the file being made"}, true
	}
	return "", elsewhere{}, false
}

// exportedBefore reports whether a queue entry carries the marks of an earlier export for another date
// (metadata.batchDate, stored with the completed mark): an entry re-queued after it was exported. A re-export of
// that same date claims it back with its marks, and is not refused.
func exportedBefore(raw bson.Raw, date string) bool {
	d, ok := raw.Lookup("metadata", "batchDate").StringValueOK()
	return ok && d != "" && d != date
}

// before orders two places a journal is exported, so that the reason of an entry does not depend on the order
// the documents arrive in: the earliest date, completed before exporting, then by file.
func (e elsewhere) before(o elsewhere) bool {
	return cmp.Or(cmp.Compare(e.date, o.date), -cmp.Compare(b2i(e.completed), b2i(o.completed)), cmp.Compare(e.file, o.file)) < 0
}

// exportedIn selects the queue entries that hold one of the journals for another file; exportedElsewhere
// checks each entry it returns. Each branch leads with the index {entryId, status, batchDate}.
func exportedIn(date string, refs bson.A) bson.D {
	return bson.D{
		{Key: "entryId", Value: bson.D{{Key: "$in", Value: refs}}},
		{Key: "$or", Value: bson.A{
			bson.D{{Key: "status", Value: StatusCompleted}, {Key: "batchDate", Value: bson.D{{Key: "$ne", Value: date}}}},
			bson.D{{Key: "status", Value: StatusExporting}, {Key: "batchDate", Value: bson.D{{Key: "$lt", Value: date}}}},
		}},
	}
}
