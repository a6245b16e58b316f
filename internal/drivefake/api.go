package drivefake

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// List paging limits of files.list.
const (
	defaultPageSize = 100
	maxPageSize     = 1000
)

// orderKeys are the orderBy keys Drive accepts. Those mapped to nil are
// accepted and ignored.
var orderKeys = map[string]func(a, b *fileRec) int{
	"createdTime":      func(a, b *fileRec) int { return a.Created.Compare(b.Created) },
	"modifiedTime":     func(a, b *fileRec) int { return a.Modified.Compare(b.Modified) },
	"recency":          func(a, b *fileRec) int { return a.Modified.Compare(b.Modified) },
	"name":             func(a, b *fileRec) int { return strings.Compare(a.Name, b.Name) },
	"name_natural":     func(a, b *fileRec) int { return strings.Compare(a.Name, b.Name) },
	"quotaBytesUsed":   func(a, b *fileRec) int { return cmp.Compare(a.Size, b.Size) },
	"folder":           func(a, b *fileRec) int { return -cmpBool(a.isFolder(), b.isFolder()) },
	"modifiedByMeTime": func(a, b *fileRec) int { return a.Modified.Compare(b.Modified) },
	"sharedWithMeTime": nil,
	"starred":          nil,
	"viewedByMeTime":   nil,
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	default:
		return -1
	}
}

// parseOrderBy parses a comma-separated list of "key" or "key desc".
func parseOrderBy(s string) (func(a, b *fileRec) int, error) {
	var cmps []func(a, b *fileRec) int
	for item := range strings.SplitSeq(s, ",") {
		f := strings.Fields(item)
		if len(f) == 0 || len(f) > 2 || (len(f) == 2 && !strings.EqualFold(f[1], "desc") && !strings.EqualFold(f[1], "asc")) {
			return nil, fmt.Errorf("invalid orderBy item %q", item)
		}
		c, ok := orderKeys[f[0]]
		if !ok {
			return nil, fmt.Errorf("invalid orderBy key %q", f[0])
		}
		if c == nil {
			continue
		}
		if len(f) == 2 && strings.EqualFold(f[1], "desc") {
			asc := c
			c = func(a, b *fileRec) int { return -asc(a, b) }
		}
		cmps = append(cmps, c)
	}
	return func(a, b *fileRec) int {
		for _, c := range cmps {
			if r := c(a, b); r != 0 {
				return r
			}
		}
		return cmp.Compare(a.Seq, b.Seq)
	}, nil
}

// pageToken encodes a list offset; Drive's tokens are opaque.
func pageToken(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("drivefake:" + strconv.Itoa(offset)))
}

func parsePageToken(tok string) (int, bool) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, false
	}
	rest, ok := strings.CutPrefix(string(b), "drivefake:")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	return n, err == nil && n >= 0
}

// handleList answers files.list: GET /drive/v3/files.
func (s *Server) handleList(w http.ResponseWriter, r *http.Request, info *reqInfo) {
	if !s.begin(w, r, info, OpList) {
		return
	}
	q := r.URL.Query()
	mask, apiErr := listMask(q.Get("fields"))
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	pageSize := defaultPageSize
	if v := q.Get("pageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPageSize {
			writeError(w, errInvalidParam("pageSize"))
			return
		}
		pageSize = n
	}
	offset := 0
	if v := q.Get("pageToken"); v != "" {
		n, ok := parsePageToken(v)
		if !ok {
			writeError(w, errInvalidParam("pageToken"))
			return
		}
		offset = n
	}
	switch c := q.Get("corpora"); c {
	case "", "user", "domain", "drive", "allDrives":
	default:
		writeError(w, errInvalidParam("corpora"))
		return
	}
	if (q.Get("corpora") == "drive") != (q.Get("driveId") != "") {
		writeError(w, paramError(http.StatusBadRequest, "badRequest",
			"The driveId parameter must be specified if and only if corpora is set to drive.", "driveId"))
		return
	}
	inDrive := true
	if v := q.Get("spaces"); v != "" {
		inDrive = false
		for sp := range strings.SplitSeq(v, ",") {
			switch strings.TrimSpace(sp) {
			case "drive":
				inDrive = true
			case "appDataFolder", "photos":
			default:
				writeError(w, errInvalidParam("spaces"))
				return
			}
		}
	}
	order, err := parseOrderBy(q.Get("orderBy"))
	if q.Get("orderBy") == "" {
		order, err = parseOrderBy("createdTime")
	}
	if err != nil {
		w.Header().Set("X-Drivefake-Detail", err.Error())
		writeError(w, errInvalidParam("orderBy"))
		return
	}
	match, err := parseQuery(q.Get("q"))
	if err != nil {
		w.Header().Set("X-Drivefake-Detail", err.Error())
		writeError(w, errInvalidParam("q"))
		return
	}
	shared, mine, apiErr := s.listScope(r)
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}

	s.mu.Lock()
	var hits []*fileRec
	if inDrive {
		for _, f := range s.files {
			if in := s.inSharedDrive(f); (in && shared || !in && mine) && match(f) {
				hits = append(hits, f)
			}
		}
	}
	slices.SortFunc(hits, order)
	page := []any{}
	for _, f := range hits[min(offset, len(hits)):min(offset+pageSize, len(hits))] {
		page = append(page, f.resource())
	}
	s.mu.Unlock()

	list := map[string]any{
		"kind":             "drive#fileList",
		"incompleteSearch": false,
		"files":            page,
	}
	if offset+pageSize < len(hits) {
		list["nextPageToken"] = pageToken(offset + pageSize)
	}
	writeJSON(w, http.StatusOK, mask.apply(list))
}

// handleGet answers files.get: GET /drive/v3/files/{id}, with alt=media
// for the content.
func (s *Server) handleGet(w http.ResponseWriter, r *http.Request, info *reqInfo, id string) {
	if !s.begin(w, r, info, OpGet) {
		return
	}
	media := r.URL.Query().Get("alt") == "media"
	var mask fieldMask
	if !media {
		var apiErr *apiError
		if mask, apiErr = fileMask(r.URL.Query().Get("fields")); apiErr != nil {
			writeError(w, apiErr)
			return
		}
	}

	s.mu.Lock()
	f, ok := s.files[id]
	var res map[string]any
	var content []byte
	var mimeType string
	var modified time.Time
	switch {
	case ok:
		res, content, mimeType, modified = f.resource(), f.Content, f.MimeType, f.Modified
	case s.folders[id]:
		res, mimeType = folderResource(id), FolderMimeType
	}
	s.mu.Unlock()

	switch {
	case res == nil:
		writeError(w, errFileNotFound(id))
	case !media:
		writeJSON(w, http.StatusOK, mask.apply(res))
	case s.discard && !strings.HasPrefix(mimeType, "application/vnd.google-apps."):
		writeError(w, paramError(http.StatusForbidden, "contentDiscarded",
			"drivefake: this server discards file content (Options.Discard)", "alt"))
	case strings.HasPrefix(mimeType, "application/vnd.google-apps."):
		writeError(w, paramError(http.StatusForbidden, "fileNotDownloadable",
			"Only files with binary content can be downloaded. Use Export with Docs Editors files.", "alt"))
	default:
		w.Header().Set("Content-Type", mimeType)
		// content is never modified in place, so it may be read unlocked.
		http.ServeContent(w, r, "", modified, bytes.NewReader(content))
	}
}

// notWritable are File fields that files.update refuses.
var notWritable = []string{
	"id", "kind", "size", "quotaBytesUsed", "md5Checksum", "sha1Checksum",
	"sha256Checksum", "version", "webViewLink", "webContentLink", "iconLink",
	"thumbnailLink", "explicitlyTrashed", "trashedTime", "trashingUser",
	"ownedByMe", "owners", "capabilities", "spaces", "headRevisionId",
	"fullFileExtension", "fileExtension", "driveId", "teamDriveId", "shared",
	"permissions", "permissionIds", "lastModifyingUser", "hasThumbnail",
	"createdTime", "sharingUser", "resourceKey",
}

// begin runs what every request starts with: it records the operation, applies an injected fault and checks the
// common parameters. It reports whether the handler goes on; when it does not, the answer is written.
func (s *Server) begin(w http.ResponseWriter, r *http.Request, info *reqInfo, op Op) bool {
	info.op = op
	if s.applyFault(w, r, info) {
		return false
	}
	if err := validateCommon(r); err != nil {
		writeError(w, err)
		return false
	}
	if op == OpGet || op == OpUpdate || op == OpDelete {
		if err := s.sharedFileRequest(r, strings.TrimPrefix(r.URL.Path, apiFiles+"/")); err != nil {
			writeError(w, err)
			return false
		}
	}
	return true
}

// beginFile is begin, then the file field mask the request's fields parameter asks for.
func (s *Server) beginFile(w http.ResponseWriter, r *http.Request, info *reqInfo, op Op) (fieldMask, bool) {
	if !s.begin(w, r, info, op) {
		return nil, false
	}
	mask, apiErr := fileMask(r.URL.Query().Get("fields"))
	if apiErr != nil {
		writeError(w, apiErr)
		return nil, false
	}
	return mask, true
}

// handleUpdate answers files.update: PATCH /drive/v3/files/{id}.
func (s *Server) handleUpdate(w http.ResponseWriter, r *http.Request, info *reqInfo, id string) {
	mask, ok := s.beginFile(w, r, info, OpUpdate)
	if !ok {
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxMetadataBytes))
	if err != nil {
		return // the client went away
	}
	patch := map[string]json.RawMessage{}
	if len(bytes.TrimSpace(body)) > 0 {
		if err := json.Unmarshal(body, &patch); err != nil {
			writeError(w, newAPIError(http.StatusBadRequest, "global", "parseError", "Parse Error: "+err.Error()))
			return
		}
	}
	add := splitList(r.URL.Query().Get("addParents"))
	remove := splitList(r.URL.Query().Get("removeParents"))

	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.files[id]
	if !ok {
		if s.folders[id] {
			writeError(w, errBadRequest("drivefake: folders given in Options.Folders cannot be updated"))
			return
		}
		writeError(w, errFileNotFound(id))
		return
	}
	g, apiErr := s.patched(f, patch, add, remove)
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	if s.store != nil {
		if err := s.store.saveFile(g, false); err != nil {
			writeError(w, errBackend(err))
			return
		}
	}
	s.files[id] = g
	writeFile(w, g, mask)
}

// patched returns a copy of f with patch and the parent changes applied.
// s.mu must be held.
func (s *Server) patched(f *fileRec, patch map[string]json.RawMessage, add, remove []string) (*fileRec, *apiError) {
	g := *f
	g.Parents = slices.Clone(f.Parents)
	g.AppProperties = maps.Clone(f.AppProperties)
	g.Properties = maps.Clone(f.Properties)
	now := s.now()
	modifiedSet := false
	for _, key := range slices.Sorted(maps.Keys(patch)) {
		raw := patch[key]
		var err error
		switch key {
		case "name":
			err = decodeString(raw, &g.Name)
		case "mimeType":
			err = decodeString(raw, &g.MimeType)
		case "description":
			err = decodeString(raw, &g.Description)
		case "trashed":
			var v bool
			if err = json.Unmarshal(raw, &v); err == nil && v != g.Trashed {
				g.Trashed, g.ExplicitlyTrashed = v, v
				g.TrashedTime = time.Time{}
				if v {
					g.TrashedTime = now
				}
			}
		case "modifiedTime":
			var v string
			if err = decodeString(raw, &v); err == nil {
				var t time.Time
				if t, err = time.Parse(time.RFC3339Nano, v); err == nil {
					g.Modified, modifiedSet = t, true
				}
			}
		case "appProperties":
			err = mergeProps(&g.AppProperties, raw)
		case "properties":
			err = mergeProps(&g.Properties, raw)
		case "parents":
			return nil, newAPIError(http.StatusForbidden, "global", "fieldNotWritable",
				"The parents field is not directly writable in update requests. Use the addParents and removeParents parameters instead.")
		default:
			if slices.Contains(notWritable, key) {
				return nil, newAPIError(http.StatusForbidden, "global", "fieldNotWritable",
					"The resource body includes fields which are not directly writable.")
			}
			// Other writable fields (starred, ...) are not modelled.
		}
		if err != nil {
			return nil, newAPIError(http.StatusBadRequest, "global", "parseError", fmt.Sprintf("Parse Error: field %s: %v", key, err))
		}
	}
	g.Parents = slices.DeleteFunc(g.Parents, func(p string) bool { return slices.Contains(remove, p) })
	for _, p := range add {
		if !slices.Contains(g.Parents, p) {
			g.Parents = append(g.Parents, p)
		}
	}
	if len(add) > 0 {
		if err := s.checkParents(g.Parents); err != nil {
			return nil, err
		}
	}
	if err := checkProps(g.AppProperties, maxAppProperties); err != nil {
		return nil, err
	}
	if err := checkProps(g.Properties, maxProperties); err != nil {
		return nil, err
	}
	g.Version++
	if !modifiedSet {
		g.Modified = now
	}
	return &g, nil
}

// decodeString decodes a JSON string into *dst; null leaves it unchanged.
func decodeString(raw json.RawMessage, dst *string) error {
	if string(bytes.TrimSpace(raw)) == "null" {
		return nil
	}
	return json.Unmarshal(raw, dst)
}

// mergeProps merges a JSON object into *m: a string sets a key, null
// deletes it; a null object clears every key.
func mergeProps(m *map[string]string, raw json.RawMessage) error {
	if string(bytes.TrimSpace(raw)) == "null" {
		*m = nil
		return nil
	}
	var patch map[string]*string
	if err := json.Unmarshal(raw, &patch); err != nil {
		return err
	}
	for k, v := range patch {
		if v == nil {
			delete(*m, k)
			continue
		}
		if *m == nil {
			*m = map[string]string{}
		}
		(*m)[k] = *v
	}
	if len(*m) == 0 {
		*m = nil
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for p := range strings.SplitSeq(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// handleDelete answers files.delete: DELETE /drive/v3/files/{id}. Deleting
// a folder deletes its descendants.
func (s *Server) handleDelete(w http.ResponseWriter, r *http.Request, info *reqInfo, id string) {
	if !s.begin(w, r, info, OpDelete) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.files[id]; !ok {
		if s.folders[id] {
			writeError(w, errBadRequest("drivefake: folders given in Options.Folders cannot be deleted"))
			return
		}
		writeError(w, errFileNotFound(id))
		return
	}
	doomed := []string{id}
	for i := 0; i < len(doomed); i++ {
		for _, f := range s.files {
			if slices.Contains(f.Parents, doomed[i]) && !slices.Contains(doomed, f.ID) {
				doomed = append(doomed, f.ID)
			}
		}
	}
	for _, d := range doomed {
		if s.store != nil {
			if err := s.store.deleteFile(d); err != nil {
				writeError(w, errBackend(err))
				return
			}
		}
		delete(s.files, d)
	}
	w.WriteHeader(http.StatusNoContent)
}
