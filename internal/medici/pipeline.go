package medici

import (
	"context"
	"sync"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"

	"github.com/siamledger/ledger-export/internal/export"
	"github.com/siamledger/ledger-export/internal/ledger"
)

// ReadAhead is how many pages a read holds at most, from the query of their queue entries until the caller's
// function returns with them: the pages being queried and mapped, and those waiting their turn. Each costs about
// 4 MB of heap at 1,000 entries (1.7 MB of documents while they are mapped, 1.7 MB of mapped values, the lines
// mapped before their journals are joined), so twice that in resident memory under Go's default GOGC. Three pages
// keep both cores mapping and one page ready for the encoder, and hide a round trip of up to about a page's
// encoding time; a longer one is bound by the chain of queue queries, which no read-ahead shortens.
// internal/bench/README.md measures it.
const ReadAhead = 3

// source is where a read's documents come from: MongoDB for Store, a function for Memory. Each method is one
// round trip; it calls fn with every document it returns, in order, and the document is valid only during the
// call. journals and lines depend only on the page's journal ids, so the read sends them at the same time.
type source interface {
	// queue returns the i-th page of queue entries, the ones after the _id after (from the start when nil), in
	// _id order, and reports whether more entries follow.
	queue(ctx context.Context, i int, after *bson.RawValue, fn func(bson.Raw)) (more bool, err error)
	// journals returns the journals of the page's ids.
	journals(ctx context.Context, i int, ids []primitive.ObjectID, fn func(bson.Raw)) error
	// lines returns the lines of the page's journals.
	lines(ctx context.Context, i int, ids []primitive.ObjectID, fn func(bson.Raw)) error
}

// page is one page of a read on its way to the caller.
type page struct {
	i       int
	ready   chan struct{} // closed when entries or err is set
	entries []export.Entry
	err     error
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
// The queue pages form a chain (each page's query starts after the last _id of the one before), so one goroutine
// queries them one after another, checking the _id order as it goes, and never waits for anything else. Each
// page's journals and lines are then queried at the same time, and mapped as they arrive, in goroutines of their
// own, so that up to ReadAhead pages are mapped on every core while the chain goes on; fn receives them in _id
// order, so the pages, and the bytes made of them, are those a read of one page at a time returns. The first error
// in page order ends the read, as it would one page at a time; when readPages returns, nothing of the read runs
// any more.
func readPages(ctx context.Context, src source, m Mapper, size int, dups map[string]bson.RawValue, fn func([]export.Entry) error, wrap func(i int, err error) error) error {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	// A token for each page held; the chain takes one before it queries a page, and it is given back when fn
	// returns with the page.
	tokens := make(chan struct{}, ReadAhead)
	pages := make(chan *page, ReadAhead)
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(pages)
		var after *bson.RawValue
		for i := 0; ; i++ {
			select {
			case tokens <- struct{}{}:
			case <-ctx.Done():
				return
			}
			a := newAssembler(m, size)
			a.dups = dups
			if after != nil {
				a.last = *after
			}
			p := &page{i: i, ready: make(chan struct{})}
			more, err := src.queue(ctx, i, after, a.entry)
			switch {
			case err != nil:
				p.err = err
			case a.err != nil:
				p.err = a.err
			case len(a.entries) == 0:
				return
			}
			if p.err != nil {
				close(p.ready)
				pages <- p
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer close(p.ready)
				p.entries, p.err = lookUp(ctx, src, i, a)
			}()
			pages <- p // never blocks: a page holds a token until fn returns, and there are as many tokens as room
			if !more {
				return
			}
			after = &a.last
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
			for range pages { // let the chain see the cancellation and end
			}
			return err
		}
		<-tokens
	}
	return nil
}

// lookUp queries the journals and the lines of a page at the same time, maps them as they arrive, and joins them
// with the page's entries. Lines are joined in the order they arrive, once every journal is in, as a read of one
// query after the other joins them: a line mapped before the journals are all in waits in a list. A failure of the
// journals' query is reported before one of the lines'.
func lookUp(ctx context.Context, src source, i int, a *assembler) ([]export.Entry, error) {
	if len(a.ids) == 0 {
		return a.finish(), nil
	}
	var (
		journalErr error
		journaled  = make(chan struct{})
	)
	go func() {
		defer close(journaled)
		journalErr = src.journals(ctx, i, a.ids, a.journal)
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
				waiting = append(waiting, mappedLine{journalID: jid, line: l, err: err})
				return
			}
		}
		a.join(jid, l, err)
	})
	<-journaled
	if journalErr != nil {
		return nil, journalErr
	}
	if lineErr != nil {
		return nil, lineErr
	}
	for _, w := range waiting {
		a.join(w.journalID, w.line, w.err)
	}
	return a.finish(), nil
}
