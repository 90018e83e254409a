package sched

import (
	"math/big"
	"math/bits"

	sdkmath "cosmossdk.io/math"
)

// costScale is the denominator of a scaled cost: 1000 (milli-cores) × 2^30
// (bytes per GiB). A scaled cost is HourlyCost × costScale, an exact integer.
const costScale = 1000 << 30

// u256 is an unsigned 256-bit integer, least significant word first. Scaled
// costs need it: the largest term (CPU) is below 2^64 · 2^64 · 3600 · 2^30 <
// 2^170, the sum of the three below 2^172, and the band test multiplies that
// by at most 2^32 + 1000, staying below 2^205. Every
// operation here therefore stays far below 2^256 for any uint64 inputs, and
// comparisons are exact without allocating.
type u256 [4]uint64

// mul64 returns a × b as a u256.
func mul64(a, b uint64) u256 {
	hi, lo := bits.Mul64(a, b)
	return u256{lo, hi}
}

// mul3 returns a × b × c as a u256; the product of three uint64 always fits.
func mul3(a, b, c uint64) u256 {
	hi, lo := bits.Mul64(a, b)
	h1, w0 := bits.Mul64(lo, c)
	h2, l2 := bits.Mul64(hi, c)
	w1, carry := bits.Add64(l2, h1, 0)
	return u256{w0, w1, h2 + carry}
}

// mulSmall returns x × m. The caller guarantees the product fits (see u256).
func (x u256) mulSmall(m uint64) u256 {
	var out u256
	var carry uint64
	for i := range x {
		hi, lo := bits.Mul64(x[i], m)
		var c uint64
		out[i], c = bits.Add64(lo, carry, 0)
		carry = hi + c
	}
	return out
}

// add returns x + y. The caller guarantees the sum fits (see u256).
func (x u256) add(y u256) u256 {
	var out u256
	var c uint64
	for i := range x {
		out[i], c = bits.Add64(x[i], y[i], c)
	}
	return out
}

// cmp returns -1, 0 or +1 as x is less than, equal to or greater than y.
func (x u256) cmp(y u256) int {
	for i := len(x) - 1; i >= 0; i-- {
		switch {
		case x[i] < y[i]:
			return -1
		case x[i] > y[i]:
			return 1
		}
	}
	return 0
}

// big returns x as a big.Int.
func (x u256) big() *big.Int {
	var buf [32]byte
	for i, w := range x {
		for j := range 8 {
			buf[31-8*i-j] = byte(w >> (8 * j))
		}
	}
	return new(big.Int).SetBytes(buf[:])
}

// scaledCost returns the hourly cost of reserving res at prices pr, times
// costScale:
//
//	memoryBytes  × memoryPerMiBHour  × 1000 × 2^10
//	+ storageBytes × storagePerGiBHour × 1000
//	+ milliCPU     × cpuPerCoreSecond  × 3600 × 2^30
func scaledCost(res Resources, pr Prices) u256 {
	mem := mul3(res.MemoryBytes, pr.MemoryPerMiBHour, 1000<<10)
	sto := mul3(res.StorageBytes, pr.StoragePerGiBHour, 1000)
	cpu := mul3(res.MilliCPU, pr.CPUPerCoreSecond, 3600<<30)
	return mem.add(sto).add(cpu)
}

// bandLimit returns cheapest × (1000 + bandPermille), the bound inBand tests
// against.
func bandLimit(cheapest u256, bandPermille uint32) u256 {
	return cheapest.mulSmall(1000 + uint64(bandPermille))
}

// inBand reports whether cost is within the band whose bandLimit is limit:
// cost × 1000 ≤ cheapest × (1000 + bandPermille).
func inBand(cost, limit u256) bool {
	return cost.mulSmall(1000).cmp(limit) <= 0
}

// HourlyCost is the most one replica reserving res can cost per hour at prices
// pr, in uqc, excluding requests and egress (which depend on traffic):
//
//	memory MiB × memoryPerMiBHour + storage GiB × storagePerGiBHour
//	+ cores × 3600 × cpuPerCoreSecond
//
// with MiB, GiB and cores as exact fractions (64Mi of memory at 2 uqc is 128
// uqc). Placement ranks on the exact value; the LegacyDec returned here is
// rounded up to its 18 decimals.
func HourlyCost(res Resources, pr Prices) sdkmath.LegacyDec {
	return scaledToDec(scaledCost(res, pr))
}

// scaledToDec converts a scaled cost to uqc, rounding up to 18 decimals.
func scaledToDec(x u256) sdkmath.LegacyDec {
	num := x.big()
	num.Mul(num, new(big.Int).Exp(big.NewInt(10), big.NewInt(sdkmath.LegacyPrecision), nil))
	den := big.NewInt(costScale)
	q, r := num.QuoRem(num, den, new(big.Int))
	if r.Sign() != 0 {
		q.Add(q, big.NewInt(1))
	}
	return sdkmath.LegacyNewDecFromBigIntWithPrec(q, sdkmath.LegacyPrecision)
}
