package export

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding"
	"hash"
	"io"
	"sync"
)

// DefaultBuffers is how many chunks' worth of filled buffers may wait for the upload when Runner.Buffers is 0. It
// was picked by measurement (internal/bench/README.md): a real Drive takes about 100 ms to answer each chunk, and
// without a waiting chunk the encoder stops while the client sends one, so a million entries took 1.3 to 1.65
// times the chain of chunk round trips; with one it meets that floor (1.10 times). It costs a chunk of memory,
// which GOMEMLIMIT absorbs (peak RSS stays under 64 MiB at 1,000,000 entries).
const DefaultBuffers = 1

// chunkPipe carries the CSV from the encoder to the upload through a bounded queue of buffers, so that reading,
// encoding and hashing go on while the upload sends an earlier chunk. The writer (the encoder's goroutine) copies
// bytes into a buffer, hashes them with SHA-256 and keeps the hash state at every chunk boundary, so that the state
// of exactly the bytes Drive confirms can be recorded for a resume. Buffers are segments of at most segmentSize
// bytes, so that the two ends hold little; at most depth chunks' worth of filled segments wait for the reader.
// Memory is depth chunks plus two segments whatever the file's size (the upload client keeps one chunk of its
// own), and the encoder blocks when the upload falls behind.
//
// Like io.Pipe, each side closes with an error the other side then sees: a failed encoder fails the upload at
// its next read (never a short file), and a stopped upload fails the encoder's next write.
type chunkPipe struct {
	chunk int64       // the upload's chunk size: hash states are kept at its multiples
	seg   int         // buffer size
	full  chan []byte // filled buffers in order; closed by the writer at its end
	free  chan []byte // emptied buffers, back to the writer; room for every buffer, so sends never block

	rdone chan struct{} // closed when the reader stops
	ronce sync.Once
	wonce sync.Once

	mu     sync.Mutex
	rerr   error            // why the reader stopped
	werr   error            // why the writer failed; nil at a clean end
	states map[int64][]byte // SHA-256 state after each kept offset
	sum    []byte           // SHA-256 of everything, after a clean end
	total  int64            // bytes written, after a clean end

	// The writer's own.
	h     hash.Hash
	n     int64
	buf   []byte
	made  int   // buffers allocated
	keep  int64 // bytes behind the writer whose chunk-boundary states are kept
	mark  int64 // an extra offset whose state is kept, or -1
	limit int   // most buffers

	// The reader's own.
	rbuf []byte
	roff int
}

// segmentSize is the largest buffer of a chunkPipe.
const segmentSize = 1 << 20

// newChunkPipe returns a pipe for an upload of the given chunk size in which at most depth chunks' worth of
// filled segments wait. mark, when not negative, is an offset whose hash state is kept even if it is not a chunk
// boundary (a resume point recorded with another chunk size).
func newChunkPipe(chunk, depth int, mark int64) *chunkPipe {
	seg := min(chunk, segmentSize)
	waiting := max(depth, 0) * ((chunk + seg - 1) / seg)
	limit := waiting + 2 // the waiting ones, one being filled, one being read
	c := &chunkPipe{
		chunk:  int64(chunk),
		seg:    seg,
		full:   make(chan []byte, waiting),
		free:   make(chan []byte, limit),
		rdone:  make(chan struct{}),
		states: map[int64][]byte{0: marshal(sha256.New())},
		h:      sha256.New(),
		mark:   mark,
		limit:  limit,
		// The upload confirms an offset at most its own chunk, the waiting chunks and two segments behind the
		// writer; keep a little more.
		keep: int64(max(depth, 0)+4) * int64(chunk),
	}
	return c
}

// Write copies p into the pipe, blocking while depth buffers wait for the reader.
func (c *chunkPipe) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		if c.buf == nil {
			b, err := c.buffer()
			if err != nil {
				return written, err
			}
			c.buf = b[:0]
		}
		k := min(len(p), c.seg-len(c.buf))
		// Stop at the next chunk boundary, or at the mark, to take the state there.
		if next := (c.n/c.chunk + 1) * c.chunk; int64(k) > next-c.n {
			k = int(next - c.n)
		}
		if c.mark > c.n && c.mark < c.n+int64(k) {
			k = int(c.mark - c.n)
		}
		c.buf = append(c.buf, p[:k]...)
		c.h.Write(p[:k])
		c.n += int64(k)
		p = p[k:]
		written += k
		if c.n%c.chunk == 0 || c.n == c.mark {
			c.snapshot()
		}
		if len(c.buf) == c.seg {
			if err := c.send(); err != nil {
				return written, err
			}
		}
	}
	return written, nil
}

// buffer returns an empty buffer: a free one, a new one while fewer than limit exist, or the next one the reader
// frees.
func (c *chunkPipe) buffer() ([]byte, error) {
	select {
	case <-c.rdone:
		return nil, c.readErr()
	case b := <-c.free:
		return b, nil
	default:
	}
	if c.made < c.limit {
		c.made++
		return make([]byte, c.seg), nil
	}
	select {
	case <-c.rdone:
		return nil, c.readErr()
	case b := <-c.free:
		return b, nil
	}
}

func (c *chunkPipe) send() error {
	select {
	case <-c.rdone:
		return c.readErr()
	case c.full <- c.buf:
		c.buf = nil
		return nil
	}
}

// snapshot keeps the hash state at the current offset and forgets states the upload can no longer confirm.
func (c *chunkPipe) snapshot() {
	st := marshal(c.h)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.states[c.n] = st
	for off := range c.states {
		if off != 0 && off != c.mark && off < c.n-c.keep {
			delete(c.states, off)
		}
	}
}

// closeWrite ends the writer's side: with nil, after the buffered bytes, the reader sees io.EOF; with an error,
// the reader sees it at its next read.
func (c *chunkPipe) closeWrite(err error) {
	c.wonce.Do(func() {
		if err == nil && len(c.buf) > 0 {
			err = c.send()
		}
		c.mu.Lock()
		c.werr = err
		if err == nil {
			c.sum, c.total = c.h.Sum(nil), c.n
		}
		c.mu.Unlock()
		close(c.full)
	})
}

// Read reads what the writer wrote, in order.
func (c *chunkPipe) Read(p []byte) (int, error) {
	if err := c.writeErr(); err != nil {
		return 0, err
	}
	if c.rbuf == nil {
		b, ok := <-c.full
		if !ok {
			if err := c.writeErr(); err != nil {
				return 0, err
			}
			return 0, io.EOF
		}
		c.rbuf, c.roff = b, 0
	}
	n := copy(p, c.rbuf[c.roff:])
	c.roff += n
	if c.roff == len(c.rbuf) {
		c.free <- c.rbuf[:c.seg] // at once: the writer may be waiting for it
		c.rbuf = nil
	}
	return n, nil
}

// closeRead stops the reader's side: the writer's next write fails with err.
func (c *chunkPipe) closeRead(err error) {
	c.ronce.Do(func() {
		c.mu.Lock()
		c.rerr = err
		c.mu.Unlock()
		close(c.rdone)
	})
}

func (c *chunkPipe) readErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rerr
}

func (c *chunkPipe) writeErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.werr
}

// stateAt returns the SHA-256 state after off bytes, if it was kept.
func (c *chunkPipe) stateAt(off int64) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.states[off]
}

// result returns the SHA-256 of the whole stream and its length, once the writer ended cleanly.
func (c *chunkPipe) result() ([]byte, int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sum, c.total
}

// marshal returns the digest's state; nil (no resume point) in the impossible case that it cannot.
func marshal(h hash.Hash) []byte {
	b, err := h.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		return nil
	}
	return b
}

// hashWriter takes the SHA-256, and when asked the MD5, of what is written to it, and counts it.
type hashWriter struct {
	sha hash.Hash
	md5 hash.Hash // nil unless asked for
	n   int64
}

// newHashWriter returns a hashWriter; withMD5 adds the MD5, which only adopting a finished file needs (Drive's
// md5Checksum). A dry run takes the SHA-256 alone.
func newHashWriter(withMD5 bool) *hashWriter {
	h := &hashWriter{sha: sha256.New()}
	if withMD5 {
		h.md5 = md5.New()
	}
	return h
}

func (h *hashWriter) Write(p []byte) (int, error) {
	h.sha.Write(p)
	if h.md5 != nil {
		h.md5.Write(p)
	}
	h.n += int64(len(p))
	return len(p), nil
}
