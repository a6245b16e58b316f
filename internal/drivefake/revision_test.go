package drivefake_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	drive "google.golang.org/api/drive/v3"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"

	"github.com/siamledger/ledger-export/internal/drivefake"
)

// revisionService is a real drive/v3 client on a fake with one folder.
func revisionService(t *testing.T, opts drivefake.Options) (*drivefake.Server, *drive.Service) {
	t.Helper()
	opts.Folders = []string{folder}
	fake, err := drivefake.NewServer(opts)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	t.Cleanup(fake.Close)
	svc, err := drive.NewService(t.Context(), option.WithEndpoint(fake.URL()+"/drive/v3/"),
		option.WithHTTPClient(fake.Client()), option.WithoutAuthentication())
	if err != nil {
		t.Fatalf("drive.NewService: %v", err)
	}
	return fake, svc
}

// A new revision through files.update with a resumable media upload, as Drive v3 documents it: the file keeps its
// id, the head revision changes to the new content only when the upload completes, keepRevisionForever marks the
// new head, revisions.update marks the old one, and revisions.get with alt=media returns the old content.
// Bugs caught: an update upload that makes a new file (a new id), that changes the head before the last chunk, that
// drops the old content, or that ignores keepForever or keepRevisionForever.
func TestRevisionUploadThroughTheRealClient(t *testing.T) {
	fake, svc := revisionService(t, drivefake.Options{})
	ctx := t.Context()
	old := []byte("date,amount\n2026-11-28,1.00\n")
	f, err := svc.Files.Create(&drive.File{Name: "x.csv", Parents: []string{folder}}).
		Media(bytes.NewReader(old), googleapi.ContentType("text/csv")).Fields("id,headRevisionId").Context(ctx).Do()
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	revs, err := svc.Revisions.List(f.Id).Fields("revisions(id,keepForever,md5Checksum)").Context(ctx).Do()
	if err != nil || len(revs.Revisions) != 1 || revs.Revisions[0].Id != f.HeadRevisionId {
		t.Fatalf("revisions after create = %+v, %v; want the one head revision %s", revs, err, f.HeadRevisionId)
	}
	oldRev := f.HeadRevisionId
	if r, err := svc.Revisions.Update(f.Id, oldRev, &drive.Revision{KeepForever: true}).Fields("id,keepForever").Context(ctx).Do(); err != nil || !r.KeepForever {
		t.Fatalf("revisions.update keepForever = %+v, %v", r, err)
	}

	// A resumable update in two chunks: after the first, the head is still the old content.
	newContent := bytes.Repeat([]byte("2026-11-28,2.00\n"), (drivefake.ChunkGranularity+100)/16)
	var midHead string
	fake.AddFault(drivefake.Fault{Op: drivefake.OpChunk, Chunk: 2, Trigger: func() {
		midHead = fake.Revisions(f.Id)[len(fake.Revisions(f.Id))-1].ID
	}})
	g, err := svc.Files.Update(f.Id, &drive.File{AppProperties: map[string]string{"generation": "2"}}).
		Media(bytes.NewReader(newContent), googleapi.ChunkSize(drivefake.ChunkGranularity), googleapi.ContentType("text/csv")).
		KeepRevisionForever(true).Fields("id,headRevisionId,appProperties,md5Checksum").Context(ctx).Do()
	if err != nil {
		t.Fatalf("files.update with media: %v", err)
	}
	if g.Id != f.Id || g.HeadRevisionId == oldRev || g.AppProperties["generation"] != "2" {
		t.Fatalf("updated file = %+v; want the same id %s, a new head revision and the new property", g, f.Id)
	}
	if midHead != oldRev {
		t.Errorf("head revision during the upload = %q, want the old %q until the upload completes", midHead, oldRev)
	}
	list, err := svc.Revisions.List(f.Id).Fields("revisions(id,keepForever,md5Checksum)").Context(ctx).Do()
	if err != nil || len(list.Revisions) != 2 {
		t.Fatalf("revisions = %+v, %v; want 2", list, err)
	}
	if r0, r1 := list.Revisions[0], list.Revisions[1]; r0.Id != oldRev || !r0.KeepForever || r1.Id != g.HeadRevisionId || !r1.KeepForever || r1.Md5Checksum != g.Md5Checksum {
		t.Errorf("revisions = %+v, %+v; want the old one kept, then the new head kept (keepRevisionForever)", r0, r1)
	}
	resp, err := svc.Revisions.Get(f.Id, oldRev).Context(ctx).Download()
	if err != nil {
		t.Fatalf("revisions.get alt=media: %v", err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Equal(got, old) {
		t.Errorf("old revision's content = %q, want %q", got, old)
	}
	cur, err := svc.Files.Get(f.Id).Context(ctx).Download()
	if err != nil {
		t.Fatalf("files.get alt=media: %v", err)
	}
	got, _ = io.ReadAll(cur.Body)
	cur.Body.Close()
	if !bytes.Equal(got, newContent) {
		t.Errorf("the file's content is %d bytes, want the new %d", len(got), len(newContent))
	}
}

// An interrupted revision upload leaves the file as it was: the head revision and content are unchanged, and only
// one revision exists. Bug caught: a fake that stores a partial revision or moves the head before completion.
func TestInterruptedRevisionUploadLeavesTheFile(t *testing.T) {
	fake, svc := revisionService(t, drivefake.Options{})
	ctx := t.Context()
	f, err := svc.Files.Create(&drive.File{Name: "x.csv", Parents: []string{folder}}).
		Media(strings.NewReader("a\n")).Fields("id,headRevisionId").Context(ctx).Do()
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	fake.AddFault(drivefake.Fault{Op: drivefake.OpChunk, Chunk: 2, Status: http.StatusForbidden, Reason: "forbidden"})
	_, err = svc.Files.Update(f.Id, &drive.File{}).
		Media(bytes.NewReader(make([]byte, 2*drivefake.ChunkGranularity+1)), googleapi.ChunkSize(drivefake.ChunkGranularity)).
		KeepRevisionForever(true).Context(ctx).Do()
	var gerr *googleapi.Error
	if !errors.As(err, &gerr) || gerr.Code != http.StatusForbidden {
		t.Fatalf("update = %v, want the injected 403", err)
	}
	revs := fake.Revisions(f.Id)
	if len(revs) != 1 || revs[0].ID != f.HeadRevisionId || string(revs[0].Content) != "a\n" {
		t.Errorf("revisions after the interrupted upload = %+v; want only the original head", revs)
	}
}

// An unknown revision answers 404 with Drive's error format. Bug caught: a fake that answers another revision (or
// the head) for an id it does not hold.
func TestRevisionErrors(t *testing.T) {
	_, svc := revisionService(t, drivefake.Options{})
	ctx := context.Background()
	f, err := svc.Files.Create(&drive.File{Name: "x.csv", Parents: []string{folder}}).Media(strings.NewReader("a")).Context(ctx).Do()
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	_, err = svc.Revisions.Get(f.Id, "nope").Context(ctx).Do()
	var gerr *googleapi.Error
	if !errors.As(err, &gerr) || gerr.Code != http.StatusNotFound {
		t.Errorf("revisions.get of an unknown revision = %v, want 404", err)
	}
}
