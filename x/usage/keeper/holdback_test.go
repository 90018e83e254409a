package keeper_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"cosmossdk.io/math"

	servicestypes "github.com/quantum1net/q1/x/services/types"
	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
	"github.com/quantum1net/q1/x/usage/types"
)

// TestDeletionKeepsBackForLateReports: deleting a service refunds its
// escrow less what reports still inside the report window may charge; a
// late report for work done before the deletion is paid from what was
// kept back; the rest goes to the refund account when the window closes.
func TestDeletionKeepsBackForLateReports(t *testing.T) {
	f := newFixture(t)
	f.sharerWith("s1", 1000, 0)
	f.service("svc", 1_000_000, svcOpts{maxPerHour: 360_000}) // 100uqc a second
	f.acked(1, "s1", "svc", usagePrices, 0)
	f.startEpochNow()
	f.wait(10, time.Second)
	e := f.endEpoch() // epoch 0 served 10 s; epoch 1 began a second later
	f.wait(2, time.Second)
	before := f.total()

	pending, err := f.k.PendingUsage(f.ctx, "svc")
	noErr(t, err)
	// From the start of epoch 0 to now: 13 s at 100uqc a second.
	wantInt(t, "pending before the deletion", pending, 1300)
	noErr(t, f.tx(func(ctx context.Context) error { return f.services.deleteService(ctx, "svc") }))
	held := f.services.escrows["svc"]
	wantInt(t, "kept back", held, 1300)
	wantInt(t, "refunded at once", f.services.balance("owner"), 1_000_000-1300)

	// The sharer reports epoch 0 after the deletion: 2 CPU s, 1,000uqc.
	resp, err := f.reportResp("s1", e, types.UsageEntry{LeaseId: 1, Fuel: 2000 * fuelPerMs})
	noErr(t, err)
	wantInt(t, "late report charged", resp.Charged, 1000)
	wantInt(t, "escrow after the late report", f.services.escrows["svc"], 300)

	// The rest is released at the start of epoch 1 + 3 + 1 = 5, not before.
	for f.sharers.epoch.Number < 4 {
		f.endEpoch()
		f.endBlock()
	}
	wantInt(t, "escrow before the window closed", f.services.escrows["svc"], 300)
	f.endEpoch()
	f.endBlock()
	wantInt(t, "escrow after the window closed", f.services.escrows["svc"], 0)
	wantInt(t, "refund in all", f.services.balance("owner"), 1_000_000-1000)
	if a, _ := f.k.GetAccount(f.ctx, "svc"); a.ReleaseEpoch != 0 {
		t.Errorf("release epoch %d after the release", a.ReleaseEpoch)
	}
	if !f.total().Equal(before) {
		t.Errorf("money created or destroyed: %s → %s", before, f.total())
	}
	f.audit()
}

// TestWithdrawalLeavesPendingUsage: what reports still inside the window
// may charge is owed, so an owner cannot withdraw it; once the window has
// passed a paused service's last lease, nothing is pending.
func TestWithdrawalLeavesPendingUsage(t *testing.T) {
	f := newFixture(t)
	f.sharerWith("s1", 1000, 0)
	f.service("svc", 1_000_000, svcOpts{maxPerHour: 360_000})
	f.acked(1, "s1", "svc", usagePrices, 0)
	f.startEpochNow()
	f.wait(5, time.Second)
	owed, err := f.k.EscrowOwed(f.ctx, "svc")
	noErr(t, err)
	rent, err := f.k.RentOwed(f.ctx, "svc")
	noErr(t, err)
	if !owed.Equal(rent.Add(math.NewInt(500))) {
		t.Errorf("owed %s, want rent %s + 500uqc of pending usage", owed, rent)
	}
	noErr(t, f.tx(func(ctx context.Context) error { return f.services.PauseForDepletion(ctx, "svc") }))
	f.wait(5, time.Second)
	pending, err := f.k.PendingUsage(f.ctx, "svc")
	noErr(t, err)
	wantInt(t, "pending after the pause", pending, 500) // the 5 s served, not the 5 s paused
	for f.sharers.epoch.Number < 4 {
		f.endEpoch()
	}
	pending, err = f.k.PendingUsage(f.ctx, "svc")
	noErr(t, err)
	wantInt(t, "pending once the window passed", pending, 0)
}

// TestNoOwnerActionMakesServedWorkFree: whatever closes a lease after it
// served part of an epoch — a pause, a scale-down, an update that changes
// its resources, a move away from a drained sharer, a deletion — the
// report that comes afterwards is charged for the time it was open, and a
// resume (a new lease) changes nothing for the old one.
func TestNoOwnerActionMakesServedWorkFree(t *testing.T) {
	for _, reason := range []sharerstypes.CloseReason{
		sharerstypes.CloseServicePaused, sharerstypes.CloseScaledDown, sharerstypes.CloseResourcesChanged,
		sharerstypes.CloseDrained, sharerstypes.CloseNoLongerQualifies, sharerstypes.CloseServiceDeleted,
	} {
		t.Run(reason.Label(), func(t *testing.T) {
			f := newFixture(t)
			f.sharerWith("s1", 1000, 0)
			f.service("svc", 1_000_000, svcOpts{})
			f.acked(1, "s1", "svc", usagePrices, 0)
			f.startEpochNow()
			f.wait(4, time.Second)
			noErr(t, f.tx(func(ctx context.Context) error { return f.services.closeLeases(ctx, "svc", reason) }))
			f.wait(1, time.Second)
			f.acked(2, "s1", "svc", usagePrices, 0) // resumed, scaled up again, or moved back
			f.wait(5, time.Second)
			e := f.endEpoch()
			// 3,000 requests in the 4 s before the close: 30uqc.
			_, err := f.reportResp("s1", e, types.UsageEntry{LeaseId: 1, Requests: 3000}, types.UsageEntry{LeaseId: 2, Requests: 1000})
			noErr(t, err)
			wantInt(t, "closed lease charged", f.record("svc", e, 1).Charged, 30)
			wantInt(t, "new lease charged", f.record("svc", e, 2).Charged, 10)
			f.audit()
		})
	}
}

// TestDepletionKeepsBackTheLastEpochsUsage: a service whose money ends is
// paused with what the open report window may still claim kept back, not
// with everything spent on rent, so the reports for the epochs it served
// last — sent after the pause, as sharers report an epoch once it ended —
// are paid in full. What was kept back stays in the escrow: owed while the
// window is open, then the owner's again, counted towards a resume.
func TestDepletionKeepsBackTheLastEpochsUsage(t *testing.T) {
	f := newFixture(t)
	f.sharerWith("s1", 1000, 0)
	o := svcOpts{maxPerHour: 360_000} // 100uqc a second, rent and usage together
	o.pricing = caps
	o.pricing.MemoryPerMiBHour = 10_000
	f.service("svc", 5_000, o)
	// 1uqc a second of rent; a request costs 1uqc.
	f.acked(1, "s1", "svc", sharerstypes.Prices{MemoryPerMibHour: 3600, Per_1KRequests: 1000}, mib)
	f.startEpochNow()
	before := f.total()
	paused := func() bool { return f.services.services["svc"].Status == servicestypes.StatusPaused }
	var unreported []uint64
	for len(unreported) < 100 && !paused() {
		for i := 0; i < 10 && !paused(); i++ {
			f.wait(1, time.Second)
			f.endBlock()
		}
		unreported = append(unreported, f.endEpoch())
		f.endBlock()
		if paused() {
			break
		}
		// Each epoch is reported during the next: 100 requests, 100uqc.
		resp, err := f.reportResp("s1", unreported[0], types.UsageEntry{LeaseId: 1, Requests: 100})
		noErr(t, err)
		wantInt(t, fmt.Sprintf("epoch %d charged", unreported[0]), resp.Charged, 100)
		unreported = unreported[1:]
	}
	if !paused() {
		t.Fatal("the service never ran dry")
	}
	// The epochs served last are reported after the pause (the last one
	// served for a second or more: 50 requests), and paid in full: nothing
	// is cut by the escrow.
	for _, e := range unreported {
		resp, err := f.reportResp("s1", e, types.UsageEntry{LeaseId: 1, Requests: 50})
		noErr(t, err)
		r := f.record("svc", e, 1)
		if !resp.Charged.Equal(math.NewInt(50)) || len(r.Caps) != 0 {
			t.Errorf("epoch %d, reported after the pause: charged %s, caps %v; want 50uqc and no cap", e, resp.Charged, capKinds(r))
		}
	}
	held := f.services.escrows["svc"]
	if !held.IsPositive() {
		t.Fatalf("nothing kept back: escrow %s", held)
	}
	// Kept back while reports may still come: not withdrawable, and a
	// resume needs lowBalanceBlocks of burn on top of it.
	owed, err := f.k.EscrowOwed(f.ctx, "svc")
	noErr(t, err)
	if !owed.IsPositive() {
		t.Errorf("escrow owed %s while the report window is open", owed)
	}
	// Once the window has passed the last lease, it is the owner's again.
	for range 4 {
		f.endEpoch()
		f.endBlock()
	}
	owed, err = f.k.EscrowOwed(f.ctx, "svc")
	noErr(t, err)
	wantInt(t, "owed once the window passed", owed, 0)
	wantInt(t, "kept back until then", f.services.escrows["svc"], held.Int64())
	eco := f.economics("svc")
	wantInt(t, "deposit to resume", eco.DepositToResume, max(100-held.Int64(), 0))
	if !f.total().Equal(before) {
		t.Errorf("money created or destroyed: %s → %s", before, f.total())
	}
	f.audit()
}

// TestReportProjectsWithItsOwnCharge: the dry time a report leaves is the
// one any touch right after it projects: what the report charged has left
// the escrow and is no longer counted as still pending too.
func TestReportProjectsWithItsOwnCharge(t *testing.T) {
	f := newFixture(t)
	f.sharerWith("s1", 1000, 0)
	o := svcOpts{maxPerHour: 360_000} // 100uqc a second
	o.pricing = caps
	o.pricing.MemoryPerMiBHour = 10_000
	f.service("svc", 100_000, o)
	f.acked(1, "s1", "svc", sharerstypes.Prices{MemoryPerMibHour: 3600, Per_1KRequests: 1000}, mib) // 1uqc a second
	f.startEpochNow()
	f.wait(10, time.Second)
	e := f.endEpoch()
	resp, err := f.reportResp("s1", e, types.UsageEntry{LeaseId: 1, Requests: 500})
	noErr(t, err)
	wantInt(t, "charged", resp.Charged, 500)
	after := f.economics("svc").DryTime
	noErr(t, f.tx(func(ctx context.Context) error { return f.k.EscrowHooks().BeforeEscrowWithdrawn(ctx, "svc") }))
	if touched := f.economics("svc").DryTime; after == nil || touched == nil || !after.Equal(*touched) {
		t.Errorf("dry time after the report %v, after a touch right after it %v", after, touched)
	}
}
