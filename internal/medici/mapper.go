package medici

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/bsontype"
	"go.mongodb.org/mongo-driver/x/bsonx/bsoncore"

	"github.com/siamledger/ledger-export/internal/ledger"
)

// Mapper turns Medici documents into ledger values. It reads fields straight from the raw BSON, so a document of
// any shape maps without a panic: broken BSON, a wrong type, a missing field or invalid UTF-8 becomes
// ledger.ErrMalformed. Text is kept whole; the CSV encoder caps each cell (csvfile.MaxCell).
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
	var f [len(journalKeys)]bson.RawValue
	if err := checkDocument(raw, journalKeys[:], f[:]); err != nil {
		return j, fmt.Errorf("%w: journal document: %w", ledger.ErrMalformed, err)
	}
	id, err := requiredID(f[jID], "_id")
	if err != nil {
		return j, err
	}
	j.ID = id
	var errs [7]error
	j.Book, errs[0] = optionalString(f[jBook], "book")
	j.Memo, errs[1] = optionalString(f[jMemo], "memo")
	j.PostedAt, errs[2] = requiredTime(f[jDatetime], "datetime")
	j.Voided, errs[3] = optionalBool(f[jVoided], "voided")
	j.VoidReason, errs[5] = optionalString(f[jVoidReason], "void_reason")
	j.OriginalJournal, errs[6] = optionalID(f[jOriginal], "_original_journal")
	if v := f[jTransactions]; v.Type != 0 && v.Type != bson.TypeNull {
		// The array was checked with the whole document, so counting its elements cannot fail.
		if arr, ok := v.ArrayOK(); !ok {
			errs[4] = fmt.Errorf("_transactions has type %s, want array", v.Type)
		} else {
			j.LineCount = count(arr)
		}
	}
	if err := errors.Join(errs[:]...); err != nil {
		return j, fmt.Errorf("%w: journal %s: %w", ledger.ErrMalformed, j.ID, err)
	}
	return j, nil
}

// Line maps a medici_transactions document and returns the id of its journal with it.
func (m Mapper) Line(raw bson.Raw) (journalID string, l ledger.Line, err error) {
	var f [len(lineKeys)]bson.RawValue
	if err := checkDocument(raw, lineKeys[:], f[:]); err != nil {
		return "", l, fmt.Errorf("%w: line document: %w", ledger.ErrMalformed, err)
	}
	journalID, err = requiredID(f[lJournal], "_journal")
	if err != nil {
		return "", l, err
	}
	l.ID, err = requiredID(f[lID], "_id")
	if err != nil {
		return journalID, l, err
	}
	var errs [10]error
	l.Account, errs[0] = requiredString(f[lAccounts], "accounts")
	l.Book, errs[1] = optionalString(f[lBook], "book")
	l.Memo, errs[2] = optionalString(f[lMemo], "memo")
	l.PostedAt, errs[3] = requiredTime(f[lDatetime], "datetime")
	l.Debit, errs[4] = amount(f[lDebit], "debit")
	l.Credit, errs[5] = amount(f[lCredit], "credit")
	l.Voided, errs[6] = optionalBool(f[lVoided], "voided")
	l.VoidReason, errs[8] = optionalString(f[lVoidReason], "void_reason")
	l.OriginalJournal, errs[9] = optionalID(f[lOriginal], "_original_journal")
	if len(m.Meta) > 0 {
		l.Meta, errs[7] = m.meta(f[lMeta])
	}
	if err := errors.Join(errs[:]...); err != nil {
		return journalID, l, fmt.Errorf("%w: line %s: %w", ledger.ErrMalformed, l.ID, err)
	}
	return journalID, l, nil
}

// meta maps the line's meta object v (the zero RawValue when the line has none).
func (m Mapper) meta(v bson.RawValue) ([]ledger.Value, error) {
	out := make([]ledger.Value, len(m.Meta))
	if v.Type == 0 || v.Type == bson.TypeNull || v.Type == bson.TypeUndefined {
		return out, nil
	}
	doc, ok := v.DocumentOK()
	if !ok {
		return out, fmt.Errorf("meta has type %s, want object", v.Type)
	}
	// The object was checked with the whole document.
	var small [8]bson.RawValue
	fields := small[:0]
	if len(m.Meta) > len(small) {
		fields = make([]bson.RawValue, 0, len(m.Meta))
	}
	fields = fields[:len(m.Meta)]
	lookup(doc, m.Meta, fields)
	for i, name := range m.Meta {
		if fields[i].Type == 0 {
			continue
		}
		var err error
		out[i], err = m.value(fields[i])
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

// maxDepth bounds how deep documents nest; MongoDB itself stores at most 100 levels.
const maxDepth = 100

// checkDocument validates raw as one BSON document whose length prefix matches its bytes, with every embedded
// document and array inside it, and in the same pass sets out[i] to the value of the first element named keys[i]
// (as raw.LookupErr would), leaving the zero RawValue (type 0) where there is none. The prefix is checked first
// because the driver's Validate indexes by it and panics on a length below 5; the driver's Validate does not look
// inside embedded documents, whose broken contents would otherwise render as empty text instead of failing the
// entry.
func checkDocument(raw []byte, keys []string, out []bson.RawValue) error {
	return checkNested(raw, 0, keys, out)
}

// nestedValue is an embedded document or array, to check once its parent is.
type nestedValue struct {
	key  []byte
	data []byte
}

func checkNested(raw []byte, depth int, keys []string, out []bson.RawValue) error {
	if depth > maxDepth {
		return fmt.Errorf("documents nest deeper than %d levels", maxDepth)
	}
	if len(raw) < 5 {
		return fmt.Errorf("%d bytes are too few for a BSON document", len(raw))
	}
	if n := int32(binary.LittleEndian.Uint32(raw)); n < 5 || int(n) != len(raw) {
		return fmt.Errorf("BSON length prefix %d does not match the document's %d bytes", n, len(raw))
	}
	// The driver's Document.Validate, step by step and with its errors, in one pass that also notes the wanted
	// keys and the nested values. The nested values are checked after the whole document, as before.
	var small [16]nestedValue
	nested := small[:0]
	if raw[len(raw)-1] != 0x00 {
		return fmt.Errorf("invalid BSON: %w", bsoncore.ErrMissingNull)
	}
	length := int32(len(raw)) - 4
	rem := raw[4:]
	for length > 1 {
		var (
			elem bsoncore.Element
			ok   bool
		)
		elem, rem, ok = bsoncore.ReadElement(rem)
		length -= int32(len(elem))
		if !ok {
			return fmt.Errorf("invalid BSON: %w", bsoncore.NewInsufficientBytesError(raw, rem))
		}
		k := bytes.IndexByte(elem[1:], 0x00) // found: ReadElement read the key
		v := bsoncore.Value{Type: bsontype.Type(elem[0]), Data: elem[k+2:]}
		if err := v.Validate(); err != nil {
			return fmt.Errorf("invalid BSON: %w", err)
		}
		key := elem[1 : k+1]
		for i, want := range keys {
			if out[i].Type == 0 && string(key) == want {
				out[i] = bson.RawValue{Type: v.Type, Value: v.Data}
			}
		}
		if v.Type == bson.TypeEmbeddedDocument || v.Type == bson.TypeArray {
			nested = append(nested, nestedValue{key: key, data: v.Data})
		}
	}
	if len(rem) < 1 || rem[0] != 0x00 {
		return fmt.Errorf("invalid BSON: %w", bsoncore.ErrMissingNull)
	}
	for _, n := range nested {
		if err := checkNested(n.data, depth+1, nil, nil); err != nil {
			return fmt.Errorf("%s: %w", n.key, err)
		}
	}
	return nil
}

// The fields Journal and Line read, and their places in a lookup.
var (
	journalKeys = [...]string{"_id", "book", "memo", "datetime", "voided", "_transactions", "void_reason", "_original_journal"}
	lineKeys    = [...]string{"_journal", "_id", "accounts", "book", "memo", "datetime", "debit", "credit", "voided", "meta", "void_reason", "_original_journal"}
)

const (
	jID = iota
	jBook
	jMemo
	jDatetime
	jVoided
	jTransactions
	jVoidReason
	jOriginal
)

const (
	lJournal = iota
	lID
	lAccounts
	lBook
	lMemo
	lDatetime
	lDebit
	lCredit
	lVoided
	lMeta
	lVoidReason
	lOriginal
)

// lookup sets out[i] to the value of the first element named keys[i] in doc, or leaves it the zero RawValue (type
// 0) when there is none: raw.LookupErr for every key, in one pass instead of one per key. doc must have been
// checked (checkDocument checks nested documents too).
func lookup(doc []byte, keys []string, out []bson.RawValue) {
	for rem := doc[4 : len(doc)-1]; len(rem) > 0; {
		e, next, ok := bsoncore.ReadElement(rem)
		if !ok {
			return
		}
		rem = next
		k := e.KeyBytes()
		for i, key := range keys {
			if out[i].Type == 0 && string(k) == key {
				v := e.Value()
				out[i] = bson.RawValue{Type: v.Type, Value: v.Data}
			}
		}
	}
}

// count returns the number of elements of a checked document or array.
func count(doc []byte) int {
	n := 0
	for rem := doc[4 : len(doc)-1]; len(rem) > 0; n++ {
		_, next, ok := bsoncore.ReadElement(rem)
		if !ok {
			return n
		}
		rem = next
	}
	return n
}

func (m Mapper) location() *time.Location {
	if m.Location == nil {
		return time.UTC
	}
	return m.Location
}

// amount reads a sum of money stored as a double, an int32, an int64 or a Decimal128.
func amount(v bson.RawValue, key string) (ledger.Amount, error) {
	if v.Type == 0 {
		return 0, fmt.Errorf("%s is missing", key)
	}
	var (
		a   ledger.Amount
		err error
	)
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

func requiredID(v bson.RawValue, key string) (string, error) {
	if v.Type == 0 {
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

func requiredString(v bson.RawValue, key string) (string, error) {
	if v.Type == 0 || v.Type == bson.TypeNull {
		return "", fmt.Errorf("%s is missing", key)
	}
	return str(v, key)
}

// optionalID reads an optional id (Medici's _original_journal): an ObjectId as its hex, or a non-empty string.
// Missing, null and undefined give "".
func optionalID(v bson.RawValue, key string) (string, error) {
	if v.Type == 0 || v.Type == bson.TypeNull || v.Type == bson.TypeUndefined {
		return "", nil
	}
	return requiredID(v, key)
}

func optionalString(v bson.RawValue, key string) (string, error) {
	if v.Type == 0 || v.Type == bson.TypeNull || v.Type == bson.TypeUndefined {
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

func requiredTime(v bson.RawValue, key string) (time.Time, error) {
	if v.Type == 0 || v.Type == bson.TypeNull {
		return time.Time{}, fmt.Errorf("%s is missing", key)
	}
	t, ok := v.TimeOK()
	if !ok {
		return time.Time{}, fmt.Errorf("%s has type %s, want date", key, v.Type)
	}
	return t, nil
}

func optionalBool(v bson.RawValue, key string) (bool, error) {
	if v.Type == 0 || v.Type == bson.TypeNull || v.Type == bson.TypeUndefined {
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
