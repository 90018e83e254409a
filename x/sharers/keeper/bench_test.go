package keeper_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/quantum1net/q1/x/sharers/types"
)

// populate registers n sharers named b0…b<n-1> with varied free memory,
// regions and prices (CPU prices spread over 400–700 uqc, so the price band
// holds about a fifth of them; with spread false every price is 500), then
// commits the store so that reads go through the saved IAVL tree as on a
// running node.
func populate(f *fixture, n int, spread bool) {
	f.t.Helper()
	rng := rand.New(rand.NewPCG(7, 8))
	regions := []string{"asia", "eu", "us"}
	for i := range n {
		name := fmt.Sprintf("b%d", i)
		o := f.offerOf(name, offer{
			memMiB: uint64(64 + rng.IntN(1024)), region: regions[rng.IntN(3)], memPrice: uint64(1 + rng.IntN(3)),
		})
		if spread {
			o.Prices.CpuPerCoreSecond = uint64(400 + rng.IntN(300))
		}
		if err := f.registerWith(name, o, 2_000_000); err != nil {
			f.t.Fatalf("register %s: %v", name, err)
		}
	}
	f.tc.CMS.Commit()
}

// reportCPU reports the process CPU time per op since start, which on a
// shared machine measures the work better than wall time.
func reportCPU(b *testing.B, start time.Duration) {
	if d := cpuTime() - start; d > 0 {
		b.ReportMetric(float64(d.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkPlaceService measures placing one new 3-replica service among n
// sharers through the keeper: the EndBlocker reads the service, walks the
// capacity index (up to the price band), runs sched.Place and writes three
// leases, on a cached store over the committed IAVL tree. It reports how
// many sharers were read.
func BenchmarkPlaceService(b *testing.B) {
	for _, bc := range []struct {
		n      int
		spread bool
	}{{1000, true}, {10000, true}, {10000, false}} {
		prices := "spread"
		if !bc.spread {
			prices = "equal"
		}
		b.Run(fmt.Sprintf("sharers=%d/prices=%s", bc.n, prices), func(b *testing.B) {
			f := newFixture(b)
			populate(f, bc.n, bc.spread)
			b.ReportAllocs()
			i, read := 0, 0
			start := cpuTime()
			for b.Loop() {
				i++
				ctx, _ := f.ctx.CacheContext()
				m := f.manifest(spec{name: fmt.Sprintf("svc%d", i), replicas: 3})
				if err := f.services.create(ctx, m); err != nil {
					b.Fatal(err)
				}
				if err := f.k.EndBlocker(ctx); err != nil {
					b.Fatal(err)
				}
				st, _ := f.k.Placements.Get(ctx, m.Name)
				if st.Placed != 3 {
					b.Fatalf("placed %d replicas: %s", st.Placed, st.Explanation)
				}
				read += bc.n
				for _, r := range st.Reasons {
					if r.Reason == "above_band" {
						read -= int(r.Count)
					}
				}
			}
			reportCPU(b, start)
			b.ReportMetric(float64(read)/float64(i), "read/op")
		})
	}
}

// BenchmarkIdleBlock measures a block in which nothing changes, with s
// services placed and acknowledged on 1,000 sharers: its cost must not grow
// with s.
func BenchmarkIdleBlock(b *testing.B) {
	for _, s := range []int{100, 10000} {
		b.Run(fmt.Sprintf("services=%d", s), func(b *testing.B) {
			p := testParams()
			p.EpochBlocks = 1_000_000 // no epoch boundary inside the run
			p.MaxPlacementsPerBlock = 10_000
			p.MaxCandidateReadsPerBlock = 1 << 40 // place them all in one block
			f := newFixtureWith(b, p)
			populate(f, 1000, true)
			ctx := context.Context(f.ctx)
			for i := range s {
				if err := f.services.create(ctx, f.manifest(spec{name: fmt.Sprintf("svc%d", i), cpu: "100m", memory: "16Mi", storage: "16Mi"})); err != nil {
					b.Fatal(err)
				}
			}
			f.endBlock() // places every service; the fixture's sharers acknowledge
			open := 0
			err := f.k.Leases.Walk(f.ctx, nil, func(_ uint64, l types.Lease) (bool, error) {
				if !l.IsAcked() {
					return true, fmt.Errorf("lease %d is not acknowledged", l.Id)
				}
				open++
				return false, nil
			})
			if err != nil || open != s {
				b.Fatalf("%d acknowledged leases (%v), want %d", open, err, s)
			}
			f.endBlock()
			f.tc.CMS.Commit()
			b.ReportAllocs()
			start := cpuTime()
			for b.Loop() {
				ctx, _ := f.ctx.CacheContext()
				if err := f.k.EndBlocker(ctx); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, start)
		})
	}
}
