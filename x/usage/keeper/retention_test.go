package keeper_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"
	storetypes "cosmossdk.io/store/types"
	sdk "github.com/cosmos/cosmos-sdk/types"

	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
	"github.com/quantum1net/q1/x/usage/types"
)

// Retention (issue #16): records, reports and earnings rows older than
// params.retention_epochs are pruned, at most params.prune_per_block a
// block, into running totals that keep every total right.

// setParams changes the module's params through MsgUpdateParams.
func (f *fixture) setParams(change func(*types.Params)) error {
	p, err := f.k.GetParams(f.ctx)
	noErr(f.t, err)
	change(&p)
	return f.tx(func(ctx context.Context) error {
		_, err := f.msgs.UpdateParams(ctx, &types.MsgUpdateParams{Authority: f.k.Authority(), Params: p})
		return err
	})
}

// rows counts the records, reports and earnings rows in state.
func (f *fixture) rows() (records, reports, earnings int) {
	noErr(f.t, f.k.Records.Walk(f.ctx, nil, func(collections.Triple[string, uint64, uint64], types.UsageRecord) (bool, error) {
		records++
		return false, nil
	}))
	noErr(f.t, f.k.Reports.Walk(f.ctx, nil, func(collections.Pair[sdk.AccAddress, uint64], types.Report) (bool, error) {
		reports++
		return false, nil
	}))
	noErr(f.t, f.k.Earnings.Walk(f.ctx, nil, func(collections.Triple[sdk.AccAddress, string, uint64], types.Earnings) (bool, error) {
		earnings++
		return false, nil
	}))
	return records, reports, earnings
}

// economy is a fixture with sharers s0…s(S-1), services svc0…svc(V-1) and
// one acknowledged lease per (sharer, service); leasesOf lists each
// sharer's lease ids in order.
type economy struct {
	*fixture
	names    []string // sharers
	svcs     []string // services
	leasesOf map[string][]uint64
	// afterBlock, if set, runs after each EndBlocker of epoch (whose
	// events the fixture's context still holds).
	afterBlock func()
}

func newEconomy(t *testing.T, sharers, services int) *economy {
	f := newFixture(t)
	e := &economy{fixture: f, leasesOf: map[string][]uint64{}}
	for i := range services {
		name := fmt.Sprintf("svc%d", i)
		f.service(name, 1_000_000_000_000, svcOpts{})
		e.svcs = append(e.svcs, name)
	}
	for i := range sharers {
		s := fmt.Sprintf("s%d", i)
		f.sharerWith(s, 1_000_000, 0)
		e.names = append(e.names, s)
		for _, svc := range e.svcs {
			id := uint64(len(f.sharers.leases) + 1)
			f.acked(id, s, svc, sharerstypes.Prices{CpuPerCoreSecond: 500, MemoryPerMibHour: 2, Per_1KRequests: 10}, 64*mib)
			e.leasesOf[s] = append(e.leasesOf[s], id)
		}
	}
	f.sharers.epoch.Number = 1 // the first epoch reported is 1
	f.startEpochNow()
	return e
}

// epoch runs an epoch of blocks blocks (each ended by the EndBlocker), ends
// it, and has every sharer report it in the next epoch's first block; it
// returns the epoch reported.
func (e *economy) epoch(blocks int) uint64 {
	for range blocks {
		e.wait(1, time.Second)
		e.endBlock()
		if e.afterBlock != nil {
			e.afterBlock()
		}
	}
	n := e.endEpoch()
	for _, s := range e.names {
		var entries []types.UsageEntry
		for _, id := range e.leasesOf[s] {
			entries = append(entries, types.UsageEntry{LeaseId: id, Requests: 100 + id, Fuel: (10 + id) * fuelPerMs, EgressBytes: 1000 * id})
		}
		_, err := e.reportResp(s, n, entries...)
		noErr(e.t, err)
	}
	return n
}

// usage is the service's usage query with no filter or grouping.
func (f *fixture) usage(service string, mod func(*types.QueryServiceUsageRequest)) *types.QueryServiceUsageResponse {
	req := &types.QueryServiceUsageRequest{Service: service}
	if mod != nil {
		mod(req)
	}
	r, err := f.query.ServiceUsage(f.ctx, req)
	noErr(f.t, err)
	return r
}

// sameSum fails unless the two sums agree on every count and amount.
func sameSum(t *testing.T, what string, got, want types.UsageSum) {
	t.Helper()
	if got.Records != want.Records || got.Requests != want.Requests || got.CpuMillis != want.CpuMillis ||
		got.EgressBytes != want.EgressBytes || got.Caps != want.Caps || !got.Charged.Equal(want.Charged) ||
		!got.ToSharer.Equal(want.ToSharer) || !got.ProtocolShare.Equal(want.ProtocolShare) {
		t.Fatalf("%s:\n got  %v\n want %v", what, got, want)
	}
}

func zeroSum() types.UsageSum {
	return types.UsageSum{Charged: math.ZeroInt(), ToSharer: math.ZeroInt(), ProtocolShare: math.ZeroInt()}
}

func plus(a, b types.UsageSum) types.UsageSum {
	a.Records += b.Records
	a.Requests += b.Requests
	a.CpuMillis += b.CpuMillis
	a.EgressBytes += b.EgressBytes
	a.Caps += b.Caps
	a.Charged = a.Charged.Add(b.Charged)
	a.ToSharer = a.ToSharer.Add(b.ToSharer)
	a.ProtocolShare = a.ProtocolShare.Add(b.ProtocolShare)
	return a
}

// TestRetentionBoundsStateAndKeepsTotals runs 40 epochs of 3 sharers × 2
// services: the rows in state stop growing once the retention window is
// full, and the totals the queries answer (per service, per sharer, by
// sharer, by service) equal the sum of every record written, and the
// invariants hold (what services were charged = what sharers earned,
// pruned rows included).
func TestRetentionBoundsStateAndKeepsTotals(t *testing.T) {
	e := newEconomy(t, 3, 2)
	const retention = 6 // the minimum at the defaults is 5
	noErr(t, e.setParams(func(p *types.Params) {
		p.RetentionEpochs = retention
		p.AuditProbability = math.LegacyZeroDec()
	}))
	want := map[string]types.UsageSum{}
	wantBySharer := map[string]types.UsageSum{} // service/sharer
	maxRows, rowsAt := 0, map[int]int{}
	const epochs = 40
	for i := range epochs {
		n := e.epoch(10)
		for _, svc := range e.svcs {
			// What the epoch's reports wrote, read before any of it can be
			// pruned.
			r := e.usage(svc, func(q *types.QueryServiceUsageRequest) { q.HasEpoch, q.Epoch = true, n })
			if len(r.Records) != len(e.names) {
				t.Fatalf("epoch %d: %d records of %s, want %d", n, len(r.Records), svc, len(e.names))
			}
			w, ok := want[svc]
			if !ok {
				w = zeroSum()
			}
			want[svc] = plus(w, r.Total)
			for _, rec := range r.Records {
				k := svc + "/" + rec.Sharer
				s := zeroSum()
				if old, ok := wantBySharer[k]; ok {
					s = old
				}
				wantBySharer[k] = plus(s, types.UsageSum{Records: 1, Requests: rec.CountedRequests, CpuMillis: rec.CountedCpuMillis,
					EgressBytes: rec.CountedEgressBytes, Caps: uint64(len(rec.Caps)), Charged: rec.Charged, ToSharer: rec.ToSharer, ProtocolShare: rec.ProtocolShare})
			}
		}
		rec, rep, earn := e.rows()
		rowsAt[i] = rec + rep + earn
		maxRows = max(maxRows, rowsAt[i])
	}
	// Per epoch: 6 records, 3 reports and up to 6 earnings rows; the
	// window holds retention epochs, plus the epoch in progress and the
	// one the pruner is on.
	perEpoch := 3*2 + 3 + 3*2
	if bound := (retention + 2) * perEpoch; maxRows > bound {
		t.Errorf("at most %d rows in state, want ≤ %d", maxRows, bound)
	}
	if rowsAt[epochs-1] > rowsAt[2*retention] {
		t.Errorf("rows grew after the window filled: %d at epoch %d, %d at the end", rowsAt[2*retention], 2*retention, rowsAt[epochs-1])
	}
	rec, _, _ := e.rows()
	if rec >= epochs*6 || rec == 0 {
		t.Errorf("%d records in state after %d epochs of 6", rec, epochs)
	}

	for _, svc := range e.svcs {
		got := e.usage(svc, nil)
		sameSum(t, "total of "+svc, got.Total, want[svc])
		if got.Total.Records != epochs*3 {
			t.Errorf("%s: %d records counted, want %d", svc, got.Total.Records, epochs*3)
		}
		if got.PrunedBelow == 0 || got.Pruned.Records == 0 || len(got.Records) == int(got.Total.Records) {
			t.Errorf("%s: pruned below %d, %d records pruned, %d listed of %d", svc, got.PrunedBelow, got.Pruned.Records, len(got.Records), got.Total.Records)
		}
		for _, r := range got.Records {
			if r.Epoch < got.PrunedBelow {
				t.Errorf("%s: record of epoch %d listed, below %d", svc, r.Epoch, got.PrunedBelow)
			}
		}
		by := e.usage(svc, func(q *types.QueryServiceUsageRequest) { q.By = "sharer" })
		sameSum(t, "total by sharer of "+svc, by.Total, want[svc])
		for _, s := range by.Sums {
			sameSum(t, svc+" by sharer "+s.Sharer, s, wantBySharer[svc+"/"+s.Sharer])
		}
		one := e.usage(svc, func(q *types.QueryServiceUsageRequest) { q.Sharer = e.addr("s1") })
		sameSum(t, "s1's total on "+svc, one.Total, wantBySharer[svc+"/"+e.addr("s1")])
		old := e.usage(svc, func(q *types.QueryServiceUsageRequest) { q.HasEpoch, q.Epoch = true, 2 })
		if len(old.Records) != 0 || old.PrunedBelow <= 2 {
			t.Errorf("%s epoch 2: %d records, pruned below %d", svc, len(old.Records), old.PrunedBelow)
		}
	}

	charged := math.ZeroInt()
	for _, svc := range e.svcs {
		a, err := e.k.GetAccount(e.ctx, svc)
		noErr(t, err)
		charged = charged.Add(a.UsageCharged).Add(a.RentCharged)
	}
	earned := math.ZeroInt()
	for _, s := range e.names {
		tot, err := e.query.SharerEarnings(e.ctx, &types.QuerySharerEarningsRequest{Sharer: e.addr(s)})
		noErr(t, err)
		earned = earned.Add(tot.Total.Usage).Add(tot.Total.Rent)
		if tot.PrunedBelow == 0 || !tot.Pruned.Usage.IsPositive() {
			t.Errorf("%s: earnings pruned below %d, pruned usage %s", s, tot.PrunedBelow, tot.Pruned.Usage)
		}
		by, err := e.query.SharerEarnings(e.ctx, &types.QuerySharerEarningsRequest{Sharer: e.addr(s), By: "service"})
		noErr(t, err)
		sum := types.NewEarnings(e.addr(s), "", 0)
		for _, x := range by.Sums {
			sum.Add(x)
		}
		if !sum.Usage.Equal(tot.Total.Usage) || !sum.Rent.Equal(tot.Total.Rent) || !by.Total.Usage.Equal(tot.Total.Usage) {
			t.Errorf("%s: by service sums to %v, total %v", s, sum, tot.Total)
		}
		usage := math.ZeroInt()
		for _, svc := range e.svcs {
			usage = usage.Add(wantBySharer[svc+"/"+e.addr(s)].Charged)
		}
		if !tot.Total.Usage.Equal(usage) {
			t.Errorf("%s: earned %s for usage, its records charged %s", s, tot.Total.Usage, usage)
		}
	}
	if !charged.Equal(earned) || !charged.IsPositive() {
		t.Errorf("services charged %s, sharers earned %s", charged, earned)
	}
	inv, err := e.k.CheckInvariants(e.ctx)
	noErr(t, err)
	if len(inv.Broken) != 0 {
		t.Errorf("invariants broken: %v", inv.Broken)
	}

	// The export carries the running totals, and an import answers the
	// same totals.
	gs, err := e.k.ExportGenesis(e.ctx)
	noErr(t, err)
	noErr(t, gs.Validate())
	if len(gs.PrunedUsage) != 6 || len(gs.PrunedEarnings) != 6 || gs.PrunedBelow == 0 {
		t.Fatalf("export: %d pruned usage totals, %d pruned earnings totals, pruned below %d", len(gs.PrunedUsage), len(gs.PrunedEarnings), gs.PrunedBelow)
	}
	g := newFixture(t)
	for _, svc := range e.svcs {
		g.services.services[svc] = e.services.services[svc]
	}
	noErr(t, g.k.InitGenesis(g.ctx, gs))
	for _, svc := range e.svcs {
		sameSum(t, "imported total of "+svc, g.usage(svc, nil).Total, want[svc])
	}
}

// TestRetentionBelowMinimumRefused: a retention shorter than the report
// window, the audits and a margin is refused by Params.Validate and by
// MsgUpdateParams, naming the param and the minimum.
func TestRetentionBelowMinimumRefused(t *testing.T) {
	p := types.DefaultParams()
	p.RetentionEpochs = 4
	wantErr(t, p.Validate(), "params.retention_epochs: must be at least 5", "report_window_epochs 3", "got 4")
	p.RetentionEpochs = 5
	noErr(t, p.Validate())
	p.PrunePerBlock = 0
	wantErr(t, p.Validate(), "params.prune_per_block: must be between 1 and")

	// At x/sharers' default 600-block epochs the audits (62 blocks) take
	// one epoch: the minimum is 3 + 1 + 1.
	f := newFixture(t)
	wantErr(t, f.setParams(func(p *types.Params) { p.RetentionEpochs = 4 }), "params.retention_epochs: must be at least 5")
	noErr(t, f.setParams(func(p *types.Params) { p.RetentionEpochs = 5 }))
	// At 20-block epochs the devnet's audit windows (2+50+100+100 = 252
	// blocks) take 13 epochs: the minimum is 3 + 13 + 1 = 17. Validate
	// alone does not know epoch_blocks; the keeper does.
	f.sharers.epochBlocks = 20
	dev := types.DevnetParams()
	dev.RetentionEpochs = 16
	noErr(t, dev.Validate())
	wantErr(t, f.setParams(func(p *types.Params) { *p = dev }),
		"params.retention_epochs: must be at least 17 (report_window_epochs 3 + 13 for the audits (252 blocks at 20-block epochs) + 1 of margin), got 16")
	dev.RetentionEpochs = 17
	noErr(t, f.setParams(func(p *types.Params) { *p = dev }))
	if got := types.DevnetParams().MinRetentionEpochs(20); got > types.DevnetParams().RetentionEpochs {
		t.Errorf("the devnet's retention %d is below its minimum %d", types.DevnetParams().RetentionEpochs, got)
	}
	if got := types.DefaultParams().MinRetentionEpochs(sharerstypes.DefaultParams().EpochBlocks); got > types.DefaultParams().RetentionEpochs {
		t.Errorf("the default retention %d is below its minimum %d", types.DefaultParams().RetentionEpochs, got)
	}

	// Genesis is checked at x/sharers' epoch_blocks too.
	g := newFixture(t)
	g.sharers.epochBlocks = 20
	gs := types.DefaultGenesis()
	gs.Params = dev
	gs.Params.RetentionEpochs = 16
	wantErr(t, g.k.InitGenesis(g.ctx, gs), "params.retention_epochs: must be at least 17")
}

// TestPruneBoundedPerBlock: with rows of many epochs due at once, no block
// prunes more than params.prune_per_block, the backlog is gone in
// ⌈rows ÷ prune_per_block⌉ blocks, and a block with nothing due reads the
// same whatever the state holds (a flat cost, like the idle block).
func TestPruneBoundedPerBlock(t *testing.T) {
	e := newEconomy(t, 4, 5) // 20 records, 4 reports, ≤ 20 earnings rows an epoch
	noErr(t, e.setParams(func(p *types.Params) {
		p.RetentionEpochs = 1000
		p.PrunePerBlock = 7
		p.AuditProbability = math.LegacyZeroDec()
	}))
	for range 12 {
		e.epoch(3)
	}
	e.wait(3, time.Second)
	e.endBlock() // the last draws
	rec, rep, earn := e.rows()
	total := rec + rep + earn

	// Nothing due yet: the window (12 epochs) reaches back to epoch 1, the
	// first reported. The pruner seeks each epoch index once and reads
	// nothing more, whatever the rows held: the same gas as a chain with
	// the rows of one epoch.
	window := func(p *types.Params) {
		p.RetentionEpochs, p.PrunePerBlock, p.AuditProbability = 12, 7, math.LegacyZeroDec()
	}
	idleGas := func(f *fixture) storetypes.Gas {
		noErr(t, f.setParams(window))
		meter := storetypes.NewInfiniteGasMeter()
		st, err := f.k.Prune(f.ctx.WithGasMeter(meter))
		noErr(t, err)
		if st.Rows() != 0 || st.Below != 1 {
			t.Fatalf("pruned %d rows below epoch %d with nothing due", st.Rows(), st.Below)
		}
		return meter.GasConsumed()
	}
	many := idleGas(e.fixture)
	g := newEconomy(t, 1, 1)
	noErr(t, g.setParams(window))
	g.epoch(3)
	g.sharers.epoch.Number = e.sharers.epoch.Number
	few := idleGas(g.fixture)
	if many != few {
		t.Errorf("an idle pruning block read %d gas with %d rows held, %d with %d", many, total, few, func() int { a, b, c := g.rows(); return a + b + c }())
	}

	// Now everything below the current epoch is due.
	noErr(t, e.setParams(func(p *types.Params) { p.RetentionEpochs = 5 }))
	e.sharers.epoch.Number += 1000
	blocks := 0
	for {
		st, err := e.k.Prune(e.ctx)
		noErr(t, err)
		if st.Rows() > 7 {
			t.Fatalf("block %d pruned %d rows, params.prune_per_block is 7", blocks, st.Rows())
		}
		if st.Rows() == 0 {
			break
		}
		blocks++
	}
	if want := (total + 6) / 7; blocks != want {
		t.Errorf("%d rows pruned in %d blocks, want %d", total, blocks, want)
	}
	rec, rep, earn = e.rows()
	if rec+rep+earn != 0 {
		t.Errorf("left %d records, %d reports, %d earnings rows", rec, rep, earn)
	}
	below, err := e.k.PrunedBelow.Get(e.ctx)
	noErr(t, err)
	if below != e.sharers.epoch.Number-5 {
		t.Errorf("pruned below %d, want %d", below, e.sharers.epoch.Number-5)
	}
}

// TestPruneNeverDropsAHeldCharge: a record whose charge is held for its
// draw stops the pruner (which reads only it while it waits) until the
// draw pays it; then it is pruned.
func TestPruneNeverDropsAHeldCharge(t *testing.T) {
	e := newEconomy(t, 1, 1)
	noErr(t, e.setParams(func(p *types.Params) { p.RetentionEpochs, p.AuditProbability = 5, math.LegacyZeroDec() }))
	n := e.epoch(3) // reported, held until the draw two blocks on
	if r := e.record("svc0", n, 1); r.AuditState != types.AuditPending {
		t.Fatalf("record is %s, want pending", r.AuditState)
	}
	e.sharers.epoch.Number += 10
	st, err := e.k.Prune(e.ctx)
	noErr(t, err)
	if !st.Blocked || st.Records != 0 {
		t.Fatalf("prune with a held record: %+v", st)
	}
	if has, _ := e.k.Records.Has(e.ctx, collections.Join3("svc0", n, uint64(1))); !has {
		t.Fatal("the held record was pruned")
	}
	if _, err := e.k.PrunedBelow.Get(e.ctx); err == nil {
		t.Error("pruned_below moved past a held record")
	}
	e.drawDue() // draws (unsampled: paid), then prunes
	if has, _ := e.k.Records.Has(e.ctx, collections.Join3("svc0", n, uint64(1))); has {
		t.Error("the paid record was not pruned")
	}
	got := e.usage("svc0", nil)
	if got.Total.Records != 1 || got.Pruned.Records != 1 || !got.Total.Charged.IsPositive() {
		t.Errorf("after pruning: total %v, pruned %v", got.Total, got.Pruned)
	}
}

// TestMigrateRetention: a version-1 state (rows without epoch indexes,
// params without retention) is indexed and given the default retention,
// and its old rows are then pruned.
func TestMigrateRetention(t *testing.T) {
	e := newEconomy(t, 2, 2)
	noErr(t, e.setParams(func(p *types.Params) { p.AuditProbability = math.LegacyZeroDec() }))
	for range 3 {
		e.epoch(3)
	}
	e.drawDue()
	// What version 1 held: no indexes, no retention params.
	noErr(t, e.k.RecordsByEpoch.Clear(e.ctx, nil))
	noErr(t, e.k.ReportsByEpoch.Clear(e.ctx, nil))
	noErr(t, e.k.EarningsByEpoch.Clear(e.ctx, nil))
	p, err := e.k.GetParams(e.ctx)
	noErr(t, err)
	p.RetentionEpochs, p.PrunePerBlock = 0, 0
	noErr(t, e.k.Params.Set(e.ctx, p))
	before := e.usage("svc0", nil).Total

	noErr(t, e.k.MigrateRetention(e.ctx))
	p, err = e.k.GetParams(e.ctx)
	noErr(t, err)
	if p.RetentionEpochs != types.DefaultParams().RetentionEpochs || p.PrunePerBlock != types.DefaultParams().PrunePerBlock {
		t.Errorf("migrated params: retention %d, prune_per_block %d", p.RetentionEpochs, p.PrunePerBlock)
	}
	noErr(t, p.Validate())
	e.sharers.epoch.Number += p.RetentionEpochs + 10
	st, err := e.k.Prune(e.ctx)
	noErr(t, err)
	rec, rep, earn := e.rows()
	if st.Records != 12 || st.Reports != 6 || rec+rep+earn != 0 {
		t.Errorf("after migrating, pruned %+v and left %d records, %d reports, %d earnings rows", st, rec, rep, earn)
	}
	sameSum(t, "total after migrating and pruning", e.usage("svc0", nil).Total, before)
}

// TestPrunedRowsAreEmittedWhole: every usage record and earnings row the
// retention window prunes is emitted whole, once, in the block that prunes
// it (EventRecordPruned, EventEarningsPruned), equal to the row as state
// last held it: a node's event index keeps the history that state drops.
func TestPrunedRowsAreEmittedWhole(t *testing.T) {
	e := newEconomy(t, 2, 1)
	noErr(t, e.setParams(func(p *types.Params) {
		p.RetentionEpochs = 6
		p.AuditProbability = math.LegacyZeroDec()
	}))
	svc := e.svcs[0]
	written := map[string]types.UsageRecord{} // epoch/lease → the record as last read from state
	earned := map[string]types.Earnings{}     // sharer/epoch
	var pruned []types.UsageRecord
	var prunedEarnings []types.Earnings
	e.afterBlock = func() {
		for _, ev := range events[*types.EventRecordPruned](e.fixture) {
			if ev.Service != ev.Record.Service || ev.Epoch != ev.Record.Epoch {
				t.Fatalf("event names %s epoch %d for a record of %s epoch %d", ev.Service, ev.Epoch, ev.Record.Service, ev.Record.Epoch)
			}
			pruned = append(pruned, ev.Record)
		}
		for _, ev := range events[*types.EventEarningsPruned](e.fixture) {
			if ev.Sharer != ev.Earnings.Sharer || ev.Epoch != ev.Earnings.Epoch {
				t.Fatalf("event names %s epoch %d for earnings of %s epoch %d", ev.Sharer, ev.Epoch, ev.Earnings.Sharer, ev.Earnings.Epoch)
			}
			prunedEarnings = append(prunedEarnings, ev.Earnings)
		}
	}
	for range 20 {
		n := e.epoch(10)
		// Read back what is still in state of the last few epochs, so each
		// record's last state (its audit released) is what is compared.
		for ep := n - min(n-1, 4); ep <= n; ep++ {
			for _, r := range e.usage(svc, func(q *types.QueryServiceUsageRequest) { q.HasEpoch, q.Epoch = true, ep }).Records {
				written[fmt.Sprintf("%d/%d", r.Epoch, r.LeaseId)] = r
			}
			for _, s := range e.names {
				res, err := e.query.SharerEarnings(e.ctx, &types.QuerySharerEarningsRequest{Sharer: e.addr(s), By: "epoch"})
				noErr(t, err)
				for _, row := range res.Sums {
					if row.Epoch == ep {
						earned[fmt.Sprintf("%s/%d", row.Sharer, row.Epoch)] = row
					}
				}
			}
		}
	}
	got := e.usage(svc, nil)
	if len(pruned) == 0 || uint64(len(pruned)) != got.Pruned.Records {
		t.Fatalf("%d records emitted as pruned; the chain counts %d pruned", len(pruned), got.Pruned.Records)
	}
	seen := map[string]bool{}
	for _, r := range pruned {
		k := fmt.Sprintf("%d/%d", r.Epoch, r.LeaseId)
		if seen[k] {
			t.Fatalf("record %s emitted twice", k)
		}
		seen[k] = true
		w, ok := written[k]
		if !ok {
			t.Fatalf("pruned record %s was never read from state", k)
		}
		wb, err := w.Marshal()
		noErr(t, err)
		rb, err := r.Marshal()
		noErr(t, err)
		if string(wb) != string(rb) {
			t.Fatalf("record %s emitted as\n %v\nstate held\n %v", k, r, w)
		}
	}
	if len(prunedEarnings) == 0 {
		t.Fatal("no earnings row emitted as pruned")
	}
	for _, row := range prunedEarnings {
		w, ok := earned[fmt.Sprintf("%s/%d", row.Sharer, row.Epoch)]
		if !ok || !w.Usage.Equal(row.Usage) || !w.Rent.Equal(row.Rent) {
			t.Fatalf("earnings of %s in epoch %d emitted as %v; state held %v", row.Sharer, row.Epoch, row, w)
		}
	}
}
