package keeper_test

import (
	"context"
	"testing"

	"cosmossdk.io/math"

	"github.com/quantum1net/q1/x/sharers/types"
)

func TestRegisterSharer(t *testing.T) {
	f := newFixture(t)
	noErr(t, f.register("s1", offer{}))
	s := f.sharer("s1")
	if s.Status != types.SharerActive || s.Draining || s.Endpoint != "https://s1.example.com:8443" || s.HotKey != f.addr("s1-hot") {
		t.Errorf("record: %+v", s)
	}
	if !s.Collateral.Equal(math.NewInt(2_000_000)) || f.moduleBalance() != 2_000_000 || f.balance("s1") != 98_000_000 {
		t.Errorf("collateral %s, module holds %d, sharer holds %d", s.Collateral, f.moduleBalance(), f.balance("s1"))
	}
	if s.LastReportedEpoch != 0 || s.RegisteredHeight != startHeight {
		t.Errorf("liveness fields: %+v", s)
	}
	if ev := event[*types.EventSharerRegistered](f); len(ev) != 1 || ev[0].Sharer != f.addr("s1") || !ev[0].Collateral.Equal(math.NewInt(2_000_000)) {
		t.Errorf("EventSharerRegistered: %v", ev)
	}
	f.checkInvariants()
}

func TestRegisterSharerRefused(t *testing.T) {
	f := newFixture(t)
	noErr(t, f.register("taken", offer{}))
	p := testParams()
	for _, tc := range []struct {
		name       string
		sharer     string
		mod        func(*types.Offer)
		collateral int64
		want       []string
	}{
		{"collateral below minimum", "a", nil, 999_999,
			[]string{"registering needs at least 1000000uqc of collateral (params.min_collateral)", "offers 999999uqc"}},
		{"negative collateral", "a", nil, -1, []string{"collateral must be zero or more uqc, got -1"}},
		{"more collateral than held", "a", nil, 200_000_000, []string{"lock 200000000uqc of collateral from", "insufficient funds"}},
		{"already registered", "taken", nil, 2_000_000, []string{"is already registered (since height 1); change its offer with MsgUpdateSharer"}},
		{"bad hot key", "a", func(o *types.Offer) { o.HotKey = "cosmos1xyz" }, 2_000_000,
			[]string{"offer.hot_key", "is not a Quantum1Net account address", "the hot key is the node's account"}},
		{"bad denied owner", "a", func(o *types.Offer) { o.Deny.Owners = []string{"nobody"} }, 2_000_000,
			[]string{`offer.deny.owners[0]: "nobody" is not a Quantum1Net account address`}},
		{"zero memory", "a", func(o *types.Offer) { o.Capacity.MemoryBytes = 0 }, 2_000_000,
			[]string{"capacity.memory_bytes is 0; offer between"}},
		{"zero price", "a", func(o *types.Offer) { o.Prices.CpuPerCoreSecond = 0 }, 2_000_000,
			[]string{"prices.cpu_per_core_second is 0uqc"}},
		{"bad attribute", "a", func(o *types.Offer) { o.Attributes = []types.Attribute{{Key: "Region", Value: "eu"}} }, 2_000_000,
			[]string{`attribute key "Region"`}},
		{"query in endpoint", "a", func(o *types.Offer) { o.Endpoint = "https://a.example.com/?token=1" }, 2_000_000,
			[]string{"must not have a query"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := f.offerOf(tc.sharer, offer{})
			if tc.mod != nil {
				tc.mod(&o)
			}
			f.addr(tc.sharer) // funds it
			before := f.balance(tc.sharer)
			wantErr(t, f.registerWith(tc.sharer, o, tc.collateral), tc.want...)
			if f.balance(tc.sharer) != before {
				t.Errorf("balance changed on refusal")
			}
		})
	}
	t.Run("private endpoint only where the parameter allows", func(t *testing.T) {
		p.AllowPrivateEndpoints = false
		g := newFixtureWith(t, p)
		wantErr(t, g.register("a", offer{endpoint: "http://127.0.0.1:8080"}),
			"127.0.0.1 is a loopback address", "only devnets set params.allow_private_endpoints")
		wantErr(t, g.register("a", offer{endpoint: "http://node.localhost:8080"}), "node.localhost names this machine")
		noErr(t, f.register("a", offer{endpoint: "http://127.0.0.1:8080"})) // f runs devnet params
	})
	f.checkInvariants()
}

func TestUpdateSharer(t *testing.T) {
	f := newFixture(t)
	f.mustRegister(offer{}, "s1")
	f.create(spec{name: "hello", replicas: 1})
	f.endBlock()

	o := f.offerOf("s1", offer{memMiB: 2048, region: "us"})
	o.Endpoint = "https://new.example.com"
	noErr(t, f.update("s1", o, false))
	s := f.sharer("s1")
	if s.Endpoint != "https://new.example.com" || s.Capacity.MemoryBytes != 2048<<20 || s.Attributes[0].Value != "us" {
		t.Errorf("offer not replaced: %+v", s)
	}
	if ev := event[*types.EventSharerUpdated](f); len(ev) != 1 || ev[0].Endpoint != "https://new.example.com" {
		t.Errorf("EventSharerUpdated: %v", ev)
	}

	t.Run("capacity may not shrink below what leases reserve", func(t *testing.T) {
		small := f.offerOf("s1", offer{memMiB: 32})
		wantErr(t, f.update("s1", small, false),
			"capacity.memory_bytes 33554432 is below the 67108864 its 1 open leases reserve", "set drain")
		cpu := f.offerOf("s1", offer{cpu: 100})
		wantErr(t, f.update("s1", cpu, false), "capacity.milli_cpu 100 is below the 500")
	})
	t.Run("unknown sharer", func(t *testing.T) {
		wantErr(t, f.update("nobody", o, false), "is not a registered sharer; register it with MsgRegisterSharer")
	})
	f.checkInvariants()
}

func TestDeregisterSharer(t *testing.T) {
	f := newFixture(t)
	f.mustRegister(offer{}, "s1", "s2")
	f.create(spec{name: "hello", replicas: 1})
	f.endBlock()
	holder := f.holders("hello")[0]
	other := map[string]string{"s1": "s2", "s2": "s1"}[holder]

	wantErr(t, f.deregister(holder), "holds 1 open leases; send MsgUpdateSharer with drain set")

	// Draining moves the replica at the next EndBlock; until then the
	// refusal says it is on its way.
	noErr(t, f.update(holder, f.offerOf(holder, offer{}), true))
	wantErr(t, f.deregister(holder), "is draining but still holds 1 open leases")
	f.endBlock()
	if got := f.holders("hello"); len(got) != 1 || got[0] != other {
		t.Fatalf("after draining %s, hello is on %v, want [%s]", holder, got, other)
	}
	noErr(t, f.deregister(holder))
	s := f.sharer(holder)
	if s.Status != types.SharerDeregistered || !s.Collateral.Equal(math.NewInt(2_000_000)) {
		t.Errorf("deregistered record: %+v", s)
	}
	wantErr(t, f.deregister(holder), "deregistered at height", "register it again")
	wantErr(t, f.update(holder, f.offerOf(holder, offer{}), false), "deregistered at height")

	// Everything can be withdrawn now, and the record goes with it.
	noErr(t, f.withdrawCollateral(holder, 2_000_000))
	if _, err := f.k.GetSharer(f.ctx, f.addr(holder)); err == nil {
		t.Error("the record of a deregistered sharer without collateral is kept")
	}
	if f.balance(holder) != 100_000_000 {
		t.Errorf("%s holds %d after withdrawing everything", holder, f.balance(holder))
	}
	noErr(t, f.register(holder, offer{}))
	f.checkInvariants()
}

func TestCollateral(t *testing.T) {
	f := newFixture(t)
	f.mustRegister(offer{}, "s1")

	noErr(t, f.addCollateral("s1", 3_000_000))
	if got := f.sharer("s1").Collateral; !got.Equal(math.NewInt(5_000_000)) || f.moduleBalance() != 5_000_000 {
		t.Fatalf("collateral %s, module %d", got, f.moduleBalance())
	}
	if ev := event[*types.EventCollateralAdded](f); len(ev) != 1 || !ev[0].Collateral.Equal(math.NewInt(5_000_000)) {
		t.Errorf("EventCollateralAdded: %v", ev)
	}
	wantErr(t, f.addCollateral("s1", 0), "amount of collateral to add must be positive, got 0")
	wantErr(t, f.addCollateral("nobody", 1), "is not a registered sharer")

	// Registered: only what is above params.min_collateral (1 QC).
	wantErr(t, f.withdrawCollateral("s1", 4_000_001),
		"holds 5000000uqc of collateral, 1000000uqc of it locked (params.min_collateral while registered)",
		"it can withdraw at most 4000000uqc now, not 4000001uqc (deregister to withdraw everything)")
	noErr(t, f.withdrawCollateral("s1", 1_000_000))
	if ev := event[*types.EventCollateralWithdrawn](f); len(ev) != 1 || !ev[0].Collateral.Equal(math.NewInt(4_000_000)) {
		t.Errorf("EventCollateralWithdrawn: %v", ev)
	}
	wantErr(t, f.withdrawCollateral("s1", -5), "must be positive, got -5")

	// A hosted service's placement.minCollateral locks more.
	f.create(spec{name: "rich", minCollateral: "3.5QC"})
	f.endBlock()
	if len(f.leases("rich")) != 1 {
		t.Fatalf("rich not placed: %s", f.placement("rich").State.Explanation)
	}
	wantErr(t, f.withdrawCollateral("s1", 600_000),
		"3500000uqc of it locked (placement.minCollateral of service rich, which it hosts (lease 1))", "at most 500000uqc")
	noErr(t, f.withdrawCollateral("s1", 500_000))
	f.checkInvariants()
}

func TestUpdateParams(t *testing.T) {
	f := newFixture(t)
	gov := f.k.Authority()
	p := testParams()
	p.EpochBlocks = 30
	run := func(authority string, p types.Params) error {
		return f.tx(func(ctx context.Context) error {
			_, err := f.msgs.UpdateParams(ctx, &types.MsgUpdateParams{Authority: authority, Params: p})
			return err
		})
	}
	wantErr(t, run(f.addr("mallory"), p), "not the authority", "the parameters change only through governance")
	bad := p
	bad.OfflineAfterEpochs = 0
	wantErr(t, run(gov, bad), "params.offline_after_epochs: must be between 1 and 64")
	noErr(t, run(gov, p))
	if got, _ := f.k.GetParams(f.ctx); got.EpochBlocks != 30 {
		t.Errorf("epoch_blocks = %d after update", got.EpochBlocks)
	}
	f.mustRegister(offer{}, "s1")
	other := p
	other.Denom = "stake"
	wantErr(t, run(gov, other), "params.denom cannot change from uqc to stake: 2000000uqc of collateral is held")
}
