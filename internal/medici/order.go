package medici

import (
	"bytes"
	"cmp"
	"math"
	"math/big"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/bsontype"
)

// MongoDB sorts values of different BSON types by a fixed order of type brackets, and a range operator such as
// $gt only matches values of its operand's bracket ("type bracketing"). A keyset read that continued with
// {_id: {$gt: last}} alone would stop at the end of the first bracket and silently skip every entry whose _id has a
// later type. The read therefore continues with {$or: [{_id: {$gt: last}}, {_id: {$type: <later brackets>}}]}, and
// checks, with compareValues, that each _id it returns sorts strictly after the one before.
//
// Hand-written because the driver has no comparison of BSON values: this is MongoDB's documented sort order
// (https://www.mongodb.com/docs/manual/reference/bson-type-comparison-order/) for the types an _id can have.

// bracket is a type's rank in MongoDB's comparison order; types of one bracket compare by value.
func bracket(t bsontype.Type) int {
	switch t {
	case bson.TypeMinKey:
		return 1
	case bson.TypeNull, bson.TypeUndefined:
		return 2
	case bson.TypeInt32, bson.TypeInt64, bson.TypeDouble, bson.TypeDecimal128:
		return 3
	case bson.TypeSymbol, bson.TypeString:
		return 4
	case bson.TypeEmbeddedDocument:
		return 5
	case bson.TypeArray:
		return 6
	case bson.TypeBinary:
		return 7
	case bson.TypeObjectID:
		return 8
	case bson.TypeBoolean:
		return 9
	case bson.TypeDateTime:
		return 10
	case bson.TypeTimestamp:
		return 11
	case bson.TypeRegex:
		return 12
	case bson.TypeMaxKey:
		return 14
	}
	return 13 // JavaScript code and other rarities: after regular expressions, before MaxKey
}

// brackets lists the $type aliases of each bracket an _id can have, in sort order. MinKey and MaxKey, which no
// application uses as an _id, are left out: an entry with one would be missed by the read, and the run's
// reconciliation of claimed against read entries would refuse to finish.
var brackets = []struct {
	rank  int
	types []string
}{
	{2, []string{"null"}},
	{3, []string{"int", "long", "double", "decimal"}},
	{4, []string{"string"}}, // symbols, deprecated since BSON 1.1, are left out like MinKey
	{5, []string{"object"}},
	{7, []string{"binData"}},
	{8, []string{"objectId"}},
	{9, []string{"bool"}},
	{10, []string{"date"}},
	{11, []string{"timestamp"}},
}

// laterTypes lists the $type aliases of every bracket after t's.
func laterTypes(t bsontype.Type) bson.A {
	r := bracket(t)
	var out bson.A
	for _, b := range brackets {
		if b.rank > r {
			for _, name := range b.types {
				out = append(out, name)
			}
		}
	}
	return out
}

// compareValues orders two BSON values as MongoDB sorts them: by bracket, then by value. Numbers of different
// types compare by their numeric value; strings by their bytes (the simple collation); binary data by length,
// subtype, then bytes; documents field by field.
func compareValues(a, b bson.RawValue) int {
	if c := cmp.Compare(bracket(a.Type), bracket(b.Type)); c != 0 {
		return c
	}
	switch bracket(a.Type) {
	case 3:
		// NaN sorts before every other number, -Infinity included, and equals itself; numeric cannot say so,
		// since it has no value below -Infinity.
		if an, bn := isNaN(a), isNaN(b); an || bn {
			return cmp.Compare(b2i(bn), b2i(an))
		}
		return numeric(a).Cmp(numeric(b))
	case 4:
		return bytes.Compare(stringBytes(a), stringBytes(b))
	case 5:
		return compareDocuments(a.Document(), b.Document())
	case 7:
		as, ad := a.Binary()
		bs, bd := b.Binary()
		if c := cmp.Compare(len(ad), len(bd)); c != 0 {
			return c
		}
		if c := cmp.Compare(as, bs); c != 0 {
			return c
		}
		return bytes.Compare(ad, bd)
	case 8:
		ao, bo := a.ObjectID(), b.ObjectID()
		return bytes.Compare(ao[:], bo[:])
	case 9:
		return cmp.Compare(b2i(a.Boolean()), b2i(b.Boolean()))
	case 10:
		return cmp.Compare(a.DateTime(), b.DateTime())
	case 11:
		at, ai := a.Timestamp()
		bt, bi := b.Timestamp()
		return cmp.Or(cmp.Compare(at, bt), cmp.Compare(ai, bi))
	}
	return bytes.Compare(a.Value, b.Value) // MinKey, null, MaxKey: one value each; the rest: a stable order
}

func b2i(v bool) int {
	if v {
		return 1
	}
	return 0
}

func stringBytes(v bson.RawValue) []byte {
	if s, ok := v.StringValueOK(); ok {
		return []byte(s)
	}
	if s, ok := v.SymbolOK(); ok {
		return []byte(s)
	}
	return nil
}

// isNaN reports whether a number is a double or Decimal128 NaN.
func isNaN(v bson.RawValue) bool {
	switch v.Type {
	case bson.TypeDouble:
		return math.IsNaN(v.Double())
	case bson.TypeDecimal128:
		return v.Decimal128().IsNaN()
	}
	return false
}

// numeric returns a number's exact value, infinities included; NaN is compared before it is called (isNaN).
func numeric(v bson.RawValue) *big.Float {
	f := new(big.Float).SetPrec(256)
	switch v.Type {
	case bson.TypeInt32:
		return f.SetInt64(int64(v.Int32()))
	case bson.TypeInt64:
		return f.SetInt64(v.Int64())
	case bson.TypeDouble:
		return f.SetFloat64(v.Double())
	case bson.TypeDecimal128:
		d := v.Decimal128()
		bi, exp, err := d.BigInt()
		if err != nil { // an infinity (NaN never comes here)
			return f.SetInf(d.IsInf() < 0)
		}
		f.SetInt(bi)
		if exp != 0 {
			p := new(big.Float).SetPrec(256).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs(exp))), nil))
			if exp > 0 {
				f.Mul(f, p)
			} else {
				f.Quo(f, p)
			}
		}
		return f
	}
	return f
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// compareDocuments compares documents element by element: by the value's bracket, the field name, the value;
// a document that is a prefix of the other sorts first.
func compareDocuments(a, b bson.Raw) int {
	ae, _ := a.Elements()
	be, _ := b.Elements()
	for i := 0; i < len(ae) && i < len(be); i++ {
		av, bv := ae[i].Value(), be[i].Value()
		if c := cmp.Compare(bracket(av.Type), bracket(bv.Type)); c != 0 {
			return c
		}
		if c := cmp.Compare(ae[i].Key(), be[i].Key()); c != 0 {
			return c
		}
		if c := compareValues(av, bv); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(ae), len(be))
}
