package types

import (
	errorsmod "cosmossdk.io/errors"
	"google.golang.org/grpc/codes"
)

// The module's errors, registered once with stable ABCI codes and the gRPC
// code a query returning one answers with (NotFound, InvalidArgument, …).
// Each is wrapped with a message that says what was wrong, where and what to
// do; callers branch on the error (errors.Is) or its code (status.Code, a
// tx result's codespace and code), never on its text.
var (
	ErrInvalidRequest  = errorsmod.RegisterWithGRPCCode(ModuleName, 2, codes.InvalidArgument, "invalid request")
	ErrInvalidAddress  = errorsmod.RegisterWithGRPCCode(ModuleName, 3, codes.InvalidArgument, "invalid address")
	ErrEpochNotEnded   = errorsmod.RegisterWithGRPCCode(ModuleName, 4, codes.OutOfRange, "epoch not ended")
	ErrReportTooOld    = errorsmod.RegisterWithGRPCCode(ModuleName, 5, codes.OutOfRange, "report too old")
	ErrDuplicateReport = errorsmod.RegisterWithGRPCCode(ModuleName, 6, codes.AlreadyExists, "duplicate report")
	ErrInvalidEntry    = errorsmod.RegisterWithGRPCCode(ModuleName, 7, codes.InvalidArgument, "invalid usage entry")
	ErrNotRegistered   = errorsmod.RegisterWithGRPCCode(ModuleName, 8, codes.FailedPrecondition, "sharer not registered")
	ErrUnauthorized    = errorsmod.RegisterWithGRPCCode(ModuleName, 9, codes.PermissionDenied, "unauthorized")
	ErrInvalidParams   = errorsmod.RegisterWithGRPCCode(ModuleName, 10, codes.InvalidArgument, "invalid params")
	ErrInvalidGenesis  = errorsmod.RegisterWithGRPCCode(ModuleName, 11, codes.InvalidArgument, "invalid genesis")
	ErrReportNotFound  = errorsmod.RegisterWithGRPCCode(ModuleName, 12, codes.NotFound, "report not found")
)

// Errors of charging and escrows.
var (
	ErrDepositBelowResume = errorsmod.RegisterWithGRPCCode(ModuleName, 14, codes.InvalidArgument, "deposit below the resume threshold")
)

// Errors of audits.
var (
	ErrAuditNotFound = errorsmod.RegisterWithGRPCCode(ModuleName, 20, codes.NotFound, "audit not found")
	ErrAuditPhase    = errorsmod.RegisterWithGRPCCode(ModuleName, 21, codes.FailedPrecondition, "not in this audit phase")
	ErrInvalidSample = errorsmod.RegisterWithGRPCCode(ModuleName, 22, codes.InvalidArgument, "invalid sample")
	ErrNotAuditor    = errorsmod.RegisterWithGRPCCode(ModuleName, 23, codes.PermissionDenied, "not an assigned auditor")
	ErrDuplicateVote = errorsmod.RegisterWithGRPCCode(ModuleName, 24, codes.AlreadyExists, "already done")
	ErrInvalidVote   = errorsmod.RegisterWithGRPCCode(ModuleName, 25, codes.InvalidArgument, "invalid commitment or reveal")
)
