package keeper_test

import (
	"context"
	"crypto/sha256"
	"strings"
	"testing"
	"time"

	"cosmossdk.io/core/address"
	"cosmossdk.io/math"
	storetypes "cosmossdk.io/store/types"
	abci "github.com/cometbft/cometbft/abci/types"
	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	"github.com/cosmos/cosmos-sdk/runtime"
	"github.com/cosmos/cosmos-sdk/testutil"
	sdk "github.com/cosmos/cosmos-sdk/types"
	moduletestutil "github.com/cosmos/cosmos-sdk/types/module/testutil"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	"github.com/cosmos/gogoproto/proto"

	q1address "github.com/quantum1net/q1/core/address"
	"github.com/quantum1net/q1/x/sharers"
	"github.com/quantum1net/q1/x/sharers/keeper"
	"github.com/quantum1net/q1/x/sharers/types"
)

const denom = types.DefaultDenom

// startHeight is the block height every fixture starts at.
const startHeight = 1

// genesisTime is the block time of the first block; each block adds a second.
var genesisTime = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// fixture is a sharers keeper on an in-memory store, with a fake bank that
// really moves balances and a fake services keeper that fires the keeper's
// hooks as x/services would.
type fixture struct {
	t        testing.TB
	ctx      sdk.Context
	tc       testutil.TestContext
	k        *keeper.Keeper
	msgs     types.MsgServer
	query    types.QueryServer
	bank     *fakeBank
	services *fakeServices
	ac       address.Codec
	// last holds the events of the last tx or block.
	last sdk.Events
	// names maps the addresses addr handed out back to their names.
	names map[string]string
	// autoAck makes every sharer acknowledge its new leases right after
	// the block that placed them, as healthy nodes do.
	autoAck bool
}

// testParams are devnet parameters with short epochs and ack timeouts.
func testParams() types.Params {
	p := types.DevnetParams()
	p.EpochBlocks = 10
	p.AckTimeoutBlocks = 5
	p.ClosedLeaseRetentionBlocks = 100
	return p
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	return newFixtureWith(t, testParams())
}

func newFixtureWith(t testing.TB, p types.Params) *fixture {
	t.Helper()
	ac := addresscodec.NewBech32Codec(q1address.AccountPrefix)
	bank := newFakeBank()
	svcs := newFakeServices()
	f := &fixture{
		t: t, ctx: sdk.Context{}.WithBlockHeight(startHeight).WithBlockTime(genesisTime),
		bank: bank, services: svcs, ac: ac, names: map[string]string{}, autoAck: true,
	}
	f.k = newKeeperOn(t, f)
	k := f.k
	gs := types.DefaultGenesis()
	gs.Params = p
	if err := k.InitGenesis(f.ctx, gs); err != nil {
		t.Fatal(err)
	}
	return f
}

// newKeeperOn builds a keeper over a fresh store for f's fakes and points
// f's msg and query servers and the fake services' hooks at it.
func newKeeperOn(t testing.TB, f *fixture) *keeper.Keeper {
	t.Helper()
	key := storetypes.NewKVStoreKey(types.StoreKey)
	tc := testutil.DefaultContextWithDB(t, key, storetypes.NewTransientStoreKey("transient_test"))
	enc := moduletestutil.MakeTestEncodingConfig(sharers.AppModuleBasic{})
	authority, err := f.ac.BytesToString(authtypes.NewModuleAddress("gov"))
	if err != nil {
		t.Fatal(err)
	}
	k := keeper.NewKeeper(enc.Codec, runtime.NewKVStoreService(key), f.ac, fakeAccounts{}, f.bank, f.services, authority)
	f.services.hooks = k.Hooks()
	f.tc = tc
	f.ctx = tc.Ctx.WithBlockHeight(f.ctx.BlockHeight()).WithBlockTime(f.ctx.BlockTime())
	f.msgs, f.query = keeper.NewMsgServerImpl(k), keeper.NewQueryServerImpl(k)
	return k
}

// raw returns the raw address of the account called name.
func (f *fixture) raw(name string) sdk.AccAddress {
	sum := sha256.Sum256([]byte(name))
	return sdk.AccAddress(sum[:20])
}

// addr returns the q1 address of the account called name, funded with
// 100 QC the first time it is asked for.
func (f *fixture) addr(name string) string {
	raw := f.raw(name)
	s, err := f.ac.BytesToString(raw)
	if err != nil {
		f.t.Fatal(err)
	}
	if _, ok := f.bank.balances[string(raw)]; !ok {
		f.bank.mint(raw, sdk.NewCoins(sdk.NewInt64Coin(denom, 100_000_000)))
	}
	f.names[s] = name
	return s
}

// name returns the name of the account at addr.
func (f *fixture) name(addr string) string {
	f.t.Helper()
	n, ok := f.names[addr]
	if !ok {
		f.t.Fatalf("no test account has address %s", addr)
	}
	return n
}

// balance returns what account name holds.
func (f *fixture) balance(name string) int64 {
	return f.bank.balances[string(f.raw(name))].AmountOf(denom).Int64()
}

// moduleBalance returns what the sharers module account holds.
func (f *fixture) moduleBalance() int64 {
	return f.bank.balances[string(authtypes.NewModuleAddress(types.ModuleName))].AmountOf(denom).Int64()
}

// tx runs fn the way baseapp runs a transaction's msg: on a cached store
// (and a snapshot of the fake bank) that is written only when fn succeeds,
// with a fresh event manager whose events f.last then holds.
func (f *fixture) tx(fn func(ctx context.Context) error) error {
	f.ctx = f.ctx.WithEventManager(sdk.NewEventManager())
	cache, write := f.ctx.CacheContext()
	f.bank.begin()
	err := fn(cache)
	f.bank.end(err == nil)
	if err != nil {
		f.last = nil
		return err
	}
	write()
	f.last = f.ctx.EventManager().Events()
	return nil
}

// endBlock runs EndBlock at the current height and moves to the next block,
// a second later.
func (f *fixture) endBlock() {
	f.t.Helper()
	f.ctx = f.ctx.WithEventManager(sdk.NewEventManager())
	if err := f.k.EndBlocker(f.ctx); err != nil {
		f.t.Fatalf("EndBlock at height %d: %v", f.ctx.BlockHeight(), err)
	}
	f.last = f.ctx.EventManager().Events()
	f.ctx = f.ctx.WithBlockHeight(f.ctx.BlockHeight() + 1).WithBlockTime(f.ctx.BlockTime().Add(time.Second))
	if f.autoAck {
		f.ackAll()
	}
}

// ackAll acknowledges every open lease not yet acknowledged, each by its
// sharer, without touching f.last.
func (f *fixture) ackAll() {
	f.t.Helper()
	var due []types.Lease
	err := f.k.Leases.Walk(f.ctx, nil, func(_ uint64, l types.Lease) (bool, error) {
		if l.IsOpen() && !l.IsAcked() {
			due = append(due, l)
		}
		return false, nil
	})
	if err != nil {
		f.t.Fatal(err)
	}
	last := f.last
	for _, l := range due {
		if err := f.ack(f.name(l.Sharer), l.Id); err != nil {
			f.t.Fatalf("ack lease %d: %v", l.Id, err)
		}
	}
	f.last = last
}

// blocks ends n blocks.
func (f *fixture) blocks(n int) {
	f.t.Helper()
	for range n {
		f.endBlock()
	}
}

// offer describes a sharer's offer; zero fields take defaults.
type offer struct {
	cpu, memMiB, storageGiB uint64
	memPrice                uint64
	region                  string
	attrs                   []types.Attribute
	denyServices            []string
	denyOwners              []string
	endpoint                string
}

// offerOf builds the Offer of sharer name from o.
func (f *fixture) offerOf(name string, o offer) types.Offer {
	if o.cpu == 0 {
		o.cpu = 4000
	}
	if o.memMiB == 0 {
		o.memMiB = 1024
	}
	if o.storageGiB == 0 {
		o.storageGiB = 10
	}
	if o.memPrice == 0 {
		o.memPrice = 2
	}
	if o.endpoint == "" {
		o.endpoint = "https://" + name + ".example.com:8443"
	}
	attrs := o.attrs
	if attrs == nil {
		region := o.region
		if region == "" {
			region = "eu"
		}
		attrs = []types.Attribute{{Key: "region", Value: region}}
	}
	owners := make([]string, len(o.denyOwners))
	for i, n := range o.denyOwners {
		owners[i] = f.addr(n)
	}
	return types.Offer{
		Endpoint:   o.endpoint,
		Capacity:   types.Capacity{MilliCpu: o.cpu, MemoryBytes: o.memMiB << 20, StorageBytes: o.storageGiB << 30, EgressBytesPerHour: 10 << 30},
		Attributes: attrs,
		Prices:     types.Prices{CpuPerCoreSecond: 500, MemoryPerMibHour: o.memPrice, StoragePerGibHour: 50, Per_1KRequests: 10, EgressPerGib: 5000},
		Deny:       types.DenyList{Services: o.denyServices, Owners: owners},
		HotKey:     f.addr(name + "-hot"),
	}
}

// register registers sharer name with offer o and 2 QC of collateral.
func (f *fixture) register(name string, o offer) error {
	return f.registerWith(name, f.offerOf(name, o), 2_000_000)
}

func (f *fixture) registerWith(name string, o types.Offer, collateral int64) error {
	msg := &types.MsgRegisterSharer{Sharer: f.addr(name), Offer: o, Collateral: math.NewInt(collateral)}
	return f.tx(func(ctx context.Context) error {
		_, err := f.msgs.RegisterSharer(ctx, msg)
		return err
	})
}

// mustRegister registers each named sharer with offer o.
func (f *fixture) mustRegister(o offer, names ...string) {
	f.t.Helper()
	for _, n := range names {
		if err := f.register(n, o); err != nil {
			f.t.Fatalf("register %s: %v", n, err)
		}
	}
}

func (f *fixture) update(name string, o types.Offer, drain bool) error {
	msg := &types.MsgUpdateSharer{Sharer: f.addr(name), Offer: o, Drain: drain}
	return f.tx(func(ctx context.Context) error {
		_, err := f.msgs.UpdateSharer(ctx, msg)
		return err
	})
}

func (f *fixture) deregister(name string) error {
	msg := &types.MsgDeregisterSharer{Sharer: f.addr(name)}
	return f.tx(func(ctx context.Context) error {
		_, err := f.msgs.DeregisterSharer(ctx, msg)
		return err
	})
}

func (f *fixture) addCollateral(name string, amount int64) error {
	msg := &types.MsgAddCollateral{Sharer: f.addr(name), Amount: math.NewInt(amount)}
	return f.tx(func(ctx context.Context) error {
		_, err := f.msgs.AddCollateral(ctx, msg)
		return err
	})
}

func (f *fixture) withdrawCollateral(name string, amount int64) error {
	msg := &types.MsgWithdrawCollateral{Sharer: f.addr(name), Amount: math.NewInt(amount)}
	return f.tx(func(ctx context.Context) error {
		_, err := f.msgs.WithdrawCollateral(ctx, msg)
		return err
	})
}

func (f *fixture) ack(name string, id uint64) error {
	msg := &types.MsgAckLease{Sharer: f.addr(name), LeaseId: id}
	return f.tx(func(ctx context.Context) error {
		_, err := f.msgs.AckLease(ctx, msg)
		return err
	})
}

// heartbeat records a usage report of sharer name for epoch, as x/usage does.
func (f *fixture) heartbeat(name string, epoch uint64) {
	f.t.Helper()
	err := f.tx(func(ctx context.Context) error { return f.k.RecordHeartbeat(ctx, f.addr(name), epoch) })
	if err != nil {
		f.t.Fatalf("heartbeat of %s for epoch %d: %v", name, epoch, err)
	}
}

// leases returns the open leases of service, by replica.
func (f *fixture) leases(service string) []types.Lease {
	f.t.Helper()
	ls, err := f.k.ActiveLeases(f.ctx, service)
	if err != nil {
		f.t.Fatal(err)
	}
	return ls
}

// holders returns the names of the sharers holding open leases of service,
// in replica order.
func (f *fixture) holders(service string) []string {
	f.t.Helper()
	var out []string
	for _, l := range f.leases(service) {
		out = append(out, f.name(l.Sharer))
	}
	return out
}

// sharer returns sharer name's record.
func (f *fixture) sharer(name string) types.Sharer {
	f.t.Helper()
	s, err := f.k.GetSharer(f.ctx, f.addr(name))
	if err != nil {
		f.t.Fatal(err)
	}
	return s
}

// placement answers the Placement query for service.
func (f *fixture) placement(service string) *types.QueryPlacementResponse {
	f.t.Helper()
	resp, err := f.query.Placement(f.ctx, &types.QueryPlacementRequest{Service: service})
	if err != nil {
		f.t.Fatal(err)
	}
	return resp
}

// checkInvariants fails the test if the keeper's invariants do not hold.
func (f *fixture) checkInvariants() {
	f.t.Helper()
	if err := f.k.CheckInvariants(f.ctx); err != nil {
		f.t.Fatalf("invariant broken at height %d: %v", f.ctx.BlockHeight(), err)
	}
}

// event returns the typed events of type T among the last tx's or block's.
func event[T proto.Message](f *fixture) []T {
	f.t.Helper()
	var out []T
	for _, e := range f.last {
		msg, err := sdk.ParseTypedEvent(abci.Event(e))
		if err != nil {
			continue
		}
		if v, ok := msg.(T); ok {
			out = append(out, v)
		}
	}
	return out
}

// wantErr fails unless err is non-nil and contains every one of parts.
func wantErr(t testing.TB, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one containing %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Fatalf("error %q does not contain %q", err, p)
		}
	}
}

// noErr fails if err is non-nil.
func noErr(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}
