package drive_test

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/api/option"

	"github.com/siamledger/ledger-export/internal/drive"
	"github.com/siamledger/ledger-export/internal/drivefake"
	"github.com/siamledger/ledger-export/internal/export"
)

// TestUploadUsesTheFormatsMIMEType: an XLSX export is stored as an Excel workbook, so Drive previews and opens it
// as a spreadsheet, and a CSV one as text/csv. Fails if the content type stays text/csv for every format.
func TestUploadUsesTheFormatsMIMEType(t *testing.T) {
	for _, format := range []string{"csv", "xlsx"} {
		fake, err := drivefake.NewServer(drivefake.Options{Folders: []string{"f"}})
		if err != nil {
			t.Fatalf("drivefake.NewServer: %v", err)
		}
		s, err := drive.New(t.Context(), drive.Config{FolderID: "f", ChunkSize: 256 << 10, CallTimeout: 10 * time.Second, MIMEType: drive.MIMEType(format)},
			option.WithEndpoint(fake.URL()+"/drive/v3/"), option.WithoutAuthentication())
		if err != nil {
			t.Fatalf("drive.New: %v", err)
		}
		if _, err := s.Upload(t.Context(), export.NewFile{Name: "x." + format, Date: "2026-11-28", Generation: 1}, strings.NewReader("body"), nil); err != nil {
			t.Fatalf("Upload: %v", err)
		}
		files := fake.LiveFiles("f")
		want := map[string]string{"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}[format]
		if len(files) != 1 || files[0].MimeType != want {
			t.Errorf("%s: stored files %+v, want one of type %s", format, files, want)
		}
		fake.Close()
	}
}
