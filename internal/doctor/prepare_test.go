package doctor_test

import (
	"slices"
	"testing"

	"github.com/siamledger/ledger-export/internal/doctor"
)

// TestPrepareCreatesWhatIsMissing: `make indexes` (doctor.Prepare, run by the function) creates a missing
// collection and a missing index, after which both checks pass, and a second run creates nothing. It fails if
// Prepare skips a collection or an index the checks want, creates an index under different keys than the check
// compares, or recreates what exists (it must be safe to run at any time).
func TestPrepareCreatesWhatIsMissing(t *testing.T) {
	s := newSetup(t)
	ctx := t.Context()
	if err := s.db.Collection(collections.ExportLogs).Drop(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.Collection(collections.Queue).Indexes().DropOne(ctx, "status_1_batchDate_1"); err != nil {
		t.Fatal(err)
	}
	created, err := doctor.Prepare(ctx, s.db, collections)
	if err != nil {
		t.Fatalf("Prepare() = %v", err)
	}
	if !slices.Contains(created, "collection "+collections.ExportLogs) || !slices.Contains(created, "index { status: 1, batchDate: 1 } on "+collections.Queue) {
		t.Errorf("Prepare() created %q, want the export log collection, its indexes and the dropped queue index", created)
	}
	s.expect(doctor.CheckMongoCollections, doctor.OK)
	s.expect(doctor.CheckMongoIndexes, doctor.OK)
	again, err := doctor.Prepare(ctx, s.db, collections)
	if err != nil || len(again) != 0 {
		t.Errorf("Prepare() again = %q, %v; want nothing created", again, err)
	}
}
