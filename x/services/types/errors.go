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
	ErrInvalidRequest     = errorsmod.RegisterWithGRPCCode(ModuleName, 2, codes.InvalidArgument, "invalid request")
	ErrInvalidAddress     = errorsmod.RegisterWithGRPCCode(ModuleName, 3, codes.InvalidArgument, "invalid address")
	ErrInvalidManifest    = errorsmod.RegisterWithGRPCCode(ModuleName, 4, codes.InvalidArgument, "invalid manifest")
	ErrServiceNotFound    = errorsmod.RegisterWithGRPCCode(ModuleName, 5, codes.NotFound, "service not found")
	ErrNameTaken          = errorsmod.RegisterWithGRPCCode(ModuleName, 6, codes.AlreadyExists, "name taken")
	ErrUnauthorized       = errorsmod.RegisterWithGRPCCode(ModuleName, 7, codes.PermissionDenied, "unauthorized")
	ErrFrozenField        = errorsmod.RegisterWithGRPCCode(ModuleName, 8, codes.InvalidArgument, "frozen field")
	ErrProposalPending    = errorsmod.RegisterWithGRPCCode(ModuleName, 9, codes.FailedPrecondition, "proposal pending")
	ErrProposalNotFound   = errorsmod.RegisterWithGRPCCode(ModuleName, 10, codes.NotFound, "proposal not found")
	ErrHashMismatch       = errorsmod.RegisterWithGRPCCode(ModuleName, 11, codes.InvalidArgument, "hash mismatch")
	ErrAlreadyApproved    = errorsmod.RegisterWithGRPCCode(ModuleName, 12, codes.AlreadyExists, "already approved")
	ErrProposalClosed     = errorsmod.RegisterWithGRPCCode(ModuleName, 13, codes.FailedPrecondition, "proposal closed")
	ErrInsufficientEscrow = errorsmod.RegisterWithGRPCCode(ModuleName, 14, codes.FailedPrecondition, "insufficient escrow")
	ErrDepositTooSmall    = errorsmod.RegisterWithGRPCCode(ModuleName, 15, codes.InvalidArgument, "deposit too small")
	ErrServiceDeleted     = errorsmod.RegisterWithGRPCCode(ModuleName, 16, codes.FailedPrecondition, "service deleted")
	ErrWrongStatus        = errorsmod.RegisterWithGRPCCode(ModuleName, 17, codes.FailedPrecondition, "wrong status")
	ErrInvalidReplicas    = errorsmod.RegisterWithGRPCCode(ModuleName, 18, codes.InvalidArgument, "invalid replicas")
	ErrInvalidAmount      = errorsmod.RegisterWithGRPCCode(ModuleName, 19, codes.InvalidArgument, "invalid amount")
	ErrInvalidParams      = errorsmod.RegisterWithGRPCCode(ModuleName, 20, codes.InvalidArgument, "invalid params")
	ErrInvalidGenesis     = errorsmod.RegisterWithGRPCCode(ModuleName, 21, codes.InvalidArgument, "invalid genesis")
	ErrInvalidSecret      = errorsmod.RegisterWithGRPCCode(ModuleName, 22, codes.InvalidArgument, "invalid secret")
	ErrSecretNotFound     = errorsmod.RegisterWithGRPCCode(ModuleName, 23, codes.NotFound, "secret not found")
	ErrStaleSecret        = errorsmod.RegisterWithGRPCCode(ModuleName, 24, codes.FailedPrecondition, "stale secret version")
)
