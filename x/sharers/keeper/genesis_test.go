package keeper_test

import (
	"testing"

	"cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"
	moduletestutil "github.com/cosmos/cosmos-sdk/types/module/testutil"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/quantum1net/q1/x/sharers"
	"github.com/quantum1net/q1/x/sharers/types"
)

func TestGenesisRoundTrip(t *testing.T) {
	f := newFixture(t)
	scenario(f, []string{"s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8"})
	f.create(spec{name: "late"}) // still queued
	gs, err := f.k.ExportGenesis(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := gs.Validate(); err != nil {
		t.Fatalf("exported genesis does not validate: %v", err)
	}
	if len(gs.Queue) != 1 || gs.Queue[0] != "late" {
		t.Errorf("queue %v, want [late]", gs.Queue)
	}

	g := newFixture(t)
	g.ctx = g.ctx.WithBlockHeight(f.ctx.BlockHeight()).WithBlockTime(f.ctx.BlockTime())
	g.services = f.services
	collateral := math.ZeroInt()
	for _, s := range gs.Sharers {
		collateral = collateral.Add(s.Collateral)
	}
	g.bank.mint(authtypes.NewModuleAddress(types.ModuleName), sdk.NewCoins(sdk.NewCoin(denom, collateral)))
	g.k = newKeeperOn(t, g)
	if err := g.k.InitGenesis(g.ctx, gs); err != nil {
		t.Fatal(err)
	}
	g.checkInvariants()
	again, err := g.k.ExportGenesis(g.ctx)
	if err != nil {
		t.Fatal(err)
	}
	cdc := moduletestutil.MakeTestEncodingConfig(sharers.AppModuleBasic{}).Codec
	if a, b := cdc.MustMarshalJSON(gs), cdc.MustMarshalJSON(again); string(a) != string(b) {
		t.Fatalf("export after import differs:\n%s\nwant:\n%s", b, a)
	}
}

func TestDefaultGenesis(t *testing.T) {
	gs := types.DefaultGenesis()
	if err := gs.Validate(); err != nil {
		t.Fatal(err)
	}
	f := newFixture(t)
	cur, err := f.k.CurrentEpoch(f.ctx)
	if err != nil || cur.Number != 0 || cur.StartHeight != 1 {
		t.Fatalf("epoch after default genesis: %+v %v", cur, err)
	}
}

func TestGenesisRefused(t *testing.T) {
	f := newFixture(t)
	f.mustRegister(offer{}, "s1", "s2")
	f.create(spec{name: "hello", replicas: 2})
	f.endBlock()
	base, err := f.k.ExportGenesis(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	clone := func() *types.GenesisState {
		cdc := moduletestutil.MakeTestEncodingConfig(sharers.AppModuleBasic{}).Codec
		var gs types.GenesisState
		cdc.MustUnmarshalJSON(cdc.MustMarshalJSON(base), &gs)
		return &gs
	}
	for _, tc := range []struct {
		name string
		mod  func(*types.GenesisState)
		want string
	}{
		{"bad params", func(gs *types.GenesisState) { gs.Params.EpochBlocks = 0 }, "params.epoch_blocks"},
		{"next lease id", func(gs *types.GenesisState) { gs.NextLeaseId = 0 }, "next_lease_id: must be at least 1"},
		{"sharer twice", func(gs *types.GenesisState) { gs.Sharers = append(gs.Sharers, gs.Sharers[0]) }, "is listed twice"},
		{"bad address", func(gs *types.GenesisState) { gs.Sharers[0].Address = "cosmos1abc" }, "sharers[0]: address"},
		{"used mismatch", func(gs *types.GenesisState) { gs.Sharers[0].Used.MemoryBytes++ }, "but its open leases reserve"},
		{"lease id too high", func(gs *types.GenesisState) { gs.Leases[0].Id = gs.NextLeaseId }, "must be between 1 and next_lease_id-1"},
		{"replica twice", func(gs *types.GenesisState) { gs.Leases[1].Replica = gs.Leases[0].Replica }, "has two open leases"},
		{"lease on a stranger", func(gs *types.GenesisState) { gs.Leases[0].Sharer = f.addr("nobody") }, "which is not a registered sharer"},
		{"queued twice", func(gs *types.GenesisState) { gs.Queue = []string{"a", "a"} }, "queue[1]: service a is queued twice"},
		{"epoch from the future", func(gs *types.GenesisState) {
			gs.Epochs = []types.EpochInfo{{Number: gs.Epoch.Number, StartHeight: 1, EndHeight: 2}}
		}, "must have ended before current epoch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gs := clone()
			tc.mod(gs)
			wantErr(t, gs.Validate(), tc.want)
		})
	}
	t.Run("collateral not held by the module account", func(t *testing.T) {
		g := newFixture(t)
		g.k = newKeeperOn(t, g)
		wantErr(t, g.k.InitGenesis(g.ctx, clone()),
			"the sharers module account holds 0uqc but the sharers' collateral adds up to 4000000uqc")
	})
}
