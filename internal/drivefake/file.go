package drivefake

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

// FolderMimeType is the MIME type of a Drive folder.
const FolderMimeType = "application/vnd.google-apps.folder"

// File is a snapshot of a stored file, as the fake holds it.
type File struct {
	ID            string
	Name          string
	MimeType      string
	Parents       []string
	AppProperties map[string]string
	Trashed       bool
	Content       []byte // the uploaded bytes; empty for folders
	MD5           string // hex MD5 of Content, as md5Checksum
	Created       time.Time
	Modified      time.Time
	WebViewLink   string
	Description   string // the description Drive shows in the file's details pane
}

// fileRec is the stored form of a file. It is also its on-disk metadata.
type fileRec struct {
	Seq               int64             `json:"seq"`
	ID                string            `json:"id"`
	Name              string            `json:"name"`
	MimeType          string            `json:"mimeType"`
	Description       string            `json:"description,omitempty"`
	Parents           []string          `json:"parents,omitempty"`
	AppProperties     map[string]string `json:"appProperties,omitempty"`
	Properties        map[string]string `json:"properties,omitempty"`
	Trashed           bool              `json:"trashed,omitempty"`
	ExplicitlyTrashed bool              `json:"explicitlyTrashed,omitempty"`
	TrashedTime       time.Time         `json:"trashedTime,omitzero"`
	Created           time.Time         `json:"createdTime"`
	Modified          time.Time         `json:"modifiedTime"`
	Version           int64             `json:"version"`
	OriginalFilename  string            `json:"originalFilename,omitempty"`
	Size              int64             `json:"size"`
	MD5               string            `json:"md5Checksum,omitempty"`
	SHA1              string            `json:"sha1Checksum,omitempty"`
	SHA256            string            `json:"sha256Checksum,omitempty"`
	// Revisions are the content's revisions, oldest first; the last is the head (revision.go).
	Revisions []revisionRec `json:"revisions,omitempty"`

	Content []byte `json:"-"`
}

func (f *fileRec) isFolder() bool { return f.MimeType == FolderMimeType }

// setSums records the size and MD5 of content the fake did not keep (Options.Discard).
func (f *fileRec) setSums(size int64, md5sum []byte) {
	f.Content = nil
	f.Size = size
	f.MD5 = hex.EncodeToString(md5sum)
	f.SHA1, f.SHA256 = "", ""
}

// setContent stores b as the content and computes the checksums.
func (f *fileRec) setContent(b []byte) {
	f.Content = b
	f.Size = int64(len(b))
	m := md5.Sum(b)
	s1 := sha1.Sum(b)
	s256 := sha256.Sum256(b)
	f.MD5 = hex.EncodeToString(m[:])
	f.SHA1 = hex.EncodeToString(s1[:])
	f.SHA256 = hex.EncodeToString(s256[:])
}

func (f *fileRec) webViewLink() string {
	if f.isFolder() {
		return "https://drive.google.com/drive/folders/" + f.ID
	}
	return "https://drive.google.com/file/d/" + f.ID + "/view?usp=drivesdk"
}

// snapshot copies f into an exported File.
func (f *fileRec) snapshot() File {
	return File{
		ID:            f.ID,
		Name:          f.Name,
		MimeType:      f.MimeType,
		Parents:       slices.Clone(f.Parents),
		AppProperties: maps.Clone(f.AppProperties),
		Trashed:       f.Trashed,
		Content:       slices.Clone(f.Content),
		MD5:           f.MD5,
		Created:       f.Created,
		Modified:      f.Modified,
		WebViewLink:   f.webViewLink(),
		Description:   f.Description,
	}
}

// resource returns the Drive v3 File resource of f as decoded JSON, ready
// for a field mask.
func (f *fileRec) resource() map[string]any {
	r := map[string]any{
		"kind":              "drive#file",
		"id":                f.ID,
		"name":              f.Name,
		"mimeType":          f.MimeType,
		"starred":           false,
		"trashed":           f.Trashed,
		"explicitlyTrashed": f.ExplicitlyTrashed,
		"spaces":            []any{"drive"},
		"version":           strconv.FormatInt(f.Version, 10),
		"webViewLink":       f.webViewLink(),
		"createdTime":       formatTime(f.Created),
		"modifiedTime":      formatTime(f.Modified),
		"ownedByMe":         true,
		"shared":            false,
	}
	if len(f.Parents) > 0 {
		r["parents"] = toAnySlice(f.Parents)
	}
	if len(f.AppProperties) > 0 {
		r["appProperties"] = toAnyMap(f.AppProperties)
	}
	if len(f.Properties) > 0 {
		r["properties"] = toAnyMap(f.Properties)
	}
	if f.Description != "" {
		r["description"] = f.Description
	}
	if f.Trashed && !f.TrashedTime.IsZero() {
		r["trashedTime"] = formatTime(f.TrashedTime)
	}
	if f.isFolder() {
		return r
	}
	if isGoogleDoc(f.MimeType) {
		// Docs Editors files have no binary content: Drive gives them no checksums, no head revision and no
		// download link (their content is exported, see export.go).
		return r
	}
	r["size"] = strconv.FormatInt(f.Size, 10)
	r["quotaBytesUsed"] = strconv.FormatInt(f.Size, 10)
	r["md5Checksum"] = f.MD5
	if f.SHA1 != "" { // left out when the content was discarded
		r["sha1Checksum"] = f.SHA1
		r["sha256Checksum"] = f.SHA256
	}
	if len(f.Revisions) > 0 {
		r["headRevisionId"] = f.Revisions[len(f.Revisions)-1].ID
	}
	r["webContentLink"] = "https://drive.google.com/uc?id=" + f.ID + "&export=download"
	if f.OriginalFilename != "" {
		r["originalFilename"] = f.OriginalFilename
	}
	if ext := path.Ext(f.Name); ext != "" {
		r["fileExtension"] = strings.TrimPrefix(ext, ".")
		if i := strings.Index(f.Name, "."); i >= 0 {
			r["fullFileExtension"] = f.Name[i+1:]
		}
	}
	return r
}

// folderResource is the File resource of a folder given in Options.Folders.
func folderResource(id string) map[string]any {
	f := &fileRec{ID: id, Name: id, MimeType: FolderMimeType}
	r := f.resource()
	delete(r, "createdTime")
	delete(r, "modifiedTime")
	return r
}

func toAnySlice(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func toAnyMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// formatTime formats t as Drive does: RFC 3339 in UTC with milliseconds.
func formatTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// idAlphabet is the alphabet of Drive file ids.
const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// newID returns a random id of n characters from idAlphabet after prefix.
func newID(prefix string, n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	for i := range b {
		b[i] = idAlphabet[int(b[i])%len(idAlphabet)]
	}
	return prefix + string(b)
}
