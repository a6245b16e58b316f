package medici

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/siamledger/ledger-export/internal/ledger"
)

// Mapper turns Medici documents into ledger values. It reads fields straight from the raw BSON, so a document of
// any shape maps without a panic: a wrong type, a missing field or invalid UTF-8 becomes ledger.ErrMalformed.
type Mapper struct {
	// Meta names the fields of a line's meta object to keep, in column order.
	Meta []string
	// Location is the zone meta dates are written in.
	Location *time.Location
}

// Journal maps a medici_journals document. The returned journal has no lines yet; its ID is empty only when the
// document has no usable _id.
func (m Mapper) Journal(raw bson.Raw) (ledger.Journal, error) {
	j := ledger.Journal{LineCount: -1}
	id, err := requiredID(raw, "_id")
	if err != nil {
		return j, err
	}
	j.ID = id
	var errs []error
	j.Book, err = optionalString(raw, "book")
	errs = append(errs, err)
	j.Memo, err = optionalString(raw, "memo")
	errs = append(errs, err)
	j.PostedAt, err = requiredTime(raw, "datetime")
	errs = append(errs, err)
	j.Voided, err = optionalBool(raw, "voided")
	errs = append(errs, err)
	if v, lookupErr := raw.LookupErr("_transactions"); lookupErr == nil && v.Type != bson.TypeNull {
		arr, ok := v.ArrayOK()
		if !ok {
			errs = append(errs, fmt.Errorf("_transactions has type %s, want array", v.Type))
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
func (m Mapper) Line(raw bson.Raw) (journalID string, l ledger.Line, err error) {
	journalID, err = requiredID(raw, "_journal")
	if err != nil {
		return "", l, err
	}
	l.ID, err = requiredID(raw, "_id")
	if err != nil {
		return journalID, l, err
	}
	var errs []error
	l.Account, err = requiredString(raw, "accounts")
	errs = append(errs, err)
	l.Book, err = optionalString(raw, "book")
	errs = append(errs, err)
	l.Memo, err = optionalString(raw, "memo")
	errs = append(errs, err)
	l.PostedAt, err = requiredTime(raw, "datetime")
	errs = append(errs, err)
	l.Debit, err = amount(raw, "debit")
	errs = append(errs, err)
	l.Credit, err = amount(raw, "credit")
	errs = append(errs, err)
	l.Voided, err = optionalBool(raw, "voided")
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

func (m Mapper) meta(raw bson.Raw) ([]ledger.Value, error) {
	out := make([]ledger.Value, len(m.Meta))
	v, err := raw.LookupErr("meta")
	if err != nil || v.Type == bson.TypeNull || v.Type == bson.TypeUndefined {
		return out, nil
	}
	doc, ok := v.DocumentOK()
	if !ok {
		return out, fmt.Errorf("meta has type %s, want object", v.Type)
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
func (m Mapper) value(v bson.RawValue) (ledger.Value, error) {
	switch v.Type {
	case bson.TypeNull, bson.TypeUndefined:
		return ledger.Value{}, nil
	case bson.TypeString:
		s := v.StringValue()
		if !utf8.ValidString(s) {
			return ledger.Value{}, errors.New("invalid UTF-8")
		}
		return ledger.Value{Text: s}, nil
	case bson.TypeInt32:
		return ledger.Value{Text: strconv.FormatInt(int64(v.Int32()), 10), Numeric: true}, nil
	case bson.TypeInt64:
		return ledger.Value{Text: strconv.FormatInt(v.Int64(), 10), Numeric: true}, nil
	case bson.TypeDouble:
		f := v.Double()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return ledger.Value{Text: strconv.FormatFloat(f, 'g', -1, 64)}, nil
		}
		return ledger.Value{Text: strconv.FormatFloat(f, 'f', -1, 64), Numeric: true}, nil
	case bson.TypeDecimal128:
		d := v.Decimal128()
		if _, err := ledger.AmountFromDecimal(d.String()); err != nil {
			return ledger.Value{Text: d.String()}, nil
		}
		return ledger.Value{Text: d.String(), Numeric: true}, nil
	case bson.TypeBoolean:
		return ledger.Value{Text: strconv.FormatBool(v.Boolean())}, nil
	case bson.TypeDateTime:
		return ledger.Value{Text: v.Time().In(m.location()).Format(time.RFC3339)}, nil
	case bson.TypeObjectID:
		return ledger.Value{Text: v.ObjectID().Hex()}, nil
	default:
		// Objects, arrays and rarer types keep their relaxed extended JSON form, as text.
		return ledger.Value{Text: v.String()}, nil
	}
}

func (m Mapper) location() *time.Location {
	if m.Location == nil {
		return time.UTC
	}
	return m.Location
}

// amount reads a sum of money stored as a double, an int32, an int64 or a Decimal128.
func amount(raw bson.Raw, key string) (ledger.Amount, error) {
	v, err := raw.LookupErr(key)
	if err != nil {
		return 0, fmt.Errorf("%s is missing", key)
	}
	var a ledger.Amount
	switch v.Type {
	case bson.TypeDouble:
		a, err = ledger.AmountFromFloat(v.Double())
	case bson.TypeInt32:
		a, err = ledger.AmountFromInt(int64(v.Int32()))
	case bson.TypeInt64:
		a, err = ledger.AmountFromInt(v.Int64())
	case bson.TypeDecimal128:
		a, err = ledger.AmountFromDecimal(v.Decimal128().String())
	default:
		return 0, fmt.Errorf("%s has type %s, want a number", key, v.Type)
	}
	if err != nil {
		return 0, fmt.Errorf("%s: %w", key, err)
	}
	return a, nil
}

func requiredID(raw bson.Raw, key string) (string, error) {
	v, err := raw.LookupErr(key)
	if err != nil {
		return "", fmt.Errorf("%w: %s is missing", ledger.ErrMalformed, key)
	}
	switch v.Type {
	case bson.TypeObjectID:
		return v.ObjectID().Hex(), nil
	case bson.TypeString:
		if s := v.StringValue(); s != "" && utf8.ValidString(s) {
			return s, nil
		}
	}
	return "", fmt.Errorf("%w: %s has type %s, want ObjectId", ledger.ErrMalformed, key, v.Type)
}

func requiredString(raw bson.Raw, key string) (string, error) {
	v, err := raw.LookupErr(key)
	if err != nil || v.Type == bson.TypeNull {
		return "", fmt.Errorf("%s is missing", key)
	}
	return str(v, key)
}

func optionalString(raw bson.Raw, key string) (string, error) {
	v, err := raw.LookupErr(key)
	if err != nil || v.Type == bson.TypeNull || v.Type == bson.TypeUndefined {
		return "", nil
	}
	return str(v, key)
}

func str(v bson.RawValue, key string) (string, error) {
	s, ok := v.StringValueOK()
	if !ok {
		return "", fmt.Errorf("%s has type %s, want string", key, v.Type)
	}
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("%s is not valid UTF-8", key)
	}
	return s, nil
}

func requiredTime(raw bson.Raw, key string) (time.Time, error) {
	v, err := raw.LookupErr(key)
	if err != nil || v.Type == bson.TypeNull {
		return time.Time{}, fmt.Errorf("%s is missing", key)
	}
	if v.Type != bson.TypeDateTime {
		return time.Time{}, fmt.Errorf("%s has type %s, want date", key, v.Type)
	}
	return v.Time(), nil
}

func optionalBool(raw bson.Raw, key string) (bool, error) {
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

// sortLines orders a journal's lines by id, so output never depends on the order the database returned them in.
func sortLines(ls []ledger.Line) {
	slices.SortFunc(ls, func(a, b ledger.Line) int { return strings.Compare(a.ID, b.ID) })
}
