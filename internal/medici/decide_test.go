package medici

// Service-free tests of the queue's decisions: MongoDB's order of BSON values (compareValues, laterTypes), the
// claim's rule (spans, contains, claimable, claimRule.take) and the journal-elsewhere check. They need no FerretDB
// or Firestore, so `make mutate` judges order.go and claim.go by them alone (scripts/mutate); the tests that run
// the same rule on FerretDB (TestClaimRuleStoreAndMemory) check that Store's filters agree with it.

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"

	"github.com/siamledger/ledger-export/internal/export"
	"github.com/siamledger/ledger-export/internal/ledger"
)

// rv marshals a Go value as a BSON value.
func rv(t *testing.T, v any) bson.RawValue {
	t.Helper()
	typ, b, err := bson.MarshalValue(v)
	if err != nil {
		t.Fatal(err)
	}
	return bson.RawValue{Type: typ, Value: b}
}

func dec(t *testing.T, s string) primitive.Decimal128 {
	t.Helper()
	d, err := primitive.ParseDecimal128(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// One value of each bracket, in MongoDB's order, must compare in that order both ways and equal to itself. Bugs
// caught: two brackets swapped (a keyset read skips every _id of the later one), the comparison's sign reversed.
func TestBracketOrder(t *testing.T) {
	oid, _ := primitive.ObjectIDFromHex("65a1b2c3d4e5f60718293a4b")
	vals := []bson.RawValue{
		rv(t, primitive.MinKey{}), rv(t, primitive.Null{}), rv(t, int32(7)), rv(t, "a"), rv(t, bson.D{{Key: "a", Value: 1}}),
		rv(t, bson.A{1}), rv(t, primitive.Binary{Data: []byte{1}}), rv(t, oid), rv(t, false),
		rv(t, primitive.DateTime(0)), rv(t, primitive.Timestamp{T: 1}), rv(t, primitive.Regex{Pattern: "a"}),
		rv(t, primitive.JavaScript("f()")), rv(t, primitive.MaxKey{}),
	}
	for i := range vals {
		for j := range vals {
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got := compareValues(vals[i], vals[j]); got != want {
				t.Errorf("compareValues(%s, %s) = %d, want %d", vals[i].Type, vals[j].Type, got, want)
			}
		}
	}
}

// Values of one bracket compare by value as MongoDB does: numbers of any type by their exact value (NaN first,
// then -Infinity), strings by bytes, documents by each element's bracket, name and value, binary data by length,
// subtype, bytes, timestamps by time then increment. Bugs caught, each an _id read out of order (the read then
// refuses the batch on every attempt) or skipped: a decimal's exponent applied the wrong way, an int64 above 2^53
// compared as a double, a document's field names compared before its values' brackets, binary data compared by
// bytes before length, a timestamp's increment ignored, NaN sorted after -Infinity.
func TestCompareWithinBrackets(t *testing.T) {
	oid := func(s string) primitive.ObjectID {
		o, err := primitive.ObjectIDFromHex(s)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	nan, inf := math.NaN(), math.Inf(1)
	for _, tc := range []struct {
		name string
		a, b any
		want int
	}{
		{"int32 < int64", int32(2), int64(3), -1},
		{"double > int32", 2.5, int32(2), 1},
		{"int64 above 2^53", int64(1<<53 + 1), float64(1 << 53), 1},
		{"int32 equals int64", int32(-4), int64(-4), 0},
		{"decimal 1.5E1 equals 15", dec(t, "1.5E1"), int32(15), 0},
		{"decimal 2E1 > 19", dec(t, "2E1"), int32(19), 1},
		{"decimal 0.1 < double 0.1", dec(t, "0.1"), 0.1, -1},
		{"decimal 25E-1 < 3", dec(t, "25E-1"), int64(3), -1},
		{"decimal -Infinity < min int64", dec(t, "-Infinity"), int64(math.MinInt64), -1},
		{"decimal Infinity > max double", dec(t, "Infinity"), math.MaxFloat64, 1},
		{"decimal Infinity equals +Inf", dec(t, "Infinity"), inf, 0},
		{"NaN < -Inf", nan, math.Inf(-1), -1},
		{"-Inf > NaN", math.Inf(-1), nan, 1},
		{"NaN equals NaN", nan, nan, 0},
		{"decimal NaN equals double NaN", dec(t, "NaN"), nan, 0},
		{"int32 > decimal NaN", int32(-5), dec(t, "NaN"), 1},
		{"string a < b", "a", "b", -1},
		{"string ab > a", "ab", "a", 1},
		{"symbol equals string", primitive.Symbol("x"), "x", 0},
		{"document by value", bson.D{{Key: "a", Value: 1}}, bson.D{{Key: "a", Value: 2}}, -1},
		{"document by name", bson.D{{Key: "b", Value: 1}}, bson.D{{Key: "a", Value: 1}}, 1},
		{"document by bracket before name", bson.D{{Key: "b", Value: 1}}, bson.D{{Key: "a", Value: "x"}}, -1},
		{"document prefix first", bson.D{{Key: "a", Value: 1}}, bson.D{{Key: "a", Value: 1}, {Key: "b", Value: 1}}, -1},
		{"document longer last", bson.D{{Key: "a", Value: 1}, {Key: "b", Value: 1}}, bson.D{{Key: "a", Value: 1}}, 1},
		{"document equal", bson.D{{Key: "a", Value: 1}}, bson.D{{Key: "a", Value: 1.0}}, 0},
		{"binary by length", primitive.Binary{Data: []byte{0xff}}, primitive.Binary{Data: []byte{0, 0}}, -1},
		{"binary by subtype", primitive.Binary{Subtype: 1, Data: []byte{0}}, primitive.Binary{Data: []byte{1}}, 1},
		{"binary by bytes", primitive.Binary{Data: []byte{1, 2}}, primitive.Binary{Data: []byte{1, 3}}, -1},
		{"objectId", oid("65a1b2c3d4e5f60718293a4b"), oid("65a1b2c3d4e5f60718293a4c"), -1},
		{"bool", true, false, 1},
		{"date before 1970", primitive.DateTime(-5), primitive.DateTime(3), -1},
		{"timestamp by time", primitive.Timestamp{T: 1, I: 9}, primitive.Timestamp{T: 2}, -1},
		{"timestamp by increment", primitive.Timestamp{T: 1, I: 6}, primitive.Timestamp{T: 1, I: 5}, 1},
	} {
		if got := compareValues(rv(t, tc.a), rv(t, tc.b)); got != tc.want {
			t.Errorf("%s: compareValues = %d, want %d", tc.name, got, tc.want)
		}
	}
}

// laterTypes lists the $type aliases of every bracket after a type's, none of its own. Bugs caught: the type's own
// bracket included (a keyset read returns an _id again) or the next one left out (skipped).
func TestLaterTypes(t *testing.T) {
	for _, tc := range []struct {
		typ  bson.RawValue
		want string
	}{
		{rv(t, primitive.MinKey{}), "[null int long double decimal string object binData objectId bool date timestamp]"},
		{rv(t, int32(1)), "[string object binData objectId bool date timestamp]"},
		{rv(t, "a"), "[object binData objectId bool date timestamp]"},
		{rv(t, primitive.DateTime(0)), "[timestamp]"},
		{rv(t, primitive.Timestamp{}), "[]"},
	} {
		if got := fmt.Sprint(laterTypes(tc.typ.Type)); got != tc.want {
			t.Errorf("laterTypes(%s) = %s, want %s", tc.typ.Type, got, tc.want)
		}
	}
}

var claimCutoff = time.Date(2026, 11, 28, 11, 30, 0, 0, time.UTC)

// daysBefore is the instant n days (fractions allowed) before the cutoff.
func daysBefore(n float64) time.Time {
	return claimCutoff.Add(-time.Duration(n * 24 * float64(time.Hour)))
}

func held(from, to float64) export.Window {
	return export.Window{Date: daysBefore(to).Format(time.DateOnly), From: daysBefore(from), To: daysBefore(to)}
}

// spans takes every instant before the cutoff except the held windows, given in any order, overlapping, nested or
// adjacent; a window at or after the cutoff holds nothing; a window that ends where it starts is refused. Bugs
// caught: a held window's entries claimed by a later date, an instant between two windows never claimed, an empty
// span (an $or branch that matches nothing, but costs an index scan), an empty window accepted.
func TestSpans(t *testing.T) {
	str := func(sp []span) string {
		var s string
		for _, x := range sp {
			from := "-"
			if !x.from.IsZero() {
				from = x.from.Sub(claimCutoff).String()
			}
			s += "[" + from + " " + x.to.Sub(claimCutoff).String() + ")"
		}
		return s
	}
	for _, tc := range []struct {
		name string
		held []export.Window
		want string
	}{
		{"none", nil, "[- 0s)"},
		{"two, unsorted", []export.Window{held(3, 2), held(5, 4)}, "[- -120h0m0s)[-96h0m0s -72h0m0s)[-48h0m0s 0s)"},
		{"adjacent", []export.Window{held(3, 2), held(2, 1)}, "[- -72h0m0s)[-24h0m0s 0s)"},
		{"nested", []export.Window{held(3, 1), held(2.5, 2)}, "[- -72h0m0s)[-24h0m0s 0s)"},
		{"up to the cutoff", []export.Window{held(1, 0)}, "[- -24h0m0s)"},
		{"from the cutoff", []export.Window{held(0, -1)}, "[- 0s)"},
		{"across the cutoff", []export.Window{held(1, -1)}, "[- -24h0m0s)"},
	} {
		sp, err := spans(export.Batch{Date: "2026-11-28", Cutoff: claimCutoff, Held: tc.held})
		if err != nil || str(sp) != tc.want {
			t.Errorf("%s: spans = %s, %v; want %s", tc.name, str(sp), err, tc.want)
		}
	}
	if _, err := spans(export.Batch{Cutoff: claimCutoff, Held: []export.Window{held(1, 1)}}); err == nil {
		t.Error("spans of an empty held window: no error")
	}
}

// A span holds its from and not its to; a span without from holds everything before its to. claimable makes one
// createdAt range of one span and an $or of several, and nothing of none. Bugs caught: the boundary instant in two
// dates or in none, a span without lower bound made {$gte: zero time} (entries with createdAt before 1970 never
// claimed), every entry claimed when every instant is held.
func TestContainsAndClaimable(t *testing.T) {
	sp := []span{{to: daysBefore(3)}, {from: daysBefore(2), to: claimCutoff}}
	for _, tc := range []struct {
		at   time.Time
		want bool
	}{
		{time.Unix(-1e9, 0), true},
		{daysBefore(3).Add(-time.Millisecond), true},
		{daysBefore(3), false},
		{daysBefore(2).Add(-time.Millisecond), false},
		{daysBefore(2), true},
		{claimCutoff.Add(-time.Millisecond), true},
		{claimCutoff, false},
	} {
		if got := contains(sp, tc.at); got != tc.want {
			t.Errorf("contains(%v) = %v, want %v", tc.at.Sub(claimCutoff), got, tc.want)
		}
	}
	if got := claimable(nil); got != nil {
		t.Errorf("claimable(no spans) = %v, want nil", got)
	}
	one := fmt.Sprint(claimable(sp[:1]))
	if want := fmt.Sprint(bson.D{{Key: "exportPath", Value: "scheduled"}, {Key: "status", Value: "queued"},
		{Key: "createdAt", Value: bson.D{{Key: "$lt", Value: daysBefore(3)}}}}); one != want {
		t.Errorf("claimable(one span) = %s, want %s", one, want)
	}
	two := fmt.Sprint(claimable(sp))
	if want := fmt.Sprint(bson.D{{Key: "exportPath", Value: "scheduled"}, {Key: "status", Value: "queued"},
		{Key: "$or", Value: bson.A{
			bson.D{{Key: "createdAt", Value: bson.D{{Key: "$lt", Value: daysBefore(3)}}}},
			bson.D{{Key: "createdAt", Value: bson.D{{Key: "$gte", Value: daysBefore(2)}, {Key: "$lt", Value: claimCutoff}}}},
		}}}); two != want {
		t.Errorf("claimable(two spans) = %s, want %s", two, want)
	}
}

// take is the claim's rule on one queue document (the same table TestClaimRuleStoreAndMemory runs on FerretDB and
// Memory): queued scheduled entries in the spans become exporting; the date's exporting and failed entries of an
// older or the same generation are taken over keeping their status (none of a newer one, unless previewing);
// failed ones become exporting on a retry of failed entries of an older generation only, completed ones on a
// re-export of an older generation only. Bugs caught: a newer generation's entries taken by a thawed attempt, a
// re-export taking its own generation's completed entries again (exported twice), a held or late-window entry
// mishandled, a retry without a re-export accepted.
func TestClaimRuleTake(t *testing.T) {
	if _, err := newClaimRule(export.Batch{Date: "2026-11-28", Cutoff: claimCutoff, RetryFailed: true}); err == nil {
		t.Error("newClaimRule(RetryFailed without Reexport): no error")
	}
	if _, err := newClaimRule(export.Batch{Date: "2026-11-28", Cutoff: claimCutoff, Held: []export.Window{held(1, 1)}}); err == nil {
		t.Error("newClaimRule(an empty held window): no error")
	}
	queued := func(at any, path string) bson.D {
		return bson.D{{Key: "status", Value: "queued"}, {Key: "exportPath", Value: path}, {Key: "createdAt", Value: at}}
	}
	stamped := func(status, date string, gen any) bson.D {
		d := bson.D{{Key: "status", Value: status}, {Key: "batchDate", Value: date}}
		if gen != nil {
			d = append(d, bson.E{Key: "exportGeneration", Value: gen})
		}
		return d
	}
	base := export.Batch{Date: "2026-11-28", Cutoff: claimCutoff, Since: daysBefore(1), Generation: 5, Held: []export.Window{held(3, 2)}}
	reexport, retry, preview := base, base, base
	reexport.Reexport = true
	retry.Reexport, retry.RetryFailed = true, true
	preview.Preview, preview.Reexport = true, true
	for _, tc := range []struct {
		name string
		b    export.Batch
		doc  bson.D
		want string // "" when not taken
	}{
		{"queued in the window", base, queued(daysBefore(0.5), "scheduled"), "exporting"},
		{"queued late", base, queued(daysBefore(5), "scheduled"), "exporting"},
		{"queued in a held window", base, queued(daysBefore(2.5), "scheduled"), ""},
		{"queued at the cutoff", base, queued(claimCutoff, "scheduled"), ""},
		{"queued, createdAt a string", base, queued("2026-11-27", "scheduled"), ""},
		{"queued, another path", base, queued(daysBefore(0.5), "manual"), ""},
		{"another date", base, stamped("exporting", "2026-11-27", int64(1)), ""},
		{"exporting, older", base, stamped("exporting", "2026-11-28", int64(4)), "exporting"},
		{"exporting, same", base, stamped("exporting", "2026-11-28", int64(5)), "exporting"},
		{"exporting, newer", base, stamped("exporting", "2026-11-28", int64(6)), ""},
		{"exporting, int32 generation", base, stamped("exporting", "2026-11-28", int32(6)), ""},
		{"exporting, no generation", base, stamped("exporting", "2026-11-28", nil), "exporting"},
		{"failed, older", base, stamped("failed", "2026-11-28", int64(4)), "failed"},
		{"failed, newer", base, stamped("failed", "2026-11-28", int64(6)), ""},
		{"failed, older, retry", retry, stamped("failed", "2026-11-28", int64(4)), "exporting"},
		{"failed, same, retry", retry, stamped("failed", "2026-11-28", int64(5)), "failed"},
		{"completed", base, stamped("completed", "2026-11-28", int64(4)), ""},
		{"completed, older, re-export", reexport, stamped("completed", "2026-11-28", int64(4)), "exporting"},
		{"completed, same, re-export", reexport, stamped("completed", "2026-11-28", int64(5)), ""},
		{"completed, newer, preview", preview, stamped("completed", "2026-11-28", int64(9)), "exporting"},
		{"exporting, newer, preview", preview, stamped("exporting", "2026-11-28", int64(9)), "exporting"},
		{"unknown status", base, stamped("archived", "2026-11-28", int64(4)), ""},
	} {
		rule, err := newClaimRule(tc.b)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := bson.Marshal(tc.doc)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := rule.take(raw)
		if ok != (tc.want != "") || got != tc.want {
			t.Errorf("%s: take = %q, %v; want %q", tc.name, got, ok, tc.want)
		}
	}
}

// exportedElsewhere finds a journal completed in another date's file (named, or by id for entries marked before
// names were kept) or exporting for an earlier date; exportedBefore finds an entry re-queued after an export for
// another date; before orders the places by date, completed first, then file. Bugs caught: a journal exported
// for the same date counted elsewhere (the re-export of a date fails every entry), an exporting entry of a later
// date counted (the earlier date would fail its own journal), the reason depending on the order the documents
// arrive in.
func TestExportedElsewhere(t *testing.T) {
	jid, _ := primitive.ObjectIDFromHex("65a1b2c3d4e5f60718293a4b")
	doc := func(status, date string, meta bson.D) bson.Raw {
		d := bson.D{{Key: "entryId", Value: jid}, {Key: "status", Value: status}}
		if date != "" {
			d = append(d, bson.E{Key: "batchDate", Value: date})
		}
		if meta != nil {
			d = append(d, bson.E{Key: "metadata", Value: meta})
		}
		raw, err := bson.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	for _, tc := range []struct {
		name string
		raw  bson.Raw
		want string // "" when not elsewhere
	}{
		{"completed, another date", doc("completed", "2026-11-27", bson.D{{Key: "fileName", Value: "l_27.csv"}}), "{2026-11-27 l_27.csv true}"},
		{"completed, a later date", doc("completed", "2026-11-29", bson.D{{Key: "fileName", Value: "l_29.csv"}}), "{2026-11-29 l_29.csv true}"},
		{"completed, file id only", doc("completed", "2026-11-27", bson.D{{Key: "fileId", Value: "F1"}}), "{2026-11-27 file F1 true}"},
		{"completed, same date", doc("completed", "2026-11-28", nil), ""},
		{"exporting, earlier date", doc("exporting", "2026-11-27", nil), "{2026-11-27 the file being made false}"},
		{"exporting, same date", doc("exporting", "2026-11-28", nil), ""},
		{"exporting, later date", doc("exporting", "2026-11-29", nil), ""},
		{"exporting, no date", doc("exporting", "", nil), ""},
		{"queued", doc("queued", "2026-11-27", nil), ""},
	} {
		hex, e, ok := exportedElsewhere("2026-11-28", tc.raw)
		got := ""
		if ok {
			got = fmt.Sprintf("{%s %s %v}", e.date, e.file, e.completed)
			if hex != jid.Hex() {
				t.Errorf("%s: journal %s, want %s", tc.name, hex, jid.Hex())
			}
		}
		if got != tc.want {
			t.Errorf("%s: exportedElsewhere = %q, want %q", tc.name, got, tc.want)
		}
	}
	noJournal, _ := bson.Marshal(bson.D{{Key: "status", Value: "completed"}, {Key: "batchDate", Value: "2026-11-27"}})
	if _, _, ok := exportedElsewhere("2026-11-28", noJournal); ok {
		t.Error("exportedElsewhere of an entry without entryId: found")
	}
	for _, tc := range []struct {
		meta bson.D
		want bool
	}{
		{bson.D{{Key: "batchDate", Value: "2026-11-27"}}, true},
		{bson.D{{Key: "batchDate", Value: "2026-11-28"}}, false},
		{bson.D{{Key: "batchDate", Value: ""}}, false},
		{bson.D{{Key: "fileId", Value: "F1"}}, false},
	} {
		if got := exportedBefore(doc("queued", "", tc.meta), "2026-11-28"); got != tc.want {
			t.Errorf("exportedBefore(%v) = %v, want %v", tc.meta, got, tc.want)
		}
	}
	order := []elsewhere{
		{date: "2026-11-26", file: "z", completed: false},
		{date: "2026-11-27", file: "b", completed: true},
		{date: "2026-11-27", file: "c", completed: true},
		{date: "2026-11-27", file: "a", completed: false},
	}
	for i := range order {
		for j := range order {
			if got := order[i].before(order[j]); got != (i < j) {
				t.Errorf("%+v.before(%+v) = %v, want %v", order[i], order[j], got, i < j)
			}
		}
	}
}

// join keeps each line's own memo and book when they differ from its journal's (Medici copies the journal's into
// every line, and an app may change one), and keeps every line of a journal that lists its lines. Bugs caught: a
// line's memo or book replaced by the journal's, a journal's earlier lines dropped when the room for its listed
// lines is made again for each line, and a journal with a malformed line losing the line's error or its
// well-formed lines (the XLSX Summary lists a failed journal's accounts and amounts as read).
func TestAssemblerJoin(t *testing.T) {
	a := &assembler{byID: map[string]int{"j": 0, "bad": 1}, journals: []lookedUp{
		{journal: ledger.Journal{ID: "j", Memo: "rent", Book: "main", LineCount: 3}},
		{journal: ledger.Journal{ID: "bad", LineCount: 2}},
	}}
	a.join("j", ledger.Line{Account: "a", Memo: "rent", Book: "main"}, nil)
	a.join("j", ledger.Line{Account: "b", Memo: "rent, corrected", Book: "side"}, nil)
	a.join("j", ledger.Line{Account: "c", Memo: "rent", Book: "main"}, nil)
	a.join("other", ledger.Line{Account: "d"}, nil)
	a.join("bad", ledger.Line{Account: "e"}, errors.New("malformed line"))
	a.join("bad", ledger.Line{Account: "f"}, nil)
	var got []string
	for _, l := range a.journals[0].journal.Lines {
		got = append(got, l.Account+"/"+l.Memo+"/"+l.Book)
	}
	if want := "[a/rent/main b/rent, corrected/side c/rent/main]"; fmt.Sprint(got) != want {
		t.Errorf("lines of j = %v, want %s", got, want)
	}
	if bad := a.journals[1]; bad.err == nil || len(bad.journal.Lines) != 1 || bad.journal.Lines[0].Account != "f" {
		t.Errorf("journal with a malformed line = %d lines, error %v; want its well-formed line f and the line's error", len(bad.journal.Lines), bad.err)
	}
}

// Memory pays Latency on every round trip, and a context that ends stops the wait with its cause; without
// Latency a round trip costs nothing. Bugs caught: a Memory that never waits (the benchmarks' latency figures then
// measure nothing), one that outlives its context, one that waits on a timer when Latency is zero.
func TestMemoryLatency(t *testing.T) {
	m := &Memory{Latency: 40 * time.Millisecond}
	start := time.Now()
	if _, err := m.Pending(context.Background()); err != nil || time.Since(start) < m.Latency {
		t.Errorf("Pending() = %v after %v, want nil after at least %v", err, time.Since(start), m.Latency)
	}
	cause := errors.New("deadline of the run")
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(cause)
	if _, err := m.Unclaimable(ctx); !errors.Is(err, cause) {
		t.Errorf("Unclaimable(ended context) = %v, want %v", err, cause)
	}
	if err := m.Claim(ctx, export.Batch{Date: "2026-11-28", Cutoff: claimCutoff}, time.Now()); !errors.Is(err, cause) {
		t.Errorf("Claim(ended context) = %v, want %v", err, cause)
	}
	if m.RoundTrips() != 3 {
		t.Errorf("RoundTrips() = %d, want 3", m.RoundTrips())
	}
	// Without latency a round trip is free and cannot fail, even on an ended context (a zero timer and the
	// context would both be ready, and select picks one at random: 50 tries).
	free := &Memory{}
	for range 50 {
		if _, err := free.Pending(ctx); err != nil {
			t.Fatalf("Pending() without latency on an ended context = %v, want nil", err)
		}
	}
}

// Before a claim Memory's read takes every queue document (the benchmarks' stage reads); after Claim of the date
// only those the claim's rule takes; and a journal Exported shows completed in another date's file fails its
// entry. Bugs caught: Claim not recorded (a bench or notify test exports a held window's entries), the Exported
// documents never looked at (the journal-once check unmeasured and untested on Memory).
func TestMemoryClaimAndExported(t *testing.T) {
	j1, _ := primitive.ObjectIDFromHex("65a1b2c3d4e5f60718293a41")
	j2, _ := primitive.ObjectIDFromHex("65a1b2c3d4e5f60718293a42")
	doc := func(d bson.D) bson.Raw {
		raw, err := bson.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	queue := []bson.Raw{
		doc(bson.D{{Key: "_id", Value: "q1"}, {Key: "entryId", Value: j1}, {Key: "status", Value: "queued"}, {Key: "exportPath", Value: "scheduled"}, {Key: "createdAt", Value: daysBefore(0.5)}}),
		doc(bson.D{{Key: "_id", Value: "q2"}, {Key: "entryId", Value: j2}, {Key: "status", Value: "queued"}, {Key: "exportPath", Value: "scheduled"}, {Key: "createdAt", Value: daysBefore(2.5)}}),
	}
	m := &Memory{Mapper: Mapper{Location: time.UTC}, Pages: func(_ context.Context, i int, part Part) (Docs, error) {
		if part == PartQueue && i == 0 {
			return Docs{Raw: queue, Last: true}, nil
		}
		return Docs{}, nil
	}, Exported: func(context.Context, int, []primitive.ObjectID) (Docs, error) {
		return Docs{Raw: []bson.Raw{doc(bson.D{{Key: "_id", Value: "old"}, {Key: "entryId", Value: j1}, {Key: "status", Value: "completed"},
			{Key: "batchDate", Value: "2026-11-27"}, {Key: "metadata", Value: bson.D{{Key: "fileName", Value: "l_27.csv"}}}})}}, nil
	}}
	b := export.Batch{Date: "2026-11-28", Cutoff: claimCutoff, Since: daysBefore(1), Generation: 1, Held: []export.Window{held(3, 2)}}
	read := func() map[string]error {
		got := map[string]error{}
		if err := m.Read(context.Background(), b, func(es []export.Entry) error {
			for _, e := range es {
				got[e.ID] = e.Err
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := read(); len(got) != 2 {
		t.Errorf("read before the claim = %v, want q1 and q2", got)
	}
	if err := m.Claim(context.Background(), b, time.Now()); err != nil {
		t.Fatal(err)
	}
	got := read()
	if _, held := got["q2"]; len(got) != 1 || held {
		t.Errorf("read after the claim = %v, want q1 only (q2 is in a held window)", got)
	}
	if !errors.Is(got["q1"], ErrExportedElsewhere) || !strings.Contains(got["q1"].Error(), "l_27.csv") {
		t.Errorf("q1's error = %v, want %v in l_27.csv", got["q1"], ErrExportedElsewhere)
	}
}

// The keyset read continues after an _id with the greater values of its bracket and every value of the later
// brackets; after a NaN, which no range matches, with every other number ({$gte: -Infinity}); after the last
// bracket, with the range alone. Bugs caught: the later brackets left out (every _id of a later type skipped),
// {$gt: NaN} kept (every number after a NaN skipped), an empty $type list sent (MongoDB refuses it).
func TestContinuation(t *testing.T) {
	for _, tc := range []struct {
		after bson.RawValue
		want  string
	}{
		{rv(t, int32(5)), `[[{_id [{$gt {"$numberInt":"5"}}]}] [{_id [{$type [string object binData objectId bool date timestamp]}]}]]`},
		{rv(t, math.NaN()), `[[{_id [{$gte -Inf}]}] [{_id [{$type [string object binData objectId bool date timestamp]}]}]]`},
		{rv(t, primitive.Timestamp{T: 1}), `[[{_id [{$gt {"$timestamp":{"t":1,"i":0}}}]}]]`},
	} {
		if got := fmt.Sprint(continuation(tc.after)); got != tc.want {
			t.Errorf("continuation(%s) = %s, want %s", tc.after, got, tc.want)
		}
	}
}

// finish fails an entry whose journal another file holds, naming the file and its date, or "an unknown date" for
// a completed entry that lost its batchDate. Bug caught: the reason written "in l.csv of " (or every date called
// unknown), which the operator reads to find the other file.
func TestFinishNamesTheOtherFile(t *testing.T) {
	a := &assembler{
		entries: []export.Entry{{ID: "q1", JournalID: "j"}, {ID: "q2", JournalID: "k"}},
		elsewhere: map[string]elsewhere{
			"j": {file: "file F1", completed: true},
			"k": {date: "2026-11-27", file: "l_27.csv", completed: true},
		},
	}
	var got []string
	for _, e := range a.finish() {
		got = append(got, fmt.Sprint(e.Err))
	}
	if want := "[journal already exported in file F1 of an unknown date journal already exported in l_27.csv of 2026-11-27]"; fmt.Sprint(got) != want {
		t.Errorf("finish() errors = %v, want %s", got, want)
	}
}

// An entry an earlier attempt marked failed keeps its recorded reason, and its journal, when the queue document
// names one, is looked up again and goes with it (the XLSX Summary lists the failure as read, and a resumed attempt
// must write the same bytes); an entry whose own document is broken is not looked up. Bugs caught: the relook
// decided the wrong way round (the marked entry loses its journal, the broken one is joined), or a recorded reason
// replaced by the journal's.
func TestMarkedFailedEntryIsLookedUpAgain(t *testing.T) {
	jid := primitive.NewObjectIDFromTimestamp(time.Date(2026, 11, 28, 1, 0, 0, 0, time.UTC))
	a := newAssembler(Mapper{}, 2, nil)
	doc := func(id int32, entryID any) bson.Raw {
		b, err := bson.Marshal(bson.D{{Key: "_id", Value: id}, {Key: "entryId", Value: entryID}, {Key: "status", Value: StatusFailed},
			{Key: "error", Value: "journal does not balance"}})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a.entry(doc(1, jid))
	a.entry(doc(2, "not an id"))
	a.byID = map[string]int{jid.Hex(): 0}
	a.journals = []lookedUp{{journal: ledger.Journal{ID: jid.Hex(), Memo: "rent", Lines: []ledger.Line{{Account: "Expenses:Rent", Debit: 100}}}}}
	got := a.finish()
	if len(got) != 2 {
		t.Fatalf("finish = %d entries, want 2", len(got))
	}
	if e := got[0]; !e.Marked || e.Err == nil || e.Err.Error() != "journal does not balance" || e.Journal.Memo != "rent" || len(e.Journal.Lines) != 1 {
		t.Errorf("marked entry = marked %v, err %v, journal %+v; want its reason and its journal as read", e.Marked, e.Err, e.Journal)
	}
	if e := got[1]; !e.Marked || e.Err == nil || e.Err.Error() != "journal does not balance" || e.Journal.ID != "" {
		t.Errorf("broken marked entry = marked %v, err %v, journal %+v; want its reason and no journal", e.Marked, e.Err, e.Journal)
	}
}
