package drive_test

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/siamledger/ledger-export/internal/drivefake"
	"github.com/siamledger/ledger-export/internal/export"
)

// fakeCall sends a request straight to the fake Drive's API, as another client (a person in the Drive UI) would.
func fakeCall(t *testing.T, c *http.Client, method, url, body string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%s %s = %s", method, url, resp.Status)
	}
}

// The kept revision a completed revision session reports is the newest revision before the head that is kept
// forever, looking back past revisions that are not. Bug caught: the look-back running towards the head (it then
// names the new head as the kept earlier content, or reads past the end of the list).
func TestKeptRevisionLooksBackPastUnkeptRevisions(t *testing.T) {
	fake, s := revisionStore(t)
	ctx := t.Context()
	f1, err := s.Upload(ctx, export.NewFile{Name: "x.csv", Date: "2026-11-28", Generation: 1}, strings.NewReader("one"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Upload(ctx, export.NewFile{Name: "x.csv", Date: "2026-11-28", Generation: 2, Replace: f1.ID, ReplaceMD5: f1.MD5}, strings.NewReader("two"), nil); err != nil {
		t.Fatal(err)
	}
	revs := fake.Revisions(f1.ID)
	if len(revs) != 2 {
		t.Fatalf("revisions = %+v, want 2", revs)
	}
	// Someone un-keeps the second revision in Drive; a third upload then replaces the first content again.
	fakeCall(t, fake.Client(), http.MethodPatch, fake.URL()+"/drive/v3/files/"+f1.ID+"/revisions/"+revs[1].ID, `{"keepForever": false}`)
	var last export.UploadProgress
	body := bytes.Repeat([]byte("3"), 256<<10+7)
	if _, err := s.Upload(ctx, export.NewFile{Name: "x.csv", Date: "2026-11-28", Generation: 3, Replace: f1.ID, ReplaceMD5: f1.MD5},
		bytes.NewReader(body), func(p export.UploadProgress) { last = p }); err != nil || last.SessionURI == "" {
		t.Fatalf("third upload = %v, progress %+v", err, last)
	}
	st, err := s.Status(ctx, export.UploadSession{URI: last.SessionURI})
	if err != nil || st.Complete == nil || st.Complete.KeptRevision != revs[0].ID {
		t.Errorf("Status of the completed session = %+v, %v; want kept revision %s (the first; the second is not kept)", st, err, revs[0].ID)
	}
}

// A re-export whose recorded file was deleted for good (revisions.list answers 404) reports ErrReplaceGone, so
// that the export makes a new file; another failure of the list does not. Bugs caught: a deleted file taken for
// an outage (the re-export fails on every attempt), an outage taken for a deleted file (a second file for the
// date).
func TestReplaceOfADeletedFileIsGone(t *testing.T) {
	fake, s := revisionStore(t)
	ctx := t.Context()
	f1, err := s.Upload(ctx, export.NewFile{Name: "x.csv", Date: "2026-11-28", Generation: 1}, strings.NewReader("one"), nil)
	if err != nil {
		t.Fatal(err)
	}
	fakeCall(t, fake.Client(), http.MethodDelete, fake.URL()+"/drive/v3/files/"+f1.ID+"?supportsAllDrives=true", "")
	_, err = s.Upload(ctx, export.NewFile{Name: "x.csv", Date: "2026-11-28", Generation: 2, Replace: f1.ID, ReplaceMD5: f1.MD5}, strings.NewReader("two"), nil)
	if !errors.Is(err, export.ErrReplaceGone) {
		t.Errorf("re-export of a deleted file = %v, want ErrReplaceGone", err)
	}
	f2, err := s.Upload(ctx, export.NewFile{Name: "y.csv", Date: "2026-11-29", Generation: 1}, strings.NewReader("one"), nil)
	if err != nil {
		t.Fatal(err)
	}
	fake.AddFault(drivefake.Fault{Op: drivefake.OpRevision, Status: http.StatusInternalServerError, Times: 10})
	_, err = s.Upload(ctx, export.NewFile{Name: "y.csv", Date: "2026-11-29", Generation: 2, Replace: f2.ID, ReplaceMD5: f2.MD5}, strings.NewReader("two"), nil)
	if err == nil || errors.Is(err, export.ErrReplaceGone) {
		t.Errorf("re-export while revisions.list fails with 500 = %v, want an error that is not ErrReplaceGone", err)
	}
}
