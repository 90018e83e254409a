package keeper_test

import (
	"context"
	"fmt"
	"strings"

	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/quantum1net/q1/x/services/types"
)

// fakeAccounts knows module account addresses the way x/auth derives them.
type fakeAccounts struct{}

func (fakeAccounts) GetModuleAddress(name string) sdk.AccAddress {
	return authtypes.NewModuleAddress(name)
}

// fakeBank really moves balances, kept in a map by raw address, and refuses
// to overdraw like x/bank does.
type fakeBank struct {
	balances map[string]sdk.Coins
}

func newFakeBank() *fakeBank { return &fakeBank{balances: map[string]sdk.Coins{}} }

func (b *fakeBank) mint(addr sdk.AccAddress, amt sdk.Coins) {
	b.balances[string(addr)] = b.balances[string(addr)].Add(amt...)
}

func (b *fakeBank) send(from, to sdk.AccAddress, amt sdk.Coins) error {
	have := b.balances[string(from)]
	left, neg := have.SafeSub(amt...)
	if neg {
		return errorsmod.Wrapf(sdkerrors.ErrInsufficientFunds, "spendable balance %s is smaller than %s", have, amt)
	}
	b.balances[string(from)] = left
	b.balances[string(to)] = b.balances[string(to)].Add(amt...)
	return nil
}

func (b *fakeBank) SendCoinsFromAccountToModule(_ context.Context, from sdk.AccAddress, module string, amt sdk.Coins) error {
	return b.send(from, authtypes.NewModuleAddress(module), amt)
}

func (b *fakeBank) SendCoinsFromModuleToAccount(_ context.Context, module string, to sdk.AccAddress, amt sdk.Coins) error {
	return b.send(authtypes.NewModuleAddress(module), to, amt)
}

func (b *fakeBank) SendCoinsFromModuleToModule(_ context.Context, from, to string, amt sdk.Coins) error {
	return b.send(authtypes.NewModuleAddress(from), authtypes.NewModuleAddress(to), amt)
}

func (b *fakeBank) GetBalance(_ context.Context, addr sdk.AccAddress, denom string) sdk.Coin {
	return sdk.NewCoin(denom, b.balances[string(addr)].AmountOf(denom))
}

// total is the sum of every balance: what the fake bank's supply is.
func (b *fakeBank) total(denom string) math.Int {
	sum := math.ZeroInt()
	for _, c := range b.balances {
		sum = sum.Add(c.AmountOf(denom))
	}
	return sum
}

// recordingHooks records every hook call as a line, and fails the calls
// named in failOn.
type recordingHooks struct {
	calls  []string
	failOn string
}

func (h *recordingHooks) record(call string) error {
	h.calls = append(h.calls, call)
	if h.failOn != "" && strings.HasPrefix(call, h.failOn) {
		return fmt.Errorf("hook refused %s", call)
	}
	return nil
}

func (h *recordingHooks) AfterServiceCreated(_ context.Context, name string, s *types.ServiceSpec) error {
	return h.record(fmt.Sprintf("created %s replicas=%d", name, s.Placement.Replicas))
}

func (h *recordingHooks) AfterVersionActivated(_ context.Context, name string, old, new *types.ServiceSpec) error {
	return h.record(fmt.Sprintf("activated %s %s->%s", name, old.Manifest().Hash()[:15], new.Manifest().Hash()[:15]))
}

func (h *recordingHooks) AfterServicePaused(_ context.Context, name string, reason types.PauseReason) error {
	return h.record(fmt.Sprintf("paused %s by %s", name, reason.Label()))
}

func (h *recordingHooks) AfterServiceResumed(_ context.Context, name string) error {
	return h.record("resumed " + name)
}

func (h *recordingHooks) AfterServiceDeleted(_ context.Context, name string) error {
	return h.record("deleted " + name)
}

func (h *recordingHooks) AfterScaled(_ context.Context, name string, from, to uint32) error {
	return h.record(fmt.Sprintf("scaled %s %d->%d", name, from, to))
}

// fixedOwed makes every service owe the same amount.
type fixedOwed struct{ amount math.Int }

func (o fixedOwed) EscrowOwed(context.Context, string) (math.Int, error) { return o.amount, nil }
