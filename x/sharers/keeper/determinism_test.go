package keeper_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	moduletestutil "github.com/cosmos/cosmos-sdk/types/module/testutil"

	servicestypes "github.com/quantum1net/q1/x/services/types"
	"github.com/quantum1net/q1/x/sharers"
)

// scenario runs the same history on f: sharers registered in the given
// order, services created, blocks with heartbeats from all but one sharer,
// a scale, a pause and resume, a drain.
func scenario(f *fixture, order []string) {
	f.t.Helper()
	for _, n := range order {
		o := offer{memMiB: 512, region: []string{"eu", "us", "asia"}[int(n[len(n)-1])%3]}
		if n == "s5" || n == "s6" {
			o.memPrice = 1
		}
		if err := f.register(n, o); err != nil {
			f.t.Fatal(err)
		}
	}
	for i := range 8 {
		f.create(spec{name: fmt.Sprintf("svc%d", i), replicas: uint32(1 + i%3), spread: []string{"node", "region"}[i%2]})
	}
	reporters := []string{"s1", "s2", "s3", "s4", "s5", "s6", "s7"} // s8 goes silent
	f.runTo(20, reporters...)
	f.hook(func(ctx context.Context) error { return f.services.scale(ctx, "svc0", 3) })
	f.hook(func(ctx context.Context) error { return f.services.pause(ctx, "svc1") })
	f.runTo(30, reporters...)
	f.hook(func(ctx context.Context) error { return f.services.resume(ctx, "svc1") })
	if err := f.update("s2", f.offerOf("s2", offer{memMiB: 512, region: "eu"}), true); err != nil {
		f.t.Fatal(err)
	}
	f.runTo(60, reporters...)
}

func TestDeterministicAcrossRegistrationOrder(t *testing.T) {
	names := []string{"s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8"}
	reversed := []string{"s8", "s7", "s6", "s5", "s4", "s3", "s2", "s1"}
	shuffled := []string{"s4", "s8", "s2", "s6", "s1", "s5", "s3", "s7"}
	cdc := moduletestutil.MakeTestEncodingConfig(sharers.AppModuleBasic{}).Codec
	export := func(order []string) []byte {
		f := newFixture(t)
		scenario(f, order)
		f.checkInvariants()
		gs, err := f.k.ExportGenesis(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(gs.Leases) == 0 {
			t.Fatal("the scenario placed nothing")
		}
		return cdc.MustMarshalJSON(gs)
	}
	want := export(names)
	for _, order := range [][]string{reversed, shuffled} {
		if got := export(order); string(got) != string(want) {
			t.Fatalf("registering in order %v gives a different state:\n%s\nwant:\n%s", order, got, want)
		}
	}
}

// TestCapacityInvariantUnderRandomOperations applies a seeded random mix
// of operations and checks after every block that every sharer's used
// resources equal the sum over its open leases and fit its capacity, and
// that the indexes agree with the records.
func TestCapacityInvariantUnderRandomOperations(t *testing.T) {
	f := newFixture(t)
	rng := rand.New(rand.NewPCG(1, 2))
	var sharersUp []string
	for i := range 12 {
		n := fmt.Sprintf("r%d", i)
		f.mustRegister(offer{cpu: uint64(500 + rng.IntN(4000)), memMiB: uint64(64 + rng.IntN(512)), region: []string{"eu", "us"}[i%2]}, n)
		sharersUp = append(sharersUp, n)
	}
	services := 0
	for block := range 120 {
		switch op := rng.IntN(8); op {
		case 0, 1:
			f.create(spec{name: fmt.Sprintf("x%d", services), replicas: uint32(1 + rng.IntN(3)), memory: fmt.Sprintf("%dMi", 16+rng.IntN(128))})
			services++
		case 2:
			if services > 0 {
				name := fmt.Sprintf("x%d", rng.IntN(services))
				if s := f.services.services[name]; s.rec.Status == servicestypes.StatusActive {
					f.hook(func(ctx context.Context) error { return f.services.scale(ctx, name, uint32(1+rng.IntN(4))) })
				}
			}
		case 3:
			if services > 0 {
				name := fmt.Sprintf("x%d", rng.IntN(services))
				if s := f.services.services[name]; s.rec.Status == servicestypes.StatusActive {
					f.hook(func(ctx context.Context) error { return f.services.pause(ctx, name) })
				} else if s.rec.Status == servicestypes.StatusPaused {
					f.hook(func(ctx context.Context) error { return f.services.resume(ctx, name) })
				}
			}
		case 4:
			n := sharersUp[rng.IntN(len(sharersUp))]
			_ = f.update(n, f.offerOf(n, offer{cpu: uint64(500 + rng.IntN(4000)), memMiB: uint64(64 + rng.IntN(512))}), rng.IntN(4) == 0)
		case 5:
			if services > 0 {
				name := fmt.Sprintf("x%d", rng.IntN(services))
				if s := f.services.services[name]; s.rec.Status != servicestypes.StatusDeleted {
					f.hook(func(ctx context.Context) error { return f.services.remove(ctx, name) })
				}
			}
		}
		// Most sharers report; r0 and r1 fall silent for a while.
		cur, _ := f.k.CurrentEpoch(f.ctx)
		if cur.Number > 0 && f.ctx.BlockHeight() == cur.StartHeight {
			for _, n := range sharersUp {
				if (n == "r0" || n == "r1") && block < 80 {
					continue
				}
				f.heartbeat(n, cur.Number-1)
			}
		}
		f.endBlock()
		f.checkInvariants()
	}
}
