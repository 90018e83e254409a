package manifest

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"strings"
	"time"
)

// Quantities are written as a whole number (no floats anywhere: fractions of
// cores and of QC are read as exact decimals) and a unit. Each value has one
// canonical spelling, produced by the String methods and [FormatDuration].

var (
	errSyntax   = errors.New("syntax")
	errTooLarge = errors.New("too large")
)

// parseUint reads a non-empty run of ASCII decimal digits with no sign, no
// separators and no leading zeros ("0" itself is fine).
func parseUint(s string) (uint64, error) {
	if s == "" || (len(s) > 1 && s[0] == '0') {
		return 0, errSyntax
	}
	var v uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, errSyntax
		}
		hi, lo := bits.Mul64(v, 10)
		sum, carry := bits.Add64(lo, uint64(c-'0'), 0)
		if hi != 0 || carry != 0 {
			return 0, errTooLarge
		}
		v = sum
	}
	return v, nil
}

// mulUint returns a*b, or errTooLarge when it does not fit in 64 bits.
func mulUint(a, b uint64) (uint64, error) {
	hi, lo := bits.Mul64(a, b)
	if hi != 0 {
		return 0, errTooLarge
	}
	return lo, nil
}

// parseDecimal reads "I" or "I.F" with at most scale digits in F and returns
// the value multiplied by 10^scale, exactly.
func parseDecimal(s string, scale int) (uint64, error) {
	whole, frac, hasDot := strings.Cut(s, ".")
	if hasDot && (frac == "" || len(frac) > scale) {
		return 0, errSyntax
	}
	w, err := parseUint(whole)
	if err != nil {
		return 0, err
	}
	factor := uint64(1)
	for range scale {
		factor *= 10
	}
	v, err := mulUint(w, factor)
	if err != nil {
		return 0, err
	}
	if !hasDot {
		return v, nil
	}
	var f uint64
	for i := 0; i < len(frac); i++ {
		c := frac[i]
		if c < '0' || c > '9' {
			return 0, errSyntax
		}
		f = f*10 + uint64(c-'0')
	}
	for range scale - len(frac) {
		f *= 10
	}
	sum, carry := bits.Add64(v, f, 0)
	if carry != 0 {
		return 0, errTooLarge
	}
	return sum, nil
}

// splitUnit splits s into its leading digits and dots, and the unit after them.
func splitUnit(s string) (number, unit string) {
	i := 0
	for i < len(s) && (s[i] == '.' || (s[i] >= '0' && s[i] <= '9')) {
		i++
	}
	return s[:i], s[i:]
}

// quantityError turns a parse failure into the message users see.
func quantityError(err error, what, s, hint string) error {
	if errors.Is(err, errTooLarge) {
		return fmt.Errorf("%s %q is too large", what, s)
	}
	return fmt.Errorf("invalid %s %q: %s", what, s, hint)
}

// ByteSize is an amount of memory or storage in bytes.
type ByteSize uint64

// Byte-size units.
const (
	KiB ByteSize = 1 << 10
	MiB ByteSize = 1 << 20
	GiB ByteSize = 1 << 30
	TiB ByteSize = 1 << 40
)

var byteUnits = []struct {
	suffix string
	size   uint64
}{
	{"", 1},
	{"k", 1_000}, {"M", 1_000_000}, {"G", 1_000_000_000}, {"T", 1_000_000_000_000},
	{"Ki", 1 << 10}, {"Mi", 1 << 20}, {"Gi", 1 << 30}, {"Ti", 1 << 40},
}

const byteSizeHint = "write a whole number of bytes with an optional unit Ki, Mi, Gi, Ti " +
	"(powers of 1024) or k, M, G, T (powers of 1000), such as 64Mi"

// ParseByteSize reads a byte size such as 64Mi, 1Gi, 500k or 1048576.
func ParseByteSize(s string) (ByteSize, error) {
	number, unit := splitUnit(s)
	for _, u := range byteUnits {
		if u.suffix != unit {
			continue
		}
		n, err := parseUint(number)
		if err == nil {
			n, err = mulUint(n, u.size)
		}
		if err != nil {
			return 0, quantityError(err, "byte size", s, byteSizeHint)
		}
		return ByteSize(n), nil
	}
	return 0, quantityError(errSyntax, "byte size", s, byteSizeHint)
}

// String spells b in the shortest of its exact spellings (64Mi, 2G, 1000),
// preferring units of 1024 on a tie.
func (b ByteSize) String() string {
	best := strconv.FormatUint(uint64(b), 10)
	if b == 0 {
		return best
	}
	for _, u := range []struct {
		suffix string
		size   uint64
	}{{"Ti", 1 << 40}, {"Gi", 1 << 30}, {"Mi", 1 << 20}, {"Ki", 1 << 10},
		{"T", 1_000_000_000_000}, {"G", 1_000_000_000}, {"M", 1_000_000}, {"k", 1_000}} {
		if uint64(b)%u.size == 0 {
			if s := strconv.FormatUint(uint64(b)/u.size, 10) + u.suffix; len(s) < len(best) {
				best = s
			}
		}
	}
	return best
}

// MilliCPU is an amount of CPU in thousandths of a core.
type MilliCPU uint64

const cpuHint = "write millicores such as 500m, or cores such as 1 or 0.5 (at most 3 decimal places)"

// ParseMilliCPU reads a CPU amount: millicores (500m) or cores (2, 0.5, 1.25).
func ParseMilliCPU(s string) (MilliCPU, error) {
	var (
		n   uint64
		err error
	)
	if milli, ok := strings.CutSuffix(s, "m"); ok {
		n, err = parseUint(milli)
	} else {
		n, err = parseDecimal(s, 3)
	}
	if err != nil {
		return 0, quantityError(err, "cpu", s, cpuHint)
	}
	return MilliCPU(n), nil
}

// String spells c as whole cores (2) when it is a multiple of 1000, and as
// millicores (500m) otherwise.
func (c MilliCPU) String() string {
	if c != 0 && c%1000 == 0 {
		return strconv.FormatUint(uint64(c/1000), 10)
	}
	return strconv.FormatUint(uint64(c), 10) + "m"
}

var durationUnits = []struct {
	suffix string
	size   time.Duration
}{{"h", time.Hour}, {"m", time.Minute}, {"s", time.Second}, {"ms", time.Millisecond}}

const durationHint = "write a whole number with a unit ms, s, m or h, such as 2s or 500ms"

// ParseDuration reads a duration written as a whole number and one unit:
// 500ms, 2s, 5m or 1h.
func ParseDuration(s string) (time.Duration, error) {
	number, unit := splitUnit(s)
	for _, u := range durationUnits {
		if u.suffix != unit {
			continue
		}
		n, err := parseUint(number)
		if err == nil && n > uint64(math.MaxInt64/u.size) {
			err = errTooLarge
		}
		if err != nil {
			return 0, quantityError(err, "duration", s, durationHint)
		}
		return time.Duration(n) * u.size, nil
	}
	return 0, quantityError(errSyntax, "duration", s, durationHint)
}

// FormatDuration spells d with the largest of h, m, s and ms that divides it
// exactly (2s, 1500ms, 5m). Durations that are not whole milliseconds, which
// no manifest holds, fall back to time.Duration's own spelling.
func FormatDuration(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	for _, u := range durationUnits {
		if d > 0 && d%u.size == 0 {
			return strconv.FormatInt(int64(d/u.size), 10) + u.suffix
		}
	}
	return d.String()
}

// Amount is an amount of QCoin in its base denomination uqc (1 QC = 10^6 uqc).
type Amount uint64

// Denominations of QCoin.
const (
	BaseDenom    = "uqc" // the chain's base denomination
	DisplayDenom = "QC"  // 1 QC = 10^6 uqc
)

const amountHint = "write whole uqc such as 500uqc, or QC with at most 6 decimal places such as 5QC or 0.25QC"

// ParseAmount reads a QCoin amount: whole uqc (500uqc) or QC with up to six
// decimal places (5QC, 0.25QC).
func ParseAmount(s string) (Amount, error) {
	var (
		n   uint64
		err error
	)
	if v, ok := strings.CutSuffix(s, BaseDenom); ok {
		n, err = parseUint(v)
	} else if v, ok := strings.CutSuffix(s, DisplayDenom); ok {
		n, err = parseDecimal(v, 6)
	} else {
		err = errSyntax
	}
	if err != nil {
		return 0, quantityError(err, "amount", s, amountHint)
	}
	return Amount(n), nil
}

// String spells a in uqc, such as 5000000uqc, the form the SDK uses for coins.
func (a Amount) String() string {
	return strconv.FormatUint(uint64(a), 10) + BaseDenom
}

// Rate is a number of events allowed per interval. Count/Per is the
// sustained rate; Count is also the burst a caller may spend at once.
type Rate struct {
	Count uint64
	Per   time.Duration // time.Second, time.Minute or time.Hour
}

var rateUnits = []struct {
	suffix string
	per    time.Duration
}{{"s", time.Second}, {"m", time.Minute}, {"h", time.Hour}}

const rateHint = "write a whole number of requests per s, m or h, such as 50/s or 600/m"

// ParseRate reads a rate such as 50/s, 600/m or 1000/h.
func ParseRate(s string) (Rate, error) {
	number, unit, ok := strings.Cut(s, "/")
	if !ok {
		return Rate{}, quantityError(errSyntax, "rate", s, rateHint)
	}
	for _, u := range rateUnits {
		if u.suffix != unit {
			continue
		}
		n, err := parseUint(number)
		if err != nil {
			return Rate{}, quantityError(err, "rate", s, rateHint)
		}
		return Rate{Count: n, Per: u.per}, nil
	}
	return Rate{}, quantityError(errSyntax, "rate", s, rateHint)
}

// validRatePer reports whether per is an interval a Rate may count over.
func validRatePer(per time.Duration) bool {
	for _, u := range rateUnits {
		if u.per == per {
			return true
		}
	}
	return false
}

// String spells r as it is written in a manifest, such as 50/s.
func (r Rate) String() string {
	for _, u := range rateUnits {
		if r.Per == u.per {
			return strconv.FormatUint(r.Count, 10) + "/" + u.suffix
		}
	}
	return strconv.FormatUint(r.Count, 10) + "/" + FormatDuration(r.Per)
}
