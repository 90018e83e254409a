package sched

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	sdkmath "cosmossdk.io/math"
)

// benchSharers returns n sharers in shuffled order, like a keeper's store
// iteration (bech32 order is not byte order). Most qualify; prices vary so the
// band holds about a third of them.
func benchSharers(n int) []Sharer {
	rng := rand.New(rand.NewPCG(7, 8))
	regions := []string{"asia", "eu", "us"}
	const charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l" // bech32
	out := make([]Sharer, n)
	for i := range out {
		addr := []byte("q1")
		for range 38 {
			addr = append(addr, charset[rng.IntN(len(charset))])
		}
		out[i] = Sharer{
			Address:    string(addr),
			Online:     rng.IntN(20) != 0,
			Free:       Resources{MilliCPU: 4000, MemoryBytes: uint64(rng.IntN(512)) * mi, StorageBytes: 50 * gi},
			Attributes: []Attribute{{"region", regions[rng.IntN(3)]}},
			Collateral: sdkmath.NewInt(2_000_000_000),
			Prices: Prices{
				CPUPerCoreSecond:  uint64(400 + rng.IntN(300)),
				MemoryPerMiBHour:  2,
				StoragePerGiBHour: 50,
				Per1kRequests:     10,
				EgressPerGiB:      5000,
			},
		}
	}
	rng.Shuffle(n, func(a, b int) { out[a], out[b] = out[b], out[a] })
	return out
}

func BenchmarkPlace(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		cands := benchSharers(n)
		sorted := slices.Clone(cands)
		slices.SortFunc(sorted, func(a, b Sharer) int { return cmpString(a.Address, b.Address) })
		for _, bc := range []struct {
			name  string
			cands []Sharer
			req   Request
		}{
			{"shuffled/3-node", cands, testRequest(func(r *Request) { r.Replicas = 3 })},
			{"shuffled/3-region", cands, testRequest(func(r *Request) { r.Replicas = 3; r.Spread = "region" })},
			{"sorted/3-node", sorted, testRequest(func(r *Request) { r.Replicas = 3 })},
		} {
			b.Run(fmt.Sprintf("sharers=%d/%s", n, bc.name), func(b *testing.B) {
				b.ReportAllocs()
				start := cpuTime()
				for b.Loop() {
					res, err := Place(bc.req, bc.cands, DefaultParams())
					if err != nil || len(res.Chosen) != 3 {
						b.Fatalf("Place: %v, %s", err, res.Explain())
					}
				}
				if d := cpuTime() - start; d > 0 {
					b.ReportMetric(float64(d.Nanoseconds())/float64(b.N), "cpu-ns/op")
				}
			})
		}
	}
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
