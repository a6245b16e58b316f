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
	lines := "FAIL mongodb.indexes: 1 of the 7 indexes ...\n     fix: db.exportqueues.createIndex(...)\n"
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

// make indexes POSTs /doctor?indexes=1 with the caller's identity token: the function creates what MongoDB lacks,
// so the runbook never sends an operator to a database shell. make apis enables the deploy's APIs, and EGRESS=1
// adds the network ones.
//
// Bugs it catches: an indexes call sent as a GET (the function then only checks), one without the token, a failure
// that exits 0, and an EGRESS=1 that is dropped or an API list without Firestore.
func TestIndexesAndAPIs(t *testing.T) {
	r := run(t, deployment(map[string]string{"FAKE_BODY": "created index { status: 1, batchDate: 1 } on exportqueues\n", "FAKE_STATUS": "503"}), "make", "indexes")
	if r.exit == 0 || !strings.Contains(r.stdout, "created index") {
		t.Errorf("indexes: exit %d, stdout %q; want the answer and a failure on 503", r.exit, r.stdout)
	}
	wantCalls(t, r, tokenCall, []string{"curl", "-sS", "--fail-with-body", "--max-time", "300", "-w", `\nHTTP %{http_code}\n`,
		"-X", "POST", "-H", "Content-Type: application/json", "--data", "{}",
		"-H", "Authorization: Bearer " + token, url + "/doctor?format=text&indexes=1"})

	r = run(t, deployment(nil), "make", "apis", "EGRESS=1", "DRY_RUN=1")
	if r.exit != 0 || !strings.Contains(r.stdout, "gcloud services enable --project=") ||
		!strings.Contains(r.stdout, "firestore.googleapis.com") || !strings.Contains(r.stdout, "vpcaccess.googleapis.com") {
		t.Errorf("apis EGRESS=1: exit %d, stdout %q; want the enable command with Firestore and VPC Access", r.exit, r.stdout)
	}
	r = run(t, deployment(nil), "make", "apis", "DRY_RUN=1")
	if strings.Contains(r.stdout, "vpcaccess.googleapis.com") {
		t.Errorf("apis without EGRESS enables VPC Access: %q", r.stdout)
	}
}
