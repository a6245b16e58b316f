package drivefake

import (
	"net/http"
	"strings"
)

// The Shared Drive mode (Options.SharedDrive). Drive's rules, from its guide "Implement shared drive support" and
// the files reference:
//
//   - A request that names a file in a shared drive (files.get, files.update, files.delete, or a files.create
//     whose parent is in one) must say supportsAllDrives=true; without it Drive answers 404 notFound, "File not
//     found: ID.", as if the file did not exist.
//   - files.list returns items of shared drives only with includeItemsFromAllDrives=true (and
//     supportsAllDrives=true); to search one shared drive, corpora=drive and driveId=ID go with them. Without
//     them the shared drive's files are simply missing from the results: no error, an empty page.
//   - corpora=drive with the id of a shared drive that does not exist answers 404 notFound.
//
// In this mode every folder of Options.Folders, and so every file created under one, is in the shared drive;
// a file created without parents is in the caller's My Drive.

// allDrives reports whether the request says supportsAllDrives=true (or its deprecated alias
// supportsTeamDrives=true).
func allDrives(r *http.Request) bool {
	q := r.URL.Query()
	return strings.EqualFold(q.Get("supportsAllDrives"), "true") || strings.EqualFold(q.Get("supportsTeamDrives"), "true")
}

// sharedFileRequest is the 404 Drive answers to a request naming the file id without supportsAllDrives in the
// Shared Drive mode, or nil.
func (s *Server) sharedFileRequest(r *http.Request, id string) *apiError {
	if s.sharedDrive == "" || allDrives(r) {
		return nil
	}
	return errFileNotFound(id)
}

// inSharedDrive reports whether f is in the shared drive: in the Shared Drive mode, every file with a parent.
func (s *Server) inSharedDrive(f *fileRec) bool {
	return s.sharedDrive != "" && len(f.Parents) > 0
}

// listScope decides which files a files.list may return in the Shared Drive mode: the shared drive's files
// (shared), files outside it (mine), or a 404 for an unknown drive.
func (s *Server) listScope(r *http.Request) (shared, mine bool, apiErr *apiError) {
	if s.sharedDrive == "" {
		return true, true, nil
	}
	q := r.URL.Query()
	corpora := q.Get("corpora")
	if corpora == "drive" && q.Get("driveId") != s.sharedDrive {
		return false, false, paramError(http.StatusNotFound, "notFound", "Shared drive not found: "+q.Get("driveId"), "driveId")
	}
	include := allDrives(r) && strings.EqualFold(q.Get("includeItemsFromAllDrives"), "true")
	shared = include && (corpora == "drive" || corpora == "allDrives")
	mine = corpora != "drive"
	return shared, mine, nil
}
