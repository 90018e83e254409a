package types

import (
	"math/bits"
	"time"

	"cosmossdk.io/math"

	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
)

// Kinds of caps a usage record lists (Cap.Kind), in the order they are
// applied. They are stable keys: clients branch on them.
const (
	// CapNotOpen: the lease was not open during the epoch (placed after it
	// ended or closed before it began), so nothing is charged for it.
	CapNotOpen = "not_open"
	// CapUnacknowledged: the lease was never acknowledged, or only after
	// the epoch ended, so nothing is charged for it.
	CapUnacknowledged = "unacknowledged"
	// CapLeaseReserved: a claim passed what the lease could physically
	// have done while it was acknowledged and open during the epoch: its
	// reserved CPU for that time, and the requests and egress that CPU
	// could serve (core/limits).
	CapLeaseReserved = "lease_reserved"
	// CapLeaseEgressShare: the egress claim passed the lease's share of its
	// sharer's egress offer over the time it served: the offer per hour in
	// the proportion of the sharer's offered CPU the lease reserves.
	CapLeaseEgressShare = "lease_egress_share"
	// CapPhysicalCPU and CapPhysicalEgress: the sharer's claims over all its
	// leases exceeded its offered capacity over the epoch, so every claim
	// was scaled down in proportion.
	CapPhysicalCPU    = "physical_cpu"
	CapPhysicalEgress = "physical_egress"
	// CapPrice: the lease's locked price was above the current manifest's
	// pricing cap, so the cap was charged.
	CapPrice = "price"
	// CapFairShare: the charge passed the lease's share of the service's
	// hourly allowance over the epoch: (maxPerHour − rent burn) × the time
	// the lease served in the epoch ÷ the service's replicas.
	CapFairShare = "fair_share"
	// CapMaxPerHour: the service's usage over the epoch would pass
	// (maxPerHour − rent burn) × the epoch's duration, less what its other
	// leases were charged for the epoch.
	CapMaxPerHour = "max_per_hour"
	// CapEscrow: the escrow held less than the charge.
	CapEscrow = "escrow"
)

// Components a cap applies to (Cap.Component).
const (
	ComponentCPU      = "cpu"
	ComponentRequests = "requests"
	ComponentEgress   = "egress"
	ComponentUsage    = "usage"
)

// nsPerHour is an hour of block time in nanoseconds.
const nsPerHour = int64(time.Hour)

// bytesPerGiB is the unit of egress prices.
const bytesPerGiB = 1 << 30

// OverDuration returns what accrues at ratePerHour (uqc per hour) over d,
// truncated to LegacyDec's 18 decimals; zero for d ≤ 0.
func OverDuration(ratePerHour math.LegacyDec, d time.Duration) math.LegacyDec {
	if d <= 0 || ratePerHour.IsNil() || ratePerHour.IsZero() {
		return math.LegacyZeroDec()
	}
	return ratePerHour.MulInt64(int64(d)).QuoInt64(nsPerHour)
}

// Charges are a usage entry's charge by component, in uqc.
type Charges struct {
	CPU, Requests, Egress math.LegacyDec
}

// Total returns the sum of the components.
func (c Charges) Total() math.LegacyDec { return c.CPU.Add(c.Requests).Add(c.Egress) }

// UsageCharges prices usage: CPU milliseconds at uqc per core-second,
// requests at uqc per thousand, egress bytes at uqc per GiB, each exact to
// LegacyDec's 18 decimals (truncated).
func UsageCharges(cpuMillis, requests, egressBytes uint64, p sharerstypes.Prices) Charges {
	mul := func(q, price uint64) math.LegacyDec {
		return math.LegacyNewDecFromInt(math.NewIntFromUint64(q).Mul(math.NewIntFromUint64(price)))
	}
	return Charges{
		CPU:      mul(cpuMillis, p.CpuPerCoreSecond).QuoInt64(1000),
		Requests: mul(requests, p.Per_1KRequests).QuoInt64(1000),
		Egress:   mul(egressBytes, p.EgressPerGib).QuoInt64(bytesPerGiB),
	}
}

// CappedPrices returns the locked prices, each lowered to its cap.
func CappedPrices(locked, caps sharerstypes.Prices) sharerstypes.Prices {
	return sharerstypes.Prices{
		CpuPerCoreSecond:  min(locked.CpuPerCoreSecond, caps.CpuPerCoreSecond),
		MemoryPerMibHour:  min(locked.MemoryPerMibHour, caps.MemoryPerMibHour),
		StoragePerGibHour: min(locked.StoragePerGibHour, caps.StoragePerGibHour),
		Per_1KRequests:    min(locked.Per_1KRequests, caps.Per_1KRequests),
		EgressPerGib:      min(locked.EgressPerGib, caps.EgressPerGib),
	}
}

// CapacityOver returns perPeriod × d / period, floored and saturated to a
// uint64: what a capacity of perPeriod units per period gives over d.
func CapacityOver(perPeriod uint64, d, period time.Duration) uint64 {
	if d <= 0 || period <= 0 {
		return 0
	}
	hi, lo := bits.Mul64(perPeriod, uint64(d))
	if hi >= uint64(period) {
		return ^uint64(0)
	}
	q, _ := bits.Div64(hi, lo, uint64(period))
	return q
}

// ScaleClaims returns claims scaled down in proportion so that their sum is
// at most limit: each becomes floor(claim × limit / Σ claims). When the sum
// is within limit it returns claims unchanged and false. Integer math only,
// exact for any uint64 inputs.
func ScaleClaims(claims []uint64, limit uint64) ([]uint64, bool) {
	var hi, lo uint64
	for _, c := range claims {
		var carry uint64
		lo, carry = bits.Add64(lo, c, 0)
		hi += carry
	}
	if hi == 0 && lo <= limit {
		return claims, false
	}
	out := make([]uint64, len(claims))
	if hi == 0 {
		for i, c := range claims {
			ph, pl := bits.Mul64(c, limit)
			out[i], _ = bits.Div64(ph, pl, lo) // ph < lo: c ≤ sum and limit < sum
		}
		return out, true
	}
	sum := math.NewIntFromUint64(hi).Mul(math.NewIntFromUint64(1 << 32)).Mul(math.NewIntFromUint64(1 << 32)).Add(math.NewIntFromUint64(lo))
	l := math.NewIntFromUint64(limit)
	for i, c := range claims {
		out[i] = math.NewIntFromUint64(c).Mul(l).Quo(sum).Uint64()
	}
	return out, true
}

// SplitProtocol splits a charge between the sharer and the protocol: the
// protocol takes floor(amount × share), the sharer the rest, so the two
// always add up to amount.
func SplitProtocol(amount math.Int, share math.LegacyDec) (toSharer, protocol math.Int) {
	protocol = math.LegacyNewDecFromInt(amount).Mul(share).TruncateInt()
	return amount.Sub(protocol), protocol
}
