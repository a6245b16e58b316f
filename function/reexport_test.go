package function_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/siamledger/ledger-export/function"
	"github.com/siamledger/ledger-export/internal/drivefake"
	"github.com/siamledger/ledger-export/internal/export"
	"github.com/siamledger/ledger-export/internal/lease"
)

// operator is the email in the identity token the fake gcloud prints.
const operator = "ops@example.com"

// idToken is an identity token as Cloud Run forwards it after its invoker check: header, payload with the
// caller's email, and the signature replaced.
func idToken(email string) string {
	enc := base64.RawURLEncoding.EncodeToString
	claims, _ := json.Marshal(map[string]any{"iss": "https://accounts.google.com", "email": email, "email_verified": true, "aud": "x"})
	return enc([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." + enc(claims) + ".SIGNATURE_REMOVED_BY_GOOGLE"
}

// command runs an operator's make target (scripts/deploy.mk, the way the runbook says) against this test's
// function served over HTTP on a local port: the real gcloud.sh and the real curl, with a fake gcloud that prints
// an identity token of the operator. It returns the HTTP status and the function's answer as the command printed
// them.
func (e *env) command(h *function.Handler, args ...string) (int, answer, string) {
	e.t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	bin := e.t.TempDir()
	gcloud := "#!/usr/bin/env bash\n[ \"$1 $2\" = \"auth print-identity-token\" ] && { echo '" + idToken(operator) + "'; exit 0; }\necho unexpected >&2; exit 1\n"
	if err := os.WriteFile(filepath.Join(bin, "gcloud"), []byte(gcloud), 0o755); err != nil {
		e.t.Fatal(err)
	}
	cmd := exec.Command("make", append([]string{"-s", "-f", "../scripts/deploy.mk"}, args...)...)
	cmd.Env = []string{"PATH=" + bin + ":/usr/bin:/bin", "HOME=" + e.t.TempDir(), "TERRAFORM_DIR=" + e.t.TempDir(),
		"GCP_PROJECT=test-project", "FUNCTION_URL=" + srv.URL, "FUNCTION_TIMEOUT=120"}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	out := stdout.String()
	i := strings.LastIndex(out, "\nHTTP ")
	if i < 0 {
		e.t.Fatalf("make %v printed no HTTP status (%v):\n%s\n%s", args, err, out, stderr.String())
	}
	code, _ := strconv.Atoi(strings.TrimSpace(out[i+len("\nHTTP "):]))
	if (err == nil) != (code < 400) {
		e.t.Errorf("make %v: exit %v with HTTP %d; want success exactly for 2xx", args, err, code)
	}
	body := out[strings.Index(out, "\n")+1 : i]
	var a answer
	if err := json.Unmarshal([]byte(body), &a); err != nil {
		e.t.Fatalf("make %v: answer %q is not JSON: %v", args, body, err)
	}
	return code, a, out
}

// record reads the date's lock as GET /?date=D shows it.
func (e *env) record() export.Record {
	e.t.Helper()
	code, a := e.get("/?date=" + date)
	if code != http.StatusOK || a.Record == nil {
		e.t.Fatalf("GET /?date=%s = %d %+v", date, code, a)
	}
	return *a.Record
}

// Defect 1 of issue 18: two attempts fail on a Drive 503, leaving the entries exporting at generation 2. The
// runbook's re-export (re-queue with mongosh, delete the lock) restarted the generation at 1 and exported nothing,
// and 8 entries stayed exporting for good. Now the operator runs make reexport: it continues under the date's
// lease at generation 3 and exports every entry once, nothing stays exporting, and the lock's audit trail names
// the operator and the reason. Fails on the old code (no reexport field: 400), and with a generation that
// restarts or a claim that leaves the older generation's entries behind.
func TestReexportCommandAfterTwoDriveOutages(t *testing.T) {
	e := newEnv(t, nil, drivefake.Fault{Op: drivefake.OpMultipart, Status: http.StatusServiceUnavailable, Reason: "backendError", Times: -1})
	d := demoData(30)
	e.seed(d)
	for i := range 2 {
		if code, a, _ := e.trigger(e.handler(), ""); code != http.StatusServiceUnavailable {
			t.Fatalf("attempt %d = %d %+v, want 503", i+1, code, a)
		}
		e.clock.Set(e.clock.Now().Add(5 * time.Minute))
	}
	if got := e.statuses(); got["exporting"] < d.Valid {
		t.Fatalf("queue after two outages = %v, want the valid entries exporting", got)
	}
	e.fake.ClearFaults()
	code, a, _ := e.command(e.handler(), "reexport", "DATE="+date, "REASON=Drive was down twice")
	if code != http.StatusOK || a.Outcome != "exported" || a.Summary.Generation != 3 {
		t.Fatalf("make reexport = %d %+v, want 200 exported at generation 3", code, a)
	}
	e.checkExactlyOnce(d)
	if got := e.statuses(); got["exporting"] != 0 || got["queued"] != 0 {
		t.Errorf("queue = %v, want nothing exporting or queued", got)
	}
	rec := e.record()
	if len(rec.Audit) != 1 || rec.Audit[0].By != operator || rec.Audit[0].Reason != "Drive was down twice" || rec.Audit[0].After.EntriesExported != int64(d.Valid) {
		t.Errorf("audit trail = %+v, want the operator's re-export with %d entries after", rec.Audit, d.Valid)
	}
}

// make reexport answers 409 while another attempt holds the date's lease, and changes nothing; so does a second
// re-export while the first one runs. make invoke CLEAR_FAILURE=1 unblocks a date blocked by a permanent failure.
// Bugs caught: a re-export that takes a live lease over (two writers on one date), a busy answer the command
// reports as success, a clear-failure command that does not reach the function.
func TestCommandsAnswer409WhileBusyAndClearAFailure(t *testing.T) {
	e := newEnv(t, nil, drivefake.Fault{Op: drivefake.OpMultipart, Status: http.StatusForbidden, Reason: "insufficientFilePermissions"})
	d := demoData(10)
	e.seed(d)
	held, err := lockFor(e, "another-instance")
	if err != nil || held.Outcome != export.LockAcquired {
		t.Fatalf("lockFor = %+v, %v", held, err)
	}
	before := len(e.fake.Requests())
	for _, args := range [][]string{
		{"reexport", "DATE=" + date, "REASON=while busy"},
		{"retry-failed", "DATE=" + date},
		{"invoke", "DATE=" + date, "CLEAR_FAILURE=1"},
	} {
		if code, a, _ := e.command(e.h, args...); code != http.StatusConflict || a.Outcome != "busy" {
			t.Errorf("make %v while another attempt holds the lease = %d %+v, want 409 busy", args, code, a)
		}
	}
	if n := len(e.fake.Requests()) - before; n != 0 {
		t.Errorf("busy commands sent %d requests to Drive, want none", n)
	}
	if rec := e.record(); rec.Generation != 1 {
		t.Errorf("generation after busy commands = %d, want 1", rec.Generation)
	}

	// The holder's lease ends; the run is blocked by Drive's permission error until the operator clears it.
	e.clock.Set(e.clock.Now().Add(36 * time.Minute))
	if code, a, _ := e.trigger(e.handler(), ""); code != http.StatusInternalServerError {
		t.Fatalf("trigger = %d %+v, want 500 (permanent)", code, a)
	}
	e.clock.Set(e.clock.Now().Add(time.Minute))
	if code, a, _ := e.command(e.handler(), "invoke", "DATE="+date); code != http.StatusInternalServerError || !strings.Contains(a.Error, "clearFailure") {
		t.Errorf("make invoke while blocked = %d %+v, want 500 naming clearFailure", code, a)
	}
	code, a, _ := e.command(e.handler(), "invoke", "DATE="+date, "CLEAR_FAILURE=1")
	if code != http.StatusOK || a.Outcome != "exported" {
		t.Fatalf("make invoke CLEAR_FAILURE=1 = %d %+v, want 200 exported", code, a)
	}
	e.checkExactlyOnce(d)
}

// A re-export with no identifiable caller is refused (401), and a bad reason is refused (400), before anything is
// touched. Bugs caught: an audit entry with no one in it, a re-export run on a token without an email.
func TestReexportNeedsACallerAndAReason(t *testing.T) {
	e := newEnv(t, nil)
	post := func(body, auth string) (int, answer) {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		rec := httptest.NewRecorder()
		e.h.ServeHTTP(rec, req)
		var a answer
		_ = json.Unmarshal(rec.Body.Bytes(), &a)
		return rec.Code, a
	}
	body := `{"date":"` + date + `","reexport":true,"reason":"fix"}`
	for name, auth := range map[string]string{
		"no token":       "",
		"not a JWT":      "Bearer abc",
		"no email claim": "Bearer " + idToken(""),
	} {
		if code, a := post(body, auth); code != http.StatusUnauthorized || a.Error == "" {
			t.Errorf("%s: %d %+v, want 401 with a reason", name, code, a)
		}
	}
	if code, a := post(`{"date":"`+date+`","reexport":true,"reason":"`+strings.Repeat("x", 501)+`"}`, "Bearer "+idToken(operator)); code != http.StatusBadRequest || !strings.Contains(a.Error, "more than 500") {
		t.Errorf("501-character reason = %d %+v, want 400", code, a)
	}
	if n := len(e.fake.Requests()); n != 0 {
		t.Errorf("refused re-exports sent %d requests to Drive", n)
	}
	if _, found, err := lease.New(e.fs, "ledger-export-runs", "t", 30*time.Second).Get(t.Context(), date); err != nil || found {
		t.Errorf("a lock exists after refused re-exports (found %v, %v)", found, err)
	}
}

// completedIn counts the queue entries completed in the file.
func (e *env) completedIn(fileID string) int64 {
	e.t.Helper()
	n, err := e.db.Collection("exportqueues").CountDocuments(e.t.Context(), bson.D{{Key: "status", Value: "completed"}, {Key: "metadata.fileId", Value: fileID}})
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

// webhookServer records the delivery notices posted to it.
type webhookServer struct {
	srv *httptest.Server
	got chan string
}

func newWebhookServer(t *testing.T) *webhookServer {
	w := &webhookServer{got: make(chan string, 16)}
	w.srv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		var b struct{ Text string }
		_ = json.NewDecoder(r.Body).Decode(&b)
		w.got <- b.Text
	}))
	t.Cleanup(w.srv.Close)
	return w
}

func (w *webhookServer) messages() []string {
	var out []string
	for {
		select {
		case m := <-w.got:
			out = append(out, m)
		default:
			return out
		}
	}
}

// A re-export of a done date, through make reexport: the same Drive file (same id, so the accountant's link keeps
// working) gets a new revision with the corrected content; the earlier revision is kept forever and still holds
// the earlier bytes; every entry is in the new content exactly once and completed in that file; the generation
// rises to 2; the lock's audit trail and GET /?date=D show who, why, and the old and new figures; and the
// delivery notice says the file was corrected and what changed; exportlogs holds one record per export.
// Bugs caught: a re-export answered already_done, a new file instead of a revision (a broken link, two files), the
// old content lost or not kept forever, entries missing from or doubled in the corrected file, no audit trail, a
// "ready" notice (or none) instead of "corrected", a notice in English though LANGUAGE defaults to Thai (the
// wiring dropped the language).
func TestReexportOfADoneDateMakesANewRevision(t *testing.T) {
	hook := newWebhookServer(t)
	e := newEnv(t, map[string]string{"NOTIFY_WEBHOOK_URL": hook.srv.URL + "/v1/spaces/X/messages?key=k&token=t"})
	d := demoData(20)
	e.seed(d)
	code, first, _ := e.trigger(e.h, "")
	if code != http.StatusOK || first.Outcome != "exported" {
		t.Fatalf("first export = %d %+v", code, first)
	}
	f0 := e.liveFile()
	revs := e.fake.Revisions(f0.ID)
	if len(revs) != 1 {
		t.Fatalf("revisions after the first export = %d, want 1", len(revs))
	}
	rev0 := revs[0]
	// The app corrects a journal's memo; the accountant needs the file again.
	firstLine := d.Transactions[0].(bson.D)[0].Value
	if _, err := e.db.Collection("medici_transactions").UpdateOne(t.Context(), bson.D{{Key: "_id", Value: firstLine}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "memo", Value: "แก้ไขแล้ว"}}}}); err != nil {
		t.Fatal(err)
	}
	e.clock.Set(e.clock.Now().Add(26 * time.Hour))
	hook.messages()

	code, a, _ := e.command(e.handler(), "reexport", "DATE="+date, "REASON=memo of the first journal corrected")
	if code != http.StatusOK || a.Outcome != "exported" || a.Summary == nil {
		t.Fatalf("make reexport = %d %+v, want 200 exported", code, a)
	}
	s := a.Summary
	if s.FileID != f0.ID || s.Generation != 2 || s.EntriesExported != int64(d.Valid) {
		t.Errorf("summary file %s generation %d exported %d; want file %s, generation 2, %d entries", s.FileID, s.Generation, s.EntriesExported, f0.ID, d.Valid)
	}
	c := s.Correction
	if c == nil || c.By != operator || c.Reason != "memo of the first journal corrected" || c.Previous.SHA256 != first.Summary.SHA256 ||
		c.Previous.RevisionID != rev0.ID || c.Previous.EntriesExported != first.Summary.EntriesExported || c.Previous.Rows != first.Summary.Rows {
		t.Errorf("correction = %+v, want the operator, the reason and the first export's figures with revision %s", c, rev0.ID)
	}
	f := e.checkExactlyOnce(d)
	if f.ID != f0.ID || !bytes.Contains(f.Content, []byte("แก้ไขแล้ว")) {
		t.Errorf("live file %s holds the correction: %v; want file %s with the corrected memo", f.ID, bytes.Contains(f.Content, []byte("แก้ไขแล้ว")), f0.ID)
	}
	revs = e.fake.Revisions(f0.ID)
	if len(revs) != 2 || revs[0].ID != rev0.ID || !revs[0].KeepForever || !bytes.Equal(revs[0].Content, f0.Content) || !revs[1].Head || !revs[1].KeepForever {
		var got []string
		for _, r := range revs {
			got = append(got, fmt.Sprintf("%s kept=%v head=%v %d bytes", r.ID, r.KeepForever, r.Head, len(r.Content)))
		}
		t.Errorf("revisions = %q; want %s kept forever with the first content, then the new head, kept", got, rev0.ID)
	}
	if n := len(e.fake.LiveFiles(folder)); n != 1 {
		t.Errorf("live files = %d, want 1", n)
	}
	rec := e.record()
	if len(rec.Audit) != 1 || rec.Correction != nil {
		t.Fatalf("audit trail = %+v (pending %+v), want one finished re-export", rec.Audit, rec.Correction)
	}
	if au := rec.Audit[0]; au.By != operator || au.Previous.SHA256 != first.Summary.SHA256 || au.After.SHA256 != s.SHA256 || au.After.Generation != 2 || au.Previous.RevisionID != rev0.ID {
		t.Errorf("audit entry = %+v, want old → new figures", au)
	}
	// exportlogs: one record per export, the re-export's with its correction.
	var logs []bson.M
	cur, err := e.db.Collection("exportlogs").Find(t.Context(), bson.D{{Key: "batchDate", Value: date}})
	if err != nil || cur.All(t.Context(), &logs) != nil || len(logs) != 2 {
		t.Errorf("export logs of %s = %d, %v; want 2 (the export and the re-export)", date, len(logs), err)
	}
	var withCorrection int
	for _, l := range logs {
		if c, ok := l["correction"].(bson.M); ok && c["by"] == operator && l["fileId"] == f0.ID {
			withCorrection++
		}
	}
	if withCorrection != 1 {
		t.Errorf("export logs with the operator's correction = %d, want 1", withCorrection)
	}
	var corrected int
	for _, m := range hook.messages() {
		// In Thai, LANGUAGE's default: "was corrected" is ได้รับการแก้ไขแล้ว.
		if strings.Contains(m, "ได้รับการแก้ไขแล้ว") && strings.Contains(m, "memo of the first journal corrected") && strings.Contains(m, operator) {
			corrected++
		}
	}
	if corrected != 1 {
		t.Errorf("corrected notices = %d, want 1", corrected)
	}
}

// An interrupted revision upload: the re-export's instance dies after Drive confirmed a chunk of the new revision.
// The file still shows the earlier revision (head unchanged, content unchanged). After the lease, make invoke
// continues the re-export: it resumes the recorded session, and the file ends with exactly two revisions, the
// earlier one kept. Bugs caught: a takeover that forgets it continues a re-export (a plain export, a new file),
// an upload that starts over instead of resuming, a head that changed before the upload completed.
func TestInterruptedRevisionUploadResumes(t *testing.T) {
	e := newEnv(t, nil)
	d := padded(30, 200)
	e.seed(d)
	if code, a, _ := e.trigger(e.h, ""); code != http.StatusOK {
		t.Fatalf("first export = %d %+v", code, a)
	}
	f0 := e.liveFile()
	e.clock.Set(e.clock.Now().Add(time.Hour))

	died := false
	h := e.handlerWith(func(point string, offset int64) {
		if !died && point == export.PointChunk && offset >= 262144 {
			died = true
			runtime.Goexit()
		}
	})
	done := make(chan struct{})
	go func() {
		defer close(done)
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"date":"`+date+`","reexport":true,"reason":"resend"}`))
		req.Header.Set("Authorization", "Bearer "+idToken(operator))
		h.ServeHTTP(httptest.NewRecorder(), req)
	}()
	<-done
	if !died {
		t.Fatal("the re-export finished without reaching a confirmed chunk")
	}
	if revs := e.fake.Revisions(f0.ID); len(revs) != 1 {
		t.Errorf("revisions while the re-export's upload is unfinished = %d, want the one earlier revision", len(revs))
	}
	if f, _ := e.fake.File(f0.ID); !bytes.Equal(f.Content, f0.Content) {
		t.Errorf("the file's content changed before the revision upload completed")
	}

	e.clock.Set(e.clock.Now().Add(36 * time.Minute))
	code, a, _ := e.command(e.handler(), "invoke", "DATE="+date)
	if code != http.StatusOK || a.Outcome != "exported" || !a.Summary.Resumed || a.Summary.Correction == nil || a.Summary.FileID != f0.ID {
		t.Fatalf("make invoke after the crash = %d %+v, want the re-export resumed into file %s", code, a, f0.ID)
	}
	e.checkExactlyOnce(d)
	revs := e.fake.Revisions(f0.ID)
	if len(revs) != 2 || !revs[0].KeepForever || !bytes.Equal(revs[0].Content, f0.Content) {
		t.Errorf("revisions = %d (first kept %v); want 2, the earlier kept with its content", len(revs), len(revs) > 0 && revs[0].KeepForever)
	}
	if a.Summary.Correction.Previous.RevisionID != revs[0].ID {
		t.Errorf("kept revision = %q, want %q", a.Summary.Correction.Previous.RevisionID, revs[0].ID)
	}
}

// make retry-failed after the app fixed a broken journal: the unbalanced journal failed in the first export; the
// app balances it; retry-failed claims the date's failed entries again with its completed ones, and the fixed
// journal is now in the file, once, while the entries still broken fail again. Bugs caught: failed entries left
// out of the re-export claim, a fixed entry exported twice, a still-broken entry dropped from the failures.
func TestRetryFailedBringsInAFixedJournal(t *testing.T) {
	e := newEnv(t, nil)
	d := demoData(15)
	e.seed(d)
	code, first, _ := e.trigger(e.h, "")
	if code != http.StatusOK || first.Summary.EntriesFailed != int64(d.Invalid) {
		t.Fatalf("first export = %d %+v, want %d failed", code, first, d.Invalid)
	}
	var j bson.M
	if err := e.db.Collection("medici_journals").FindOne(t.Context(), bson.D{{Key: "memo", Value: "unbalanced journal"}}).Decode(&j); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.Collection("medici_transactions").UpdateOne(t.Context(), bson.D{{Key: "_journal", Value: j["_id"]}, {Key: "credit", Value: 99.99}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "credit", Value: 100.0}}}}); err != nil {
		t.Fatal(err)
	}
	e.clock.Set(e.clock.Now().Add(time.Hour))
	code, a, _ := e.command(e.handler(), "retry-failed", "DATE="+date)
	if code != http.StatusOK || a.Outcome != "exported" {
		t.Fatalf("make retry-failed = %d %+v", code, a)
	}
	if s := a.Summary; s.EntriesExported != int64(d.Valid+1) || s.EntriesFailed != int64(d.Invalid-1) || s.Correction == nil || !s.Correction.RetryFailed {
		t.Errorf("summary exported %d failed %d correction %+v; want %d and %d, a retry-failed correction", s.EntriesExported, s.EntriesFailed, s.Correction, d.Valid+1, d.Invalid-1)
	}
	f := e.liveFile()
	if n := bytes.Count(f.Content, []byte("unbalanced journal")); n != 2 {
		t.Errorf("the fixed journal's lines appear %d times in the file, want its 2 lines once", n)
	}
	if got := e.statuses(); got["completed"] != d.Valid+1 || got["failed"] != d.Invalid-1 || got["exporting"] != 0 {
		t.Errorf("queue = %v, want %d completed and %d failed", got, d.Valid+1, d.Invalid-1)
	}
	if n := e.completedIn(f.ID); n != int64(d.Valid+1) {
		t.Errorf("entries completed in the file = %d, want %d", n, d.Valid+1)
	}
}

// driveCall sends one Drive v3 request to the fake, as someone with access to the folder would.
func (e *env) driveCall(method, path, body string) {
	e.t.Helper()
	req, err := http.NewRequestWithContext(e.t.Context(), method, e.fake.URL()+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.fake.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		e.t.Fatalf("%s %s = %d", method, path, resp.StatusCode)
	}
}

// A re-export repairs a file someone moved to the trash (the new revision brings it back, same id) or deleted for
// good (a new file for the date, every entry once, completed in the new file). Bugs caught: a corrected file left in
// the trash, where the accountant cannot see it; a date whose file was deleted stuck for good (files.update answers
// 404, a permanent failure with the entries still claimed).
func TestReexportRepairsATrashedOrDeletedFile(t *testing.T) {
	for _, deleted := range []bool{false, true} {
		t.Run(map[bool]string{false: "trashed", true: "deleted"}[deleted], func(t *testing.T) {
			e := newEnv(t, nil)
			d := demoData(10)
			e.seed(d)
			if code, a, _ := e.trigger(e.h, ""); code != http.StatusOK {
				t.Fatalf("first export = %d %+v", code, a)
			}
			f0 := e.liveFile()
			if deleted {
				e.driveCall(http.MethodDelete, "/drive/v3/files/"+f0.ID+"?supportsAllDrives=true", "")
			} else {
				e.driveCall(http.MethodPatch, "/drive/v3/files/"+f0.ID+"?supportsAllDrives=true", `{"trashed":true}`)
			}
			e.clock.Set(e.clock.Now().Add(time.Hour))
			code, a, _ := e.command(e.handler(), "reexport", "DATE="+date, "REASON=the file was removed from the folder")
			if code != http.StatusOK || a.Outcome != "exported" {
				t.Fatalf("make reexport = %d %+v, want 200 exported", code, a)
			}
			f := e.checkExactlyOnce(d)
			if deleted == (f.ID == f0.ID) || a.Summary.FileID != f.ID {
				t.Errorf("file after the re-export = %s (summary %s), first %s; want the same id only when the file was trashed", f.ID, a.Summary.FileID, f0.ID)
			}
			if !deleted && len(e.fake.Revisions(f0.ID)) != 2 {
				t.Errorf("revisions of the restored file = %d, want 2", len(e.fake.Revisions(f0.ID)))
			}
		})
	}
}
