package keeper_test

import (
	"context"
	"fmt"

	errorsmod "cosmossdk.io/errors"
	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/quantum1net/q1/core/manifest"
	servicestypes "github.com/quantum1net/q1/x/services/types"
)

// fakeAccounts knows module account addresses the way x/auth derives them.
type fakeAccounts struct{}

func (fakeAccounts) GetModuleAddress(name string) sdk.AccAddress {
	return authtypes.NewModuleAddress(name)
}

// fakeBank really moves balances, kept in a map by raw address, and refuses
// to overdraw like x/bank does. Between begin and end it journals what it
// changes, so a failed transaction can be undone.
type fakeBank struct {
	balances map[string]sdk.Coins
	burned   sdk.Coins
	journal  []journalEntry
	open     bool
}

type journalEntry struct {
	addr string
	had  sdk.Coins
}

func newFakeBank() *fakeBank { return &fakeBank{balances: map[string]sdk.Coins{}} }

func (b *fakeBank) mint(addr sdk.AccAddress, amt sdk.Coins) {
	b.set(string(addr), b.balances[string(addr)].Add(amt...))
}

func (b *fakeBank) set(addr string, c sdk.Coins) {
	if b.open {
		b.journal = append(b.journal, journalEntry{addr, b.balances[addr]})
	}
	b.balances[addr] = c
}

// begin starts journaling a transaction's changes.
func (b *fakeBank) begin() { b.open, b.journal = true, b.journal[:0] }

// end stops journaling, undoing the transaction's changes unless ok.
func (b *fakeBank) end(ok bool) {
	if !ok {
		for i := len(b.journal) - 1; i >= 0; i-- {
			b.balances[b.journal[i].addr] = b.journal[i].had
		}
	}
	b.open, b.journal = false, b.journal[:0]
}

func (b *fakeBank) send(from, to sdk.AccAddress, amt sdk.Coins) error {
	have := b.balances[string(from)]
	left, neg := have.SafeSub(amt...)
	if neg {
		return errorsmod.Wrapf(sdkerrors.ErrInsufficientFunds, "spendable balance %s is smaller than %s", have, amt)
	}
	b.set(string(from), left)
	b.set(string(to), b.balances[string(to)].Add(amt...))
	return nil
}

func (b *fakeBank) SendCoinsFromAccountToModule(_ context.Context, from sdk.AccAddress, module string, amt sdk.Coins) error {
	return b.send(from, authtypes.NewModuleAddress(module), amt)
}

func (b *fakeBank) SendCoinsFromModuleToAccount(_ context.Context, module string, to sdk.AccAddress, amt sdk.Coins) error {
	return b.send(authtypes.NewModuleAddress(module), to, amt)
}

func (b *fakeBank) BurnCoins(_ context.Context, module string, amt sdk.Coins) error {
	from := authtypes.NewModuleAddress(module)
	have := b.balances[string(from)]
	left, neg := have.SafeSub(amt...)
	if neg {
		return errorsmod.Wrapf(sdkerrors.ErrInsufficientFunds, "spendable balance %s is smaller than %s", have, amt)
	}
	b.set(string(from), left)
	b.burned = b.burned.Add(amt...)
	return nil
}

func (b *fakeBank) GetBalance(_ context.Context, addr sdk.AccAddress, denom string) sdk.Coin {
	return sdk.NewCoin(denom, b.balances[string(addr)].AmountOf(denom))
}

// fakeServices is x/services as placement sees it: service records and
// the specs of their current manifests, kept encoded as the real keeper's
// store keeps them. Its methods change a service the way the real keeper
// does and fire the same hooks.
type fakeServices struct {
	services map[string]*fakeService
	hooks    servicestypes.ServicesHooks
}

type fakeService struct {
	rec  servicestypes.Service
	spec []byte // a servicestypes.ServiceSpec, proto-encoded
}

func encodeSpec(s servicestypes.ServiceSpec) []byte {
	b, err := s.Marshal()
	if err != nil {
		panic(err)
	}
	return b
}

func decodeSpec(b []byte) (*servicestypes.ServiceSpec, error) {
	var s servicestypes.ServiceSpec
	if err := s.Unmarshal(b); err != nil {
		return nil, err
	}
	return &s, nil
}

func newFakeServices() *fakeServices { return &fakeServices{services: map[string]*fakeService{}} }

func (f *fakeServices) GetService(_ context.Context, name string) (servicestypes.Service, error) {
	s, ok := f.services[name]
	if !ok {
		return servicestypes.Service{}, errorsmod.Wrapf(servicestypes.ErrServiceNotFound, "service %s does not exist", name)
	}
	return s.rec, nil
}

func (f *fakeServices) CurrentSpec(_ context.Context, name string) (*servicestypes.ServiceSpec, error) {
	s, ok := f.services[name]
	if !ok {
		return nil, errorsmod.Wrapf(servicestypes.ErrServiceNotFound, "service %s does not exist", name)
	}
	return decodeSpec(s.spec) // a copy, decoded as the real keeper's store decodes it
}

func (f *fakeServices) create(ctx context.Context, m *manifest.Manifest) error {
	if _, ok := f.services[m.Name]; ok {
		return fmt.Errorf("service %s exists", m.Name)
	}
	spec := servicestypes.SpecFromManifest(m)
	f.services[m.Name] = &fakeService{rec: servicestypes.Service{Name: m.Name, Status: servicestypes.StatusActive, CurrentVersion: 1}, spec: encodeSpec(spec)}
	return f.hooks.AfterServiceCreated(ctx, m.Name, &spec)
}

func (f *fakeServices) activate(ctx context.Context, m *manifest.Manifest) error {
	s := f.services[m.Name]
	old, err := decodeSpec(s.spec)
	if err != nil {
		return err
	}
	next := servicestypes.SpecFromManifest(m)
	s.spec = encodeSpec(next)
	s.rec.CurrentVersion++
	return f.hooks.AfterVersionActivated(ctx, m.Name, old, &next)
}

func (f *fakeServices) scale(ctx context.Context, name string, replicas uint32) error {
	s := f.services[name]
	next, err := decodeSpec(s.spec)
	if err != nil {
		return err
	}
	old := next.Placement.Replicas
	next.Placement.Replicas = replicas
	if next.Placement.ReplicasMax < replicas {
		next.Placement.ReplicasMax = replicas
	}
	s.spec = encodeSpec(*next)
	return f.hooks.AfterScaled(ctx, name, old, replicas)
}

func (f *fakeServices) pause(ctx context.Context, name string) error {
	s := f.services[name]
	s.rec.Status = servicestypes.StatusPaused
	s.rec.Pause = &servicestypes.Pause{Reason: servicestypes.PauseReasonOwner}
	return f.hooks.AfterServicePaused(ctx, name, servicestypes.PauseReasonOwner)
}

func (f *fakeServices) resume(ctx context.Context, name string) error {
	s := f.services[name]
	s.rec.Status = servicestypes.StatusActive
	s.rec.Pause = nil
	return f.hooks.AfterServiceResumed(ctx, name)
}

func (f *fakeServices) remove(ctx context.Context, name string) error {
	s := f.services[name]
	s.rec.Status = servicestypes.StatusDeleted
	return f.hooks.AfterServiceDeleted(ctx, name)
}
