package export

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
)

// stateOf is the SHA-256 state after b, computed directly.
func stateOf(b []byte) []byte {
	h := sha256.New()
	h.Write(b)
	return marshal(h)
}

func TestChunkPipeCarriesBytesAndStates(t *testing.T) {
	// Chunks smaller than a segment, chunks of several segments that do not end on a segment's edge, and the
	// production default of 4 MiB (config CHUNK_SIZE), four 1 MiB segments per chunk.
	for _, chunk := range []int{1 << 10, 2*segmentSize + 512, 4 << 20} {
		testChunkPipe(t, chunk)
	}
}

func testChunkPipe(t *testing.T, chunk int) {
	rnd := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, 4*chunk+123)
	_, _ = rand.NewChaCha8([32]byte{1, 2}).Read(data) // never fails
	for _, depth := range []int{0, 1, 3} {
		mark := int64(3*chunk + 7)
		cp := newChunkPipe(chunk, depth, mark)
		go func() {
			rest := data
			for len(rest) > 0 {
				n := min(len(rest), 1+rnd.IntN(3*min(chunk, 64<<10)))
				if _, err := cp.Write(rest[:n]); err != nil {
					cp.closeWrite(err)
					return
				}
				rest = rest[n:]
			}
			cp.closeWrite(nil)
		}()
		var got bytes.Buffer
		buf := make([]byte, 700)
		if chunk >= segmentSize {
			buf = make([]byte, 64<<10+7) // reads that seldom end on a boundary, in fewer calls
		}
		for {
			n, err := cp.Read(buf)
			got.Write(buf[:n])
			if off := int64(got.Len()); off%int64(chunk) == 0 && off > 0 {
				if st := cp.stateAt(off); !bytes.Equal(st, stateOf(data[:off])) {
					t.Errorf("depth %d: stateAt(%d) differs from the state of the first %d bytes", depth, off, off)
				}
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("depth %d: Read() error = %v", depth, err)
			}
		}
		if !bytes.Equal(got.Bytes(), data) {
			t.Fatalf("depth %d: read %d bytes, not the %d written", depth, got.Len(), len(data))
		}
		sum, n := cp.result()
		want := sha256.Sum256(data)
		if !bytes.Equal(sum, want[:]) || n != int64(len(data)) {
			t.Errorf("depth %d: result() = %x, %d; want %x, %d", depth, sum, n, want, len(data))
		}
		if st := cp.stateAt(mark); !bytes.Equal(st, stateOf(data[:mark])) {
			t.Errorf("depth %d: the mark's state is not the state of the first %d bytes", depth, mark)
		}
		// Every chunk boundary of the file is within the states the pipe keeps (depth+4 chunks behind the
		// writer), so each must be there and right, whatever offsets the reads happened to end on.
		h := sha256.New()
		for k := int64(0); k*int64(chunk) <= int64(len(data)); k++ {
			off := k * int64(chunk)
			if k > 0 {
				h.Write(data[off-int64(chunk) : off])
			}
			if st := cp.stateAt(off); !bytes.Equal(st, marshal(h)) {
				t.Errorf("depth %d: stateAt(%d) (chunk %d) is not the state of the first %d bytes", depth, off, k, off)
			}
		}
	}
}

func TestChunkPipeWriterErrorFailsTheReader(t *testing.T) {
	cp := newChunkPipe(16, 2, -1)
	if _, err := cp.Write(make([]byte, 40)); err != nil {
		t.Fatalf("Write() error = %v", err)
	}
	boom := errors.New("mongo went away")
	cp.closeWrite(boom)
	if _, err := io.ReadAll(cp); !errors.Is(err, boom) {
		t.Errorf("ReadAll() error = %v, want %v (never a clean end)", err, boom)
	}
}

func TestChunkPipeReaderStopFailsTheWriter(t *testing.T) {
	cp := newChunkPipe(16, 1, -1)
	stop := errors.New("upload stopped")
	done := make(chan error, 1)
	go func() {
		for {
			if _, err := cp.Write(make([]byte, 16)); err != nil {
				done <- err
				return
			}
		}
	}()
	buf := make([]byte, 16)
	if _, err := io.ReadFull(cp, buf); err != nil {
		t.Fatalf("ReadFull() error = %v", err)
	}
	cp.closeRead(stop)
	if err := <-done; !errors.Is(err, stop) {
		t.Errorf("Write() after the reader stopped = %v, want %v", err, stop)
	}
}
