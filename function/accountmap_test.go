package function_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	drivev3 "google.golang.org/api/drive/v3"
	"google.golang.org/api/option"

	"github.com/siamledger/ledger-export/internal/demo"
	"github.com/siamledger/ledger-export/internal/drive"
	"github.com/siamledger/ledger-export/internal/drivefake"
	"github.com/siamledger/ledger-export/internal/export"
)

// sheets is a drive/v3 client on the fake, acting as the accountant who keeps the account map in the export
// folder.
func (e *env) sheets() *drivev3.Service {
	e.t.Helper()
	svc, err := drivev3.NewService(e.t.Context(), option.WithEndpoint(e.fake.URL()+"/drive/v3/"),
		option.WithHTTPClient(e.fake.Client()), option.WithoutAuthentication())
	if err != nil {
		e.t.Fatal(err)
	}
	return svc
}

// exportFile is the date's one live export in the folder (the account map lives there too).
func (e *env) exportFile() drivefake.File {
	e.t.Helper()
	var out []drivefake.File
	for _, f := range e.fake.LiveFiles(folder) {
		if f.AppProperties["app"] == drive.App {
			out = append(out, f)
		}
	}
	if len(out) != 1 {
		e.t.Fatalf("live exports in the folder = %d, want 1", len(out))
	}
	return out[0]
}

// withoutAccount is the demo's account map less one account's row.
func withoutAccount(account string) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(string(demo.AccountMap), "\n") {
		if !strings.HasPrefix(l, account+",") {
			b.WriteString(l)
		}
	}
	return b.String()
}

// TestAccountMapInTheExportFolder follows the accountant's account map through a day, with an import preset and
// the map kept as a Google Sheet in the export folder:
//   - no map yet: the run answers 503 account_map naming the sheet, claims nothing and writes no file (a retry
//     after the accountant adds it exports);
//   - a map without the Revenue:Sales row: every journal posting to it fails with "account Revenue:Sales has no row
//     in the account map", listed in the summary; the others export, and the summary and the Drive file's
//     description carry the map's version and the window;
//   - the accountant adds the row (a new version of the same sheet) and an operator runs `make retry-failed`: the
//     journals come in, with the new version in the summary.
//
// make doctor names the missing map, then its version.
//
// It fails if the map were read once at start-up (the edit would be missed), if a missing map blocked the date for
// good or claimed entries, if an unmapped account were written silently, or if retry-failed did not bring the
// journals in after the fix.
func TestAccountMapInTheExportFolder(t *testing.T) {
	e := newEnv(t, map[string]string{"LAYOUT": `{"preset":"xero-manual-journal","mode":"detail"}`})
	d := demoData(15)
	e.seed(d)
	code, a, _ := e.trigger(e.h, "")
	if code != http.StatusServiceUnavailable || a.ErrorClass != string(export.ClassAccountMap) ||
		!strings.Contains(a.Error, `no Google Sheet or CSV named "account-map" in the export folder`) {
		t.Fatalf("without a map: %d %+v; want 503 account_map naming the sheet", code, a)
	}
	if got := e.statuses(); got["queued"] != d.Valid+d.Invalid {
		t.Errorf("without a map the queue is %v; want every entry still queued", got)
	}
	doc := e.doctorHandler()
	if _, body := e.doctor(doc, http.MethodGet, "/doctor?format=text"); !strings.Contains(body, "drive.account_map") ||
		!strings.Contains(body, `no Google Sheet or CSV named "account-map"`) {
		t.Errorf("make doctor before the map is shared does not name it:\n%s", body)
	}

	svc := e.sheets()
	sheet, err := svc.Files.Create(&drivev3.File{Name: "account-map", MimeType: drive.SpreadsheetMimeType, Parents: []string{folder}}).
		Media(strings.NewReader(withoutAccount("Revenue:Sales"))).SupportsAllDrives(true).Context(t.Context()).Do()
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Set(e.clock.Now().Add(5 * time.Minute))
	code, a, _ = e.trigger(e.h, "")
	if code != http.StatusOK || a.Summary == nil {
		t.Fatalf("with a map: %d %+v", code, a)
	}
	s := a.Summary
	unmapped := 0
	for _, f := range s.Failures {
		if f.Reason == "account Revenue:Sales has no row in the account map" {
			unmapped++
		}
	}
	if unmapped == 0 || s.EntriesFailed != int64(d.Invalid+unmapped) || s.AccountMap == nil || s.AccountMap.FileID != sheet.Id ||
		s.AccountMap.Kind != "Google Sheet" || s.AccountMap.Rows != strings.Count(string(demo.AccountMap), "\n")-2 {
		t.Fatalf("summary: %d unmapped, %d failed, map %+v", unmapped, s.EntriesFailed, s.AccountMap)
	}
	first := s.AccountMap.Version
	if _, body := e.doctor(doc, http.MethodGet, "/doctor?format=text"); !strings.Contains(body, "account-map (Google Sheet, Drive version") {
		t.Errorf("make doctor with the map shared does not show its version:\n%s", body)
	}
	f := e.exportFile()
	if bytes.Contains(f.Content, []byte("Revenue:Sales")) {
		t.Error("the file holds a Medici account path: an unmapped account was written")
	}
	for _, want := range []string{"Window: [2026-11-27 18:00, 2026-11-28 18:00) Asia/Bangkok", "Account map: account-map (Google Sheet, Drive version",
		"- " + s.Failures[0].EntryID + ": "} {
		if !strings.Contains(f.Description, want) {
			t.Errorf("the file's description lacks %q:\n%s", want, f.Description)
		}
	}

	if _, err := svc.Files.Update(sheet.Id, &drivev3.File{}).Media(bytes.NewReader(demo.AccountMap)).SupportsAllDrives(true).Context(t.Context()).Do(); err != nil {
		t.Fatal(err)
	}
	e.clock.Set(e.clock.Now().Add(time.Hour))
	code, a, _ = e.command(e.handler(), "retry-failed", "DATE="+date)
	if code != http.StatusOK || a.Outcome != "exported" {
		t.Fatalf("make retry-failed after the fix = %d %+v", code, a)
	}
	s = a.Summary
	if s.EntriesExported != int64(d.Valid) || s.EntriesFailed != int64(d.Invalid) || s.AccountMap == nil || s.AccountMap.Version <= first {
		t.Errorf("after the fix: exported %d failed %d map %+v; want %d, %d and a version after %d", s.EntriesExported, s.EntriesFailed, s.AccountMap, d.Valid, d.Invalid, first)
	}
	if got := e.statuses(); got["completed"] != d.Valid || got["failed"] != d.Invalid {
		t.Errorf("queue after the fix = %v", got)
	}
	if f := e.exportFile(); !bytes.Contains(f.Content, []byte(",200,")) {
		t.Error("the corrected file has no line on Sales' code 200")
	}
}

// TestMapEditedBetweenAttempts: the accountant edits the account map while an attempt's upload is cut off
// mid-file (a 403 rate limit on the second chunk). The takeover reads the edited map, so the bytes it regenerates
// differ from the recorded prefix: it must start the upload over, not append new-map rows to old-map bytes, and
// the one file holds every entry once, all with the new map, its version in the summary. It fails if a resume
// trusted the recorded offset without the hash check (a file mixing two maps), or if the map were read once per
// process (the old names would stay).
func TestMapEditedBetweenAttempts(t *testing.T) {
	fault := drivefake.Fault{Op: drivefake.OpChunk, Chunk: 2, Status: http.StatusForbidden, Reason: "userRateLimitExceeded"}
	e := newEnv(t, map[string]string{"LAYOUT": "quickbooks-journal-entry", "META_COLUMNS": "invoiceNo,customer"}, fault)
	d := padded(120, 40)
	e.seed(d)
	svc := e.sheets()
	sheet, err := svc.Files.Create(&drivev3.File{Name: "account-map", MimeType: drive.SpreadsheetMimeType, Parents: []string{folder}}).
		Media(bytes.NewReader(demo.AccountMap)).SupportsAllDrives(true).Context(t.Context()).Do()
	if err != nil {
		t.Fatal(err)
	}
	code, a, _ := e.trigger(e.h, "")
	if code != http.StatusServiceUnavailable || a.ErrorClass != string(export.ClassDriveTransient) {
		t.Fatalf("first trigger = %d %+v, want 503 drive_transient mid-upload", code, a)
	}
	if _, st := e.get("/?date=" + date); st.Record == nil || st.Record.State != export.StateFailed {
		t.Fatalf("lock after the cut-off upload = %+v", st.Record)
	}
	edited := strings.Replace(string(demo.AccountMap), ",200,Sales,", ",200,Sales revenue,", 1)
	if edited == string(demo.AccountMap) {
		t.Fatal("the demo map has no Revenue:Sales row to edit")
	}
	if _, err := svc.Files.Update(sheet.Id, &drivev3.File{}).Media(strings.NewReader(edited)).SupportsAllDrives(true).Context(t.Context()).Do(); err != nil {
		t.Fatal(err)
	}
	e.clock.Set(e.clock.Now().Add(5 * time.Minute))
	code, a, _ = e.trigger(e.handler(), "")
	if code != http.StatusOK || a.Outcome != "exported" || a.Summary.Bytes < 2*262144 {
		t.Fatalf("retry = %d %+v, want exported, over two chunks", code, a)
	}
	f := e.exportFile()
	if bytes.Contains(f.Content, []byte(",Sales,")) || !bytes.Contains(f.Content, []byte(",Sales revenue,")) {
		t.Error("the file mixes the two maps, or kept the old one")
	}
	if a.Summary.AccountMap == nil || a.Summary.AccountMap.SHA256 != sha(edited) {
		t.Errorf("summary's map = %+v, want the edited one", a.Summary.AccountMap)
	}
	if got := e.statuses(); got["completed"] != d.Valid || got["failed"] != d.Invalid || got["exporting"] != 0 {
		t.Errorf("queue = %v, want %d completed, %d failed", got, d.Valid, d.Invalid)
	}
	if n := e.completedIn(f.ID); n != int64(d.Valid) {
		t.Errorf("entries completed in the file = %d, want %d", n, d.Valid)
	}
	if n := bytes.Count(f.Content, []byte("\n")) - 1; int64(n) != a.Summary.Rows {
		t.Errorf("the file has %d lines, the summary says %d rows", n, a.Summary.Rows)
	}
}

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}
