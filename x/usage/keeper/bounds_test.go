package keeper_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"cosmossdk.io/math"

	"github.com/quantum1net/q1/core/limits"
	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
	"github.com/quantum1net/q1/x/usage/types"
)

// leaseBound is what a lease reserving milliCPU could bill over d at
// usagePrices: the charge for limits.LeaseUsage, floored.
func leaseBound(milliCPU uint64, d time.Duration) math.Int {
	most := limits.LeaseUsage(milliCPU, d)
	return types.UsageCharges(most.CPUMillis, most.Requests, most.EgressBytes, usagePrices).Total().TruncateInt()
}

// TestForgedReportIsBounded replays the attack in which a sharer whose
// replica never ran reported 10^15 requests for a 100m lease of a service
// holding 100 QC and was paid the whole escrow: the charge is now at most
// what the lease could have done in the epoch, well under 1 QC, and the
// record says which caps cut it.
func TestForgedReportIsBounded(t *testing.T) {
	f := newFixture(t)
	f.sharerWith("liar", 64_000, 0) // claims 64 cores: the sharer-wide cap does not help
	f.service("victim", 100_000_000, svcOpts{})
	f.acked(1, "liar", "victim", usagePrices, 0)
	l := f.sharers.leases[1]
	l.Resources.MilliCpu = 100
	f.sharers.leases[1] = l
	f.startEpochNow()
	f.wait(60, time.Second)
	e := f.endEpoch()
	before := f.total()

	resp, err := f.reportResp("liar", e, types.UsageEntry{LeaseId: 1, Requests: 1_000_000_000_000_000, Fuel: ^uint64(0), EgressBytes: ^uint64(0)})
	noErr(t, err)
	// 100m for 60 s: 6,000 CPU ms (3,000uqc at 500/s), 60,000 requests
	// (600uqc at 10/1k) and 384 MiB (1,875uqc at 5,000/GiB).
	bound := leaseBound(100, time.Minute)
	wantInt(t, "bound", bound, 3000+600+1875)
	wantInt(t, "charged", resp.Charged, bound.Int64())
	if resp.Charged.GTE(math.NewInt(1_000_000)) {
		t.Fatalf("a forged report moved %suqc, 1 QC or more", resp.Charged)
	}
	wantInt(t, "escrow", f.services.escrows["victim"], 100_000_000-bound.Int64())
	r := f.record("victim", e, 1)
	if want := []string{types.CapLeaseReserved, types.CapLeaseReserved, types.CapLeaseReserved}; !slices.Equal(capKinds(r), want) {
		t.Errorf("caps %v, want %v", capKinds(r), want)
	}
	if r.CountedCpuMillis != 6000 || r.CountedRequests != 60_000 || r.CountedEgressBytes != 384<<20 {
		t.Errorf("counted %d CPU ms, %d requests, %d bytes; want 6000, 60000, %d", r.CountedCpuMillis, r.CountedRequests, r.CountedEgressBytes, 384<<20)
	}
	if !strings.Contains(r.Caps[1].Detail, "lease 1 reserves 100m CPU and served 1m0s of epoch") || r.Caps[1].Before != "1000000000000000" || r.Caps[1].After != "60000" {
		t.Errorf("requests cap %+v", r.Caps[1])
	}
	if !f.total().Equal(before) {
		t.Errorf("money created or destroyed: %s → %s", before, f.total())
	}
	f.audit()
}

// TestAbsurdClaims: the largest claims on every component of many leases
// neither overflow nor pay more than the leases' bounds.
func TestAbsurdClaims(t *testing.T) {
	f := newFixture(t)
	f.sharerWith("s1", ^uint64(0), ^uint64(0))
	f.service("big", 1_000_000_000_000, svcOpts{replicas: 8})
	var entries []types.UsageEntry
	for id := uint64(1); id <= 8; id++ {
		f.acked(id, "s1", "big", usagePrices, 0)
		entries = append(entries, types.UsageEntry{LeaseId: id, Requests: ^uint64(0), Fuel: ^uint64(0), EgressBytes: ^uint64(0)})
	}
	f.startEpochNow()
	f.wait(10, time.Second)
	e := f.endEpoch()
	before := f.total()
	resp, err := f.reportResp("s1", e, entries...)
	noErr(t, err)
	bound := leaseBound(500, 10*time.Second)
	for id := uint64(1); id <= 8; id++ {
		if r := f.record("big", e, id); r.Charged.GT(bound) {
			t.Errorf("lease %d charged %s, above its bound %s", id, r.Charged, bound)
		}
	}
	if max := bound.MulRaw(8); resp.Charged.GT(max) || !resp.Charged.IsPositive() {
		t.Errorf("charged %s, want positive and at most %s", resp.Charged, max)
	}
	if !f.total().Equal(before) {
		t.Errorf("money created or destroyed: %s → %s", before, f.total())
	}
	f.audit()
}

// TestMaxPerHourSharedFairly: budget.maxPerHour is shared among the
// service's leases by the time each served, not first come first served:
// a sharer that reports a huge claim first takes its share, and the other
// replica's honest usage is still paid.
func TestMaxPerHourSharedFairly(t *testing.T) {
	f := newFixture(t)
	f.sharerWith("greedy", 1000, 0)
	f.sharerWith("honest", 1000, 0)
	// 36,000uqc an hour: 100uqc over a 10 s epoch, 50 per replica.
	f.service("svc", 1_000_000, svcOpts{maxPerHour: 36_000, replicas: 2})
	f.acked(1, "greedy", "svc", usagePrices, 0)
	f.acked(2, "honest", "svc", usagePrices, 0)
	f.startEpochNow()
	f.wait(10, time.Second)
	e := f.endEpoch()

	_, err := f.reportResp("greedy", e, types.UsageEntry{LeaseId: 1, Fuel: 5000 * fuelPerMs}) // 2,500uqc of CPU
	noErr(t, err)
	g := f.record("svc", e, 1)
	wantInt(t, "greedy charged", g.Charged, 50)
	if !slices.Equal(capKinds(g), []string{types.CapFairShare}) || !strings.Contains(g.Caps[0].Detail, "shared by the service's 2 replicas, leaves 50") {
		t.Errorf("greedy caps %+v", g.Caps)
	}
	_, err = f.reportResp("honest", e, types.UsageEntry{LeaseId: 2, Requests: 4000}) // 40uqc
	noErr(t, err)
	h := f.record("svc", e, 2)
	wantInt(t, "honest charged", h.Charged, 40)
	if len(h.Caps) != 0 {
		t.Errorf("honest usage within its share was capped: %+v", h.Caps)
	}
	f.audit()
}

// TestMaxPerHourAcrossReports: when the service's leases' shares add up
// to more than its allowance (two leases for one replica, as while a
// replica moves), what one report was charged for the epoch is taken off
// what the next may charge: the allowance is never paid twice.
func TestMaxPerHourAcrossReports(t *testing.T) {
	f := newFixture(t)
	f.sharerWith("a", 1000, 0)
	f.sharerWith("b", 1000, 0)
	f.service("svc", 1_000_000, svcOpts{maxPerHour: 36_000}) // 100uqc over 10 s
	f.acked(1, "a", "svc", usagePrices, 0)
	f.acked(2, "b", "svc", usagePrices, 0)
	f.startEpochNow()
	f.wait(10, time.Second)
	e := f.endEpoch()
	for _, s := range []struct {
		sharer string
		lease  uint64
	}{{"a", 1}, {"b", 2}} {
		_, err := f.reportResp(s.sharer, e, types.UsageEntry{LeaseId: s.lease, Fuel: 5000 * fuelPerMs})
		noErr(t, err)
	}
	wantInt(t, "first charged", f.record("svc", e, 1).Charged, 100)
	second := f.record("svc", e, 2)
	wantInt(t, "second charged", second.Charged, 0)
	if k := capKinds(second); !slices.Contains(k, types.CapMaxPerHour) {
		t.Errorf("second caps %v, want max_per_hour", k)
	}
	wantInt(t, "escrow", f.services.escrows["svc"], 1_000_000-100)
	f.audit()
}

// TestLeaseClosedMidEpoch: a lease closed during the epoch (a pause, a
// move) is charged for the time it was open, capped to what it could
// have done in that time.
func TestLeaseClosedMidEpoch(t *testing.T) {
	f := newFixture(t)
	f.sharerWith("s1", 1000, 0)
	f.service("svc", 1_000_000, svcOpts{})
	f.acked(1, "s1", "svc", usagePrices, 0)
	f.startEpochNow()
	f.wait(3, time.Second)
	noErr(t, f.services.closeLeases(f.ctx, "svc", sharerstypes.CloseServicePaused))
	f.wait(7, time.Second)
	e := f.endEpoch()
	_, err := f.reportResp("s1", e, types.UsageEntry{LeaseId: 1, Fuel: 2000 * fuelPerMs})
	noErr(t, err)
	r := f.record("svc", e, 1)
	// 500m for 3 s: 1,500 CPU ms, 750uqc.
	wantInt(t, "charged", r.Charged, 750)
	if r.CountedCpuMillis != 1500 || !slices.Equal(capKinds(r), []string{types.CapLeaseReserved}) {
		t.Errorf("record %+v", r)
	}
	f.audit()
}

// TestLeaseAckedMidEpoch: a lease acknowledged during the epoch is billed
// only from its acknowledgement, not from the epoch's start.
func TestLeaseAckedMidEpoch(t *testing.T) {
	f := newFixture(t)
	f.sharerWith("s1", 1000, 0)
	f.service("svc", 1_000_000, svcOpts{})
	f.startEpochNow()
	f.wait(4, time.Second)
	f.acked(1, "s1", "svc", usagePrices, 0)
	f.wait(6, time.Second)
	e := f.endEpoch()
	_, err := f.reportResp("s1", e, types.UsageEntry{LeaseId: 1, Fuel: 10_000 * fuelPerMs})
	noErr(t, err)
	r := f.record("svc", e, 1)
	// 500m for the 6 s since the acknowledgement: 3,000 CPU ms, 1,500uqc.
	wantInt(t, "charged", r.Charged, 1500)
	if r.CountedCpuMillis != 3000 || !slices.Equal(capKinds(r), []string{types.CapLeaseReserved}) ||
		!strings.Contains(r.Caps[0].Detail, "served 6s of epoch") {
		t.Errorf("record: counted %d CPU ms, caps %+v", r.CountedCpuMillis, r.Caps)
	}
	f.audit()
}

// TestLeaseAckedInTheEpochsLastBlock: a lease acknowledged in the last
// block of an epoch was acknowledged during it: it served no time of it
// (the block's time is the epoch's end), so it is billed nothing, but
// not refused as acknowledged after the epoch.
func TestLeaseAckedInTheEpochsLastBlock(t *testing.T) {
	f := newFixture(t)
	f.sharerWith("s1", 1000, 0)
	f.service("svc", 1_000_000, svcOpts{})
	f.startEpochNow()
	f.wait(10, time.Second)
	f.acked(1, "s1", "svc", usagePrices, 0)
	e := f.endEpoch()
	if l := f.sharers.leases[1]; l.AckedHeight != f.sharers.ended[0].EndHeight {
		t.Fatalf("acked at height %d, the epoch ended at %d", l.AckedHeight, f.sharers.ended[0].EndHeight)
	}
	resp, err := f.reportResp("s1", e, types.UsageEntry{LeaseId: 1, Requests: 10})
	noErr(t, err)
	r := f.record("svc", e, 1)
	wantInt(t, "charged", resp.Charged, 0)
	if !slices.Equal(capKinds(r), []string{types.CapLeaseReserved}) || r.CountedRequests != 0 {
		t.Errorf("record: counted %d requests, caps %+v; want 0 and only the lease's bound for 0s served", r.CountedRequests, r.Caps)
	}
}

// TestRentBurnComesOffTheUsageAllowance: usage may take maxPerHour less
// the rent burn, not more.
func TestRentBurnComesOffTheUsageAllowance(t *testing.T) {
	f := newFixture(t)
	f.sharerWith("s1", 1000, 0)
	o := svcOpts{maxPerHour: 36_000} // 10uqc a second
	o.pricing = caps
	o.pricing.MemoryPerMiBHour = 100_000
	f.service("svc", 1_000_000, o)
	// 5uqc a second of rent (18,000 per MiB-hour on 1 MiB).
	f.acked(1, "s1", "svc", sharerstypes.Prices{CpuPerCoreSecond: 500, MemoryPerMibHour: 18_000}, mib)
	f.startEpochNow()
	f.wait(10, time.Second)
	e := f.endEpoch()
	_, err := f.reportResp("s1", e, types.UsageEntry{LeaseId: 1, Fuel: 5000 * fuelPerMs}) // 2,500uqc of CPU
	noErr(t, err)
	r := f.record("svc", e, 1)
	// (10 − 5) uqc a second over the 10 s served: 50uqc.
	wantInt(t, "charged", r.Charged, 50)
	if !slices.Equal(capKinds(r), []string{types.CapFairShare}) || !strings.Contains(r.Caps[0].Detail, "less the rent burn of 18000") {
		t.Errorf("caps %+v", r.Caps)
	}
	f.audit()
}

// TestReportResponseCountsCaps: the report's response counts every cap
// its records carry.
func TestReportResponseCountsCaps(t *testing.T) {
	f := newFixture(t)
	f.sharerWith("s1", 64_000, 0)
	f.service("svc", 1_000_000_000, svcOpts{replicas: 2})
	f.acked(1, "s1", "svc", usagePrices, 0)
	f.acked(2, "s1", "svc", usagePrices, 0)
	f.startEpochNow()
	f.wait(10, time.Second)
	e := f.endEpoch()
	resp, err := f.reportResp("s1", e,
		types.UsageEntry{LeaseId: 1, Requests: ^uint64(0), Fuel: ^uint64(0), EgressBytes: ^uint64(0)},
		types.UsageEntry{LeaseId: 2, Requests: 10})
	noErr(t, err)
	want := len(f.record("svc", e, 1).Caps) + len(f.record("svc", e, 2).Caps)
	if want < 3 || resp.Caps != uint32(want) {
		t.Errorf("response counts %d caps, the records carry %d (want at least 3)", resp.Caps, want)
	}
}

// TestEpochWithoutTimes: an epoch whose block times are not both known (one
// imported from a chain that did not record them) counts its blocks at
// params.block_time_ms, and a lease acknowledged during it is billed for
// the whole of it — never for the years between a zero time and a real one.
func TestEpochWithoutTimes(t *testing.T) {
	for _, c := range []struct {
		name       string
		start, end time.Time
	}{
		{"no times", time.Time{}, time.Time{}},
		{"start time only", genesisTime, time.Time{}},
		{"end time only", time.Time{}, genesisTime.Add(10 * time.Second)},
		{"equal times", genesisTime, genesisTime},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			f.sharerWith("s1", 1000, 0)
			f.service("svc", 1_000_000, svcOpts{})
			f.acked(1, "s1", "svc", usagePrices, 0)
			// Heights 1–10 at block_time_ms 1000: 10 s.
			f.sharers.ended = []sharerstypes.EpochInfo{{Number: 0, StartHeight: 1, EndHeight: 10, StartTime: c.start, EndTime: c.end}}
			f.wait(10, time.Second)
			f.sharers.epoch = sharerstypes.EpochInfo{Number: 1, StartHeight: 11, StartTime: f.ctx.BlockTime()}
			_, err := f.reportResp("s1", 0, types.UsageEntry{LeaseId: 1, Fuel: ^uint64(0)})
			noErr(t, err)
			r := f.record("svc", 0, 1)
			// 500m for 10 s: 5,000 CPU ms, 2,500uqc.
			if r.CountedCpuMillis != 5000 || !r.Charged.Equal(math.NewInt(2500)) {
				t.Errorf("counted %d CPU ms, charged %s; want 5000 and 2500uqc (caps %+v)", r.CountedCpuMillis, r.Charged, r.Caps)
			}
		})
	}
}

// TestChargeHeldUntilTheDrawDelay: a charged entry's audit draw comes
// params.sample_delay_blocks after the report, not in the report's own
// block: until then the charge is held (pending).
func TestChargeHeldUntilTheDrawDelay(t *testing.T) {
	f := newFixture(t)
	f.sharerWith("s1", 1000, 0)
	f.service("svc", 1_000_000, svcOpts{})
	f.acked(1, "s1", "svc", usagePrices, 0)
	f.startEpochNow()
	f.wait(10, time.Second)
	e := f.endEpoch()
	_, err := f.reportResp("s1", e, types.UsageEntry{LeaseId: 1, Requests: 10_000})
	noErr(t, err)
	f.endBlock() // the report's block ends
	if r := f.record("svc", e, 1); r.AuditState != types.AuditPending {
		t.Fatalf("audit state %q in the report's block, want pending until the draw", r.AuditState)
	}
	f.drawDue()
	if r := f.record("svc", e, 1); r.AuditState == types.AuditPending {
		t.Errorf("audit state still pending after params.sample_delay_blocks")
	}
}

// TestChargeEqualToItsFairShareIsNotCapped: a charge exactly at the
// lease's fair share (and the epoch's allowance) is paid with no cap
// recorded.
func TestChargeEqualToItsFairShareIsNotCapped(t *testing.T) {
	f := newFixture(t)
	f.sharerWith("s1", 1000, 0)
	f.service("svc", 1_000_000, svcOpts{maxPerHour: 36_000}) // 100uqc over 10 s
	f.acked(1, "s1", "svc", usagePrices, 0)
	f.startEpochNow()
	f.wait(10, time.Second)
	e := f.endEpoch()
	_, err := f.reportResp("s1", e, types.UsageEntry{LeaseId: 1, Requests: 10_000}) // 100uqc
	noErr(t, err)
	r := f.record("svc", e, 1)
	wantInt(t, "charged", r.Charged, 100)
	if len(r.Caps) != 0 {
		t.Errorf("caps %v on a charge equal to its share", capKinds(r))
	}
}

// TestEgressCappedByTheLeasesShareOfTheOffer: a lease's egress is capped
// by its share of its sharer's egress offer — the offer per hour over the
// time it served, in the proportion of the offered CPU it reserves — not
// only by what its CPU could send; the record says so.
func TestEgressCappedByTheLeasesShareOfTheOffer(t *testing.T) {
	f := newFixture(t)
	f.sharerWith("s1", 2000, 3600<<20) // 2 cores, 1 MiB/s
	f.service("svc", 1_000_000, svcOpts{})
	f.acked(1, "s1", "svc", usagePrices, 0) // 500m: a quarter of the offer
	f.startEpochNow()
	f.wait(10, time.Second)
	e := f.endEpoch()
	_, err := f.reportResp("s1", e, types.UsageEntry{LeaseId: 1, EgressBytes: 100 << 20})
	noErr(t, err)
	r := f.record("svc", e, 1)
	// A quarter of 1 MiB/s over 10 s: 2.5 MiB (its CPU could send 320 MiB).
	if r.CountedEgressBytes != 2560<<10 || !slices.Equal(capKinds(r), []string{types.CapLeaseEgressShare}) {
		t.Fatalf("egress counted %d, caps %v; want %d and lease_egress_share", r.CountedEgressBytes, capKinds(r), 2560<<10)
	}
	c := r.Caps[0]
	if c.Before != "104857600" || c.After != "2621440" || !strings.Contains(c.Detail, "lease 1 reserves 500m of it and served 10s of epoch") {
		t.Errorf("cap %+v", c)
	}
	f.audit()
}

// TestEgressWithinTheLeasesShare: an honest claim within the lease's share
// of the offer is not cut; an offer that states no egress leaves only the
// CPU-derived bound.
func TestEgressWithinTheLeasesShare(t *testing.T) {
	for _, egress := range []uint64{3600 << 20, 0} {
		f := newFixture(t)
		f.sharerWith("s1", 2000, egress)
		f.service("svc", 1_000_000, svcOpts{})
		f.acked(1, "s1", "svc", usagePrices, 0)
		f.startEpochNow()
		f.wait(10, time.Second)
		e := f.endEpoch()
		_, err := f.reportResp("s1", e, types.UsageEntry{LeaseId: 1, EgressBytes: 2560 << 10})
		noErr(t, err)
		if r := f.record("svc", e, 1); r.CountedEgressBytes != 2560<<10 || len(r.Caps) != 0 {
			t.Errorf("offer of %d bytes an hour: counted %d, caps %v", egress, r.CountedEgressBytes, capKinds(r))
		}
	}
}
