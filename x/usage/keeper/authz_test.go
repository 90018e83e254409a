package keeper_test

import (
	"context"
	"testing"
	"time"

	"cosmossdk.io/core/address"
	storetypes "cosmossdk.io/store/types"
	"cosmossdk.io/x/tx/signing"
	"github.com/cosmos/cosmos-sdk/baseapp"
	"github.com/cosmos/cosmos-sdk/codec"
	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	"github.com/cosmos/cosmos-sdk/runtime"
	"github.com/cosmos/cosmos-sdk/testutil"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	"github.com/cosmos/cosmos-sdk/x/authz"
	authzkeeper "github.com/cosmos/cosmos-sdk/x/authz/keeper"
	"github.com/cosmos/gogoproto/proto"

	"github.com/quantum1net/q1/x/usage/keeper"
	"github.com/quantum1net/q1/x/usage/types"
)

// authzAccounts is the little of x/auth that authz's Exec needs.
type authzAccounts struct{ ac address.Codec }

func (a authzAccounts) AddressCodec() address.Codec                           { return a.ac }
func (authzAccounts) GetAccount(context.Context, sdk.AccAddress) sdk.AccountI { return nil }
func (authzAccounts) NewAccountWithAddress(_ context.Context, addr sdk.AccAddress) sdk.AccountI {
	return authtypes.NewBaseAccountWithAddress(addr)
}
func (authzAccounts) SetAccount(context.Context, sdk.AccountI) {}

// TestReportNeedsTheSharersGrant sends MsgUsageReport the way a node does,
// its hot key wrapping it in an authz MsgExec. The real x/authz keeper and
// msg router decide: a key the sharer did not grant is refused before the
// usage module sees the report (nothing stored, nothing charged); the
// granted hot key's report is accepted.
func TestReportNeedsTheSharersGrant(t *testing.T) {
	f := newFixture(t)
	usageKey := storetypes.NewKVStoreKey(types.StoreKey)
	authzKey := storetypes.NewKVStoreKey(authzkeeper.StoreKey)
	ctx := testutil.DefaultContextWithKeys(
		map[string]*storetypes.KVStoreKey{types.StoreKey: usageKey, authzkeeper.StoreKey: authzKey}, nil, nil)
	f.ctx = ctx.WithBlockHeight(1).WithBlockTime(genesisTime)

	registry, err := codectypes.NewInterfaceRegistryWithOptions(codectypes.InterfaceRegistryOptions{
		ProtoFiles:     proto.HybridResolver,
		SigningOptions: signing.Options{AddressCodec: f.ac, ValidatorAddressCodec: addresscodec.NewBech32Codec("q1valoper")},
	})
	noErr(t, err)
	types.RegisterInterfaces(registry)
	authz.RegisterInterfaces(registry)
	cdc := codec.NewProtoCodec(registry)
	authority, _ := f.ac.BytesToString(authtypes.NewModuleAddress("gov"))
	f.k = keeper.NewKeeper(cdc, runtime.NewKVStoreService(usageKey), f.ac, f.sharers, f.services, f.services, authtypes.FeeCollectorName, authority)
	f.services.leaseHook, f.services.svcHook = f.k.SharersHooks(), f.k.ServicesHooks()
	f.msgs, f.query = keeper.NewMsgServerImpl(f.k), keeper.NewQueryServerImpl(f.k)
	noErr(t, f.k.InitGenesis(f.ctx, types.DefaultGenesis()))

	router := baseapp.NewMsgServiceRouter()
	router.SetInterfaceRegistry(registry)
	types.RegisterMsgServer(router, f.msgs)
	authzK := authzkeeper.NewKeeper(runtime.NewKVStoreService(authzKey), cdc, router, authzAccounts{f.ac})

	f.sharerWith("s1", 1000, 0)
	f.service("hello", 1_000_000, svcOpts{})
	f.acked(1, "s1", "hello", usagePrices, 0)
	f.startEpochNow()
	f.wait(10, time.Second)
	e := f.endEpoch()
	noErr(t, f.tx(func(ctx context.Context) error {
		return authzK.SaveGrant(ctx, f.raw("s1-hot"), f.raw("s1"), authz.NewGenericAuthorization(sdk.MsgTypeURL(&types.MsgUsageReport{})), nil)
	}))
	exec := func(grantee string) error {
		any, err := codectypes.NewAnyWithValue(&types.MsgUsageReport{Sharer: f.addr("s1"), Epoch: e,
			Entries: rooted([]types.UsageEntry{{LeaseId: 1, Requests: 40_000}})})
		if err != nil {
			return err
		}
		return f.tx(func(ctx context.Context) error {
			_, err := authzK.Exec(ctx, &authz.MsgExec{Grantee: f.addr(grantee), Msgs: []*codectypes.Any{any}})
			return err
		})
	}

	wantErr(t, exec("mallory"), "authorization not found")
	if has, _ := f.k.HasReport(f.ctx, f.raw("s1"), e); has {
		t.Fatal("a key the sharer did not grant stored a report")
	}
	wantInt(t, "escrow after the refused report", f.services.escrows["hello"], 1_000_000)
	noErr(t, exec("s1-hot"))
	wantInt(t, "escrow after the granted report", f.services.escrows["hello"], 1_000_000-400)
	// A replay by the granted key is refused too.
	wantErr(t, exec("s1-hot"), "already reported epoch")
}
