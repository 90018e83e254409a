package keeper_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"maps"
	"strings"
	"testing"

	"cosmossdk.io/core/address"
	"cosmossdk.io/math"
	storetypes "cosmossdk.io/store/types"
	"github.com/cosmos/cosmos-sdk/codec"
	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	"github.com/cosmos/cosmos-sdk/runtime"
	"github.com/cosmos/cosmos-sdk/testutil"
	sdk "github.com/cosmos/cosmos-sdk/types"
	moduletestutil "github.com/cosmos/cosmos-sdk/types/module/testutil"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	q1address "github.com/quantum1net/q1/core/address"
	"github.com/quantum1net/q1/core/manifest"
	"github.com/quantum1net/q1/x/services"
	"github.com/quantum1net/q1/x/services/keeper"
	"github.com/quantum1net/q1/x/services/types"
)

const denom = types.DefaultDenom

// startHeight is the block height every fixture starts at.
const startHeight = 10

// fixture is a services keeper on an in-memory store with a fake bank that
// really moves balances, recording hooks and named accounts.
type fixture struct {
	t     *testing.T
	ctx   sdk.Context
	k     *keeper.Keeper
	msgs  types.MsgServer
	query types.QueryServer
	bank  *fakeBank
	hooks *recordingHooks
	ac    address.Codec
	cdc   codec.Codec
}

// newFixture returns a fixture whose keeper starts from the default genesis.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := newEmptyFixture(t)
	if err := f.k.InitGenesis(f.ctx, types.DefaultGenesis()); err != nil {
		t.Fatal(err)
	}
	return f
}

// newEmptyFixture returns a fixture whose store has no genesis loaded.
func newEmptyFixture(t *testing.T) *fixture {
	t.Helper()
	key := storetypes.NewKVStoreKey(types.StoreKey)
	tc := testutil.DefaultContextWithDB(t, key, storetypes.NewTransientStoreKey("transient_test"))
	enc := moduletestutil.MakeTestEncodingConfig(services.AppModuleBasic{})
	ac := addresscodec.NewBech32Codec(q1address.AccountPrefix)
	bank := newFakeBank()
	authority, err := ac.BytesToString(authtypes.NewModuleAddress("gov"))
	if err != nil {
		t.Fatal(err)
	}
	k := keeper.NewKeeper(enc.Codec, runtime.NewKVStoreService(key), ac, fakeAccounts{}, bank, authority)
	hooks := &recordingHooks{}
	k.SetHooks(hooks)
	return &fixture{
		t: t, ctx: tc.Ctx.WithBlockHeight(startHeight), k: k, bank: bank, hooks: hooks, ac: ac, cdc: enc.Codec,
		msgs: keeper.NewMsgServerImpl(k), query: keeper.NewQueryServerImpl(k),
	}
}

// addr returns the q1 address of the account called name, funded with
// 100 QC the first time it is asked for.
func (f *fixture) addr(name string) string {
	f.t.Helper()
	raw := f.raw(name)
	s, err := f.ac.BytesToString(raw)
	if err != nil {
		f.t.Fatal(err)
	}
	if _, ok := f.bank.balances[string(raw)]; !ok {
		f.bank.mint(raw, sdk.NewCoins(sdk.NewInt64Coin(denom, 100_000_000)))
	}
	return s
}

func (f *fixture) raw(name string) sdk.AccAddress {
	sum := sha256.Sum256([]byte(name))
	return sdk.AccAddress(sum[:20])
}

// balance returns what account name holds.
func (f *fixture) balance(name string) int64 {
	return f.bank.balances[string(f.raw(name))].AmountOf(denom).Int64()
}

// moduleBalance returns what the services module account holds.
func (f *fixture) moduleBalance() int64 {
	return f.bank.balances[string(authtypes.NewModuleAddress(types.ModuleName))].AmountOf(denom).Int64()
}

// spec describes a test manifest; zero fields take defaults.
type spec struct {
	name        string
	owners      []string // account names
	threshold   uint32
	operators   []string
	notice      uint64
	frozen      []string
	replicas    uint32
	replicasMax uint32
	memory      string
	perms       string // more permissions lines, each starting "  "
}

// manifest returns the canonical bytes of the manifest s describes.
func (f *fixture) manifest(s spec) []byte {
	f.t.Helper()
	m, err := manifest.Parse([]byte(f.yaml(s)), manifest.ParseOptions{})
	if err != nil {
		f.t.Fatalf("test manifest: %v", err)
	}
	return m.Canonical()
}

func (f *fixture) yaml(s spec) string {
	if s.name == "" {
		s.name = "hello"
	}
	if len(s.owners) == 0 {
		s.owners = []string{"alice"}
	}
	if s.threshold == 0 {
		s.threshold = 1
	}
	if s.replicas == 0 {
		s.replicas = 2
	}
	if s.replicasMax == 0 {
		s.replicasMax = 5
	}
	if s.memory == "" {
		s.memory = "64Mi"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: q1/v1\nname: %s\n", s.name)
	fmt.Fprintf(&b, "code: {wasm: sha256:%064x}\n", 7)
	fmt.Fprintf(&b, "permissions:\n  owners: {accounts: [%s], threshold: %d}\n", f.addrs(s.owners), s.threshold)
	if len(s.operators) > 0 {
		fmt.Fprintf(&b, "  operators: [%s]\n", f.addrs(s.operators))
	}
	b.WriteString(s.perms)
	fmt.Fprintf(&b, "policies:\n  update: {noticeBlocks: %d, frozen: [%s]}\n", s.notice, strings.Join(s.frozen, ", "))
	fmt.Fprintf(&b, "resources: {memory: %s}\n", s.memory)
	fmt.Fprintf(&b, "placement: {replicas: %d, replicasMax: %d}\n", s.replicas, s.replicasMax)
	b.WriteString("pricing: {cpuPerCoreSecond: 500uqc, memoryPerMiBHour: 2uqc, storagePerGiBHour: 50uqc, per1kRequests: 10uqc, egressPerGiB: 5000uqc}\n")
	return b.String()
}

func (f *fixture) addrs(names []string) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = f.addr(n)
	}
	return strings.Join(out, ", ")
}

// hash returns the content address of canonical manifest bytes.
func (f *fixture) hash(b []byte) string {
	m, err := manifest.ParseCanonical(b)
	if err != nil {
		f.t.Fatal(err)
	}
	return m.Hash()
}

// tx runs fn the way baseapp runs a transaction's msg: on a cached store
// (and a snapshot of the fake bank) that is written only when fn succeeds,
// with a fresh event manager whose events f.events then lists.
func (f *fixture) tx(fn func(ctx context.Context) error) error {
	f.ctx = f.ctx.WithEventManager(sdk.NewEventManager())
	cache, write := f.ctx.CacheContext()
	saved := maps.Clone(f.bank.balances)
	if err := fn(cache); err != nil {
		f.bank.balances = saved
		return err
	}
	write()
	return nil
}

// create creates a service from s, signed by creator, with deposit uqc.
func (f *fixture) create(creator string, s spec, deposit int64) (*types.MsgCreateServiceResponse, error) {
	return f.createMsg(&types.MsgCreateService{Creator: f.addr(creator), Manifest: f.manifest(s), Deposit: math.NewInt(deposit)})
}

func (f *fixture) createMsg(msg *types.MsgCreateService) (resp *types.MsgCreateServiceResponse, err error) {
	err = f.tx(func(ctx context.Context) (err error) {
		resp, err = f.msgs.CreateService(ctx, msg)
		return err
	})
	return resp, err
}

// mustCreate creates a service and fails the test if that fails.
func (f *fixture) mustCreate(creator string, s spec, deposit int64) {
	f.t.Helper()
	if _, err := f.create(creator, s, deposit); err != nil {
		f.t.Fatalf("create %s: %v", s.name, err)
	}
}

func (f *fixture) propose(proposer string, s spec) (types.ProposalOutcome, error) {
	return f.proposeBytes(proposer, nameOf(s), f.manifest(s))
}

func (f *fixture) proposeBytes(proposer, name string, b []byte) (out types.ProposalOutcome, err error) {
	msg := &types.MsgProposeUpdate{Proposer: f.addr(proposer), Name: name, Manifest: b}
	err = f.tx(func(ctx context.Context) error {
		resp, err := f.msgs.ProposeUpdate(ctx, msg)
		if err == nil {
			out = resp.Outcome
		}
		return err
	})
	return out, err
}

func (f *fixture) mustPropose(proposer string, s spec) types.ProposalOutcome {
	f.t.Helper()
	out, err := f.propose(proposer, s)
	if err != nil {
		f.t.Fatalf("propose: %v", err)
	}
	return out
}

func (f *fixture) approve(approver, name string, id uint64, hash string) (out types.ProposalOutcome, err error) {
	msg := &types.MsgApproveProposal{Approver: f.addr(approver), Name: name, ProposalId: id, Hash: hash}
	err = f.tx(func(ctx context.Context) error {
		resp, err := f.msgs.ApproveProposal(ctx, msg)
		if err == nil {
			out = resp.Outcome
		}
		return err
	})
	return out, err
}

func (f *fixture) mustApprove(approver, name string, id uint64, hash string) types.ProposalOutcome {
	f.t.Helper()
	out, err := f.approve(approver, name, id, hash)
	if err != nil {
		f.t.Fatalf("approve: %v", err)
	}
	return out
}

func (f *fixture) cancel(signer, name string, id uint64) error {
	msg := &types.MsgCancelProposal{Signer: f.addr(signer), Name: name, ProposalId: id}
	return f.tx(func(ctx context.Context) error {
		_, err := f.msgs.CancelProposal(ctx, msg)
		return err
	})
}

func (f *fixture) pause(signer, name string) error {
	msg := &types.MsgPauseService{Signer: f.addr(signer), Name: name}
	return f.tx(func(ctx context.Context) error {
		_, err := f.msgs.PauseService(ctx, msg)
		return err
	})
}

func (f *fixture) resume(signer, name string) error {
	msg := &types.MsgResumeService{Signer: f.addr(signer), Name: name}
	return f.tx(func(ctx context.Context) error {
		_, err := f.msgs.ResumeService(ctx, msg)
		return err
	})
}

func (f *fixture) scale(signer, name string, replicas uint32) (resp *types.MsgScaleServiceResponse, err error) {
	msg := &types.MsgScaleService{Signer: f.addr(signer), Name: name, Replicas: replicas}
	err = f.tx(func(ctx context.Context) (err error) {
		resp, err = f.msgs.ScaleService(ctx, msg)
		return err
	})
	return resp, err
}

func (f *fixture) fund(funder, name string, amount int64) error {
	msg := &types.MsgFundEscrow{Funder: f.addr(funder), Name: name, Amount: math.NewInt(amount)}
	return f.tx(func(ctx context.Context) error {
		_, err := f.msgs.FundEscrow(ctx, msg)
		return err
	})
}

func (f *fixture) withdraw(proposer, name string, amount int64, to string) (out types.ProposalOutcome, err error) {
	msg := &types.MsgWithdrawEscrow{Proposer: f.addr(proposer), Name: name, Amount: math.NewInt(amount), To: f.addr(to)}
	err = f.tx(func(ctx context.Context) error {
		resp, err := f.msgs.WithdrawEscrow(ctx, msg)
		if err == nil {
			out = resp.Outcome
		}
		return err
	})
	return out, err
}

func (f *fixture) del(proposer, name, refundTo string) (out types.ProposalOutcome, err error) {
	msg := &types.MsgDeleteService{Proposer: f.addr(proposer), Name: name, RefundTo: f.addr(refundTo)}
	err = f.tx(func(ctx context.Context) error {
		resp, err := f.msgs.DeleteService(ctx, msg)
		if err == nil {
			out = resp.Outcome
		}
		return err
	})
	return out, err
}

// endBlock runs EndBlock at the current height and moves to the next one.
func (f *fixture) endBlock() {
	f.t.Helper()
	f.ctx = f.ctx.WithEventManager(sdk.NewEventManager())
	if err := f.k.EndBlocker(f.ctx); err != nil {
		f.t.Fatalf("EndBlock at height %d: %v", f.ctx.BlockHeight(), err)
	}
	f.ctx = f.ctx.WithBlockHeight(f.ctx.BlockHeight() + 1)
}

// service returns what the Service query answers for name.
func (f *fixture) service(name string) *types.QueryServiceResponse {
	f.t.Helper()
	resp, err := f.query.Service(f.ctx, &types.QueryServiceRequest{Name: name})
	if err != nil {
		f.t.Fatalf("query service %s: %v", name, err)
	}
	return resp
}

// proposal returns proposal id.
func (f *fixture) proposal(id uint64) types.Proposal {
	f.t.Helper()
	p, err := f.k.GetProposal(f.ctx, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

// events lists the typed event names emitted by the last msg.
func (f *fixture) events() []string {
	var out []string
	for _, e := range f.ctx.EventManager().Events() {
		out = append(out, e.Type)
	}
	return out
}

func nameOf(s spec) string {
	if s.name == "" {
		return "hello"
	}
	return s.name
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

// noErr fails if err is non-nil.
func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

// checkConservation asserts that the module account holds exactly the sum
// of the escrow records.
func (f *fixture) checkConservation() {
	f.t.Helper()
	sum := math.ZeroInt()
	err := f.k.Escrows.Walk(f.ctx, nil, func(_ string, e types.Escrow) (bool, error) {
		if e.Balance.IsNegative() {
			return true, fmt.Errorf("escrow of %s is negative: %s", e.Service, e.Balance)
		}
		sum = sum.Add(e.Balance)
		return false, nil
	})
	noErr(f.t, err)
	if held := f.moduleBalance(); !sum.Equal(math.NewInt(held)) {
		f.t.Fatalf("module account holds %d but escrows add up to %s", held, sum)
	}
}
