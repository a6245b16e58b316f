package drive_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/api/option"

	"github.com/siamledger/ledger-export/internal/drive"
	"github.com/siamledger/ledger-export/internal/drivefake"
	"github.com/siamledger/ledger-export/internal/export"
)

func revisionStore(t *testing.T, faults ...drivefake.Fault) (*drivefake.Server, *drive.Store) {
	t.Helper()
	fake, err := drivefake.NewServer(drivefake.Options{Folders: []string{"f"}, Faults: faults})
	if err != nil {
		t.Fatalf("drivefake.NewServer: %v", err)
	}
	t.Cleanup(fake.Close)
	s, err := drive.New(t.Context(), drive.Config{FolderID: "f", ChunkSize: 256 << 10, CallTimeout: 10 * time.Second},
		option.WithEndpoint(fake.URL()+"/drive/v3/"), option.WithoutAuthentication())
	if err != nil {
		t.Fatalf("drive.New: %v", err)
	}
	return fake, s
}

// Upload with Replace makes a new revision of the recorded file: the same id, the replaced content's revision
// kept forever and named in KeptRevision, the new head kept too. A retried re-export, after an earlier try whose
// revision completed, keeps the revision of the content the date had before (found by its MD5), not the
// intermediate one. Bugs caught: a re-export that creates a second file, keeps the wrong revision, or none.
func TestUploadRevisionKeepsTheReplacedContent(t *testing.T) {
	fake, s := revisionStore(t)
	ctx := t.Context()
	f1, err := s.Upload(ctx, export.NewFile{Name: "x.csv", Date: "2026-11-28", Generation: 1}, strings.NewReader("one\r\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	rev1 := fake.Revisions(f1.ID)[0]
	f2, err := s.Upload(ctx, export.NewFile{Name: "x.csv", Date: "2026-11-28", Generation: 2, Replace: f1.ID, ReplaceMD5: f1.MD5}, strings.NewReader("two\r\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if f2.ID != f1.ID || f2.KeptRevision != rev1.ID || f2.MD5 == f1.MD5 || f2.Properties["generation"] != "2" {
		t.Fatalf("revision upload = %+v; want file %s, kept revision %s, the new content and generation 2", f2, f1.ID, rev1.ID)
	}
	revs := fake.Revisions(f1.ID)
	if len(revs) != 2 || !revs[0].KeepForever || string(revs[0].Content) != "one\r\n" || !revs[1].KeepForever || string(revs[1].Content) != "two\r\n" {
		t.Errorf("revisions = %+v; want one (kept) then two (kept)", revs)
	}
	// A retry of the same re-export (the first try's revision completed but was not recorded): the revision kept is
	// still the date's earlier content.
	f3, err := s.Upload(ctx, export.NewFile{Name: "x.csv", Date: "2026-11-28", Generation: 3, Replace: f1.ID, ReplaceMD5: f1.MD5}, strings.NewReader("three\r\n"), nil)
	if err != nil || f3.KeptRevision != rev1.ID {
		t.Errorf("retried revision upload = %+v, %v; want kept revision %s", f3, err, rev1.ID)
	}
	if files, err := s.Find(ctx, "2026-11-28"); err != nil || len(files) != 1 {
		t.Errorf("Find = %d files, %v; want the one file", len(files), err)
	}
}

// A revision upload interrupted after a confirmed chunk is resumed from the recorded session: the file gets its new
// head only then, and Resume names the kept revision. Bug caught: a resumed revision session whose kept revision
// is lost (the correction would not say where the earlier content is).
func TestResumeRevisionUpload(t *testing.T) {
	fake, s := revisionStore(t, drivefake.Fault{Op: drivefake.OpChunk, Chunk: 2, Status: http.StatusForbidden, Reason: "forbidden"})
	ctx := t.Context()
	f1, err := s.Upload(ctx, export.NewFile{Name: "x.csv", Date: "2026-11-28", Generation: 1}, strings.NewReader("one"), nil)
	if err != nil {
		t.Fatal(err)
	}
	body := bytes.Repeat([]byte("r"), 3*256<<10+5)
	var last export.UploadProgress
	_, err = s.Upload(ctx, export.NewFile{Name: "x.csv", Date: "2026-11-28", Generation: 2, Replace: f1.ID, ReplaceMD5: f1.MD5},
		bytes.NewReader(body), func(p export.UploadProgress) { last = p })
	if err == nil || last.Offset != 256<<10 || last.SessionURI == "" {
		t.Fatalf("interrupted upload = %v, progress %+v; want a failure after the first chunk", err, last)
	}
	if revs := fake.Revisions(f1.ID); len(revs) != 1 || !revs[0].KeepForever {
		t.Fatalf("revisions mid-upload = %+v; want only the earlier one, kept", revs)
	}
	st, err := s.Status(ctx, export.UploadSession{URI: last.SessionURI})
	if err != nil || st.Offset != last.Offset {
		t.Fatalf("Status = %+v, %v", st, err)
	}
	f, err := s.Resume(ctx, export.UploadSession{URI: last.SessionURI, Offset: last.Offset}, bytes.NewReader(body[last.Offset:]), nil)
	if err != nil {
		t.Fatalf("Resume: %v", err)
	}
	revs := fake.Revisions(f1.ID)
	if f.ID != f1.ID || len(revs) != 2 || f.KeptRevision != revs[0].ID || !bytes.Equal(revs[1].Content, body) {
		t.Errorf("resumed = %+v, revisions %d; want file %s with the new head and kept revision %s", f, len(revs), f1.ID, revs[0].ID)
	}
}
