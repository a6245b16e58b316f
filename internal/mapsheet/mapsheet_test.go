package mapsheet_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/siamledger/ledger-export/internal/drive"
	"github.com/siamledger/ledger-export/internal/export"
	"github.com/siamledger/ledger-export/internal/layout"
	"github.com/siamledger/ledger-export/internal/mapsheet"
)

type sheetReader struct {
	sheet drive.Sheet
	err   error
	asked []string
}

func (r *sheetReader) ReadSheet(_ context.Context, name string) (drive.Sheet, error) {
	r.asked = append(r.asked, name)
	return r.sheet, r.err
}

// TestLoad: the loader reads the sheet the layout names, builds the format with the map bound to the layout, and
// describes the sheet for the summary (Drive's version, the SHA-256 of what was read, the accounts mapped). A
// sheet that is not a map fails with export.ErrAccountMap naming the sheet and the parser's reason; a Drive error
// passes through unchanged in class. It fails if the format were built without the map (every journal would fail
// as unmapped), if a malformed sheet were reported as an outage (retried as Drive's fault, with nobody told what
// to fix), or if a Drive outage became the accountant's problem.
func TestLoad(t *testing.T) {
	lay, err := layout.Parse(`{"preset":"xero-manual-journal","accountMapSheet":"codes"}`, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := &sheetReader{sheet: drive.Sheet{ID: "s1", Name: "codes", MimeType: drive.SpreadsheetMimeType, Version: 9,
		Content: []byte("account,code\nAssets:Cash,091\nRevenue:Sales,200\n")}}
	var built layout.Layout
	l := mapsheet.Loader{Reader: r, Layout: lay, Build: func(l layout.Layout) export.Format {
		built = l
		return export.Format{Extension: "csv"}
	}}
	f, src, err := l.Load(t.Context())
	if err != nil || f.Extension != "csv" || len(r.asked) != 1 || r.asked[0] != "codes" {
		t.Fatalf("Load = %+v, %v (asked %v)", f, err, r.asked)
	}
	if row, ok := built.Accounts().Row("Revenue:Sales"); !ok || row.Code != "200" || built.SheetName() != "" {
		t.Errorf("the format was built with map %v (sheet %q); want the sheet's rows bound", built.Accounts(), built.SheetName())
	}
	if src.Name != "codes" || src.FileID != "s1" || src.Kind != "Google Sheet" || src.Version != 9 || src.Rows != 2 || src.SHA256 != built.Accounts().Version() {
		t.Errorf("source = %+v", src)
	}

	r.sheet.Content = []byte("account,code,colour\nAssets:Cash,091,red\n")
	_, _, err = l.Load(t.Context())
	if !errors.Is(err, export.ErrAccountMap) || !strings.Contains(err.Error(), `codes (Google Sheet, id s1, Drive version 9) is not a valid account map: unknown column "colour"`) {
		t.Errorf("Load of a sheet with an unknown column = %v", err)
	}
	r.err = errors.New("503 backendError")
	if _, _, err = l.Load(t.Context()); errors.Is(err, export.ErrAccountMap) || !strings.Contains(err.Error(), "503 backendError") {
		t.Errorf("Load during an outage = %v; want Drive's error, not the accountant's", err)
	}
}
