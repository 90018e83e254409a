package types

import errorsmod "cosmossdk.io/errors"

// The module's errors, registered once with stable codes. Each is wrapped
// with a message that says what was wrong, where and what to do; callers
// branch on them with errors.Is.
var (
	ErrInvalidRequest  = errorsmod.Register(ModuleName, 2, "invalid request")
	ErrInvalidAddress  = errorsmod.Register(ModuleName, 3, "invalid address")
	ErrEpochNotEnded   = errorsmod.Register(ModuleName, 4, "epoch not ended")
	ErrReportTooOld    = errorsmod.Register(ModuleName, 5, "report too old")
	ErrDuplicateReport = errorsmod.Register(ModuleName, 6, "duplicate report")
	ErrInvalidEntry    = errorsmod.Register(ModuleName, 7, "invalid usage entry")
	ErrNotRegistered   = errorsmod.Register(ModuleName, 8, "sharer not registered")
	ErrUnauthorized    = errorsmod.Register(ModuleName, 9, "unauthorized")
	ErrInvalidParams   = errorsmod.Register(ModuleName, 10, "invalid params")
	ErrInvalidGenesis  = errorsmod.Register(ModuleName, 11, "invalid genesis")
	ErrReportNotFound  = errorsmod.Register(ModuleName, 12, "report not found")
)

// Errors of charging and escrows.
var (
	ErrDepositBelowResume = errorsmod.Register(ModuleName, 14, "deposit below the resume threshold")
)
