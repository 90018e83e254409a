package keeper_test

import (
	"testing"

	"cosmossdk.io/log"
	"cosmossdk.io/math"
	storetypes "cosmossdk.io/store/types"
	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	"github.com/cosmos/cosmos-sdk/runtime"
	"github.com/cosmos/cosmos-sdk/testutil"
	sdk "github.com/cosmos/cosmos-sdk/types"
	moduletestutil "github.com/cosmos/cosmos-sdk/types/module/testutil"
	"github.com/cosmos/cosmos-sdk/x/auth"
	authkeeper "github.com/cosmos/cosmos-sdk/x/auth/keeper"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	"github.com/cosmos/cosmos-sdk/x/bank"
	bankkeeper "github.com/cosmos/cosmos-sdk/x/bank/keeper"
	banktestutil "github.com/cosmos/cosmos-sdk/x/bank/testutil"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	minttypes "github.com/cosmos/cosmos-sdk/x/mint/types"

	"github.com/quantum1net/q1/core/address"
	"github.com/quantum1net/q1/x/services"
	"github.com/quantum1net/q1/x/services/keeper"
	"github.com/quantum1net/q1/x/services/types"
)

// TestWithRealBank runs the money paths against the SDK's own auth and bank
// keepers, wired as app/app.go wires them: the services module account has
// no permissions and is a blocked address.
func TestWithRealBank(t *testing.T) {
	keys := storetypes.NewKVStoreKeys(authtypes.StoreKey, banktypes.StoreKey, types.StoreKey)
	ctx := testutil.DefaultContextWithKeys(keys, nil, nil).WithBlockHeight(startHeight)
	enc := moduletestutil.MakeTestEncodingConfig(auth.AppModuleBasic{}, bank.AppModuleBasic{}, services.AppModuleBasic{})
	ac := addresscodec.NewBech32Codec(address.AccountPrefix)
	gov, err := ac.BytesToString(authtypes.NewModuleAddress("gov"))
	noErr(t, err)
	perms := map[string][]string{
		types.ModuleName:     nil,
		minttypes.ModuleName: {authtypes.Minter}, // only to fund test accounts
	}
	ak := authkeeper.NewAccountKeeper(enc.Codec, runtime.NewKVStoreService(keys[authtypes.StoreKey]),
		authtypes.ProtoBaseAccount, perms, ac, address.AccountPrefix, gov)
	blocked := map[string]bool{authtypes.NewModuleAddress(types.ModuleName).String(): true}
	bk := bankkeeper.NewBaseKeeper(enc.Codec, runtime.NewKVStoreService(keys[banktypes.StoreKey]), ak, blocked, gov, log.NewNopLogger())
	k := keeper.NewKeeper(enc.Codec, runtime.NewKVStoreService(keys[types.StoreKey]), ac, ak, bk, gov)
	noErr(t, k.InitGenesis(ctx, types.DefaultGenesis()))
	msgs := keeper.NewMsgServerImpl(k)

	f := &fixture{t: t, ac: ac, bank: newFakeBank()} // for addresses and manifests only
	alice, refund := f.raw("alice"), f.raw("refund")
	noErr(t, banktestutil.FundAccount(ctx, bk, alice, sdk.NewCoins(sdk.NewInt64Coin(denom, 10_000_000))))
	held := func(addr sdk.AccAddress) int64 { return bk.GetBalance(ctx, addr, denom).Amount.Int64() }
	moduleAddr := ak.GetModuleAddress(types.ModuleName)

	_, err = msgs.CreateService(ctx, &types.MsgCreateService{Creator: f.addr("alice"), Manifest: f.manifest(spec{}), Deposit: math.NewInt(3_000_000)})
	noErr(t, err)
	_, err = msgs.FundEscrow(ctx, &types.MsgFundEscrow{Funder: f.addr("alice"), Name: "hello", Amount: math.NewInt(1_000_000)})
	noErr(t, err)
	if held(moduleAddr) != 4_000_000 || held(alice) != 6_000_000 {
		t.Fatalf("module %d, alice %d", held(moduleAddr), held(alice))
	}
	if acc := ak.GetModuleAccount(ctx, types.ModuleName); acc == nil || len(acc.GetPermissions()) != 0 {
		t.Fatalf("module account = %v", acc)
	}
	_, err = msgs.WithdrawEscrow(ctx, &types.MsgWithdrawEscrow{Proposer: f.addr("alice"), Name: "hello", Amount: math.NewInt(500_000), To: f.addr("alice")})
	noErr(t, err)
	noErr(t, k.PayFromEscrowToModule(ctx, "hello", minttypes.ModuleName, math.NewInt(250_000)))
	_, err = msgs.DeleteService(ctx, &types.MsgDeleteService{Proposer: f.addr("alice"), Name: "hello", RefundTo: f.addr("refund")})
	noErr(t, err)
	if held(moduleAddr) != 0 || held(alice) != 6_500_000 || held(refund) != 3_250_000 {
		t.Fatalf("module %d, alice %d, refund %d", held(moduleAddr), held(alice), held(refund))
	}
}
