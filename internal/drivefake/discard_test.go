package drivefake_test

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"net/http"
	"testing"

	"github.com/siamledger/ledger-export/internal/drivefake"
)

// TestDiscard: a discarding fake takes a resumable upload through the real client, chunk by chunk, and keeps the
// size and MD5 of the content but not the content.
func TestDiscard(t *testing.T) {
	fake := newFake(t, drivefake.Options{Discard: true})
	svc := newService(t, fake)
	content := payload(5*chunkSize + 1234) // six chunks, the last one short
	f, err := upload(t.Context(), svc, "big.csv", content)
	if err != nil {
		t.Fatalf("upload() error = %v", err)
	}
	sum := md5.Sum(content)
	if f.Size != int64(len(content)) || f.Md5Checksum != hex.EncodeToString(sum[:]) {
		t.Errorf("file = size %d md5 %s, want size %d md5 %x", f.Size, f.Md5Checksum, len(content), sum)
	}
	got, ok := fake.File(f.Id)
	if !ok || len(got.Content) != 0 || got.MD5 != f.Md5Checksum {
		t.Errorf("fake.File(%s) = %d content bytes, md5 %s; want no content and md5 %s", f.Id, len(got.Content), got.MD5, f.Md5Checksum)
	}
	if s := fake.Sessions(); len(s) != 1 || !s[0].Complete || s[0].Chunks != 6 {
		t.Errorf("sessions = %+v, want one complete session of 6 chunks", s)
	}
	_, err = svc.Files.Get(f.Id).Download()
	if gerr := apiError(t, err); gerr.Code != http.StatusForbidden || reason(gerr) != "contentDiscarded" {
		t.Errorf("download error = %d %s, want 403 contentDiscarded", gerr.Code, reason(gerr))
	}

	// Small files made in one request keep their checksum too.
	small := []byte("a,b\r\n")
	f, err = upload(t.Context(), svc, "small.csv", small)
	if err != nil {
		t.Fatalf("upload(small) error = %v", err)
	}
	if sum := md5.Sum(small); f.Md5Checksum != hex.EncodeToString(sum[:]) || f.Size != int64(len(small)) {
		t.Errorf("small file = size %d md5 %s, want size %d md5 %x", f.Size, f.Md5Checksum, len(small), sum)
	}
}

// TestDiscardAcceptsResentChunk: the client re-sends a chunk after a dropped connection; without content to
// compare, the overlap is accepted and counted once.
func TestDiscardAcceptsResentChunk(t *testing.T) {
	fake := newFake(t, drivefake.Options{Discard: true})
	loc := initiate(t, fake, "")
	chunk := bytes.Repeat([]byte("x"), chunkSize)
	for range 2 {
		if code, _, _ := put(t, fake.Client(), loc, rng(0, chunkSize-1, "*"), chunk, nil); code != http.StatusPermanentRedirect {
			t.Fatalf("PUT first chunk = %d, want 308", code)
		}
	}
	code, _, _ := put(t, fake.Client(), loc, rng(chunkSize, chunkSize+9, "262154"), chunk[:10], nil)
	if code != http.StatusOK {
		t.Fatalf("PUT last chunk = %d, want 200", code)
	}
	s := fake.Sessions()
	if len(s) != 1 || s[0].Received != chunkSize+10 || !s[0].Complete {
		t.Errorf("sessions = %+v, want one complete session of %d bytes", s, chunkSize+10)
	}
}

func TestDiscardWithDirIsRefused(t *testing.T) {
	if _, err := drivefake.NewServer(drivefake.Options{Discard: true, Dir: t.TempDir()}); err == nil {
		t.Error("NewServer(Discard and Dir) error = nil, want an error")
	}
}
