package keeper_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"testing"

	moduletestutil "github.com/cosmos/cosmos-sdk/types/module/testutil"

	"github.com/quantum1net/q1/x/sharers"
)

// TestPlacementManyServices places 120 services of every shape (spread by
// node and by region, required attributes, minimum collateral, deny lists,
// scarce memory) among 300 sharers with varied prices and collateral, so
// that the capacity index walk stops at the band, reads past it, and skips
// excluded sharers, and checks the invariants. With Q1_PLACEMENT_DUMP set to
// a file it writes the resulting state there: running it on two trees and
// comparing the files shows whether a change to placement changed any
// result (docs/benchmarks.md, Placement).
func TestPlacementManyServices(t *testing.T) {
	f := newFixture(t)
	rng := rand.New(rand.NewPCG(31, 32))
	regions := []string{"asia", "eu", "us"}
	for i := range 300 {
		name := fmt.Sprintf("m%d", i)
		o := offer{memMiB: uint64(64 + rng.IntN(1024)), region: regions[rng.IntN(3)], memPrice: uint64(1 + rng.IntN(3))}
		if rng.IntN(10) == 0 {
			o.denyServices = []string{fmt.Sprintf("svc%d", rng.IntN(120))}
		}
		if rng.IntN(15) == 0 {
			o.denyOwners = []string{"alice"}
		}
		of := f.offerOf(name, o)
		switch rng.IntN(3) {
		case 0:
			of.Prices.CpuPerCoreSecond = 500 // ties
		default:
			of.Prices.CpuPerCoreSecond = uint64(400 + rng.IntN(500))
		}
		if err := f.registerWith(name, of, int64(2_000_000+rng.IntN(4)*1_000_000)); err != nil {
			t.Fatalf("register %s: %v", name, err)
		}
	}
	for i := range 120 {
		s := spec{
			name:     fmt.Sprintf("svc%d", i),
			replicas: uint32(1 + rng.IntN(4)),
			spread:   []string{"node", "region"}[rng.IntN(2)],
			memory:   fmt.Sprintf("%dMi", 16+rng.IntN(400)),
		}
		switch rng.IntN(4) {
		case 0:
			s.minCollateral = "3000000uqc"
		case 1:
			s.minCollateral = "4500000uqc"
		}
		if rng.IntN(6) == 0 {
			s.require = "region: " + regions[rng.IntN(3)]
		}
		f.create(s)
		if i%10 == 9 {
			f.endBlock()
			f.checkInvariants()
		}
	}
	f.endBlock()
	f.checkInvariants()
	gs, err := f.k.ExportGenesis(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(gs.Leases) == 0 {
		t.Fatal("nothing placed")
	}
	if path := os.Getenv("Q1_PLACEMENT_DUMP"); path != "" {
		cdc := moduletestutil.MakeTestEncodingConfig(sharers.AppModuleBasic{}).Codec
		if err := os.WriteFile(path, cdc.MustMarshalJSON(gs), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
