package drivefake

import (
	"bytes"
	"crypto/md5"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"maps"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ChunkGranularity is the unit of resumable upload chunks: every chunk but
// the last must be a multiple of 256 KiB.
const ChunkGranularity = 256 << 10

// Limits on properties documented for Drive.
const (
	maxPropertyBytes = 124 // key plus value, UTF-8
	maxAppProperties = 30  // private properties per app
	maxProperties    = 100 // public properties
	maxMetadataBytes = 1 << 20
)

// createMeta is the metadata a client may send when creating a file.
type createMeta struct {
	Name             string            `json:"name,omitempty"`
	MimeType         string            `json:"mimeType,omitempty"`
	Description      string            `json:"description,omitempty"`
	Parents          []string          `json:"parents,omitempty"`
	AppProperties    map[string]string `json:"appProperties,omitempty"`
	Properties       map[string]string `json:"properties,omitempty"`
	OriginalFilename string            `json:"originalFilename,omitempty"`
}

// session is a resumable upload session. It is also its on-disk state.
type session struct {
	ID          string     `json:"id"`
	Query       url.Values `json:"query"` // the initiating request's query
	Meta        createMeta `json:"meta"`
	ContentType string     `json:"contentType,omitempty"` // X-Upload-Content-Type
	Declared    int64      `json:"declared"`              // X-Upload-Content-Length, -1 if absent
	Received    int64      `json:"received"`
	WireBytes   int64      `json:"wireBytes"`
	Chunks      int        `json:"chunks"`
	Created     time.Time  `json:"created"`
	Expires     time.Time  `json:"expires"`
	FileID      string     `json:"fileId,omitempty"`
	// Target, for a files.update upload, is the file whose content the session replaces (a new revision), and
	// Patch the metadata sent with it.
	Target string          `json:"target,omitempty"`
	Patch  json.RawMessage `json:"patch,omitempty"`

	data []byte    // bytes received, until completion
	md5  hash.Hash // with Options.Discard: the MD5 of the bytes received, instead of data
}

// sum returns the MD5 of the bytes a discarding session received.
func (sess *session) sum() []byte {
	if sess.md5 == nil {
		sess.md5 = md5.New()
	}
	return sess.md5.Sum(nil)
}

// query is the session URI's query: the initiating query plus upload_id.
func (sess *session) query() string {
	q := url.Values{}
	maps.Copy(q, sess.Query)
	q.Set("upload_id", sess.ID)
	return q.Encode()
}

// parseMeta decodes a JSON metadata body; an empty body is no metadata.
func parseMeta(b []byte) (createMeta, *apiError) {
	var m createMeta
	if len(bytes.TrimSpace(b)) == 0 {
		return m, nil
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, newAPIError(http.StatusBadRequest, "global", "parseError", "Parse Error: "+err.Error())
	}
	return m, nil
}

// checkMeta validates metadata for a new file; r is the request that creates it. s.mu must be held.
func (s *Server) checkMeta(r *http.Request, m createMeta) *apiError {
	for _, p := range m.Parents { // in the Shared Drive mode every folder is in the shared drive
		if err := s.sharedFileRequest(r, p); err != nil {
			return err
		}
	}
	if err := s.checkParents(m.Parents); err != nil {
		return err
	}
	if err := checkProps(m.AppProperties, maxAppProperties); err != nil {
		return err
	}
	return checkProps(m.Properties, maxProperties)
}

// checkParents validates the parents of a file. s.mu must be held.
func (s *Server) checkParents(parents []string) *apiError {
	if len(parents) > 1 {
		return newAPIError(http.StatusForbidden, "global", "cannotAddParent", "Increasing the number of parents is not allowed.")
	}
	for _, p := range parents {
		if !s.folderExists(p) {
			return errFileNotFound(p)
		}
	}
	return nil
}

// folderExists reports whether id names a folder. s.mu must be held.
func (s *Server) folderExists(id string) bool {
	if s.folders[id] {
		return true
	}
	f, ok := s.files[id]
	return ok && f.isFolder()
}

func checkProps(m map[string]string, limit int) *apiError {
	if len(m) > limit {
		return errBadRequest(fmt.Sprintf("At most %d properties are allowed; got %d.", limit, len(m)))
	}
	for k, v := range m {
		if k == "" {
			return errBadRequest("Property keys must not be empty.")
		}
		if len(k)+len(v) > maxPropertyBytes {
			return errBadRequest(fmt.Sprintf("The size of property %q (key + value) exceeds %d bytes.", k, maxPropertyBytes))
		}
	}
	return nil
}

// newFile stores a new file. s.mu must be held.
func (s *Server) newFile(m createMeta, content []byte, mediaType string) (*fileRec, *apiError) {
	now := s.now()
	f := &fileRec{
		Seq:              s.seq + 1,
		ID:               newID("1", 32),
		Name:             m.Name,
		MimeType:         m.MimeType,
		Description:      m.Description,
		Parents:          slices.Clone(m.Parents),
		AppProperties:    maps.Clone(m.AppProperties),
		Properties:       maps.Clone(m.Properties),
		Created:          now,
		Modified:         now,
		Version:          1,
		OriginalFilename: m.OriginalFilename,
	}
	if f.Name == "" {
		f.Name = "Untitled"
	}
	if f.MimeType == "" {
		f.MimeType = mediaType
	}
	if f.MimeType == "" {
		f.MimeType = "application/octet-stream"
	}
	if !f.isFolder() {
		if s.discard {
			sum := md5.Sum(content)
			f.setSums(int64(len(content)), sum[:])
		} else {
			f.setContent(content)
		}
		if f.OriginalFilename == "" {
			f.OriginalFilename = f.Name
		}
		f.Revisions = []revisionRec{f.headRevision(now)}
	}
	if s.store != nil {
		if err := s.store.saveFile(f, true); err != nil {
			return nil, errBackend(err)
		}
	}
	s.seq++
	s.files[f.ID] = f
	return f, nil
}

// writeFile answers the resource of f, selected by mask.
func writeFile(w http.ResponseWriter, f *fileRec, mask fieldMask) {
	writeJSON(w, http.StatusOK, mask.apply(f.resource()))
}

// handleInitiate starts a resumable session:
// POST /upload/drive/v3/files?uploadType=resumable.
func (s *Server) handleInitiate(w http.ResponseWriter, r *http.Request, info *reqInfo) {
	s.initiate(w, r, info, "")
}

// initiate starts a resumable session that creates a file, or with target set (PATCH
// /upload/drive/v3/files/{target}?uploadType=resumable) one that uploads a new revision of it.
func (s *Server) initiate(w http.ResponseWriter, r *http.Request, info *reqInfo, target string) {
	if !s.begin(w, r, info, OpInitiate) {
		return
	}
	if _, err := fileMask(r.URL.Query().Get("fields")); err != nil {
		writeError(w, err)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxMetadataBytes))
	if err != nil {
		writeError(w, errBadRequest("drivefake: read metadata: "+err.Error()))
		return
	}
	var (
		meta   createMeta
		apiErr *apiError
		patch  json.RawMessage
	)
	if target == "" {
		meta, apiErr = parseMeta(body)
	} else if _, apiErr = parsePatch(body); apiErr == nil && len(bytes.TrimSpace(body)) > 0 {
		patch = json.RawMessage(body)
	}
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	declared := int64(-1)
	if h := r.Header.Get("X-Upload-Content-Length"); h != "" {
		n, err := strconv.ParseInt(h, 10, 64)
		if err != nil || n < 0 {
			writeError(w, errBadRequest("Invalid X-Upload-Content-Length: "+h))
			return
		}
		declared = n
	}
	query := r.URL.Query()
	query.Del("upload_id")
	now := s.now()
	sess := &session{
		ID:          newID("AEnB2U", 64),
		Query:       query,
		Meta:        meta,
		ContentType: r.Header.Get("X-Upload-Content-Type"),
		Declared:    declared,
		Created:     now,
		Expires:     now.Add(s.ttl),
		Target:      target,
		Patch:       patch,
	}

	s.mu.Lock()
	if target == "" {
		apiErr = s.checkMeta(r, meta)
	}
	if apiErr == nil && s.store != nil {
		if err := s.store.saveSession(sess, []byte{}); err != nil {
			apiErr = errBackend(err)
		}
	}
	if apiErr == nil {
		s.sessions[sess.ID] = sess
	}
	s.mu.Unlock()
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}

	loc := uploadFiles
	if target != "" {
		loc += "/" + target // Drive's session URI of files.update keeps the file's path
	}
	w.Header().Set("Location", baseURL(r)+loc+"?"+sess.query())
	w.Header().Set("X-GUploader-UploadID", sess.ID)
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
}

// contentRange is a parsed Content-Range request header. first is -1 for
// "bytes */...", total is -1 for ".../*".
type contentRange struct {
	first, last, total int64
}

// parseContentRange parses "bytes A-B/TOTAL", "bytes A-B/*",
// "bytes */TOTAL" and "bytes */*".
func parseContentRange(h string) (contentRange, error) {
	cr := contentRange{first: -1, last: -1, total: -1}
	rest, ok := strings.CutPrefix(strings.TrimSpace(h), "bytes ")
	if !ok {
		return cr, fmt.Errorf("content range %q does not start with \"bytes \"", h)
	}
	rng, total, ok := strings.Cut(strings.TrimSpace(rest), "/")
	if !ok {
		return cr, fmt.Errorf("content range %q has no total", h)
	}
	if total != "*" {
		n, err := strconv.ParseInt(total, 10, 64)
		if err != nil || n < 0 {
			return cr, fmt.Errorf("content range %q has an invalid total", h)
		}
		cr.total = n
	}
	if rng == "*" {
		return cr, nil
	}
	a, b, ok := strings.Cut(rng, "-")
	if !ok {
		return cr, fmt.Errorf("content range %q has an invalid range", h)
	}
	first, err1 := strconv.ParseInt(a, 10, 64)
	last, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil || first < 0 || last < first {
		return cr, fmt.Errorf("content range %q has an invalid range", h)
	}
	cr.first, cr.last = first, last
	return cr, nil
}

// maxPooledChunk bounds the request bodies readChunk keeps for reuse.
const maxPooledChunk = 64 << 20

// readChunk reads the body of a request to a session. A body of declared length is read into a buffer reused
// across requests, so that a stream of large chunks does not allocate one buffer (or several, as io.ReadAll grows
// its own) per chunk; release returns the buffer once the request is answered. No caller keeps data: a session
// copies what it stores.
func (s *Server) readChunk(r *http.Request) (data []byte, release func(), err error) {
	n := r.ContentLength
	if n <= 0 || n > maxPooledChunk {
		data, err = io.ReadAll(r.Body)
		return data, func() {}, err
	}
	bp, _ := s.bufs.Get().(*[]byte)
	if bp == nil || int64(cap(*bp)) < n {
		b := make([]byte, n)
		bp = &b
	}
	buf := (*bp)[:n]
	if _, err := io.ReadFull(r.Body, buf); err != nil {
		s.bufs.Put(bp)
		return nil, nil, fmt.Errorf("read chunk: %w", err)
	}
	// A body longer than declared is the transport's error; net/http stops at Content-Length.
	return buf, func() { s.bufs.Put(bp) }, nil
}

// chunkReply is what a request to a session answers.
type chunkReply struct {
	err      *apiError
	file     *fileRec // set when the upload is complete
	received int64    // bytes stored, for the Range header of a 308
}

// handleSession handles a PUT or POST to a session URI: a chunk, the final
// chunk, or a status query.
func (s *Server) handleSession(w http.ResponseWriter, r *http.Request, info *reqInfo, id string) {
	header := r.Header.Get("Content-Range")
	cr, rangeErr := parseContentRange(header)
	switch {
	case header == "":
		// No Content-Range: the whole content in one request.
		info.op = OpChunk
	case rangeErr == nil && cr.first < 0:
		info.op = OpStatus
	default:
		info.op = OpChunk
	}
	s.mu.Lock()
	if sess := s.sessions[id]; sess != nil && info.op == OpChunk {
		info.chunk = sess.Chunks + 1
	}
	s.mu.Unlock()
	if s.applyFault(w, r, info) {
		return
	}

	data, release, err := s.readChunk(r)
	if err != nil {
		return // the client went away; nothing was stored
	}
	defer release()
	if header == "" {
		cr = contentRange{first: 0, last: int64(len(data)) - 1, total: int64(len(data))}
		if len(data) == 0 {
			cr.first = -1
		}
	}

	if info.lose && cr.first >= 0 && (cr.total < 0 || cr.last+1 < cr.total) {
		s.mu.Lock()
		var received int64
		if sess := s.sessions[id]; sess != nil {
			received = max(sess.Received, cr.last+1)
		}
		s.mu.Unlock()
		if received > 0 {
			writeIncomplete(w, r, received)
			return
		}
	}

	fields := r.URL.Query().Get("fields")
	s.mu.Lock()
	sess := s.sessions[id]
	var reply chunkReply
	switch {
	case sess == nil || !s.now().Before(sess.Expires):
		reply.err = errSessionNotFound()
	case header != "" && rangeErr != nil:
		sess.WireBytes += int64(len(data))
		reply.err = errBadRequest("Failed to parse Content-Range header: " + rangeErr.Error())
	default:
		reply = s.acceptChunk(sess, cr, data)
		if fields == "" {
			fields = sess.Query.Get("fields")
		}
	}
	if sess != nil && s.store != nil && reply.err == nil {
		if err := s.store.saveSession(sess, nil); err != nil {
			reply = chunkReply{err: errBackend(err)}
		}
	}
	s.mu.Unlock()

	if sess != nil {
		w.Header().Set("X-GUploader-UploadID", sess.ID)
	}
	switch {
	case reply.err != nil:
		writeError(w, reply.err)
	case reply.file != nil:
		mask, err := fileMask(fields)
		if err != nil {
			writeError(w, err)
			return
		}
		writeFile(w, reply.file, mask)
	default:
		writeIncomplete(w, r, reply.received)
	}
}

// writeIncomplete answers 308 Resume Incomplete with the Range of the bytes
// received, or its X-GUploader-No-308 form.
func writeIncomplete(w http.ResponseWriter, r *http.Request, received int64) {
	if received > 0 {
		w.Header().Set("Range", fmt.Sprintf("bytes=0-%d", received-1))
	}
	w.Header().Set("Content-Length", "0")
	if strings.EqualFold(r.Header.Get("X-GUploader-No-308"), "yes") {
		w.Header().Set("X-Http-Status-Code-Override", "308")
		w.WriteHeader(http.StatusOK)
		return
	}
	w.WriteHeader(http.StatusPermanentRedirect) // 308 Resume Incomplete
}

// acceptChunk applies a chunk or status query to sess. s.mu must be held.
// A rejected chunk stores nothing.
func (s *Server) acceptChunk(sess *session, cr contentRange, data []byte) chunkReply {
	sess.WireBytes += int64(len(data))
	if sess.FileID != "" {
		// Complete: answer the file again, as a status query would.
		f, ok := s.files[sess.FileID]
		if !ok {
			return chunkReply{err: errFileNotFound(sess.FileID)}
		}
		return chunkReply{file: f}
	}
	received := sess.Received

	if cr.first < 0 { // bytes */TOTAL or bytes */*
		if len(data) > 0 {
			return chunkReply{err: errBadRequest(fmt.Sprintf("Content-Range has no byte range but the request carries %d bytes.", len(data)))}
		}
		switch {
		case cr.total < 0:
			return chunkReply{received: received}
		case sess.Declared >= 0 && cr.total != sess.Declared:
			return chunkReply{err: errBadRequest(fmt.Sprintf("Total size %d differs from the declared X-Upload-Content-Length %d.", cr.total, sess.Declared))}
		case cr.total < received:
			return chunkReply{err: errBadRequest(fmt.Sprintf("Total size %d is smaller than the %d bytes already received.", cr.total, received))}
		case cr.total == received:
			return s.complete(sess)
		default:
			return chunkReply{received: received}
		}
	}

	n := cr.last - cr.first + 1
	if int64(len(data)) != n {
		return chunkReply{err: errBadRequest(fmt.Sprintf("Content-Range covers %d bytes but the request body has %d.", n, len(data)))}
	}
	total := cr.total
	if sess.Declared >= 0 {
		if total >= 0 && total != sess.Declared {
			return chunkReply{err: errBadRequest(fmt.Sprintf("Total size %d differs from the declared X-Upload-Content-Length %d.", total, sess.Declared))}
		}
		total = sess.Declared
	}
	if total >= 0 && cr.last >= total {
		return chunkReply{err: errBadRequest(fmt.Sprintf("Content-Range ends at byte %d, beyond the total size %d.", cr.last, total))}
	}
	final := total >= 0 && cr.last+1 == total
	if !final && n%ChunkGranularity != 0 {
		return chunkReply{err: errBadRequest(fmt.Sprintf(
			"Invalid request. The number of bytes uploaded is required to be a multiple of %d, except for the final request. The received request contained %d bytes, which does not meet this requirement.",
			ChunkGranularity, n))}
	}
	if cr.first > received {
		return chunkReply{err: errBadRequest(fmt.Sprintf("Content-Range starts at byte %d but only %d bytes were received; the next chunk must start at %d.", cr.first, received, received))}
	}
	fresh := data
	if cr.first < received {
		overlap := min(cr.last+1, received) - cr.first
		if !s.discard && !bytes.Equal(data[:overlap], sess.data[cr.first:cr.first+overlap]) {
			return chunkReply{err: errBadRequest(fmt.Sprintf("Content-Range starts at byte %d, inside the %d bytes already received, with different bytes.", cr.first, received))}
		}
		fresh = data[overlap:]
	}
	if s.store != nil && len(fresh) > 0 {
		sess.Received += int64(len(fresh))
		err := s.store.saveSession(sess, fresh)
		sess.Received -= int64(len(fresh))
		if err != nil {
			return chunkReply{err: errBackend(err)}
		}
	}
	if s.discard {
		if sess.md5 == nil {
			sess.md5 = md5.New()
		}
		sess.md5.Write(fresh)
	} else {
		sess.data = append(sess.data, fresh...)
	}
	sess.Received += int64(len(fresh))
	sess.Chunks++
	if final {
		return s.complete(sess)
	}
	return chunkReply{received: sess.Received}
}

// complete creates the file of sess, or makes its content the target's new head revision. s.mu must be held.
func (s *Server) complete(sess *session) chunkReply {
	if sess.Target != "" {
		return s.completeRevision(sess)
	}
	f, err := s.newFile(sess.Meta, sess.data, sess.ContentType)
	if err != nil {
		return chunkReply{err: err}
	}
	if s.discard && !f.isFolder() {
		f.setSums(sess.Received, sess.sum())
	}
	sess.FileID = f.ID
	sess.data = nil
	return chunkReply{file: f}
}

// handleMultipart creates a file from a multipart/related body: JSON
// metadata, then media. POST /upload/drive/v3/files?uploadType=multipart.
func (s *Server) handleMultipart(w http.ResponseWriter, r *http.Request, info *reqInfo) {
	mask, ok := s.beginFile(w, r, info, OpMultipart)
	if !ok {
		return
	}
	rawMeta, media, mediaType, ok := readMultipart(w, r)
	if !ok {
		return
	}
	meta, apiErr := parseMeta(rawMeta)
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	s.createAndWrite(w, r, meta, media, mediaType, mask)
}

// readMultipart reads a multipart/related body of two parts, JSON metadata then media, as Drive's multipart
// upload sends it (files.create and files.update alike), with the media part's content type. On a malformed body
// it writes Drive's error, and ok is false.
func readMultipart(w http.ResponseWriter, r *http.Request) (meta, media []byte, mediaType string, ok bool) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/related" || params["boundary"] == "" {
		writeError(w, errBadRequest("Bad content type. Please use multipart/related with a boundary."))
		return nil, nil, "", false
	}
	mr := multipart.NewReader(r.Body, params["boundary"])
	var parts [2][]byte
	for i := range parts {
		p, err := mr.NextRawPart()
		if err != nil {
			writeError(w, errBadRequest(fmt.Sprintf("Invalid multipart request with %d mime parts.", i)))
			return nil, nil, "", false
		}
		if parts[i], err = io.ReadAll(p); err != nil {
			writeError(w, errBadRequest("drivefake: read multipart body: "+err.Error()))
			return nil, nil, "", false
		}
		if i == 1 {
			mediaType = p.Header.Get("Content-Type")
		}
	}
	return parts[0], parts[1], mediaType, true
}

// handleMedia creates an untitled file from the request body:
// POST /upload/drive/v3/files?uploadType=media.
func (s *Server) handleMedia(w http.ResponseWriter, r *http.Request, info *reqInfo) {
	mask, ok := s.beginFile(w, r, info, OpMultipart)
	if !ok {
		return
	}
	content, err := io.ReadAll(r.Body)
	if err != nil {
		return // the client went away
	}
	s.createAndWrite(w, r, createMeta{}, content, r.Header.Get("Content-Type"), mask)
}

// handleCreate creates a file from metadata only: POST /drive/v3/files.
func (s *Server) handleCreate(w http.ResponseWriter, r *http.Request, info *reqInfo) {
	mask, ok := s.beginFile(w, r, info, OpCreate)
	if !ok {
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxMetadataBytes))
	if err != nil {
		return // the client went away
	}
	meta, apiErr := parseMeta(body)
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	s.createAndWrite(w, r, meta, nil, "", mask)
}

func (s *Server) createAndWrite(w http.ResponseWriter, r *http.Request, meta createMeta, content []byte, mediaType string, mask fieldMask) {
	s.mu.Lock()
	apiErr := s.checkMeta(r, meta)
	var f *fileRec
	if apiErr == nil {
		f, apiErr = s.newFile(meta, content, mediaType)
	}
	s.mu.Unlock()
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	writeFile(w, f, mask)
}
