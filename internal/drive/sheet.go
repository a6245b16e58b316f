package drive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"google.golang.org/api/googleapi"

	"github.com/siamledger/ledger-export/internal/export"
)

// SpreadsheetMimeType is a Google Sheet's MIME type.
const SpreadsheetMimeType = "application/vnd.google-apps.spreadsheet"

// MaxSheetBytes bounds a sheet read from the folder: files.export's own limit for a Google Sheet (10 MB), and the
// same for a CSV. An account map is a few kilobytes.
const MaxSheetBytes = 10 << 20

// Sheet is a table the accountant keeps in the export folder (the account map), as read at one moment.
type Sheet struct {
	ID       string
	Name     string
	MimeType string // SpreadsheetMimeType or text/csv
	// Version is Drive's version number of the file, which rises with every change to it.
	Version  int64
	Modified time.Time
	// Content is the CSV: a Google Sheet's first sheet as files.export renders it, or the CSV file's bytes.
	Content []byte
}

// Kind names the sheet's format for people: "Google Sheet" or "CSV".
func (s Sheet) Kind() string {
	if s.MimeType == SpreadsheetMimeType {
		return "Google Sheet"
	}
	return "CSV"
}

// ReadSheet reads the table named name from the export folder: a Google Sheet called name (its first sheet,
// exported as CSV), or a CSV file called name or name.csv. Anything the accountant must fix (no such file, two of
// them, an Excel workbook, a file too large) wraps export.ErrAccountMap with the fix in the message; Drive's own
// failures come back classified as for every other call.
//
// Why these formats: a Google Sheet is where an accountant already works in Drive, with its revision history,
// comments and sharing, and Drive exports its first sheet as CSV without loss; a CSV is what any spreadsheet
// saves. An uploaded .xlsx is refused with the one-click fix (File → Save as Google Sheets) rather than parsed:
// reading workbooks would need an XLSX reader for a file Drive converts itself.
func (s *Store) ReadSheet(ctx context.Context, name string) (Sheet, error) {
	q := fmt.Sprintf("'%s' in parents and trashed = false and (name = '%s' or name = '%s' or name = '%s')",
		Quote(s.cfg.FolderID), Quote(name), Quote(name+".csv"), Quote(name+".xlsx"))
	lctx, cancel := context.WithTimeout(ctx, s.cfg.CallTimeout)
	call := s.svc.Files.List().Q(q).Fields("files(id,name,mimeType,version,modifiedTime)").PageSize(10).
		SupportsAllDrives(true).IncludeItemsFromAllDrives(true).OrderBy("createdTime").Context(lctx)
	if s.cfg.SharedDriveID != "" {
		call = call.Corpora("drive").DriveId(s.cfg.SharedDriveID)
	}
	res, err := call.Do()
	cancel()
	if err != nil {
		return Sheet{}, fmt.Errorf("find %q in the export folder: %w", name, classify(err, onMetadata))
	}
	switch n := len(res.Files); {
	case n == 0:
		return Sheet{}, fmt.Errorf("%w: no Google Sheet or CSV named %q in the export folder", export.ErrAccountMap, name)
	case n > 1:
		var names []string
		for _, f := range res.Files {
			names = append(names, fmt.Sprintf("%s (%s)", f.Name, f.Id))
		}
		return Sheet{}, fmt.Errorf("%w: %d files in the export folder could be %q: %s; keep one (trash the others)",
			export.ErrAccountMap, n, name, strings.Join(names, ", "))
	}
	f := res.Files[0]
	sh := Sheet{ID: f.Id, Name: f.Name, MimeType: f.MimeType, Version: f.Version}
	sh.Modified, _ = time.Parse(time.RFC3339Nano, f.ModifiedTime)
	var body io.ReadCloser
	rctx, cancel := context.WithTimeout(ctx, s.cfg.CallTimeout)
	defer cancel()
	switch {
	case f.MimeType == SpreadsheetMimeType:
		resp, err := s.svc.Files.Export(f.Id, "text/csv").Context(rctx).Download()
		if err != nil {
			if g := (*googleapi.Error)(nil); errors.As(err, &g) && hasReason(g, "exportSizeLimitExceeded") {
				return Sheet{}, fmt.Errorf("%w: %s is larger than Drive exports (10 MB)", export.ErrAccountMap, f.Name)
			}
			return Sheet{}, fmt.Errorf("export %s as CSV: %w", f.Name, classify(err, onMetadata))
		}
		body = resp.Body
	case strings.HasSuffix(strings.ToLower(f.Name), ".xlsx") || f.MimeType == MIMEType("xlsx"):
		return Sheet{}, fmt.Errorf("%w: %s is an Excel workbook; open it in Google Sheets and use File → Save as Google Sheets (then trash the .xlsx), or upload it as CSV",
			export.ErrAccountMap, f.Name)
	default:
		resp, err := s.svc.Files.Get(f.Id).SupportsAllDrives(true).Context(rctx).Download()
		if err != nil {
			return Sheet{}, fmt.Errorf("download %s: %w", f.Name, classify(err, onMetadata))
		}
		body = resp.Body
		sh.MimeType = "text/csv"
	}
	defer body.Close()
	b, err := io.ReadAll(io.LimitReader(body, MaxSheetBytes+1))
	if err != nil {
		return Sheet{}, fmt.Errorf("read %s: %w", f.Name, classify(err, onMetadata))
	}
	if len(b) > MaxSheetBytes {
		return Sheet{}, fmt.Errorf("%w: %s is larger than 10 MB", export.ErrAccountMap, f.Name)
	}
	sh.Content = b
	return sh, nil
}
