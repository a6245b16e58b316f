package drive

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"google.golang.org/api/googleapi"

	"github.com/siamledger/ledger-export/internal/export"
)

// The Go client uploads through a resumable session but does not expose its URI, and has no API to continue a
// session another process started. So this file follows Google's resumable upload guide by hand, over the same
// authenticated HTTP client: a transport that watches the client's own requests to learn the session URI and each
// confirmed offset, a status query, and a chunk loop that continues a session from its confirmed offset.

type trackerKey struct{}

// tracker follows one upload: its session URI, the progress callback, and the last answer from the session.
type tracker struct {
	progress func(export.UploadProgress)

	mu         sync.Mutex // guards the fields below
	uri        string
	lastStatus int   // HTTP status of the last answer from the session URI; 0 before any
	lastSent   int64 // first byte offset the last session request assumed; -1 when it named none
}

// sessionFailure reports whether err, the error of the client's upload, is the last answer from the upload
// session rather than from the initiation (which carries the file's metadata and parent), and if so the session
// URI and the offset the failed request assumed.
func (t *tracker) sessionFailure(err error) (uri string, sent int64, ok bool) {
	var gerr *googleapi.Error
	if !errors.As(err, &gerr) {
		return "", 0, false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.uri, t.lastSent, t.uri != "" && t.lastStatus == gerr.Code
}

// progressTransport reports the session URI and every offset Drive confirms to the tracker in the request's
// context, and remembers the last answer from the session. It changes no request or response.
type progressTransport struct{ next http.RoundTripper }

func (t progressTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	tr, ok := req.Context().Value(trackerKey{}).(*tracker)
	if err != nil || !ok {
		return resp, err
	}
	q := req.URL.Query()
	var report *export.UploadProgress
	tr.mu.Lock()
	switch {
	case q.Get("uploadType") == "resumable" && q.Get("upload_id") == "" && resp.StatusCode == http.StatusOK:
		tr.uri = resp.Header.Get("Location")
		if tr.uri != "" {
			report = &export.UploadProgress{SessionURI: tr.uri}
		}
	case q.Get("upload_id") != "":
		tr.lastStatus, tr.lastSent = resp.StatusCode, rangeStart(req.Header.Get("Content-Range"))
		if !incomplete(resp) {
			break
		}
		if off, ok := confirmed(resp); ok && tr.uri != "" {
			report = &export.UploadProgress{SessionURI: tr.uri, Offset: off}
		}
	}
	tr.mu.Unlock()
	if report != nil && tr.progress != nil {
		tr.progress(*report)
	}
	return resp, nil
}

// rangeStart returns the offset a session request's Content-Range assumes Drive holds: A in "bytes A-B/T", T in
// "bytes */T" (the final empty chunk), and -1 for a status query ("bytes */*") or an unreadable header.
func rangeStart(cr string) int64 {
	r, ok := strings.CutPrefix(cr, "bytes ")
	if !ok {
		return -1
	}
	first, _, ok := strings.Cut(r, "-")
	if !ok { // "bytes */T"
		if first, ok = strings.CutPrefix(r, "*/"); !ok {
			return -1
		}
	}
	n, err := strconv.ParseInt(first, 10, 64)
	if err != nil || n < 0 {
		return -1
	}
	return n
}

// sessionError classifies err, Drive's answer to a request to the upload session uri that assumed Drive held sent
// bytes (-1: none named). A 400 is what Drive answers a Content-Range it does not expect, so the session is
// queried, as the resumable upload guide says: when Drive holds other bytes than the request assumed (a lost
// answer, another writer), the error wraps ErrSessionOutOfSync and a later attempt continues from what Drive
// holds; when Drive holds exactly what the request assumed, the request itself is at fault, every retry would
// send it again, and the error is permanent.
func (s *Store) sessionError(ctx context.Context, uri string, sent int64, err error) error {
	cerr := classify(err, onChunk)
	if !errors.Is(cerr, ErrSessionOutOfSync) || sent < 0 {
		return cerr
	}
	st, qerr := s.Status(ctx, export.UploadSession{URI: uri})
	switch {
	case qerr != nil:
		return fmt.Errorf("%w (the status query failed too: %v)", cerr, qerr)
	case st.Gone:
		return fmt.Errorf("%w: %w", ErrSessionGone, err)
	case st.Complete == nil && st.Offset == sent:
		return fmt.Errorf("%w: Drive holds the %d bytes the request assumed, yet refused it: %w", export.ErrPermanent, sent, err)
	case st.Complete != nil:
		return fmt.Errorf("%w: Drive holds the complete file: %w", ErrSessionOutOfSync, err)
	}
	return fmt.Errorf("%w: Drive holds %d bytes, the request assumed %d: %w", ErrSessionOutOfSync, st.Offset, sent, err)
}

// incomplete reports Drive's "308 Resume Incomplete", sent as 200 with an override header when the client asked
// for X-GUploader-No-308.
func incomplete(resp *http.Response) bool {
	return resp.StatusCode == http.StatusPermanentRedirect ||
		(resp.StatusCode == http.StatusOK && resp.Header.Get("X-Http-Status-Code-Override") == "308")
}

// confirmed reads the Range header of an incomplete answer: "bytes=0-N" means N+1 bytes are stored; no header
// means none.
func confirmed(resp *http.Response) (int64, bool) {
	r := resp.Header.Get("Range")
	if r == "" {
		return 0, true
	}
	_, last, ok := strings.Cut(strings.TrimPrefix(r, "bytes="), "-")
	n, err := strconv.ParseInt(last, 10, 64)
	if !ok || err != nil {
		return 0, false
	}
	return n + 1, true
}

// Status asks Drive how much of a session it holds, with an empty PUT carrying "Content-Range: bytes */*".
func (s *Store) Status(ctx context.Context, sess export.UploadSession) (export.SessionStatus, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.CallTimeout)
	defer cancel()
	resp, err := s.put(ctx, sess.URI, nil, "bytes */*")
	if err != nil {
		return export.SessionStatus{}, fmt.Errorf("query upload session: %w", err)
	}
	defer resp.Body.Close()
	switch {
	case incomplete(resp):
		off, ok := confirmed(resp)
		if !ok {
			return export.SessionStatus{}, fmt.Errorf("query upload session: unreadable Range %q", resp.Header.Get("Range"))
		}
		return export.SessionStatus{Offset: off}, nil
	case resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusCreated:
		f, err := decodeFile(resp)
		if err == nil {
			f, err = s.withKept(ctx, sess.URI, f)
		}
		if err != nil {
			return export.SessionStatus{}, err
		}
		return export.SessionStatus{Complete: &f}, nil
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		// Sessions expire after a week, and a failed one can be discarded: the guide says to start over.
		return export.SessionStatus{Gone: true}, nil
	}
	return export.SessionStatus{}, fmt.Errorf("query upload session: %w", classify(googleapi.CheckResponse(resp), onQuery))
}

// Resume sends body, which must start at sess.Offset, to the session in chunks of the configured size, and returns
// the file once Drive holds all of it. A chunk Drive does not confirm in full is not retried here: the attempt
// fails, the lock keeps the last confirmed offset, and the next attempt resumes from there.
func (s *Store) Resume(ctx context.Context, sess export.UploadSession, body io.Reader, progress func(export.UploadProgress)) (export.File, error) {
	buf := make([]byte, s.cfg.ChunkSize)
	off := sess.Offset
	for {
		n, rerr := io.ReadFull(body, buf)
		last := errors.Is(rerr, io.EOF) || errors.Is(rerr, io.ErrUnexpectedEOF)
		if rerr != nil && !last {
			return export.File{}, fmt.Errorf("resume upload at %d: read: %w", off, rerr)
		}
		var cr string
		switch {
		case n == 0:
			cr = fmt.Sprintf("bytes */%d", off)
		case last:
			cr = fmt.Sprintf("bytes %d-%d/%d", off, off+int64(n)-1, off+int64(n))
		default:
			cr = fmt.Sprintf("bytes %d-%d/*", off, off+int64(n)-1)
		}
		f, next, done, err := s.chunk(ctx, sess.URI, buf[:n], cr)
		if err != nil {
			return export.File{}, fmt.Errorf("resume upload at %d: %w", off, s.sessionError(ctx, sess.URI, off, err))
		}
		if done {
			return s.withKept(ctx, sess.URI, f)
		}
		if next != off+int64(n) {
			return export.File{}, fmt.Errorf("resume upload: Drive confirmed %d bytes, %d were sent", next, off+int64(n))
		}
		off = next
		if progress != nil {
			progress(export.UploadProgress{SessionURI: sess.URI, Offset: off})
		}
		if last {
			return export.File{}, fmt.Errorf("resume upload: Drive did not complete the file at %d bytes", off)
		}
	}
}

func (s *Store) chunk(ctx context.Context, uri string, data []byte, contentRange string) (export.File, int64, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.CallTimeout)
	defer cancel()
	resp, err := s.put(ctx, uri, data, contentRange)
	if err != nil {
		return export.File{}, 0, false, err
	}
	defer resp.Body.Close()
	switch {
	case incomplete(resp):
		off, ok := confirmed(resp)
		if !ok {
			return export.File{}, 0, false, fmt.Errorf("unreadable Range %q", resp.Header.Get("Range"))
		}
		return export.File{}, off, false, nil
	case resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusCreated:
		f, err := decodeFile(resp)
		return f, 0, err == nil, err
	}
	return export.File{}, 0, false, googleapi.CheckResponse(resp) // the caller classifies it (sessionError)
}

func (s *Store) put(ctx context.Context, uri string, data []byte, contentRange string) (*http.Response, error) {
	if _, err := url.Parse(uri); err != nil || !strings.HasPrefix(uri, "http") {
		return nil, fmt.Errorf("%w: upload session URI is not a URL", export.ErrPermanent)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, uri, bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("build upload request: %w", err)
	}
	req.ContentLength = int64(len(data))
	req.Header.Set("Content-Range", contentRange)
	req.Header.Set("X-GUploader-No-308", "yes")
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("upload request: %w", err)
	}
	return resp, nil
}

func decodeFile(resp *http.Response) (export.File, error) {
	var f struct {
		ID            string            `json:"id"`
		Name          string            `json:"name"`
		WebViewLink   string            `json:"webViewLink"`
		AppProperties map[string]string `json:"appProperties"`
		MD5           string            `json:"md5Checksum"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&f); err != nil {
		return export.File{}, fmt.Errorf("decode file resource: %w", err)
	}
	if f.ID == "" {
		return export.File{}, errors.New("decode file resource: no id")
	}
	return export.File{ID: f.ID, Name: f.Name, WebViewLink: f.WebViewLink, Properties: f.AppProperties, MD5: f.MD5}, nil
}
