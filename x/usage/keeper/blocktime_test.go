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

// Issue #17: a service with 1 QC of escrow renting 18,000 uqc a second has
// money for 55.5… s. When it runs dry is decided by block header time, so
// it is paused in the first block whose time reaches that moment whatever
// params.block_time_ms says, and its sharers are paid every uqc of the
// escrow: nothing is written off.

const (
	oneQC = 1_000_000
	// rentPerSecond × 3600 is the lease's memory price per MiB-hour (1 MiB
	// reserved).
	rentPerSecond = 18_000
)

// dryAfter is when 1 QC runs out at rentPerSecond: 55.555… s, rounded up
// to the nanosecond.
var dryAfter = 55*time.Second + 555_555_556*time.Nanosecond

// rentService creates service name with 1 QC of escrow and one acknowledged
// lease per rate (uqc per second, 1 MiB reserved each), held by sharers
// s0, s1, … . It returns the sharers' names.
func (f *fixture) rentService(name string, lowBlocks uint64, ratesPerSecond ...uint64) []string {
	// maxPerHour is the rent: no usage allowance, so nothing is kept back
	// for usage reports and the escrow is the rent's alone.
	o := svcOpts{pricing: caps, lowBlocks: lowBlocks}
	o.pricing.MemoryPerMiBHour = 1_000_000_000
	for _, r := range ratesPerSecond {
		o.maxPerHour += r * 3600
	}
	f.service(name, oneQC, o)
	var sharers []string
	for i, r := range ratesPerSecond {
		s := fmt.Sprintf("s%d", i)
		f.sharerWith(s, 1000, 0)
		f.acked(uint64(len(f.sharers.leases)+1), s, name, sharerstypes.Prices{MemoryPerMibHour: r * 3600}, mib)
		sharers = append(sharers, s)
	}
	return sharers
}

// setBlockTimeParam sets params.block_time_ms.
func (f *fixture) setBlockTimeParam(ms uint64) {
	p, err := f.k.GetParams(f.ctx)
	noErr(f.t, err)
	p.BlockTimeMs = ms
	noErr(f.t, f.k.Params.Set(f.ctx, p))
}

// runUntilPaused makes blocks of d, running the EndBlocker in each, until
// service name is no longer active, and returns how long after genesisTime
// the pausing block's header time was. every, if set, runs in each block
// before the EndBlocker.
func (f *fixture) runUntilPaused(name string, d time.Duration, every func()) time.Duration {
	f.t.Helper()
	for i := 0; i < 10_000; i++ {
		f.wait(1, d)
		if every != nil {
			every()
		}
		f.endBlock()
		if f.services.services[name].Status != servicestypes.StatusActive {
			return f.ctx.BlockTime().Sub(genesisTime)
		}
	}
	f.t.Fatalf("service %s still active after 10,000 blocks of %s", name, d)
	return 0
}

// firstBlockAtOrAfter is the header time (since genesisTime) of the first
// block of d at or after t.
func firstBlockAtOrAfter(t, d time.Duration) time.Duration {
	n := int64((t + d - 1) / d)
	return time.Duration(n) * d
}

// paidInFull checks that service name's escrow paid its sharers all it
// held: nothing written off, every uqc that left the escrow in the
// sharers' rent earnings (protocol share included) and their balances,
// what is left (less than a uqc per lease, from the fractions) still in
// the escrow, and the invariants hold.
func (f *fixture) paidInFull(name string, sharers []string) {
	f.t.Helper()
	a, err := f.k.GetAccount(f.ctx, name)
	noErr(f.t, err)
	wantInt(f.t, "written off", a.WrittenOff, 0)
	left := f.services.escrows[name]
	if left.IsNegative() || left.GTE(math.NewInt(int64(len(sharers)))) {
		f.t.Errorf("the escrow kept %s uqc; only the fractions of %d leases may stay", left, len(sharers))
	}
	wantInt(f.t, "rent charged + escrow left", a.RentCharged.Add(left), oneQC)
	earned, received := math.ZeroInt(), math.ZeroInt()
	for _, s := range sharers {
		resp, err := f.query.SharerEarnings(f.ctx, &types.QuerySharerEarningsRequest{Sharer: f.addr(s)})
		noErr(f.t, err)
		earned = earned.Add(resp.Total.Rent)
		received = received.Add(resp.Received)
		if !resp.Received.Equal(f.services.balance(f.addr(s))) {
			f.t.Errorf("sharer %s received %s by its earnings but holds %s", s, resp.Received, f.services.balance(f.addr(s)))
		}
	}
	if !earned.Equal(a.RentCharged) {
		f.t.Errorf("sharers earned %s in rent; the escrow paid %s", earned, a.RentCharged)
	}
	if !received.Add(f.feeCollector()).Equal(a.RentCharged) || !f.feeCollector().Equal(a.ProtocolShare) {
		f.t.Errorf("sharers received %s and the fee collector %s; the escrow paid %s (protocol share %s)",
			received, f.feeCollector(), a.RentCharged, a.ProtocolShare)
	}
	f.audit()
}

// TestDepletionOnBlockTime: the scenario of issue #17 at 1 s blocks with
// params for 200 ms blocks (where the service used to run 274 s), the
// reverse, and matching ones, with one lease or two: the service is
// paused in the first block whose header time reaches 55.56 s, and the
// block before it was still running; its sharers are paid the whole
// escrow.
func TestDepletionOnBlockTime(t *testing.T) {
	for _, c := range []struct {
		block   time.Duration
		paramMs uint64
		rates   []uint64
	}{
		{time.Second, 200, []uint64{rentPerSecond}},
		{200 * time.Millisecond, 1000, []uint64{rentPerSecond}},
		{time.Second, 1000, []uint64{rentPerSecond}},
		{200 * time.Millisecond, 200, []uint64{rentPerSecond}},
		{time.Second, 200, []uint64{7_000, 11_000}},
		{300 * time.Millisecond, 1000, []uint64{7_000, 11_000}},
	} {
		t.Run(fmt.Sprintf("%s blocks, block_time_ms %d, %d leases", c.block, c.paramMs, len(c.rates)), func(t *testing.T) {
			f := newFixture(t)
			f.setBlockTimeParam(c.paramMs)
			sharers := f.rentService("svc", 10, c.rates...)
			eco := f.economics("svc")
			if want := genesisTime.Add(dryAfter); eco.DryTime == nil || !eco.DryTime.Equal(want) {
				t.Fatalf("dry time %v, want %v", eco.DryTime, want)
			}
			if want := uint64(dryAfter / (time.Duration(c.paramMs) * time.Millisecond)); eco.BlocksLeft != want {
				t.Errorf("blocks left %d, want %d (at block_time_ms %d)", eco.BlocksLeft, want, c.paramMs)
			}
			paused := f.runUntilPaused("svc", c.block, nil)
			if want := firstBlockAtOrAfter(dryAfter, c.block); paused != want {
				t.Fatalf("paused by the block at %s, want the first block at or after %s: %s", paused, dryAfter, want)
			}
			if dep := events[*types.EventEscrowDepleted](f); len(dep) != 1 {
				t.Errorf("EventEscrowDepleted in the pausing block: %+v", dep)
			}
			for id, l := range f.sharers.leases {
				if l.IsOpen() {
					t.Errorf("lease %d still open", id)
				}
			}
			f.paidInFull("svc", sharers)
		})
	}
}

// TestDepletionAcrossTouches: settlements along the way (a withdrawal
// attempt every 7th block, which settles and re-projects) and a block
// whose txs touch the service after its money ended but before the
// EndBlocker change nothing: the same pausing block, nothing written off.
func TestDepletionAcrossTouches(t *testing.T) {
	f := newFixture(t)
	f.setBlockTimeParam(200)
	sharers := f.rentService("svc", 10, 7_000, 11_000)
	n := 0
	touch := func() {
		n++
		if n%7 == 0 || f.ctx.BlockTime().Sub(genesisTime) >= dryAfter {
			noErr(t, f.tx(func(ctx context.Context) error { return f.k.EscrowHooks().BeforeEscrowWithdrawn(ctx, "svc") }))
		}
	}
	if paused := f.runUntilPaused("svc", time.Second, touch); paused != 56*time.Second {
		t.Fatalf("paused by the block at %s, want 56s", paused)
	}
	f.paidInFull("svc", sharers)
}

// TestDepositAfterMoneyEndedPaysTheGap: a deposit in the first block after
// the money ended, before its EndBlocker, pays the rent of that block too
// and the service keeps running.
func TestDepositAfterMoneyEndedPaysTheGap(t *testing.T) {
	f := newFixture(t)
	f.rentService("svc", 10, rentPerSecond)
	f.wait(56, time.Second)
	_, err := f.fund("svc", oneQC)
	noErr(t, err)
	f.endBlock()
	if f.services.services["svc"].Status != servicestypes.StatusActive {
		t.Fatal("paused although a deposit arrived before the EndBlocker")
	}
	a, err := f.k.GetAccount(f.ctx, "svc")
	noErr(t, err)
	wantInt(t, "rent charged for 56 s", a.RentCharged, 56*rentPerSecond)
	wantInt(t, "written off", a.WrittenOff, 0)
	if want := genesisTime.Add(2 * dryAfter); a.DryTime == nil || a.DryTime.Sub(want).Abs() > time.Nanosecond {
		t.Errorf("dry time %v, want %v", a.DryTime, want)
	}
	f.audit()
}

// TestLowMarkInTime: the low mark is lowBalanceBlocks × params.block_time_ms
// of burn before the dry time, whatever the real block time.
func TestLowMarkInTime(t *testing.T) {
	f := newFixture(t)
	f.setBlockTimeParam(200)
	f.rentService("svc", 100, rentPerSecond) // low: 20 s before dry
	lowAt := dryAfter - 20*time.Second
	f.wait(int64(lowAt/time.Second), time.Second) // 35 s
	f.endBlock()
	if len(events[*types.EventEscrowLow](f)) != 0 || f.economics("svc").Low {
		t.Fatal("low before the mark")
	}
	f.wait(1, time.Second) // 36 s: 19.56 s left
	f.endBlock()
	low := events[*types.EventEscrowLow](f)
	if len(low) != 1 || low[0].LowBalanceBlocks != 100 || low[0].BlocksLeft != 97 || !low[0].DryTime.Equal(genesisTime.Add(dryAfter)) {
		t.Fatalf("escrow.low: %+v", low)
	}
	if eco := f.economics("svc"); !eco.Low || eco.LowTime != nil {
		t.Errorf("economics after the mark: low %v, low time %v", eco.Low, eco.LowTime)
	}
}

// TestFarProjectionIsRevisited: an escrow that outlasts the projection
// horizon gets no dry time, only a time to be projected again; when that
// comes the service is projected again, not paused.
func TestFarProjectionIsRevisited(t *testing.T) {
	f := newFixture(t)
	o := svcOpts{pricing: caps}
	f.service("svc", 1_000_000_000_000_000, o) // 10^15 uqc at 1 uqc/h (the lowest price of 1 KiB would be less)
	f.sharerWith("s1", 1000, 0)
	f.acked(1, "s1", "svc", sharerstypes.Prices{MemoryPerMibHour: 1}, mib)
	a, err := f.k.GetAccount(f.ctx, "svc")
	noErr(t, err)
	if a.DryTime != nil || a.LowTime == nil || len(f.queuedAt(f.k.DryQueue)) != 0 {
		t.Fatalf("far projection: dry %v low %v", a.DryTime, a.LowTime)
	}
	recheck := *a.LowTime
	if f.economics("svc").LowTime != nil {
		t.Error("economics reports the re-projection time as a low mark")
	}
	f.ctx = f.ctx.WithBlockHeight(f.ctx.BlockHeight() + 1).WithBlockTime(recheck)
	f.endBlock()
	if f.services.services["svc"].Status != servicestypes.StatusActive {
		t.Fatal("paused at a re-projection")
	}
	b, err := f.k.GetAccount(f.ctx, "svc")
	noErr(t, err)
	if b.LowTime == nil || !b.LowTime.After(recheck) || b.RentCharged.IsZero() {
		t.Errorf("after the re-projection: low time %v (was %v), rent %s", b.LowTime, recheck, b.RentCharged)
	}
	f.audit()
}
