package keeper_test

import (
	"context"
	"crypto/sha256"
	"strings"
	"testing"
	"time"

	"cosmossdk.io/core/address"
	storetypes "cosmossdk.io/store/types"
	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	"github.com/cosmos/cosmos-sdk/runtime"
	"github.com/cosmos/cosmos-sdk/testutil"
	sdk "github.com/cosmos/cosmos-sdk/types"
	moduletestutil "github.com/cosmos/cosmos-sdk/types/module/testutil"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	q1address "github.com/quantum1net/q1/core/address"
	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
	"github.com/quantum1net/q1/x/usage"
	"github.com/quantum1net/q1/x/usage/keeper"
	"github.com/quantum1net/q1/x/usage/types"
)

// fixture is a usage keeper on an in-memory store over a fake x/sharers.
type fixture struct {
	t        *testing.T
	ctx      sdk.Context
	k        *keeper.Keeper
	msgs     types.MsgServer
	query    types.QueryServer
	sharers  *fakeSharers
	services *fakeServices
	ac       address.Codec
	commit   func() // commits the store, as the end of a block does
	key      *storetypes.KVStoreKey
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	key := storetypes.NewKVStoreKey(types.StoreKey)
	tc := testutil.DefaultContextWithDB(t, key, storetypes.NewTransientStoreKey("transient_test"))
	enc := moduletestutil.MakeTestEncodingConfig(usage.AppModuleBasic{})
	ac := addresscodec.NewBech32Codec(q1address.AccountPrefix)
	authority, err := ac.BytesToString(authtypes.NewModuleAddress("gov"))
	if err != nil {
		t.Fatal(err)
	}
	fs := newFakeSharers()
	svc := newFakeServices(fs)
	fs.bank = svc
	k := keeper.NewKeeper(enc.Codec, runtime.NewKVStoreService(key), ac, fs, svc, svc, authtypes.FeeCollectorName, authority)
	svc.leaseHook, svc.svcHook, svc.owed = k.SharersHooks(), k.ServicesHooks(), k.EscrowOwed
	f := &fixture{
		t: t, ctx: tc.Ctx.WithBlockHeight(1).WithBlockTime(genesisTime), k: k, sharers: fs, services: svc, ac: ac, key: key,
		msgs: keeper.NewMsgServerImpl(k), query: keeper.NewQueryServerImpl(k),
	}
	f.commit = func() { tc.CMS.Commit() }
	svc.height = func() (int64, time.Time) { return f.ctx.BlockHeight(), f.ctx.BlockTime() }
	if err := k.InitGenesis(f.ctx, types.DefaultGenesis()); err != nil {
		t.Fatal(err)
	}
	return f
}

// genesisTime is the block time at height 1.
var genesisTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// addr returns the q1 address of the account called name.
func (f *fixture) addr(name string) string {
	s, err := f.ac.BytesToString(f.raw(name))
	if err != nil {
		f.t.Fatal(err)
	}
	return s
}

func (f *fixture) raw(name string) sdk.AccAddress {
	sum := sha256.Sum256([]byte(name))
	return sdk.AccAddress(sum[:20])
}

// sharer registers name, with name+"-hot" as its hot key.
func (f *fixture) sharer(name string) {
	f.sharers.sharers[f.addr(name)] = sharerstypes.Sharer{
		Address: f.addr(name), HotKey: f.addr(name + "-hot"), Status: sharerstypes.SharerActive,
	}
}

// lease gives sharer name lease id, placed at height placed and closed at
// closed (0: open).
func (f *fixture) lease(id uint64, name string, placed, closed int64) {
	f.sharers.leases[id] = sharerstypes.Lease{Id: id, Service: "hello", Sharer: f.addr(name), PlacedHeight: placed, ClosedHeight: closed}
}

// tx runs fn on a cached store written only when it succeeds.
func (f *fixture) tx(fn func(ctx context.Context) error) error {
	f.ctx = f.ctx.WithEventManager(sdk.NewEventManager())
	cache, write := f.ctx.CacheContext()
	if err := fn(cache); err != nil {
		return err
	}
	write()
	return nil
}

func (f *fixture) report(name string, epoch uint64, entries ...types.UsageEntry) error {
	msg := &types.MsgUsageReport{Sharer: f.addr(name), Epoch: epoch, Entries: rooted(entries)}
	return f.tx(func(ctx context.Context) error {
		_, err := f.msgs.UsageReport(ctx, msg)
		return err
	})
}

// wantErr fails unless err is non-nil and contains every one of parts.
func wantErr(t *testing.T, err error, parts ...string) {
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

func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

// fuelPerMs is the fuel that bills one CPU millisecond at the default
// params.fuel_per_core_second.
const fuelPerMs = types.DefaultFuelPerCoreSecond / 1000

// rooted gives every entry that claims usage but names no receipts a
// well-formed root: one receipt per request, at least one, and a root hash
// derived from the lease (no tree behind it: audits of such entries cannot
// be proven, so tests that audit build real trees instead).
func rooted(entries []types.UsageEntry) []types.UsageEntry {
	out := make([]types.UsageEntry, len(entries))
	for i, e := range entries {
		if e.Receipts == 0 && (e.Requests != 0 || e.Fuel != 0 || e.EgressBytes != 0) {
			e.Receipts = max(e.Requests, 1)
			h := sha256.Sum256([]byte{byte(e.LeaseId), byte(e.LeaseId >> 8), 'r'})
			e.ReceiptsRoot = h[:]
		}
		out[i] = e
	}
	return out
}

// drawDue moves on params.sample_delay_blocks blocks of a second and ends
// that block: the entries reported before are drawn.
func (f *fixture) drawDue() {
	f.t.Helper()
	p, err := f.k.GetParams(f.ctx)
	noErr(f.t, err)
	f.wait(int64(p.SampleDelayBlocks), time.Second)
	f.endBlock()
}
