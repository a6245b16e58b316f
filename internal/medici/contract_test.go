package medici_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/siamledger/ledger-export/internal/export"
	"github.com/siamledger/ledger-export/internal/medici"
	"github.com/siamledger/ledger-export/internal/testenv"
)

// contractDB is the database the Store contract runs on: under `make test` a FerretDB database of the test's own;
// under `make contract` (LEDGER_CONTRACT=1) a new database on the real MongoDB of MONGODB_TEST_URI, dropped at the
// end. Without MONGODB_TEST_URI, make contract skips with one line saying so.
func contractDB(t *testing.T) *mongo.Database {
	t.Helper()
	if os.Getenv("LEDGER_CONTRACT") == "" {
		db, _ := testenv.MongoDB(t)
		return db
	}
	uri := os.Getenv("MONGODB_TEST_URI")
	if uri == "" {
		t.Skip("medici contract against a real MongoDB skipped: MONGODB_TEST_URI is not set (a user with readWrite and dropDatabase on ledger_contract_* databases; a replica set, such as an Atlas cluster)")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	c, err := mongo.Connect(ctx, options.Client().ApplyURI(uri).SetTimeout(30*time.Second))
	if err != nil {
		t.Fatalf("connect to MONGODB_TEST_URI: %v", err)
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	db := c.Database("ledger_contract_" + hex.EncodeToString(b[:]))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := db.Drop(ctx); err != nil {
			t.Errorf("drop %s: %v", db.Name(), err)
		}
		_ = c.Disconnect(ctx)
	})
	t.Logf("medici contract on the real MongoDB of MONGODB_TEST_URI, database %s", db.Name())
	return db
}

// TestStoreContract is the one body of the medici Store's contract: `make test` runs it on FerretDB and
// `make contract` on the user's real MongoDB, so a difference between the two shows up as this test failing in
// one place only. It claims a batch whose queue entries have _ids of five BSON types (ObjectId, string, int32,
// int64, double), reads it in pages of one (a query every five entries, its keyset step crossing types) and checks
// the order against the server's own sort on _id, finds the journal queued twice with the aggregation, marks the
// entries and counts them.
//
// Bugs it catches: a keyset filter that skips or repeats entries where the _id type changes (the server's order
// of types differs from the code's); a claim that takes an entry at the cutoff or one whose createdAt is not a
// date; the duplicates aggregation missing the journal queued twice, or failing the first entry instead of the
// later; marks or counts that miss entries with non-ObjectId _ids; a MarkExported that is not idempotent.
func TestStoreContract(t *testing.T) {
	db := contractDB(t)
	ctx := t.Context()
	at := cutoff.Add(-3 * time.Hour)
	// One journal per queue entry, but the last entry names the first entry's journal again.
	// Read in pages of one, a query reads medici.QueuePages (5) entries: the server's order is the five numbers,
	// the five strings, the two ObjectIds, so the keyset steps after the 5th and the 10th cross from one type to
	// the next.
	ids := []any{primitive.NewObjectIDFromTimestamp(at), primitive.NewObjectIDFromTimestamp(at.Add(time.Second)),
		"entry-b", "entry-a", "entry-c", "entry-d", int32(7), int64(3), 5.5, int32(1), int64(9), "entry-z"}
	journals := make([]primitive.ObjectID, len(ids)-1)
	for i := range journals {
		journals[i] = primitive.NewObjectIDFromTimestamp(at.Add(time.Duration(i) * time.Minute))
		tx := []primitive.ObjectID{primitive.NewObjectID(), primitive.NewObjectID()}
		if _, err := db.Collection(collections.Journals).InsertOne(ctx, bson.D{{Key: "_id", Value: journals[i]}, {Key: "datetime", Value: at},
			{Key: "memo", Value: fmt.Sprintf("contract %d", i)}, {Key: "book", Value: "main"}, {Key: "_transactions", Value: bson.A{tx[0], tx[1]}}}); err != nil {
			t.Fatalf("insert journal: %v", err)
		}
		for k, side := range []bson.D{{{Key: "debit", Value: 125.5}, {Key: "credit", Value: 0}}, {{Key: "debit", Value: 0}, {Key: "credit", Value: 125.5}}} {
			doc := append(bson.D{{Key: "_id", Value: tx[k]}, {Key: "_journal", Value: journals[i]}, {Key: "datetime", Value: at}, {Key: "book", Value: "main"},
				{Key: "memo", Value: "line"}, {Key: "accounts", Value: fmt.Sprintf("Assets:%d", k)}}, side...)
			if _, err := db.Collection(collections.Transactions).InsertOne(ctx, doc); err != nil {
				t.Fatalf("insert line: %v", err)
			}
		}
	}
	queue := db.Collection(collections.Queue)
	for i, id := range ids {
		j := journals[min(i, len(journals)-1)]
		if i == len(ids)-1 {
			j = journals[0] // queued twice
		}
		if _, err := queue.InsertOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "entryId", Value: j}, {Key: "exportPath", Value: "scheduled"},
			{Key: "status", Value: "queued"}, {Key: "createdAt", Value: at.Add(time.Duration(i) * time.Second)}}); err != nil {
			t.Fatalf("insert queue entry %v: %v", id, err)
		}
	}
	for _, extra := range []bson.D{
		{{Key: "_id", Value: "at-the-cutoff"}, {Key: "entryId", Value: journals[1]}, {Key: "exportPath", Value: "scheduled"}, {Key: "status", Value: "queued"}, {Key: "createdAt", Value: cutoff}},
		{{Key: "_id", Value: "no-date"}, {Key: "entryId", Value: journals[1]}, {Key: "exportPath", Value: "scheduled"}, {Key: "status", Value: "queued"}, {Key: "createdAt", Value: "2026-11-28"}},
	} {
		if _, err := queue.InsertOne(ctx, extra); err != nil {
			t.Fatalf("insert: %v", err)
		}
	}

	s := medici.New(db, collections, medici.Options{BatchSize: 1, CallTimeout: 30 * time.Second, Mapper: medici.Mapper{Location: bkk}})
	b := export.Batch{Date: "2026-11-28", Cutoff: cutoff, Generation: 1}
	if err := s.Claim(ctx, b, time.Now()); err != nil {
		t.Fatalf("Claim: %v", err)
	}
	if c, err := s.Count(ctx, b.Date, b.Generation); err != nil || c != (export.Counts{Exporting: int64(len(ids))}) {
		t.Fatalf("Count after the claim = %+v, %v; want %d exporting (not the entry at the cutoff, not the one without a date)", c, err, len(ids))
	}
	if n, err := s.Unclaimable(ctx); err != nil || n != 1 {
		t.Errorf("Unclaimable = %d, %v; want 1", n, err)
	}

	// The server's own order of the claimed entries.
	cur, err := queue.Find(ctx, bson.D{{Key: "batchDate", Value: b.Date}}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		t.Fatal(err)
	}
	var want []bson.RawValue
	for cur.Next(ctx) {
		id := cur.Current.Lookup("_id")
		want = append(want, bson.RawValue{Type: id.Type, Value: bytes.Clone(id.Value)})
	}
	if err := cur.Err(); err != nil {
		t.Fatal(err)
	}

	var got []bson.RawValue
	var failures []export.Failure
	var dups []bson.RawValue
	pages := 0
	err = s.Read(ctx, b, func(page []export.Entry) error {
		pages++
		for _, e := range page {
			k, ok := e.Key.(bson.RawValue)
			if !ok {
				return fmt.Errorf("entry %s Key is %T, want bson.RawValue", e.ID, e.Key)
			}
			got = append(got, k)
			if e.Err == nil {
				e.Err = e.Journal.Check()
			}
			if e.Err != nil {
				failures = append(failures, export.Failure{EntryID: e.ID, JournalID: e.JournalID, Reason: e.Err.Error(), Key: e.Key})
				if errors.Is(e.Err, medici.ErrDuplicate) {
					dups = append(dups, k)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if len(got) != len(want) {
		t.Fatalf("Read gave %d entries, the server holds %d claimed", len(got), len(want))
	}
	for i := range want {
		if !got[i].Equal(want[i]) {
			t.Errorf("entry %d read = %v, the server's _id order has %v", i, got[i], want[i])
		}
	}
	if pages != len(ids) {
		t.Errorf("Read took %d pages of 1 for %d entries", pages, len(ids))
	}
	// The journal queued twice: the entry of the two that sorts later fails as a duplicate.
	first, second := bson.RawValue{}, bson.RawValue{}
	for _, k := range want {
		for _, id := range []any{ids[0], ids[len(ids)-1]} {
			typ, v, _ := bson.MarshalValue(id)
			if k.Equal(bson.RawValue{Type: typ, Value: v}) {
				if first.Type == 0 {
					first = k
				} else {
					second = k
				}
			}
		}
	}
	if len(dups) != 1 || !dups[0].Equal(second) {
		t.Errorf("duplicates = %v, want only %v (the later of %v and %v by the server's order)", dups, second, first, second)
	}
	if len(failures) != 1 {
		t.Errorf("failures = %+v, want only the duplicate", failures)
	}

	if err := s.MarkFailed(ctx, b, failures, time.Now()); err != nil {
		t.Fatalf("MarkFailed: %v", err)
	}
	n, err := s.MarkExported(ctx, b, export.File{ID: "contract-file", WebViewLink: "https://drive.google.com/file/d/contract-file/view"}, time.Now())
	if err != nil || n != int64(len(ids)-1) {
		t.Errorf("MarkExported = %d, %v; want %d", n, err, len(ids)-1)
	}
	if again, err := s.MarkExported(ctx, b, export.File{ID: "contract-file"}, time.Now()); err != nil || again != 0 {
		t.Errorf("second MarkExported = %d, %v; want 0", again, err)
	}
	if c, err := s.Count(ctx, b.Date, b.Generation); err != nil || c != (export.Counts{Completed: int64(len(ids) - 1), Failed: 1}) {
		t.Errorf("Count after the marks = %+v, %v; want %d completed and 1 failed", c, err, len(ids)-1)
	}
	done, err := queue.CountDocuments(ctx, bson.D{{Key: "status", Value: "completed"}, {Key: "metadata.fileId", Value: "contract-file"}})
	if err != nil || done != int64(len(ids)-1) {
		t.Errorf("the server counts %d, %v entries completed in the file; want %d", done, err, len(ids)-1)
	}
}
