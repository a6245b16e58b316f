package medici_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/event"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/siamledger/ledger-export/internal/bench"
	"github.com/siamledger/ledger-export/internal/demo"
	"github.com/siamledger/ledger-export/internal/drivefake"
	"github.com/siamledger/ledger-export/internal/export"
	"github.com/siamledger/ledger-export/internal/medici"
	"github.com/siamledger/ledger-export/internal/testenv"
)

// recorded keeps every command the driver sends.
type recorded struct {
	mu   sync.Mutex
	cmds []*event.CommandStartedEvent
}

func (r *recorded) monitor() *event.CommandMonitor {
	return &event.CommandMonitor{Started: func(_ context.Context, e *event.CommandStartedEvent) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.cmds = append(r.cmds, e)
	}}
}

func (r *recorded) take() []*event.CommandStartedEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.cmds
	r.cmds = nil
	return out
}

// TestAccessPattern runs a whole export through the real Store on FerretDB and counts what the driver sends, with
// the driver's command monitor: one find of queue entries per medici.QueuePages pages, three finds per page (its
// journals, their lines, and the queue entries that hold its journals for another date) and nothing per entry, one update command for the claim, one for all the failed
// entries, one for the completed ones and one for the export log, and the per-run aggregations. Every filter can
// use one of the indexes the README tells operators to create (medici.Indexes). The counts do not depend on the
// machine. (With BATCH_SIZE 1000, that is 3.2 round trips per 1,000 entries; the test uses pages of 10 to stay
// fast on FerretDB, whose updates are slow, and still send two queue queries.) A read that looked up the journals
// exported elsewhere per entry, or not at all, fails here; so does one that sent the lookup once more per page.
//
// It runs with 99 entries (a short last page) and with 100 (an exact multiple of a queue query's pages, the only
// case where a reader that asks for more after a full query would send an empty last query), and compares the
// counts over every command expected or seen, so a missing command fails as well as an extra one.
func TestAccessPattern(t *testing.T) {
	for _, tc := range []struct{ journals, batch int }{{95, 10}, {96, 10}} {
		entries := tc.journals + 4 // demo.Options.Broken adds four broken entries
		t.Run(fmt.Sprintf("%d entries in pages of %d", entries, tc.batch), func(t *testing.T) {
			accessPattern(t, tc.journals, tc.batch)
		})
	}
}

func accessPattern(t *testing.T, journals, batch int) {
	d := demo.Generate(demo.Options{Journals: journals, Seed: 5, From: cutoff.Add(-20 * time.Hour), To: cutoff.Add(-time.Hour), Broken: true})
	seedDB, uri := testenv.MongoDB(t)
	if err := demo.Seed(t.Context(), seedDB, demo.Collections{Queue: collections.Queue, Journals: collections.Journals, Transactions: collections.Transactions}, d); err != nil {
		t.Fatalf("demo.Seed: %v", err)
	}
	rec := &recorded{}
	c, err := mongo.Connect(t.Context(), options.Client().ApplyURI(uri).SetMonitor(rec.monitor()))
	if err != nil {
		t.Fatalf("mongo.Connect: %v", err)
	}
	t.Cleanup(func() { _ = c.Disconnect(context.Background()) })
	store := medici.New(c.Database(seedDB.Name()), collections, medici.Options{BatchSize: batch, CallTimeout: time.Minute, Mapper: bench.Mapper()})

	fake, err := drivefake.NewServer(drivefake.Options{Folders: []string{bench.Folder}})
	if err != nil {
		t.Fatalf("drivefake.NewServer: %v", err)
	}
	t.Cleanup(fake.Close)
	r, err := bench.Runner(t.Context(), bench.Config{DriveURL: fake.URL(), ChunkSize: 256 << 10}, store)
	if err != nil {
		t.Fatal(err)
	}
	rec.take()
	rep, err := r.Run(t.Context(), export.Request{Date: "2026-11-28"})
	if err != nil || rep.Outcome != export.OutcomeExported {
		t.Fatalf("Run() = %+v, %v; want exported", rep, err)
	}
	if rep.Summary.EntriesExported != int64(d.Valid) || rep.Summary.EntriesFailed != int64(d.Invalid) {
		t.Errorf("summary = %+v, want %d exported and %d failed", rep.Summary, d.Valid, d.Invalid)
	}

	cmds := rec.take()
	counts := map[string]int{}
	for _, e := range cmds {
		counts[e.CommandName]++
	}
	entries := d.Valid + d.Invalid
	pages := (entries + batch - 1) / batch
	queries := (entries + medici.QueuePages*batch - 1) / (medici.QueuePages * batch)
	// Per run, not per page: the aggregations that find journals queued twice, reconcile the claim with the read,
	// check the marks, count unclaimable entries and list the dates with entries exporting.
	want := map[string]int{"find": queries + 3*pages, "update": 4, "aggregate": 5}
	if entries != journals+4 {
		t.Fatalf("demo made %d entries, want %d", entries, journals+4)
	}
	for _, name := range slices.Sorted(maps.Keys(union(want, counts))) {
		if name == "endSessions" {
			continue
		}
		if counts[name] != want[name] {
			t.Errorf("%d %s commands for %d entries in %d pages (%d queue queries), want %d (all: %v)", counts[name], name, entries, pages, queries, want[name], counts)
		}
	}
	// The update commands: the claim, the failed entries (one statement per distinct reason), the completed
	// entries, the export log.
	var updates [][]string
	for _, e := range cmds {
		if e.CommandName != "update" {
			continue
		}
		var names []string
		for _, u := range statements(t, e.Command) {
			s, _ := u.Lookup("u", "$set", "status").StringValueOK()
			names = append(names, s)
		}
		updates = append(updates, names)
	}
	if len(updates) == 4 && (!slices.Equal(updates[0], []string{"", "exporting"}) || len(updates[1]) != d.Invalid ||
		updates[1][0] != "failed" || !slices.Equal(updates[2], []string{"completed"})) {
		t.Errorf("update commands set status %v, want [(takeover) exporting] [failed ×%d] [completed] and the log", updates, d.Invalid)
	}

	// Every filter can use an index: its fields, branch by branch, are the leading keys of one of medici.Indexes
	// (or the _id index).
	indexes := map[string][][]string{}
	for _, ix := range medici.Indexes(collections) {
		var keys []string
		for _, k := range ix.Keys {
			keys = append(keys, k.Key)
		}
		indexes[ix.Collection] = append(indexes[ix.Collection], keys)
	}
	for _, e := range cmds {
		coll, filters := filtersOf(t, e)
		for _, f := range filters {
			for _, branch := range fieldSets(f) {
				if !indexed(branch, append(indexes[coll], []string{"_id"})) {
					t.Errorf("%s on %s filters on %v, which no index of medici.Indexes leads with", e.CommandName, coll, branch)
				}
			}
		}
	}
}

// union returns a set of the keys of a and b.
func union(a, b map[string]int) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

// statements returns the update statements of an update command.
func statements(t *testing.T, cmd bson.Raw) []bson.Raw {
	t.Helper()
	vals, err := cmd.Lookup("updates").Array().Values()
	if err != nil {
		t.Fatalf("update command without updates: %v", err)
	}
	var out []bson.Raw
	for _, v := range vals {
		out = append(out, v.Document())
	}
	return out
}

// filtersOf returns the collection a command reads or writes and the filters it uses.
func filtersOf(t *testing.T, e *event.CommandStartedEvent) (string, []bson.Raw) {
	coll, _ := e.Command.Lookup(e.CommandName).StringValueOK()
	switch e.CommandName {
	case "find":
		f, _ := e.Command.Lookup("filter").DocumentOK()
		return coll, []bson.Raw{f}
	case "update":
		var out []bson.Raw
		for _, s := range statements(t, e.Command) {
			out = append(out, s.Lookup("q").Document())
		}
		return coll, out
	case "aggregate":
		stages, _ := e.Command.Lookup("pipeline").Array().Values()
		for _, s := range stages {
			if m, ok := s.Document().Lookup("$match").DocumentOK(); ok {
				return coll, []bson.Raw{m}
			}
		}
	}
	return coll, nil
}

// fieldSets returns the fields a filter matches on, one set per branch of its $or.
func fieldSets(f bson.Raw) [][]string {
	sets := [][]string{nil}
	elems, _ := f.Elements()
	for _, el := range elems {
		switch el.Key() {
		case "$and":
			vals, _ := el.Value().Array().Values()
			for _, v := range vals {
				sets = cross(sets, fieldSets(v.Document()))
			}
		case "$or":
			vals, _ := el.Value().Array().Values()
			var alts [][]string
			for _, v := range vals {
				alts = append(alts, fieldSets(v.Document())...)
			}
			sets = cross(sets, alts)
		default:
			for i := range sets {
				sets[i] = append(sets[i], el.Key())
			}
		}
	}
	return sets
}

func cross(a, b [][]string) [][]string {
	var out [][]string
	for _, x := range a {
		for _, y := range b {
			out = append(out, append(slices.Clone(x), y...))
		}
	}
	return out
}

// indexed reports whether the fields are, in some order, the leading keys of one of the indexes.
func indexed(fields []string, indexes [][]string) bool {
	set := slices.Sorted(slices.Values(fields))
	set = slices.Compact(set)
	for _, keys := range indexes {
		if len(keys) >= len(set) && slices.Equal(slices.Sorted(slices.Values(keys[:len(set)])), set) {
			return true
		}
	}
	return false
}

// indexesOf returns the keys of medici.Indexes by collection.
func indexesOf() map[string][][]string {
	out := map[string][][]string{}
	for _, ix := range medici.Indexes(collections) {
		var keys []string
		for _, k := range ix.Keys {
			keys = append(keys, k.Key)
		}
		out[ix.Collection] = append(out[ix.Collection], keys)
	}
	return out
}

// The filters TestAccessPattern's plain run does not send must use the indexes too: a claim with held windows (an
// $or of createdAt ranges), a re-export with its failed entries (four statements), a dry run's $or, and the
// lookup of journals exported for another date. A claim that expressed the held windows with $nor or $not (which
// no index serves), or a lookup by status alone, fails here.
func TestEveryClaimAndDryRunFilterIsIndexed(t *testing.T) {
	d := world(t, []qdoc{
		{"a01", 0, false, queued(cutoff.Add(-time.Hour))},
		{"a02", 1, false, claimed("completed", "2026-11-27", 1)},
		{"a03", 1, false, queued(cutoff.Add(-time.Hour))},
	})
	seedDB, uri := testenv.MongoDB(t)
	if err := demo.Seed(t.Context(), seedDB, demo.Collections{Queue: collections.Queue, Journals: collections.Journals, Transactions: collections.Transactions}, d); err != nil {
		t.Fatal(err)
	}
	rec := &recorded{}
	c, err := mongo.Connect(t.Context(), options.Client().ApplyURI(uri).SetMonitor(rec.monitor()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Disconnect(context.Background()) })
	s := medici.New(c.Database(seedDB.Name()), collections, medici.Options{BatchSize: 10, CallTimeout: time.Minute, Mapper: medici.Mapper{Location: bkk}})
	b := export.Batch{Date: day, Cutoff: cutoff, Since: cutoff.Add(-24 * time.Hour), Generation: 2, Reexport: true, RetryFailed: true,
		Held: []export.Window{windowOf(2), windowOf(4)}}
	preview := b
	preview.Preview = true
	readOf(t, s, preview)
	if err := s.Claim(t.Context(), b, time.Now()); err != nil {
		t.Fatal(err)
	}
	readOf(t, s, b)
	indexes := indexesOf()
	seen := map[string]int{}
	for _, e := range rec.take() {
		coll, filters := filtersOf(t, e)
		seen[e.CommandName] += len(filters)
		for _, f := range filters {
			for _, branch := range fieldSets(f) {
				if !indexed(branch, append(indexes[coll], []string{"_id"})) {
					t.Errorf("%s on %s filters on %v, which no index of medici.Indexes leads with", e.CommandName, coll, branch)
				}
			}
		}
	}
	if seen["update"] != 4 || seen["find"] < 6 {
		t.Errorf("filters seen %v, want the claim's 4 statements and the finds of two reads", seen)
	}
}
