// Package drive stores the export in Google Drive through the drive/v3 client: it finds a date's earlier files by
// their appProperties, streams a new file with a resumable upload in fixed-size chunks, sets the properties known
// only at the end, and trashes files. Every call supports Shared Drives. Errors come back classified from Drive's
// documented reasons (classify.go): a failure only a human can fix wraps export.ErrPermanent; rate limits wrap
// ErrRateLimited; an upload session that is gone or out of step wraps ErrSessionGone or ErrSessionOutOfSync.
package drive

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	drive "google.golang.org/api/drive/v3"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"
	htransport "google.golang.org/api/transport/http"

	"github.com/siamledger/ledger-export/internal/export"
)

// App is the appProperties value that marks files made by this function.
const App = "ledger-export"

// Config says where files go.
type Config struct {
	FolderID      string
	SharedDriveID string        // optional: lists then search that Shared Drive
	ChunkSize     int           // resumable chunk size, a multiple of 256 KiB
	CallTimeout   time.Duration // deadline of each metadata call; the upload runs under the caller's deadline
	MIMEType      string        // the files' content type; empty means text/csv
}

// Store is a Drive-backed export.Drive.
type Store struct {
	svc    *drive.Service
	client *http.Client // authenticated, with the progress transport; used for resumed sessions
	cfg    Config
}

var _ export.Drive = (*Store)(nil)

// New opens a Drive client with opts (credentials, endpoint, or an HTTP client of the caller's) and returns a
// Store on it. It dials nothing.
func New(ctx context.Context, cfg Config, opts ...option.ClientOption) (*Store, error) {
	base, _, err := htransport.NewClient(ctx, append([]option.ClientOption{option.WithScopes(drive.DriveScope)}, opts...)...)
	if err != nil {
		return nil, fmt.Errorf("open drive http client: %w", err)
	}
	next := base.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	client := &http.Client{Transport: progressTransport{next: next}}
	svc, err := drive.NewService(ctx, append(opts, option.WithHTTPClient(client))...)
	if err != nil {
		return nil, fmt.Errorf("open drive client: %w", err)
	}
	return &Store{svc: svc, client: client, cfg: cfg}, nil
}

const fileFields = "id,name,webViewLink,appProperties,md5Checksum"

// Find lists the live files made for the date in the folder.
func (s *Store) Find(ctx context.Context, date string) ([]export.File, error) {
	q := fmt.Sprintf("appProperties has { key='app' and value='%s' } and appProperties has { key='exportDate' and value='%s' } and '%s' in parents and trashed = false",
		Quote(App), Quote(date), Quote(s.cfg.FolderID))
	var out []export.File
	token := ""
	for {
		ctx, cancel := context.WithTimeout(ctx, s.cfg.CallTimeout)
		call := s.svc.Files.List().Q(q).Fields(googleapi.Field("nextPageToken,files(" + fileFields + ")")).
			PageSize(100).SupportsAllDrives(true).IncludeItemsFromAllDrives(true).OrderBy("createdTime").Context(ctx)
		if s.cfg.SharedDriveID != "" {
			call = call.Corpora("drive").DriveId(s.cfg.SharedDriveID)
		}
		if token != "" {
			call = call.PageToken(token)
		}
		res, err := call.Do()
		cancel()
		if err != nil {
			return nil, fmt.Errorf("list files of %s: %w", date, classify(err, onMetadata))
		}
		for _, f := range res.Files {
			out = append(out, file(f))
		}
		if token = res.NextPageToken; token == "" {
			return out, nil
		}
	}
}

// Upload streams body into a new CSV file in the folder with a resumable upload. The client sends one chunk at a
// time and retries a chunk on 5xx, 429 and 408 within its own bounded retry deadline. progress, when set, hears the
// session URI and every offset Drive confirms. A failure on the upload session is told from one on the file's
// metadata (see sessionError): a 404 from the session wraps ErrSessionGone, not export.ErrPermanent.
//
// With f.Replace set, the upload is a new revision of that file instead (revision.go).
func (s *Store) Upload(ctx context.Context, f export.NewFile, body io.Reader, progress func(export.UploadProgress)) (export.File, error) {
	if f.Replace != "" {
		return s.uploadRevision(ctx, f, body, progress)
	}
	base := ctx
	tr := &tracker{progress: progress}
	ctx = context.WithValue(ctx, trackerKey{}, tr)
	meta := &drive.File{
		Name:     f.Name,
		Parents:  []string{s.cfg.FolderID},
		MimeType: s.mimeType(),
		AppProperties: map[string]string{
			"app":        App,
			"exportDate": f.Date,
			"generation": strconv.FormatInt(f.Generation, 10),
		},
	}
	res, err := s.svc.Files.Create(meta).
		Media(body, googleapi.ChunkSize(s.cfg.ChunkSize), googleapi.ContentType(s.mimeType())).
		SupportsAllDrives(true).Fields(fileFields).Context(ctx).Do()
	if err != nil {
		if uri, sent, ok := tr.sessionFailure(err); ok {
			return export.File{}, fmt.Errorf("upload %s: %w", f.Name, s.sessionError(base, uri, sent, err))
		}
		return export.File{}, fmt.Errorf("upload %s: %w", f.Name, classify(err, onMetadata))
	}
	return file(res), nil
}

// Finalize adds properties to a file (other properties stay) and sets its description, which Drive shows in
// the file's details pane.
func (s *Store) Finalize(ctx context.Context, id string, props map[string]string, description string) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.CallTimeout)
	defer cancel()
	_, err := s.svc.Files.Update(id, &drive.File{AppProperties: props, Description: description}).SupportsAllDrives(true).Fields("id").Context(ctx).Do()
	if err != nil {
		return fmt.Errorf("set properties of %s: %w", id, classify(err, onMetadata))
	}
	return nil
}

// Trash moves a file to the trash.
func (s *Store) Trash(ctx context.Context, id string) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.CallTimeout)
	defer cancel()
	_, err := s.svc.Files.Update(id, &drive.File{Trashed: true}).SupportsAllDrives(true).Fields("id").Context(ctx).Do()
	if err != nil {
		return fmt.Errorf("trash %s: %w", id, classify(err, onMetadata))
	}
	return nil
}

func file(f *drive.File) export.File {
	return export.File{ID: f.Id, Name: f.Name, WebViewLink: f.WebViewLink, Properties: f.AppProperties, MD5: f.Md5Checksum}
}

// Quote escapes a value for a single-quoted string in a files.list query: Drive's query language takes \' for a
// quote and \\ for a backslash.
func Quote(s string) string {
	return strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s)
}

// MIMEType is the content type of an export in the given format (csv or xlsx).
func MIMEType(format string) string {
	if format == "xlsx" {
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	return "text/csv"
}

func (s *Store) mimeType() string {
	if s.cfg.MIMEType == "" {
		return "text/csv"
	}
	return s.cfg.MIMEType
}
