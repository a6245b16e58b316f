package medici

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"

	"github.com/siamledger/ledger-export/internal/export"
)

// TestFailedEntryCarriesItsJournalAsRead: an entry whose journal has a malformed line fails with the line's reason
// and still carries its journal as far as it was read (id, memo, posted_at, and every well-formed line, sorted),
// whichever order the lines come in, so that the XLSX summary can list the failure's date, memo, accounts and
// amounts, and list them alike on every attempt. Fails if finish drops the journal of a failed entry (the summary
// then shows only ids), or if join drops the lines that come after the malformed one (the summary would then
// depend on the order MongoDB returns the lines in, and a resumed upload would differ from the first attempt).
func TestFailedEntryCarriesItsJournalAsRead(t *testing.T) {
	marshal := func(d bson.D) bson.Raw {
		b, err := bson.Marshal(d)
		if err != nil {
			t.Fatalf("bson.Marshal: %v", err)
		}
		return b
	}
	at := time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC)
	jid := primitive.NewObjectID()
	line := func(id, account string, debit, credit any) bson.Raw {
		return marshal(bson.D{{Key: "_id", Value: id}, {Key: "_journal", Value: jid}, {Key: "accounts", Value: account},
			{Key: "datetime", Value: at}, {Key: "debit", Value: debit}, {Key: "credit", Value: credit}})
	}
	lines := []bson.Raw{
		line("l1", "Expenses:Supplies", "50.00", 0.0), // the debit is a string: malformed
		line("l2", "Assets:Cash", 0.0, 50.0),
		line("l3", "Expenses:Fees", 1.25, 0.0),
	}
	for _, order := range [][]int{{0, 1, 2}, {2, 1, 0}, {1, 0, 2}} {
		var ls []bson.Raw
		for _, k := range order {
			ls = append(ls, lines[k])
		}
		m := &Memory{Mapper: Mapper{Location: time.UTC}, Pages: func(_ context.Context, i int, part Part) (Docs, error) {
			switch part {
			case PartQueue:
				return Docs{Raw: []bson.Raw{marshal(bson.D{{Key: "_id", Value: "q1"}, {Key: "status", Value: StatusExporting}, {Key: "entryId", Value: jid}})}, Last: true}, nil
			case PartJournals:
				return Docs{Raw: []bson.Raw{marshal(bson.D{{Key: "_id", Value: jid}, {Key: "datetime", Value: at}, {Key: "memo", Value: "ซื้อวัสดุ"}, {Key: "_transactions", Value: bson.A{"l1", "l2", "l3"}}})}}, nil
			}
			return Docs{Raw: ls}, nil
		}}
		var got []export.Entry
		if err := m.Read(t.Context(), export.Batch{}, func(p []export.Entry) error { got = append(got, p...); return nil }); err != nil {
			t.Fatalf("Read() = %v", err)
		}
		if len(got) != 1 {
			t.Fatalf("lines in order %v: %d entries, want 1", order, len(got))
		}
		e, j := got[0], got[0].Journal
		if e.Err == nil || !strings.Contains(e.Err.Error(), "line l1: debit") {
			t.Errorf("lines in order %v: error = %v, want line l1's malformed debit", order, e.Err)
		}
		var ids []string
		for _, l := range j.Lines {
			ids = append(ids, l.ID+" "+l.Account+" "+l.Debit.String()+" "+l.Credit.String())
		}
		want := "l2 Assets:Cash 0.00 50.00|l3 Expenses:Fees 1.25 0.00"
		if j.ID != jid.Hex() || j.Memo != "ซื้อวัสดุ" || !j.PostedAt.Equal(at) || strings.Join(ids, "|") != want {
			t.Errorf("lines in order %v: journal = %s %q %v lines %q; want %s %q %v lines %q", order, j.ID, j.Memo, j.PostedAt,
				strings.Join(ids, "|"), jid.Hex(), "ซื้อวัสดุ", at, want)
		}
	}
}
