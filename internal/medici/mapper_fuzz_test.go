package medici_test

import (
	"errors"
	"math"
	"testing"
	"time"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"

	"github.com/siamledger/ledger-export/internal/ledger"
	"github.com/siamledger/ledger-export/internal/medici"
)

// fuzzSeeds are BSON documents of the shapes Medici stores, well-formed and not, that start the mapping fuzzers.
func fuzzSeeds(f *testing.F) [][]byte {
	f.Helper()
	id := primitive.NewObjectIDFromTimestamp(time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC))
	at := time.Date(2026, 11, 28, 3, 0, 0, 0, time.UTC)
	dec, _ := primitive.ParseDecimal128("1234.565")
	docs := []bson.D{
		{{Key: "_id", Value: id}, {Key: "_journal", Value: id}, {Key: "accounts", Value: "Assets:Cash"}, {Key: "datetime", Value: at},
			{Key: "debit", Value: 1500.25}, {Key: "credit", Value: 0.0}, {Key: "memo", Value: "ค่าเช่า"}, {Key: "book", Value: "main"},
			{Key: "meta", Value: bson.D{{Key: "invoiceNo", Value: "=INV-1"}, {Key: "qty", Value: int32(-3)}, {Key: "rate", Value: 0.07},
				{Key: "paid", Value: true}, {Key: "when", Value: at}, {Key: "nested", Value: bson.D{{Key: "a", Value: bson.A{1, "x"}}}}}}},
		{{Key: "_id", Value: "line-1"}, {Key: "_journal", Value: "j-1"}, {Key: "accounts", Value: "A"}, {Key: "datetime", Value: at},
			{Key: "debit", Value: dec}, {Key: "credit", Value: int64(7)}, {Key: "voided", Value: true}, {Key: "meta", Value: nil}},
		{{Key: "_id", Value: id}, {Key: "datetime", Value: at}, {Key: "memo", Value: "journal"}, {Key: "voided", Value: false},
			{Key: "_transactions", Value: bson.A{id, id}}},
		{{Key: "_id", Value: id}, {Key: "_journal", Value: id}, {Key: "accounts", Value: "bad \xff"}, {Key: "datetime", Value: "2026-11-28"},
			{Key: "debit", Value: math.NaN()}, {Key: "credit", Value: "1"}, {Key: "meta", Value: "not an object"}},
		{{Key: "_id", Value: 7}},
		{},
	}
	var out [][]byte
	for _, d := range docs {
		b, err := bson.Marshal(d)
		if err != nil {
			f.Fatalf("bson.Marshal(%v): %v", d, err)
		}
		out = append(out, b)
	}
	// Bytes that are not a document at all.
	return append(out, []byte{}, []byte{5, 0, 0, 0}, []byte{0xff, 0xff, 0xff, 0x7f, 0}, out[0][:len(out[0])/2])
}

var fuzzMapper = medici.Mapper{Meta: []string{"invoiceNo", "qty", "rate", "paid", "when", "nested", "missing"}, Location: time.UTC}

// FuzzLine maps any bytes as a medici_transactions document. It never panics; a document it cannot map is an
// error wrapping ledger.ErrMalformed (a failed queue entry), and one it maps holds only valid values.
func FuzzLine(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		journalID, l, err := fuzzMapper.Line(bson.Raw(doc))
		if err != nil {
			if !errors.Is(err, ledger.ErrMalformed) {
				t.Fatalf("Line(%x) error = %v, want ErrMalformed", doc, err)
			}
			return
		}
		for name, s := range map[string]string{"journal id": journalID, "id": l.ID, "account": l.Account, "book": l.Book, "memo": l.Memo} {
			if !utf8.ValidString(s) {
				t.Fatalf("Line(%x) %s = %q is not valid UTF-8", doc, name, s)
			}
		}
		if journalID == "" || l.ID == "" {
			t.Fatalf("Line(%x) = journal %q, line %q; want both ids", doc, journalID, l.ID)
		}
		for _, a := range []ledger.Amount{l.Debit, l.Credit} {
			if back, err := ledger.AmountFromDecimal(a.String()); err != nil || back != a {
				t.Fatalf("Line(%x) amount %s does not read back: %v", doc, a, err)
			}
		}
		if len(l.Meta) != len(fuzzMapper.Meta) {
			t.Fatalf("Line(%x) has %d meta values, want %d", doc, len(l.Meta), len(fuzzMapper.Meta))
		}
		for i, v := range l.Meta {
			if !utf8.ValidString(v.Text) {
				t.Fatalf("Line(%x) meta.%s = %q is not valid UTF-8", doc, fuzzMapper.Meta[i], v.Text)
			}
			if v.Numeric && v.Text == "" {
				t.Fatalf("Line(%x) meta.%s is numeric but empty", doc, fuzzMapper.Meta[i])
			}
		}
	})
}

// FuzzJournal maps any bytes as a medici_journals document, with the same promises as FuzzLine.
func FuzzJournal(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		j, err := fuzzMapper.Journal(bson.Raw(doc))
		if err != nil {
			if !errors.Is(err, ledger.ErrMalformed) {
				t.Fatalf("Journal(%x) error = %v, want ErrMalformed", doc, err)
			}
			return
		}
		if j.ID == "" || !utf8.ValidString(j.ID) || !utf8.ValidString(j.Book) || !utf8.ValidString(j.Memo) {
			t.Fatalf("Journal(%x) = %+v: want an id and valid UTF-8", doc, j)
		}
		if j.LineCount < -1 {
			t.Fatalf("Journal(%x) line count = %d", doc, j.LineCount)
		}
	})
}
