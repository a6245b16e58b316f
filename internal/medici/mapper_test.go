package medici_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"

	"github.com/siamledger/ledger-export/internal/ledger"
	"github.com/siamledger/ledger-export/internal/medici"
)

func raw(t *testing.T, d bson.D) bson.Raw {
	t.Helper()
	b, err := bson.Marshal(d)
	if err != nil {
		t.Fatalf("bson.Marshal(%v): %v", d, err)
	}
	return b
}

func lineDoc(debit, credit any) bson.D {
	return bson.D{
		{Key: "_id", Value: primitive.NewObjectID()}, {Key: "_journal", Value: primitive.NewObjectID()},
		{Key: "accounts", Value: "Assets:Cash"}, {Key: "datetime", Value: time.Date(2026, 11, 28, 3, 0, 0, 0, time.UTC)},
		{Key: "debit", Value: debit}, {Key: "credit", Value: credit},
	}
}

func dec(t *testing.T, s string) primitive.Decimal128 {
	t.Helper()
	d, err := primitive.ParseDecimal128(s)
	if err != nil {
		t.Fatalf("ParseDecimal128(%q): %v", s, err)
	}
	return d
}

// TestLineAmounts covers every numeric type Medici documents hold. Decimal128 is tested here, without a server,
// because FerretDB drops the connection on it.
func TestLineAmounts(t *testing.T) {
	tests := []struct {
		name      string
		debit     any
		wantDebit string
	}{
		{"double", 1500.25, "1500.25"},
		{"double sum", 0.1 + 0.2, "0.30"},
		{"negative double", -12.5, "-12.50"},
		{"int32", int32(42), "42.00"},
		{"int64", int64(1_000_000), "1000000.00"},
		{"decimal128", dec(t, "1234.565"), "1234.57"},
		{"decimal128 exponent", dec(t, "1E+3"), "1000.00"},
		{"decimal128 negative", dec(t, "-0.005"), "-0.01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, l, err := medici.Mapper{}.Line(raw(t, lineDoc(tt.debit, 0.0)))
			if err != nil {
				t.Fatalf("Line(debit %v) error = %v", tt.debit, err)
			}
			if l.Debit.String() != tt.wantDebit {
				t.Errorf("Line(debit %v).Debit = %s, want %s", tt.debit, l.Debit, tt.wantDebit)
			}
		})
	}
}

func TestLineMalformed(t *testing.T) {
	tests := []struct {
		name string
		doc  bson.D
		want string
	}{
		{"debit as string", lineDoc("100.00", 0.0), "debit has type string"},
		{"credit missing", bson.D{{Key: "_id", Value: primitive.NewObjectID()}, {Key: "_journal", Value: primitive.NewObjectID()}, {Key: "accounts", Value: "A"}, {Key: "datetime", Value: time.Now()}, {Key: "debit", Value: 1.0}}, "credit is missing"},
		{"NaN", lineDoc(math.NaN(), 0.0), "invalid amount"},
		{"decimal NaN", lineDoc(dec(t, "NaN"), 0.0), "invalid amount"},
		{"account not a string", append(lineDoc(1.0, 0.0)[:2:2], bson.E{Key: "accounts", Value: 7}, bson.E{Key: "datetime", Value: time.Now()}, bson.E{Key: "debit", Value: 1.0}, bson.E{Key: "credit", Value: 0.0}), "accounts has type"},
		{"invalid utf-8 memo", append(lineDoc(1.0, 0.0), bson.E{Key: "memo", Value: "bad \xff byte"}), "not valid UTF-8"},
		{"date as string", append(lineDoc(1.0, 0.0)[:3:3], bson.E{Key: "datetime", Value: "2026-11-28"}, bson.E{Key: "debit", Value: 1.0}, bson.E{Key: "credit", Value: 0.0}), "datetime has type string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := medici.Mapper{}.Line(raw(t, tt.doc))
			if !errors.Is(err, ledger.ErrMalformed) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Line(%s) error = %v, want ErrMalformed mentioning %q", tt.name, err, tt.want)
			}
		})
	}
}

func TestLineMeta(t *testing.T) {
	m := medici.Mapper{Meta: []string{"invoiceNo", "qty", "rate", "paid", "missing", "nested"}, Location: time.UTC}
	d := append(lineDoc(1.0, 0.0), bson.E{Key: "meta", Value: bson.D{
		{Key: "invoiceNo", Value: "=INV-1"}, {Key: "qty", Value: int32(-3)}, {Key: "rate", Value: 0.07},
		{Key: "paid", Value: true}, {Key: "nested", Value: bson.D{{Key: "a", Value: 1}}},
	}})
	_, l, err := m.Line(raw(t, d))
	if err != nil {
		t.Fatalf("Line(meta) error = %v", err)
	}
	want := []ledger.Value{{Text: "=INV-1"}, {Text: "-3", Numeric: true}, {Text: "0.07", Numeric: true}, {Text: "true"}, {}, {Text: `{"a": {"$numberInt":"1"}}`}}
	for i := range want {
		if l.Meta[i] != want[i] {
			t.Errorf("Line(meta).Meta[%d] (%s) = %+v, want %+v", i, m.Meta[i], l.Meta[i], want[i])
		}
	}
}

// TestLineMetaIgnoredWithoutMetaColumns: with no META_COLUMNS, a line's meta field is not read at all, so a meta
// of any type maps, and the line carries no meta values.
func TestLineMetaIgnoredWithoutMetaColumns(t *testing.T) {
	d := append(lineDoc(1.0, 0.0), bson.E{Key: "meta", Value: "not an object"})
	_, l, err := medici.Mapper{Location: time.UTC}.Line(raw(t, d))
	if err != nil || l.Meta != nil {
		t.Errorf("Line(meta of type string, no meta columns) = meta %#v, %v; want nil, nil", l.Meta, err)
	}
}

// TestLineManyMetaColumns: more meta columns than the mapper's stack array of 8 still map, each to its value.
func TestLineManyMetaColumns(t *testing.T) {
	var names []string
	var meta bson.D
	for i := range 10 {
		names = append(names, fmt.Sprintf("f%d", i))
		meta = append(meta, bson.E{Key: fmt.Sprintf("f%d", i), Value: int32(i)})
	}
	m := medici.Mapper{Meta: names, Location: time.UTC}
	_, l, err := m.Line(raw(t, append(lineDoc(1.0, 0.0), bson.E{Key: "meta", Value: meta})))
	if err != nil || len(l.Meta) != 10 {
		t.Fatalf("Line(10 meta columns) = %d values, %v; want 10, nil", len(l.Meta), err)
	}
	for i, v := range l.Meta {
		if want := (ledger.Value{Text: fmt.Sprint(i), Numeric: true}); v != want {
			t.Errorf("meta.f%d = %+v, want %+v", i, v, want)
		}
	}
}

// TestLineNestingDepth: MongoDB stores documents nested at most 100 levels deep; the mapper accepts a line whose
// meta nests to that depth and refuses one level more as malformed.
func TestLineNestingDepth(t *testing.T) {
	nested := func(levels int) bson.D { // the line's meta, at depth 1, holds levels-1 documents inside it
		d := bson.D{{Key: "x", Value: 1}}
		for range levels - 1 {
			d = bson.D{{Key: "d", Value: d}}
		}
		return d
	}
	m := medici.Mapper{Location: time.UTC}
	if _, _, err := m.Line(raw(t, append(lineDoc(1.0, 0.0), bson.E{Key: "meta", Value: nested(100)}))); err != nil {
		t.Errorf("Line(meta nested to depth 100) = %v, want it mapped", err)
	}
	if _, _, err := m.Line(raw(t, append(lineDoc(1.0, 0.0), bson.E{Key: "meta", Value: nested(101)}))); !errors.Is(err, ledger.ErrMalformed) {
		t.Errorf("Line(meta nested to depth 101) = %v, want ErrMalformed", err)
	}
}

// TestLineMetaDateInZone: a date in a line's meta is written in the mapper's zone with its offset, and in UTC
// when no zone is set.
func TestLineMetaDateInZone(t *testing.T) {
	bkk, err := time.LoadLocation("Asia/Bangkok")
	if err != nil {
		t.Fatal(err)
	}
	d := append(lineDoc(1.0, 0.0), bson.E{Key: "meta", Value: bson.D{{Key: "due", Value: time.Date(2026, 11, 28, 17, 30, 0, 0, time.UTC)}}})
	for _, tt := range []struct {
		loc  *time.Location
		want string
	}{{bkk, "2026-11-29T00:30:00+07:00"}, {nil, "2026-11-28T17:30:00Z"}} {
		_, l, err := medici.Mapper{Meta: []string{"due"}, Location: tt.loc}.Line(raw(t, d))
		if err != nil || l.Meta[0].Text != tt.want {
			t.Errorf("Line(meta date) in %v = %+v, %v; want %q", tt.loc, l.Meta, err, tt.want)
		}
	}
}

func TestJournal(t *testing.T) {
	id := primitive.NewObjectID()
	j, err := medici.Mapper{}.Journal(raw(t, bson.D{
		{Key: "_id", Value: id}, {Key: "datetime", Value: time.Now()}, {Key: "memo", Value: "ค่าเช่า"},
		{Key: "_transactions", Value: bson.A{primitive.NewObjectID(), primitive.NewObjectID()}}, {Key: "voided", Value: true},
	}))
	if err != nil || j.ID != id.Hex() || j.LineCount != 2 || !j.Voided || j.Memo != "ค่าเช่า" {
		t.Errorf("Journal() = %+v, %v; want id %s, 2 lines listed, voided, memo ค่าเช่า", j, err, id.Hex())
	}
	_, err = medici.Mapper{}.Journal(raw(t, bson.D{{Key: "_id", Value: id}, {Key: "datetime", Value: time.Now()}, {Key: "voided", Value: "yes"}}))
	if !errors.Is(err, ledger.ErrMalformed) {
		t.Errorf("Journal(voided as string) error = %v, want ErrMalformed", err)
	}
}

// TestLineBrokenBSON: documents whose bytes are broken, at the top or deep inside, fail as malformed entries and
// never panic (the first two shapes made the driver panic before the mapper checked documents itself).
func TestLineBrokenBSON(t *testing.T) {
	valid := raw(t, append(lineDoc(1.0, 1.0), bson.E{Key: "meta", Value: bson.D{{Key: "n", Value: bson.D{{Key: "d", Value: bson.A{"abcXYZ"}}}}}}))
	at := bytes.Index(valid, []byte("abcXYZ"))
	withLength := func(n uint32) []byte {
		b := bytes.Clone(valid)
		binary.LittleEndian.PutUint32(b[at-4:], n)
		return b
	}
	tests := []struct {
		name string
		doc  []byte
	}{
		{"empty", nil},
		{"length prefix 0", []byte{0, 0, 0, 0, 0}},
		{"length prefix beyond the bytes", []byte{0xff, 0, 0, 0, 0}},
		{"cut in half", valid[:len(valid)/2]},
		{"nested string longer than its document", withLength(100)},
		{"nested string of length 0", withLength(0)},
		{"nested string of negative length", withLength(0xffffffff)},
		{"missing final NUL", append(bytes.Clone(valid[:len(valid)-1]), 1)},
	}
	m := medici.Mapper{Meta: []string{"n"}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := m.Line(tt.doc)
			if !errors.Is(err, ledger.ErrMalformed) {
				t.Errorf("Line(%x) error = %v, want ErrMalformed", tt.doc, err)
			}
			if _, err := m.Journal(tt.doc); !errors.Is(err, ledger.ErrMalformed) {
				t.Errorf("Journal(%x) error = %v, want ErrMalformed", tt.doc, err)
			}
		})
	}
	if _, l, err := m.Line(valid); err != nil || l.Meta[0].Text != `{"d": ["abcXYZ"]}` {
		t.Errorf("Line(valid nested meta) = %+v, %v; want the nested value as extended JSON", l.Meta, err)
	}
}
