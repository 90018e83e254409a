package keeper_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"cosmossdk.io/collections"

	abci "github.com/cometbft/cometbft/abci/types"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/quantum1net/q1/x/usage/types"
)

// threeEpochs ends epochs 0 (heights 1-10), 1 (11-20) and 2 (21-30); epoch
// 3 is current.
func (f *fixture) threeEpochs() {
	f.sharers.advance(10)
	f.sharers.advance(20)
	f.sharers.advance(30)
	f.ctx = f.ctx.WithBlockHeight(31)
}

func TestUsageReport(t *testing.T) {
	f := newFixture(t)
	f.sharer("s1")
	f.lease(1, "s1", 5, 0)
	f.lease(2, "s1", 12, 25)
	f.threeEpochs()

	entries := []types.UsageEntry{
		{LeaseId: 1, Requests: 100, Fuel: 250 * fuelPerMs, EgressBytes: 4096},
		{LeaseId: 2, Requests: 7, Fuel: 9 * fuelPerMs, EgressBytes: 10},
	}
	noErr(t, f.report("s1", 2, entries...))
	r, err := f.k.GetReport(f.ctx, f.addr("s1"), 2)
	noErr(t, err)
	if r.Height != 31 || len(r.Entries) != 2 || r.Entries[0].Requests != 100 {
		t.Errorf("stored report: %+v", r)
	}
	if len(f.sharers.heartbeats) != 1 || f.sharers.sharers[f.addr("s1")].LastReportedEpoch != 2 {
		t.Errorf("heartbeat not recorded: %v", f.sharers.heartbeats)
	}
	var ev *types.EventUsageReported
	for _, e := range f.ctx.EventManager().Events() {
		if m, err := sdk.ParseTypedEvent(abci.Event(e)); err == nil {
			if v, ok := m.(*types.EventUsageReported); ok {
				ev = v
			}
		}
	}
	if ev == nil || ev.Entries != 2 || ev.Requests != 107 || ev.CpuMillis != 259 || ev.EgressBytes != 4106 {
		t.Errorf("EventUsageReported: %+v", ev)
	}
	// An empty report is a heartbeat too, and older epochs in the window
	// are still accepted.
	noErr(t, f.report("s1", 0))
	resp, err := f.query.Reports(f.ctx, &types.QueryReportsRequest{Sharer: f.addr("s1")})
	noErr(t, err)
	if len(resp.Reports) != 2 || resp.Reports[0].Epoch != 0 || resp.Reports[1].Epoch != 2 {
		t.Errorf("reports query: %+v", resp.Reports)
	}
}

func TestUsageReportRefused(t *testing.T) {
	f := newFixture(t)
	f.sharer("s1")
	f.sharer("s2")
	f.lease(1, "s1", 5, 0)
	f.lease(2, "s2", 5, 0)
	f.lease(3, "s1", 22, 0) // placed in epoch 2
	f.lease(4, "s1", 2, 8)  // closed in epoch 0
	f.lease(5, "s2", 45, 0) // placed in epoch 4
	f.threeEpochs()
	noErr(t, f.report("s1", 2))
	f.sharers.advance(40)
	f.sharers.advance(50) // current epoch 5: window covers epochs 2-4
	f.ctx = f.ctx.WithBlockHeight(51)

	for _, tc := range []struct {
		name    string
		sharer  string
		epoch   uint64
		entries []types.UsageEntry
		want    []string
	}{
		{"current epoch", "s1", 5, nil, []string{"epoch 5 has not ended yet (it began at height 51); report it once the next epoch begins"}},
		{"future epoch", "s1", 9, nil, []string{"epoch 9 is in the future: the current epoch is 5"}},
		{"older than the window", "s1", 1, nil,
			[]string{"epoch 1 ended more than 3 epochs ago (params.report_window_epochs); the current epoch is 5, so reports are accepted for epochs 2 to 4"}},
		{"duplicate", "s1", 2, nil, []string{"sharer " + f.addr("s1") + " already reported epoch 2 (at height 31); one report per sharer and epoch"}},
		{"not a sharer", "stranger", 3, nil, []string{"is not a registered sharer"}},
		{"entries out of order", "s1", 4, []types.UsageEntry{{LeaseId: 3}, {LeaseId: 1}},
			[]string{"entries[1]: lease 1 comes after lease 3; list entries in ascending lease id order, each lease once"}},
		{"lease twice", "s1", 4, []types.UsageEntry{{LeaseId: 1}, {LeaseId: 1}}, []string{"entries[1]: lease 1 comes after lease 1"}},
		{"bad address", "", 4, nil, []string{`sharer: account address is empty`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sharer := f.addr(tc.sharer)
			if tc.sharer == "" {
				sharer = ""
			}
			msg := &types.MsgUsageReport{Sharer: sharer, Epoch: tc.epoch, Entries: rooted(tc.entries)}
			err := f.tx(func(ctx context.Context) error {
				_, err := f.msgs.UsageReport(ctx, msg)
				return err
			})
			wantErr(t, err, tc.want...)
		})
	}
	t.Run("too many entries", func(t *testing.T) {
		p := types.DefaultParams()
		p.MaxEntriesPerReport = 1
		noErr(t, f.tx(func(ctx context.Context) error {
			_, err := f.msgs.UpdateParams(ctx, &types.MsgUpdateParams{Authority: f.k.Authority(), Params: p})
			return err
		}))
		wantErr(t, f.report("s1", 4, types.UsageEntry{LeaseId: 1}, types.UsageEntry{LeaseId: 3}),
			"the report has 2 entries; at most 1 are allowed (params.max_entries_per_report)")
	})
	// A lease placed in an earlier epoch and still open is accepted.
	noErr(t, f.report("s1", 3, types.UsageEntry{LeaseId: 3}))
}

// TestOneBadEntryDoesNotSinkTheReport: an entry for a lease that does
// not exist, that another sharer holds, or that was not open during the
// epoch is charged nothing and says why; the report and its other entries
// are accepted (the report is the sharer's heartbeat).
func TestOneBadEntryDoesNotSinkTheReport(t *testing.T) {
	f := newFixture(t)
	f.service("hello", 1_000_000, svcOpts{})
	f.sharer("s1")
	f.sharer("s2")
	f.lease(1, "s1", 5, 0)
	f.lease(2, "s2", 5, 0)
	f.lease(4, "s1", 2, 8)  // closed in epoch 0
	f.lease(5, "s1", 45, 0) // placed in epoch 4
	f.threeEpochs()
	f.sharers.advance(40)
	f.sharers.advance(50)
	f.ctx = f.ctx.WithBlockHeight(51)
	resp, err := f.reportResp("s1", 3,
		types.UsageEntry{LeaseId: 1}, types.UsageEntry{LeaseId: 2, Requests: 1000},
		types.UsageEntry{LeaseId: 4, Requests: 1000}, types.UsageEntry{LeaseId: 5, Requests: 1000},
		types.UsageEntry{LeaseId: 99, Requests: 1000})
	noErr(t, err)
	var refused []string
	for _, r := range resp.Refused {
		refused = append(refused, r.Reason)
	}
	want := []string{
		"entries[1]: lease 2 is held by " + f.addr("s2") + ", not " + f.addr("s1") + ": nothing is charged for it",
		"entries[4]: lease 99 does not exist (or closed long enough ago to be pruned): nothing is charged for it",
	}
	if !slices.Equal(refused, want) {
		t.Errorf("refused:\n%q\nwant\n%q", refused, want)
	}
	if has, _ := f.k.HasReport(f.ctx, f.raw("s1"), 3); !has {
		t.Fatal("the report was not stored")
	}
	for lease, detail := range map[uint64]string{
		4: "lease 4 was not open during epoch 3 (heights 31-40): placed at height 2, closed at height 8 (0: open); nothing is charged for it",
		5: "lease 5 was not open during epoch 3 (heights 31-40): placed at height 45, closed at height 0 (0: open)",
	} {
		r := f.record("hello", 3, lease)
		if !slices.Equal(capKinds(r), []string{types.CapNotOpen}) || !strings.Contains(r.Caps[0].Detail, detail) || !r.Charged.IsZero() {
			t.Errorf("lease %d record: %+v, want a not_open cap saying %q", lease, r, detail)
		}
	}
	if _, err := f.k.Records.Get(f.ctx, collections.Join3("hello", uint64(3), uint64(2))); err == nil {
		t.Error("an entry naming another sharer's lease wrote a record under it")
	}
}

func TestUpdateParams(t *testing.T) {
	f := newFixture(t)
	run := func(authority string, p types.Params) error {
		return f.tx(func(ctx context.Context) error {
			_, err := f.msgs.UpdateParams(ctx, &types.MsgUpdateParams{Authority: authority, Params: p})
			return err
		})
	}
	p := types.DefaultParams()
	p.ReportWindowEpochs = 5
	wantErr(t, run(f.addr("mallory"), p), "not the authority")
	bad := p
	bad.ReportWindowEpochs = 65
	wantErr(t, run(f.k.Authority(), bad), "params.report_window_epochs: must be between 1 and 64, got 65")
	noErr(t, run(f.k.Authority(), p))
	got, err := f.query.Params(f.ctx, &types.QueryParamsRequest{})
	noErr(t, err)
	if got.Params.ReportWindowEpochs != 5 {
		t.Errorf("params %+v", got.Params)
	}
}

func TestGenesisRoundTrip(t *testing.T) {
	f := newFixture(t)
	f.sharer("s1")
	f.threeEpochs()
	noErr(t, f.report("s1", 1))
	noErr(t, f.report("s1", 2))
	gs, err := f.k.ExportGenesis(f.ctx)
	noErr(t, err)
	if len(gs.Reports) != 2 {
		t.Fatalf("exported %d reports", len(gs.Reports))
	}
	g := newFixture(t)
	noErr(t, g.k.InitGenesis(g.ctx, gs))
	again, err := g.k.ExportGenesis(g.ctx)
	noErr(t, err)
	if len(again.Reports) != 2 || again.Reports[1].Epoch != 2 || again.Reports[1].Height != 31 {
		t.Errorf("round trip: %+v", again)
	}
	gs.Reports = append(gs.Reports, gs.Reports[0])
	wantErr(t, gs.Validate(), "reports epoch 1 twice")
}
