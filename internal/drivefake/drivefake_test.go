package drivefake_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/api/drive/v3"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"

	"github.com/siamledger/ledger-export/internal/drivefake"
)

const (
	folder    = "1FolderExportsAAAAAAAAAAAAAAAAAAA"
	chunkSize = googleapi.MinUploadChunkSize // 256 KiB
)

// clock is an injectable clock that tests advance by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock {
	return &clock{now: time.Date(2026, 11, 28, 1, 0, 0, 0, time.UTC)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newFake starts a fake with the test folder and closes it at cleanup.
func newFake(t *testing.T, opts drivefake.Options) *drivefake.Server {
	t.Helper()
	if opts.Folders == nil {
		opts.Folders = []string{folder}
	}
	if opts.Now == nil {
		opts.Now = newClock().Now
	}
	fake, err := drivefake.NewServer(opts)
	if err != nil {
		t.Fatalf("NewServer(%+v) error = %v", opts, err)
	}
	t.Cleanup(fake.Close)
	return fake
}

// newService builds the real Drive client against fake.
func newService(t *testing.T, fake *drivefake.Server) *drive.Service {
	t.Helper()
	svc, err := drive.NewService(t.Context(),
		option.WithEndpoint(fake.URL()+"/drive/v3/"),
		option.WithHTTPClient(fake.Client()),
		option.WithoutAuthentication())
	if err != nil {
		t.Fatalf("drive.NewService() error = %v", err)
	}
	return svc
}

// payload returns n deterministic pseudo-random bytes.
func payload(n int) []byte {
	r := rand.New(rand.NewPCG(uint64(n), 42))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.IntN(256))
	}
	return b
}

// upload creates a CSV file in folder with the client's resumable or
// multipart upload, as ledger-export does.
func upload(ctx context.Context, svc *drive.Service, name string, content []byte, parents ...string) (*drive.File, error) {
	if parents == nil {
		parents = []string{folder}
	}
	return svc.Files.Create(&drive.File{Name: name, Parents: parents}).
		Media(bytes.NewReader(content), googleapi.ChunkSize(chunkSize), googleapi.ContentType("text/csv")).
		SupportsAllDrives(true).
		Fields("id,name,mimeType,parents,size,md5Checksum,webViewLink").
		Context(ctx).
		Do()
}

// apiError returns err as a *googleapi.Error or fails the test.
func apiError(t *testing.T, err error) *googleapi.Error {
	t.Helper()
	var gerr *googleapi.Error
	if !errors.As(err, &gerr) {
		t.Fatalf("error = %v (%T), want a *googleapi.Error", err, err)
	}
	return gerr
}

func reason(gerr *googleapi.Error) string {
	if len(gerr.Errors) == 0 {
		return ""
	}
	return gerr.Errors[0].Reason
}

func opsOf(recs []drivefake.RequestRecord) []drivefake.Op {
	var ops []drivefake.Op
	for _, r := range recs {
		ops = append(ops, r.Op)
	}
	return ops
}

func TestMultipartUpload(t *testing.T) {
	fake := newFake(t, drivefake.Options{})
	svc := newService(t, fake)
	content := []byte("date,amount\n2026-11-28,12.50\n")

	got, err := upload(t.Context(), svc, "ledger-2026-11-28.csv", content)
	if err != nil {
		t.Fatalf("upload() error = %v", err)
	}
	if got.Name != "ledger-2026-11-28.csv" || got.MimeType != "text/csv" || !slices.Equal(got.Parents, []string{folder}) || got.Size != int64(len(content)) {
		t.Errorf("upload() = %+v, want name, text/csv, parent %s and size %d", got, folder, len(content))
	}
	if want := "https://drive.google.com/file/d/" + got.Id + "/view?usp=drivesdk"; got.WebViewLink != want {
		t.Errorf("upload().WebViewLink = %q, want %q", got.WebViewLink, want)
	}
	if ops := opsOf(fake.Requests()); !slices.Equal(ops, []drivefake.Op{drivefake.OpMultipart}) {
		t.Errorf("request ops = %v, want [multipart]", ops)
	}
	f, ok := fake.File(got.Id)
	if !ok {
		t.Fatalf("File(%q) not found", got.Id)
	}
	if !bytes.Equal(f.Content, content) || f.MD5 != got.Md5Checksum {
		t.Errorf("File(%q) = content %q md5 %s, want %q md5 %s", got.Id, f.Content, f.MD5, content, got.Md5Checksum)
	}
}

func TestResumableUpload(t *testing.T) {
	tests := []struct {
		name   string
		size   int
		chunks int // chunk requests with bytes
	}{
		{"exact multiple, empty final chunk", 4 * chunkSize, 4},
		{"short final chunk", 4*chunkSize + 12345, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake(t, drivefake.Options{})
			svc := newService(t, fake)
			content := payload(tt.size)

			got, err := upload(t.Context(), svc, "big.csv", content)
			if err != nil {
				t.Fatalf("upload(%d bytes) error = %v", tt.size, err)
			}
			f, ok := fake.File(got.Id)
			if !ok || !bytes.Equal(f.Content, content) {
				t.Fatalf("File(%q) = %d bytes (found %v), want the %d uploaded bytes", got.Id, len(f.Content), ok, len(content))
			}
			sessions := fake.Sessions()
			if len(sessions) != 1 {
				t.Fatalf("Sessions() = %+v, want 1 session", sessions)
			}
			s := sessions[0]
			if !s.Complete || s.FileID != got.Id || s.Received != int64(tt.size) || s.WireBytes != int64(tt.size) || s.Chunks != tt.chunks {
				t.Errorf("Sessions()[0] = %+v, want complete, file %s, %d bytes received once, %d chunks", s, got.Id, tt.size, tt.chunks)
			}
			var chunks int
			for _, r := range fake.Requests() {
				if r.Op == drivefake.OpChunk {
					chunks++
					if r.Status != http.StatusOK {
						t.Errorf("chunk %s answered %d, want 200 (308 overridden)", r.ContentRange, r.Status)
					}
				}
			}
			if chunks != tt.chunks {
				t.Errorf("chunk requests = %d, want %d", chunks, tt.chunks)
			}
		})
	}
}

// TestClientRetriesChunk checks that the client's own retry gets through
// transient chunk failures and that the stored content stays exact.
func TestClientRetriesChunk(t *testing.T) {
	tests := []struct {
		name  string
		fault drivefake.Fault
	}{
		{"503 on chunk 2", drivefake.Fault{Op: drivefake.OpChunk, Chunk: 2, Status: http.StatusServiceUnavailable, Reason: "backendError"}},
		{"429 on chunk 3", drivefake.Fault{Op: drivefake.OpChunk, Chunk: 3, Status: http.StatusTooManyRequests, Reason: "rateLimitExceeded"}},
		{"connection dropped mid chunk 2", drivefake.Fault{Op: drivefake.OpChunk, Chunk: 2, Drop: true}},
		{"two drops on the final chunk", drivefake.Fault{Op: drivefake.OpChunk, Chunk: 4, Drop: true, Times: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake(t, drivefake.Options{Faults: []drivefake.Fault{tt.fault}})
			svc := newService(t, fake)
			content := payload(3*chunkSize + 1000)

			got, err := upload(t.Context(), svc, "retry.csv", content)
			if err != nil {
				t.Fatalf("upload() error = %v", err)
			}
			if f, _ := fake.File(got.Id); !bytes.Equal(f.Content, content) {
				t.Fatalf("File(%q).Content = %d bytes, want the %d uploaded bytes", got.Id, len(f.Content), len(content))
			}
			times := max(tt.fault.Times, 1)
			var faulted, sameChunk int
			for _, r := range fake.Requests() {
				if r.Fault {
					faulted++
					if r.Chunk != tt.fault.Chunk || r.Dropped != tt.fault.Drop {
						t.Errorf("faulted request = %+v, want chunk %d dropped %v", r, tt.fault.Chunk, tt.fault.Drop)
					}
				}
				if r.Op == drivefake.OpChunk && r.Chunk == tt.fault.Chunk {
					sameChunk++
				}
			}
			if faulted != times || sameChunk != times+1 {
				t.Errorf("faulted requests = %d, requests for chunk %d = %d; want %d and %d", faulted, tt.fault.Chunk, sameChunk, times, times+1)
			}
			if s := fake.Sessions()[0]; s.Received != int64(len(content)) {
				t.Errorf("Sessions()[0].Received = %d, want %d", s.Received, len(content))
			}
		})
	}
}

func TestInitiateRateLimited(t *testing.T) {
	fake := newFake(t, drivefake.Options{Faults: []drivefake.Fault{
		{Op: drivefake.OpInitiate, Status: http.StatusTooManyRequests, Reason: "rateLimitExceeded"},
	}})
	svc := newService(t, fake)
	content := payload(2 * chunkSize)

	// The client does not retry the initiating request itself.
	_, err := upload(t.Context(), svc, "limited.csv", content)
	gerr := apiError(t, err)
	if gerr.Code != http.StatusTooManyRequests || reason(gerr) != "rateLimitExceeded" {
		t.Fatalf("upload() error = %d %q, want 429 rateLimitExceeded", gerr.Code, reason(gerr))
	}
	if n := len(fake.Sessions()); n != 0 {
		t.Errorf("Sessions() after a refused initiate = %d sessions, want 0", n)
	}
	got, err := upload(t.Context(), svc, "limited.csv", content)
	if err != nil {
		t.Fatalf("upload() after the fault error = %v", err)
	}
	if f, _ := fake.File(got.Id); !bytes.Equal(f.Content, content) {
		t.Errorf("File(%q).Content differs from the upload", got.Id)
	}
}

func TestPermanentErrors(t *testing.T) {
	tests := []struct {
		name     string
		fault    drivefake.Fault
		size     int
		wantCode int
	}{
		{"quota on initiate", drivefake.Fault{Op: drivefake.OpInitiate, Status: 403, Reason: "storageQuotaExceeded"}, 2 * chunkSize, 403},
		{"quota on chunk 2", drivefake.Fault{Op: drivefake.OpChunk, Chunk: 2, Status: 403, Reason: "storageQuotaExceeded", Times: -1}, 2*chunkSize + 1, 403},
		{"quota on multipart", drivefake.Fault{Op: drivefake.OpMultipart, Status: 403, Reason: "storageQuotaExceeded"}, 10, 403},
		{"permissions", drivefake.Fault{Op: drivefake.OpInitiate, Status: 403, Reason: "insufficientFilePermissions"}, 2 * chunkSize, 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake(t, drivefake.Options{Faults: []drivefake.Fault{tt.fault}})
			svc := newService(t, fake)

			_, err := upload(t.Context(), svc, "x.csv", payload(tt.size))
			gerr := apiError(t, err)
			if gerr.Code != tt.wantCode || reason(gerr) != tt.fault.Reason {
				t.Errorf("upload() error = %d %q, want %d %q", gerr.Code, reason(gerr), tt.wantCode, tt.fault.Reason)
			}
			if files := fake.Files(); len(files) != 0 {
				t.Errorf("Files() = %d files, want none", len(files))
			}
		})
	}
}

func TestParentNotFound(t *testing.T) {
	for _, size := range []int{10, 2 * chunkSize} { // multipart, resumable
		fake := newFake(t, drivefake.Options{})
		svc := newService(t, fake)
		_, err := upload(t.Context(), svc, "orphan.csv", payload(size), "1NoSuchFolder")
		gerr := apiError(t, err)
		if gerr.Code != http.StatusNotFound || reason(gerr) != "notFound" {
			t.Errorf("upload(%d bytes, parent 1NoSuchFolder) error = %d %q, want 404 notFound", size, gerr.Code, reason(gerr))
		}
		if len(fake.Files()) != 0 || len(fake.Sessions()) != 0 {
			t.Errorf("upload(%d bytes, parent 1NoSuchFolder) left %d files and %d sessions, want none", size, len(fake.Files()), len(fake.Sessions()))
		}
	}
}

// quote renders s as a query string literal, escaping \ and '.
func quote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

func createWithProps(t *testing.T, svc *drive.Service, name string, props map[string]string) string {
	t.Helper()
	f, err := svc.Files.Create(&drive.File{Name: name, Parents: []string{folder}, AppProperties: props}).
		Media(strings.NewReader(name), googleapi.ContentType("text/csv")).
		Fields("id").Context(t.Context()).Do()
	if err != nil {
		t.Fatalf("Files.Create(%q) error = %v", name, err)
	}
	return f.Id
}

func listIDs(t *testing.T, svc *drive.Service, q string) []string {
	t.Helper()
	var ids []string
	err := svc.Files.List().Q(q).SupportsAllDrives(true).IncludeItemsFromAllDrives(true).
		Corpora("allDrives").Fields("files(id,name,appProperties),nextPageToken").PageSize(2).
		Pages(t.Context(), func(l *drive.FileList) error {
			for _, f := range l.Files {
				ids = append(ids, f.Id)
			}
			return nil
		})
	if err != nil {
		t.Fatalf("Files.List().Q(%q) error = %v", q, err)
	}
	return ids
}

func TestListQuery(t *testing.T) {
	fake := newFake(t, drivefake.Options{})
	svc := newService(t, fake)
	tricky := `it's a \ test`
	a := createWithProps(t, svc, "a.csv", map[string]string{"exportDate": "2026-11-28"})
	b := createWithProps(t, svc, "b.csv", map[string]string{"exportDate": "2026-11-28", "note": tricky})
	c := createWithProps(t, svc, "c.csv", map[string]string{"exportDate": "2026-11-27"})
	d := createWithProps(t, svc, "d.csv", nil)

	tests := []struct {
		q    string
		want []string
	}{
		{"appProperties has { key='exportDate' and value='2026-11-28' } and trashed = false and '" + folder + "' in parents", []string{a, b}},
		{"appProperties has { key='note' and value=" + quote(tricky) + " }", []string{b}},
		{"appProperties has { key='note' and value='it' }", nil},
		{"name = 'c.csv' or name = 'd.csv'", []string{c, d}},
		{"not appProperties has { key='exportDate' and value='2026-11-28' }", []string{c, d}},
		{"", []string{a, b, c, d}},
	}
	for _, tt := range tests {
		if got := listIDs(t, svc, tt.q); !slices.Equal(got, tt.want) {
			t.Errorf("Files.List().Q(%q) = %v, want %v", tt.q, got, tt.want)
		}
	}

	_, err := svc.Files.List().Q("name = 'unterminated").Context(t.Context()).Do()
	gerr := apiError(t, err)
	if gerr.Code != http.StatusBadRequest || reason(gerr) != "invalid" || gerr.Message != "Invalid Value" {
		t.Errorf("Files.List().Q(malformed) error = %d %q %q, want 400 invalid \"Invalid Value\"", gerr.Code, reason(gerr), gerr.Message)
	}
}

func TestListFieldsAndPaging(t *testing.T) {
	fake := newFake(t, drivefake.Options{})
	svc := newService(t, fake)
	for _, n := range []string{"a", "b", "c"} {
		createWithProps(t, svc, n, map[string]string{"k": n})
	}

	// Without fields, Drive v3 answers only kind, id, name and mimeType.
	l, err := svc.Files.List().PageSize(2).Context(t.Context()).Do()
	if err != nil {
		t.Fatalf("Files.List() error = %v", err)
	}
	if len(l.Files) != 2 || l.NextPageToken == "" || l.Files[0].AppProperties != nil || l.Files[0].Name != "a" {
		t.Errorf("Files.List().PageSize(2) = %d files, token %q, first %+v; want 2 files named a.., a token, no appProperties", len(l.Files), l.NextPageToken, l.Files[0])
	}
	l, err = svc.Files.List().PageSize(2).PageToken(l.NextPageToken).Fields("files(appProperties)").Context(t.Context()).Do()
	if err != nil {
		t.Fatalf("Files.List() second page error = %v", err)
	}
	if len(l.Files) != 1 || l.NextPageToken != "" || l.Files[0].Id != "" || l.Files[0].AppProperties["k"] != "c" {
		t.Errorf("Files.List() second page = %d files, token %q, %+v; want only c's appProperties", len(l.Files), l.NextPageToken, l.Files)
	}

	_, err = svc.Files.List().Fields("files(id,webviewLink)").Context(t.Context()).Do()
	if gerr := apiError(t, err); gerr.Code != http.StatusBadRequest || reason(gerr) != "invalidParameter" {
		t.Errorf("Files.List().Fields(typo) error = %d %q, want 400 invalidParameter", gerr.Code, reason(gerr))
	}
}

func TestUpdateTrashDelete(t *testing.T) {
	fake := newFake(t, drivefake.Options{})
	svc := newService(t, fake)
	id := createWithProps(t, svc, "x.csv", map[string]string{"exportDate": "2026-11-28", "stale": "1"})
	ctx := t.Context()

	got, err := svc.Files.Update(id, &drive.File{
		AppProperties: map[string]string{"exportRun": "r1"},
		NullFields:    []string{"AppProperties.stale"},
	}).SupportsAllDrives(true).Fields("id,appProperties").Context(ctx).Do()
	if err != nil {
		t.Fatalf("Files.Update(appProperties) error = %v", err)
	}
	want := map[string]string{"exportDate": "2026-11-28", "exportRun": "r1"}
	if !maps.Equal(got.AppProperties, want) {
		t.Errorf("Files.Update(appProperties).AppProperties = %v, want %v", got.AppProperties, want)
	}

	if _, err := svc.Files.Update(id, &drive.File{Trashed: true}).Context(ctx).Do(); err != nil {
		t.Fatalf("Files.Update(trashed) error = %v", err)
	}
	q := "appProperties has { key='exportDate' and value='2026-11-28' } and trashed = false and '" + folder + "' in parents"
	if ids := listIDs(t, svc, q); len(ids) != 0 {
		t.Errorf("Files.List().Q(%q) after trashing = %v, want none", q, ids)
	}
	if ids := listIDs(t, svc, "trashed = true"); !slices.Equal(ids, []string{id}) {
		t.Errorf("Files.List().Q(trashed = true) = %v, want [%s]", ids, id)
	}
	f, err := svc.Files.Get(id).Fields("id,trashed").Context(ctx).Do()
	if err != nil || !f.Trashed {
		t.Errorf("Files.Get(trashed file) = %+v, %v; want it, trashed", f, err)
	}
	if live := fake.LiveFiles(folder); len(live) != 0 {
		t.Errorf("LiveFiles(%s) = %d files, want none", folder, len(live))
	}

	if err := svc.Files.Delete(id).SupportsAllDrives(true).Context(ctx).Do(); err != nil {
		t.Fatalf("Files.Delete(%q) error = %v", id, err)
	}
	if last := fake.Requests()[len(fake.Requests())-1]; last.Status != http.StatusNoContent {
		t.Errorf("Files.Delete status = %d, want 204", last.Status)
	}
	for name, err := range map[string]error{
		"get":    func() error { _, err := svc.Files.Get(id).Context(ctx).Do(); return err }(),
		"delete": svc.Files.Delete(id).Context(ctx).Do(),
		"update": func() error { _, err := svc.Files.Update(id, &drive.File{Name: "y"}).Context(ctx).Do(); return err }(),
	} {
		if gerr := apiError(t, err); gerr.Code != http.StatusNotFound || reason(gerr) != "notFound" {
			t.Errorf("%s of a deleted file error = %d %q, want 404 notFound", name, gerr.Code, reason(gerr))
		}
	}
}

func TestDownload(t *testing.T) {
	fake := newFake(t, drivefake.Options{})
	svc := newService(t, fake)
	content := payload(chunkSize + 7)
	f, err := upload(t.Context(), svc, "d.csv", content)
	if err != nil {
		t.Fatalf("upload() error = %v", err)
	}
	resp, err := svc.Files.Get(f.Id).Context(t.Context()).Download()
	if err != nil {
		t.Fatalf("Files.Get(%q).Download() error = %v", f.Id, err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil || !bytes.Equal(got, content) || resp.Header.Get("Content-Type") != "text/csv" {
		t.Errorf("Download() = %d bytes of %s, %v; want the %d uploaded bytes of text/csv", len(got), resp.Header.Get("Content-Type"), err, len(content))
	}
}

func TestDelayHonoursCancellation(t *testing.T) {
	fake := newFake(t, drivefake.Options{Faults: []drivefake.Fault{{Op: drivefake.OpList, Delay: time.Hour}}})
	svc := newService(t, fake)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if _, err := svc.Files.List().Context(ctx).Do(); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Files.List() with an hour's delay error = %v, want context.DeadlineExceeded", err)
	}
	if _, err := svc.Files.List().Context(t.Context()).Do(); err != nil {
		t.Errorf("Files.List() after the delay fault error = %v", err)
	}
}

func TestDirPersistence(t *testing.T) {
	dir := t.TempDir()
	clk := newClock()
	first := newFake(t, drivefake.Options{Dir: dir, Now: clk.Now})
	content := payload(2*chunkSize + 3)
	f, err := upload(t.Context(), newService(t, first), "kept.csv", content)
	if err != nil {
		t.Fatalf("upload() error = %v", err)
	}
	// Leave a session half done, to resume on the second server.
	loc := initiate(t, first, "")
	put(t, first.Client(), loc, "bytes 0-262143/*", content[:chunkSize], nil)
	first.Close()

	second := newFake(t, drivefake.Options{Dir: dir, Now: clk.Now})
	svc := newService(t, second)
	if ids := listIDs(t, svc, "name = 'kept.csv' and '"+folder+"' in parents"); !slices.Equal(ids, []string{f.Id}) {
		t.Errorf("second server Files.List() = %v, want [%s]", ids, f.Id)
	}
	if got, ok := second.File(f.Id); !ok || !bytes.Equal(got.Content, content) {
		t.Errorf("second server File(%q) = %d bytes (found %v), want the %d uploaded bytes", f.Id, len(got.Content), ok, len(content))
	}
	loc = strings.Replace(loc, first.URL(), second.URL(), 1)
	status, h, _ := put(t, second.Client(), loc, "bytes */*", nil, nil)
	if status != http.StatusPermanentRedirect || h.Get("Range") != "bytes=0-262143" {
		t.Errorf("second server status query = %d Range %q, want 308 bytes=0-262143", status, h.Get("Range"))
	}
}

func TestHealthz(t *testing.T) {
	fake := newFake(t, drivefake.Options{})
	resp, err := fake.Client().Get(fake.URL() + "/_internal/healthz")
	if err != nil {
		t.Fatalf("GET /_internal/healthz error = %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /_internal/healthz = %d, want 200", resp.StatusCode)
	}
}
