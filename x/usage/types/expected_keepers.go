package types

import (
	"context"

	"cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"

	servicestypes "github.com/quantum1net/q1/x/services/types"
	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
)

// SharersKeeper is what the module needs from x/sharers: the sharer and its
// leases, the epoch clock, recording the heartbeat a report is, and the
// module's own invariants for the audit.
type SharersKeeper interface {
	// GetSharer returns the sharer's record, or an error wrapping
	// sharerstypes.ErrSharerNotFound.
	GetSharer(ctx context.Context, addr string) (sharerstypes.Sharer, error)
	// GetLease returns a lease, open or recently closed.
	GetLease(ctx context.Context, id uint64) (sharerstypes.Lease, error)
	// GetParams returns x/sharers' parameters: epoch_blocks turns the
	// audit's windows into epochs for the retention's minimum.
	GetParams(ctx context.Context) (sharerstypes.Params, error)
	// CurrentEpoch returns the epoch in progress.
	CurrentEpoch(ctx context.Context) (sharerstypes.EpochInfo, error)
	// GetEpoch returns a recently ended epoch; ok is false otherwise.
	GetEpoch(ctx context.Context, n uint64) (e sharerstypes.EpochInfo, ok bool, err error)
	// RecordHeartbeat records that the sharer reported epoch n.
	RecordHeartbeat(ctx context.Context, addr string, n uint64) error
	// CheckInvariants reports the first broken invariant of x/sharers
	// (collateral against its module account included).
	CheckInvariants(ctx context.Context) error
	// ActiveSharers returns the active sharers' addresses, sorted: the
	// auditors an audit is drawn from.
	ActiveSharers(ctx context.Context) ([]string, error)
	// SlashCollateral takes up to amount of the sharer's collateral, pays
	// payFraction of it to payees in equal parts and burns the rest.
	SlashCollateral(ctx context.Context, addr string, amount math.Int, payFraction math.LegacyDec, payees []string, reason string) (sharerstypes.Slash, error)
}

// ServicesKeeper is what the module needs from x/services: services and
// the specs of their manifests, escrows and paying from them, and the depletion
// lifecycle (pause, resume by deposit, delete).
type ServicesKeeper interface {
	// GetService returns the service's record, or an error wrapping
	// servicestypes.ErrServiceNotFound.
	GetService(ctx context.Context, name string) (servicestypes.Service, error)
	// CurrentSpec returns the spec of the manifest the service runs under,
	// as stored when the manifest was accepted: nothing is parsed.
	CurrentSpec(ctx context.Context, name string) (*servicestypes.ServiceSpec, error)
	// GetVersion and GetSpec return version n of the service and its spec:
	// an audit accepts the code of every version active during the epoch.
	GetVersion(ctx context.Context, name string, n uint64) (servicestypes.Version, error)
	GetSpec(ctx context.Context, name string, n uint64) (*servicestypes.ServiceSpec, error)
	// RefundToEscrow moves amount from module account fromModule back into
	// the service's escrow (a charge an audit refused).
	RefundToEscrow(ctx context.Context, name, fromModule string, amount math.Int) error
	// EscrowBalance returns what the service holds in escrow.
	EscrowBalance(ctx context.Context, name string) (math.Int, error)
	// PayFromEscrowToAccount and PayFromEscrowToModule move amount out of
	// the service's escrow; they fail, changing nothing, when it holds less.
	PayFromEscrowToAccount(ctx context.Context, name string, to sdk.AccAddress, amount math.Int) error
	PayFromEscrowToModule(ctx context.Context, name, module string, amount math.Int) error
	// PauseForDepletion pauses the service because its escrow ran dry.
	PauseForDepletion(ctx context.Context, name string) error
	// ResumeAfterDeposit resumes a service paused because its escrow ran dry.
	ResumeAfterDeposit(ctx context.Context, name string) error
	// DeleteForDepletion deletes the service because its escrow ran dry,
	// refunding what it does not owe to its creator; reason is recorded.
	DeleteForDepletion(ctx context.Context, name, reason string) error
	// RefundHeldBack pays a deleted service's escrow, less what it still
	// owes, to the account its deletion named, and returns what it paid.
	RefundHeldBack(ctx context.Context, name string) (math.Int, error)
	// SumEscrows returns the sum of the escrow records and the services
	// whose escrow is negative.
	SumEscrows(ctx context.Context) (sum math.Int, negative []string, err error)
	// ModuleAddress is the account holding every escrow.
	ModuleAddress() sdk.AccAddress
	// GetParams returns x/services' parameters (the escrow denom).
	GetParams(ctx context.Context) (servicestypes.Params, error)
}

// BankKeeper is what the module needs from x/bank: paying out the usage
// charges its module account holds until their audits resolve, and reading
// balances for the invariants.
type BankKeeper interface {
	GetBalance(ctx context.Context, addr sdk.AccAddress, denom string) sdk.Coin
	SendCoinsFromModuleToAccount(ctx context.Context, fromModule string, to sdk.AccAddress, amt sdk.Coins) error
	SendCoinsFromModuleToModule(ctx context.Context, fromModule, toModule string, amt sdk.Coins) error
}
