package medici

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"

	"github.com/siamledger/ledger-export/internal/export"
)

// Page is one page of raw documents as MongoDB would return them for Store.Read: queue entries in _id order, the
// journals they name, and those journals' lines, the last two in any order.
type Page struct {
	Queue, Journals, Lines []bson.Raw
}

// Part is one of a page's three queries: its queue entries, their journals, or those journals' lines.
type Part int

// The parts of a page.
const (
	PartQueue Part = iota
	PartJournals
	PartLines
)

// Docs are the documents one query of a page returns.
type Docs struct {
	Raw []bson.Raw
	// Last, with PartQueue, says that no page follows, so Memory does not ask for one (as the entry more than a page
	// that Store asks for tells it). Without it Memory asks, and a page without queue entries ends the batch.
	Last bool
	// Release, when set, is called once Memory is done with the documents (the mapped values own their bytes), so
	// that their memory can serve another query.
	Release func()
}

// Memory is an export.Queue whose documents come from a function instead of MongoDB. Each page goes through the
// same read pipeline, mapping and assembly as Store's, so a benchmark of the export measures everything but the
// database. It keeps the outcome counts a MongoDB queue would store and the export logs; claims and marks change
// nothing else.
//
// The queue documents Pages returns are the queue as it stands before the claim. Once Claim has been called for
// a date, a read of that date (and every dry run) applies the claim's rule to each of them, as Store's claim and
// read select them: the window of createdAt less the held windows, the generation fence, and a re-export's
// completed and failed entries (see claim.go). Before any claim, a read takes every document as the batch's (the
// benchmarks' stage reads). Entries must be the number of entries the claim takes. Unlike Store, Memory finds no
// journal queued twice in a batch.
//
// With Latency set, every call that would be a round trip to MongoDB waits that long first, as Store's would on a
// network: each queue query (QueuePages pages), each page's three lookups (journals, lines, and the entries that
// hold its journals for another date; a Store's finds never need a getMore), the aggregation that finds journals
// queued twice, the claim, each mark, the counts and the export log.
type Memory struct {
	// Pages returns the documents of one part of the i-th page (from 0) of a batch, when a Store would receive
	// them: the queue entries of pages in order, QueuePages pages after one round trip, and then each page's
	// journals and lines at the same time, from other goroutines, while other pages are read.
	Pages func(ctx context.Context, i int, part Part) (Docs, error)
	// Entries is how many entries Claim reports.
	Entries int64
	// Mapper maps the documents, as Options.Mapper does for Store.
	Mapper Mapper
	// Latency is the round trip each query and update pays; zero for none.
	Latency time.Duration
	// Exported, when set, returns the queue entries that name one of the i-th page's journals (ids) and are not
	// the batch's, as Store's lookup of journals exported for another date would: exportedElsewhere keeps those
	// completed for another date or exporting for an earlier one. Nil: no journal is exported anywhere else (the
	// round trip is paid all the same).
	Exported func(ctx context.Context, i int, ids []primitive.ObjectID) (Docs, error)

	trips    atomic.Int64
	mu       sync.Mutex
	failed   int64
	marks    int // MarkFailed calls
	exported bool
	claimed  map[string]bool // dates claimed: their reads apply the claim's rule
	logs     map[logKey]export.Summary
}

// logKey is what keeps export logs apart: one per export, a date and its generation.
type logKey struct {
	date       string
	generation int64
}

var _ export.Queue = (*Memory)(nil)

// roundTrip counts a round trip and waits Latency, or until ctx ends.
func (m *Memory) roundTrip(ctx context.Context) error {
	m.trips.Add(1)
	if m.Latency <= 0 {
		return nil
	}
	t := time.NewTimer(m.Latency)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// RoundTrips reports how many round trips Memory has paid: the commands a MongoDB queue would have sent.
func (m *Memory) RoundTrips() int64 { return m.trips.Load() }

// Claim checks the batch as Store's does and records that the date is claimed: its reads then apply the claim's
// rule to the documents Pages returns. It changes no document.
func (m *Memory) Claim(ctx context.Context, b export.Batch, _ time.Time) error {
	if _, err := newClaimRule(b); err != nil {
		return fmt.Errorf("claim batch %s: %w", b.Date, err)
	}
	if err := m.roundTrip(ctx); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.claimed == nil {
		m.claimed = map[string]bool{}
	}
	m.claimed[b.Date] = true
	return nil
}

// Count reports Entries, less the failures marked so far as failed, or as completed once MarkExported ran.
func (m *Memory) Count(ctx context.Context, _ string, _ int64) (export.Counts, error) {
	if err := m.roundTrip(ctx); err != nil {
		return export.Counts{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.exported {
		return export.Counts{Completed: m.Entries - m.failed, Failed: m.failed}, nil
	}
	return export.Counts{Exporting: m.Entries - m.failed, Failed: m.failed}, nil
}

// Read calls fn with each page's entries, read, mapped and joined as Store.Read does: after a claim of the date,
// or in a dry run, only the documents the claim's rule takes. Memory finds no journal queued twice (the round
// trip of Store's aggregation is paid all the same).
func (m *Memory) Read(ctx context.Context, b export.Batch, fn func([]export.Entry) error) error {
	rules := &readRules{date: b.Date}
	m.mu.Lock()
	claimed := m.claimed[b.Date]
	m.mu.Unlock()
	if b.Preview || claimed {
		rule, err := newClaimRule(b)
		if err != nil {
			return fmt.Errorf("read batch %s: %w", b.Date, err)
		}
		rules.claim = rule
	}
	if err := m.roundTrip(ctx); err != nil {
		return fmt.Errorf("find journals queued twice: %w", err)
	}
	src := memorySource{m: m}
	return readPages(ctx, src, m.Mapper, memoryPageSize, rules, fn, func(i int, err error) error {
		return fmt.Errorf("read page %d: %w", i, err)
	})
}

// memoryPageSize is the room an assembler makes for a page of Memory's, which has no fixed size: BATCH_SIZE's
// largest.
const memoryPageSize = 1000

// memorySource is the source of Memory's reads: each query waits its round trip, then asks Pages for its
// documents.
type memorySource struct{ m *Memory }

// part pays the round trip of one query and calls fn with the documents Pages returns for it.
func (s memorySource) part(ctx context.Context, i int, part Part, fn func(bson.Raw)) (Docs, error) {
	if err := s.m.roundTrip(ctx); err != nil {
		return Docs{}, err
	}
	return s.docs(ctx, i, part, fn)
}

// docs calls fn with the documents Pages returns for one part of page i, and releases them.
func (s memorySource) docs(ctx context.Context, i int, part Part, fn func(bson.Raw)) (Docs, error) {
	d, err := s.m.Pages(ctx, i, part)
	if err != nil {
		return Docs{}, err
	}
	for _, raw := range d.Raw {
		fn(raw)
	}
	if d.Release != nil {
		d.Release()
	}
	return d, nil
}

// queue pays one round trip for up to QueuePages pages of queue entries, as Store's query does, and stops at a
// page marked Last or one without entries.
func (s memorySource) queue(ctx context.Context, first int, _ *bson.RawValue, fn func(int, bson.Raw)) (bool, error) {
	if err := s.m.roundTrip(ctx); err != nil {
		return false, err
	}
	for i := first; i < first+QueuePages; i++ {
		d, err := s.docs(ctx, i, PartQueue, func(raw bson.Raw) { fn(i, raw) })
		if err != nil {
			return false, err
		}
		if len(d.Raw) == 0 || d.Last {
			return false, nil
		}
	}
	return true, nil
}

func (s memorySource) journals(ctx context.Context, i int, _ []primitive.ObjectID, fn func(bson.Raw)) error {
	_, err := s.part(ctx, i, PartJournals, fn)
	return err
}

func (s memorySource) lines(ctx context.Context, i int, _ []primitive.ObjectID, fn func(bson.Raw)) error {
	_, err := s.part(ctx, i, PartLines, fn)
	return err
}

// exported pays one round trip and calls fn with the documents Exported returns, if it is set.
func (s memorySource) exported(ctx context.Context, i int, ids []primitive.ObjectID, fn func(bson.Raw)) error {
	if err := s.m.roundTrip(ctx); err != nil {
		return err
	}
	if s.m.Exported == nil {
		return nil
	}
	d, err := s.m.Exported(ctx, i, ids)
	if err != nil {
		return err
	}
	for _, raw := range d.Raw {
		fn(raw)
	}
	if d.Release != nil {
		d.Release()
	}
	return nil
}

// MarkFailed counts the failures.
func (m *Memory) MarkFailed(ctx context.Context, _ export.Batch, failures []export.Failure, _ time.Time) error {
	if err := m.roundTrip(ctx); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.failed += int64(len(failures))
	m.marks++
	return nil
}

// MarkExported reports the entries not failed, the first time only, as a queue would.
func (m *Memory) MarkExported(ctx context.Context, _ export.Batch, _ export.File, _ time.Time) (int64, error) {
	if err := m.roundTrip(ctx); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.exported {
		return 0, nil
	}
	m.exported = true
	return m.Entries - m.failed, nil
}

// Release changes nothing.
func (m *Memory) Release(ctx context.Context, _ export.Batch) (int64, error) {
	return 0, m.roundTrip(ctx)
}

// LogExport keeps the summary as the export's log, one per date and generation, as Store's does: a retry of the
// same attempt replaces its own log, and a re-export (a newer generation) adds one.
func (m *Memory) LogExport(ctx context.Context, s export.Summary, _ time.Time) error {
	if err := m.roundTrip(ctx); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.logs == nil {
		m.logs = map[logKey]export.Summary{}
	}
	m.logs[logKey{s.Date, s.Generation}] = s
	return nil
}

// Logs returns the export logs kept, by date, then generation.
func (m *Memory) Logs() []export.Summary {
	m.mu.Lock()
	defer m.mu.Unlock()
	keys := slices.SortedFunc(maps.Keys(m.logs), func(a, b logKey) int {
		return cmp.Or(cmp.Compare(a.date, b.date), cmp.Compare(a.generation, b.generation))
	})
	out := make([]export.Summary, 0, len(keys))
	for _, k := range keys {
		out = append(out, m.logs[k])
	}
	return out
}

// IDs lists nothing: Memory's read and claim never differ.
func (m *Memory) IDs(ctx context.Context, _ string, _ int64, _ func(string) error) error {
	return m.roundTrip(ctx)
}

// Pending reports no date: Memory holds one batch, which the caller exports.
func (m *Memory) Pending(ctx context.Context) ([]string, error) { return nil, m.roundTrip(ctx) }

// Unclaimable reports none.
func (m *Memory) Unclaimable(ctx context.Context) (int64, error) { return 0, m.roundTrip(ctx) }

// FailureMarks reports how many times MarkFailed was called: the update commands a MongoDB queue would have sent.
func (m *Memory) FailureMarks() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.marks
}
