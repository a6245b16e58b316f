package drive_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"slices"
	"testing"
	"time"

	"google.golang.org/api/option"

	"github.com/siamledger/ledger-export/internal/drive"
	"github.com/siamledger/ledger-export/internal/drivefake"
	"github.com/siamledger/ledger-export/internal/export"
)

// contractChunk is Drive's smallest chunk, so that a small file still spans several chunks.
const contractChunk = 256 << 10

// contractStores are the backends of the Drive store's contract. Under `make test`: the fake Drive, once with the
// folder in a Shared Drive (a request without the Shared Drive flags misses its files) and once in My Drive.
// Under `make contract` (LEDGER_CONTRACT=1): the real Drive folder DRIVE_FOLDER_ID (DRIVE_SHARED_DRIVE_ID when it
// is in a Shared Drive) with application default credentials; without them the suite is skipped with one line.
func contractStores(t *testing.T) map[string]*drive.Store {
	t.Helper()
	cfg := drive.Config{ChunkSize: contractChunk, CallTimeout: time.Minute}
	if os.Getenv("LEDGER_CONTRACT") != "" {
		cfg.FolderID, cfg.SharedDriveID = os.Getenv("DRIVE_FOLDER_ID"), os.Getenv("DRIVE_SHARED_DRIVE_ID")
		if cfg.FolderID == "" {
			t.Skip("Drive contract against the real Drive skipped: DRIVE_FOLDER_ID is not set (a test folder, in a Shared Drive with DRIVE_SHARED_DRIVE_ID, that your application default credentials can add files to)")
		}
		s, err := drive.New(t.Context(), cfg)
		if err != nil {
			t.Skipf("Drive contract against the real Drive skipped: no application default credentials (gcloud auth application-default login --scopes=https://www.googleapis.com/auth/drive,https://www.googleapis.com/auth/cloud-platform): %v", err)
		}
		t.Logf("Drive contract on the real Drive, folder %s (Shared Drive %q)", cfg.FolderID, cfg.SharedDriveID)
		return map[string]*drive.Store{"real": s}
	}
	out := map[string]*drive.Store{}
	for name, shared := range map[string]string{"fake-shared-drive": "0AContractDrive", "fake-my-drive": ""} {
		const folder = "contract-folder"
		fake, err := drivefake.NewServer(drivefake.Options{Folders: []string{folder}, SharedDrive: shared})
		if err != nil {
			t.Fatalf("drivefake.NewServer: %v", err)
		}
		t.Cleanup(fake.Close)
		c := cfg
		c.FolderID, c.SharedDriveID = folder, shared
		s, err := drive.New(t.Context(), c, option.WithEndpoint(fake.URL()+"/drive/v3/"), option.WithoutAuthentication())
		if err != nil {
			t.Fatalf("drive.New: %v", err)
		}
		out[name] = s
	}
	return out
}

// TestDriveContract is the one body of the Drive store's contract: `make test` runs it on the fake Drive (Shared
// Drive and My Drive modes), `make contract` on the user's real folder, so a difference between the fake and Drive
// shows up as this test failing in one place only. It creates a small file; uploads a file of three chunks and a
// bit whose body breaks after the second chunk, asks the session how much it holds and resumes from there; lists
// the date's files by appProperties; updates properties; trashes; and lists again. The files carry a random
// date of their own and are trashed at the end.
//
// Bugs it catches: a resumed upload whose Content-Range does not start at the offset Drive confirmed, or whose
// bytes differ (the md5Checksum); Status misreading the Range header; a list that drops the Shared Drive flags
// (the fake's Shared Drive mode, and a real Shared Drive, then return nothing) or matches another date's files;
// an update that replaces appProperties instead of adding to them; a trashed file still listed.
func TestDriveContract(t *testing.T) {
	for name, s := range contractStores(t) {
		t.Run(name, func(t *testing.T) { driveContract(t, s) })
	}
}

func driveContract(t *testing.T, s *drive.Store) {
	ctx := t.Context()
	var b [4]byte
	_, _ = rand.Read(b[:])
	date := "contract-" + hex.EncodeToString(b[:])
	other := date + "-other"
	var made []string
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		for _, id := range made {
			_ = s.Trash(ctx, id)
		}
	})

	// Create.
	small := []byte("entry,amount\r\nกาแฟ,125.50\r\n")
	f1, err := s.Upload(ctx, export.NewFile{Name: date + "-small.csv", Date: date, Generation: 1}, bytes.NewReader(small), nil)
	if err != nil {
		t.Fatalf("Upload small: %v", err)
	}
	made = append(made, f1.ID)
	if f1.ID == "" || f1.Name != date+"-small.csv" || f1.MD5 != contractMD5(small) {
		t.Errorf("small file = %+v, want an id, its name and md5 %s", f1, contractMD5(small))
	}
	if f1.Properties["app"] != drive.App || f1.Properties["exportDate"] != date || f1.Properties["generation"] != "1" {
		t.Errorf("small file appProperties = %v, want app, exportDate %s, generation 1", f1.Properties, date)
	}

	// Resumable upload, broken after the second chunk, then resumed.
	big := make([]byte, 3*contractChunk+1000)
	_, _ = rand.Read(big)
	var last export.UploadProgress
	_, err = s.Upload(ctx, export.NewFile{Name: date + "-big.csv", Date: date, Generation: 2},
		&contractBreaking{data: big, at: 2*contractChunk + 10}, func(p export.UploadProgress) { last = p })
	if err == nil {
		t.Fatalf("Upload with a body that breaks succeeded")
	}
	if last.SessionURI == "" || last.Offset <= 0 || last.Offset%contractChunk != 0 || last.Offset > 2*contractChunk {
		t.Fatalf("progress before the break = %+v, want a session and a confirmed offset of whole chunks, at most 2", last)
	}
	st, err := s.Status(ctx, export.UploadSession{URI: last.SessionURI, Offset: last.Offset})
	if err != nil || st.Gone || st.Complete != nil || st.Offset != last.Offset {
		t.Fatalf("Status = %+v, %v; want the session holding %d bytes", st, err, last.Offset)
	}
	f2, err := s.Resume(ctx, export.UploadSession{URI: last.SessionURI, Offset: st.Offset}, bytes.NewReader(big[st.Offset:]), nil)
	if err != nil {
		t.Fatalf("Resume at %d: %v", st.Offset, err)
	}
	made = append(made, f2.ID)
	if f2.MD5 != contractMD5(big) {
		t.Errorf("resumed file md5 = %s, want %s (the bytes of both halves, once)", f2.MD5, contractMD5(big))
	}
	st, err = s.Status(ctx, export.UploadSession{URI: last.SessionURI})
	if err != nil || st.Complete == nil || st.Complete.ID != f2.ID {
		t.Errorf("Status of the finished session = %+v, %v; want the complete file %s", st, err, f2.ID)
	}

	// A file of another date, which the list must not return.
	f3, err := s.Upload(ctx, export.NewFile{Name: other + ".csv", Date: other, Generation: 1}, bytes.NewReader(small), nil)
	if err != nil {
		t.Fatalf("Upload other date: %v", err)
	}
	made = append(made, f3.ID)

	// List by appProperties.
	if got := contractIDs(t, s, date); !slices.Equal(got, contractSorted(f1.ID, f2.ID)) {
		t.Errorf("Find(%s) = %v, want %v", date, got, contractSorted(f1.ID, f2.ID))
	}

	// Update: properties are added, the others stay.
	if err := s.Finalize(ctx, f2.ID, map[string]string{"rows": "3", "sha256": "abc"}, "ledger-export test"); err != nil {
		t.Fatalf("Finalize: %v", err)
	}
	files, err := s.Find(ctx, date)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if f.ID == f2.ID && (f.Properties["rows"] != "3" || f.Properties["sha256"] != "abc" || f.Properties["exportDate"] != date || f.Properties["generation"] != "2") {
			t.Errorf("after Finalize appProperties = %v, want rows, sha256 added and exportDate, generation kept", f.Properties)
		}
	}

	// Trash.
	if err := s.Trash(ctx, f1.ID); err != nil {
		t.Fatalf("Trash: %v", err)
	}
	if got := contractIDs(t, s, date); !slices.Equal(got, []string{f2.ID}) {
		t.Errorf("Find(%s) after trashing %s = %v, want only %s", date, f1.ID, got, f2.ID)
	}
	if got := contractIDs(t, s, other); !slices.Equal(got, []string{f3.ID}) {
		t.Errorf("Find(%s) = %v, want only %s", other, got, f3.ID)
	}
}

func contractIDs(t *testing.T, s *drive.Store, date string) []string {
	t.Helper()
	files, err := s.Find(t.Context(), date)
	if err != nil {
		t.Fatalf("Find(%s): %v", date, err)
	}
	var out []string
	for _, f := range files {
		out = append(out, f.ID)
	}
	slices.Sort(out)
	return out
}

func contractSorted(s ...string) []string { slices.Sort(s); return s }

func contractMD5(b []byte) string {
	sum := md5.Sum(b)
	return hex.EncodeToString(sum[:])
}

// contractBreaking reads data up to at bytes, then fails, as an encoder that dies mid-file does.
type contractBreaking struct {
	data []byte
	at   int
	off  int
}

var errContractBroken = errors.New("the body broke")

func (b *contractBreaking) Read(p []byte) (int, error) {
	if b.off >= b.at {
		return 0, errContractBroken
	}
	n := copy(p, b.data[b.off:b.at])
	b.off += n
	return n, nil
}

var _ io.Reader = (*contractBreaking)(nil)
