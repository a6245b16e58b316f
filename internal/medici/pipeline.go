package medici

import (
	"context"
	"sync"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"

	"github.com/siamledger/ledger-export/internal/export"
	"github.com/siamledger/ledger-export/internal/ledger"
)

// ReadAhead is how many pages a read holds at most, from the query of their journals and lines until the caller's
// function returns with them: the pages being looked up and mapped, and those waiting their turn. Each costs about
// 4 MB of heap at 1,000 entries (1.7 MB of documents while they are mapped, 1.7 MB of mapped values, the lines
// mapped before their journals are joined), so twice that in resident memory under Go's default GOGC. Three pages
// keep both cores mapping and one page ready for the encoder, and hide a round trip of up to about a page's
// encoding time. internal/bench/README.md measures it.
const ReadAhead = 3

// QueuePages is how many pages of queue entries one queue query returns. The queue queries form a chain (each
// starts after the last _id of the one before), the one part of a read that no read-ahead overlaps: at a 20 ms
// round trip, a query per page of 1,000 would spend 20 s per million entries in the chain alone. Five pages per
// query make it 4 s, and cost only the queue entries of the pages waiting for their lookup (a reply of about 100
// bytes an entry while it is split into pages, then about 250 bytes an assembled entry: 1.2 MB for five pages of
// 1,000), so a read sends 3.2 queries per 1,000 entries (the queue query, and three lookups a page that overlap).
// internal/bench/README.md measures it.
const QueuePages = 5

// source is where a read's documents come from: MongoDB for Store, a function for Memory. Each method is one
// round trip; it calls fn with every document it returns, in order, and the document is valid only during the
// call. journals, lines and exported depend only on the page's journal ids, so the read sends them at the same
// time.
type source interface {
	// queue returns the queue entries of up to QueuePages pages from page first on, the ones after the _id after
	// (from the start when nil), in _id order, each with the index of its page, and reports whether more entries
	// follow.
	queue(ctx context.Context, first int, after *bson.RawValue, fn func(page int, raw bson.Raw)) (more bool, err error)
	// journals returns the journals of the page's ids.
	journals(ctx context.Context, i int, ids []primitive.ObjectID, fn func(bson.Raw)) error
	// lines returns the lines of the page's journals.
	lines(ctx context.Context, i int, ids []primitive.ObjectID, fn func(bson.Raw)) error
	// exported returns the queue entries that may hold one of the page's journals for another date's file
	// (exportedElsewhere decides).
	exported(ctx context.Context, i int, ids []primitive.ObjectID, fn func(bson.Raw)) error
}

// page is one page of a read on its way to the caller.
type page struct {
	i       int
	ready   chan struct{} // closed when entries or err is set
	entries []export.Entry
	err     error
}

// queued is a page whose queue entries are in, on its way to its lookup; err, when set, ends the read at page i.
type queued struct {
	i   int
	a   *assembler
	err error
}

// mappedLine is a line mapped before its journal is: the lines of a page are mapped while its journals are.
type mappedLine struct {
	journalID string
	line      ledger.Line
	err       error
}

// readPages reads the batch from src and calls fn with each page in order, on the caller's goroutine. An error of
// fn is returned as is, one of the read (of page i) as wrap makes it.
//
// The queue queries form a chain (each starts after the last _id of the one before), so one goroutine sends them
// one after another, QueuePages pages a query, checking the _id order as it goes, and waits for nothing but a
// place for its pages. A second goroutine starts each page's lookup once the page has one of ReadAhead tokens:
// its journals, lines and journals exported elsewhere are queried at the same time, and mapped as they arrive, in
// goroutines of their own, so that up to ReadAhead pages are mapped on every core while the chain goes on; fn
// receives them in _id order, so the pages, and the bytes made of them, are those a read of one page at a time
// returns. The first error in page order ends the read, as it would one page at a time; when readPages returns,
// nothing of the read runs any more.
func readPages(ctx context.Context, src source, m Mapper, size int, rules *readRules, fn func([]export.Entry) error, wrap func(i int, err error) error) error {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	// Unbuffered: the chain holds one query's pages, and sends its next query once the lookups have taken all
	// but the last of them.
	next := make(chan queued)
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(next)
		chain(ctx, src, m, size, rules, next)
	}()
	// A token for each page held; a page takes one before its lookup starts, and it is given back when fn returns
	// with the page.
	tokens := make(chan struct{}, ReadAhead)
	pages := make(chan *page, ReadAhead)
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(pages)
		for q := range next {
			select {
			case tokens <- struct{}{}:
			case <-ctx.Done():
				return
			}
			p := &page{i: q.i, ready: make(chan struct{})}
			if q.err != nil {
				p.err = q.err
				close(p.ready)
				pages <- p
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer close(p.ready)
				p.entries, p.err = lookUp(ctx, src, q.i, q.a)
			}()
			pages <- p // never blocks: a page holds a token until fn returns, and there are as many tokens as room
		}
	}()
	for p := range pages {
		<-p.ready
		var err error
		if p.err != nil {
			err = wrap(p.i, p.err)
		} else {
			err = fn(p.entries)
		}
		if err != nil {
			cancel()
			for range pages { // let the lookups see the cancellation and end
			}
			return err
		}
		<-tokens
	}
	return nil
}

// chain sends the queue queries one after another and each page of their entries to next, in order, until the
// batch ends, a query fails (sent as the error of the query's first page), or an entry is out of _id order (the
// error of its page, after the pages before it).
func chain(ctx context.Context, src source, m Mapper, size int, rules *readRules, next chan<- queued) {
	send := func(q queued) bool {
		select {
		case next <- q:
			return true
		case <-ctx.Done():
			return false
		}
	}
	var after *bson.RawValue
	for first := 0; ; first += QueuePages {
		var span []*assembler
		more, err := src.queue(ctx, first, after, func(i int, raw bson.Raw) {
			for k := i - first; len(span) <= k; {
				a := newAssembler(m, size, rules)
				switch {
				case len(span) > 0:
					a.last = span[len(span)-1].last
				case after != nil:
					a.last = *after
				}
				span = append(span, a)
			}
			span[i-first].entry(raw)
		})
		if err != nil {
			send(queued{i: first, err: err})
			return
		}
		for k, a := range span {
			q := queued{i: first + k, a: a, err: a.err}
			if !send(q) || q.err != nil {
				return
			}
		}
		if !more || len(span) == 0 || span[len(span)-1].seen == 0 {
			return
		}
		after = &span[len(span)-1].last
	}
}

// lookUp queries the journals and the lines of a page, and the queue entries that hold its journals for another
// date, all at the same time, maps them as they arrive, and joins them with the page's entries. Lines are joined
// in the order they arrive, once every journal is in, as a read of one query after the other joins them: a line
// mapped before the journals are all in waits in a list. A failure of the journals' query is reported before one
// of the lines', and that before one of the exported entries'.
func lookUp(ctx context.Context, src source, i int, a *assembler) ([]export.Entry, error) {
	if len(a.ids) == 0 {
		return a.finish(), nil
	}
	var (
		journalErr, exportedErr error
		journaled               = make(chan struct{})
		checked                 = make(chan struct{})
		elsewhereOf             map[string]elsewhere
	)
	go func() {
		defer close(journaled)
		journalErr = src.journals(ctx, i, a.ids, a.journal)
	}()
	go func() {
		defer close(checked)
		date := ""
		if a.rules != nil {
			date = a.rules.date
		}
		exportedErr = src.exported(ctx, i, a.ids, func(raw bson.Raw) {
			jid, at, ok := exportedElsewhere(date, raw)
			if !ok {
				return
			}
			if elsewhereOf == nil {
				elsewhereOf = map[string]elsewhere{}
			}
			if cur, seen := elsewhereOf[jid]; !seen || at.before(cur) {
				elsewhereOf[jid] = at
			}
		})
	}()
	var (
		waiting []mappedLine
		joining bool // the journals are all in (or failed): lines join as they come
	)
	lineErr := src.lines(ctx, i, a.ids, func(raw bson.Raw) {
		jid, l, err := a.mapper.Line(raw)
		if !joining {
			select {
			case <-journaled:
				joining = true
				for _, w := range waiting {
					a.join(w.journalID, w.line, w.err)
				}
				waiting = nil
			default:
				if waiting == nil {
					// Room for 3 lines a journal (Medici's have 2 or more): a page's lines mostly arrive before its
					// journals are mapped, and a list grown by append would allocate it twice over.
					waiting = make([]mappedLine, 0, 3*len(a.ids))
				}
				waiting = append(waiting, mappedLine{journalID: jid, line: l, err: err})
				return
			}
		}
		a.join(jid, l, err)
	})
	<-journaled
	<-checked
	if journalErr != nil {
		return nil, journalErr
	}
	if lineErr != nil {
		return nil, lineErr
	}
	if exportedErr != nil {
		return nil, exportedErr
	}
	for _, w := range waiting {
		a.join(w.journalID, w.line, w.err)
	}
	a.elsewhere = elsewhereOf
	return a.finish(), nil
}
