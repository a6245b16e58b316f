package drivefake

import (
	"bytes"
	"net/http"
	"strings"
)

// OpExport is files.export: GET /drive/v3/files/{id}/export.
const OpExport Op = "export"

// SpreadsheetMimeType is the MIME type of a Google Sheet.
const SpreadsheetMimeType = "application/vnd.google-apps.spreadsheet"

// maxExportBytes is files.export's limit: "the exported content is limited to 10 MB"
// (developers.google.com/drive/api/reference/rest/v3/files/export).
const maxExportBytes = 10 << 20

// isGoogleDoc reports whether mimeType is a Docs Editors type (a Google Sheet, Doc, Slides…), whose content Drive
// exports (files.export) rather than downloads (alt=media).
func isGoogleDoc(mimeType string) bool {
	return strings.HasPrefix(mimeType, "application/vnd.google-apps.") && mimeType != FolderMimeType
}

// handleExport answers files.export for a Google Sheet exported as text/csv: the first sheet's values, which the
// fake keeps as the CSV the sheet was made from (an upload of text/csv with the metadata mimeType of a Google
// Sheet, which Drive converts). Other target types of a sheet answer 400, as types a sheet has no export for do
// in Drive; a file that is not a Docs Editors file answers 403 fileNotExportable, and content over 10 MB 403
// exportSizeLimitExceeded.
func (s *Server) handleExport(w http.ResponseWriter, r *http.Request, info *reqInfo, id string) {
	if !s.begin(w, r, info, OpExport) {
		return
	}
	// files.export takes no supportsAllDrives (drive/v3's FilesExportCall has no such setter): it reaches files in
	// shared drives without it, so the Shared Drive mode's 404 does not apply here.
	target := r.URL.Query().Get("mimeType")
	s.mu.Lock()
	f, ok := s.files[id]
	var content []byte
	var mimeType string
	if ok {
		content, mimeType = f.Content, f.MimeType
	}
	s.mu.Unlock()
	switch {
	case !ok:
		writeError(w, errFileNotFound(id))
	case target == "":
		writeError(w, paramError(http.StatusBadRequest, "required", "Required parameter: mimeType", "mimeType"))
	case !isGoogleDoc(mimeType):
		writeError(w, paramError(http.StatusForbidden, "fileNotExportable", "Export only supports Docs Editors files.", "fileId"))
	case mimeType != SpreadsheetMimeType || target != "text/csv":
		writeError(w, paramError(http.StatusBadRequest, "badRequest",
			"drivefake: only a Google Sheet exported as text/csv is implemented", "mimeType"))
	case len(content) > maxExportBytes:
		writeError(w, newAPIError(http.StatusForbidden, "global", "exportSizeLimitExceeded", "This file is too large to be exported."))
	default:
		w.Header().Set("Content-Type", "text/csv")
		_, _ = w.Write(bytes.Clone(content))
	}
}
