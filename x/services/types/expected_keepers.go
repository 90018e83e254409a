package types

import (
	"context"

	"cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"
)

// AccountKeeper is what the module needs from x/auth.
type AccountKeeper interface {
	// GetModuleAddress returns the address of a module account, or nil when
	// the app did not declare it.
	GetModuleAddress(name string) sdk.AccAddress
}

// BankKeeper is what the module needs from x/bank: moving coins between
// accounts and the module account, and reading its balance.
type BankKeeper interface {
	SendCoinsFromAccountToModule(ctx context.Context, from sdk.AccAddress, toModule string, amt sdk.Coins) error
	SendCoinsFromModuleToAccount(ctx context.Context, fromModule string, to sdk.AccAddress, amt sdk.Coins) error
	SendCoinsFromModuleToModule(ctx context.Context, fromModule, toModule string, amt sdk.Coins) error
	GetBalance(ctx context.Context, addr sdk.AccAddress, denom string) sdk.Coin
}

// LeaseHolders tells which sharers hold a lease of a service (x/sharers):
// only they receive a secret's wraps, and only they may add one.
type LeaseHolders interface {
	// HoldsLease reports whether sharer (bech32) holds an open lease of
	// service.
	HoldsLease(ctx context.Context, service, sharer string) (bool, error)
}

// NoLeaseHolders is the LeaseHolders used until x/sharers sets one: nobody
// holds a lease, so every wrap is refused.
type NoLeaseHolders struct{}

// HoldsLease returns false.
func (NoLeaseHolders) HoldsLease(context.Context, string, string) (bool, error) { return false, nil }

// EscrowOwed reports what a service owes from its escrow but has not yet
// paid, such as rent accrued since it was last settled. Withdrawals may take
// only the escrow balance minus what is owed, and a deletion refunds only
// that; what is owed stays in the escrow record for its creditor to collect
// with Keeper.PayFromEscrowToAccount or PayFromEscrowToModule.
//
// x/usage will implement it (Keeper.SetEscrowOwed); until then nothing is
// owed ([NothingOwed]).
type EscrowOwed interface {
	EscrowOwed(ctx context.Context, service string) (math.Int, error)
}

// NothingOwed is the EscrowOwed used until another module sets one: every
// service owes zero.
type NothingOwed struct{}

// EscrowOwed returns zero.
func (NothingOwed) EscrowOwed(context.Context, string) (math.Int, error) { return math.ZeroInt(), nil }
