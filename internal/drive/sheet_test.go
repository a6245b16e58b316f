package drive_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	drivev3 "google.golang.org/api/drive/v3"
	"google.golang.org/api/option"

	"github.com/siamledger/ledger-export/internal/drive"
	"github.com/siamledger/ledger-export/internal/drivefake"
	"github.com/siamledger/ledger-export/internal/export"
)

// sheetWorld is a fake Drive folder, a Store on it, and a raw drive/v3 client for putting files there the way
// the accountant's Drive does (an upload of text/csv converted to a Google Sheet, or kept as CSV).
type sheetWorld struct {
	fake  *drivefake.Server
	store *drive.Store
	svc   *drivev3.Service
}

const sheetFolder = "exports"

func newSheetWorld(t *testing.T) sheetWorld {
	t.Helper()
	fake, err := drivefake.NewServer(drivefake.Options{Folders: []string{sheetFolder, "elsewhere"}})
	if err != nil {
		t.Fatalf("drivefake.NewServer: %v", err)
	}
	t.Cleanup(fake.Close)
	opts := []option.ClientOption{option.WithEndpoint(fake.URL() + "/drive/v3/"), option.WithoutAuthentication()}
	s, err := drive.New(t.Context(), drive.Config{FolderID: sheetFolder, ChunkSize: 256 << 10, CallTimeout: 10 * time.Second}, opts...)
	if err != nil {
		t.Fatalf("drive.New: %v", err)
	}
	svc, err := drivev3.NewService(t.Context(), opts...)
	if err != nil {
		t.Fatalf("drive/v3: %v", err)
	}
	return sheetWorld{fake: fake, store: s, svc: svc}
}

// put uploads content as name into parent; mimeType is the file's type (a Google Sheet converts the CSV).
func (w sheetWorld) put(t *testing.T, parent, name, mimeType, content string) string {
	t.Helper()
	f, err := w.svc.Files.Create(&drivev3.File{Name: name, MimeType: mimeType, Parents: []string{parent}}).
		Media(strings.NewReader(content)).Context(t.Context()).Do()
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	return f.Id
}

const mapCSV = "account,code\r\nAssets:Cash,090\r\n"

// TestReadSheetReadsAGoogleSheetOrACSV: the map is found by name in the export folder only, a Google Sheet is
// exported as CSV (files.export) and a CSV downloaded (alt=media), each with Drive's version. It fails if the
// read downloads a Google Sheet (Drive answers 403 fileNotDownloadable), exports a CSV (403 fileNotExportable),
// looks outside the folder, or reads a trashed copy.
func TestReadSheetReadsAGoogleSheetOrACSV(t *testing.T) {
	for _, tc := range []struct{ name, mimeType, kind string }{
		{"account-map", drive.SpreadsheetMimeType, "Google Sheet"},
		{"account-map.csv", "text/csv", "CSV"},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			w := newSheetWorld(t)
			w.put(t, "elsewhere", tc.name, tc.mimeType, "account,code\r\nAssets:Cash,999\r\n")
			trashed := w.put(t, sheetFolder, tc.name, tc.mimeType, "account,code\r\nAssets:Cash,111\r\n")
			if _, err := w.svc.Files.Update(trashed, &drivev3.File{Trashed: true}).Context(t.Context()).Do(); err != nil {
				t.Fatal(err)
			}
			id := w.put(t, sheetFolder, tc.name, tc.mimeType, mapCSV)
			sh, err := w.store.ReadSheet(t.Context(), "account-map")
			if err != nil {
				t.Fatalf("ReadSheet: %v", err)
			}
			if sh.ID != id || sh.Name != tc.name || sh.Kind() != tc.kind || string(sh.Content) != mapCSV || sh.Version < 1 || sh.Modified.IsZero() {
				t.Errorf("ReadSheet = %+v (%s, %q); want file %s, %s, %q, a version and a time", sh, sh.Kind(), sh.Content, id, tc.kind, mapCSV)
			}
		})
	}
}

// TestReadSheetNamesWhatTheAccountantMustFix: no map, two candidates and an Excel workbook each fail with
// export.ErrAccountMap and a message saying what to do; a hostile name is quoted. It fails if a missing map were
// treated as an outage (retried as Drive's fault) or as a permanent block, if one of two maps were picked silently,
// or if an .xlsx were read as CSV bytes.
func TestReadSheetNamesWhatTheAccountantMustFix(t *testing.T) {
	w := newSheetWorld(t)
	check := func(name, want string) {
		t.Helper()
		_, err := w.store.ReadSheet(t.Context(), name)
		if !errors.Is(err, export.ErrAccountMap) || errors.Is(err, export.ErrPermanent) || !strings.Contains(err.Error(), want) {
			t.Errorf("ReadSheet(%q) = %v; want ErrAccountMap saying %q", name, err, want)
		}
	}
	check("account-map", `no Google Sheet or CSV named "account-map" in the export folder`)
	check(`x' or name contains '`, `no Google Sheet or CSV named "x' or name contains '"`)

	w.put(t, sheetFolder, "account-map", drive.SpreadsheetMimeType, mapCSV)
	w.put(t, sheetFolder, "account-map.csv", "text/csv", mapCSV)
	check("account-map", `2 files in the export folder could be "account-map"`)

	w.put(t, sheetFolder, "codes.xlsx", drive.MIMEType("xlsx"), "PK\x03\x04")
	check("codes", "codes.xlsx is an Excel workbook; open it in Google Sheets and use File → Save as Google Sheets")
}

// TestReadSheetOutagesAreDriveErrors: a Drive outage while reading the map is Drive's transient failure, not the
// accountant's. It fails if a 503 on files.export were reported as a map to fix.
func TestReadSheetOutagesAreDriveErrors(t *testing.T) {
	w := newSheetWorld(t)
	w.put(t, sheetFolder, "account-map", drive.SpreadsheetMimeType, mapCSV)
	w.fake.AddFault(drivefake.Fault{Op: drivefake.OpExport, Status: http.StatusServiceUnavailable, Reason: "backendError", Times: -1})
	_, err := w.store.ReadSheet(t.Context(), "account-map")
	if err == nil || errors.Is(err, export.ErrAccountMap) || errors.Is(err, export.ErrPermanent) {
		t.Errorf("ReadSheet during an outage = %v; want a transient Drive error", err)
	}
}

// TestSheetExportLimit: a Google Sheet whose CSV is over files.export's 10 MB is refused with the accountant's
// fix. It fails if the read buffered an unbounded export or reported Drive's 403 as a lost permission.
func TestSheetExportLimit(t *testing.T) {
	w := newSheetWorld(t)
	big := "account,code\r\n" + strings.Repeat("Assets:Cash,1\r\n", (10<<20)/15+1)
	w.put(t, sheetFolder, "account-map", drive.SpreadsheetMimeType, big)
	_, err := w.store.ReadSheet(t.Context(), "account-map")
	if !errors.Is(err, export.ErrAccountMap) || !strings.Contains(err.Error(), "larger than Drive exports (10 MB)") {
		t.Errorf("ReadSheet of an 11 MB sheet = %v", err)
	}

}

// TestSheetCSVLimit: a CSV map of exactly 10 MB is read whole, one byte more is refused with the accountant's fix.
// It fails if the read stopped short of the limit (a map cut silently, its last rows lost: their accounts would
// fail as unmapped) or let a larger file through.
func TestSheetCSVLimit(t *testing.T) {
	for _, size := range []int{drive.MaxSheetBytes, drive.MaxSheetBytes + 1} {
		w := newSheetWorld(t)
		head := "account,code\r\n"
		w.put(t, sheetFolder, "account-map.csv", "text/csv", head+strings.Repeat("x", size-len(head)))
		sh, err := w.store.ReadSheet(t.Context(), "account-map")
		switch {
		case size == drive.MaxSheetBytes && (err != nil || len(sh.Content) != size):
			t.Errorf("a 10 MB CSV: %d bytes read, %v; want all of it", len(sh.Content), err)
		case size > drive.MaxSheetBytes && (!errors.Is(err, export.ErrAccountMap) || !strings.Contains(err.Error(), "larger than 10 MB")):
			t.Errorf("a CSV one byte over 10 MB: %d bytes, %v; want it refused", len(sh.Content), err)
		}
	}
}
