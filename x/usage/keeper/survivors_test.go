package keeper_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"

	servicestypes "github.com/quantum1net/q1/x/services/types"
	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
	"github.com/quantum1net/q1/x/usage/types"
)

// Tests for changes scripts/mutation found no test caught (docs/testing.md).

// TestRentStartsAtTheAcknowledgement: a meter starts at the lease's
// acknowledgement time when it is a time the chain has passed; an unset
// acknowledgement time or one after the block time starts it at the block
// time.
func TestRentStartsAtTheAcknowledgement(t *testing.T) {
	for _, c := range []struct {
		name  string
		acked time.Duration // from the block time; 0 with unset: unset
		unset bool
		want  time.Duration // the meter's start, from the block time
	}{
		{"acknowledged an hour ago", -time.Hour, false, -time.Hour},
		{"acknowledgement time unset", 0, true, 0},
		{"acknowledgement time after the block", time.Hour, false, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			f.sharerWith("s1", 1000, 0)
			f.service("hello", 1_000_000, svcOpts{})
			f.wait(3600, time.Second)
			now := f.ctx.BlockTime()
			l := sharerstypes.Lease{
				Id: 1, Service: "hello", Sharer: f.addr("s1"), Prices: rentPrices,
				Resources:    sharerstypes.Resources{MilliCpu: 500, MemoryBytes: 64 * mib},
				PlacedHeight: 1, AckedHeight: f.ctx.BlockHeight(), AckedTime: now.Add(c.acked),
			}
			if c.unset {
				l.AckedTime = time.Time{}
			}
			f.sharers.leases[1] = l
			noErr(t, f.tx(func(ctx context.Context) error { return f.k.SharersHooks().AfterLeaseAcked(ctx, l) }))
			m, err := f.k.Meters.Get(f.ctx, 1)
			noErr(t, err)
			if want := now.Add(c.want); !m.SettledTime.Equal(want) {
				t.Errorf("meter starts at %v, want %v", m.SettledTime, want)
			}
		})
	}
}

// TestClosingAnUnacknowledgedLeaseChangesNothing: a lease closed before
// its sharer acknowledged it had no meter; its close touches no account.
func TestClosingAnUnacknowledgedLeaseChangesNothing(t *testing.T) {
	f := newFixture(t)
	f.sharerWith("s1", 1000, 0)
	f.service("hello", 1_000_000, svcOpts{})
	f.unacked(1, "s1", "hello")
	l := f.sharers.leases[1]
	l.ClosedHeight, l.ClosedTime, l.CloseReason = f.ctx.BlockHeight(), f.ctx.BlockTime(), sharerstypes.CloseAckTimeout
	noErr(t, f.tx(func(ctx context.Context) error { return f.k.SharersHooks().AfterLeaseClosed(ctx, l) }))
	has, err := f.k.Accounts.Has(f.ctx, "hello")
	noErr(t, err)
	if has {
		t.Error("closing an unacknowledged lease wrote the service's account")
	}
	wantInt(t, "escrow", f.services.escrows["hello"], 1_000_000)
}

// TestDeletingADepletedServiceEndsItsGrace: a service deleted while it
// waits out its grace leaves the grace queue and its depletion; its
// account stays.
func TestDeletingADepletedServiceEndsItsGrace(t *testing.T) {
	f := newFixture(t)
	f.sharerWith("s1", 1000, 0)
	f.burning("dry", 10, svcOpts{})
	f.wait(10, time.Second)
	f.endBlock()
	if q := f.queued(f.k.GraceQueue); len(q) != 1 {
		t.Fatalf("grace queue after depletion: %v", q)
	}
	svc := f.services.services["dry"]
	svc.Status = servicestypes.StatusDeleted
	f.services.services["dry"] = svc
	noErr(t, f.tx(func(ctx context.Context) error { return f.k.ServicesHooks().AfterServiceDeleted(ctx, "dry") }))
	if q := f.queued(f.k.GraceQueue); len(q) != 0 {
		t.Errorf("grace queue after deletion: %v", q)
	}
	a, err := f.k.GetAccount(f.ctx, "dry")
	noErr(t, err)
	if a.DepletedHeight != 0 || a.GraceDeadline != 0 || !a.RentCharged.Equal(math.NewInt(10)) {
		t.Errorf("account after deletion: %+v", a)
	}
	f.audit()
}

// TestResumeRefusalCountsWhatTheEscrowHeld: a depleted escrow may keep
// fractions of a uqc its leases could not be paid in whole; the refusal of
// a too-small deposit says how much to deposit counting what it held
// before.
func TestResumeRefusalCountsWhatTheEscrowHeld(t *testing.T) {
	f := newFixture(t)
	f.sharerWith("s1", 1000, 0)
	f.burning("dry", 10, svcOpts{})
	f.wait(10, time.Second)
	f.endBlock()
	f.services.escrows["dry"] = math.NewInt(30) // held when the deposit comes
	_, err := f.fund("dry", 40)
	wantErr(t, err, "a deposit of 40uqc brings it to 70uqc, but resuming needs 100uqc", "deposit at least 70uqc,")
	if eco := f.economics("dry"); !eco.DepositToResume.Equal(math.NewInt(70)) {
		t.Errorf("deposit to resume %s, want 70", eco.DepositToResume)
	}
}

// TestResumeHint: what a refused owner resume says to deposit is what
// resuming still needs beyond the escrow, at least 1 uqc.
func TestResumeHint(t *testing.T) {
	f := newFixture(t)
	f.sharerWith("s1", 1000, 0)
	f.burning("dry", 10, svcOpts{})
	f.wait(10, time.Second)
	f.endBlock()
	for _, c := range []struct {
		escrow int64
		want   string
	}{
		{0, "deposit at least 100uqc (q1 service fund) before height 61"},
		{30, "deposit at least 70uqc (q1 service fund) before height 61"},
		{150, "deposit at least 1uqc (q1 service fund) before height 61"},
	} {
		f.services.escrows["dry"] = math.NewInt(c.escrow)
		hint, err := f.k.EscrowHooks().DepletionResumeHint(f.ctx, "dry")
		noErr(t, err)
		if hint != c.want {
			t.Errorf("escrow %d: hint %q, want %q", c.escrow, hint, c.want)
		}
	}
}

// TestStaleQueueEntriesAreDropped: an index entry that is not the
// account's current mark (for a time the account no longer has, or when
// it has none) is dropped when it comes due and changes nothing else.
func TestStaleQueueEntriesAreDropped(t *testing.T) {
	f := newFixture(t)
	f.sharerWith("s1", 1000, 0)
	f.burning("svc", 1000, svcOpts{})  // dry at 1000 s, low at 900 s
	f.service("idle", 1000, svcOpts{}) // no lease: no marks
	stale := genesisTime.Add(5 * time.Second).UnixNano()
	for _, name := range []string{"svc", "idle"} {
		noErr(t, f.k.DryQueue.Set(f.ctx, collections.Join(stale, name)))
		noErr(t, f.k.LowQueue.Set(f.ctx, collections.Join(stale, name)))
	}
	before, err := f.k.GetAccount(f.ctx, "svc")
	noErr(t, err)
	f.wait(10, time.Second)
	f.endBlock()
	if f.services.services["svc"].Status != servicestypes.StatusActive {
		t.Fatal("a stale dry entry paused the service")
	}
	if got, want := f.queuedAt(f.k.DryQueue), []string{"16m40s:svc"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("dry queue %v, want %v", got, want)
	}
	if got, want := f.queuedAt(f.k.LowQueue), []string{"15m0.000000001s:svc"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("low queue %v, want %v", got, want)
	}
	after, err := f.k.GetAccount(f.ctx, "svc")
	noErr(t, err)
	if !after.RentCharged.Equal(before.RentCharged) {
		t.Errorf("a stale entry settled the service: rent %s → %s", before.RentCharged, after.RentCharged)
	}
}

// TestDepletedEventCountsWhatTheEscrowKept: two leases whose rent the
// escrow paid in whole uqc leave 1 uqc in it; escrow.depleted's
// deposit_to_resume is what resuming needs beyond that, as the economics
// query says.
func TestDepletedEventCountsWhatTheEscrowKept(t *testing.T) {
	f := newFixture(t)
	f.rentService("svc", 10, 7_000, 11_000) // 18,000 uqc a second
	f.runUntilPaused("svc", time.Second, nil)
	dep := events[*types.EventEscrowDepleted](f)
	if len(dep) != 1 {
		t.Fatalf("EventEscrowDepleted: %+v", dep)
	}
	wantInt(t, "escrow kept", f.services.escrows["svc"], 1)
	// 10 blocks of 1 s of 18,000 uqc a second, less the 1 uqc kept.
	wantInt(t, "deposit to resume", dep[0].DepositToResume, 180_000-1)
	if eco := f.economics("svc"); !eco.DepositToResume.Equal(dep[0].DepositToResume) {
		t.Errorf("economics says %s to resume, the event %s", eco.DepositToResume, dep[0].DepositToResume)
	}
}

// TestStaleGraceEntryDeletesNothing: a grace entry that is not the
// account's deadline deletes nothing when its height comes.
func TestStaleGraceEntryDeletesNothing(t *testing.T) {
	f := newFixture(t)
	f.sharerWith("s1", 1000, 0)
	f.burning("dry", 10, svcOpts{})
	f.wait(10, time.Second)
	f.endBlock() // depleted at 11, deleted at 61 unless resumed
	stale := f.ctx.BlockHeight() + 5
	noErr(t, f.k.GraceQueue.Set(f.ctx, collections.Join(stale, "dry")))
	f.wait(5, time.Second)
	f.endBlock()
	if s := f.services.services["dry"]; s.Status != servicestypes.StatusPaused {
		t.Fatalf("a stale grace entry changed the service: %v", s.Status)
	}
	if got, want := f.queued(f.k.GraceQueue), []string{"61:dry"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("grace queue %v, want %v", got, want)
	}
}

// TestFundedUntilWithATinyRate: when an empty escrow lacks more than a
// meter this slow could accrue in int64 nanoseconds, the money ended
// before the meter's settlement: it is owed its carry, nothing more, and
// nothing overflows.
func TestFundedUntilWithATinyRate(t *testing.T) {
	f := newFixture(t)
	f.sharerWith("s1", 1000, 0)
	f.service("svc", 0, svcOpts{})
	m := types.LeaseMeter{LeaseId: 1, Service: "svc", Sharer: f.addr("s1"),
		ListRatePerHour: math.LegacyNewDecWithPrec(1, 9), RatePerHour: math.LegacyNewDecWithPrec(1, 9),
		SettledTime: f.ctx.BlockTime(), Carry: math.LegacyNewDecWithPrec(5, 1)}
	noErr(t, f.k.Meters.Set(f.ctx, 1, m))
	noErr(t, f.k.OpenMeters.Set(f.ctx, collections.Join("svc", uint64(1))))
	f.wait(1, time.Hour)
	owed, err := f.k.RentOwed(f.ctx, "svc")
	noErr(t, err)
	wantInt(t, "owed", owed, 1) // the carry of 0.5, rounded up
}
