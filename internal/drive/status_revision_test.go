package drive_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/siamledger/ledger-export/internal/drivefake"
	"github.com/siamledger/ledger-export/internal/export"
)

// Status of a revision session whose last chunk Drive took (the attempt died before recording the file) reports
// the file complete with the revision the upload kept, as Resume would. Bug caught: the kept revision looked up
// only by Resume, so an attempt that finds the upload complete through Status records a re-export's correction
// that does not say where the earlier content is.
func TestStatusOfACompletedRevisionNamesTheKeptRevision(t *testing.T) {
	fake, s := revisionStore(t, drivefake.Fault{Op: drivefake.OpChunk, Chunk: 2, Status: http.StatusForbidden, Reason: "forbidden"})
	ctx := t.Context()
	f1, err := s.Upload(ctx, export.NewFile{Name: "x.csv", Date: "2026-11-28", Generation: 1}, strings.NewReader("one"), nil)
	if err != nil {
		t.Fatal(err)
	}
	body := bytes.Repeat([]byte("r"), 3*256<<10+5)
	var last export.UploadProgress
	if _, err := s.Upload(ctx, export.NewFile{Name: "x.csv", Date: "2026-11-28", Generation: 2, Replace: f1.ID, ReplaceMD5: f1.MD5},
		bytes.NewReader(body), func(p export.UploadProgress) { last = p }); err == nil || last.SessionURI == "" {
		t.Fatalf("interrupted upload = %v, progress %+v; want a failure after the first chunk", err, last)
	}
	if _, err := s.Resume(ctx, export.UploadSession{URI: last.SessionURI, Offset: last.Offset}, bytes.NewReader(body[last.Offset:]), nil); err != nil {
		t.Fatalf("Resume: %v", err)
	}
	st, err := s.Status(ctx, export.UploadSession{URI: last.SessionURI})
	revs := fake.Revisions(f1.ID)
	if err != nil || st.Complete == nil || len(revs) != 2 || st.Complete.ID != f1.ID || st.Complete.KeptRevision != revs[0].ID {
		t.Fatalf("Status of the completed revision session = %+v, %v; want file %s with kept revision %s", st, err, f1.ID, revs[0].ID)
	}
}
