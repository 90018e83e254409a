package app

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"
	"time"

	"cosmossdk.io/log"
	"cosmossdk.io/math"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	dbm "github.com/cosmos/cosmos-db"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/quantum1net/q1/core/manifest"
	serviceskeeper "github.com/quantum1net/q1/x/services/keeper"
	servicestypes "github.com/quantum1net/q1/x/services/types"
	sharerskeeper "github.com/quantum1net/q1/x/sharers/keeper"
	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
	usagekeeper "github.com/quantum1net/q1/x/usage/keeper"
	usagetypes "github.com/quantum1net/q1/x/usage/types"
)

// economy drives the real services, sharers, usage and bank keepers of
// the app, wired as the chain wires them, block by block.
type economy struct {
	t        *testing.T
	app      *App
	ctx      sdk.Context
	services servicestypes.MsgServer
	sharers  sharerstypes.MsgServer
	usage    usagetypes.MsgServer
	supply   math.Int
	// heartbeats makes both sharers report each epoch that ends (empty
	// reports), as their nodes would, so that they stay online.
	heartbeats bool
}

func account(name string) sdk.AccAddress {
	sum := sha256.Sum256([]byte(name))
	return sdk.AccAddress(sum[:20])
}

func newEconomy(t *testing.T) *economy {
	a := New(log.NewNopLogger(), dbm.NewMemDB(), nil, true, EmptyAppOptions{})
	ctx := a.BaseApp.NewUncachedContext(false, cmtproto.Header{ChainID: "q1-test", Height: 1,
		Time: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
	e := &economy{t: t, app: a, ctx: ctx,
		services: serviceskeeper.NewMsgServerImpl(a.ServicesKeeper),
		sharers:  sharerskeeper.NewMsgServerImpl(a.SharersKeeper),
		usage:    usagekeeper.NewMsgServerImpl(a.UsageKeeper),
	}
	var balances []banktypes.Balance
	supply := math.ZeroInt()
	for _, n := range []string{"alice", "s1", "s2"} {
		coins := sdk.NewCoins(sdk.NewInt64Coin(BondDenom, 100_000_000))
		balances = append(balances, banktypes.Balance{Address: account(n).String(), Coins: coins})
		supply = supply.Add(coins.AmountOf(BondDenom))
	}
	e.supply = supply
	a.BankKeeper.InitGenesis(ctx, &banktypes.GenesisState{Params: banktypes.DefaultParams(), Balances: balances,
		Supply: sdk.NewCoins(sdk.NewCoin(BondDenom, supply))})
	must(t, a.ServicesKeeper.InitGenesis(ctx, servicestypes.DefaultGenesis()))
	sg := sharerstypes.DefaultGenesis()
	sg.Params = sharerstypes.DevnetParams()
	sg.Params.EpochBlocks = 10
	sg.Params.AckTimeoutBlocks = 5
	must(t, a.SharersKeeper.InitGenesis(ctx, sg))
	// Entries are never audited here (x/usage's keeper tests audit them):
	// a held charge is paid at its draw, sample_delay_blocks after the
	// report.
	ug := usagetypes.DefaultGenesis()
	ug.Params.AuditProbability = math.LegacyZeroDec()
	must(t, a.UsageKeeper.InitGenesis(ctx, ug))
	return e
}

// rooted gives an entry a well-formed receipts root (one receipt per
// request; no tree behind it, which only an audit would look for).
func rooted(en usagetypes.UsageEntry) []usagetypes.UsageEntry {
	h := sha256.Sum256([]byte("receipts"))
	en.Receipts, en.ReceiptsRoot = max(en.Requests, 1), h[:]
	return []usagetypes.UsageEntry{en}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// tx runs fn on a cached store written only when it succeeds.
func (e *economy) tx(fn func(ctx context.Context) error) error {
	e.ctx = e.ctx.WithEventManager(sdk.NewEventManager())
	cache, write := e.ctx.CacheContext()
	if err := fn(cache); err != nil {
		return err
	}
	write()
	return nil
}

// block ends the block as the app orders its EndBlockers, checks the
// invariants, and starts the next block a second later.
func (e *economy) block() {
	e.t.Helper()
	before, err := e.app.SharersKeeper.CurrentEpoch(e.ctx)
	must(e.t, err)
	must(e.t, e.app.ServicesKeeper.EndBlocker(e.ctx))
	must(e.t, e.app.SharersKeeper.EndBlocker(e.ctx))
	must(e.t, e.app.UsageKeeper.EndBlocker(e.ctx))
	e.audit()
	e.ctx = e.ctx.WithBlockHeight(e.ctx.BlockHeight() + 1).WithBlockTime(e.ctx.BlockTime().Add(time.Second))
	cur, err := e.app.SharersKeeper.CurrentEpoch(e.ctx)
	must(e.t, err)
	if !e.heartbeats || cur.Number == before.Number {
		return
	}
	for _, n := range []string{"s1", "s2"} {
		must(e.t, e.tx(func(ctx context.Context) error {
			_, err := e.usage.UsageReport(ctx, &usagetypes.MsgUsageReport{Sharer: account(n).String(), Epoch: before.Number})
			return err
		}))
	}
}

func (e *economy) audit() {
	e.t.Helper()
	resp, err := e.app.UsageKeeper.CheckInvariants(e.ctx)
	must(e.t, err)
	if len(resp.Broken) > 0 {
		e.t.Fatalf("height %d: invariants broken: %q", e.ctx.BlockHeight(), resp.Broken)
	}
	if got := e.app.BankKeeper.GetSupply(e.ctx, BondDenom).Amount; !got.Equal(e.supply) {
		e.t.Fatalf("supply %s, want %s", got, e.supply)
	}
}

func (e *economy) balance(who sdk.AccAddress) math.Int {
	return e.app.BankKeeper.GetBalance(e.ctx, who, BondDenom).Amount
}

func (e *economy) ackAll(service string) {
	leases, err := e.app.SharersKeeper.ActiveLeases(e.ctx, service)
	must(e.t, err)
	for _, l := range leases {
		if l.IsAcked() {
			continue
		}
		must(e.t, e.tx(func(ctx context.Context) error {
			_, err := e.sharers.AckLease(ctx, &sharerstypes.MsgAckLease{Sharer: l.Sharer, LeaseId: l.Id})
			return err
		}))
	}
}

const economyManifest = `apiVersion: q1/v1
name: hello
code: {wasm: sha256:%064x}
permissions:
  owners: {accounts: [%s], threshold: 1}
policies:
  budget: {lowBalanceBlocks: 100, graceBlocks: 50}
resources: {memory: 1Mi}
placement: {replicas: 1}
pricing: {cpuPerCoreSecond: 500uqc, memoryPerMiBHour: 3600000uqc, storagePerGiBHour: 50uqc, per1kRequests: 10uqc, egressPerGiB: 5000uqc}
`

// TestEconomyAcrossModules runs a service's whole economic life through the
// real keepers: placed and acknowledged, rent and a usage report paid to
// the sharer and the fee collector, escrow.low, run dry and paused, a
// deposit too small refused, a sufficient one resuming it on the same
// sharer. After every block the escrow module account equals the escrow
// records, collateral its records, and the supply is unchanged.
func TestEconomyAcrossModules(t *testing.T) {
	e := newEconomy(t)
	for _, n := range []string{"s1", "s2"} {
		offer := sharerstypes.Offer{
			Endpoint:   "https://" + n + ".example.com:8443",
			Capacity:   sharerstypes.Capacity{MilliCpu: 4000, MemoryBytes: 1 << 30, StorageBytes: 1 << 30, EgressBytesPerHour: 10 << 30},
			Attributes: []sharerstypes.Attribute{{Key: "region", Value: "eu"}},
			HotKey:     account(n + "-hot").String(),
			Prices:     sharerstypes.Prices{CpuPerCoreSecond: 500, MemoryPerMibHour: 3_600_000, StoragePerGibHour: 50, Per_1KRequests: 10, EgressPerGib: 5000},
		}
		must(t, e.tx(func(ctx context.Context) error {
			_, err := e.sharers.RegisterSharer(ctx, &sharerstypes.MsgRegisterSharer{Sharer: account(n).String(), Offer: offer, Collateral: math.NewInt(2_000_000)})
			return err
		}))
	}
	parsed, err := manifest.Parse([]byte(fmt.Sprintf(economyManifest, 7, account("alice"))), manifest.ParseOptions{})
	must(t, err)
	m := parsed.Canonical()
	must(t, e.tx(func(ctx context.Context) error {
		_, err := e.services.CreateService(ctx, &servicestypes.MsgCreateService{Creator: account("alice").String(), Manifest: m, Deposit: math.NewInt(1_000_000)})
		return err
	}))
	e.block()
	e.ackAll("hello") // rent: 1000 uqc a second from here
	leases, err := e.app.SharersKeeper.ActiveLeases(e.ctx, "hello")
	must(t, err)
	if len(leases) != 1 {
		t.Fatalf("leases: %+v", leases)
	}
	holder := leases[0].Sharer
	holderAddr := sdk.MustAccAddressFromBech32(holder)
	before := e.balance(holderAddr)

	// Run to the next epoch and report usage for the epoch that ended.
	start, err := e.app.SharersKeeper.CurrentEpoch(e.ctx)
	must(t, err)
	for {
		e.block()
		cur, err := e.app.SharersKeeper.CurrentEpoch(e.ctx)
		must(t, err)
		if cur.Number > start.Number {
			break
		}
	}
	fee := e.balance(authtypes.NewModuleAddress(authtypes.FeeCollectorName))
	var resp *usagetypes.MsgUsageReportResponse
	must(t, e.tx(func(ctx context.Context) error {
		var err error
		resp, err = e.usage.UsageReport(ctx, &usagetypes.MsgUsageReport{Sharer: holder, Epoch: start.Number,
			Entries: rooted(usagetypes.UsageEntry{LeaseId: leases[0].Id, Requests: 5000})})
		return err
	}))
	if !resp.Charged.Equal(math.NewInt(50)) || !resp.ProtocolShare.Equal(math.NewInt(2)) {
		t.Fatalf("report charged %s (share %s), want 50 (2)", resp.Charged, resp.ProtocolShare)
	}
	// The charge is held until the draw (not audited here): then paid.
	for range usagetypes.DefaultParams().SampleDelayBlocks {
		e.block()
	}
	if got := e.balance(authtypes.NewModuleAddress(authtypes.FeeCollectorName)).Sub(fee); got.LT(math.NewInt(2)) {
		t.Errorf("fee collector got %s, want at least the usage share 2", got)
	}
	if got := e.balance(holderAddr).Sub(before); got.LT(math.NewInt(48)) {
		t.Errorf("sharer got %s, want at least 48 for usage plus its rent", got)
	}
	e.audit()
	e.heartbeats = true

	// Run dry: 1,000,000 − 50 of usage at 1000 uqc a second of rent.
	var paused bool
	for i := 0; i < 1100 && !paused; i++ {
		e.block()
		svc, err := e.app.ServicesKeeper.GetService(e.ctx, "hello")
		must(t, err)
		paused = svc.Status == servicestypes.StatusPaused
	}
	if !paused {
		eco, _ := e.app.UsageKeeper.Economics(e.ctx, "hello")
		l, _ := e.app.SharersKeeper.GetLease(e.ctx, leases[0].Id)
		t.Fatalf("the service did not pause when its escrow ran dry: height %d, economics %+v, lease %+v", e.ctx.BlockHeight(), eco, l)
	}
	if l, err := e.app.SharersKeeper.ActiveLeases(e.ctx, "hello"); err != nil || len(l) != 0 {
		t.Fatalf("leases after depletion: %v %v", l, err)
	}
	eco, err := e.app.UsageKeeper.Economics(e.ctx, "hello")
	must(t, err)
	if !eco.Depleted || !eco.DepositToResume.IsPositive() {
		t.Fatalf("economics after depletion: %+v", eco)
	}

	err = e.tx(func(ctx context.Context) error {
		_, err := e.services.ResumeService(ctx, &servicestypes.MsgResumeService{Signer: account("alice").String(), Name: "hello"})
		return err
	})
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("deposit at least %suqc (q1 service fund) before height %d", eco.DepositToResume, eco.GraceDeadline)) {
		t.Fatalf("resuming a depleted service by its owners: %v", err)
	}

	fund := func(amount math.Int) (*servicestypes.MsgFundEscrowResponse, error) {
		var r *servicestypes.MsgFundEscrowResponse
		err := e.tx(func(ctx context.Context) error {
			var err error
			r, err = e.services.FundEscrow(ctx, &servicestypes.MsgFundEscrow{Funder: account("alice").String(), Name: "hello", Amount: amount})
			return err
		})
		return r, err
	}
	// Resuming needs lowBalanceBlocks of burn (100,000 uqc) on top of what
	// the escrow keeps back for the reports of the epochs it served last.
	pending, err := e.app.UsageKeeper.PendingUsage(e.ctx, "hello")
	must(t, err)
	if !pending.IsPositive() {
		t.Errorf("nothing kept back for the last epochs' reports after depletion")
	}
	_, err = fund(math.NewInt(10))
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("resuming needs %suqc", pending.AddRaw(100_000))) {
		t.Fatalf("a deposit below the resume threshold: %v", err)
	}
	r, err := fund(eco.DepositToResume)
	must(t, err)
	if !r.Resumed || !strings.Contains(r.Note, "resumed service hello") {
		t.Fatalf("resume deposit: %+v", r)
	}
	e.block()
	leases, err = e.app.SharersKeeper.ActiveLeases(e.ctx, "hello")
	must(t, err)
	if len(leases) != 1 || leases[0].Sharer != holder {
		t.Fatalf("after resume, leases %+v, want one on %s", leases, holder)
	}
	e.ackAll("hello")
	e.block()
}
