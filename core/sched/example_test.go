package sched_test

import (
	"fmt"

	sdkmath "cosmossdk.io/math"

	"github.com/quantum1net/q1/core/sched"
)

func ExamplePlace() {
	sharer := func(addr, region string, freeMiB uint64, online bool) sched.Sharer {
		return sched.Sharer{
			Address:    addr,
			Online:     online,
			Free:       sched.Resources{MilliCPU: 2000, MemoryBytes: freeMiB << 20, StorageBytes: 1 << 30},
			Attributes: []sched.Attribute{{Key: "region", Value: region}},
			Collateral: sdkmath.NewInt(2_000_000_000),
			Prices:     sched.Prices{CPUPerCoreSecond: 500, MemoryPerMiBHour: 2, StoragePerGiBHour: 50},
		}
	}
	candidates := []sched.Sharer{
		sharer("q1alpha", "eu", 512, true),
		sharer("q1bravo", "eu", 512, true),
		sharer("q1charlie", "us", 512, true),
		sharer("q1delta", "us", 32, true),
		sharer("q1echo", "asia", 512, false),
	}
	req := sched.Request{
		Service:   "hello",
		Owners:    []string{"q1owner"},
		Resources: sched.Resources{MilliCPU: 500, MemoryBytes: 64 << 20, StorageBytes: 128 << 20},
		Replicas:  3,
		Spread:    "region",
		MaxPrices: sched.NoPriceCaps(),
	}
	res, err := sched.Place(req, candidates, sched.DefaultParams())
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range res.Chosen {
		fmt.Println(c.Sharer, c.HourlyCost)
	}
	fmt.Println("unplaced:", res.Unplaced)
	fmt.Println(res.Explain())
	// Output:
	// q1charlie 900134.250000000000000000
	// q1alpha 900134.250000000000000000
	// unplaced: 1
	// 5 sharers: 2 chosen, 1 offline, 1 lacked memory, 1 conflicted with spread
}
