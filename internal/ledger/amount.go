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

// maxAmount bounds each amount the converters accept to 10^15 baht (10^17 satang), far beyond any SME ledger. It
// does not make sums safe: int64 holds 9.2 × 10^18 satang, so 93 lines at this bound already overflow it. Sums are
// therefore never plain int64 additions: Journal.Check adds with overflow checks, and Totals adds into 128 bits.
const maxAmount = Amount(1e17)

// AmountFromFloat converts a double as Medici stores it. The double is first turned into the shortest decimal that
// reads back as the same double (what JavaScript printed when the app saved it, so 0.1+0.2 is 0.30000000000000004),
// and that decimal is rounded half away from zero to satang. No float arithmetic touches the value.
func AmountFromFloat(f float64) (Amount, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%w: %v", ErrAmount, f)
	}
	if a, ok := fromShortest(f); ok {
		return a, nil
	}
	return AmountFromDecimal(strconv.FormatFloat(f, 'g', -1, 64))
}

// fromShortest is AmountFromFloat's fast path, with the same result: the shortest decimal of f is read as an
// integer of at most 17 digits and a power of ten, and rounded half away from zero to satang with integer
// arithmetic. ok is false when the result would be out of range, so that AmountFromDecimal reports it.
func fromShortest(f float64) (Amount, bool) {
	var buf [32]byte
	b := strconv.AppendFloat(buf[:0], f, 'e', -1, 64) // -d.ddddde±XX: the digits of FormatFloat's 'g' form
	neg := b[0] == '-'
	if neg {
		b = b[1:]
	}
	var digits uint64
	n := 0 // digits read
	i := 0
	for ; i < len(b) && b[i] != 'e'; i++ {
		if b[i] == '.' {
			continue
		}
		digits = digits*10 + uint64(b[i]-'0')
		n++
	}
	exp, err := strconv.Atoi(string(b[i+1:]))
	if err != nil {
		return 0, false
	}
	// f = digits × 10^(exp-n+1), so f in satang is digits × 10^shift.
	shift := exp - n + 1 + 2
	var satang uint64
	switch {
	case shift >= 0:
		if shift > 17 || digits > uint64(maxAmount)/pow10[shift] {
			return 0, false
		}
		satang = digits * pow10[shift]
	case -shift > n:
		satang = 0 // below half a satang: digits < 10^n ≤ 10^-shift / 10
	default:
		p := pow10[-shift]
		satang = digits / p
		if r := digits % p; r >= p-r { // r ≥ p/2: round half away from zero
			satang++
		}
	}
	if satang > uint64(maxAmount) {
		return 0, false
	}
	if neg {
		return -Amount(satang), true
	}
	return Amount(satang), true
}

// pow10 holds the powers of ten that fit in a uint64.
var pow10 = [...]uint64{1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19}

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
