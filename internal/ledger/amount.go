// Package ledger holds the domain of one export: amounts in integer satang, journals and their lines as read from
// the Medici ledger, and the checks a journal must pass before it is written. It imports nothing of this module.
package ledger

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// Amount is a sum of money in satang (hundredths of a baht). Integer arithmetic keeps every sum exact.
type Amount int64

// ErrAmount reports a stored value that cannot be a sum of money: NaN, infinity, not a number, or too large.
var ErrAmount = errors.New("invalid amount")

// maxAmount bounds amounts to 10^15 baht, far beyond any SME ledger, so that summing millions of lines can never
// overflow int64 (9.2 × 10^18 satang).
const maxAmount = Amount(1e17)

// AmountFromFloat converts a double as Medici stores it. The double is first turned into the shortest decimal that
// reads back as the same double (what JavaScript printed when the app saved it, so 0.1+0.2 is 0.30000000000000004),
// and that decimal is rounded half away from zero to satang. No float arithmetic touches the value.
func AmountFromFloat(f float64) (Amount, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%w: %v", ErrAmount, f)
	}
	return AmountFromDecimal(strconv.FormatFloat(f, 'g', -1, 64))
}

// AmountFromInt converts a whole number of baht, as stored in an int32 or int64 field.
func AmountFromInt(baht int64) (Amount, error) {
	if baht > int64(maxAmount/100) || baht < -int64(maxAmount/100) {
		return 0, fmt.Errorf("%w: %d baht is out of range", ErrAmount, baht)
	}
	return Amount(baht * 100), nil
}

// AmountFromDecimal parses a decimal string, such as Decimal128's String form ("12.345", "-1E+3", "0.1"), and
// rounds it half away from zero to satang.
func AmountFromDecimal(s string) (Amount, error) {
	r, ok := new(big.Rat).SetString(strings.TrimSpace(s))
	if !ok || strings.ContainsAny(s, "/") {
		return 0, fmt.Errorf("%w: %q is not a decimal number", ErrAmount, s)
	}
	r.Mul(r, big.NewRat(100, 1))
	// Round half away from zero: add or subtract one half, then truncate towards zero.
	half := big.NewRat(1, 2)
	if r.Sign() < 0 {
		r.Sub(r, half)
	} else {
		r.Add(r, half)
	}
	q := new(big.Int).Quo(r.Num(), r.Denom())
	if !q.IsInt64() || Amount(q.Int64()) > maxAmount || Amount(q.Int64()) < -maxAmount {
		return 0, fmt.Errorf("%w: %q is out of range", ErrAmount, s)
	}
	return Amount(q.Int64()), nil
}

// String formats the amount with two decimals, a leading minus when negative and no thousands separator:
// "1500.00", "-0.50", "0.00".
func (a Amount) String() string {
	return string(a.AppendText(nil))
}

// AppendText appends the form String returns to b, without allocating when b has room.
func (a Amount) AppendText(b []byte) []byte {
	u := uint64(a)
	if a < 0 {
		b = append(b, '-')
		u = uint64(-a)
	}
	b = strconv.AppendUint(b, u/100, 10)
	c := u % 100
	return append(b, '.', byte('0'+c/10), byte('0'+c%10))
}
