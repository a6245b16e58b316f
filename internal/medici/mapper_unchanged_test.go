package medici

import (
	"bytes"
	"fmt"
	"math"
	"reflect"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
)

// FuzzMapperUnchanged maps any bytes as a journal and as a line with the one-pass mapper and with the mapper as it
// was (mapper_orig_test.go), and requires the same values and the same error text: the speed-up changed nothing
// a document can show. Documents naming void_reason or _original_journal, which the mapper reads since issue 19, are
// skipped.
func FuzzMapperUnchanged(f *testing.F) {
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
			{Key: "_transactions", Value: bson.A{id, id}}, {Key: "book", Value: nil}},
		{{Key: "_id", Value: id}, {Key: "_journal", Value: id}, {Key: "accounts", Value: "bad \xff"}, {Key: "datetime", Value: "2026-11-28"},
			{Key: "debit", Value: math.NaN()}, {Key: "credit", Value: "1"}, {Key: "meta", Value: "not an object"}, {Key: "voided", Value: 1}},
		{{Key: "_id", Value: id}, {Key: "memo", Value: "first"}, {Key: "memo", Value: "duplicate"}, {Key: "_transactions", Value: "x"}},
		{{Key: "_id", Value: 7}},
		{},
	}
	for _, d := range docs {
		b, err := bson.Marshal(d)
		if err != nil {
			f.Fatalf("bson.Marshal(%v): %v", d, err)
		}
		f.Add(b)
		f.Add(b[:len(b)/2])
	}
	meta := []string{"invoiceNo", "qty", "rate", "paid", "when", "nested", "missing", "qty"}
	now, was := Mapper{Meta: meta, Location: time.UTC}, origMapper{Meta: meta, Location: time.UTC}
	f.Fuzz(func(t *testing.T, doc []byte) {
		if bytes.Contains(doc, []byte("void_reason")) || bytes.Contains(doc, []byte("_original_journal")) {
			t.Skip("the mapper as it was did not read void_reason or _original_journal (mapper_void_test.go covers them)")
		}
		j1, err1 := now.Journal(bson.Raw(doc))
		j2, err2 := was.Journal(bson.Raw(doc))
		if !reflect.DeepEqual(j1, j2) || fmt.Sprint(err1) != fmt.Sprint(err2) {
			t.Errorf("Journal(%x) = %+v, %v; was %+v, %v", doc, j1, err1, j2, err2)
		}
		id1, l1, err1 := now.Line(bson.Raw(doc))
		id2, l2, err2 := was.Line(bson.Raw(doc))
		if id1 != id2 || !reflect.DeepEqual(l1, l2) || fmt.Sprint(err1) != fmt.Sprint(err2) {
			t.Errorf("Line(%x) = %s %+v, %v; was %s %+v, %v", doc, id1, l1, err1, id2, l2, err2)
		}
	})
}
