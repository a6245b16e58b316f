package demo_test

import (
	"crypto/sha256"
	"encoding/hex"
	"reflect"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"

	"github.com/siamledger/ledger-export/internal/demo"
)

func fields(d any) map[string]any {
	out := map[string]any{}
	for _, e := range d.(bson.D) {
		out[e.Key] = e.Value
	}
	return out
}

// TestMediciVoids: with MediciVoids, each voided journal and all its lines carry voided and void_reason, and a
// reversal journal, queued as its own entry, carries _original_journal on itself and every line, with each line's
// debit and credit swapped, as Medici's Book.void and addReversedTransactions make them. Off, the data is the data
// the existing tests were written against: voided journals without reversals. It fails if a reversal is missing,
// not queued, points elsewhere or does not undo its journal, or if the option leaks into the default data.
func TestMediciVoids(t *testing.T) {
	from := time.Date(2026, 11, 27, 18, 0, 0, 0, time.UTC)
	o := demo.Options{Journals: 300, Seed: 3, From: from, To: from.Add(24 * time.Hour)}
	plain := demo.Generate(o)
	o.MediciVoids = true
	d := demo.Generate(o)
	if got := len(d.Journals) - len(plain.Journals); got != 3 || len(d.Queue)-len(plain.Queue) != 3 || d.Valid != plain.Valid+3 {
		t.Fatalf("MediciVoids added %d journals and %d queue entries, want 3 reversals, each queued", got, len(d.Queue)-len(plain.Queue))
	}
	lines := map[primitive.ObjectID][]map[string]any{}
	for _, x := range d.Transactions {
		f := fields(x)
		lines[f["_journal"].(primitive.ObjectID)] = append(lines[f["_journal"].(primitive.ObjectID)], f)
	}
	queued := map[primitive.ObjectID]bool{}
	for _, q := range d.Queue {
		queued[fields(q)["entryId"].(primitive.ObjectID)] = true
	}
	journals := map[primitive.ObjectID]map[string]any{}
	for _, j := range d.Journals {
		f := fields(j)
		journals[f["_id"].(primitive.ObjectID)] = f
	}
	reversals := 0
	for id, j := range journals {
		orig, ok := j["_original_journal"].(primitive.ObjectID)
		if !ok {
			continue
		}
		reversals++
		v := journals[orig]
		if v == nil || v["voided"] != true || v["void_reason"] != demo.VoidReason || !queued[id] || j["voided"] != false {
			t.Errorf("reversal %s: original %v, queued %v", id.Hex(), v, queued[id])
			continue
		}
		ol, rl := lines[orig], lines[id]
		if len(ol) != len(rl) {
			t.Fatalf("reversal %s has %d lines, original %d", id.Hex(), len(rl), len(ol))
		}
		for k := range ol {
			if ol[k]["voided"] != true || ol[k]["void_reason"] != demo.VoidReason {
				t.Errorf("original %s line %d is not voided with its reason", orig.Hex(), k)
			}
			if rl[k]["_original_journal"] != orig || rl[k]["debit"] != ol[k]["credit"] || rl[k]["credit"] != ol[k]["debit"] ||
				rl[k]["accounts"] != ol[k]["accounts"] || !reflect.DeepEqual(rl[k]["meta"], ol[k]["meta"]) {
				t.Errorf("reversal %s line %d = %v, does not undo %v", id.Hex(), k, rl[k], ol[k])
			}
		}
	}
	if reversals != 3 {
		t.Errorf("%d reversals, want 3", reversals)
	}
	for _, j := range plain.Journals {
		if _, ok := fields(j)["_original_journal"]; ok {
			t.Fatal("without MediciVoids the data has a reversal")
		}
	}
}

// TestDefaultDataUnchanged: without MediciVoids the demo makes, byte for byte, the documents it made before the
// option existed (the hash was taken at commit 5cf9c84, before issue 19). It fails if the option changes the data
// every existing test and make run's printed figures were written against.
func TestDefaultDataUnchanged(t *testing.T) {
	from := time.Date(2026, 11, 27, 18, 0, 0, 0, time.UTC)
	d := demo.Generate(demo.Options{Journals: 300, Seed: 3, From: from, To: from.Add(24 * time.Hour), Broken: true})
	h := sha256.New()
	for _, part := range [][]any{d.Journals, d.Transactions, d.Queue} {
		for _, x := range part {
			b, err := bson.Marshal(x)
			if err != nil {
				t.Fatal(err)
			}
			h.Write(b)
		}
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != "153a6e1311d3fad840e16fec8b548d9ff5eb42d0f0077f6dd6c18327b82a0f07" {
		t.Errorf("the default demo data changed: sha256 %s", got)
	}
}
