package medici

// The mapper as it was before it read each document in one pass (kept as the oracle of FuzzMapperUnchanged).

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/siamledger/ledger-export/internal/ledger"
)

// origMapper turns Medici documents into ledger values. It reads fields straight from the raw BSON, so a document of
// any shape maps without a panic: broken BSON, a wrong type, a missing field or invalid UTF-8 becomes
// ledger.ErrMalformed. Text is kept whole; the CSV encoder caps each cell (csvfile.MaxCell).
type origMapper struct {
	// Meta names the fields of a line's meta object to keep, in column order.
	Meta []string
	// Location is the zone meta dates are written in.
	Location *time.Location
}

// Journal maps a medici_journals document. The returned journal has no lines yet; its ID is empty only when the
// document has no usable _id.
func (m origMapper) Journal(raw bson.Raw) (ledger.Journal, error) {
	j := ledger.Journal{LineCount: -1}
	if err := origCheckDocument(raw); err != nil {
		return j, fmt.Errorf("%w: journal document: %w", ledger.ErrMalformed, err)
	}
	id, err := origRequiredID(raw, "_id")
	if err != nil {
		return j, err
	}
	j.ID = id
	var errs []error
	j.Book, err = origOptionalString(raw, "book")
	errs = append(errs, err)
	j.Memo, err = origOptionalString(raw, "memo")
	errs = append(errs, err)
	j.PostedAt, err = origRequiredTime(raw, "datetime")
	errs = append(errs, err)
	j.Voided, err = origOptionalBool(raw, "voided")
	errs = append(errs, err)
	if v, lookupErr := raw.LookupErr("_transactions"); lookupErr == nil && v.Type != bson.TypeNull {
		arr, ok := v.ArrayOK()
		if !ok {
			errs = append(errs, fmt.Errorf("_transactions has type %s, want array", v.Type))
		} else if err := origCheckDocument(arr); err != nil {
			errs = append(errs, fmt.Errorf("_transactions: %w", err))
		} else if vals, err := arr.Values(); err != nil {
			errs = append(errs, fmt.Errorf("_transactions: %w", err))
		} else {
			j.LineCount = len(vals)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return j, fmt.Errorf("%w: journal %s: %w", ledger.ErrMalformed, j.ID, err)
	}
	return j, nil
}

// Line maps a medici_transactions document and returns the id of its journal with it.
func (m origMapper) Line(raw bson.Raw) (journalID string, l ledger.Line, err error) {
	if err := origCheckDocument(raw); err != nil {
		return "", l, fmt.Errorf("%w: line document: %w", ledger.ErrMalformed, err)
	}
	journalID, err = origRequiredID(raw, "_journal")
	if err != nil {
		return "", l, err
	}
	l.ID, err = origRequiredID(raw, "_id")
	if err != nil {
		return journalID, l, err
	}
	var errs []error
	l.Account, err = origRequiredString(raw, "accounts")
	errs = append(errs, err)
	l.Book, err = origOptionalString(raw, "book")
	errs = append(errs, err)
	l.Memo, err = origOptionalString(raw, "memo")
	errs = append(errs, err)
	l.PostedAt, err = origRequiredTime(raw, "datetime")
	errs = append(errs, err)
	l.Debit, err = origAmount(raw, "debit")
	errs = append(errs, err)
	l.Credit, err = origAmount(raw, "credit")
	errs = append(errs, err)
	l.Voided, err = origOptionalBool(raw, "voided")
	errs = append(errs, err)
	if len(m.Meta) > 0 {
		l.Meta, err = m.meta(raw)
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return journalID, l, fmt.Errorf("%w: line %s: %w", ledger.ErrMalformed, l.ID, err)
	}
	return journalID, l, nil
}

func (m origMapper) meta(raw bson.Raw) ([]ledger.Value, error) {
	out := make([]ledger.Value, len(m.Meta))
	v, err := raw.LookupErr("meta")
	if err != nil || v.Type == bson.TypeNull || v.Type == bson.TypeUndefined {
		return out, nil
	}
	doc, ok := v.DocumentOK()
	if !ok {
		return out, fmt.Errorf("meta has type %s, want object", v.Type)
	}
	if err := origCheckDocument(doc); err != nil {
		return out, fmt.Errorf("meta: %w", err)
	}
	for i, name := range m.Meta {
		f, err := doc.LookupErr(name)
		if err != nil {
			continue
		}
		out[i], err = m.value(f)
		if err != nil {
			return out, fmt.Errorf("meta.%s: %w", name, err)
		}
	}
	return out, nil
}

// value renders one meta value: numbers stay numbers, everything else becomes text.
func (m origMapper) value(v bson.RawValue) (ledger.Value, error) {
	switch v.Type {
	case bson.TypeNull, bson.TypeUndefined:
		return ledger.Value{}, nil
	case bson.TypeString:
		s, ok := v.StringValueOK()
		if !ok {
			return ledger.Value{}, fmt.Errorf("malformed %s value", v.Type)
		}
		if !utf8.ValidString(s) {
			return ledger.Value{}, errors.New("invalid UTF-8")
		}
		return ledger.Value{Text: s}, nil
	case bson.TypeInt32:
		i, ok := v.Int32OK()
		if !ok {
			return ledger.Value{}, fmt.Errorf("malformed %s value", v.Type)
		}
		return ledger.Value{Text: strconv.FormatInt(int64(i), 10), Numeric: true}, nil
	case bson.TypeInt64:
		i, ok := v.Int64OK()
		if !ok {
			return ledger.Value{}, fmt.Errorf("malformed %s value", v.Type)
		}
		return ledger.Value{Text: strconv.FormatInt(i, 10), Numeric: true}, nil
	case bson.TypeDouble:
		f, ok := v.DoubleOK()
		if !ok {
			return ledger.Value{}, fmt.Errorf("malformed %s value", v.Type)
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return ledger.Value{Text: strconv.FormatFloat(f, 'g', -1, 64)}, nil
		}
		return ledger.Value{Text: strconv.FormatFloat(f, 'f', -1, 64), Numeric: true}, nil
	case bson.TypeDecimal128:
		d, ok := v.Decimal128OK()
		if !ok {
			return ledger.Value{}, fmt.Errorf("malformed %s value", v.Type)
		}
		if _, err := ledger.AmountFromDecimal(d.String()); err != nil {
			return ledger.Value{Text: d.String()}, nil
		}
		return ledger.Value{Text: d.String(), Numeric: true}, nil
	case bson.TypeBoolean:
		b, ok := v.BooleanOK()
		if !ok {
			return ledger.Value{}, fmt.Errorf("malformed %s value", v.Type)
		}
		return ledger.Value{Text: strconv.FormatBool(b)}, nil
	case bson.TypeDateTime:
		t, ok := v.TimeOK()
		if !ok {
			return ledger.Value{}, fmt.Errorf("malformed %s value", v.Type)
		}
		return ledger.Value{Text: t.In(m.location()).Format(time.RFC3339)}, nil
	case bson.TypeObjectID:
		id, ok := v.ObjectIDOK()
		if !ok {
			return ledger.Value{}, fmt.Errorf("malformed %s value", v.Type)
		}
		return ledger.Value{Text: id.Hex()}, nil
	default:
		// Objects, arrays and rarer types keep their relaxed extended JSON form, as text. Embedded documents and
		// arrays were checked with the whole document.
		if err := v.Validate(); err != nil {
			return ledger.Value{}, fmt.Errorf("malformed %s value", v.Type)
		}
		s := v.String()
		if !utf8.ValidString(s) {
			return ledger.Value{}, errors.New("invalid UTF-8")
		}
		return ledger.Value{Text: s}, nil
	}
}

// origMaxDepth bounds how deep documents nest; MongoDB itself stores at most 100 levels.
const origMaxDepth = 100

// origCheckDocument validates raw as one BSON document whose length prefix matches its bytes, with every embedded
// document and array inside it. The prefix is checked here first because the driver's Validate indexes by it and
// panics on a length below 5; the driver's Validate does not look inside embedded documents, whose broken contents
// would otherwise render as empty text instead of failing the entry.
func origCheckDocument(raw []byte) error { return origCheckNested(raw, 0) }

func origCheckNested(raw []byte, depth int) error {
	if depth > origMaxDepth {
		return fmt.Errorf("documents nest deeper than %d levels", origMaxDepth)
	}
	if len(raw) < 5 {
		return fmt.Errorf("%d bytes are too few for a BSON document", len(raw))
	}
	if n := int32(binary.LittleEndian.Uint32(raw)); n < 5 || int(n) != len(raw) {
		return fmt.Errorf("BSON length prefix %d does not match the document's %d bytes", n, len(raw))
	}
	if err := bson.Raw(raw).Validate(); err != nil {
		return fmt.Errorf("invalid BSON: %w", err)
	}
	elems, err := bson.Raw(raw).Elements()
	if err != nil {
		return fmt.Errorf("invalid BSON: %w", err)
	}
	for _, e := range elems {
		v := e.Value()
		if v.Type != bson.TypeEmbeddedDocument && v.Type != bson.TypeArray {
			continue
		}
		if err := origCheckNested(v.Value, depth+1); err != nil {
			return fmt.Errorf("%s: %w", e.Key(), err)
		}
	}
	return nil
}

func (m origMapper) location() *time.Location {
	if m.Location == nil {
		return time.UTC
	}
	return m.Location
}

// origAmount reads a sum of money stored as a double, an int32, an int64 or a Decimal128.
func origAmount(raw bson.Raw, key string) (ledger.Amount, error) {
	v, err := raw.LookupErr(key)
	if err != nil {
		return 0, fmt.Errorf("%s is missing", key)
	}
	var a ledger.Amount
	switch v.Type {
	case bson.TypeDouble:
		f, ok := v.DoubleOK()
		if !ok {
			return 0, fmt.Errorf("%s is a malformed double", key)
		}
		a, err = ledger.AmountFromFloat(f)
	case bson.TypeInt32:
		i, ok := v.Int32OK()
		if !ok {
			return 0, fmt.Errorf("%s is a malformed int32", key)
		}
		a, err = ledger.AmountFromInt(int64(i))
	case bson.TypeInt64:
		i, ok := v.Int64OK()
		if !ok {
			return 0, fmt.Errorf("%s is a malformed int64", key)
		}
		a, err = ledger.AmountFromInt(i)
	case bson.TypeDecimal128:
		d, ok := v.Decimal128OK()
		if !ok {
			return 0, fmt.Errorf("%s is a malformed Decimal128", key)
		}
		a, err = ledger.AmountFromDecimal(d.String())
	default:
		return 0, fmt.Errorf("%s has type %s, want a number", key, v.Type)
	}
	if err != nil {
		return 0, fmt.Errorf("%s: %w", key, err)
	}
	return a, nil
}

func origRequiredID(raw bson.Raw, key string) (string, error) {
	v, err := raw.LookupErr(key)
	if err != nil {
		return "", fmt.Errorf("%w: %s is missing", ledger.ErrMalformed, key)
	}
	switch v.Type {
	case bson.TypeObjectID:
		if id, ok := v.ObjectIDOK(); ok {
			return id.Hex(), nil
		}
	case bson.TypeString:
		if s, ok := v.StringValueOK(); ok && s != "" && utf8.ValidString(s) {
			return s, nil
		}
	}
	return "", fmt.Errorf("%w: %s has type %s, want ObjectId", ledger.ErrMalformed, key, v.Type)
}

func origRequiredString(raw bson.Raw, key string) (string, error) {
	v, err := raw.LookupErr(key)
	if err != nil || v.Type == bson.TypeNull {
		return "", fmt.Errorf("%s is missing", key)
	}
	return origStr(v, key)
}

func origOptionalString(raw bson.Raw, key string) (string, error) {
	v, err := raw.LookupErr(key)
	if err != nil || v.Type == bson.TypeNull || v.Type == bson.TypeUndefined {
		return "", nil
	}
	return origStr(v, key)
}

func origStr(v bson.RawValue, key string) (string, error) {
	s, ok := v.StringValueOK()
	if !ok {
		return "", fmt.Errorf("%s has type %s, want string", key, v.Type)
	}
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("%s is not valid UTF-8", key)
	}
	return s, nil
}

func origRequiredTime(raw bson.Raw, key string) (time.Time, error) {
	v, err := raw.LookupErr(key)
	if err != nil || v.Type == bson.TypeNull {
		return time.Time{}, fmt.Errorf("%s is missing", key)
	}
	t, ok := v.TimeOK()
	if !ok {
		return time.Time{}, fmt.Errorf("%s has type %s, want date", key, v.Type)
	}
	return t, nil
}

func origOptionalBool(raw bson.Raw, key string) (bool, error) {
	v, err := raw.LookupErr(key)
	if err != nil || v.Type == bson.TypeNull || v.Type == bson.TypeUndefined {
		return false, nil
	}
	b, ok := v.BooleanOK()
	if !ok {
		return false, fmt.Errorf("%s has type %s, want boolean", key, v.Type)
	}
	return b, nil
}
