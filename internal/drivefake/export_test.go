package drivefake_test

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"google.golang.org/api/drive/v3"
	"google.golang.org/api/googleapi"

	"github.com/siamledger/ledger-export/internal/drivefake"
)

// TestExportOfASheetAndOfABinaryFile drives files.export with the real drive/v3 client: a Google Sheet exports
// its CSV; a CSV file answers 403 fileNotExportable, as Drive does for anything but Docs Editors files; a sheet's
// metadata has no md5Checksum or headRevisionId (Drive gives Docs Editors files neither), and alt=media on it
// answers 403 fileNotDownloadable. It fails if the fake exported binary files (a client downloading a CSV through
// export would then pass here and fail on Drive), or served checksums Drive never gives for a sheet.
func TestExportOfASheetAndOfABinaryFile(t *testing.T) {
	fake := newFake(t, drivefake.Options{Folders: []string{"f"}})
	svc := newService(t, fake)
	create := func(name, mimeType string) string {
		f, err := svc.Files.Create(&drive.File{Name: name, MimeType: mimeType, Parents: []string{"f"}}).
			Media(strings.NewReader("account,code\r\nAssets:Cash,090\r\n")).Context(t.Context()).Do()
		if err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
		return f.Id
	}
	sheet, csv := create("map", drivefake.SpreadsheetMimeType), create("map.csv", "text/csv")

	resp, err := svc.Files.Export(sheet, "text/csv").Context(t.Context()).Download()
	if err != nil {
		t.Fatalf("export the sheet: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "account,code\r\nAssets:Cash,090\r\n" || resp.Header.Get("Content-Type") != "text/csv" {
		t.Errorf("export = %q (%s)", b, resp.Header.Get("Content-Type"))
	}
	reason := func(err error) string {
		var g *googleapi.Error
		if !errors.As(err, &g) || len(g.Errors) == 0 {
			return ""
		}
		return g.Errors[0].Reason
	}
	if _, err := svc.Files.Export(csv, "text/csv").Context(t.Context()).Download(); reason(err) != "fileNotExportable" {
		t.Errorf("export of a CSV file = %v; want 403 fileNotExportable", err)
	}
	if _, err := svc.Files.Get(sheet).Context(t.Context()).Download(); reason(err) != "fileNotDownloadable" {
		t.Errorf("alt=media of a sheet = %v; want 403 fileNotDownloadable", err)
	}
	if _, err := svc.Files.Export(sheet, "application/pdf").Context(t.Context()).Download(); err == nil {
		t.Error("an export type the fake does not implement was answered")
	}
	if _, err := svc.Files.Export("nope", "text/csv").Context(t.Context()).Download(); googleapi.IsNotModified(err) || !hasCode(err, http.StatusNotFound) {
		t.Errorf("export of an unknown id = %v; want 404", err)
	}
	f, err := svc.Files.Get(sheet).Fields("id,md5Checksum,headRevisionId,version,mimeType").Context(t.Context()).Do()
	if err != nil {
		t.Fatal(err)
	}
	if f.Md5Checksum != "" || f.HeadRevisionId != "" || f.Version == 0 || f.MimeType != drivefake.SpreadsheetMimeType {
		t.Errorf("sheet metadata = %+v; want a version and no checksum or head revision", f)
	}
}

func hasCode(err error, code int) bool {
	var g *googleapi.Error
	return errors.As(err, &g) && g.Code == code
}
