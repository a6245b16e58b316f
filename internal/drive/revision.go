package drive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	drive "google.golang.org/api/drive/v3"
	"google.golang.org/api/googleapi"

	"github.com/siamledger/ledger-export/internal/export"
)

// A re-export replaces the content of the date's recorded file with a new revision, so that the accountant's link
// keeps working, following Drive v3's documented calls: the revision holding the content being replaced is marked
// keepForever (revisions.update), then the new content goes up as a resumable files.update media upload
// (uploadType=resumable on /upload/drive/v3/files/{fileId}) with keepRevisionForever=true. Drive makes the new
// revision the head only when the upload completes, so an interrupted upload leaves the earlier content as it was.

// uploadRevision streams body into a new revision of f.Replace.
func (s *Store) uploadRevision(ctx context.Context, f export.NewFile, body io.Reader, progress func(export.UploadProgress)) (export.File, error) {
	kept, err := s.keepRevision(ctx, f.Replace, f.ReplaceMD5)
	if err != nil {
		return export.File{}, err
	}
	base := ctx
	tr := &tracker{progress: progress}
	ctx = context.WithValue(ctx, trackerKey{}, tr)
	// Trashed false brings back a file someone moved to the trash: the date's file is live again.
	meta := &drive.File{AppProperties: map[string]string{"generation": strconv.FormatInt(f.Generation, 10)}, Trashed: false, ForceSendFields: []string{"Trashed"}}
	res, err := s.svc.Files.Update(f.Replace, meta).
		Media(body, googleapi.ChunkSize(s.cfg.ChunkSize), googleapi.ContentType(s.mimeType())).
		KeepRevisionForever(true).SupportsAllDrives(true).Fields(fileFields).Context(ctx).Do()
	if err != nil {
		if uri, sent, ok := tr.sessionFailure(err); ok {
			return export.File{}, fmt.Errorf("upload a revision of %s: %w", f.Replace, s.sessionError(base, uri, sent, err))
		}
		return export.File{}, fmt.Errorf("upload a revision of %s: %w", f.Replace, classify(err, onMetadata))
	}
	out := file(res)
	out.KeptRevision = kept
	return out, nil
}

// revisions lists a file's revisions, oldest first (the last is the head).
func (s *Store) revisions(ctx context.Context, id string) ([]*drive.Revision, error) {
	var out []*drive.Revision
	token := ""
	for {
		cctx, cancel := context.WithTimeout(ctx, s.cfg.CallTimeout)
		call := s.svc.Revisions.List(id).Fields("nextPageToken,revisions(id,md5Checksum,keepForever)").PageSize(1000).Context(cctx)
		if token != "" {
			call = call.PageToken(token)
		}
		res, err := call.Do()
		cancel()
		if err != nil {
			return nil, fmt.Errorf("list revisions of %s: %w", id, classify(err, onMetadata))
		}
		out = append(out, res.Revisions...)
		if token = res.NextPageToken; token == "" {
			return out, nil
		}
	}
}

// keepRevision marks keepForever the newest revision of the file whose content has the MD5 (the head when md5 is
// empty or no revision has it), and returns its id.
func (s *Store) keepRevision(ctx context.Context, id, md5 string) (string, error) {
	revs, err := s.revisions(ctx, id)
	var gerr *googleapi.Error
	if errors.As(err, &gerr) && gerr.Code == http.StatusNotFound {
		return "", fmt.Errorf("%w: file %s: %w", export.ErrReplaceGone, id, err)
	}
	if err != nil {
		return "", err
	}
	if len(revs) == 0 {
		return "", fmt.Errorf("%w: file %s has no revision to keep", export.ErrPermanent, id)
	}
	pick := revs[len(revs)-1]
	for i := len(revs) - 1; md5 != "" && i >= 0; i-- {
		if revs[i].Md5Checksum == md5 {
			pick = revs[i]
			break
		}
	}
	if pick.KeepForever {
		return pick.Id, nil
	}
	cctx, cancel := context.WithTimeout(ctx, s.cfg.CallTimeout)
	defer cancel()
	if _, err := s.svc.Revisions.Update(id, pick.Id, &drive.Revision{KeepForever: true}).Fields("id,keepForever").Context(cctx).Do(); err != nil {
		return "", fmt.Errorf("keep revision %s of %s forever: %w", pick.Id, id, classify(err, onMetadata))
	}
	return pick.Id, nil
}

// keptRevision is, for a file whose revision upload completed, the revision that upload kept: the newest revision
// before the head marked keepForever ("" when there is none).
func (s *Store) keptRevision(ctx context.Context, id string) (string, error) {
	revs, err := s.revisions(ctx, id)
	if err != nil {
		return "", err
	}
	for i := len(revs) - 2; i >= 0; i-- {
		if revs[i].KeepForever {
			return revs[i].Id, nil
		}
	}
	return "", nil
}

// revisionSession reports whether a session URI belongs to a files.update upload (a new revision of a file).
func revisionSession(uri string) bool {
	u, err := url.Parse(uri)
	return err == nil && strings.Contains(u.Path, "/upload/drive/v3/files/")
}

// withKept fills KeptRevision on a file a revision session completed.
func (s *Store) withKept(ctx context.Context, uri string, f export.File) (export.File, error) {
	if !revisionSession(uri) {
		return f, nil
	}
	kept, err := s.keptRevision(ctx, f.ID)
	if err != nil {
		return export.File{}, err
	}
	f.KeptRevision = kept
	return f, nil
}
