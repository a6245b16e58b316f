package export

import (
	"crypto/sha256"
	"encoding"
	"hash"
	"io"
)

// hashReader hashes what the upload reads and keeps the SHA-256 state at the last few chunk boundaries, so that
// when Drive confirms an offset the state of exactly those bytes can be recorded for a later resume.
type hashReader struct {
	r      io.Reader
	h      hash.Hash
	n      int64
	chunk  int64
	states map[int64][]byte
}

func newHashReader(r io.Reader, chunk int) *hashReader {
	return &hashReader{r: r, h: sha256.New(), chunk: int64(chunk), states: map[int64][]byte{0: marshal(sha256.New())}}
}

func (hr *hashReader) Read(p []byte) (int, error) {
	n, err := hr.r.Read(p)
	b := p[:n]
	for len(b) > 0 {
		// Hash up to the next chunk boundary, then snapshot the state there.
		room := hr.chunk - hr.n%hr.chunk
		take := int64(len(b))
		if take > room {
			take = room
		}
		hr.h.Write(b[:take])
		hr.n += take
		b = b[take:]
		if hr.n%hr.chunk == 0 {
			hr.states[hr.n] = marshal(hr.h)
			delete(hr.states, hr.n-4*hr.chunk) // the upload never lags more than a chunk behind the reader
		}
	}
	return n, err
}

// stateAt returns the hash state after off bytes, if it was kept.
func (hr *hashReader) stateAt(off int64) []byte { return hr.states[off] }

func (hr *hashReader) state() []byte { return marshal(hr.h) }

func (hr *hashReader) sum() []byte { return hr.h.Sum(nil) }

// marshal returns the digest's state; nil (no resume point) in the impossible case that it cannot.
func marshal(h hash.Hash) []byte {
	b, err := h.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		return nil
	}
	return b
}
