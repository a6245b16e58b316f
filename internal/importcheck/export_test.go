package importcheck_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"

	"github.com/siamledger/ledger-export/internal/bench"
	"github.com/siamledger/ledger-export/internal/csvfile"
	"github.com/siamledger/ledger-export/internal/demo"
	"github.com/siamledger/ledger-export/internal/drivefake"
	"github.com/siamledger/ledger-export/internal/export"
	"github.com/siamledger/ledger-export/internal/importcheck"
	"github.com/siamledger/ledger-export/internal/layout"
	"github.com/siamledger/ledger-export/internal/medici"
)

// meta are the meta columns make run configures (function/cmd/local).
var meta = []string{"invoiceNo", "customer"}

// demoData is the demo's ledger for the batch date bench.Date: 300 journals over the day before the cutoff, the
// broken entries, and (with voids) three journals voided the Medici way with their reversals.
func demoData(voids bool) demo.Data {
	return demo.Generate(demo.Options{Journals: 300, Seed: 7, From: bench.Cutoff.Add(-24 * time.Hour), To: bench.Cutoff.Add(-time.Minute),
		Broken: true, MediciVoids: voids})
}

func raws(t *testing.T, docs []any) []bson.Raw {
	t.Helper()
	out := make([]bson.Raw, len(docs))
	for i, d := range docs {
		b, err := bson.Marshal(d)
		if err != nil {
			t.Fatalf("marshal demo document: %v", err)
		}
		out[i] = b
	}
	return out
}

// memoryQueue is medici.Memory over demo documents, with the export's mapper: one page of queue entries, its
// journals and its lines (the same mapping and assembly as MongoDB's Store).
func memoryQueue(t *testing.T, queue, journals, lines []any) *medici.Memory {
	t.Helper()
	q, js, ls := raws(t, queue), raws(t, journals), raws(t, lines)
	return &medici.Memory{
		Entries: int64(len(q)),
		Mapper:  medici.Mapper{Meta: meta, Location: bench.Zone},
		Pages: func(_ context.Context, i int, part medici.Part) (medici.Docs, error) {
			if i > 0 {
				return medici.Docs{Last: true}, nil
			}
			switch part {
			case medici.PartQueue:
				return medici.Docs{Raw: q, Last: true}, nil
			case medici.PartJournals:
				return medici.Docs{Raw: js}, nil
			}
			return medici.Docs{Raw: ls}, nil
		},
	}
}

// runExport exports the demo data for bench.Date through the real export.Runner: the queue is medici.Memory (the
// same mapping and assembly as MongoDB's Store), the upload goes through the real Drive client to the fake Drive,
// and the file is read back from the fake. It returns the file's bytes (nil when the run failed) and the run's
// report and error.
func runExport(t *testing.T, d demo.Data, format export.Format) ([]byte, export.Report, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	q := memoryQueue(t, d.Queue, d.Journals, d.Transactions)
	fake, err := drivefake.NewServer(drivefake.Options{Folders: []string{bench.Folder}})
	if err != nil {
		t.Fatalf("start fake drive: %v", err)
	}
	defer fake.Close()
	dr, err := bench.NewDrive(ctx, fake.URL(), 256<<10)
	if err != nil {
		t.Fatal(err)
	}
	now := bench.Cutoff.Add(time.Minute)
	r := &export.Runner{
		Locker: &bench.Locker{}, Queue: q, Drive: dr,
		Now: func() time.Time { return now }, Location: bench.Zone, CutoffHour: 18,
		Lease: 35 * time.Minute, BackfillWindow: 62 * 24 * time.Hour, FilePrefix: "ledger-export",
		ChunkSize: 256 << 10, Format: format, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	rep, err := r.Run(ctx, export.Request{Date: bench.Date})
	files := fake.LiveFiles(bench.Folder)
	if err != nil || len(files) == 0 {
		return nil, rep, err
	}
	return files[0].Content, rep, nil
}

// preset parses a preset with the demo's account map file.
func preset(t *testing.T, name, extra string) layout.Layout {
	t.Helper()
	spec := `{"preset":"` + name + `","accountMap":"../demo/accountmap.csv"` + extra + `}`
	l, err := layout.Parse(spec, meta)
	if err != nil {
		t.Fatalf("Parse(%s): %v", spec, err)
	}
	return l
}

func csvFormat(l layout.Layout) export.Format {
	return csvfile.Format(csvfile.Options{Meta: meta, Location: bench.Zone, Layout: l})
}

// The demo organisation in each package (importcheck.DemoXero, DemoQuickBooks).
var (
	xeroOrg = importcheck.DemoXero
	qboOrg  = importcheck.DemoQuickBooks
)

// voidedIDs are the ids of the demo's voided journals.
func voidedIDs(d demo.Data) []string {
	var ids []string
	for _, j := range d.Journals {
		var id primitive.ObjectID
		voided := false
		for _, e := range j.(bson.D) {
			switch e.Key {
			case "_id":
				id = e.Value.(primitive.ObjectID)
			case "voided":
				voided = e.Value == true
			}
		}
		if voided {
			ids = append(ids, id.Hex())
		}
	}
	return ids
}

func failures(rep export.Report) []string {
	if rep.Summary == nil {
		return nil
	}
	var out []string
	for _, f := range rep.Summary.Failures {
		out = append(out, f.Reason)
	}
	return out
}

// TestPresetFilesImport exports the demo day, voids made the Medici way included, with each preset and checks the
// file the export uploaded against the package's published rules (Xero's and Intuit's help pages). It fails if a
// preset writes a Medici path as a Xero code, more than 300 lines, a narration that is a bare id, an unbalanced
// journal, a date in another format, an A/R line without a Name, a sub-account path, a guard apostrophe, a
// journal number dated another day than its journal, or posts a voided journal.
func TestPresetFilesImport(t *testing.T) {
	d := demoData(true)
	for _, tc := range []struct {
		name  string
		check func([]byte) []importcheck.Problem
	}{
		{"xero-manual-journal", xeroOrg.Check},
		{"quickbooks-journal-entry", qboOrg.Check},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file, rep, err := runExport(t, d, csvFormat(preset(t, tc.name, "")))
			if err != nil {
				t.Fatalf("export with %s: %v", tc.name, err)
			}
			for _, p := range tc.check(file) {
				t.Errorf("%s: %s", tc.name, p)
			}
			// The README's examples come from this log.
			rows := strings.Split(strings.TrimSuffix(string(file), "\r\n"), "\r\n")
			t.Logf("%s: %d rows after the header, %d failed entries; the first rows:\n%s", tc.name, len(rows)-1,
				len(failures(rep)), strings.Join(rows[:min(len(rows), 6)], "\n"))
			// The four broken entries fail; no journal fails for the map, and none for the voids.
			if got := failures(rep); len(got) != len(demo.Broken) {
				t.Errorf("failures = %q, want the %d broken entries", got, len(demo.Broken))
			}
			if strings.Contains(string(file), demo.VoidReason) {
				t.Errorf("the file holds a reversal (memo %q)", demo.VoidReason)
			}
			ids := voidedIDs(d)
			if len(ids) != 3 {
				t.Fatalf("the demo voided %d journals, want 3", len(ids))
			}
			for _, id := range ids {
				if strings.Contains(string(file), id[12:]) {
					t.Errorf("the file holds voided journal %s", id)
				}
			}
		})
	}
}

func parse(t *testing.T, spec string) layout.Layout {
	t.Helper()
	l, err := layout.Parse(spec, meta)
	if err != nil {
		t.Fatalf("Parse(%s): %v", spec, err)
	}
	return l
}
