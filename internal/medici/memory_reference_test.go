package medici

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"

	"github.com/siamledger/ledger-export/internal/export"
)

// checkMapping compares the entries read from one page of testPages with what the page's raw documents say,
// decoded here with plain bson.Unmarshal and testPages' own rules, not with the Mapper or the assembler: each
// queue entry in order, its journal (the last document of its _id on the page), the journal's lines (those whose
// _journal is the journal, in _id order) with their accounts and amounts, and the reason of each entry that fails
// (no entryId, journal not found, a line without accounts, marked failed earlier).
func checkMapping(t *testing.T, page int, p Page, got []export.Entry) {
	t.Helper()
	type line struct {
		ID      string             `bson:"_id"`
		Journal primitive.ObjectID `bson:"_journal"`
		Account *string            `bson:"accounts"`
		Debit   float64            `bson:"debit"`
		Credit  float64            `bson:"credit"`
	}
	journals := map[primitive.ObjectID]bson.M{}
	for _, raw := range p.Journals {
		var j bson.M
		if err := bson.Unmarshal(raw, &j); err != nil {
			t.Fatal(err)
		}
		journals[j["_id"].(primitive.ObjectID)] = j // the last of two wins
	}
	lines := map[primitive.ObjectID][]line{}
	for _, raw := range p.Lines {
		var l line
		if err := bson.Unmarshal(raw, &l); err != nil {
			t.Fatal(err)
		}
		lines[l.Journal] = append(lines[l.Journal], l)
	}
	if len(got) != len(p.Queue) {
		t.Fatalf("page %d: %d entries, want the %d queued", page, len(got), len(p.Queue))
	}
	for k, raw := range p.Queue {
		var q bson.M
		if err := bson.Unmarshal(raw, &q); err != nil {
			t.Fatal(err)
		}
		e := got[k]
		where := fmt.Sprintf("page %d entry %s", page, q["_id"])
		errText := ""
		if e.Err != nil {
			errText = e.Err.Error()
		}
		if key, ok := e.Key.(bson.RawValue); e.ID != q["_id"] || !ok || key.Type != bson.TypeString || key.StringValue() != q["_id"] {
			t.Errorf("%s: read as entry %s (key %v)", where, e.ID, e.Key)
			continue
		}
		var jid primitive.ObjectID
		switch ref := q["entryId"].(type) {
		case primitive.ObjectID:
			jid = ref
		case string:
			jid, _ = primitive.ObjectIDFromHex(ref)
		}
		ls := lines[jid]
		slices.SortFunc(ls, func(a, b line) int { return strings.Compare(a.ID, b.ID) })
		j, found := journals[jid]
		var want string
		switch {
		case q["status"] == StatusFailed:
			if !e.Marked || errText != q["error"] {
				t.Errorf("%s: marked %t, reason %q; want marked with its recorded reason %q", where, e.Marked, errText, q["error"])
			}
			continue
		case q["entryId"] == nil:
			want = "malformed document: entryId is missing"
		case !found:
			want = "journal not found"
		case slices.ContainsFunc(ls, func(l line) bool { return l.Account == nil }):
			want = "malformed document: line " + ls[0].ID + ": accounts is missing"
		}
		if want != "" {
			if e.Marked || !strings.HasPrefix(errText, want) {
				t.Errorf("%s: reason %q, marked %t; want %q", where, errText, e.Marked, want)
			}
			continue
		}
		if e.Err != nil || e.Marked {
			t.Errorf("%s: failed with %q, want its journal", where, errText)
			continue
		}
		jj := e.Journal
		if e.JournalID != jid.Hex() || jj.ID != jid.Hex() || jj.Memo != j["memo"] || jj.Book != j["book"] ||
			!jj.PostedAt.Equal(j["datetime"].(primitive.DateTime).Time()) || len(jj.Lines) != len(ls) {
			t.Errorf("%s: journal %s %q book %q at %v with %d lines; want %s %q book %q with %d lines", where, jj.ID, jj.Memo,
				jj.Book, jj.PostedAt, len(jj.Lines), jid.Hex(), j["memo"], j["book"], len(ls))
			continue
		}
		for i, l := range ls {
			g := jj.Lines[i]
			if g.ID != l.ID || g.Account != *l.Account || g.Debit.String() != fmt.Sprintf("%.2f", l.Debit) ||
				g.Credit.String() != fmt.Sprintf("%.2f", l.Credit) || !g.PostedAt.Equal(time.Date(2026, 11, 28, 3, 0, 0, 0, time.UTC)) {
				t.Errorf("%s line %d = %+v, want %s %s debit %.2f credit %.2f", where, i, g, l.ID, *l.Account, l.Debit, l.Credit)
			}
		}
	}
}
