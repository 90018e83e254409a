package ante_test

import (
	"context"
	"crypto/sha256"
	"strings"
	"testing"

	"cosmossdk.io/collections"
	"cosmossdk.io/core/address"
	storetypes "cosmossdk.io/store/types"
	"cosmossdk.io/x/tx/signing"
	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/codec"
	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	"github.com/cosmos/cosmos-sdk/runtime"
	"github.com/cosmos/cosmos-sdk/testutil"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtx "github.com/cosmos/cosmos-sdk/x/auth/tx"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	"github.com/cosmos/cosmos-sdk/x/authz"
	"github.com/cosmos/gogoproto/proto"

	q1address "github.com/quantum1net/q1/core/address"
	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
	"github.com/quantum1net/q1/x/usage/ante"
	"github.com/quantum1net/q1/x/usage/keeper"
	"github.com/quantum1net/q1/x/usage/types"
)

var _ ante.Keeper = (*keeper.Keeper)(nil)

// sharersWithHotKeys answers GetSharer, the one call the decorator's keeper
// makes into x/sharers (and GetParams, which genesis reads), from a map of sharer to hot key.
type sharersWithHotKeys struct {
	types.SharersKeeper
	hot map[string]string
}

func (s sharersWithHotKeys) GetSharer(_ context.Context, addr string) (sharerstypes.Sharer, error) {
	h, ok := s.hot[addr]
	if !ok {
		return sharerstypes.Sharer{}, sharerstypes.ErrSharerNotFound
	}
	return sharerstypes.Sharer{Address: addr, HotKey: h, Status: sharerstypes.SharerActive}, nil
}

// GetParams answers x/sharers' defaults: genesis checks the retention
// against its epoch_blocks.
func (s sharersWithHotKeys) GetParams(context.Context) (sharerstypes.Params, error) {
	return sharerstypes.DefaultParams(), nil
}

type fixture struct {
	t     *testing.T
	ctx   sdk.Context
	k     *keeper.Keeper
	ac    address.Codec
	txCfg client.TxConfig
	dec   ante.DedupDecorator
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ac := addresscodec.NewBech32Codec(q1address.AccountPrefix)
	registry, err := codectypes.NewInterfaceRegistryWithOptions(codectypes.InterfaceRegistryOptions{
		ProtoFiles:     proto.HybridResolver,
		SigningOptions: signing.Options{AddressCodec: ac, ValidatorAddressCodec: addresscodec.NewBech32Codec("q1valoper")},
	})
	if err != nil {
		t.Fatal(err)
	}
	types.RegisterInterfaces(registry)
	authz.RegisterInterfaces(registry)
	cdc := codec.NewProtoCodec(registry)
	key := storetypes.NewKVStoreKey(types.StoreKey)
	ctx := testutil.DefaultContext(key, storetypes.NewTransientStoreKey("transient_test"))
	f := &fixture{t: t, ac: ac, txCfg: authtx.NewTxConfig(cdc, authtx.DefaultSignModes)}
	authority, _ := ac.BytesToString(authtypes.NewModuleAddress("gov"))
	f.k = keeper.NewKeeper(cdc, runtime.NewKVStoreService(key), ac,
		sharersWithHotKeys{hot: map[string]string{f.addr("s1"): f.addr("s1-hot"), f.addr("s2"): f.addr("s2-hot")}}, nil, nil, authtypes.FeeCollectorName, authority)
	if err := f.k.InitGenesis(ctx, types.DefaultGenesis()); err != nil {
		t.Fatal(err)
	}
	f.ctx = ctx.WithExecMode(sdk.ExecModeCheck)
	f.dec = ante.NewDedupDecorator(f.k)
	return f
}

func (f *fixture) raw(name string) sdk.AccAddress {
	sum := sha256.Sum256([]byte(name))
	return sdk.AccAddress(sum[:20])
}

func (f *fixture) addr(name string) string {
	s, err := f.ac.BytesToString(f.raw(name))
	if err != nil {
		f.t.Fatal(err)
	}
	return s
}

func (f *fixture) report(sharer string, epoch uint64) *types.MsgUsageReport {
	return &types.MsgUsageReport{Sharer: f.addr(sharer), Epoch: epoch}
}

// exec wraps msgs in an authz MsgExec sent by grantee.
func (f *fixture) exec(grantee string, msgs ...sdk.Msg) *authz.MsgExec {
	f.t.Helper()
	m := &authz.MsgExec{Grantee: f.addr(grantee)}
	for _, msg := range msgs {
		a, err := codectypes.NewAnyWithValue(msg)
		if err != nil {
			f.t.Fatal(err)
		}
		m.Msgs = append(m.Msgs, a)
	}
	return m
}

// check runs the decorator on a tx of msgs as baseapp's CheckTx runs the
// ante chain: on a branch of the check state that is kept when it passes.
func (f *fixture) check(simulate bool, msgs ...sdk.Msg) error {
	f.t.Helper()
	b := f.txCfg.NewTxBuilder()
	if err := b.SetMsgs(msgs...); err != nil {
		f.t.Fatal(err)
	}
	cache, write := f.ctx.CacheContext()
	next := func(ctx sdk.Context, _ sdk.Tx, _ bool) (sdk.Context, error) { return ctx, nil }
	if _, err := f.dec.AnteHandle(cache, b.GetTx(), simulate, next); err != nil {
		return err
	}
	write()
	return nil
}

func wantErr(t *testing.T, err error, part string) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), part) {
		t.Fatalf("error %v, want one containing %q", err, part)
	}
}

func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

func TestDuplicateInMempoolRefused(t *testing.T) {
	f := newFixture(t)
	noErr(t, f.check(false, f.report("s1", 4)))
	wantErr(t, f.check(false, f.report("s1", 4)), "a report of sharer "+f.addr("s1")+" for epoch 4 is already waiting in the mempool")
	noErr(t, f.check(false, f.report("s1", 5)))
	noErr(t, f.check(false, f.report("s2", 4)))
}

func TestCommittedReportRefused(t *testing.T) {
	f := newFixture(t)
	noErr(t, f.k.Reports.Set(f.ctx, collections.Join(f.raw("s1"), uint64(3)), types.Report{Sharer: f.addr("s1"), Epoch: 3}))
	wantErr(t, f.check(false, f.report("s1", 3)), "sharer "+f.addr("s1")+" already reported epoch 3; one report per sharer and epoch")
	wantErr(t, f.check(false, f.exec("s1-hot", f.report("s1", 3))), "already reported epoch 3")
	// Deep inside nested execs it is still found.
	wantErr(t, f.check(false, f.exec("s1-hot", f.exec("s1-hot", f.report("s1", 3)))), "already reported epoch 3")
}

func TestTwoCopiesInOneTxRefused(t *testing.T) {
	f := newFixture(t)
	wantErr(t, f.check(false, f.report("s1", 4), f.report("s1", 4)), "the tx carries two reports of sharer "+f.addr("s1")+" for epoch 4")
	wantErr(t, f.check(false, f.exec("s1-hot", f.report("s1", 4), f.report("s1", 4))), "two reports")
}

func TestHotKeyReportsThroughAuthz(t *testing.T) {
	f := newFixture(t)
	noErr(t, f.check(false, f.exec("s1-hot", f.report("s1", 4))))
	wantErr(t, f.check(false, f.exec("s1-hot", f.report("s1", 4))), "already waiting in the mempool")
	wantErr(t, f.check(false, f.report("s1", 4)), "already waiting in the mempool")
}

func TestForgedCopyDoesNotBlockTheSharer(t *testing.T) {
	f := newFixture(t)
	// Mallory wraps a report of s1 in her own MsgExec: the tx passes the
	// ante handler (authz refuses it when the block runs) but marks nothing,
	// so s1's own report still gets into the mempool.
	noErr(t, f.check(false, f.exec("mallory", f.report("s1", 4))))
	noErr(t, f.check(false, f.exec("s2-hot", f.report("s1", 4))))
	noErr(t, f.check(false, f.exec("s1-hot", f.report("s1", 4))))
	wantErr(t, f.check(false, f.exec("s1-hot", f.report("s1", 4))), "already waiting in the mempool")
}

func TestOnlyCheckTxIsFiltered(t *testing.T) {
	f := newFixture(t)
	noErr(t, f.check(true, f.report("s1", 4))) // simulation marks nothing
	noErr(t, f.check(false, f.report("s1", 4)))
	f.ctx = f.ctx.WithExecMode(sdk.ExecModeReCheck)
	wantErr(t, f.check(false, f.report("s1", 4)), "already waiting in the mempool")
	// In a block the msg server decides; the decorator neither refuses nor
	// writes, and the keeper refuses to write marks there.
	f.ctx = f.ctx.WithExecMode(sdk.ExecModeFinalize)
	noErr(t, f.check(false, f.report("s1", 4)))
	noErr(t, f.check(false, f.report("s2", 9)))
	wantErr(t, f.k.MarkSeenInCheckTx(f.ctx, f.raw("s2"), 9), "mempool marks are written only in CheckTx")
	if seen, _ := f.k.SeenInCheckTx(f.ctx, f.raw("s2"), 9); seen {
		t.Error("a mark was written outside CheckTx")
	}
}

// TestReportAddressesCheckedByCoreAddress: the decorator checks a report's
// sharer and an exec's grantee with core/address, as the msg server does,
// so an address the SDK's codec would take (capitals) is refused here too.
func TestReportAddressesCheckedByCoreAddress(t *testing.T) {
	f := newFixture(t)
	upper := strings.ToUpper(f.addr("s1"))
	if _, err := f.ac.StringToBytes(upper); err != nil {
		t.Fatalf("the SDK's codec refuses %s too: %v", upper, err)
	}
	wantErr(t, f.check(false, &types.MsgUsageReport{Sharer: upper, Epoch: 4}),
		`usage report: sharer: "`+upper+`" is not a Quantum1Net account address`)
	m := f.exec("s1-hot", f.report("s1", 4))
	m.Grantee = strings.ToUpper(m.Grantee)
	wantErr(t, f.check(false, m), `authz exec: grantee: "`+m.Grantee+`" is not a Quantum1Net account address`)
}
