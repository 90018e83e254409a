package keeper_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	"cosmossdk.io/math"
	abci "github.com/cometbft/cometbft/abci/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	"github.com/cosmos/gogoproto/proto"

	"github.com/quantum1net/q1/core/manifest"
	servicestypes "github.com/quantum1net/q1/x/services/types"
	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
	"github.com/quantum1net/q1/x/usage/types"
)

// Economy fixtures: services with escrows, acknowledged leases with locked
// prices, epochs with block times, and checks that every uqc is accounted
// for.

const mib = 1 << 20

// caps are generous manifest pricing caps: nothing is capped by price.
var caps = manifest.Pricing{CPUPerCoreSecond: 10_000, MemoryPerMiBHour: 1000, StoragePerGiBHour: 1000, Per1kRequests: 1000, EgressPerGiB: 100_000}

// svcOpts describes a service for the fixture.
type svcOpts struct {
	pricing    manifest.Pricing
	maxPerHour uint64 // 0: none
	lowBlocks  uint64
	grace      uint64
	onDepleted string
	replicas   uint32 // 0: 1
}

// service creates service name with escrow uqc in escrow.
func (f *fixture) service(name string, escrow int64, o svcOpts) {
	if o.pricing == (manifest.Pricing{}) {
		o.pricing = caps
	}
	if o.lowBlocks == 0 {
		o.lowBlocks = 100
	}
	if o.grace == 0 {
		o.grace = 50
	}
	if o.onDepleted == "" {
		o.onDepleted = manifest.DepletionPause
	}
	m := &manifest.Manifest{Name: name, Pricing: o.pricing,
		Resources: manifest.Resources{CPU: 500, Memory: 64 * mib},
		Placement: manifest.Placement{Replicas: max(o.replicas, 1)},
		Code:      manifest.Code{Wasm: "sha256:" + hex.EncodeToString(testModuleHash(name))}}
	m.Policies.Budget = manifest.Budget{LowBalanceBlocks: o.lowBlocks, GraceBlocks: o.grace, OnDepletion: o.onDepleted}
	if o.maxPerHour != 0 {
		a := manifest.Amount(o.maxPerHour)
		m.Policies.Budget.MaxPerHour = &a
	}
	f.services.services[name] = servicestypes.Service{Name: name, Status: servicestypes.StatusActive, Creator: f.addr("owner")}
	f.services.manifests[name] = m
	f.services.escrows[name] = math.NewInt(escrow)
}

// sharerWith registers name offering cpu millicores and egress bytes per
// hour (0: no egress figure).
func (f *fixture) sharerWith(name string, milliCPU, egressPerHour uint64) {
	f.sharer(name)
	s := f.sharers.sharers[f.addr(name)]
	s.Capacity = sharerstypes.Capacity{MilliCpu: milliCPU, MemoryBytes: 1 << 34, EgressBytesPerHour: egressPerHour}
	f.sharers.sharers[f.addr(name)] = s
}

// acked gives sharer lease id of service at prices, reserving memory
// bytes, acknowledged now.
func (f *fixture) acked(id uint64, sharer, service string, prices sharerstypes.Prices, memory uint64) {
	l := sharerstypes.Lease{
		Id: id, Service: service, Sharer: f.addr(sharer), Prices: prices,
		Resources:    sharerstypes.Resources{MilliCpu: 500, MemoryBytes: memory},
		PlacedHeight: f.ctx.BlockHeight(), PlacedTime: f.ctx.BlockTime(),
		AckedHeight: f.ctx.BlockHeight(), AckedTime: f.ctx.BlockTime(),
	}
	f.sharers.leases[id] = l
	noErr(f.t, f.tx(func(ctx context.Context) error { return f.k.SharersHooks().AfterLeaseAcked(ctx, l) }))
}

// unacked gives sharer lease id of service, placed but not acknowledged.
func (f *fixture) unacked(id uint64, sharer, service string) {
	f.sharers.leases[id] = sharerstypes.Lease{Id: id, Service: service, Sharer: f.addr(sharer), PlacedHeight: f.ctx.BlockHeight()}
}

// wait moves the chain on by blocks blocks of d each.
func (f *fixture) wait(blocks int64, d time.Duration) {
	f.ctx = f.ctx.WithBlockHeight(f.ctx.BlockHeight() + blocks).WithBlockTime(f.ctx.BlockTime().Add(time.Duration(blocks) * d))
}

// endEpoch ends the current epoch at the current height and time, and
// moves on one block of one second.
func (f *fixture) endEpoch() uint64 {
	e := f.sharers.epoch
	e.EndHeight, e.EndTime = f.ctx.BlockHeight(), f.ctx.BlockTime()
	f.sharers.ended = append(f.sharers.ended, e)
	f.wait(1, time.Second)
	f.sharers.epoch = sharerstypes.EpochInfo{Number: e.Number + 1, StartHeight: f.ctx.BlockHeight(), StartTime: f.ctx.BlockTime()}
	return e.Number
}

// startEpochNow restarts the current epoch's clock at the current block.
func (f *fixture) startEpochNow() {
	f.sharers.epoch.StartHeight, f.sharers.epoch.StartTime = f.ctx.BlockHeight(), f.ctx.BlockTime()
}

// reportResp sends a report and returns the response.
func (f *fixture) reportResp(name string, epoch uint64, entries ...types.UsageEntry) (*types.MsgUsageReportResponse, error) {
	var resp *types.MsgUsageReportResponse
	err := f.tx(func(ctx context.Context) error {
		var err error
		resp, err = f.msgs.UsageReport(ctx, &types.MsgUsageReport{Sharer: f.addr(name), Epoch: epoch, Entries: rooted(entries)})
		return err
	})
	return resp, err
}

// fund deposits amount into service's escrow, as MsgFundEscrow does: the
// deposit is undone when the hooks refuse it.
func (f *fixture) fund(service string, amount int64) (string, error) {
	before := f.services.escrows[service]
	f.services.escrows[service] = before.Add(math.NewInt(amount))
	var note string
	err := f.tx(func(ctx context.Context) error {
		var err error
		note, err = f.k.EscrowHooks().AfterEscrowFunded(ctx, service, math.NewInt(amount))
		return err
	})
	if err != nil {
		f.services.escrows[service] = before
	}
	return note, err
}

func (f *fixture) endBlock() {
	noErr(f.t, f.tx(func(ctx context.Context) error { return f.k.EndBlocker(ctx) }))
}

func (f *fixture) economics(service string) *types.QueryServiceEconomicsResponse {
	resp, err := f.query.ServiceEconomics(f.ctx, &types.QueryServiceEconomicsRequest{Service: service})
	noErr(f.t, err)
	return resp
}

func (f *fixture) record(service string, epoch, lease uint64) types.UsageRecord {
	resp, err := f.query.ServiceUsage(f.ctx, &types.QueryServiceUsageRequest{Service: service, HasEpoch: true, Epoch: epoch})
	noErr(f.t, err)
	for _, r := range resp.Records {
		if r.LeaseId == lease {
			return r
		}
	}
	f.t.Fatalf("no usage record of lease %d for epoch %d: %+v", lease, epoch, resp.Records)
	return types.UsageRecord{}
}

// total is every uqc the fake chain holds: escrows plus accounts.
func (f *fixture) total() math.Int {
	sum, _, _ := f.services.SumEscrows(f.ctx)
	for _, k := range sortedKeys(f.services.balances) {
		sum = sum.Add(f.services.balances[k])
	}
	return sum
}

// audit fails on any broken invariant.
func (f *fixture) audit() {
	f.t.Helper()
	resp, err := f.query.Invariants(f.ctx, &types.QueryInvariantsRequest{})
	noErr(f.t, err)
	if len(resp.Broken) > 0 {
		f.t.Fatalf("invariants broken: %q", resp.Broken)
	}
}

func (f *fixture) feeCollector() math.Int { return f.services.balance(authtypes.FeeCollectorName) }

// events returns the typed events of type T emitted by the last tx.
func events[T proto.Message](f *fixture) []T {
	var out []T
	for _, e := range f.ctx.EventManager().Events() {
		if m, err := sdk.ParseTypedEvent(abci.Event(e)); err == nil {
			if v, ok := m.(T); ok {
				out = append(out, v)
			}
		}
	}
	return out
}

func capKinds(r types.UsageRecord) []string {
	var out []string
	for _, c := range r.Caps {
		out = append(out, c.Kind)
	}
	return out
}

func wantInt(t *testing.T, what string, got math.Int, want int64) {
	t.Helper()
	if !got.Equal(math.NewInt(want)) {
		t.Errorf("%s = %s, want %d", what, got, want)
	}
}

// testModuleHash is the code hash of service name's (fake) module.
func testModuleHash(name string) []byte {
	h := sha256.Sum256([]byte("module of " + name))
	return h[:]
}
