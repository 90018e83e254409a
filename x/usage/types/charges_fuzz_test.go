package types_test

import (
	"math/big"
	"testing"
	"time"

	"cosmossdk.io/math"

	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
	"github.com/quantum1net/q1/x/usage/types"
)

// FuzzReportArithmetic drives the arithmetic a usage report is charged with
// by hostile claims (up to 2^64−1 of everything) and checks it against
// big-integer references: no overflow, no panic, scaled claims never sum
// above their limit and never grow, capacity saturates instead of wrapping,
// prices never rise above their caps, and a protocol split always adds up.
//
//	go test -run '^$' -fuzz FuzzReportArithmetic -fuzztime 60s ./x/usage/types
func FuzzReportArithmetic(f *testing.F) {
	f.Add(uint64(1000), uint64(3000), uint64(1<<20), uint64(500), uint64(1000), uint64(5000), uint64(10), int64(time.Minute), uint64(600_000))
	f.Add(^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0), int64(1<<62), ^uint64(0))
	f.Add(uint64(0), uint64(0), uint64(0), uint64(0), uint64(0), uint64(0), uint64(0), int64(0), uint64(0))
	f.Fuzz(func(t *testing.T, cpu, reqs, egress, pCPU, pReq, pEgress, capCPU uint64, d int64, limit uint64) {
		// UsageCharges: exact products, truncated to 18 decimals, never negative.
		p := sharerstypes.Prices{CpuPerCoreSecond: pCPU, Per_1KRequests: pReq, EgressPerGib: pEgress}
		c := types.UsageCharges(cpu, reqs, egress, p)
		for name, got := range map[string]struct {
			dec     math.LegacyDec
			q, pr   uint64
			divisor int64
		}{
			"cpu": {c.CPU, cpu, pCPU, 1000}, "requests": {c.Requests, reqs, pReq, 1000}, "egress": {c.Egress, egress, pEgress, 1 << 30},
		} {
			want := new(big.Int).Mul(new(big.Int).SetUint64(got.q), new(big.Int).SetUint64(got.pr))
			whole := new(big.Int).Quo(want, big.NewInt(got.divisor))
			if got.dec.IsNegative() || got.dec.TruncateInt().BigInt().Cmp(whole) != 0 {
				t.Fatalf("%s charge %s for %d at %d, want %s whole uqc", name, got.dec, got.q, got.pr, whole)
			}
		}
		if c.Total().LT(c.CPU) {
			t.Fatal("Total is below one of its parts")
		}

		// CappedPrices never raises a price.
		capped := types.CappedPrices(p, sharerstypes.Prices{CpuPerCoreSecond: capCPU, Per_1KRequests: capCPU, EgressPerGib: capCPU})
		if capped.CpuPerCoreSecond > pCPU || capped.CpuPerCoreSecond > capCPU || capped.Per_1KRequests > pReq || capped.EgressPerGib > pEgress {
			t.Fatalf("CappedPrices(%+v, %d) = %+v", p, capCPU, capped)
		}

		// CapacityOver: floor(perPeriod × d / period), saturating at 2^64−1.
		period := time.Hour
		got := types.CapacityOver(cpu, time.Duration(d), period)
		if d <= 0 {
			if got != 0 {
				t.Fatalf("CapacityOver over %d ns = %d, want 0", d, got)
			}
		} else {
			want := new(big.Int).Mul(new(big.Int).SetUint64(cpu), big.NewInt(d))
			want.Quo(want, big.NewInt(int64(period)))
			if !want.IsUint64() {
				want.SetUint64(^uint64(0))
			}
			if got != want.Uint64() {
				t.Fatalf("CapacityOver(%d, %d) = %d, want %s", cpu, d, got, want)
			}
		}

		// ScaleClaims: within the limit, proportional, never growing.
		claims := []uint64{cpu, reqs, egress, pCPU}
		scaled, did := types.ScaleClaims(claims, limit)
		sum, out := new(big.Int), new(big.Int)
		for i := range claims {
			sum.Add(sum, new(big.Int).SetUint64(claims[i]))
			out.Add(out, new(big.Int).SetUint64(scaled[i]))
			if scaled[i] > claims[i] {
				t.Fatalf("ScaleClaims raised claim %d from %d to %d", i, claims[i], scaled[i])
			}
		}
		if did == (sum.Cmp(new(big.Int).SetUint64(limit)) <= 0) {
			t.Fatalf("ScaleClaims said scaled=%v for a sum of %s and a limit of %d", did, sum, limit)
		}
		if out.Cmp(new(big.Int).SetUint64(limit)) > 0 && did {
			t.Fatalf("scaled claims sum to %s, above the limit %d", out, limit)
		}

		// SplitProtocol: the two parts add up to the amount, neither negative.
		amount := math.NewIntFromUint64(limit)
		share := math.LegacyNewDecWithPrec(int64(pReq%1001), 3) // 0 to 1
		toSharer, protocol := types.SplitProtocol(amount, share)
		if !toSharer.Add(protocol).Equal(amount) || toSharer.IsNegative() || protocol.IsNegative() {
			t.Fatalf("SplitProtocol(%s, %s) = %s + %s", amount, share, toSharer, protocol)
		}
	})
}
