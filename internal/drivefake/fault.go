package drivefake

import (
	"io"
	"net"
	"net/http"
	"time"
)

// Op names a kind of request, for faults and request records.
type Op string

// The operations. A request to a session URI is OpStatus when its
// Content-Range has no byte range ("bytes */*" or "bytes */TOTAL" with an
// empty body; this is how both status queries and the Go client's empty
// final chunk look) and OpChunk otherwise.
const (
	OpInitiate  Op = "initiate"  // POST /upload/drive/v3/files?uploadType=resumable
	OpChunk     Op = "chunk"     // PUT or POST of bytes to a session URI
	OpStatus    Op = "status"    // PUT or POST of "bytes */..." to a session URI
	OpMultipart Op = "multipart" // POST /upload/drive/v3/files?uploadType=multipart or media
	OpCreate    Op = "create"    // POST /drive/v3/files (metadata only)
	OpList      Op = "list"      // GET /drive/v3/files
	OpGet       Op = "get"       // GET /drive/v3/files/{id}, with or without alt=media
	OpUpdate    Op = "update"    // PATCH /drive/v3/files/{id}
	OpDelete    Op = "delete"    // DELETE /drive/v3/files/{id}
)

// Fault is a fault to inject into matching requests. A fault with Delay
// only delays the request, which is then handled normally.
type Fault struct {
	// Op is the kind of request the fault matches; "" matches every kind.
	Op Op
	// Chunk, with OpChunk, is the 1-based number of the chunk within its
	// session (one more than the chunks accepted so far, so a retried chunk
	// keeps its number); 0 matches any chunk.
	Chunk int
	// Status is the HTTP status to answer, such as 503, 429, 403 or 404,
	// with Reason in the JSON error (a default reason for the status when
	// empty). Zero answers normally.
	Status int
	// Reason is the error reason, such as "rateLimitExceeded",
	// "userRateLimitExceeded", "storageQuotaExceeded",
	// "insufficientFilePermissions", "notFound" or "backendError".
	Reason string
	// Drop hijacks the connection after reading part of the body and
	// resets it, so that the client sees a connection reset and nothing of
	// the request is stored.
	Drop bool
	// Delay is slept before handling; it ends early if the request is
	// cancelled or the server closes.
	Delay time.Duration
	// Times is how many matching requests the fault affects: 0 means 1,
	// -1 means every matching request.
	Times int
	// Lose, with OpChunk, answers a chunk that does not complete the upload
	// as if Drive had stored it (308 with the Range it would then have) but
	// stores nothing, as when Drive loses an acknowledged chunk. The
	// client's next chunk then starts past what the session holds and meets
	// the fake's own 400 for a Content-Range mismatch.
	Lose bool
	// Trigger, when set, is called each time the fault matches, before the
	// delay and before the request is answered, so that a test can act at
	// an exact point of a client's work (stop a process, cut a network)
	// while the client waits for this answer.
	Trigger func()
}

// faultState is a registered fault with the number of uses left (-1 for
// unlimited).
type faultState struct {
	Fault
	left   int
	served int // matching requests the fault affected so far
}

func newFaultState(f Fault) *faultState {
	left := f.Times
	if left == 0 {
		left = 1
	}
	return &faultState{Fault: f, left: left}
}

// takeFault consumes and returns the first registered fault that matches.
func (s *Server) takeFault(op Op, chunk int) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.faults {
		if f.left == 0 || (f.Op != "" && f.Op != op) {
			continue
		}
		if op == OpChunk && f.Chunk != 0 && f.Chunk != chunk {
			continue
		}
		if f.left > 0 {
			f.left--
		}
		f.served++
		return f.Fault, true
	}
	return Fault{}, false
}

// FaultsServed returns, for each registered fault in order of
// registration, how many requests it affected so far: the proof that a
// fault a test asked for actually happened.
func (s *Server) FaultsServed() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]int, len(s.faults))
	for i, f := range s.faults {
		out[i] = f.served
	}
	return out
}

// ClearFaults stops every registered fault from matching further
// requests, as when the cause of a permanent error is fixed. FaultsServed
// keeps their counts.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.faults {
		f.left = 0
	}
}

// applyFault injects the fault matching info.op, if any, and reports
// whether it answered the request (or abandoned it).
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, info *reqInfo) bool {
	f, ok := s.takeFault(info.op, info.chunk)
	if !ok {
		return false
	}
	info.fault = true
	if f.Trigger != nil {
		f.Trigger()
	}
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return true // the client is gone; nothing to answer
		case <-s.closed:
			t.Stop()
			writeError(w, newAPIError(http.StatusServiceUnavailable, "global", "backendError", "drivefake: server closed"))
			return true
		}
	}
	if f.Lose {
		info.lose = true
		return false // handleSession reads the chunk and answers without storing it
	}
	if f.Drop {
		info.dropped = true
		drop(w, r)
		return true
	}
	if f.Status != 0 {
		writeError(w, faultError(f.Status, f.Reason))
		return true
	}
	return false
}

// dropReadLimit bounds how much of the body drop reads before resetting.
const dropReadLimit = 64 << 10

// drop reads part of the request body, then resets the connection without
// answering.
func drop(w http.ResponseWriter, r *http.Request) {
	if n := min(r.ContentLength/2, dropReadLimit); n > 0 {
		_, _ = io.CopyN(io.Discard, r.Body, n)
	}
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// Not hijackable (HTTP/2, a recorder): abort the response instead.
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0) // close with RST: a connection reset
	}
	_ = conn.Close()
}
