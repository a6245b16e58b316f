package function_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/siamledger/ledger-export/function"
	"github.com/siamledger/ledger-export/internal/doctor"
	"github.com/siamledger/ledger-export/internal/doctor/doctortest"
)

// doctorHandler is the function on the test's services, with the fake Drive's folder given the capabilities the
// real Drive reports, and a standalone MongoDB (FerretDB) accepted, as make doctor-local builds it.
func (e *env) doctorHandler() *function.Handler {
	caps := doctortest.Capabilities{Next: e.fake.Client().Transport, Folder: folder, CanAddChildren: true}
	if sharedDrive {
		caps.DriveID = sharedDriveID
	}
	h := function.New(func(k string) string { return e.vars[k] }, function.Options{
		Now: e.clock.Now, Logger: newLogger(e.logs, e.vars["FIRESTORE_PROJECT"]),
		DriveHTTPClient: &http.Client{Transport: caps}, DoctorAllowStandalone: true,
	})
	if err := h.Err(); err != nil {
		e.t.Fatalf("function.New: %v", err)
	}
	e.t.Cleanup(h.Close)
	return h
}

func (e *env) doctor(h *function.Handler, method, path string) (int, string) {
	e.t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	return rec.Code, rec.Body.String()
}

// GET /doctor runs the preflight through the function's own wiring: 503 naming the fix while the indexes are
// missing, 200 with every line OK once the operator created them, and no secret in any answer; it changes
// nothing, and only GET is served.
//
// Bugs it catches: the route not registered (or shadowed by the status route); a failed check answered 200,
// which make doctor (curl --fail-with-body) would take for a pass; the MongoDB URI in the answer; a doctor that
// creates the indexes or collections itself (the second call would then pass without the operator); POST served.
func TestDoctorRoute(t *testing.T) {
	e := newEnv(t, map[string]string{"NOTIFY_WEBHOOK_URL": "https://chat.googleapis.com/v1/spaces/AAA/messages?key=KEYSECRET&token=TOKENSECRET"})
	h := e.doctorHandler()

	code, body := e.doctor(h, http.MethodGet, "/doctor?format=text")
	t.Logf("GET /doctor?format=text before the indexes: HTTP %d\n%s", code, body)
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "FAIL mongodb.indexes") || !strings.Contains(body, "make indexes") || !strings.Contains(body, "db.exportqueues.createIndex({ status: 1, exportPath: 1, createdAt: 1 })") {
		t.Errorf("GET /doctor without the indexes = %d\n%s\nwant 503 naming make indexes and the indexes it creates", code, body)
	}
	for _, secret := range []string{e.vars["MONGODB_URI"], "KEYSECRET", "TOKENSECRET"} {
		if strings.Contains(body, secret) {
			t.Errorf("the doctor's answer holds a secret %q", secret)
		}
	}
	if cur, err := e.db.Collection("exportqueues").Indexes().List(t.Context()); err == nil {
		var specs []bson.M
		_ = cur.All(t.Context(), &specs)
		if len(specs) > 1 { // only _id's
			t.Errorf("the doctor created indexes: %v", specs)
		}
	}

	// The operator runs the command the doctor named: make indexes, which asks the function to create them.
	code, body = e.doctor(h, http.MethodPost, "/doctor?format=text&indexes=1")
	if code != http.StatusOK || !strings.Contains(body, "created index { status: 1, exportPath: 1, createdAt: 1 } on exportqueues") {
		t.Errorf("POST /doctor?indexes=1 = %d\n%s\nwant 200 listing the indexes created", code, body)
	}
	code, body = e.doctor(h, http.MethodGet, "/doctor")
	var rep doctor.Report
	if err := json.Unmarshal([]byte(body), &rep); err != nil {
		t.Fatalf("GET /doctor answer is not JSON: %v\n%s", err, body)
	}
	if code != http.StatusOK || !rep.OK || len(rep.Results) != 13 {
		t.Errorf("GET /doctor with everything in place = %d ok=%v, %d results\n%s", code, rep.OK, len(rep.Results), rep.Text())
	}
	for _, r := range rep.Results {
		if r.Status != doctor.OK {
			t.Errorf("%s = %s: %s (fix %s)", r.Check, r.Status, r.Detail, r.Fix)
		}
	}
	if code, _ := e.doctor(h, http.MethodPost, "/doctor"); code != http.StatusMethodNotAllowed {
		t.Errorf("POST /doctor = %d, want 405", code)
	}
}
