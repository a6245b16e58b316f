package drivefake_test

import (
	"bytes"
	"net/http"
	"testing"

	"google.golang.org/api/drive/v3"
	"google.golang.org/api/googleapi"

	"github.com/siamledger/ledger-export/internal/drivefake"
)

// TestSharedDriveMode: with Options.SharedDrive, a request that names a file in the shared drive without
// supportsAllDrives=true is answered 404 notFound, as Drive does, and files.list finds the drive's files only with
// includeItemsFromAllDrives=true, supportsAllDrives=true and corpora=drive with the drive's id. The same requests
// pass in the default (My Drive) mode. Removing SupportsAllDrives(true) or the corpora/driveId of a list from
// internal/drive makes it miss files or fail against this mode.
func TestSharedDriveMode(t *testing.T) {
	const sharedID = "0AsharedDrive1"
	fake := newFake(t, sharedDriveOptions(sharedID))
	svc := newService(t, fake)
	ctx := t.Context()

	// Creating in the shared drive's folder without supportsAllDrives: the folder is not found.
	_, err := svc.Files.Create(&drive.File{Name: "a.csv", Parents: []string{folder}}).
		Media(bytes.NewReader([]byte("x")), googleapi.ContentType("text/csv")).Context(ctx).Do()
	if gerr := apiError(t, err); gerr.Code != http.StatusNotFound || reason(gerr) != "notFound" {
		t.Fatalf("create without supportsAllDrives = %d %s, want 404 notFound", gerr.Code, reason(gerr))
	}
	_, err = svc.Files.Create(&drive.File{Name: "a.csv", Parents: []string{folder}}).
		Media(bytes.NewReader(payload(3*chunkSize)), googleapi.ChunkSize(chunkSize)).Context(ctx).Do()
	if gerr := apiError(t, err); gerr.Code != http.StatusNotFound {
		t.Fatalf("resumable create without supportsAllDrives = %d, want 404", gerr.Code)
	}

	f, err := upload(ctx, svc, "a.csv", payload(3*chunkSize)) // with supportsAllDrives, as ledger-export does
	if err != nil {
		t.Fatalf("upload with supportsAllDrives: %v", err)
	}

	for name, call := range map[string]func(all bool) error{
		"get": func(all bool) error {
			_, err := svc.Files.Get(f.Id).SupportsAllDrives(all).Context(ctx).Do()
			return err
		},
		"update": func(all bool) error {
			_, err := svc.Files.Update(f.Id, &drive.File{AppProperties: map[string]string{"k": "v"}}).SupportsAllDrives(all).Context(ctx).Do()
			return err
		},
	} {
		if gerr := apiError(t, call(false)); gerr.Code != http.StatusNotFound || reason(gerr) != "notFound" {
			t.Errorf("%s without supportsAllDrives = %d %s, want 404 notFound", name, gerr.Code, reason(gerr))
		}
		if err := call(true); err != nil {
			t.Errorf("%s with supportsAllDrives: %v", name, err)
		}
	}

	lists := []struct {
		name string
		call *drive.FilesListCall
		want int // files found; -1 for a 404
	}{
		{"default corpora", svc.Files.List(), 0},
		{"supportsAllDrives only", svc.Files.List().SupportsAllDrives(true), 0},
		{"includeItemsFromAllDrives without corpora=drive", svc.Files.List().SupportsAllDrives(true).IncludeItemsFromAllDrives(true), 0},
		{"corpora=drive without includeItemsFromAllDrives", svc.Files.List().SupportsAllDrives(true).Corpora("drive").DriveId(sharedID), 0},
		{"corpora=drive without supportsAllDrives", svc.Files.List().IncludeItemsFromAllDrives(true).Corpora("drive").DriveId(sharedID), 0},
		{"another drive", svc.Files.List().SupportsAllDrives(true).IncludeItemsFromAllDrives(true).Corpora("drive").DriveId("0Aother"), -1},
		{"as ledger-export lists", svc.Files.List().SupportsAllDrives(true).IncludeItemsFromAllDrives(true).Corpora("drive").DriveId(sharedID), 1},
		{"all drives", svc.Files.List().SupportsAllDrives(true).IncludeItemsFromAllDrives(true).Corpora("allDrives"), 1},
	}
	for _, l := range lists {
		got, err := l.call.Context(ctx).Do()
		switch {
		case l.want < 0:
			if gerr := apiError(t, err); gerr.Code != http.StatusNotFound {
				t.Errorf("list %s = %d, want 404", l.name, gerr.Code)
			}
		case err != nil:
			t.Errorf("list %s: %v", l.name, err)
		case len(got.Files) != l.want:
			t.Errorf("list %s found %d files, want %d", l.name, len(got.Files), l.want)
		}
	}

	if err := svc.Files.Delete(f.Id).Context(ctx).Do(); apiError(t, err).Code != http.StatusNotFound {
		t.Errorf("delete without supportsAllDrives = %v, want 404", err)
	}
	if err := svc.Files.Delete(f.Id).SupportsAllDrives(true).Context(ctx).Do(); err != nil {
		t.Errorf("delete with supportsAllDrives: %v", err)
	}

	// A file created without parents is in the caller's My Drive: found without the shared drive parameters.
	if _, err := svc.Files.Create(&drive.File{Name: "mine.txt"}).Context(ctx).Do(); err != nil {
		t.Fatalf("create in My Drive: %v", err)
	}
	if got, err := svc.Files.List().Context(ctx).Do(); err != nil || len(got.Files) != 1 {
		t.Errorf("list of My Drive = %v, %v; want the one file", got, err)
	}
}

// TestMyDriveModeNeedsNoSharedDriveParameters: without Options.SharedDrive, requests without the shared drive
// parameters work, so a client that omits them passes there and fails only in the Shared Drive mode.
func TestMyDriveModeNeedsNoSharedDriveParameters(t *testing.T) {
	fake := newFake(t, sharedDriveOptions(""))
	svc := newService(t, fake)
	ctx := t.Context()
	f, err := svc.Files.Create(&drive.File{Name: "a.csv", Parents: []string{folder}}).
		Media(bytes.NewReader([]byte("x")), googleapi.ContentType("text/csv")).Context(ctx).Do()
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if _, err := svc.Files.Get(f.Id).Context(ctx).Do(); err != nil {
		t.Errorf("get: %v", err)
	}
	if got, err := svc.Files.List().Context(ctx).Do(); err != nil || len(got.Files) != 1 {
		t.Errorf("list = %v, %v; want the one file", got, err)
	}
}

// sharedDriveOptions are the options of a fake whose folder is in the shared drive id ("" for My Drive).
func sharedDriveOptions(id string) drivefake.Options {
	return drivefake.Options{SharedDrive: id}
}
