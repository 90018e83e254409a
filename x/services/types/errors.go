package types

import errorsmod "cosmossdk.io/errors"

// The module's errors, registered once with stable codes. Each is wrapped
// with a message that says what was wrong and where, for example
// "q11…: not an owner of service hello: unauthorized"; callers branch on them
// with errors.Is.
var (
	ErrInvalidRequest     = errorsmod.Register(ModuleName, 2, "invalid request")
	ErrInvalidAddress     = errorsmod.Register(ModuleName, 3, "invalid address")
	ErrInvalidManifest    = errorsmod.Register(ModuleName, 4, "invalid manifest")
	ErrServiceNotFound    = errorsmod.Register(ModuleName, 5, "service not found")
	ErrNameTaken          = errorsmod.Register(ModuleName, 6, "name taken")
	ErrUnauthorized       = errorsmod.Register(ModuleName, 7, "unauthorized")
	ErrFrozenField        = errorsmod.Register(ModuleName, 8, "frozen field")
	ErrProposalPending    = errorsmod.Register(ModuleName, 9, "proposal pending")
	ErrProposalNotFound   = errorsmod.Register(ModuleName, 10, "proposal not found")
	ErrHashMismatch       = errorsmod.Register(ModuleName, 11, "hash mismatch")
	ErrAlreadyApproved    = errorsmod.Register(ModuleName, 12, "already approved")
	ErrProposalClosed     = errorsmod.Register(ModuleName, 13, "proposal closed")
	ErrInsufficientEscrow = errorsmod.Register(ModuleName, 14, "insufficient escrow")
	ErrDepositTooSmall    = errorsmod.Register(ModuleName, 15, "deposit too small")
	ErrServiceDeleted     = errorsmod.Register(ModuleName, 16, "service deleted")
	ErrWrongStatus        = errorsmod.Register(ModuleName, 17, "wrong status")
	ErrInvalidReplicas    = errorsmod.Register(ModuleName, 18, "invalid replicas")
	ErrInvalidAmount      = errorsmod.Register(ModuleName, 19, "invalid amount")
	ErrInvalidParams      = errorsmod.Register(ModuleName, 20, "invalid params")
	ErrInvalidGenesis     = errorsmod.Register(ModuleName, 21, "invalid genesis")
)
