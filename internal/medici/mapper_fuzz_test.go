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

// FuzzJournal maps any bytes as a medici_journals document, with the same promises as FuzzLine. Then it builds a
// journal of three lines from the fuzzed amounts (debit on one line, two credits that add up to it), each amount
// stored as a double, a Decimal128, an int64 or an int32 as kinds picks, and checks what the export relies on:
// every amount reads back to the satang it was written as, the balanced journal maps to lines that balance
// (Check passes), and the same journal one unit off does not (ErrUnbalanced).
func FuzzJournal(f *testing.F) {
	for i, s := range fuzzSeeds(f) {
		f.Add(s, int64(150025+i), int64(-i*7), uint8(i*27))
	}
	f.Add([]byte{}, int64(1e17), int64(-1e17), uint8(0xff))
	f.Add([]byte{}, int64(99999999999999), int64(1), uint8(0x00))
	f.Fuzz(func(t *testing.T, doc []byte, debit, part int64, kinds uint8) {
		if j, err := fuzzMapper.Journal(bson.Raw(doc)); err != nil {
			if !errors.Is(err, ledger.ErrMalformed) {
				t.Fatalf("Journal(%x) error = %v, want ErrMalformed", doc, err)
			}
		} else {
			if j.ID == "" || !utf8.ValidString(j.ID) || !utf8.ValidString(j.Book) || !utf8.ValidString(j.Memo) {
				t.Fatalf("Journal(%x) = %+v: want an id and valid UTF-8", doc, j)
			}
			if j.LineCount < -1 {
				t.Fatalf("Journal(%x) line count = %d", doc, j.LineCount)
			}
		}
		checkBalancedJournal(t, debit, part, kinds)
	})
}

// Ways Medici stores an amount, and the largest number of satang each can hold exactly in a journal of three
// lines (one line holds debit - part, so each input is bounded to half of that). A double holds a decimal of 15
// significant digits exactly; the integer kinds hold whole baht; an int32 at most 2,147,483,647 of them.
const (
	kindDouble = iota
	kindDecimal
	kindInt64
	kindInt32
)

var kindBound = [...]int64{kindDouble: 1e14 / 2, kindDecimal: 1e17 / 2, kindInt64: 1e17 / 2, kindInt32: 2e11 / 2}

// checkBalancedJournal is FuzzJournal's second half.
func checkBalancedJournal(t *testing.T, debit, part int64, kinds uint8) {
	t.Helper()
	kind := [3]int{int(kinds & 3), int(kinds >> 2 & 3), int(kinds >> 4 & 3)}
	bound, whole := int64(1e17/2), false
	for _, k := range kind {
		bound = min(bound, kindBound[k])
		whole = whole || k == kindInt64 || k == kindInt32
	}
	debit, part = debit%bound, part%bound
	unit := int64(1)
	if whole {
		debit, part, unit = debit/100*100, part/100*100, 100
	}
	encode := func(k int, satang int64) any {
		switch k {
		case kindDouble:
			return float64(satang) / 100
		case kindDecimal:
			d, err := primitive.ParseDecimal128(ledger.Amount(satang).String())
			if err != nil {
				t.Fatalf("ParseDecimal128(%s): %v", ledger.Amount(satang), err)
			}
			return d
		case kindInt64:
			return satang / 100
		default:
			return int32(satang / 100)
		}
	}
	at := time.Date(2026, 11, 28, 3, 0, 0, 0, time.UTC)
	for _, off := range []int64{0, unit} {
		want := [3][2]int64{{debit, 0}, {0, part}, {0, debit - part + off}} // debit and credit of each line
		jdoc, err := bson.Marshal(bson.D{{Key: "_id", Value: "j"}, {Key: "datetime", Value: at}, {Key: "_transactions", Value: bson.A{"a", "b", "c"}}})
		if err != nil {
			t.Fatal(err)
		}
		j, err := fuzzMapper.Journal(jdoc)
		if err != nil {
			t.Fatalf("Journal: %v", err)
		}
		for i, w := range want {
			ldoc, err := bson.Marshal(bson.D{{Key: "_id", Value: string(rune('a' + i))}, {Key: "_journal", Value: "j"},
				{Key: "accounts", Value: "Assets:Cash"}, {Key: "datetime", Value: at},
				{Key: "debit", Value: encode(kind[i], w[0])}, {Key: "credit", Value: encode(kind[i], w[1])}})
			if err != nil {
				t.Fatal(err)
			}
			jid, l, err := fuzzMapper.Line(ldoc)
			if err != nil || jid != "j" {
				t.Fatalf("line %d (kind %d) of %v: journal %q, error %v", i, kind[i], w, jid, err)
			}
			if int64(l.Debit) != w[0] || int64(l.Credit) != w[1] {
				t.Fatalf("line %d stored as kind %d with debit %d, credit %d satang maps to %d, %d", i, kind[i], w[0], w[1], l.Debit, l.Credit)
			}
			j.Lines = append(j.Lines, l)
		}
		err = j.Check()
		if off == 0 && err != nil {
			t.Fatalf("balanced journal %v (kinds %v): Check() = %v", want, kind, err)
		}
		if off != 0 && !errors.Is(err, ledger.ErrUnbalanced) {
			t.Fatalf("journal %v, %d off balance (kinds %v): Check() = %v, want ErrUnbalanced", want, off, kind, err)
		}
	}
}
