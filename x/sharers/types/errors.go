package types

import errorsmod "cosmossdk.io/errors"

// The module's errors, registered once with stable codes. Each is wrapped
// with a message that says what was wrong, where and what to do; callers
// branch on them with errors.Is.
var (
	ErrInvalidRequest         = errorsmod.Register(ModuleName, 2, "invalid request")
	ErrInvalidAddress         = errorsmod.Register(ModuleName, 3, "invalid address")
	ErrInvalidEndpoint        = errorsmod.Register(ModuleName, 4, "invalid endpoint")
	ErrInvalidCapacity        = errorsmod.Register(ModuleName, 5, "invalid capacity")
	ErrInvalidPrices          = errorsmod.Register(ModuleName, 6, "invalid prices")
	ErrInvalidAttributes      = errorsmod.Register(ModuleName, 7, "invalid attributes")
	ErrInvalidDenyList        = errorsmod.Register(ModuleName, 8, "invalid deny list")
	ErrSharerNotFound         = errorsmod.Register(ModuleName, 9, "sharer not found")
	ErrAlreadyRegistered      = errorsmod.Register(ModuleName, 10, "already registered")
	ErrInsufficientCollateral = errorsmod.Register(ModuleName, 11, "insufficient collateral")
	ErrCollateralLocked       = errorsmod.Register(ModuleName, 12, "collateral locked")
	ErrHasLeases              = errorsmod.Register(ModuleName, 13, "sharer holds leases")
	ErrCapacityInUse          = errorsmod.Register(ModuleName, 14, "capacity in use")
	ErrLeaseNotFound          = errorsmod.Register(ModuleName, 15, "lease not found")
	ErrNotLeaseHolder         = errorsmod.Register(ModuleName, 16, "not the lease holder")
	ErrLeaseClosed            = errorsmod.Register(ModuleName, 17, "lease closed")
	ErrAlreadyAcked           = errorsmod.Register(ModuleName, 18, "lease already acknowledged")
	ErrUnauthorized           = errorsmod.Register(ModuleName, 19, "unauthorized")
	ErrInvalidParams          = errorsmod.Register(ModuleName, 20, "invalid params")
	ErrInvalidGenesis         = errorsmod.Register(ModuleName, 21, "invalid genesis")
	ErrInvalidAmount          = errorsmod.Register(ModuleName, 22, "invalid amount")
	ErrNotRegistered          = errorsmod.Register(ModuleName, 23, "not registered")
)
