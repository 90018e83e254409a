package types

import (
	"context"

	sdk "github.com/cosmos/cosmos-sdk/types"

	servicestypes "github.com/quantum1net/q1/x/services/types"
)

// AccountKeeper is what the module needs from x/auth.
type AccountKeeper interface {
	// GetModuleAddress returns the address of a module account, or nil when
	// the app did not declare it.
	GetModuleAddress(name string) sdk.AccAddress
}

// BankKeeper is what the module needs from x/bank: moving collateral between
// sharers and the module account, reading its balance, and burning what is
// slashed.
type BankKeeper interface {
	SendCoinsFromAccountToModule(ctx context.Context, from sdk.AccAddress, toModule string, amt sdk.Coins) error
	SendCoinsFromModuleToAccount(ctx context.Context, fromModule string, to sdk.AccAddress, amt sdk.Coins) error
	GetBalance(ctx context.Context, addr sdk.AccAddress, denom string) sdk.Coin
	// BurnCoins burns slashed collateral from the module account.
	BurnCoins(ctx context.Context, moduleName string, amt sdk.Coins) error
}

// ServicesKeeper is what placement needs from x/services: a service's status
// and the spec (the decoded manifest) it runs under.
type ServicesKeeper interface {
	// GetService returns the service's record, or an error wrapping
	// servicestypes.ErrServiceNotFound.
	GetService(ctx context.Context, name string) (servicestypes.Service, error)
	// CurrentSpec returns the spec of the manifest the service runs under,
	// as stored when the manifest was accepted: nothing is parsed.
	CurrentSpec(ctx context.Context, name string) (*servicestypes.ServiceSpec, error)
}
