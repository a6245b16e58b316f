package scripts_test

import (
	"strings"
	"testing"
)

// make doctor calls GET /doctor?format=text with the caller's identity token, as make health does, prints the
// lines and fails when the function answers 503; NOTIFY=1 adds notify=1 and nothing else does.
//
// Bugs it catches: a doctor call without the token (403 from Cloud Run), one that always asks for a notice, a
// NOTIFY=1 that is dropped, and a failing preflight that exits 0.
func TestDoctor(t *testing.T) {
	lines := "FAIL mongodb.indexes: 1 of the 6 indexes ...\n     fix: db.exportqueues.createIndex(...)\n"
	r := run(t, deployment(map[string]string{"FAKE_BODY": lines, "FAKE_STATUS": "503"}), "make", "doctor")
	if r.exit == 0 || !strings.Contains(r.stdout, lines) {
		t.Errorf("doctor: exit %d, stdout %q; want the lines and a failure", r.exit, r.stdout)
	}
	call := func(q string) []string {
		return []string{"curl", "-sS", "--fail-with-body", "--max-time", "300", "-w", `\nHTTP %{http_code}\n`,
			"-H", "Authorization: Bearer " + token, url + "/doctor?format=text" + q}
	}
	wantCalls(t, r, tokenCall, call(""))

	r = run(t, deployment(map[string]string{"FAKE_BODY": "OK   notice: a test notice was sent\n", "FAKE_STATUS": "200"}), "make", "doctor", "NOTIFY=1")
	if r.exit != 0 {
		t.Errorf("doctor NOTIFY=1: exit %d, stdout %q", r.exit, r.stdout)
	}
	wantCalls(t, r, tokenCall, call("&notify=1"))
}
