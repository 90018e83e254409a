// Package limits holds the physical bounds of what a lease can do, and so
// bill, in a span of time: the work a replica could have done is bounded by
// the CPU its lease reserved, whatever its sharer claims. The chain caps
// every usage claim by these bounds (x/usage), and a service's default
// spending ceiling, policies.budget.maxPerHour when the manifest leaves it
// out, is what its replicas could bill per hour at full use under them.
//
// The bounds are part of the chain's rules: changing a constant changes
// what every validator charges, so it is done only with a new rules
// version. Integer arithmetic only, saturating at the largest uint64.
package limits

import (
	"math/bits"
	"time"

	sdkmath "cosmossdk.io/math"
)

const (
	// RequestsPerCoreSecond is the most requests a lease is credited with
	// per second of a core it reserved: 10,000, i.e. 100 µs of CPU per
	// request, several times what the node's fastest measured path needs
	// (docs/benchmarks.md), so an honest sharer is never cut.
	RequestsPerCoreSecond = 10_000
	// EgressBytesPerCoreSecond is the most bytes a lease is credited with
	// sending per second of a core it reserved: 64 MiB (about 0.5 Gbit/s),
	// more than a wasm guest can produce on one core.
	EgressBytesPerCoreSecond = 64 << 20
)

// Usage is what a lease did, or could have done, over some span.
type Usage struct {
	CPUMillis   uint64 // CPU time, in milliseconds of one core
	Requests    uint64
	EgressBytes uint64
}

// LeaseUsage is the most a lease reserving milliCPU millicores could have
// done over d: its reserved cores for all of d, and the requests and egress
// those cores could have served.
func LeaseUsage(milliCPU uint64, d time.Duration) Usage {
	if d <= 0 || milliCPU == 0 {
		return Usage{}
	}
	// core-milliseconds reserved: milliCPU × d / 1s (a millicore for a
	// second is one core-millisecond).
	coreMillis := mulDiv(milliCPU, uint64(d), uint64(time.Second))
	return Usage{
		CPUMillis:   coreMillis,
		Requests:    mulDiv(coreMillis, RequestsPerCoreSecond, 1000),
		EgressBytes: mulDiv(coreMillis, EgressBytesPerCoreSecond, 1000),
	}
}

// Replica is what one replica of a service reserves.
type Replica struct {
	MilliCPU     uint64
	MemoryBytes  uint64
	StorageBytes uint64
}

// Prices are a manifest's pricing caps, in uqc.
type Prices struct {
	CPUPerCoreSecond  uint64
	MemoryPerMiBHour  uint64
	StoragePerGiBHour uint64
	Per1kRequests     uint64
	EgressPerGiB      uint64
}

const (
	mib = 1 << 20
	gib = 1 << 30
)

// HourlyCeiling is what replicas replicas of r could bill in an hour at
// full use at prices p, in uqc, rounded up: their memory and storage rent,
// their reserved CPU busy the whole hour, and the requests and egress that
// CPU could serve (LeaseUsage).
func HourlyCeiling(r Replica, replicas uint32, p Prices) sdkmath.Int {
	full := LeaseUsage(r.MilliCPU, time.Hour)
	i := sdkmath.NewIntFromUint64
	// Each term is a numerator over its own denominator, summed exactly
	// as a fraction over the common denominator gib×1000×1000.
	const den = uint64(gib) * 1000 * 1000
	num := sdkmath.ZeroInt()
	num = num.Add(i(full.CPUMillis).Mul(i(p.CPUPerCoreSecond)).Mul(i(gib * 1000)))        // ms × price/s ÷ 1000
	num = num.Add(i(r.MemoryBytes).Mul(i(p.MemoryPerMiBHour)).Mul(i(1024 * 1000 * 1000))) // bytes ÷ MiB × price
	num = num.Add(i(r.StorageBytes).Mul(i(p.StoragePerGiBHour)).Mul(i(1000 * 1000)))      // bytes ÷ GiB × price
	num = num.Add(i(full.Requests).Mul(i(p.Per1kRequests)).Mul(i(gib * 1000)))            // requests ÷ 1000 × price
	num = num.Add(i(full.EgressBytes).Mul(i(p.EgressPerGiB)).Mul(i(1000 * 1000)))         // bytes ÷ GiB × price
	num = num.Mul(i(uint64(replicas)))
	d := i(den)
	q := num.Quo(d)
	if !num.Mod(d).IsZero() {
		q = q.AddRaw(1)
	}
	return q
}

// mulDiv returns a × b / c floored, saturated to the largest uint64.
func mulDiv(a, b, c uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	if hi >= c {
		return ^uint64(0)
	}
	q, _ := bits.Div64(hi, lo, c)
	return q
}
