package drivefake_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/siamledger/ledger-export/internal/drivefake"
)

// initiate starts a resumable session over raw HTTP and returns the
// session URI. declared, when not empty, is sent as X-Upload-Content-Length.
func initiate(t *testing.T, fake *drivefake.Server, declared string) string {
	t.Helper()
	meta := `{"name":"raw.csv","parents":["` + folder + `"],"appProperties":{"exportDate":"2026-11-28"}}`
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost,
		fake.URL()+"/upload/drive/v3/files?uploadType=resumable&supportsAllDrives=true&fields=id,name,size,appProperties",
		strings.NewReader(meta))
	if err != nil {
		t.Fatalf("http.NewRequest() error = %v", err)
	}
	req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	req.Header.Set("X-Upload-Content-Type", "text/csv")
	if declared != "" {
		req.Header.Set("X-Upload-Content-Length", declared)
	}
	resp, err := fake.Client().Do(req)
	if err != nil {
		t.Fatalf("POST initiate error = %v", err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusOK || loc == "" {
		t.Fatalf("POST initiate = %d Location %q, want 200 and a session URI", resp.StatusCode, loc)
	}
	u, err := url.Parse(loc)
	if err != nil || !strings.HasPrefix(loc, fake.URL()+"/upload/drive/v3/files?") || u.Query().Get("upload_id") == "" {
		t.Fatalf("POST initiate Location = %q, want %s/upload/drive/v3/files?...upload_id=...", loc, fake.URL())
	}
	return loc
}

// put sends a PUT to a session URI and returns the status, header and body.
func put(t *testing.T, client *http.Client, loc, contentRange string, body []byte, header http.Header) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPut, loc, bytes.NewReader(body))
	if err != nil {
		t.Fatalf("http.NewRequest() error = %v", err)
	}
	if contentRange != "" {
		req.Header.Set("Content-Range", contentRange)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("PUT %s (%s) error = %v", loc, contentRange, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("PUT %s (%s) read body error = %v", loc, contentRange, err)
	}
	return resp.StatusCode, resp.Header, b
}

func rng(first, last int, total string) string {
	return fmt.Sprintf("bytes %d-%d/%s", first, last, total)
}

// TestRawResumption resumes a session as a restarted exporter would: two
// chunks, a status query, then the rest.
func TestRawResumption(t *testing.T) {
	fake := newFake(t, drivefake.Options{})
	client := fake.Client()
	content := payload(3*chunkSize + 500)
	total := fmt.Sprint(len(content))
	loc := initiate(t, fake, "")

	status, h, _ := put(t, client, loc, "bytes */*", nil, nil)
	if status != http.StatusPermanentRedirect || h.Get("Range") != "" {
		t.Errorf("status query before any chunk = %d Range %q, want 308 without Range", status, h.Get("Range"))
	}
	for i := range 2 {
		first, last := i*chunkSize, (i+1)*chunkSize-1
		status, h, _ := put(t, client, loc, rng(first, last, "*"), content[first:last+1], nil)
		if want := fmt.Sprintf("bytes=0-%d", last); status != http.StatusPermanentRedirect || h.Get("Range") != want {
			t.Fatalf("PUT chunk %d = %d Range %q, want 308 %s", i+1, status, h.Get("Range"), want)
		}
	}
	if _, ok := fake.File("any"); ok || len(fake.Files()) != 0 {
		t.Fatalf("Files() before completion = %d, want none visible", len(fake.Files()))
	}

	// The client with the Go library's header gets 200 + override instead.
	status, h, _ = put(t, client, loc, "bytes */"+total, nil, http.Header{"X-Guploader-No-308": {"yes"}})
	if status != http.StatusOK || h.Get("X-Http-Status-Code-Override") != "308" || h.Get("Range") != "bytes=0-524287" {
		t.Errorf("status query with X-GUploader-No-308 = %d override %q Range %q, want 200 308 bytes=0-524287",
			status, h.Get("X-Http-Status-Code-Override"), h.Get("Range"))
	}
	status, h, _ = put(t, client, loc, "bytes */*", nil, nil)
	if status != http.StatusPermanentRedirect || h.Get("Range") != "bytes=0-524287" {
		t.Fatalf("status query = %d Range %q, want 308 bytes=0-524287", status, h.Get("Range"))
	}

	start := 2 * chunkSize
	status, _, body := put(t, client, loc, rng(start, len(content)-1, total), content[start:], nil)
	if status != http.StatusOK {
		t.Fatalf("PUT last chunk = %d %s, want 200", status, body)
	}
	var res struct {
		ID            string            `json:"id"`
		Name          string            `json:"name"`
		Size          string            `json:"size"`
		MimeType      string            `json:"mimeType"`
		AppProperties map[string]string `json:"appProperties"`
	}
	if err := json.Unmarshal(body, &res); err != nil {
		t.Fatalf("PUT last chunk body %s: %v", body, err)
	}
	if res.Name != "raw.csv" || res.Size != total || res.MimeType != "" || res.AppProperties["exportDate"] != "2026-11-28" {
		t.Errorf("PUT last chunk = %+v, want raw.csv of %s bytes with appProperties, and only the fields asked for", res, total)
	}
	f, ok := fake.File(res.ID)
	if !ok || !bytes.Equal(f.Content, content) || f.MimeType != "text/csv" {
		t.Errorf("File(%q) = %d bytes of %s (found %v), want the %d bytes sent as text/csv", res.ID, len(f.Content), f.MimeType, ok, len(content))
	}

	// A completed session keeps answering with the file.
	status, _, body = put(t, client, loc, "bytes */*", nil, nil)
	if status != http.StatusOK || !strings.Contains(string(body), res.ID) {
		t.Errorf("status query after completion = %d %s, want 200 with the file", status, body)
	}
}

func TestChunkRejected(t *testing.T) {
	content := payload(3 * chunkSize)
	other := bytes.Repeat([]byte{'x'}, chunkSize)
	tests := []struct {
		name  string
		cr    string
		body  []byte
		want  int
		after int64 // bytes received afterwards; one chunk is stored first
	}{
		{"gap", rng(2*chunkSize, 3*chunkSize-1, "*"), content[2*chunkSize:], 400, chunkSize},
		{"overlap with different bytes", rng(0, chunkSize-1, "*"), other, 400, chunkSize},
		{"overlap reaching past with different bytes", rng(0, 2*chunkSize-1, "*"), append(append([]byte{}, other...), content[chunkSize:2*chunkSize]...), 400, chunkSize},
		{"non-final chunk not a multiple of 256 KiB", rng(chunkSize, 2*chunkSize+9, "*"), content[chunkSize : 2*chunkSize+10], 400, chunkSize},
		{"body shorter than the range", rng(chunkSize, 2*chunkSize-1, "*"), content[chunkSize : 2*chunkSize-1], 400, chunkSize},
		{"range past the total", rng(chunkSize, 2*chunkSize-1, "1000"), content[chunkSize : 2*chunkSize], 400, chunkSize},
		{"unparsable header", "bytes=0-10/20", content[:11], 400, chunkSize},
		{"status total below received", "bytes */10", nil, 400, chunkSize},
		{"identical re-send is accepted", rng(0, chunkSize-1, "*"), content[:chunkSize], 308, chunkSize},
		{"re-send reaching further is accepted", rng(0, 2*chunkSize-1, "*"), content[:2*chunkSize], 308, 2 * chunkSize},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake(t, drivefake.Options{})
			loc := initiate(t, fake, "")
			if status, _, _ := put(t, fake.Client(), loc, rng(0, chunkSize-1, "*"), content[:chunkSize], nil); status != http.StatusPermanentRedirect {
				t.Fatalf("PUT first chunk = %d, want 308", status)
			}
			status, _, body := put(t, fake.Client(), loc, tt.cr, tt.body, nil)
			if status != tt.want {
				t.Errorf("PUT %s = %d %s, want %d", tt.cr, status, body, tt.want)
			}
			if got := fake.Sessions()[0].Received; got != tt.after {
				t.Errorf("after PUT %s, Received = %d, want %d", tt.cr, got, tt.after)
			}
		})
	}
}

func TestDeclaredLength(t *testing.T) {
	fake := newFake(t, drivefake.Options{})
	content := payload(chunkSize + 10)
	loc := initiate(t, fake, fmt.Sprint(len(content)))

	if status, _, _ := put(t, fake.Client(), loc, rng(0, chunkSize-1, "999999"), content[:chunkSize], nil); status != http.StatusBadRequest {
		t.Errorf("PUT with a total other than the declared length = %d, want 400", status)
	}
	if status, _, _ := put(t, fake.Client(), loc, rng(0, chunkSize-1, "*"), content[:chunkSize], nil); status != http.StatusPermanentRedirect {
		t.Errorf("PUT first chunk = %d, want 308", status)
	}
	// Reaching the declared length completes the upload, even with "/*".
	if status, _, body := put(t, fake.Client(), loc, rng(chunkSize, len(content)-1, "*"), content[chunkSize:], nil); status != http.StatusOK {
		t.Errorf("PUT up to the declared length = %d %s, want 200", status, body)
	}
	if files := fake.Files(); len(files) != 1 || !bytes.Equal(files[0].Content, content) {
		t.Errorf("Files() = %d files, want the one declared-length upload", len(files))
	}
}

func TestSessionNotFound(t *testing.T) {
	clk := newClock()
	fake := newFake(t, drivefake.Options{Now: clk.Now})
	content := payload(2 * chunkSize)
	loc := initiate(t, fake, "")
	if status, _, _ := put(t, fake.Client(), loc, rng(0, chunkSize-1, "*"), content[:chunkSize], nil); status != http.StatusPermanentRedirect {
		t.Fatalf("PUT first chunk = %d, want 308", status)
	}

	clk.Advance(drivefake.DefaultSessionTTL - time.Second)
	if status, _, _ := put(t, fake.Client(), loc, "bytes */*", nil, nil); status != http.StatusPermanentRedirect {
		t.Errorf("status query a second before expiry = %d, want 308", status)
	}
	clk.Advance(time.Second)
	tests := []struct {
		name, loc, cr string
		body          []byte
	}{
		{"expired status query", loc, "bytes */*", nil},
		{"expired chunk", loc, rng(chunkSize, 2*chunkSize-1, fmt.Sprint(len(content))), content[chunkSize:]},
		{"unknown upload_id", fake.URL() + "/upload/drive/v3/files?uploadType=resumable&upload_id=nope", "bytes */*", nil},
	}
	for _, tt := range tests {
		if status, _, _ := put(t, fake.Client(), tt.loc, tt.cr, tt.body, nil); status != http.StatusNotFound {
			t.Errorf("%s: PUT %s = %d, want 404", tt.name, tt.cr, status)
		}
	}
	if len(fake.Files()) != 0 {
		t.Errorf("Files() after an expired session = %d, want none", len(fake.Files()))
	}
}

func TestSessionTTLOption(t *testing.T) {
	clk := newClock()
	fake := newFake(t, drivefake.Options{Now: clk.Now, SessionTTL: time.Hour})
	loc := initiate(t, fake, "")
	clk.Advance(time.Hour)
	if status, _, _ := put(t, fake.Client(), loc, "bytes */*", nil, nil); status != http.StatusNotFound {
		t.Errorf("status query after SessionTTL = %d, want 404", status)
	}
	if s := fake.Sessions()[0]; !s.Expires.Equal(s.Created.Add(time.Hour)) {
		t.Errorf("Sessions()[0] created %v expires %v, want an hour apart", s.Created, s.Expires)
	}
}
