// Package qc parses and formats QCoin amounts the way people write them:
// "25QC", "0.5QC", "2500uqc". One QC is 1,000,000 uqc; amounts are exact
// integers of uqc, never floats.
package qc

import (
	"fmt"
	"math/big"
	"strings"

	sdkmath "cosmossdk.io/math"
)

const (
	// Denom is the base denomination every amount is counted in.
	Denom = "uqc"
	// Display is the denomination people read.
	Display = "QC"
	// Exponent is the number of decimals of Display.
	Exponent = 6
)

// MaxAmount is the largest amount ParseAmount accepts: 2^64-1 uqc, far above
// any supply QCoin will have, and small enough that every module's integer
// arithmetic stays clear of overflow.
var MaxAmount = sdkmath.NewIntFromUint64(^uint64(0))

var oneQC = big.NewInt(1_000_000)

// ParseAmount parses a positive amount written with a unit: "25QC", "0.5QC",
// "1,000QC" is refused (no separators), "2500uqc". Units are case-sensitive
// as people see them, but "qc" is accepted for QC. The result is in uqc.
func ParseAmount(s string) (sdkmath.Int, error) {
	a, err := ParseNonNegative(s)
	if err != nil {
		return sdkmath.Int{}, err
	}
	if a.IsZero() {
		return sdkmath.Int{}, fmt.Errorf("amount %q is zero: send a positive amount", s)
	}
	return a, nil
}

// ParseNonNegative is ParseAmount but accepts zero.
func ParseNonNegative(s string) (sdkmath.Int, error) {
	in := strings.TrimSpace(s)
	if in == "" {
		return sdkmath.Int{}, fmt.Errorf("amount is empty: write it with a unit, e.g. 25QC, 0.5QC or 2500uqc")
	}
	i := 0
	for i < len(in) && (in[i] >= '0' && in[i] <= '9' || in[i] == '.') {
		i++
	}
	number, unit := in[:i], in[i:]
	if number == "" {
		if strings.HasPrefix(in, "-") {
			return sdkmath.Int{}, fmt.Errorf("amount %q is negative: amounts must be positive", s)
		}
		return sdkmath.Int{}, fmt.Errorf("amount %q does not start with a number: write e.g. 25QC, 0.5QC or 2500uqc", s)
	}
	var scale int
	switch unit {
	case "QC", "qc":
		scale = Exponent
	case "uqc":
		scale = 0
	case "":
		return sdkmath.Int{}, fmt.Errorf("amount %q has no unit: write %sQC or %suqc", s, number, number)
	default:
		return sdkmath.Int{}, fmt.Errorf("unknown unit %q in amount %q: use QC or uqc (e.g. 25QC, 0.5QC, 2500uqc)", unit, s)
	}
	whole, frac, hasDot := strings.Cut(number, ".")
	if strings.Contains(frac, ".") || whole == "" && frac == "" || hasDot && frac == "" {
		return sdkmath.Int{}, fmt.Errorf("amount %q is not a number", s)
	}
	if len(frac) > scale {
		if scale == 0 {
			return sdkmath.Int{}, fmt.Errorf("amount %q has decimals, but uqc is the smallest unit", s)
		}
		return sdkmath.Int{}, fmt.Errorf("amount %q has more than %d decimals; the smallest unit is 1uqc (0.000001QC)", s, scale)
	}
	digits := whole + frac + strings.Repeat("0", scale-len(frac))
	digits = strings.TrimLeft(digits, "0")
	if digits == "" {
		return sdkmath.ZeroInt(), nil
	}
	if len(digits) > 30 {
		return sdkmath.Int{}, fmt.Errorf("amount %q is too large: the most is %s", s, Format(MaxAmount))
	}
	v, ok := new(big.Int).SetString(digits, 10)
	if !ok {
		return sdkmath.Int{}, fmt.Errorf("amount %q is not a number", s)
	}
	a := sdkmath.NewIntFromBigInt(v)
	if a.GT(MaxAmount) {
		return sdkmath.Int{}, fmt.Errorf("amount %q is too large: the most is %s", s, Format(MaxAmount))
	}
	return a, nil
}

// Format writes an amount of uqc in QC, exactly, with no trailing zeros:
// 3000000 → "3QC", 500000 → "0.5QC", 1 → "0.000001QC".
func Format(uqc sdkmath.Int) string {
	if uqc.IsNil() {
		return "0QC"
	}
	v := uqc.BigInt()
	neg := v.Sign() < 0
	v.Abs(v)
	q, r := new(big.Int).QuoRem(v, oneQC, new(big.Int))
	out := q.String()
	if r.Sign() != 0 {
		frac := fmt.Sprintf("%06s", r.String())
		out += "." + strings.TrimRight(frac, "0")
	}
	if neg {
		out = "-" + out
	}
	return out + Display
}

// FormatUqc is Format for a plain uint64 of uqc.
func FormatUqc(uqc uint64) string { return Format(sdkmath.NewIntFromUint64(uqc)) }
