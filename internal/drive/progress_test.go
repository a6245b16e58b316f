package drive_test

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/siamledger/ledger-export/internal/drivefake"
	"github.com/siamledger/ledger-export/internal/export"
)

// TestUploadReportsEveryConfirmedOffset: an upload of three chunks reports the session as soon as Drive opens it
// (offset 0, before any byte is sent, so a crash in the first chunk can still resume), then each offset Drive
// confirms, in order; a resumed upload reports the offsets after the one it resumed from. Fails if the session's
// first report is lost (an empty Location taken for a session), an offset is reported that Drive did not confirm,
// or a confirmed one is missed.
func TestUploadReportsEveryConfirmedOffset(t *testing.T) {
	e := newEnv(t)
	var (
		mu   sync.Mutex
		seen []string
		uri  string
	)
	record := func(p export.UploadProgress) {
		mu.Lock()
		defer mu.Unlock()
		uri = p.SessionURI
		seen = append(seen, fmt.Sprint(p.Offset))
	}
	if _, err := e.store.Upload(t.Context(), export.NewFile{Name: "x.csv", Date: "2026-11-28", Generation: 1}, bytes.NewReader(body), record); err != nil {
		t.Fatalf("Upload() = %v", err)
	}
	if got, want := strings.Join(seen, ","), fmt.Sprintf("0,%d,%d", chunk, 2*chunk); got != want || !strings.HasPrefix(uri, "http") {
		t.Errorf("progress offsets = %s (session %q), want %s with the session URI", got, uri, want)
	}

	e2 := newEnv(t)
	u := unfinished(t, e2)
	seen = nil
	if _, err := e2.store.Resume(t.Context(), export.UploadSession{URI: u, Offset: chunk}, bytes.NewReader(body[chunk:]), record); err != nil {
		t.Fatalf("Resume() = %v", err)
	}
	if got, want := strings.Join(seen, ","), fmt.Sprint(2*chunk); got != want || uri != u {
		t.Errorf("Resume progress = %s (session %q), want %s on %q", got, uri, want, u)
	}
}

// TestFirstChunkRefused: Drive answers 400 to the very first chunk (offset 0) while holding nothing: the request
// itself is at fault, so the error is permanent, found by querying the session as for any other offset. Fails if
// offset 0 is taken for "no offset named" and the session is not queried (the error would be "out of sync", and
// every retry would send the same refused chunk).
func TestFirstChunkRefused(t *testing.T) {
	e := newEnv(t, drivefake.Fault{Op: drivefake.OpChunk, Chunk: 1, Status: 400, Reason: "badRequest"})
	_, err := e.upload(t, e.store, nil)
	if got := kind(t, err); got != "permanent" || !strings.Contains(fmt.Sprint(err), "Drive holds the 0 bytes the request assumed") {
		t.Fatalf("Upload() with the first chunk refused = %v (%s), want permanent, Drive holding the 0 bytes assumed", err, got)
	}
}
