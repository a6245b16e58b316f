package drivefake

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// fieldMask is a parsed partial-response selector (the fields parameter).
// A key maps to the selection inside that field; a nil value selects the
// whole field. The key "*" selects every field at its level.
type fieldMask map[string]fieldMask

// Default selections of Drive v3 when fields is absent.
const (
	defaultFileFields = "kind,id,name,mimeType"
	defaultListFields = "kind,incompleteSearch,nextPageToken,files(kind,id,name,mimeType)"
)

// fileFieldNames are the File fields that a selection may name. It lists
// every field of the Drive v3 File resource, including those this fake
// never fills in, so that valid selections are accepted.
var fileFieldNames = []string{
	"kind", "id", "name", "mimeType", "description", "starred", "trashed",
	"explicitlyTrashed", "trashingUser", "trashedTime", "parents",
	"properties", "appProperties", "spaces", "version", "webContentLink",
	"webViewLink", "iconLink", "hasThumbnail", "thumbnailLink",
	"thumbnailVersion", "viewedByMe", "viewedByMeTime", "createdTime",
	"modifiedTime", "modifiedByMeTime", "modifiedByMe", "sharedWithMeTime",
	"sharingUser", "owners", "driveId", "teamDriveId", "lastModifyingUser",
	"shared", "ownedByMe", "capabilities", "viewersCanCopyContent",
	"copyRequiresWriterPermission", "writersCanShare", "permissions",
	"permissionIds", "hasAugmentedPermissions", "folderColorRgb",
	"originalFilename", "fullFileExtension", "fileExtension", "md5Checksum",
	"sha1Checksum", "sha256Checksum", "size", "quotaBytesUsed",
	"headRevisionId", "contentHints", "imageMediaMetadata",
	"videoMediaMetadata", "isAppAuthorized", "exportLinks", "shortcutDetails",
	"contentRestrictions", "resourceKey", "linkShareMetadata",
	"labelInfo", "inheritedPermissionsDisabled", "downloadRestrictions",
	"clientEncryptionDetails",
}

// fileListFieldNames are the FileList fields that a selection may name.
var fileListFieldNames = []string{"kind", "incompleteSearch", "nextPageToken", "files"}

// parseFields parses a selector such as "id,webViewLink",
// "files(id,name,appProperties),nextPageToken" or "files/id".
func parseFields(s string) (fieldMask, error) {
	p := &fieldParser{s: s}
	m, err := p.list()
	if err != nil {
		return nil, err
	}
	p.space()
	if p.i != len(p.s) {
		return nil, fmt.Errorf("unexpected %q at offset %d", p.s[p.i], p.i)
	}
	return m, nil
}

type fieldParser struct {
	s string
	i int
}

func (p *fieldParser) space() {
	for p.i < len(p.s) && p.s[p.i] == ' ' {
		p.i++
	}
}

// list = item { "," item }
func (p *fieldParser) list() (fieldMask, error) {
	m := fieldMask{}
	for {
		if err := p.item(m); err != nil {
			return nil, err
		}
		p.space()
		if p.i < len(p.s) && p.s[p.i] == ',' {
			p.i++
			continue
		}
		return m, nil
	}
}

// item = name { "/" name } [ "(" list ")" ]
func (p *fieldParser) item(into fieldMask) error {
	path := []string{}
	for {
		p.space()
		start := p.i
		for p.i < len(p.s) && (isWordByte(p.s[p.i]) || p.s[p.i] == '*') {
			p.i++
		}
		if start == p.i {
			if p.i < len(p.s) {
				return fmt.Errorf("expected a field name at offset %d, found %q", p.i, p.s[p.i])
			}
			return fmt.Errorf("expected a field name at end of selector")
		}
		path = append(path, p.s[start:p.i])
		if p.i < len(p.s) && p.s[p.i] == '/' {
			p.i++
			continue
		}
		break
	}
	var sub fieldMask
	p.space()
	if p.i < len(p.s) && p.s[p.i] == '(' {
		p.i++
		var err error
		if sub, err = p.list(); err != nil {
			return err
		}
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != ')' {
			return fmt.Errorf("expected ')' at offset %d", p.i)
		}
		p.i++
	}
	for i := len(path) - 1; i > 0; i-- {
		sub = fieldMask{path[i]: sub}
	}
	into.merge(path[0], sub)
	return nil
}

// merge adds the selection sub of field name to m.
func (m fieldMask) merge(name string, sub fieldMask) {
	old, ok := m[name]
	switch {
	case !ok:
		m[name] = sub
	case old == nil || sub == nil:
		m[name] = nil // the whole field wins
	default:
		for k, v := range sub {
			old.merge(k, v)
		}
	}
}

// validate checks the top-level names of m against known; nested selects
// under a name are checked against nested[name] when present.
func (m fieldMask) validate(known []string, nested map[string][]string) error {
	for name, sub := range m {
		if name == "*" {
			continue
		}
		if !slices.Contains(known, name) {
			return fmt.Errorf("invalid field selection %s", name)
		}
		if sub != nil && nested[name] != nil {
			if err := sub.validate(nested[name], nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// apply returns the parts of v (decoded JSON: maps, slices, scalars) that m
// selects. Arrays are filtered element by element.
func (m fieldMask) apply(v any) any {
	if m == nil {
		return v
	}
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(m))
		if all, ok := m["*"]; ok {
			for k, x := range v {
				out[k] = all.apply(x)
			}
		}
		for k, sub := range m {
			if k == "*" {
				continue
			}
			if x, ok := v[k]; ok {
				out[k] = sub.apply(x)
			}
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = m.apply(x)
		}
		return out
	default:
		return v
	}
}

// fileMask parses and validates the fields parameter of a method answering
// a File. An empty value gives Drive's default selection.
func fileMask(fields string) (fieldMask, *apiError) {
	if strings.TrimSpace(fields) == "" {
		fields = defaultFileFields
	}
	m, err := parseFields(fields)
	if err == nil {
		err = m.validate(fileFieldNames, nil)
	}
	if err != nil {
		return nil, fieldsError(err)
	}
	return m, nil
}

// listMask is fileMask for files.list.
func listMask(fields string) (fieldMask, *apiError) {
	if strings.TrimSpace(fields) == "" {
		fields = defaultListFields
	}
	m, err := parseFields(fields)
	if err == nil {
		err = m.validate(fileListFieldNames, map[string][]string{"files": fileFieldNames})
	}
	if err != nil {
		return nil, fieldsError(err)
	}
	return m, nil
}

func fieldsError(err error) *apiError {
	msg := err.Error()
	if strings.HasPrefix(msg, "invalid field selection ") {
		msg = "Invalid field selection " + strings.TrimPrefix(msg, "invalid field selection ")
	} else {
		msg = "Invalid field selection: " + msg
	}
	return paramError(http.StatusBadRequest, "invalidParameter", msg, "fields")
}
