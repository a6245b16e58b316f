package function_test

import (
	"archive/zip"
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/siamledger/ledger-export/internal/drivefake"
)

// TestXLSXFailuresListedAlikeAfterARetry: an XLSX export in Thai (LANGUAGE's default) lists each failed entry
// with what was read of its journal, and an attempt that retries after a failed upload (a file this small goes up
// in one multipart request; the broken entries are marked failed before it), which reads those entries
// as already marked failed, writes the same bytes as a clean run of the same data (a resumed upload and the
// adopt-by-MD5 check rely on that). Fails if the wiring drops LANGUAGE (the summary is in English), or if an entry
// marked failed is read without its journal (the retry's summary loses the failures' memos and amounts, and its
// bytes differ from the clean run's).
func TestXLSXFailuresListedAlikeAfterARetry(t *testing.T) {
	d := demoData(12)
	var want answer
	t.Run("clean", func(t *testing.T) { // its own database and lock collection
		clean := newEnv(t, map[string]string{"OUTPUT_FORMAT": "xlsx"})
		clean.seed(d)
		var code int
		code, want, _ = clean.trigger(clean.h, "")
		if code != http.StatusOK || want.Summary == nil || want.Summary.EntriesFailed != int64(d.Invalid) {
			t.Fatalf("clean export = %d %+v, want 200 with %d failed entries", code, want, d.Invalid)
		}
	})
	if want.Summary == nil {
		t.FailNow()
	}
	fault := drivefake.Fault{Op: drivefake.OpMultipart, Status: http.StatusForbidden, Reason: "userRateLimitExceeded"}
	e := newEnv(t, map[string]string{"OUTPUT_FORMAT": "xlsx"}, fault)
	e.seed(d)
	if code, a, _ := e.trigger(e.h, ""); code != http.StatusServiceUnavailable {
		t.Fatalf("first trigger = %d %+v, want 503 (the upload failed)", code, a)
	}
	if got := e.statuses(); got["failed"] != d.Invalid {
		t.Fatalf("queue after the failed upload = %v, want the %d broken entries marked failed", got, d.Invalid)
	}
	e.clock.Set(e.clock.Now().Add(5 * time.Minute))
	code, got, _ := e.trigger(e.handler(), "")
	if code != http.StatusOK || got.Summary == nil || got.Summary.Attempt != 2 {
		t.Fatalf("retry = %d %+v, want 200 on attempt 2", code, got)
	}
	if got.Summary.SHA256 != want.Summary.SHA256 || got.Summary.Bytes != want.Summary.Bytes {
		t.Errorf("the retry wrote %d bytes, sha256 %s; a clean run writes %d bytes, sha256 %s", got.Summary.Bytes, got.Summary.SHA256,
			want.Summary.Bytes, want.Summary.SHA256)
	}
	f, ok := e.fake.File(got.Summary.FileID)
	if !ok {
		t.Fatalf("file %s is not in Drive", got.Summary.FileID)
	}
	zr, err := zip.NewReader(bytes.NewReader(f.Content), int64(len(f.Content)))
	if err != nil {
		t.Fatal(err)
	}
	var summary string
	for _, z := range zr.File {
		if z.Name == "xl/worksheets/sheet2.xml" {
			rc, _ := z.Open()
			b, _ := io.ReadAll(rc)
			rc.Close()
			summary = string(b)
		}
	}
	for _, want := range []string{"สรุปการส่งออกบัญชีแยกประเภท", "ยอดรวมตามบัญชี", "unbalanced journal", "line whose debit is a string", "<v>99.99</v>"} {
		if !strings.Contains(summary, want) {
			t.Errorf("the summary sheet lacks %q", want)
		}
	}
}
