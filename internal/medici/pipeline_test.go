package medici

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"

	"github.com/siamledger/ledger-export/internal/export"
)

// testPages makes n pages of raw documents with every case the assembly handles: entries whose journal is
// missing, a malformed line, a journal document twice (the last wins), a line of a journal not on the page, an
// entry marked failed earlier, a reference as a hex string, an entry without entryId; journals and lines come in
// a shuffled order, and lines out of _id order.
func testPages(t *testing.T, n, size int, seed uint64) []Page {
	t.Helper()
	rnd := rand.New(rand.NewPCG(seed, 1))
	marshal := func(d bson.D) bson.Raw {
		b, err := bson.Marshal(d)
		if err != nil {
			t.Fatalf("bson.Marshal: %v", err)
		}
		return b
	}
	at := time.Date(2026, 11, 28, 3, 0, 0, 0, time.UTC)
	var pages []Page
	e := 0
	for range n {
		var p Page
		for range size {
			e++
			qid := fmt.Sprintf("q%08d", e) // string ids: _id order is entry order
			jid := primitive.NewObjectID()
			ref := any(jid)
			switch {
			case e%17 == 3:
				ref = jid.Hex()
			case e%29 == 5:
				ref = nil
			}
			q := bson.D{{Key: "_id", Value: qid}, {Key: "status", Value: StatusExporting}}
			if ref != nil {
				q = append(q, bson.E{Key: "entryId", Value: ref})
			}
			if e%23 == 7 {
				q[1].Value = StatusFailed
				q = append(q, bson.E{Key: "error", Value: "unbalanced"})
			}
			p.Queue = append(p.Queue, marshal(q))
			if e%13 == 4 {
				continue // the journal is missing
			}
			journal := bson.D{{Key: "_id", Value: jid}, {Key: "datetime", Value: at}, {Key: "memo", Value: fmt.Sprintf("journal %d", e)}, {Key: "book", Value: "b"}}
			p.Journals = append(p.Journals, marshal(journal))
			if e%19 == 2 {
				journal[2].Value = "the last of two"
				p.Journals = append(p.Journals, marshal(journal))
			}
			for k := range 1 + rnd.IntN(4) {
				line := bson.D{{Key: "_id", Value: fmt.Sprintf("l%08d-%d", e, k)}, {Key: "_journal", Value: jid},
					{Key: "accounts", Value: "Assets:Cash"}, {Key: "datetime", Value: at}, {Key: "debit", Value: float64(k)}, {Key: "credit", Value: 1.5}}
				if e%31 == 9 && k == 0 {
					line = line[:2] // no accounts: the journal fails
				}
				p.Lines = append(p.Lines, marshal(line))
			}
			if e%37 == 1 {
				p.Lines = append(p.Lines, marshal(bson.D{{Key: "_id", Value: "stray"}, {Key: "_journal", Value: primitive.NewObjectID()},
					{Key: "accounts", Value: "x"}, {Key: "datetime", Value: at}, {Key: "debit", Value: 1.0}, {Key: "credit", Value: 0.0}}))
			}
		}
		rnd.Shuffle(len(p.Journals), func(i, j int) { p.Journals[i], p.Journals[j] = p.Journals[j], p.Journals[i] })
		rnd.Shuffle(len(p.Lines), func(i, j int) { p.Lines[i], p.Lines[j] = p.Lines[j], p.Lines[i] })
		pages = append(pages, p)
	}
	return pages
}

// sequential assembles the pages one at a time, as Store.Read did before its pipeline: the reference.
func sequential(m Mapper, pages []Page) [][]export.Entry {
	var (
		out  [][]export.Entry
		last bson.RawValue
	)
	for _, p := range pages {
		a := newAssembler(m, len(p.Queue), nil)
		a.last = last
		for _, raw := range p.Queue {
			a.entry(raw)
		}
		for _, raw := range p.Journals {
			a.journal(raw)
		}
		for _, raw := range p.Lines {
			a.line(raw)
		}
		out = append(out, a.finish())
		last = a.last
	}
	return out
}

// jittery serves pages with a random delay on every query, so that pages finish mapping out of order; it counts
// the queue queries and the pages looked up (whose journals were queried), and fails the test if a query runs
// after the read ended.
type jittery struct {
	t          *testing.T
	pages      []Page
	failAt     int // the page whose lines query fails; -1 for none
	failQueue  int // the first page of the queue query that fails; -1 for none
	rnd        func() time.Duration
	ended      atomic.Bool
	running    atomic.Int64
	queries    atomic.Int64 // queue queries
	looked     atomic.Int64 // pages whose lookup started
	queueFirst []int        // the first page of each queue query, in order
}

func (s *jittery) call(ctx context.Context) error {
	if s.ended.Load() {
		s.t.Error("a query ran after readPages returned")
	}
	s.running.Add(1)
	defer s.running.Add(-1)
	select {
	case <-time.After(s.rnd()):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *jittery) queue(ctx context.Context, first int, _ *bson.RawValue, fn func(int, bson.Raw)) (bool, error) {
	if err := s.call(ctx); err != nil {
		return false, err
	}
	s.queries.Add(1)
	s.queueFirst = append(s.queueFirst, first) // one chain: the queries never overlap
	if first == s.failQueue {
		return false, errQueue
	}
	end := min(first+QueuePages, len(s.pages))
	for i := first; i < end; i++ {
		for _, raw := range s.pages[i].Queue {
			fn(i, raw)
		}
	}
	return end < len(s.pages), nil
}

func (s *jittery) journals(ctx context.Context, i int, _ []primitive.ObjectID, fn func(bson.Raw)) error {
	s.looked.Add(1)
	if err := s.call(ctx); err != nil {
		return err
	}
	for _, raw := range s.pages[i].Journals {
		fn(raw)
	}
	return nil
}

func (s *jittery) lines(ctx context.Context, i int, _ []primitive.ObjectID, fn func(bson.Raw)) error {
	if err := s.call(ctx); err != nil {
		return err
	}
	if i == s.failAt {
		return errLines
	}
	for _, raw := range s.pages[i].Lines {
		fn(raw)
	}
	return nil
}

func (s *jittery) exported(ctx context.Context, _ int, _ []primitive.ObjectID, _ func(bson.Raw)) error {
	return s.call(ctx)
}

var (
	errLines = errors.New("lines query failed")
	errQueue = errors.New("queue query failed")
)

func newJittery(t *testing.T, pages []Page, seed uint64) *jittery {
	var mu sync.Mutex
	rnd := rand.New(rand.NewPCG(seed, 2))
	return &jittery{t: t, pages: pages, failAt: -1, failQueue: -1, rnd: func() time.Duration {
		mu.Lock()
		defer mu.Unlock()
		return time.Duration(rnd.IntN(2000)) * time.Microsecond
	}}
}

// The pipelined read must hand fn exactly the pages a read of one page at a time makes, in the same order, however
// the pages' queries finish: otherwise the file's bytes would depend on timing. A pipeline that delivered pages as
// they finish, joined lines before all journals were in, or mapped a duplicate journal in the wrong order fails
// here. 12 pages make three queue queries (5, 5 and 2 pages, with no empty fourth), so a chain that lost the _id
// order at a query's boundary, or split a query's entries into the wrong pages, fails too; so does one that
// started more than ReadAhead lookups ahead of fn.
func TestReadPagesEqualsOnePageAtATime(t *testing.T) {
	m := Mapper{Location: time.UTC}
	for seed := range uint64(5) {
		pages := testPages(t, 12, 40, seed)
		want := sequential(m, pages)
		src := newJittery(t, pages, seed)
		var (
			got  [][]export.Entry
			held int64
		)
		err := readPages(t.Context(), src, m, 40, nil, func(p []export.Entry) error {
			held = max(held, src.looked.Load()-int64(len(got)))
			got = append(got, p)
			return nil
		}, func(i int, err error) error { return fmt.Errorf("page %d: %w", i, err) })
		src.ended.Store(true)
		if err != nil {
			t.Fatalf("seed %d: readPages() = %v", seed, err)
		}
		if held > ReadAhead {
			t.Errorf("seed %d: %d pages held at once, want at most ReadAhead (%d)", seed, held, ReadAhead)
		}
		if !reflect.DeepEqual(src.queueFirst, []int{0, QueuePages, 2 * QueuePages}) {
			t.Errorf("seed %d: queue queries from pages %v, want [0 %d %d]", seed, src.queueFirst, QueuePages, 2*QueuePages)
		}
		if len(got) != len(want) {
			t.Fatalf("seed %d: %d pages, want %d", seed, len(got), len(want))
		}
		for i := range want {
			if !reflect.DeepEqual(render(got[i]), render(want[i])) {
				t.Errorf("seed %d, page %d:\n got %v\nwant %v", seed, i, render(got[i]), render(want[i]))
			}
		}
	}
}

// render shows an entry with its error as text, so that errors made by different calls compare by what they say.
func render(p []export.Entry) []string {
	var out []string
	for _, e := range p {
		errText := ""
		if e.Err != nil {
			errText = e.Err.Error()
		}
		out = append(out, fmt.Sprintf("%s %s %v %q marked=%v %+v", e.ID, e.JournalID, e.Key, errText, e.Marked, e.Journal))
	}
	return out
}

// A failed query stops the read at its page: fn has every page before it and none after, the error names the
// page, and nothing of the read runs once readPages returns. A pipeline that skipped the failed page, reported a
// later page's error, or left queries running fails here.
func TestReadPagesStopsAtTheFirstFailedPage(t *testing.T) {
	m := Mapper{Location: time.UTC}
	pages := testPages(t, 10, 20, 7)
	src := newJittery(t, pages, 7)
	src.failAt = 4
	delivered := 0
	err := readPages(t.Context(), src, m, 20, nil, func([]export.Entry) error {
		delivered++
		return nil
	}, func(i int, err error) error { return fmt.Errorf("page %d: %w", i, err) })
	src.ended.Store(true)
	if !errors.Is(err, errLines) || err.Error() != "page 4: "+errLines.Error() || delivered != 4 {
		t.Errorf("readPages() = %v after %d pages, want page 4's error after 4 pages", err, delivered)
	}
	if n := src.running.Load(); n != 0 {
		t.Errorf("%d queries still running after readPages returned", n)
	}

	// A failed queue query stops the read at the query's first page, after every page of the queries before it.
	src = newJittery(t, pages, 9)
	src.failQueue = QueuePages
	delivered = 0
	err = readPages(t.Context(), src, m, 20, nil, func([]export.Entry) error {
		delivered++
		return nil
	}, func(i int, err error) error { return fmt.Errorf("page %d: %w", i, err) })
	src.ended.Store(true)
	if want := fmt.Sprintf("page %d: %v", QueuePages, errQueue); err == nil || err.Error() != want || delivered != QueuePages {
		t.Errorf("readPages() = %v after %d pages, want %q after %d pages", err, delivered, want, QueuePages)
	}
	if n := src.running.Load(); n != 0 {
		t.Errorf("%d queries still running after readPages returned", n)
	}

	// fn's own error is returned as is, and stops the read too.
	stop := errors.New("stop")
	src = newJittery(t, pages, 8)
	delivered = 0
	err = readPages(t.Context(), src, m, 20, nil, func([]export.Entry) error {
		delivered++
		if delivered == 2 {
			return stop
		}
		return nil
	}, func(i int, err error) error { return fmt.Errorf("page %d: %w", i, err) })
	src.ended.Store(true)
	if err != stop || delivered != 2 {
		t.Errorf("readPages() = %v after %d pages, want fn's error after 2", err, delivered)
	}
}

// Memory pays a round trip for each query Store would send: the aggregation for journals queued twice, one queue
// query per QueuePages pages, and three lookups per page (journals, lines, journals exported for another date),
// with no query after a page marked Last; and it releases every part it asked for. A Memory that read a page
// without paying for it would make the latency rows of make bench too fast. What it reads is checked twice: against
// a sequential read (the order and page boundaries), and against the raw documents decoded independently of the
// Mapper and the assembler (checkMapping), so a mapping bug shared by both reads (a line given to the wrong
// journal, the first of two journal documents kept, a lost failure reason) fails too.
func TestMemoryRoundTripsAndRelease(t *testing.T) {
	pages := testPages(t, QueuePages+2, 30, 3)
	var asked, released atomic.Int64
	m := &Memory{Mapper: Mapper{Location: time.UTC}, Latency: time.Millisecond, Pages: func(_ context.Context, i int, part Part) (Docs, error) {
		asked.Add(1)
		if i >= len(pages) {
			t.Errorf("Memory asked for page %d after the last", i)
			return Docs{}, nil
		}
		d := Docs{Raw: [...][]bson.Raw{PartQueue: pages[i].Queue, PartJournals: pages[i].Journals, PartLines: pages[i].Lines}[part]}
		d.Last = part == PartQueue && i == len(pages)-1
		d.Release = func() { released.Add(1) }
		return d, nil
	}}
	var got [][]export.Entry
	if err := m.Read(t.Context(), export.Batch{}, func(p []export.Entry) error {
		got = append(got, p)
		return nil
	}); err != nil {
		t.Fatalf("Read() = %v", err)
	}
	want := sequential(m.Mapper, pages)
	if !reflect.DeepEqual(len(got), len(want)) {
		t.Fatalf("Read() gave %d pages, want %d", len(got), len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(render(got[i]), render(want[i])) {
			t.Errorf("page %d differs from a read one page at a time", i)
		}
		checkMapping(t, i, pages[i], got[i])
	}
	// The aggregation, two queue queries (QueuePages pages, then 2), and three lookups per page.
	if n, want := m.RoundTrips(), int64(1+2+3*len(pages)); n != want {
		t.Errorf("RoundTrips() = %d, want %d (1 + 2 queue queries + 3 per page)", n, want)
	}
	if n, r := asked.Load(), released.Load(); n != 3*int64(len(pages)) || r != n {
		t.Errorf("Memory asked for %d parts and released %d, want %d of each", n, r, 3*len(pages))
	}
	if err := m.Claim(t.Context(), export.Batch{}, time.Now()); err != nil || m.RoundTrips() != int64(1+3+3*len(pages)) {
		t.Errorf("Claim() = %v, round trips %d: want the claim to pay one", err, m.RoundTrips())
	}
}

// The _id order is checked across queue queries as well as within one: an entry of the second query that sorts
// before the last entry of the first (a server that ignored the keyset filter, say) stops the read at its page,
// after the pages before it. A chain that started each query's pages without the last _id of the one before would
// export the entry twice instead.
func TestReadPagesChecksTheOrderAcrossQueueQueries(t *testing.T) {
	m := Mapper{Location: time.UTC}
	pages := testPages(t, 2*QueuePages, 10, 11)
	// The first entry of the second query repeats the last entry of the first.
	last := pages[QueuePages-1].Queue
	pages[QueuePages].Queue[0] = last[len(last)-1]
	src := newJittery(t, pages, 11)
	delivered := 0
	err := readPages(t.Context(), src, m, 10, nil, func([]export.Entry) error {
		delivered++
		return nil
	}, func(i int, err error) error { return fmt.Errorf("page %d: %w", i, err) })
	src.ended.Store(true)
	if err == nil || !strings.HasPrefix(err.Error(), fmt.Sprintf("page %d: queue entry ", QueuePages)) || !strings.Contains(err.Error(), "does not sort after") || delivered != QueuePages {
		t.Errorf("readPages() = %v after %d pages, want page %d's order error after %d pages", err, delivered, QueuePages, QueuePages)
	}
}

// barrier is a source whose three lookups of a page each wait until all three have started: a read that sent the
// lookup of journals exported elsewhere after the journals and lines (or before them), instead of at the same
// time, would add a round trip to every page at a 20 ms latency. Here it would stall until the timeout.
type barrier struct {
	*jittery
	mu      sync.Mutex
	started map[int]int
	all     map[int]chan struct{}
	timeout time.Duration
	stalled atomic.Bool
}

func (s *barrier) wait(i int) {
	s.mu.Lock()
	if s.all[i] == nil {
		s.all[i] = make(chan struct{})
	}
	ch := s.all[i]
	s.started[i]++
	if s.started[i] == 3 {
		close(ch)
	}
	s.mu.Unlock()
	select {
	case <-ch:
	case <-time.After(s.timeout):
		s.stalled.Store(true)
	}
}

func (s *barrier) journals(ctx context.Context, i int, ids []primitive.ObjectID, fn func(bson.Raw)) error {
	s.wait(i)
	return s.jittery.journals(ctx, i, ids, fn)
}

func (s *barrier) lines(ctx context.Context, i int, ids []primitive.ObjectID, fn func(bson.Raw)) error {
	s.wait(i)
	return s.jittery.lines(ctx, i, ids, fn)
}

func (s *barrier) exported(ctx context.Context, i int, ids []primitive.ObjectID, fn func(bson.Raw)) error {
	s.wait(i)
	return s.jittery.exported(ctx, i, ids, fn)
}

// A page's three lookups (journals, lines, journals exported for another date) are in flight at the same time.
func TestPageLookUpsOverlap(t *testing.T) {
	m := Mapper{Location: time.UTC}
	pages := testPages(t, 4, 10, 13)
	src := &barrier{jittery: newJittery(t, pages, 13), started: map[int]int{}, all: map[int]chan struct{}{}, timeout: 5 * time.Second}
	n := 0
	err := readPages(t.Context(), src, m, 10, nil, func([]export.Entry) error {
		n++
		return nil
	}, func(i int, err error) error { return fmt.Errorf("page %d: %w", i, err) })
	src.ended.Store(true)
	if err != nil || n != len(pages) {
		t.Fatalf("readPages() = %v after %d pages, want %d pages", err, n, len(pages))
	}
	if src.stalled.Load() {
		t.Error("a page's lookups did not all run at the same time: one waited for another to end")
	}
}
