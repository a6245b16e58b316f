package medici_test

import (
	"errors"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"

	"github.com/siamledger/ledger-export/internal/ledger"
	"github.com/siamledger/ledger-export/internal/medici"
)

// TestMapperReadsVoids maps documents shaped as Medici's Book.void leaves them (src/Book.ts, flash-oss/medici
// bd97047): the voided journal and its lines carry voided and void_reason, and the reversal's journal and lines
// carry _original_journal (src/Entry.ts copies it onto every transaction). It fails if the mapper drops
// void_reason or _original_journal, reads one field into the other, or takes the reversal's own id for the
// original's.
func TestMapperReadsVoids(t *testing.T) {
	at := time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC)
	orig, rev, line := primitive.NewObjectID(), primitive.NewObjectID(), primitive.NewObjectID()
	m := medici.Mapper{}

	j, err := m.Journal(raw(t, bson.D{{Key: "_id", Value: orig}, {Key: "datetime", Value: at}, {Key: "memo", Value: "ค่าเช่า"},
		{Key: "voided", Value: true}, {Key: "void_reason", Value: "บันทึกซ้ำ"}, {Key: "_transactions", Value: bson.A{line}}}))
	if err != nil {
		t.Fatalf("Journal(voided): %v", err)
	}
	if !j.Voided || j.VoidReason != "บันทึกซ้ำ" || j.OriginalJournal != "" {
		t.Errorf("voided journal = voided %v, reason %q, original %q; want true, บันทึกซ้ำ, empty", j.Voided, j.VoidReason, j.OriginalJournal)
	}

	r, err := m.Journal(raw(t, bson.D{{Key: "_id", Value: rev}, {Key: "datetime", Value: at}, {Key: "memo", Value: "บันทึกซ้ำ"},
		{Key: "_original_journal", Value: orig}, {Key: "_transactions", Value: bson.A{line}}}))
	if err != nil {
		t.Fatalf("Journal(reversal): %v", err)
	}
	if r.OriginalJournal != orig.Hex() || r.Voided || r.VoidReason != "" {
		t.Errorf("reversal = original %q, voided %v, reason %q; want %s, false, empty", r.OriginalJournal, r.Voided, r.VoidReason, orig.Hex())
	}

	_, l, err := m.Line(raw(t, bson.D{{Key: "_id", Value: line}, {Key: "_journal", Value: rev}, {Key: "accounts", Value: "Assets:Cash"},
		{Key: "datetime", Value: at}, {Key: "debit", Value: 0.0}, {Key: "credit", Value: 10.5},
		{Key: "_original_journal", Value: orig}, {Key: "voided", Value: true}, {Key: "void_reason", Value: "dup"}}))
	if err != nil {
		t.Fatalf("Line: %v", err)
	}
	if l.OriginalJournal != orig.Hex() || l.VoidReason != "dup" || !l.Voided {
		t.Errorf("line = original %q, reason %q, voided %v; want %s, dup, true", l.OriginalJournal, l.VoidReason, l.Voided, orig.Hex())
	}
}

// TestMapperRefusesBadVoidFields requires a void_reason that is not text, or an _original_journal that is not an id,
// to make the document malformed. It fails if the mapper ignores a field of the wrong type (a reversal would then
// export as a journal reversing nothing).
func TestMapperRefusesBadVoidFields(t *testing.T) {
	at := time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC)
	for name, extra := range map[string]bson.E{
		"void_reason number":       {Key: "void_reason", Value: 7},
		"_original_journal number": {Key: "_original_journal", Value: 7},
		"_original_journal empty":  {Key: "_original_journal", Value: ""},
	} {
		d := bson.D{{Key: "_id", Value: primitive.NewObjectID()}, {Key: "datetime", Value: at}, extra}
		if _, err := (medici.Mapper{}).Journal(raw(t, d)); !errors.Is(err, ledger.ErrMalformed) {
			t.Errorf("%s: Journal error = %v, want ErrMalformed", name, err)
		}
	}
}
