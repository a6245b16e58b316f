package medici_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/event"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
	"go.mongodb.org/mongo-driver/mongo/readpref"

	"github.com/siamledger/ledger-export/internal/demo"
	"github.com/siamledger/ledger-export/internal/export"
	"github.com/siamledger/ledger-export/internal/medici"
	"github.com/siamledger/ledger-export/internal/testenv"
)

// mixedIDs are queue _ids of every type an app might use, deliberately not ObjectIds only: a string that looks
// like an ObjectId (re-typing it would make its marks match nothing), other strings, numbers of three types, a
// UUID, an ObjectId and a document.
func mixedIDs() []any {
	return []any{
		"65a1b2c3d4e5f60718293a4b", // 24 hex digits, but a string
		"0012",
		"entry-b",
		int32(5),
		int64(7),
		2.5,
		primitive.Binary{Subtype: 4, Data: []byte("0123456789abcdef")},
		primitive.NewObjectIDFromTimestamp(cutoff.Add(-time.Hour)),
		bson.D{{Key: "app", Value: "pos"}, {Key: "n", Value: 1}},
		int32(-3),
		"entry-a",
	}
}

// withIDs replaces the _ids of d's queue entries with ids, in order.
func withIDs(d demo.Data, ids []any) demo.Data {
	for i, id := range ids {
		q := d.Queue[i].(bson.D)
		q[0].Value = id
	}
	return d
}

func readAll(t *testing.T, s *medici.Store, b export.Batch) ([]export.Entry, int) {
	t.Helper()
	var (
		all   []export.Entry
		pages int
	)
	if err := s.Read(t.Context(), b, func(p []export.Entry) error {
		pages++
		all = append(all, p...)
		return nil
	}); err != nil {
		t.Fatalf("Read() = %v", err)
	}
	return all, pages
}

// A read that continued with {_id: {$gt: last}} alone stops at the end of the first BSON type (strings after
// numbers, say) and skips the rest; one that re-typed ids marks nothing for a string id that looks like an
// ObjectId. Both fail here.
func TestReadAndMarkMixedIDTypesAcrossPages(t *testing.T) {
	ids := mixedIDs()
	d := demo.Generate(demo.Options{Journals: len(ids), Seed: 11, From: cutoff.Add(-20 * time.Hour), To: cutoff.Add(-time.Hour)})
	d = withIDs(d, ids)
	// One entry a page, so that the queue queries (medici.QueuePages pages each) start after a string, "0012",
	// and after binary data: types cross query boundaries.
	s, _, _ := setup(t, d, 1)
	ctx := t.Context()
	b := export.Batch{Date: "2026-11-28", Cutoff: cutoff, Generation: 1}
	if err := s.Claim(ctx, b, time.Now()); err != nil {
		t.Fatalf("Claim() = %v", err)
	}
	entries, pages := readAll(t, s, b)
	if len(entries) != len(ids) || pages != len(ids) {
		var got []string
		for _, e := range entries {
			got = append(got, e.ID)
		}
		t.Fatalf("Read() returned %d entries in %d pages, want %d in %d: %q", len(entries), pages, len(ids), len(ids), got)
	}
	var order []string
	for _, e := range entries {
		if e.Err != nil {
			t.Errorf("entry %s failed: %v", e.ID, e.Err)
		}
		order = append(order, e.ID)
	}
	// MongoDB's order: numbers, strings, documents, binary data, ObjectIds.
	wantPrefix := []string{"-3", "2.5", "5", "7", "0012", "65a1b2c3d4e5f60718293a4b", "entry-a", "entry-b", `{"app": "pos","n": {"$numberInt":"1"}}`, "30313233-3435-3637-3839-616263646566"}
	if !slices.Equal(order[:len(wantPrefix)], wantPrefix) {
		t.Errorf("Read() order = %q, want it to start %q", order, wantPrefix)
	}

	// Mark the string id that looks like an ObjectId failed, by its own type.
	var hexString export.Entry
	for _, e := range entries {
		if e.ID == "65a1b2c3d4e5f60718293a4b" {
			hexString = e
		}
	}
	f := export.Failure{EntryID: hexString.ID, Reason: "test", Key: hexString.Key}
	if err := s.MarkFailed(ctx, b, []export.Failure{f}, time.Now()); err != nil {
		t.Fatalf("MarkFailed(string id that looks like an ObjectId) = %v", err)
	}
	if n, err := s.MarkExported(ctx, b, export.File{ID: "f1"}, time.Now()); err != nil || n != int64(len(ids)-1) {
		t.Errorf("MarkExported() = %d, %v; want %d", n, err, len(ids)-1)
	}
	if c, err := s.Count(ctx, b.Date, b.Generation); err != nil || c != (export.Counts{Completed: int64(len(ids) - 1), Failed: 1}) {
		t.Errorf("Count() = %+v, %v; want %d completed and 1 failed", c, err, len(ids)-1)
	}
}

// Without the duplicate check, a journal queued twice is written twice in one file.
func TestJournalQueuedTwiceIsExportedOnce(t *testing.T) {
	d := demo.Generate(demo.Options{Journals: 5, Seed: 12, From: cutoff.Add(-20 * time.Hour), To: cutoff.Add(-time.Hour)})
	// A retry in the app queues the first journal again, later, as a hex string reference.
	first := d.Queue[0].(bson.D)
	jid := first[1].Value.(primitive.ObjectID)
	again := bson.D{{Key: "_id", Value: "zz-retry"}, {Key: "entryId", Value: jid.Hex()}, {Key: "exportPath", Value: "scheduled"},
		{Key: "status", Value: "queued"}, {Key: "createdAt", Value: cutoff.Add(-time.Minute)}}
	d.Queue = append(d.Queue, again)
	s, _, _ := setup(t, d, 2)
	b := export.Batch{Date: "2026-11-28", Cutoff: cutoff, Generation: 1}
	if err := s.Claim(t.Context(), b, time.Now()); err != nil {
		t.Fatal(err)
	}
	entries, _ := readAll(t, s, b)
	written := map[string][]string{}
	var original export.Entry
	for _, e := range entries {
		if e.Err == nil {
			written[e.JournalID] = append(written[e.JournalID], e.ID)
		}
		if e.ID == first[0].Value.(primitive.ObjectID).Hex() {
			original = e
		}
	}
	// Strings sort before ObjectIds, so the retry's entry is the journal's first by _id and exports it.
	if got := written[jid.Hex()]; len(got) != 1 || got[0] != "zz-retry" {
		t.Errorf("journal %s written by entries %v, want once, by the first entry by _id (zz-retry)", jid.Hex(), got)
	}
	if !errors.Is(original.Err, medici.ErrDuplicate) || !strings.Contains(original.Err.Error(), "duplicate of entry zz-retry") {
		t.Errorf("the other entry of the journal failed with %v, want a duplicate of zz-retry", original.Err)
	}
	if len(written) != 5 {
		t.Errorf("%d journals written, want all 5 once", len(written))
	}
}

// A takeover must report the failures an earlier attempt marked, with their reasons, so that every attempt's
// summary is the same; and a writer of an older generation must change nothing the newer one owns.
func TestTakeoverKeepsFailuresAndFencesTheOlderGeneration(t *testing.T) {
	d := demo.Generate(demo.Options{Journals: 10, Seed: 13, From: cutoff.Add(-20 * time.Hour), To: cutoff.Add(-time.Hour), Broken: true})
	s, _, _ := setup(t, d, 4)
	ctx := t.Context()
	g1 := export.Batch{Date: "2026-11-28", Cutoff: cutoff, Generation: 1}
	if err := s.Claim(ctx, g1, time.Now()); err != nil {
		t.Fatal(err)
	}
	entries, _ := readAll(t, s, g1)
	var failures []export.Failure
	for _, e := range entries {
		err := e.Err
		if err == nil {
			err = e.Journal.Check()
		}
		if err != nil {
			failures = append(failures, export.Failure{EntryID: e.ID, Reason: err.Error(), Key: e.Key})
		}
	}
	if len(failures) != d.Invalid || d.Invalid == 0 {
		t.Fatalf("%d failures, want %d", len(failures), d.Invalid)
	}
	if err := s.MarkFailed(ctx, g1, failures, time.Now()); err != nil {
		t.Fatal(err)
	}

	g2 := g1
	g2.Generation = 2
	if err := s.Claim(ctx, g2, time.Now()); err != nil {
		t.Fatal(err)
	}
	total := int64(d.Valid + d.Invalid)
	if c, err := s.Count(ctx, g2.Date, 2); err != nil || c != (export.Counts{Exporting: int64(d.Valid), Failed: int64(d.Invalid)}) {
		t.Fatalf("Count(generation 2) = %+v, %v; want every entry taken over, failures kept", c, err)
	}
	again, _ := readAll(t, s, g2)
	var marked []string
	for _, e := range again {
		if e.Marked {
			marked = append(marked, e.ID+": "+e.Err.Error())
		}
	}
	var want []string
	for _, f := range failures {
		want = append(want, f.EntryID+": "+f.Reason)
	}
	if !slices.Equal(marked, want) {
		t.Errorf("generation 2 read marked failures %q, want %q", marked, want)
	}

	// The older generation, thawed: its claim, marks and release change nothing.
	if err := s.Claim(ctx, g1, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkFailed(ctx, g1, []export.Failure{{EntryID: again[0].ID, Reason: "stale", Key: again[0].Key}}, time.Now()); err == nil {
		t.Error("MarkFailed(stale generation) = nil, want an error: it matched nothing")
	}
	if n, err := s.MarkExported(ctx, g1, export.File{ID: "stale"}, time.Now()); err != nil || n != 0 {
		t.Errorf("MarkExported(stale generation) = %d, %v; want 0", n, err)
	}
	if n, err := s.Release(ctx, g1); err != nil || n != 0 {
		t.Errorf("Release(stale generation) = %d, %v; want 0", n, err)
	}
	if c, err := s.Count(ctx, g2.Date, 2); err != nil || c.Exporting+c.Failed != total {
		t.Errorf("Count(generation 2) after the stale writer = %+v, %v; want all %d entries still generation 2's", c, err, total)
	}
	if n, err := s.Release(ctx, g2); err != nil || n != int64(d.Valid) {
		t.Errorf("Release(generation 2) = %d, %v; want %d (failures stay failed)", n, err, d.Valid)
	}
}

func TestPendingAndUnclaimable(t *testing.T) {
	d := demo.Generate(demo.Options{Journals: 3, Seed: 14, From: cutoff.Add(-20 * time.Hour), To: cutoff.Add(-time.Hour)})
	q := d.Queue[1].(bson.D)
	q[4].Value = "2026-11-28T10:00:00Z" // createdAt as a string: no claim can compare it with the cutoff
	d.Queue[1] = q
	d.Queue[2] = slices.DeleteFunc(d.Queue[2].(bson.D), func(e bson.E) bool { return e.Key == "createdAt" })
	s, _, _ := setup(t, d, 10)
	ctx := t.Context()
	if n, err := s.Unclaimable(ctx); err != nil || n != 2 {
		t.Errorf("Unclaimable() = %d, %v; want 2", n, err)
	}
	if err := s.Claim(ctx, export.Batch{Date: "2026-11-28", Cutoff: cutoff, Generation: 1}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if dates, err := s.Pending(ctx); err != nil || !slices.Equal(dates, []string{"2026-11-28"}) {
		t.Errorf("Pending() = %v, %v; want [2026-11-28]", dates, err)
	}
}

// The queries must read from the primary at majority and write at majority, even when the connection string
// asks for less.
func TestConcernsOverrideTheURI(t *testing.T) {
	d := demo.Generate(demo.Options{Journals: 4, Seed: 15, From: cutoff.Add(-20 * time.Hour), To: cutoff.Add(-time.Hour), Broken: true})
	seedDB, uri := testenv.MongoDB(t)
	if err := demo.Seed(t.Context(), seedDB, demo.Collections{Queue: collections.Queue, Journals: collections.Journals, Transactions: collections.Transactions}, d); err != nil {
		t.Fatal(err)
	}
	var (
		mu   sync.Mutex
		cmds []bson.Raw
	)
	mon := &event.CommandMonitor{Started: func(_ context.Context, e *event.CommandStartedEvent) {
		mu.Lock()
		defer mu.Unlock()
		cmds = append(cmds, slices.Clone(e.Command))
	}}
	sep := "?"
	if strings.Contains(uri, "?") {
		sep = "&"
	}
	c, err := mongo.Connect(t.Context(), options.Client().ApplyURI(uri+sep+"readPreference=secondaryPreferred&readConcernLevel=local&w=1").SetMonitor(mon))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Disconnect(context.Background()) })
	s := medici.New(c.Database(seedDB.Name()), collections, medici.Options{BatchSize: 2, CallTimeout: 30 * time.Second, Mapper: medici.Mapper{Location: bkk}})
	ctx := t.Context()
	b := export.Batch{Date: "2026-11-28", Cutoff: cutoff, Generation: 1}
	if err := s.Claim(ctx, b, time.Now()); err != nil {
		t.Fatal(err)
	}
	readAll(t, s, b)
	if _, err := s.Count(ctx, b.Date, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := s.MarkExported(ctx, b, export.File{ID: "f"}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if medici.Concerns().ReadPreference.Mode() != readpref.PrimaryMode {
		t.Errorf("Concerns() read preference = %v, want primary", medici.Concerns().ReadPreference.Mode())
	}
	mu.Lock()
	defer mu.Unlock()
	seen := map[string]int{}
	for _, cmd := range cmds {
		name := cmd.Index(0).Key()
		switch name {
		case "find", "aggregate", "distinct", "count":
			seen[name]++
			if lvl, _ := cmd.Lookup("readConcern", "level").StringValueOK(); lvl != "majority" {
				t.Errorf("%s sent readConcern %v, want majority", name, cmd.Lookup("readConcern"))
			}
			if rp, err := cmd.LookupErr("$readPreference", "mode"); err == nil && rp.StringValue() != "primary" {
				t.Errorf("%s sent read preference %v, want primary", name, rp)
			}
		case "update":
			seen[name]++
			if w := cmd.Lookup("writeConcern", "w"); w.StringValue() != "majority" {
				t.Errorf("update sent writeConcern %v, want majority", cmd.Lookup("writeConcern"))
			}
		}
	}
	if seen["find"] == 0 || seen["aggregate"] == 0 || seen["update"] == 0 {
		t.Errorf("commands seen %v, want finds, aggregates and updates", seen)
	}
}

// The server's own sort is the oracle for compareValues: a keyset read whose order check disagreed with MongoDB's
// would refuse a correct page (or accept a wrong one).
func TestServerOrderMatchesTheReadsOrderCheck(t *testing.T) {
	db, _ := testenv.MongoDB(t)
	ctx := t.Context()
	coll := db.Collection("order")
	r := rand.New(rand.NewPCG(1, 2))
	seen := map[string]bool{}
	var docs []any
	add := func(v any) {
		raw, _ := bson.Marshal(bson.D{{Key: "v", Value: v}})
		if k := string(raw); !seen[k] {
			seen[k] = true
			docs = append(docs, bson.D{{Key: "_id", Value: v}})
		}
	}
	for range 60 {
		switch r.IntN(7) {
		case 0:
			add(int32(2 * (r.IntN(40) - 20))) // numbers of the three types never equal: an _id must be unique
		case 1:
			add(int64(2*(r.IntN(40)-20) + 1))
		case 2:
			add(float64(r.IntN(400)-200) + 0.25)
		case 3:
			add(strings.Repeat(string(rune('a'+r.IntN(3))), 1+r.IntN(3)))
		case 4:
			b := make([]byte, 1+r.IntN(3))
			for i := range b {
				b[i] = byte(r.IntN(3))
			}
			add(primitive.Binary{Subtype: byte(r.IntN(2) * 4), Data: b})
		case 5:
			add(primitive.NewObjectIDFromTimestamp(time.Unix(int64(r.IntN(1000)), 0)))
		case 6:
			add(bson.D{{Key: "k", Value: int32(r.IntN(3))}})
		}
	}
	if _, err := coll.InsertMany(ctx, docs); err != nil {
		t.Fatal(err)
	}
	cur, err := coll.Find(ctx, bson.D{}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		t.Fatal(err)
	}
	var sorted []bson.RawValue
	for cur.Next(ctx) {
		v := cur.Current.Lookup("_id")
		sorted = append(sorted, bson.RawValue{Type: v.Type, Value: slices.Clone(v.Value)})
	}
	if len(sorted) < 30 {
		t.Fatalf("only %d distinct ids", len(sorted))
	}
	for i := 1; i < len(sorted); i++ {
		if c := medici.CompareValues(sorted[i-1], sorted[i]); c >= 0 {
			t.Errorf("server sorts %v before %v, compareValues says %d", sorted[i-1], sorted[i], c)
		}
	}
}

// An entry an older version of the export claimed carries no exportGeneration: the next claim must take it over,
// or it would stay exporting, in no file, forever.
func TestClaimTakesOverEntriesWithoutAGeneration(t *testing.T) {
	d := demo.Generate(demo.Options{Journals: 3, Seed: 16, From: cutoff.Add(-20 * time.Hour), To: cutoff.Add(-time.Hour)})
	q := d.Queue[0].(bson.D)
	for i := range q {
		if q[i].Key == "status" {
			q[i].Value = "exporting"
		}
	}
	d.Queue[0] = append(q, bson.E{Key: "batchDate", Value: "2026-11-28"})
	s, _, _ := setup(t, d, 10)
	b := export.Batch{Date: "2026-11-28", Cutoff: cutoff, Generation: 4}
	if err := s.Claim(t.Context(), b, time.Now()); err != nil {
		t.Fatal(err)
	}
	if c, err := s.Count(t.Context(), b.Date, 4); err != nil || c.Exporting != 3 {
		t.Errorf("Count() = %+v, %v; want all 3 entries, the legacy claim included", c, err)
	}
}
