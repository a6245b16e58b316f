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

func TestQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"2026-11-28", "2026-11-28"},
		{"it's", `it\'s`},
		{`back\slash`, `back\\slash`},
		{`\'`, `\\\'`},
		{"' or name != '", `\' or name != \'`},
	}
	for _, tt := range tests {
		if got := drive.Quote(tt.in); got != tt.want {
			t.Errorf("Quote(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestFindEscapesHostileValues runs files.list against the fake Drive's query parser with a folder id and dates
// holding quotes and backslashes: the query must parse, and match only what it names.
func TestFindEscapesHostileValues(t *testing.T) {
	folder := `f'o\lder`
	fake, err := drivefake.NewServer(drivefake.Options{Folders: []string{folder}})
	if err != nil {
		t.Fatalf("drivefake.NewServer: %v", err)
	}
	t.Cleanup(fake.Close)
	s, err := drive.New(t.Context(), drive.Config{FolderID: folder, ChunkSize: 256 << 10, CallTimeout: 10 * time.Second},
		option.WithEndpoint(fake.URL()+"/drive/v3/"), option.WithoutAuthentication())
	if err != nil {
		t.Fatalf("drive.New: %v", err)
	}
	hostile := `2026-11-28' or appProperties has { key='app' and value='ledger-export' } or name = '\`
	for _, date := range []string{"2026-11-28", hostile} {
		if _, err := s.Upload(t.Context(), export.NewFile{Name: "x.csv", Date: date, Generation: 1}, strings.NewReader("a,b\r\n"), nil); err != nil {
			t.Fatalf("Upload(date %q): %v", date, err)
		}
	}
	for _, date := range []string{"2026-11-28", hostile, "2026-11-29"} {
		files, err := s.Find(t.Context(), date)
		if err != nil {
			t.Fatalf("Find(%q) error = %v", date, err)
		}
		want := 1
		if date == "2026-11-29" {
			want = 0
		}
		if len(files) != want {
			t.Errorf("Find(%q) = %d files, want %d", date, len(files), want)
		}
		for _, f := range files {
			if f.Properties["exportDate"] != date {
				t.Errorf("Find(%q) returned the file of %q", date, f.Properties["exportDate"])
			}
		}
	}
}
