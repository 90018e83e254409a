package keeper_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"
	storetypes "cosmossdk.io/store/types"

	"github.com/quantum1net/q1/core/manifest"
	servicestypes "github.com/quantum1net/q1/x/services/types"
	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
	"github.com/quantum1net/q1/x/usage/types"
)

// burning sets up service name burning 1 uqc per second of rent (3600 an
// hour on 1 MiB), which at params.block_time_ms 1000 is 1 uqc a block, with
// escrow uqc, lowBalanceBlocks 100 and graceBlocks 50. Unless o says
// otherwise its maxPerHour is its rent: no usage allowance, so nothing is
// kept back for usage reports.
func (f *fixture) burning(name string, escrow int64, o svcOpts) {
	o.pricing = caps
	o.pricing.MemoryPerMiBHour = 10_000
	if o.maxPerHour == 0 {
		o.maxPerHour = 3600
	}
	f.service(name, escrow, o)
	f.acked(uint64(len(f.sharers.leases)+1), "s1", name, sharerstypes.Prices{MemoryPerMibHour: 3600}, mib)
}

// queuedAt lists a time-keyed queue (dry, low) as "time since
// genesisTime:service".
func (f *fixture) queuedAt(q collections.KeySet[collections.Pair[int64, string]]) []string {
	var out []string
	noErr(f.t, q.Walk(f.ctx, nil, func(k collections.Pair[int64, string]) (bool, error) {
		out = append(out, fmt.Sprintf("%s:%s", time.Unix(0, k.K1()).Sub(genesisTime), k.K2()))
		return false, nil
	}))
	return out
}

// queued lists a height-keyed queue (grace) as "height:service".
func (f *fixture) queued(q collections.KeySet[collections.Pair[int64, string]]) []string {
	var out []string
	noErr(f.t, q.Walk(f.ctx, nil, func(k collections.Pair[int64, string]) (bool, error) {
		out = append(out, fmt.Sprintf("%d:%s", k.K1(), k.K2()))
		return false, nil
	}))
	return out
}

// TestDepletionPauseAndResume: the block times the escrow runs low and dry
// are indexed; escrow.low is emitted once at the low mark; at the dry time
// the service pauses, its leases close and its sharers stop being owed; a
// deposit below lowBalanceBlocks of burn is refused with the amount
// needed; one that covers it resumes the service.
func TestDepletionPauseAndResume(t *testing.T) {
	f := newFixture(t)
	f.sharerWith("s1", 1000, 0)
	h0 := f.ctx.BlockHeight()
	f.burning("dry", 1000, svcOpts{})
	if got, want := f.queuedAt(f.k.DryQueue), []string{"16m40s:dry"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("dry queue = %v, want %v", got, want)
	}
	// The low mark: the first moment less than 100 blocks of 1 s of burn
	// is left.
	if got, want := f.queuedAt(f.k.LowQueue), []string{"15m0.000000001s:dry"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("low queue = %v, want %v", got, want)
	}
	eco := f.economics("dry")
	if eco.BlocksLeft != 1000 || eco.HoursLeft.String() != "0.277777777777777778" || eco.Low {
		t.Errorf("economics: blocks left %d hours left %s low %v", eco.BlocksLeft, eco.HoursLeft, eco.Low)
	}

	f.wait(900, time.Second)
	f.endBlock()
	if len(events[*types.EventEscrowLow](f)) != 0 {
		t.Fatal("escrow.low before the low mark")
	}
	f.wait(1, time.Second)
	f.endBlock()
	low := events[*types.EventEscrowLow](f)
	if len(low) != 1 || low[0].BlocksLeft != 99 || low[0].LowBalanceBlocks != 100 {
		t.Fatalf("escrow.low at the mark: %+v", low)
	}
	if !f.economics("dry").Low {
		t.Error("economics does not say low")
	}
	f.wait(1, time.Second)
	f.endBlock()
	// A touch below the mark does not emit it again.
	noErr(t, f.tx(func(ctx context.Context) error { return f.k.EscrowHooks().BeforeEscrowWithdrawn(ctx, "dry") }))
	if len(events[*types.EventEscrowLow](f)) != 0 {
		t.Error("escrow.low emitted twice")
	}

	f.wait(98, time.Second) // h0 + 1000: dry
	f.endBlock()
	dep := events[*types.EventEscrowDepleted](f)
	if len(dep) != 1 || dep[0].GraceDeadline != h0+1050 || !dep[0].DepositToResume.Equal(math.NewInt(100)) {
		t.Fatalf("EventEscrowDepleted: %+v", dep)
	}
	if s := f.services.services["dry"]; s.Status != servicestypes.StatusPaused {
		t.Fatalf("service status %v, want paused", s.Status)
	}
	if l := f.sharers.leases[1]; l.IsOpen() {
		t.Fatal("the lease is still open")
	}
	eco = f.economics("dry")
	if !eco.Depleted || eco.Status != "paused" || !eco.BurnPerHour.IsZero() || !eco.DepositToResume.Equal(math.NewInt(100)) || eco.GraceDeadline != h0+1050 {
		t.Errorf("economics after depletion: %+v", eco)
	}
	wantInt(t, "escrow", f.services.escrows["dry"], 0)
	// 1000 uqc paid in all: to the sharer and the fee collector.
	wantInt(t, "paid", f.services.balance(f.addr("s1")).Add(f.feeCollector()), 1000)
	f.wait(10, time.Minute)
	owed, err := f.k.RentOwed(f.ctx, "dry")
	noErr(t, err)
	wantInt(t, "owed while paused", owed, 0)

	_, err = f.fund("dry", 40)
	wantErr(t, err, "service dry is paused because its escrow ran dry: a deposit of 40uqc brings it to 40uqc, but resuming needs 100uqc",
		"deposit at least 100uqc, before height 1051")
	if !errors.Is(err, types.ErrDepositBelowResume) {
		t.Errorf("error %v is not ErrDepositBelowResume", err)
	}
	wantInt(t, "escrow after a refused deposit", f.services.escrows["dry"], 0)

	note, err := f.fund("dry", 100)
	noErr(t, err)
	if !strings.Contains(note, "resumed service dry") || len(f.services.resumed) != 1 {
		t.Errorf("note %q, resumed %v", note, f.services.resumed)
	}
	if eco := f.economics("dry"); eco.Depleted || eco.GraceDeadline != 0 {
		t.Errorf("economics after resume: %+v", eco)
	}
	if q := f.queued(f.k.GraceQueue); len(q) != 0 {
		t.Errorf("grace queue after resume: %v", q)
	}
	f.audit()
}

// TestGraceExpiryDeletes: a depleted service no deposit resumed is deleted
// when its grace ends; its account stays.
func TestGraceExpiryDeletes(t *testing.T) {
	f := newFixture(t)
	f.sharerWith("s1", 1000, 0)
	f.burning("dry", 10, svcOpts{})
	f.wait(10, time.Second)
	f.endBlock()
	if f.services.services["dry"].Status != servicestypes.StatusPaused {
		t.Fatal("not paused at the dry height")
	}
	f.wait(49, time.Second)
	f.endBlock()
	if f.services.services["dry"].Status != servicestypes.StatusPaused {
		t.Fatal("deleted before the grace ended")
	}
	f.wait(1, time.Second)
	f.endBlock()
	if f.services.services["dry"].Status != servicestypes.StatusDeleted {
		t.Fatal("not deleted when the grace ended")
	}
	if ev := events[*types.EventGraceExpired](f); len(ev) != 1 || ev[0].DepletedHeight != 11 {
		t.Errorf("EventGraceExpired: %+v", ev)
	}
	a, err := f.k.GetAccount(f.ctx, "dry")
	noErr(t, err)
	if a.DepletedHeight != 0 || a.RentCharged.IsZero() {
		t.Errorf("account after deletion: %+v", a)
	}
	f.audit()
}

// TestOnDepletionDelete: under onDepletion delete the service is deleted
// at once.
func TestOnDepletionDelete(t *testing.T) {
	f := newFixture(t)
	f.sharerWith("s1", 1000, 0)
	f.burning("dry", 10, svcOpts{onDepleted: manifest.DepletionDelete})
	f.wait(10, time.Second)
	f.endBlock()
	if f.services.services["dry"].Status != servicestypes.StatusDeleted {
		t.Fatal("not deleted at the dry height")
	}
	if q := f.queued(f.k.GraceQueue); len(q) != 0 {
		t.Errorf("grace queue: %v", q)
	}
	f.audit()
}

// TestFastBlocksDoNotPauseEarly: blocks faster than params.block_time_ms
// do not bring the dry time early: after 1000 blocks of 500 ms the escrow
// has half its money and the same dry time.
func TestFastBlocksDoNotPauseEarly(t *testing.T) {
	f := newFixture(t)
	f.sharerWith("s1", 1000, 0)
	f.burning("dry", 1000, svcOpts{})
	f.wait(1000, 500*time.Millisecond) // 500 s of rent in 1000 blocks
	f.endBlock()
	if f.services.services["dry"].Status != servicestypes.StatusActive {
		t.Fatal("paused with half its escrow left")
	}
	eco := f.economics("dry")
	if want := genesisTime.Add(1000 * time.Second); eco.DryTime == nil || !eco.DryTime.Equal(want) {
		t.Errorf("dry time %v, want %v", eco.DryTime, want)
	}
	f.audit()
}

// TestEndBlockerReadsOnlyWhatIsDue: the EndBlocker's cost does not grow
// with the number of services: with nothing due it uses the same gas for 1
// service as for 200.
func TestEndBlockerReadsOnlyWhatIsDue(t *testing.T) {
	gas := func(services int) storetypes.Gas {
		f := newFixture(t)
		f.sharerWith("s1", 1000, 0)
		for i := 0; i < services; i++ {
			f.burning(fmt.Sprintf("svc%03d", i), 1_000_000, svcOpts{})
		}
		f.wait(10, time.Second)
		meter := storetypes.NewInfiniteGasMeter()
		ctx := f.ctx.WithGasMeter(meter)
		noErr(t, f.k.EndBlocker(ctx))
		return meter.GasConsumed()
	}
	one, many := gas(1), gas(200)
	if one != many {
		t.Errorf("EndBlocker gas: %d with 1 service, %d with 200", one, many)
	}
}

// TestEconomyGenesisRoundTrip: meters, accounts, records and earnings are
// exported and imported, and the indexes rebuilt.
func TestEconomyGenesisRoundTrip(t *testing.T) {
	f := newFixture(t)
	f.sharerWith("s1", 1000, 0)
	f.burning("dry", 1000, svcOpts{})
	f.startEpochNow()
	f.wait(10, time.Second)
	e := f.endEpoch()
	f.sharers.leases[1] = func(l sharerstypes.Lease) sharerstypes.Lease { l.Prices.Per_1KRequests = 10; return l }(f.sharers.leases[1])
	_, err := f.reportResp("s1", e, types.UsageEntry{LeaseId: 1, Requests: 10_000})
	noErr(t, err)
	gs, err := f.k.ExportGenesis(f.ctx)
	noErr(t, err)
	if len(gs.Meters) != 1 || len(gs.Accounts) != 1 || len(gs.Records) != 1 || len(gs.Earnings) == 0 {
		t.Fatalf("export: %d meters %d accounts %d records %d earnings", len(gs.Meters), len(gs.Accounts), len(gs.Records), len(gs.Earnings))
	}
	noErr(t, gs.Validate())
	g := newFixture(t)
	g.ctx = g.ctx.WithBlockHeight(f.ctx.BlockHeight()).WithBlockTime(f.ctx.BlockTime())
	noErr(t, g.k.InitGenesis(g.ctx, gs))
	again, err := g.k.ExportGenesis(g.ctx)
	noErr(t, err)
	if again.String() != gs.String() {
		t.Errorf("round trip differs:\n%v\n%v", gs, again)
	}
	for _, q := range []struct {
		name string
		f, g collections.KeySet[collections.Pair[int64, string]]
	}{{"dry", f.k.DryQueue, g.k.DryQueue}, {"low", f.k.LowQueue, g.k.LowQueue}, {"grace", f.k.GraceQueue, g.k.GraceQueue}} {
		if want, got := f.queued(q.f), g.queued(q.g); fmt.Sprint(got) != fmt.Sprint(want) || (q.name != "grace" && len(want) != 1) {
			t.Errorf("%s queue not rebuilt: %v, want %v", q.name, got, want)
		}
	}
	bad := *gs
	bad.Meters = append(bad.Meters, gs.Meters[0])
	wantErr(t, bad.Validate(), "meters[1]: lease 1 appears twice")
}

// TestEndBlockerIsolatesFailures: a service whose check fails is logged and
// dropped from the queue; the block and the other services go on.
func TestEndBlockerIsolatesFailures(t *testing.T) {
	f := newFixture(t)
	f.sharerWith("s1", 1000, 0)
	f.burning("broken", 10, svcOpts{})
	f.burning("fine", 10, svcOpts{})
	delete(f.services.manifests, "broken") // its checks now fail
	f.wait(10, time.Second)
	f.endBlock()
	if f.services.services["fine"].Status != servicestypes.StatusPaused {
		t.Error("the healthy service was not paused at its dry height")
	}
	if q := f.queued(f.k.DryQueue); len(q) != 0 {
		t.Errorf("dry queue after the block: %v", q)
	}
}
