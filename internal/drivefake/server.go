package drivefake

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Options configures a Server. Zero values give sensible defaults.
type Options struct {
	// Folders are the ids of folders that exist. Creating a file whose
	// parent is neither one of them nor a folder created through the API
	// answers 404 notFound, as Drive does.
	Folders []string

	// Dir, when set, is a directory where file contents, metadata and
	// resumable sessions persist, so that a restarted fake still lists
	// earlier files. When empty, everything lives in memory.
	Dir string

	// Faults are faults to inject, consumed in order of matching.
	Faults []Fault

	// Now is the clock; the default is time.Now.
	Now func() time.Time

	// SessionTTL is the lifetime of a resumable session, counted from its
	// initiation; the default is one week, as in Drive. An expired session
	// answers 404.
	SessionTTL time.Duration

	// Addr is the TCP address to listen on; the default is 127.0.0.1:0,
	// a free port on the loopback interface.
	Addr string

	// Discard keeps no file content, so that the fake's memory stays flat
	// however large the uploads (benchmarks stream hundreds of megabytes
	// through it). A file keeps its size and md5Checksum, computed as the
	// bytes arrive; sha1Checksum and sha256Checksum are left out, File.Content
	// is empty, and downloads (alt=media) answer 403 contentDiscarded. A
	// re-sent chunk that overlaps bytes already received is accepted without
	// comparing them. Discard cannot be combined with Dir.
	Discard bool

	// SharedDrive, when set, is the id of a shared drive that holds the
	// folders of Folders and every file created under them, with Drive's
	// rules for shared drives (see shared.go): a request naming such a file
	// without supportsAllDrives=true answers 404 notFound, and files.list
	// returns them only with includeItemsFromAllDrives=true,
	// supportsAllDrives=true and corpora=drive with this driveId (or
	// corpora=allDrives). When empty, the folders are in My Drive, where
	// those parameters are accepted and change nothing.
	SharedDrive string
}

// DefaultSessionTTL is the lifetime of a resumable session when
// Options.SessionTTL is zero: one week, as documented for Drive.
const DefaultSessionTTL = 7 * 24 * time.Hour

// RequestRecord describes one request the fake answered.
type RequestRecord struct {
	Time          time.Time // by the fake's clock, when the request arrived
	Method        string
	Path          string
	Query         string // the raw query string
	ContentRange  string // the Content-Range request header
	ContentLength int64  // the Content-Length request header, -1 if unknown
	Op            Op     // the operation, "" for anything else (health, unknown paths)
	Chunk         int    // with OpChunk, the 1-based chunk number in its session
	Status        int    // the status answered; 0 when the connection was dropped
	Fault         bool   // an injected fault matched the request
	Dropped       bool   // the connection was dropped
}

// Session describes a resumable upload session.
type Session struct {
	ID        string    // the upload_id
	URI       string    // the session URI, on the fake's URL
	Name      string    // the file name from the initiating metadata
	Declared  int64     // X-Upload-Content-Length, -1 when not declared
	Received  int64     // bytes stored so far
	WireBytes int64     // body bytes of the chunk requests handled, re-sent and rejected ones included (dropped ones excluded)
	Chunks    int       // chunk requests accepted
	Complete  bool      // the upload completed and created FileID
	FileID    string    // the created file, when Complete
	Created   time.Time // when the session was initiated
	Expires   time.Time // when the session stops answering
}

// Server is a fake Google Drive v3 REST API listening on a local address.
// It is also an http.Handler. All its methods are safe for concurrent use.
type Server struct {
	now     func() time.Time
	ttl     time.Duration
	folders map[string]bool
	// sharedDrive is Options.SharedDrive.
	sharedDrive string
	store       *diskStore // nil when memory only
	discard     bool       // Options.Discard
	bufs        sync.Pool  // *[]byte request bodies of resumable chunks, reused
	srv         *http.Server
	url         string
	client      *http.Client
	tr          *http.Transport
	closed      chan struct{}

	lifeMu   sync.Mutex // guards closing, and inflight.Add against Wait
	closing  bool
	inflight sync.WaitGroup

	mu       sync.Mutex // guards everything below
	files    map[string]*fileRec
	seq      int64
	sessions map[string]*session
	faults   []*faultState
	requests []RequestRecord
}

// NewServer starts a fake listening on opts.Addr (127.0.0.1:0 by default).
// With opts.Dir it first loads the files and sessions stored there.
// Call Close when done.
func NewServer(opts Options) (*Server, error) {
	s := &Server{
		now:         opts.Now,
		ttl:         opts.SessionTTL,
		folders:     map[string]bool{},
		sharedDrive: opts.SharedDrive,
		closed:      make(chan struct{}),
		files:       map[string]*fileRec{},
		sessions:    map[string]*session{},
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.ttl <= 0 {
		s.ttl = DefaultSessionTTL
	}
	for _, id := range opts.Folders {
		s.folders[id] = true
	}
	if opts.Discard && opts.Dir != "" {
		return nil, errors.New("drivefake: Options.Discard and Options.Dir cannot be combined")
	}
	s.discard = opts.Discard
	for _, f := range opts.Faults {
		s.faults = append(s.faults, newFaultState(f))
	}
	if opts.Dir != "" {
		if err := s.load(opts.Dir); err != nil {
			return nil, err
		}
	}

	addr := opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("drivefake: listen on %s: %w", addr, err)
	}
	s.url = "http://" + ln.Addr().String()
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 30 * time.Second}
	s.tr = &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 16, IdleConnTimeout: 90 * time.Second}
	s.client = &http.Client{Transport: s.tr}
	go func() { _ = s.srv.Serve(ln) }() // returns ErrServerClosed on Close
	return s, nil
}

// load reads the store in dir into memory.
func (s *Server) load(dir string) error {
	st, err := newDiskStore(dir)
	if err != nil {
		return err
	}
	files, err := st.loadFiles()
	if err != nil {
		return err
	}
	sessions, err := st.loadSessions()
	if err != nil {
		return err
	}
	s.store = st
	for _, f := range files {
		f.revisions() // a file stored before revisions were kept gets its head revision
		s.files[f.ID] = f
		s.seq = max(s.seq, f.Seq)
	}
	for _, sess := range sessions {
		s.sessions[sess.ID] = sess
	}
	return nil
}

// URL returns the base URL of the fake, such as http://127.0.0.1:PORT.
// Clients use option.WithEndpoint(URL()+"/drive/v3/"); uploads then go to
// URL()+"/upload/drive/v3/files".
func (s *Server) URL() string { return s.url }

// Client returns an HTTP client for the fake's listener.
func (s *Server) Client() *http.Client { return s.client }

// Close stops the listener, closes open connections, and waits for the
// requests being handled to finish. It is safe to call more than once.
func (s *Server) Close() {
	s.lifeMu.Lock()
	if s.closing {
		s.lifeMu.Unlock()
		return
	}
	s.closing = true
	s.lifeMu.Unlock()

	close(s.closed)
	_ = s.srv.Close()
	s.inflight.Wait()
	s.tr.CloseIdleConnections()
}

// AddFault adds a fault after those already registered.
func (s *Server) AddFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, newFaultState(f))
}

// File returns the file with the given id, trashed or not.
func (s *Server) File(id string) (File, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.files[id]
	if !ok {
		return File{}, false
	}
	return f.snapshot(), true
}

// Files returns every file, trashed ones included, ordered by creation.
func (s *Server) Files() []File {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []File
	for _, f := range s.sortedFiles() {
		out = append(out, f.snapshot())
	}
	return out
}

// LiveFiles returns the files in folder that are not trashed, ordered by
// creation.
func (s *Server) LiveFiles(folder string) []File {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []File
	for _, f := range s.sortedFiles() {
		if !f.Trashed && slices.Contains(f.Parents, folder) {
			out = append(out, f.snapshot())
		}
	}
	return out
}

// Sessions returns the resumable sessions, complete or not, ordered by
// initiation.
func (s *Server) Sessions() []Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Session, 0, len(s.sessions))
	for _, sess := range s.sessions {
		name := sess.Meta.Name
		if name == "" {
			name = "Untitled"
		}
		out = append(out, Session{
			ID:        sess.ID,
			URI:       s.url + "/upload/drive/v3/files?" + sess.query(),
			Name:      name,
			Declared:  sess.Declared,
			Received:  sess.Received,
			WireBytes: sess.WireBytes,
			Chunks:    sess.Chunks,
			Complete:  sess.FileID != "",
			FileID:    sess.FileID,
			Created:   sess.Created,
			Expires:   sess.Expires,
		})
	}
	slices.SortFunc(out, func(a, b Session) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

// Requests returns the requests answered so far, in order of completion.
func (s *Server) Requests() []RequestRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// sortedFiles returns the files in creation order. s.mu must be held.
func (s *Server) sortedFiles() []*fileRec {
	out := slices.Collect(maps.Values(s.files))
	slices.SortFunc(out, func(a, b *fileRec) int { return int(a.Seq - b.Seq) })
	return out
}

// reqInfo collects what the handlers learn about a request for its record.
type reqInfo struct {
	op      Op
	chunk   int
	fault   bool
	dropped bool
	lose    bool // a Lose fault matched: answer the chunk without storing it
}

// recorder captures the status written through it.
type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// ServeHTTP answers a Drive API request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.lifeMu.Lock()
	if s.closing {
		s.lifeMu.Unlock()
		writeError(w, newAPIError(http.StatusServiceUnavailable, "global", "backendError", "drivefake: server closed"))
		return
	}
	s.inflight.Add(1)
	s.lifeMu.Unlock()
	defer s.inflight.Done()

	start := s.now()
	rec := &recorder{ResponseWriter: w}
	info := &reqInfo{}
	defer func() {
		status := rec.status
		if info.dropped {
			status = 0
		} else if status == 0 {
			status = http.StatusOK // net/http answers 200 when nothing was written
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		s.requests = append(s.requests, RequestRecord{
			Time:          start,
			Method:        r.Method,
			Path:          r.URL.Path,
			Query:         r.URL.RawQuery,
			ContentRange:  r.Header.Get("Content-Range"),
			ContentLength: r.ContentLength,
			Op:            info.op,
			Chunk:         info.chunk,
			Status:        status,
			Fault:         info.fault,
			Dropped:       info.dropped,
		})
	}()
	s.route(rec, r, info)
}

const (
	apiFiles    = "/drive/v3/files"
	uploadFiles = "/upload/drive/v3/files"
)

func (s *Server) route(w http.ResponseWriter, r *http.Request, info *reqInfo) {
	p := r.URL.Path
	switch {
	case p == "/_internal/healthz":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	case p == uploadFiles:
		q := r.URL.Query()
		if id := q.Get("upload_id"); id != "" {
			if r.Method != http.MethodPut && r.Method != http.MethodPost {
				writeError(w, notFoundRoute())
				return
			}
			s.handleSession(w, r, info, id)
			return
		}
		if r.Method != http.MethodPost {
			writeError(w, notFoundRoute())
			return
		}
		switch q.Get("uploadType") {
		case "resumable":
			s.handleInitiate(w, r, info)
		case "multipart":
			s.handleMultipart(w, r, info)
		case "media":
			s.handleMedia(w, r, info)
		default:
			writeError(w, paramError(http.StatusBadRequest, "invalid", "Invalid Value", "uploadType"))
		}
	case p == apiFiles:
		switch r.Method {
		case http.MethodGet:
			s.handleList(w, r, info)
		case http.MethodPost:
			s.handleCreate(w, r, info)
		default:
			writeError(w, notFoundRoute())
		}
	case strings.HasPrefix(p, apiFiles+"/") && !strings.Contains(p[len(apiFiles)+1:], "/") && len(p) > len(apiFiles)+1:
		id := p[len(apiFiles)+1:]
		switch r.Method {
		case http.MethodGet:
			s.handleGet(w, r, info, id)
		case http.MethodPatch:
			s.handleUpdate(w, r, info, id)
		case http.MethodDelete:
			s.handleDelete(w, r, info, id)
		default:
			writeError(w, notFoundRoute())
		}
	case strings.HasPrefix(p, uploadFiles+"/") && !strings.Contains(p[len(uploadFiles)+1:], "/") && len(p) > len(uploadFiles)+1:
		s.routeUpdateUpload(w, r, info, p[len(uploadFiles)+1:])
	case strings.HasPrefix(p, apiFiles+"/") && strings.HasSuffix(p, "/export") && r.Method == http.MethodGet &&
		!strings.Contains(strings.TrimSuffix(p[len(apiFiles)+1:], "/export"), "/"):
		s.handleExport(w, r, info, strings.TrimSuffix(p[len(apiFiles)+1:], "/export"))
	case strings.HasPrefix(p, apiFiles+"/") && strings.Contains(p[len(apiFiles)+1:], "/revisions"):
		id, rest, _ := strings.Cut(p[len(apiFiles)+1:], "/revisions")
		if id == "" || strings.Contains(id, "/") {
			writeError(w, notFoundRoute())
			return
		}
		s.routeRevisions(w, r, info, id, rest)
	default:
		writeError(w, notFoundRoute())
	}
}

func notFoundRoute() *apiError {
	return newAPIError(http.StatusNotFound, "global", "notFound", "Not Found")
}

// validateCommon checks the boolean and alt parameters every method accepts.
func validateCommon(r *http.Request) *apiError {
	q := r.URL.Query()
	for _, name := range []string{
		"supportsAllDrives", "supportsTeamDrives", "includeItemsFromAllDrives",
		"includeTeamDriveItems", "useContentAsIndexableText", "keepRevisionForever",
		"ignoreDefaultVisibility", "acknowledgeAbuse", "prettyPrint",
		"enforceSingleParent", "includePermissionsForView",
	} {
		if v, ok := q[name]; ok {
			if len(v) != 1 || (!strings.EqualFold(v[0], "true") && !strings.EqualFold(v[0], "false")) {
				return paramError(http.StatusBadRequest, "invalidParameter",
					fmt.Sprintf("Invalid value for %s: %q. Values must be true or false.", name, strings.Join(v, ",")), name)
			}
		}
	}
	if alt := q.Get("alt"); alt != "" && alt != "json" && alt != "media" {
		return errInvalidParam("alt")
	}
	if q.Get("alt") == "media" && !(r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, apiFiles+"/")) {
		return errInvalidParam("alt")
	}
	return nil
}

// baseURL is the scheme and host the client used to reach the fake.
func baseURL(r *http.Request) string {
	if r.TLS != nil {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}
