package drivefake

import (
	"bytes"
	"crypto/md5"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Revisions, as Drive v3 documents them for files with binary content:
//
//   - Every upload of content makes a revision. files.update with media (PATCH /upload/drive/v3/files/{fileId}
//     with uploadType=resumable, multipart or media) makes a new one, which becomes the head revision
//     (headRevisionId) only when the upload completes: an interrupted resumable upload leaves the file as it was.
//   - keepRevisionForever=true on the upload sets keepForever on the new head revision.
//   - revisions.list (GET /drive/v3/files/{fileId}/revisions, oldest first, pageSize at most 1000, pageToken),
//     revisions.get (GET .../revisions/{revisionId}, with alt=media for that revision's content) and
//     revisions.update (PATCH .../revisions/{revisionId}: keepForever; published and its kin are accepted and
//     ignored).
//   - keepForever may be set on at most MaxKeptRevisions revisions of a file.
//
// Departures: revisions that are not kept forever are never purged (Drive purges them 30 days after newer content,
// or beyond 100 revisions); there is no revisions.delete; lastModifyingUser is not filled in.

// MaxKeptRevisions is how many revisions of a file may be kept forever (Drive's documented limit).
const MaxKeptRevisions = 200

// OpRevision is a request to the revisions API (list, get or update).
const OpRevision Op = "revision"

// Default selections of the revisions API when fields is absent.
const (
	defaultRevisionFields     = "kind,id,mimeType,modifiedTime"
	defaultRevisionListFields = "kind,nextPageToken,revisions(kind,id,mimeType,modifiedTime)"
)

var (
	revisionFieldNames = []string{
		"kind", "id", "mimeType", "modifiedTime", "keepForever", "published", "publishedLink", "publishAuto",
		"publishedOutsideDomain", "lastModifyingUser", "originalFilename", "md5Checksum", "size", "exportLinks",
	}
	revisionListFieldNames = []string{"kind", "nextPageToken", "revisions"}
)

// revisionRec is one revision of a file's content. The head revision's content is the file's; an older
// revision keeps its own.
type revisionRec struct {
	ID               string    `json:"id"`
	MimeType         string    `json:"mimeType"`
	Modified         time.Time `json:"modifiedTime"`
	KeepForever      bool      `json:"keepForever,omitempty"`
	MD5              string    `json:"md5Checksum,omitempty"`
	Size             int64     `json:"size"`
	OriginalFilename string    `json:"originalFilename,omitempty"`
	Content          []byte    `json:"content,omitempty"` // older revisions only
}

// Revision is a snapshot of a revision, as the fake holds it.
type Revision struct {
	ID          string
	KeepForever bool
	MD5         string
	Content     []byte
	Modified    time.Time
	Head        bool
}

// Revisions returns the revisions of the file, oldest first; the last is the head.
func (s *Server) Revisions(fileID string) []Revision {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.files[fileID]
	if !ok {
		return nil
	}
	revs := f.revisions()
	out := make([]Revision, len(revs))
	for i, r := range revs {
		c := r.Content
		if i == len(revs)-1 {
			c = f.Content
		}
		out[i] = Revision{ID: r.ID, KeepForever: r.KeepForever, MD5: r.MD5, Content: slices.Clone(c), Modified: r.Modified, Head: i == len(revs)-1}
	}
	return out
}

// revisions returns the file's revisions, giving a file stored before revisions were kept its one head revision.
func (f *fileRec) revisions() []revisionRec {
	if len(f.Revisions) == 0 && !f.isFolder() {
		f.Revisions = []revisionRec{f.headRevision(f.Modified)}
	}
	return f.Revisions
}

// headRevision describes the file's current content as a new revision.
func (f *fileRec) headRevision(at time.Time) revisionRec {
	return revisionRec{ID: newID("0B", 40), MimeType: f.MimeType, Modified: at, MD5: f.MD5, Size: f.Size, OriginalFilename: f.OriginalFilename}
}

func (r revisionRec) resource() map[string]any {
	return map[string]any{
		"kind": "drive#revision", "id": r.ID, "mimeType": r.MimeType, "modifiedTime": formatTime(r.Modified),
		"keepForever": r.KeepForever, "published": false, "md5Checksum": r.MD5, "size": strconv.FormatInt(r.Size, 10),
		"originalFilename": r.OriginalFilename,
	}
}

// replaceContent returns a copy of f with content as a new head revision and patch applied; the old head keeps
// its content as an older revision. s.mu must be held.
func (s *Server) replaceContent(f *fileRec, patch map[string]json.RawMessage, content []byte, mediaType string, keep bool) (*fileRec, *apiError) {
	if f.isFolder() {
		return nil, paramError(http.StatusBadRequest, "fileNotDownloadable", "A folder has no content to replace.", "uploadType")
	}
	g, apiErr := s.patched(f, patch, nil, nil)
	if apiErr != nil {
		return nil, apiErr
	}
	now := s.now()
	revs := slices.Clone(f.revisions())
	revs[len(revs)-1].Content = slices.Clone(f.Content)
	if mediaType != "" {
		g.MimeType = mediaType
	}
	if s.discard {
		sum := md5Sum(content)
		g.setSums(int64(len(content)), sum)
	} else {
		g.setContent(content)
	}
	g.Modified, g.Version = now, g.Version+1
	head := g.headRevision(now)
	head.KeepForever = keep
	g.Revisions = append(revs, head)
	if s.store != nil {
		if err := s.store.saveFile(g, true); err != nil {
			return nil, errBackend(err)
		}
	}
	s.files[g.ID] = g
	return g, nil
}

// routeUpdateUpload handles PATCH /upload/drive/v3/files/{id}: files.update with media.
func (s *Server) routeUpdateUpload(w http.ResponseWriter, r *http.Request, info *reqInfo, id string) {
	if sid := r.URL.Query().Get("upload_id"); sid != "" {
		if r.Method != http.MethodPut && r.Method != http.MethodPost {
			writeError(w, notFoundRoute())
			return
		}
		s.handleSession(w, r, info, sid)
		return
	}
	if r.Method != http.MethodPatch {
		writeError(w, notFoundRoute())
		return
	}
	if apiErr := s.sharedFileRequest(r, id); apiErr != nil {
		writeError(w, apiErr)
		return
	}
	switch r.URL.Query().Get("uploadType") {
	case "resumable":
		s.mu.Lock()
		_, ok := s.files[id]
		s.mu.Unlock()
		if !ok {
			writeError(w, errFileNotFound(id))
			return
		}
		s.initiate(w, r, info, id)
	case "multipart", "media":
		s.handleUpdateMedia(w, r, info, id)
	default:
		writeError(w, paramError(http.StatusBadRequest, "invalid", "Invalid Value", "uploadType"))
	}
}

// handleUpdateMedia replaces a file's content in one request: multipart (metadata, then media) or media only.
func (s *Server) handleUpdateMedia(w http.ResponseWriter, r *http.Request, info *reqInfo, id string) {
	mask, ok := s.beginFile(w, r, info, OpMultipart)
	if !ok {
		return
	}
	var meta, content []byte
	mediaType := r.Header.Get("Content-Type")
	if r.URL.Query().Get("uploadType") == "multipart" {
		if meta, content, mediaType, ok = readMultipart(w, r); !ok {
			return
		}
	} else {
		var err error
		if content, err = io.ReadAll(r.Body); err != nil {
			return // the client went away
		}
	}
	patch, apiErr := parsePatch(meta)
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	s.mu.Lock()
	f, ok := s.files[id]
	var g *fileRec
	if !ok {
		apiErr = errFileNotFound(id)
	} else {
		g, apiErr = s.replaceContent(f, patch, content, mediaType, strings.EqualFold(r.URL.Query().Get("keepRevisionForever"), "true"))
	}
	s.mu.Unlock()
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	writeFile(w, g, mask)
}

// parsePatch decodes a files.update metadata body; an empty body changes nothing.
func parsePatch(b []byte) (map[string]json.RawMessage, *apiError) {
	patch := map[string]json.RawMessage{}
	if len(bytes.TrimSpace(b)) > 0 {
		if err := json.Unmarshal(b, &patch); err != nil {
			return nil, newAPIError(http.StatusBadRequest, "global", "parseError", "Parse Error: "+err.Error())
		}
	}
	return patch, nil
}

// routeRevisions handles /drive/v3/files/{id}/revisions[/{revisionId}].
func (s *Server) routeRevisions(w http.ResponseWriter, r *http.Request, info *reqInfo, id, rest string) {
	info.op = OpRevision
	if s.applyFault(w, r, info) {
		return
	}
	if err := validateCommon(r); err != nil {
		writeError(w, err)
		return
	}
	rid, one := strings.CutPrefix(rest, "/")
	switch {
	case rest == "" && r.Method == http.MethodGet:
		s.listRevisions(w, r, id)
	case one && rid != "" && !strings.Contains(rid, "/") && (r.Method == http.MethodGet || r.Method == http.MethodPatch):
		s.revision(w, r, id, rid)
	default:
		writeError(w, notFoundRoute())
	}
}

func revisionMask(fields, def string, known []string, nested map[string][]string) (fieldMask, *apiError) {
	if strings.TrimSpace(fields) == "" {
		fields = def
	}
	m, err := parseFields(fields)
	if err == nil {
		err = m.validate(known, nested)
	}
	if err != nil {
		return nil, fieldsError(err)
	}
	return m, nil
}

// listRevisions answers revisions.list, oldest first.
func (s *Server) listRevisions(w http.ResponseWriter, r *http.Request, id string) {
	q := r.URL.Query()
	mask, apiErr := revisionMask(q.Get("fields"), defaultRevisionListFields, revisionListFieldNames, map[string][]string{"revisions": revisionFieldNames})
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	size := 200
	if v := q.Get("pageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			writeError(w, paramError(http.StatusBadRequest, "invalid", "Invalid Value", "pageSize"))
			return
		}
		size = n
	}
	offset := 0
	if tok := q.Get("pageToken"); tok != "" {
		n, ok := parsePageToken(tok)
		if !ok {
			writeError(w, paramError(http.StatusBadRequest, "invalid", "Invalid Value", "pageToken"))
			return
		}
		offset = n
	}
	s.mu.Lock()
	f, ok := s.files[id]
	var items []any
	next := ""
	if ok && !f.isFolder() {
		revs := f.revisions()
		end := min(offset+size, len(revs))
		for _, rv := range revs[min(offset, len(revs)):end] {
			items = append(items, rv.resource())
		}
		if end < len(revs) {
			next = pageToken(end)
		}
	}
	s.mu.Unlock()
	if !ok {
		writeError(w, errFileNotFound(id))
		return
	}
	res := map[string]any{"kind": "drive#revisionList", "revisions": items}
	if items == nil {
		res["revisions"] = []any{}
	}
	if next != "" {
		res["nextPageToken"] = next
	}
	writeJSON(w, http.StatusOK, mask.apply(res))
}

// revision answers revisions.get (metadata, or content with alt=media) and revisions.update (keepForever).
func (s *Server) revision(w http.ResponseWriter, r *http.Request, id, rid string) {
	media := r.Method == http.MethodGet && r.URL.Query().Get("alt") == "media"
	var mask fieldMask
	if !media {
		var apiErr *apiError
		if mask, apiErr = revisionMask(r.URL.Query().Get("fields"), defaultRevisionFields, revisionFieldNames, nil); apiErr != nil {
			writeError(w, apiErr)
			return
		}
	}
	var patch struct {
		KeepForever *bool `json:"keepForever"`
	}
	if r.Method == http.MethodPatch {
		body, err := io.ReadAll(io.LimitReader(r.Body, maxMetadataBytes))
		if err != nil {
			return // the client went away
		}
		if len(bytes.TrimSpace(body)) > 0 {
			if err := json.Unmarshal(body, &patch); err != nil {
				writeError(w, newAPIError(http.StatusBadRequest, "global", "parseError", "Parse Error: "+err.Error()))
				return
			}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.files[id]
	if !ok {
		writeError(w, errFileNotFound(id))
		return
	}
	revs := f.revisions()
	i := slices.IndexFunc(revs, func(rv revisionRec) bool { return rv.ID == rid })
	if i < 0 {
		writeError(w, newAPIError(http.StatusNotFound, "global", "revisionNotFound", "Revision not found: "+rid+"."))
		return
	}
	if media {
		content := revs[i].Content
		if i == len(revs)-1 {
			content = f.Content
		}
		w.Header().Set("Content-Type", revs[i].MimeType)
		http.ServeContent(w, r, "", revs[i].Modified, bytes.NewReader(content))
		return
	}
	if patch.KeepForever != nil && *patch.KeepForever != revs[i].KeepForever {
		kept := 0
		for _, rv := range revs {
			if rv.KeepForever {
				kept++
			}
		}
		if *patch.KeepForever && kept >= MaxKeptRevisions {
			writeError(w, newAPIError(http.StatusBadRequest, "global", "cannotKeepRevision",
				fmt.Sprintf("At most %d revisions of a file can be kept forever.", MaxKeptRevisions)))
			return
		}
		g := *f
		g.Revisions = slices.Clone(revs)
		g.Revisions[i].KeepForever = *patch.KeepForever
		if s.store != nil {
			if err := s.store.saveFile(&g, false); err != nil {
				writeError(w, errBackend(err))
				return
			}
		}
		s.files[id] = &g
		revs = g.Revisions
	}
	writeJSON(w, http.StatusOK, mask.apply(revs[i].resource()))
}

func md5Sum(b []byte) []byte {
	s := md5.Sum(b)
	return s[:]
}

// completeRevision makes a finished files.update session's bytes the target's new head revision. s.mu must be
// held.
func (s *Server) completeRevision(sess *session) chunkReply {
	f, ok := s.files[sess.Target]
	if !ok {
		return chunkReply{err: errFileNotFound(sess.Target)}
	}
	patch, apiErr := parsePatch(sess.Patch)
	if apiErr != nil {
		return chunkReply{err: apiErr}
	}
	content := sess.data
	keep := strings.EqualFold(sess.Query.Get("keepRevisionForever"), "true")
	g, apiErr := s.replaceContent(f, patch, content, sess.ContentType, keep)
	if apiErr != nil {
		return chunkReply{err: apiErr}
	}
	if s.discard {
		g.setSums(sess.Received, sess.sum())
		g.Revisions[len(g.Revisions)-1].MD5 = g.MD5
	}
	sess.FileID = g.ID
	sess.data = nil
	return chunkReply{file: g}
}
