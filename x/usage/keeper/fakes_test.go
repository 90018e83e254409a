package keeper_test

import (
	"context"
	"fmt"
	"slices"
	"time"

	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"
	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/quantum1net/q1/core/address"
	"github.com/quantum1net/q1/core/manifest"
	servicestypes "github.com/quantum1net/q1/x/services/types"
	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
)

// fakeSharers is x/sharers as the usage module sees it: sharers, leases, an
// epoch clock the test moves, and the heartbeats recorded.
type fakeSharers struct {
	sharers    map[string]sharerstypes.Sharer
	leases     map[uint64]sharerstypes.Lease
	epoch      sharerstypes.EpochInfo   // current
	ended      []sharerstypes.EpochInfo // by number
	heartbeats []string
	bank       *fakeServices // the bank slashes pay auditors through
	burned     math.Int
	slashes    []sharerstypes.Slash
	// epochBlocks is x/sharers' epoch_blocks (0: the default, 600).
	epochBlocks uint64
}

func newFakeSharers() *fakeSharers {
	return &fakeSharers{
		sharers: map[string]sharerstypes.Sharer{},
		leases:  map[uint64]sharerstypes.Lease{},
		epoch:   sharerstypes.EpochInfo{Number: 0, StartHeight: 1, StartTime: genesisTime},
		burned:  math.ZeroInt(),
	}
}

// ActiveSharers lists the active sharers, sorted.
func (f *fakeSharers) ActiveSharers(context.Context) ([]string, error) {
	var out []string
	for _, a := range sortedKeys(f.sharers) {
		if f.sharers[a].Status == sharerstypes.SharerActive {
			out = append(out, a)
		}
	}
	return out, nil
}

// SlashCollateral slashes as the real keeper does: up to the collateral,
// payFraction of it to payees in equal parts, the rest burned.
func (f *fakeSharers) SlashCollateral(_ context.Context, addr string, amount math.Int, payFraction math.LegacyDec, payees []string, _ string) (sharerstypes.Slash, error) {
	sh, ok := f.sharers[addr]
	if !ok {
		return sharerstypes.Slash{}, fmt.Errorf("%s is not a sharer", addr)
	}
	if sh.Collateral.IsNil() {
		sh.Collateral = math.ZeroInt()
	}
	out := sharerstypes.Slash{Amount: math.MinInt(amount, sh.Collateral), Paid: math.ZeroInt(), PerPayee: math.ZeroInt()}
	if len(payees) > 0 {
		out.PerPayee = payFraction.MulInt(out.Amount).TruncateInt().QuoRaw(int64(len(payees)))
		out.Paid = out.PerPayee.MulRaw(int64(len(payees)))
		for _, p := range payees {
			f.bank.credit(p, out.PerPayee)
		}
	}
	out.Burned = out.Amount.Sub(out.Paid)
	f.burned = f.burned.Add(out.Burned)
	sh.Collateral = sh.Collateral.Sub(out.Amount)
	out.Collateral = sh.Collateral
	f.sharers[addr] = sh
	f.slashes = append(f.slashes, out)
	return out, nil
}

// advance ends the current epoch at height end.
func (f *fakeSharers) advance(end int64) {
	e := f.epoch
	e.EndHeight = end
	f.ended = append(f.ended, e)
	f.epoch = sharerstypes.EpochInfo{Number: e.Number + 1, StartHeight: end + 1}
}

func (f *fakeSharers) GetSharer(_ context.Context, addr string) (sharerstypes.Sharer, error) {
	s, ok := f.sharers[addr]
	if !ok {
		return sharerstypes.Sharer{}, errorsmod.Wrapf(sharerstypes.ErrSharerNotFound, "%s is not a registered sharer; register it with MsgRegisterSharer", addr)
	}
	return s, nil
}

func (f *fakeSharers) GetLease(_ context.Context, id uint64) (sharerstypes.Lease, error) {
	l, ok := f.leases[id]
	if !ok {
		return sharerstypes.Lease{}, errorsmod.Wrapf(sharerstypes.ErrLeaseNotFound, "lease %d does not exist (or closed long enough ago to be pruned)", id)
	}
	return l, nil
}

func (f *fakeSharers) GetParams(context.Context) (sharerstypes.Params, error) {
	p := sharerstypes.DefaultParams()
	if f.epochBlocks != 0 {
		p.EpochBlocks = f.epochBlocks
	}
	return p, nil
}

func (f *fakeSharers) CurrentEpoch(context.Context) (sharerstypes.EpochInfo, error) {
	return f.epoch, nil
}

func (f *fakeSharers) GetEpoch(_ context.Context, n uint64) (sharerstypes.EpochInfo, bool, error) {
	i := slices.IndexFunc(f.ended, func(e sharerstypes.EpochInfo) bool { return e.Number == n })
	if i < 0 {
		return sharerstypes.EpochInfo{}, false, nil
	}
	return f.ended[i], true, nil
}

func (f *fakeSharers) RecordHeartbeat(_ context.Context, addr string, n uint64) error {
	s := f.sharers[addr]
	s.LastReportedEpoch = max(s.LastReportedEpoch, n)
	f.sharers[addr] = s
	f.heartbeats = append(f.heartbeats, addr)
	return nil
}

// CheckInvariants holds: the fake keeps no collateral.
func (f *fakeSharers) CheckInvariants(context.Context) error { return nil }

// fakeServices is x/services as the usage module sees it: services under
// manifests, escrows held in one fake module account, and the depletion
// lifecycle. Pausing or deleting closes the service's leases through the
// usage module's x/sharers hooks, as the real x/sharers does. Balances are
// by bech32 address or module name.
type fakeServices struct {
	sharers   *fakeSharers
	leaseHook sharerstypes.SharersHooks
	svcHook   servicestypes.ServicesHooks
	owed      func(ctx context.Context, name string) (math.Int, error)
	height    func() (int64, time.Time)
	services  map[string]servicestypes.Service
	manifests map[string]*manifest.Manifest
	escrows   map[string]math.Int
	balances  map[string]math.Int
	resumed   []string
	// versions, when set for a service, are its versions (number i+1 at
	// index i); else the fake keeps one, active since height 1.
	versions map[string][]fakeVersion
}

// fakeVersion is a version of a service: when it activated and its code.
type fakeVersion struct {
	activated int64
	wasm      string
}

func newFakeServices(sh *fakeSharers) *fakeServices {
	return &fakeServices{
		sharers:   sh,
		services:  map[string]servicestypes.Service{},
		manifests: map[string]*manifest.Manifest{},
		escrows:   map[string]math.Int{},
		balances:  map[string]math.Int{},
	}
}

func (s *fakeServices) credit(who string, amount math.Int) {
	b, ok := s.balances[who]
	if !ok {
		b = math.ZeroInt()
	}
	s.balances[who] = b.Add(amount)
}

func (s *fakeServices) balance(who string) math.Int {
	if b, ok := s.balances[who]; ok {
		return b
	}
	return math.ZeroInt()
}

func (s *fakeServices) GetService(_ context.Context, name string) (servicestypes.Service, error) {
	svc, ok := s.services[name]
	if !ok {
		return svc, errorsmod.Wrapf(servicestypes.ErrServiceNotFound, "service %s does not exist", name)
	}
	svc.CurrentVersion = max(svc.CurrentVersion, 1, uint64(len(s.versions[name]))) // the fake keeps one version, unless told of more
	return svc, nil
}

// GetVersion returns the fake's one version, active since height 1, or
// version n of those it was told of.
func (s *fakeServices) GetVersion(_ context.Context, name string, n uint64) (servicestypes.Version, error) {
	if vs := s.versions[name]; n >= 1 && n <= uint64(len(vs)) {
		return servicestypes.Version{Service: name, Number: n, ActivatedHeight: vs[n-1].activated}, nil
	}
	if _, ok := s.services[name]; !ok || n != 1 {
		return servicestypes.Version{}, errorsmod.Wrapf(servicestypes.ErrServiceNotFound, "service %s has no version %d", name, n)
	}
	return servicestypes.Version{Service: name, Number: 1, ActivatedHeight: 1}, nil
}

// GetSpec returns the spec of the fake's one version, with the code of
// version n when it was told of versions.
func (s *fakeServices) GetSpec(ctx context.Context, name string, n uint64) (*servicestypes.ServiceSpec, error) {
	spec, err := s.CurrentSpec(ctx, name)
	if vs := s.versions[name]; err == nil && n >= 1 && n <= uint64(len(vs)) {
		spec.Code.Wasm = vs[n-1].wasm
	}
	return spec, err
}

// RefundToEscrow moves amount from a module's balance back into an escrow.
func (s *fakeServices) RefundToEscrow(_ context.Context, name, fromModule string, amount math.Int) error {
	if err := s.take(fromModule, amount); err != nil {
		return err
	}
	b, _ := s.EscrowBalance(context.TODO(), name)
	s.escrows[name] = b.Add(amount)
	return nil
}

// take debits who's balance, refusing to overdraw.
func (s *fakeServices) take(who string, amount math.Int) error {
	if b := s.balance(who); b.LT(amount) {
		return fmt.Errorf("%s holds %s, less than %s", who, b, amount)
	}
	s.balances[who] = s.balance(who).Sub(amount)
	return nil
}

// fakeModules are the module accounts the fake bank knows by name.
var fakeModules = []string{"usage", authtypes.FeeCollectorName}

func (s *fakeServices) SendCoinsFromModuleToAccount(_ context.Context, module string, to sdk.AccAddress, amt sdk.Coins) error {
	if err := s.take(module, amt.AmountOf("uqc")); err != nil {
		return err
	}
	addr, _ := addresscodec.NewBech32Codec(address.AccountPrefix).BytesToString(to)
	s.credit(addr, amt.AmountOf("uqc"))
	return nil
}

func (s *fakeServices) SendCoinsFromModuleToModule(_ context.Context, from, to string, amt sdk.Coins) error {
	if err := s.take(from, amt.AmountOf("uqc")); err != nil {
		return err
	}
	s.credit(to, amt.AmountOf("uqc"))
	return nil
}

// CurrentSpec returns the spec of the service's manifest, encoded and
// decoded again as the real keeper's store would (a little more work than
// the real keeper, which only decodes).
func (s *fakeServices) CurrentSpec(_ context.Context, name string) (*servicestypes.ServiceSpec, error) {
	m, ok := s.manifests[name]
	if !ok {
		return nil, errorsmod.Wrapf(servicestypes.ErrServiceNotFound, "service %s does not exist", name)
	}
	spec := servicestypes.SpecFromManifest(m)
	b, err := spec.Marshal()
	if err != nil {
		return nil, err
	}
	var out servicestypes.ServiceSpec
	if err := out.Unmarshal(b); err != nil {
		return nil, err
	}
	return &out, nil
}

func (s *fakeServices) EscrowBalance(_ context.Context, name string) (math.Int, error) {
	if b, ok := s.escrows[name]; ok {
		return b, nil
	}
	return math.ZeroInt(), nil
}

func (s *fakeServices) debit(name string, amount math.Int) error {
	b, _ := s.EscrowBalance(context.TODO(), name)
	if !amount.IsPositive() || b.LT(amount) {
		return errorsmod.Wrapf(servicestypes.ErrInsufficientEscrow, "service %s holds %s, less than %s", name, b, amount)
	}
	s.escrows[name] = b.Sub(amount)
	return nil
}

func (s *fakeServices) PayFromEscrowToAccount(_ context.Context, name string, to sdk.AccAddress, amount math.Int) error {
	if err := s.debit(name, amount); err != nil {
		return err
	}
	addr, _ := addresscodec.NewBech32Codec(address.AccountPrefix).BytesToString(to)
	s.credit(addr, amount)
	return nil
}

func (s *fakeServices) PayFromEscrowToModule(_ context.Context, name, module string, amount math.Int) error {
	if err := s.debit(name, amount); err != nil {
		return err
	}
	s.credit(module, amount)
	return nil
}

// closeLeases closes the service's open leases and calls the hooks.
func (s *fakeServices) closeLeases(ctx context.Context, name string, reason sharerstypes.CloseReason) error {
	h, t := s.height()
	for _, id := range sortedIDs(s.sharers.leases) {
		l := s.sharers.leases[id]
		if l.Service != name || !l.IsOpen() {
			continue
		}
		l.ClosedHeight, l.ClosedTime, l.CloseReason = h, t, reason
		s.sharers.leases[id] = l
		if err := s.leaseHook.AfterLeaseClosed(ctx, l); err != nil {
			return err
		}
	}
	return nil
}

func (s *fakeServices) PauseForDepletion(ctx context.Context, name string) error {
	svc := s.services[name]
	svc.Status = servicestypes.StatusPaused
	svc.Pause = &servicestypes.Pause{Reason: servicestypes.PauseReasonDepletion}
	s.services[name] = svc
	return s.closeLeases(ctx, name, sharerstypes.CloseServicePaused)
}

func (s *fakeServices) ResumeAfterDeposit(_ context.Context, name string) error {
	svc := s.services[name]
	svc.Status = servicestypes.StatusActive
	svc.Pause = nil
	s.services[name] = svc
	s.resumed = append(s.resumed, name)
	return nil
}

func (s *fakeServices) DeleteForDepletion(ctx context.Context, name, reason string) error {
	svc := s.services[name]
	svc.Status = servicestypes.StatusDeleted
	s.services[name] = svc
	if err := s.closeLeases(ctx, name, sharerstypes.CloseServiceDeleted); err != nil {
		return err
	}
	if _, err := s.refundAvailable(ctx, name, "creator"); err != nil {
		return err
	}
	return s.svcHook.AfterServiceDeleted(ctx, name)
}

// deleteService deletes name as its owners' approved proposal does:
// leases close, the escrow less what it owes goes to "owner".
func (s *fakeServices) deleteService(ctx context.Context, name string) error {
	svc := s.services[name]
	svc.Status = servicestypes.StatusDeleted
	svc.RefundTo = "owner"
	s.services[name] = svc
	if err := s.closeLeases(ctx, name, sharerstypes.CloseServiceDeleted); err != nil {
		return err
	}
	if _, err := s.refundAvailable(ctx, name, "owner"); err != nil {
		return err
	}
	return s.svcHook.AfterServiceDeleted(ctx, name)
}

// refundAvailable pays the escrow less what the usage module says is owed
// to who.
func (s *fakeServices) refundAvailable(ctx context.Context, name, who string) (math.Int, error) {
	b, _ := s.EscrowBalance(ctx, name)
	owed, err := s.owed(ctx, name)
	if err != nil {
		return math.Int{}, err
	}
	refund := b.Sub(owed)
	if !refund.IsPositive() {
		return math.ZeroInt(), nil
	}
	if err := s.debit(name, refund); err != nil {
		return math.Int{}, err
	}
	s.credit(who, refund)
	return refund, nil
}

func (s *fakeServices) RefundHeldBack(ctx context.Context, name string) (math.Int, error) {
	svc := s.services[name]
	if svc.Status != servicestypes.StatusDeleted {
		return math.Int{}, fmt.Errorf("service %s is not deleted", name)
	}
	return s.refundAvailable(ctx, name, svc.RefundTo)
}

func (s *fakeServices) SumEscrows(context.Context) (math.Int, []string, error) {
	sum := math.ZeroInt()
	var neg []string
	for _, name := range sortedKeys(s.escrows) {
		if s.escrows[name].IsNegative() {
			neg = append(neg, name)
		}
		sum = sum.Add(s.escrows[name])
	}
	return sum, neg, nil
}

func (s *fakeServices) ModuleAddress() sdk.AccAddress { return authtypes.NewModuleAddress("services") }

func (s *fakeServices) GetParams(context.Context) (servicestypes.Params, error) {
	return servicestypes.Params{Denom: "uqc"}, nil
}

// GetBalance makes fakeServices the bank too: the services module account
// holds the escrows.
func (s *fakeServices) GetBalance(_ context.Context, addr sdk.AccAddress, denom string) sdk.Coin {
	if addr.Equals(s.ModuleAddress()) {
		sum, _, _ := s.SumEscrows(context.TODO())
		return sdk.NewCoin(denom, sum)
	}
	for _, m := range fakeModules {
		if addr.Equals(authtypes.NewModuleAddress(m)) {
			return sdk.NewCoin(denom, s.balance(m))
		}
	}
	str, _ := addresscodec.NewBech32Codec(address.AccountPrefix).BytesToString(addr)
	return sdk.NewCoin(denom, s.balance(str))
}

func sortedIDs(m map[uint64]sharerstypes.Lease) []uint64 {
	ids := make([]uint64, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
