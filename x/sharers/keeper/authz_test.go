package keeper_test

import (
	"context"
	"testing"

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

	"github.com/quantum1net/q1/x/sharers/keeper"
	"github.com/quantum1net/q1/x/sharers/types"
)

// authzAccounts is the little of x/auth that authz's Exec needs.
type authzAccounts struct{ ac address.Codec }

func (a authzAccounts) AddressCodec() address.Codec                           { return a.ac }
func (authzAccounts) GetAccount(context.Context, sdk.AccAddress) sdk.AccountI { return nil }
func (authzAccounts) NewAccountWithAddress(_ context.Context, addr sdk.AccAddress) sdk.AccountI {
	return authtypes.NewBaseAccountWithAddress(addr)
}
func (authzAccounts) SetAccount(context.Context, sdk.AccountI) {}

// TestHotKeyActsThroughAuthz sends MsgAckLease the way a node does: its hot
// key wraps the msg, signed for the sharer, in an authz MsgExec. The real
// x/authz keeper and msg router decide: the granted hot key succeeds, any
// other key is refused before the sharers module sees the msg.
func TestHotKeyActsThroughAuthz(t *testing.T) {
	f := newFixture(t)
	f.autoAck = false
	sharersKey := storetypes.NewKVStoreKey(types.StoreKey)
	authzKey := storetypes.NewKVStoreKey(authzkeeper.StoreKey)
	ctx := testutil.DefaultContextWithKeys(
		map[string]*storetypes.KVStoreKey{types.StoreKey: sharersKey, authzkeeper.StoreKey: authzKey}, nil, nil)
	f.ctx = ctx.WithBlockHeight(startHeight).WithBlockTime(genesisTime)

	// Signers are read with the chain's q1 address codec, as in the app.
	registry, err := codectypes.NewInterfaceRegistryWithOptions(codectypes.InterfaceRegistryOptions{
		ProtoFiles:     proto.HybridResolver,
		SigningOptions: signing.Options{AddressCodec: f.ac, ValidatorAddressCodec: addresscodec.NewBech32Codec("q1valoper")},
	})
	noErr(t, err)
	types.RegisterInterfaces(registry)
	authz.RegisterInterfaces(registry)
	cdc := codec.NewProtoCodec(registry)
	authority, _ := f.ac.BytesToString(authtypes.NewModuleAddress("gov"))
	f.k = keeper.NewKeeper(cdc, runtime.NewKVStoreService(sharersKey), f.ac, fakeAccounts{}, f.bank, f.services, authority)
	f.services.hooks = f.k.Hooks()
	f.msgs, f.query = keeper.NewMsgServerImpl(f.k), keeper.NewQueryServerImpl(f.k)
	gs := types.DefaultGenesis()
	gs.Params = testParams()
	noErr(t, f.k.InitGenesis(f.ctx, gs))

	router := baseapp.NewMsgServiceRouter()
	router.SetInterfaceRegistry(registry)
	types.RegisterMsgServer(router, f.msgs)
	authzK := authzkeeper.NewKeeper(runtime.NewKVStoreService(authzKey), cdc, router, authzAccounts{f.ac})

	f.mustRegister(offer{}, "s1")
	f.create(spec{name: "hello"})
	f.endBlock()
	lease := f.leases("hello")[0]
	ackURL := sdk.MsgTypeURL(&types.MsgAckLease{})

	// The sharer grants its hot key (recorded in its offer) the ack.
	hot := f.sharer("s1").HotKey
	if hot != f.addr("s1-hot") {
		t.Fatalf("hot key %s not recorded", hot)
	}
	noErr(t, f.tx(func(ctx context.Context) error {
		return authzK.SaveGrant(ctx, f.raw("s1-hot"), f.raw("s1"), authz.NewGenericAuthorization(ackURL), nil)
	}))
	exec := func(grantee string, msg sdk.Msg) error {
		any, err := codectypes.NewAnyWithValue(msg)
		if err != nil {
			return err
		}
		m := &authz.MsgExec{Grantee: f.addr(grantee), Msgs: []*codectypes.Any{any}}
		return f.tx(func(ctx context.Context) error {
			_, err := authzK.Exec(ctx, m)
			return err
		})
	}
	ack := &types.MsgAckLease{Sharer: f.addr("s1"), LeaseId: lease.Id}

	wantErr(t, exec("mallory", ack), "authorization not found")
	if l, _ := f.k.GetLease(f.ctx, lease.Id); l.IsAcked() {
		t.Fatal("a key without a grant acknowledged the lease")
	}
	noErr(t, exec("s1-hot", ack))
	if l, _ := f.k.GetLease(f.ctx, lease.Id); !l.IsAcked() {
		t.Fatal("the granted hot key's ack did not take effect")
	}
	// The grant covers only what it names: a hot key cannot deregister.
	wantErr(t, exec("s1-hot", &types.MsgDeregisterSharer{Sharer: f.addr("s1")}), "authorization not found")
}
