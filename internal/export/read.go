package export

import "context"

// The read step: the claimed entries, a page at a time, in _id order, read ahead of the encoder.

// readAhead calls fn with the batch's pages in order, reading in its own goroutine while fn handles the page
// before, so that the database's round trips and the documents' decoding overlap the encoding. The queue's Read
// may read further ahead on its own (medici.Store keeps up to medici.ReadAhead pages on their way, mapped on every
// core); readAhead adds the one page fn handles. An error from fn stops the reading.
func (r *Runner) readAhead(ctx context.Context, b Batch, fn func([]Entry) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	pages := make(chan []Entry)
	read := make(chan error, 1)
	go func() {
		defer close(pages)
		read <- r.Queue.Read(ctx, b, func(p []Entry) error {
			select {
			case pages <- p:
				return nil
			case <-ctx.Done():
				return context.Cause(ctx)
			}
		})
	}()
	for p := range pages {
		if err := fn(p); err != nil {
			cancel(err)
			for range pages { // let the reader see the cancellation and end
			}
			<-read
			return err
		}
	}
	return <-read
}
