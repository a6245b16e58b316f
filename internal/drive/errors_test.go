package drive_test

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/api/option"

	"github.com/siamledger/ledger-export/internal/drive"
	"github.com/siamledger/ledger-export/internal/drivefake"
	"github.com/siamledger/ledger-export/internal/export"
)

const (
	folder = "folder-1"
	chunk  = 256 << 10
)

// kind names how a caller must treat err; the kinds exclude each other.
func kind(t *testing.T, err error) string {
	t.Helper()
	var kinds []string
	for name, s := range map[string]error{
		"permanent":    export.ErrPermanent,
		"rate limited": drive.ErrRateLimited,
		"session gone": drive.ErrSessionGone,
		"out of sync":  drive.ErrSessionOutOfSync,
	} {
		if errors.Is(err, s) {
			kinds = append(kinds, name)
		}
	}
	switch {
	case err == nil:
		return "ok"
	case len(kinds) > 1:
		t.Errorf("error %v has several kinds %v", err, kinds)
	case len(kinds) == 1:
		return kinds[0]
	}
	return "retryable"
}

// env is a Store on a fake Drive with a settable clock.
type env struct {
	fake  *drivefake.Server
	store *drive.Store
	skew  atomic.Int64 // added to the fake's clock
}

func newEnv(t *testing.T, faults ...drivefake.Fault) *env {
	t.Helper()
	e := &env{}
	fake, err := drivefake.NewServer(drivefake.Options{
		Folders:    []string{folder},
		Faults:     faults,
		Now:        func() time.Time { return time.Now().Add(time.Duration(e.skew.Load())) },
		SessionTTL: time.Hour,
	})
	if err != nil {
		t.Fatalf("drivefake.NewServer: %v", err)
	}
	t.Cleanup(fake.Close)
	e.fake = fake
	e.store = e.storeFor(t, folder)
	return e
}

func (e *env) storeFor(t *testing.T, folder string) *drive.Store {
	t.Helper()
	s, err := drive.New(t.Context(), drive.Config{FolderID: folder, ChunkSize: chunk, CallTimeout: 2 * time.Second},
		option.WithEndpoint(e.fake.URL()+"/drive/v3/"), option.WithoutAuthentication())
	if err != nil {
		t.Fatalf("drive.New: %v", err)
	}
	return s
}

// body is a file of three chunks, so that the client uploads it through a resumable session.
var body = bytes.Repeat([]byte("a,b\r\n"), (2*chunk+chunk/2)/5)

// upload runs Store.Upload and returns its error and the session URI it reported.
func (e *env) upload(t *testing.T, s *drive.Store, progress func(export.UploadProgress)) (string, error) {
	t.Helper()
	var mu sync.Mutex
	uri := ""
	_, err := s.Upload(t.Context(), export.NewFile{Name: "x.csv", Date: "2026-11-28", Generation: 1}, bytes.NewReader(body),
		func(p export.UploadProgress) {
			mu.Lock()
			uri = p.SessionURI
			mu.Unlock()
			if progress != nil {
				progress(p)
			}
		})
	mu.Lock()
	defer mu.Unlock()
	return uri, err
}

// TestUploadErrors drives the drive/v3 client's resumable upload into each documented error: the same status
// means "start over" on the session and "a human must act" on the initiation, which names the folder.
func TestUploadErrors(t *testing.T) {
	fault := func(op drivefake.Op, status int, reason string) drivefake.Fault {
		return drivefake.Fault{Op: op, Chunk: 2, Status: status, Reason: reason}
	}
	tests := []struct {
		name  string
		fault drivefake.Fault
		want  string
	}{
		{"404 on a chunk: the session expired", fault(drivefake.OpChunk, 404, "notFound"), "session gone"},
		{"410 on a chunk: the session is gone", fault(drivefake.OpChunk, 410, ""), "session gone"},
		{"404 on the initiation: the folder is missing", fault(drivefake.OpInitiate, 404, "notFound"), "permanent"},
		{"400 on a chunk Drive expected", fault(drivefake.OpChunk, 400, "badRequest"), "permanent"},
		{"400 on the initiation", fault(drivefake.OpInitiate, 400, "badRequest"), "permanent"},
		{"401 on a chunk", fault(drivefake.OpChunk, 401, "authError"), "retryable"},
		{"401 on the initiation", fault(drivefake.OpInitiate, 401, "authError"), "retryable"},
		{"403 dailyLimitExceeded on a chunk", fault(drivefake.OpChunk, 403, "dailyLimitExceeded"), "rate limited"},
		{"403 dailyLimitExceeded on the initiation", fault(drivefake.OpInitiate, 403, "dailyLimitExceeded"), "rate limited"},
		{"403 userRateLimitExceeded on a chunk", fault(drivefake.OpChunk, 403, "userRateLimitExceeded"), "rate limited"},
		{"403 rateLimitExceeded on a chunk", fault(drivefake.OpChunk, 403, "rateLimitExceeded"), "rate limited"},
		{"403 sharingRateLimitExceeded on the initiation", fault(drivefake.OpInitiate, 403, "sharingRateLimitExceeded"), "rate limited"},
		{"403 storageQuotaExceeded on a chunk", fault(drivefake.OpChunk, 403, "storageQuotaExceeded"), "permanent"},
		{"403 insufficientFilePermissions on the initiation", fault(drivefake.OpInitiate, 403, "insufficientFilePermissions"), "permanent"},
		{"403 appNotAuthorizedToFile on the initiation", fault(drivefake.OpInitiate, 403, "appNotAuthorizedToFile"), "permanent"},
		{"403 domainPolicy on the initiation", fault(drivefake.OpInitiate, 403, "domainPolicy"), "permanent"},
		{"403 teamDriveFileLimitExceeded on the initiation", fault(drivefake.OpInitiate, 403, "teamDriveFileLimitExceeded"), "permanent"},
		{"429 on the initiation", fault(drivefake.OpInitiate, 429, "rateLimitExceeded"), "rate limited"},
		{"503 on the initiation", fault(drivefake.OpInitiate, 503, "backendError"), "retryable"},
		{"connection reset on the initiation", drivefake.Fault{Op: drivefake.OpInitiate, Drop: true}, "retryable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.fault)
			_, err := e.upload(t, e.store, nil)
			if got := kind(t, err); got != tt.want {
				t.Fatalf("Upload() = %v (%s), want %s", err, got, tt.want)
			}
			if served := e.fake.FaultsServed(); served[0] != 1 {
				t.Fatalf("the fault matched %d requests, want 1", served[0])
			}
		})
	}
}

// TestUploadMetadataErrors: errors of the requests that name a file or the folder are permanent even with the
// status that means "start over" on a session: a missing folder, a small file sent in one multipart request.
func TestUploadMetadataErrors(t *testing.T) {
	e := newEnv(t)
	if _, err := e.upload(t, e.storeFor(t, "no-such-folder"), nil); kind(t, err) != "permanent" {
		t.Errorf("Upload() into a missing folder = %v, want permanent", err)
	}
	e.fake.AddFault(drivefake.Fault{Op: drivefake.OpMultipart, Status: http.StatusNotFound, Reason: "notFound"})
	_, err := e.store.Upload(t.Context(), export.NewFile{Name: "small.csv", Date: "2026-11-28", Generation: 1}, strings.NewReader("a,b\r\n"), nil)
	if kind(t, err) != "permanent" {
		t.Errorf("Upload() of a one-request file answered 404 = %v, want permanent", err)
	}
}

// TestExpiredSessionStartsOver: the session expires between two chunks. The upload fails retryably with
// ErrSessionGone; a status query of the session answers Gone, which is what makes the next attempt start over
// instead of resuming; and a new upload succeeds.
func TestExpiredSessionStartsOver(t *testing.T) {
	e := newEnv(t)
	uri, err := e.upload(t, e.store, func(p export.UploadProgress) {
		if p.Offset == chunk {
			e.skew.Store(int64(2 * time.Hour)) // past the session's one-hour life
		}
	})
	if kind(t, err) != "session gone" {
		t.Fatalf("Upload() across the session's expiry = %v, want ErrSessionGone", err)
	}
	st, err := e.store.Status(t.Context(), export.UploadSession{URI: uri, Offset: chunk})
	if err != nil || !st.Gone {
		t.Fatalf("Status(expired session) = %+v, %v, want Gone", st, err)
	}
	if _, err := e.upload(t, e.store, nil); err != nil {
		t.Fatalf("Upload() anew = %v, want success", err)
	}
	if live := e.fake.LiveFiles(folder); len(live) != 1 {
		t.Errorf("live files = %d, want 1", len(live))
	}
}

// TestUploadSessionOutOfSync: another writer (an attempt that lost its lease) pushed different bytes into the
// session, so Drive refuses the client's next chunk with a 400. Drive holds more than the chunk assumed:
// ErrSessionOutOfSync, retryable, and the status query shows where a later attempt would continue.
func TestUploadSessionOutOfSync(t *testing.T) {
	e := newEnv(t)
	var once sync.Once
	_, err := e.upload(t, e.store, func(p export.UploadProgress) {
		if p.Offset != chunk {
			return
		}
		once.Do(func() {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPut, p.SessionURI, bytes.NewReader(bytes.Repeat([]byte("x"), chunk)))
			if err != nil {
				t.Errorf("NewRequest: %v", err)
				return
			}
			req.Header.Set("Content-Range", fmt.Sprintf("bytes %d-%d/*", chunk, 2*chunk-1))
			resp, err := e.fake.Client().Do(req)
			if err != nil {
				t.Errorf("the other writer's PUT: %v", err)
				return
			}
			resp.Body.Close()
		})
	})
	if got := kind(t, err); got != "out of sync" {
		t.Fatalf("Upload() after another writer = %v (%s), want out of sync", err, got)
	}
	if !strings.Contains(err.Error(), fmt.Sprintf("Drive holds %d bytes, the request assumed %d", 2*chunk, chunk)) {
		t.Errorf("Upload() = %v, want the offsets named", err)
	}
}

// TestMetadataCallErrors runs files.list, files.update and the session status query into each kind of error.
func TestMetadataCallErrors(t *testing.T) {
	list := func(t *testing.T, e *env) error { _, err := e.store.Find(t.Context(), "2026-11-28"); return err }
	tests := []struct {
		name  string
		fault drivefake.Fault
		call  func(*testing.T, *env) error
		want  string
	}{
		{"list 400 invalid", drivefake.Fault{Op: drivefake.OpList, Status: 400, Reason: "invalid"}, list, "permanent"},
		{"list 401", drivefake.Fault{Op: drivefake.OpList, Status: 401, Reason: "authError"}, list, "retryable"},
		{"list 403 dailyLimitExceeded", drivefake.Fault{Op: drivefake.OpList, Status: 403, Reason: "dailyLimitExceeded"}, list, "rate limited"},
		{"list 403 userRateLimitExceeded", drivefake.Fault{Op: drivefake.OpList, Status: 403, Reason: "userRateLimitExceeded"}, list, "rate limited"},
		{"list 403 rateLimitExceeded", drivefake.Fault{Op: drivefake.OpList, Status: 403, Reason: "rateLimitExceeded"}, list, "rate limited"},
		{"list 403 sharingRateLimitExceeded", drivefake.Fault{Op: drivefake.OpList, Status: 403, Reason: "sharingRateLimitExceeded"}, list, "rate limited"},
		{"list 403 domainPolicy", drivefake.Fault{Op: drivefake.OpList, Status: 403, Reason: "domainPolicy"}, list, "permanent"},
		{"list 403 insufficientFilePermissions", drivefake.Fault{Op: drivefake.OpList, Status: 403, Reason: "insufficientFilePermissions"}, list, "permanent"},
		{"list 404 notFound", drivefake.Fault{Op: drivefake.OpList, Status: 404, Reason: "notFound"}, list, "permanent"},
		{"list 408", drivefake.Fault{Op: drivefake.OpList, Status: 408}, list, "retryable"},
		{"list 429", drivefake.Fault{Op: drivefake.OpList, Status: 429}, list, "rate limited"},
		{"list 500", drivefake.Fault{Op: drivefake.OpList, Status: 500, Reason: "backendError"}, list, "retryable"},
		{"list 503", drivefake.Fault{Op: drivefake.OpList, Status: 503, Reason: "backendError"}, list, "retryable"},
		{"list connection reset", drivefake.Fault{Op: drivefake.OpList, Drop: true}, list, "retryable"},
		{"list past its deadline", drivefake.Fault{Op: drivefake.OpList, Delay: 5 * time.Second}, list, "retryable"},
		{"trash of a missing file", drivefake.Fault{}, trash, "permanent"},
		{"finalize 403 appNotAuthorizedToFile", drivefake.Fault{Op: drivefake.OpUpdate, Status: 403, Reason: "appNotAuthorizedToFile"}, finalize, "permanent"},
		{"finalize 401", drivefake.Fault{Op: drivefake.OpUpdate, Status: 401, Reason: "authError"}, finalize, "retryable"},
		{"status query 401", drivefake.Fault{Op: drivefake.OpStatus, Status: 401, Reason: "authError"}, status, "retryable"},
		{"status query 400", drivefake.Fault{Op: drivefake.OpStatus, Status: 400, Reason: "badRequest"}, status, "permanent"},
		{"status query 403 rateLimitExceeded", drivefake.Fault{Op: drivefake.OpStatus, Status: 403, Reason: "rateLimitExceeded"}, status, "rate limited"},
		{"status query 503", drivefake.Fault{Op: drivefake.OpStatus, Status: 503, Reason: "backendError"}, status, "retryable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var faults []drivefake.Fault
			if !none(tt.fault) {
				faults = append(faults, tt.fault)
			}
			e := newEnv(t, faults...)
			err := tt.call(t, e)
			if got := kind(t, err); got != tt.want {
				t.Fatalf("error = %v (%s), want %s", err, got, tt.want)
			}
		})
	}
}

func trash(t *testing.T, e *env) error { return e.store.Trash(t.Context(), "no-such-file") }

func finalize(t *testing.T, e *env) error {
	return e.store.Finalize(t.Context(), "any", map[string]string{"rows": "1"}, "")
}

// none reports a row without a fault.
func none(f drivefake.Fault) bool { return f.Status == 0 && !f.Drop && f.Delay == 0 }

// status queries a session of a real, unfinished upload.
func status(t *testing.T, e *env) error {
	uri := unfinished(t, e)
	_, err := e.store.Status(t.Context(), export.UploadSession{URI: uri, Offset: chunk})
	return err
}

// unfinished starts an upload that stops after its first chunk (a permanent 403 on the second, which the client
// does not retry) and returns its session URI.
func unfinished(t *testing.T, e *env) string {
	t.Helper()
	e.fake.AddFault(drivefake.Fault{Op: drivefake.OpChunk, Chunk: 2, Status: 403, Reason: "insufficientFilePermissions"})
	uri, err := e.upload(t, e.store, nil)
	if kind(t, err) != "permanent" || uri == "" {
		t.Fatalf("Upload() with a 403 on chunk 2 = %v, session %q; want a permanent error after the first chunk", err, uri)
	}
	return uri
}

// TestStatusOfAGoneSession: 404 and 410 on a status query mean the session is gone, so the caller starts over.
func TestStatusOfAGoneSession(t *testing.T) {
	for _, code := range []int{http.StatusNotFound, http.StatusGone} {
		e := newEnv(t)
		uri := unfinished(t, e)
		e.fake.AddFault(drivefake.Fault{Op: drivefake.OpStatus, Status: code})
		if st, err := e.store.Status(t.Context(), export.UploadSession{URI: uri, Offset: chunk}); err != nil || !st.Gone {
			t.Errorf("Status() answered %d = %+v, %v; want Gone", code, st, err)
		}
	}
}

// TestResumeErrors continues a real session from the recorded offset, or from a wrong one, into each error.
func TestResumeErrors(t *testing.T) {
	tests := []struct {
		name   string
		offset int64 // where Resume continues; Drive holds chunk bytes
		fault  drivefake.Fault
		want   string
	}{
		{"no fault", chunk, drivefake.Fault{}, "ok"},
		{"a gap: Drive holds fewer bytes than the record", 2 * chunk, drivefake.Fault{}, "out of sync"},
		{"400 on a chunk Drive expected", chunk, drivefake.Fault{Op: drivefake.OpChunk, Status: 400, Reason: "badRequest"}, "permanent"},
		{"404 on a chunk", chunk, drivefake.Fault{Op: drivefake.OpChunk, Status: 404, Reason: "notFound"}, "session gone"},
		{"410 on a chunk", chunk, drivefake.Fault{Op: drivefake.OpChunk, Status: 410}, "session gone"},
		{"401 on a chunk", chunk, drivefake.Fault{Op: drivefake.OpChunk, Status: 401, Reason: "authError"}, "retryable"},
		{"403 rateLimitExceeded on a chunk", chunk, drivefake.Fault{Op: drivefake.OpChunk, Status: 403, Reason: "rateLimitExceeded"}, "rate limited"},
		{"403 storageQuotaExceeded on a chunk", chunk, drivefake.Fault{Op: drivefake.OpChunk, Status: 403, Reason: "storageQuotaExceeded"}, "permanent"},
		{"503 on a chunk", chunk, drivefake.Fault{Op: drivefake.OpChunk, Status: 503, Reason: "backendError"}, "retryable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			uri := unfinished(t, e)
			if !none(tt.fault) {
				e.fake.AddFault(tt.fault)
			}
			_, err := e.store.Resume(t.Context(), export.UploadSession{URI: uri, Offset: tt.offset}, bytes.NewReader(body[tt.offset:]), nil)
			if got := kind(t, err); got != tt.want {
				t.Fatalf("Resume() = %v (%s), want %s", err, got, tt.want)
			}
		})
	}
}

// TestResumeExpiredSession: the session expired before the next attempt resumed it: ErrSessionGone, and the
// status query answers Gone.
func TestResumeExpiredSession(t *testing.T) {
	e := newEnv(t)
	uri := unfinished(t, e)
	e.skew.Store(int64(2 * time.Hour))
	_, err := e.store.Resume(t.Context(), export.UploadSession{URI: uri, Offset: chunk}, bytes.NewReader(body[chunk:]), nil)
	if kind(t, err) != "session gone" {
		t.Fatalf("Resume(expired session) = %v, want ErrSessionGone", err)
	}
	if st, err := e.store.Status(t.Context(), export.UploadSession{URI: uri, Offset: chunk}); err != nil || !st.Gone {
		t.Fatalf("Status(expired session) = %+v, %v, want Gone", st, err)
	}
}
