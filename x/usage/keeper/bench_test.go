package keeper_test

import (
	"fmt"
	"testing"
	"time"

	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
	"github.com/quantum1net/q1/x/usage/types"
)

// BenchmarkChargeReport charges one sharer's report of 1,000 leases, each of
// its own service with rent burning (the x/usage part of a block of
// reports; x/services and x/sharers are fakes here).
func BenchmarkChargeReport(b *testing.B) {
	const leases = 1000
	t := &testing.T{}
	for b.Loop() {
		b.StopTimer()
		f := newFixture(t)
		f.t = t
		f.sharerWith("s1", 1_000_000, 0)
		entries := make([]types.UsageEntry, leases)
		for i := range leases {
			name := fmt.Sprintf("svc%04d", i)
			f.service(name, 1_000_000_000, svcOpts{})
			f.acked(uint64(i+1), "s1", name, sharerstypes.Prices{CpuPerCoreSecond: 500, MemoryPerMibHour: 2, Per_1KRequests: 10}, 64*mib)
			entries[i] = types.UsageEntry{LeaseId: uint64(i + 1), Requests: 1000, Fuel: 500 * fuelPerMs}
		}
		f.startEpochNow()
		f.wait(10, time.Second)
		e := f.endEpoch()
		f.commit()
		b.StartTimer()
		if _, err := f.reportResp("s1", e, entries...); err != nil {
			b.Fatal(err)
		}
	}
}
