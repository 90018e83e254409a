package keeper_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"cosmossdk.io/math"

	servicestypes "github.com/quantum1net/q1/x/services/types"
	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
	"github.com/quantum1net/q1/x/usage/keeper"
	"github.com/quantum1net/q1/x/usage/types"
)

// usagePrices charge usage only: no memory or storage rent.
var usagePrices = sharerstypes.Prices{CpuPerCoreSecond: 500, Per_1KRequests: 10, EgressPerGib: 5000}

// TestUsageChargeMovesExactly: an accepted report moves the charge out of
// the escrow, the sharer's part to the sharer and the protocol share
// (params.protocol_share, 5%) to the fee collector, to the uqc.
func TestUsageChargeMovesExactly(t *testing.T) {
	f := newFixture(t)
	f.sharerWith("s1", 1000, 0)
	f.service("hello", 1_000_000, svcOpts{})
	f.acked(1, "s1", "hello", usagePrices, 64*mib)
	f.startEpochNow()
	f.wait(10, time.Second)
	e := f.endEpoch()
	before := f.total()

	// 2 CPU s × 500 + 3000 requests × 10/1k + 256 MiB × 5000/GiB = 1000 + 30 + 1250.
	resp, err := f.reportResp("s1", e, types.UsageEntry{LeaseId: 1, Requests: 3000, Fuel: 2000 * fuelPerMs, EgressBytes: 256 << 20})
	noErr(t, err)
	wantInt(t, "charged", resp.Charged, 2280)
	wantInt(t, "protocol share", resp.ProtocolShare, 114) // floor(2280 × 0.05)
	if resp.Caps != 0 {
		t.Errorf("caps = %d, want none", resp.Caps)
	}
	wantInt(t, "escrow", f.services.escrows["hello"], 1_000_000-2280)
	// Held in the module account until the audit draw; s1 is the only
	// sharer, so nobody can audit it and the draw pays it.
	wantInt(t, "held", f.services.balance("usage"), 2280)
	wantInt(t, "sharer before the draw", f.services.balance(f.addr("s1")), 0)
	if r := f.record("hello", e, 1); r.AuditState != types.AuditPending {
		t.Errorf("audit state %q before the draw, want pending", r.AuditState)
	}
	ev := events[*types.EventUsageReported](f)
	if len(ev) != 1 || !ev[0].Charged.Equal(math.NewInt(2280)) {
		t.Errorf("EventUsageReported: %+v", ev)
	}
	f.drawDue()
	wantInt(t, "held after the draw", f.services.balance("usage"), 0)
	wantInt(t, "sharer", f.services.balance(f.addr("s1")), 2280-114)
	wantInt(t, "fee collector", f.feeCollector(), 114)
	if !f.total().Equal(before) {
		t.Errorf("money created or destroyed: %s → %s", before, f.total())
	}
	r := f.record("hello", e, 1)
	wantInt(t, "record charged", r.Charged, 2280)
	wantInt(t, "record to sharer", r.ToSharer, 2166)
	if r.Service != "hello" || r.Requests != 3000 || r.CountedCpuMillis != 2000 || len(r.Caps) != 0 {
		t.Errorf("record: %+v", r)
	}

	earn, err := f.query.SharerEarnings(f.ctx, &types.QuerySharerEarningsRequest{Sharer: f.addr("s1"), By: keeper.ByService})
	noErr(t, err)
	wantInt(t, "earned usage", earn.Total.Usage, 2280)
	wantInt(t, "received", earn.Received, 2166)
	if len(earn.Sums) != 1 || earn.Sums[0].Service != "hello" {
		t.Errorf("earnings by service: %+v", earn.Sums)
	}
	use, err := f.query.ServiceUsage(f.ctx, &types.QueryServiceUsageRequest{Service: "hello", By: keeper.BySharer})
	noErr(t, err)
	if len(use.Sums) != 1 || use.Sums[0].Sharer != f.addr("s1") || use.Total.Requests != 3000 {
		t.Errorf("usage by sharer: %+v", use)
	}
	_, err = f.query.ServiceUsage(f.ctx, &types.QueryServiceUsageRequest{Service: "hello", By: "lease"})
	wantErr(t, err, `by: "lease" is not a grouping; use "sharer", "epoch" or nothing`)
	f.audit()
}

// TestOverClaimsCappedAndRecorded: every cap that reduces a charge is in
// the usage record with what it changed, and the report is still accepted.
func TestOverClaimsCappedAndRecorded(t *testing.T) {
	f := newFixture(t)
	f.sharerWith("s1", 600, 0) // 0.6 core: 6,000 CPU ms over a 10 s epoch
	cheap := caps
	cheap.CPUPerCoreSecond = 500
	f.service("capped", 1_000_000, svcOpts{pricing: cheap})
	f.service("budget", 1_000_000, svcOpts{maxPerHour: 3600}) // 10 uqc over 10 s
	f.service("poor", 5, svcOpts{})
	f.service("paused", 1_000_000, svcOpts{})
	dear := usagePrices
	dear.CpuPerCoreSecond = 800
	f.acked(1, "s1", "capped", dear, 0)
	f.acked(2, "s1", "capped", usagePrices, 0)
	f.acked(3, "s1", "budget", usagePrices, 0)
	f.acked(4, "s1", "poor", usagePrices, 0)
	f.unacked(5, "s1", "poor")
	f.acked(6, "s1", "paused", usagePrices, 0)
	f.startEpochNow()
	f.wait(10, time.Second)
	// The owners pause "paused": its lease closes before the report.
	svc := f.services.services["paused"]
	svc.Status = servicestypes.StatusPaused
	f.services.services["paused"] = svc
	noErr(t, f.services.closeLeases(f.ctx, "paused", sharerstypes.CloseServicePaused))
	e := f.endEpoch()
	before := f.total()

	resp, err := f.reportResp("s1", e,
		types.UsageEntry{LeaseId: 1, Fuel: 8000 * fuelPerMs},
		types.UsageEntry{LeaseId: 2, Fuel: 4000 * fuelPerMs},
		types.UsageEntry{LeaseId: 3, Requests: 40_000},
		types.UsageEntry{LeaseId: 4, Requests: 40_000},
		types.UsageEntry{LeaseId: 5, Requests: 40_000},
		types.UsageEntry{LeaseId: 6, Requests: 40_000},
	)
	noErr(t, err)
	for _, c := range []struct {
		service string
		lease   uint64
		charged int64
		kinds   []string
		detail  string
	}{
		// Lease 1 reserves 500m: 5,000 CPU ms over the 10 s epoch, not
		// 8,000. 9,000 CPU ms counted over 6,000 possible: scaled to 3,333
		// and 2,666; lease 1's price 800 lowered to the manifest's 500.
		{"capped", 1, 1666, []string{types.CapLeaseReserved, types.CapPhysicalCPU, types.CapPrice}, "the lease's locked price 800uqc is above the manifest's pricing.cpuPerCoreSecond 500uqc"},
		{"capped", 2, 1333, []string{types.CapPhysicalCPU}, "offers 600 millicores: at most 6000 CPU milliseconds over the epoch's 10s"},
		{"budget", 3, 10, []string{types.CapFairShare}, "policies.budget.maxPerHour 3600uqc"},
		{"poor", 4, 5, []string{types.CapEscrow}, "the escrow of service poor held 5uqc"},
		{"poor", 5, 0, []string{types.CapUnacknowledged}, "lease 5 was never acknowledged"},
		// Paused after the epoch: its lease served the whole epoch, and is
		// charged for it.
		{"paused", 6, 400, nil, ""},
	} {
		r := f.record(c.service, e, c.lease)
		wantInt(t, c.service+" charged", r.Charged, c.charged)
		if !slices.Equal(capKinds(r), c.kinds) {
			t.Errorf("lease %d caps = %v, want %v", c.lease, capKinds(r), c.kinds)
		}
		var details []string
		for _, cp := range r.Caps {
			details = append(details, cp.Detail)
		}
		if !strings.Contains(strings.Join(details, "|"), c.detail) {
			t.Errorf("lease %d cap details %q do not say %q", c.lease, details, c.detail)
		}
	}
	if got := f.record("capped", e, 1).Caps[0]; got.Before != "8000" || got.After != "5000" ||
		!strings.Contains(got.Detail, "lease 1 reserves 500m CPU and served 10s of epoch") {
		t.Errorf("lease cap = %+v, want 8000 → 5000 naming the reservation", got)
	}
	if got := f.record("capped", e, 1).Caps[1]; got.Before != "5000" || got.After != "3333" {
		t.Errorf("physical cap before/after = %s/%s, want 5000/3333", got.Before, got.After)
	}
	wantInt(t, "charged", resp.Charged, 1666+1333+10+5+400)
	if resp.Caps != 7 {
		t.Errorf("caps = %d, want 7", resp.Caps)
	}
	wantInt(t, "poor's escrow", f.services.escrows["poor"], 0)
	if !f.total().Equal(before) {
		t.Errorf("money created or destroyed: %s → %s", before, f.total())
	}
	f.audit()
}

// TestReportForDeletedService: a report naming a lease of a service deleted
// since is accepted (it is the sharer's heartbeat) and charges the time the
// lease served before the deletion: deleting a service does not make work
// already done free.
func TestReportForDeletedService(t *testing.T) {
	f := newFixture(t)
	f.sharerWith("s1", 1000, 0)
	f.service("gone", 1_000_000, svcOpts{})
	f.acked(1, "s1", "gone", usagePrices, 0)
	f.startEpochNow()
	f.wait(4, time.Second)
	svc := f.services.services["gone"]
	svc.Status = servicestypes.StatusDeleted
	f.services.services["gone"] = svc
	noErr(t, f.services.closeLeases(f.ctx, "gone", sharerstypes.CloseServiceDeleted))
	f.wait(6, time.Second)
	e := f.endEpoch()
	// 40,000 requests claimed; the lease served 4 s of the epoch at 500m:
	// at most 2,000 CPU ms and 20,000 requests, 200uqc at 10uqc/1k.
	resp, err := f.reportResp("s1", e, types.UsageEntry{LeaseId: 1, Requests: 40_000})
	noErr(t, err)
	wantInt(t, "charged", resp.Charged, 200)
	r := f.record("gone", e, 1)
	if !slices.Equal(capKinds(r), []string{types.CapLeaseReserved}) || !strings.Contains(r.Caps[0].Detail, "lease 1 reserves 500m CPU and served 4s of epoch") {
		t.Errorf("record caps: %+v", r.Caps)
	}
	wantInt(t, "escrow", f.services.escrows["gone"], 1_000_000-200)
	f.audit()
}

// TestPhysicalEgressCap: with a bandwidth figure in the offer, egress over
// all leases is capped like CPU. Each lease's share of the offer already
// keeps their sum within it while the leases reserve no more CPU than the
// sharer offers; this cap catches leases that reserve more (an offer
// lowered under them).
func TestPhysicalEgressCap(t *testing.T) {
	f := newFixture(t)
	f.sharerWith("s1", 500, 3600<<20) // 1 MiB/s for 500m: each 500m lease's share is all of it
	f.service("hello", 1_000_000, svcOpts{replicas: 2})
	f.acked(1, "s1", "hello", usagePrices, 0)
	f.acked(2, "s1", "hello", usagePrices, 0)
	f.startEpochNow()
	f.wait(10, time.Second)
	e := f.endEpoch()
	_, err := f.reportResp("s1", e, types.UsageEntry{LeaseId: 1, EgressBytes: 100 << 20}, types.UsageEntry{LeaseId: 2, EgressBytes: 100 << 20})
	noErr(t, err)
	for id := uint64(1); id <= 2; id++ {
		r := f.record("hello", e, id)
		if r.CountedEgressBytes != 5<<20 || !slices.Equal(capKinds(r), []string{types.CapLeaseEgressShare, types.CapPhysicalEgress}) {
			t.Errorf("lease %d: egress counted %d caps %v, want %d and lease_egress_share, physical_egress", id, r.CountedEgressBytes, capKinds(r), 5<<20)
		}
	}
}

// TestProtocolShareParam: governance changes the share; a share of 1 or
// more is refused with the field named.
func TestProtocolShareParam(t *testing.T) {
	f := newFixture(t)
	p := types.DefaultParams()
	p.ProtocolShare = math.LegacyNewDecWithPrec(20, 2)
	noErr(t, f.tx(func(ctx context.Context) error {
		_, err := f.msgs.UpdateParams(ctx, &types.MsgUpdateParams{Authority: f.k.Authority(), Params: p})
		return err
	}))
	f.sharerWith("s1", 1000, 0)
	f.service("hello", 1_000_000, svcOpts{})
	f.acked(1, "s1", "hello", usagePrices, 0)
	f.startEpochNow()
	f.wait(10, time.Second)
	e := f.endEpoch()
	resp, err := f.reportResp("s1", e, types.UsageEntry{LeaseId: 1, Requests: 40_000}) // 400 uqc
	noErr(t, err)
	wantInt(t, "protocol share", resp.ProtocolShare, 80)
	f.drawDue()
	wantInt(t, "fee collector", f.feeCollector(), 80)

	p.ProtocolShare = math.LegacyOneDec()
	err = f.tx(func(ctx context.Context) error {
		_, err := f.msgs.UpdateParams(ctx, &types.MsgUpdateParams{Authority: f.k.Authority(), Params: p})
		return err
	})
	wantErr(t, err, "params.protocol_share: must be at least 0 and below 1")
}
