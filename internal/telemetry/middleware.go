package telemetry

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"time"
)

// FlushTimeout bounds the force-flush Middleware makes before each answer, including ModeGCP's wait between two
// metric exports.
const FlushTimeout = 15 * time.Second

// Flusher exports what telemetry holds; *Providers is one.
type Flusher interface {
	ForceFlush(ctx context.Context) error
}

// Middleware wraps next so that every request runs under a server span (Tracing.StartRequest) and its answer is
// held back until the span has ended and f has been force-flushed once; only then are the status, the headers and
// the body written. Cloud Run throttles an instance's CPU as soon as the response is sent, so anything exported
// after it may never leave. The flush runs even when the request was cancelled, within FlushTimeout; a failed flush
// is logged on log (nil: not logged) and the answer is written all the same.
//
// next must write its whole answer before returning; it cannot stream (the function's answers are small JSON).
func Middleware(next http.Handler, t *Tracing, f Flusher, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, span := t.StartRequest(r.Context(), r)
		held := &heldResponse{header: http.Header{}}
		next.ServeHTTP(held, r.WithContext(ctx))
		EndRequest(span, held.code())

		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), FlushTimeout)
		if err := f.ForceFlush(fctx); err != nil && log != nil {
			log.WarnContext(ctx, "telemetry flush failed", "error", err.Error())
		}
		cancel()

		for k, v := range held.header {
			w.Header()[k] = v
		}
		w.WriteHeader(held.code())
		_, _ = w.Write(held.body.Bytes())
	})
}

// heldResponse is a ResponseWriter that keeps the answer in memory.
type heldResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (h *heldResponse) Header() http.Header { return h.header }

func (h *heldResponse) WriteHeader(code int) {
	if h.status == 0 {
		h.status = code
	}
}

func (h *heldResponse) Write(p []byte) (int, error) {
	if h.status == 0 {
		h.status = http.StatusOK
	}
	return h.body.Write(p)
}

func (h *heldResponse) code() int {
	if h.status == 0 {
		return http.StatusOK
	}
	return h.status
}
