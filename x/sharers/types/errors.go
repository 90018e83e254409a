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
	ErrInvalidRequest         = errorsmod.RegisterWithGRPCCode(ModuleName, 2, codes.InvalidArgument, "invalid request")
	ErrInvalidAddress         = errorsmod.RegisterWithGRPCCode(ModuleName, 3, codes.InvalidArgument, "invalid address")
	ErrInvalidEndpoint        = errorsmod.RegisterWithGRPCCode(ModuleName, 4, codes.InvalidArgument, "invalid endpoint")
	ErrInvalidCapacity        = errorsmod.RegisterWithGRPCCode(ModuleName, 5, codes.InvalidArgument, "invalid capacity")
	ErrInvalidPrices          = errorsmod.RegisterWithGRPCCode(ModuleName, 6, codes.InvalidArgument, "invalid prices")
	ErrInvalidAttributes      = errorsmod.RegisterWithGRPCCode(ModuleName, 7, codes.InvalidArgument, "invalid attributes")
	ErrInvalidDenyList        = errorsmod.RegisterWithGRPCCode(ModuleName, 8, codes.InvalidArgument, "invalid deny list")
	ErrSharerNotFound         = errorsmod.RegisterWithGRPCCode(ModuleName, 9, codes.NotFound, "sharer not found")
	ErrAlreadyRegistered      = errorsmod.RegisterWithGRPCCode(ModuleName, 10, codes.AlreadyExists, "already registered")
	ErrInsufficientCollateral = errorsmod.RegisterWithGRPCCode(ModuleName, 11, codes.FailedPrecondition, "insufficient collateral")
	ErrCollateralLocked       = errorsmod.RegisterWithGRPCCode(ModuleName, 12, codes.FailedPrecondition, "collateral locked")
	ErrHasLeases              = errorsmod.RegisterWithGRPCCode(ModuleName, 13, codes.FailedPrecondition, "sharer holds leases")
	ErrCapacityInUse          = errorsmod.RegisterWithGRPCCode(ModuleName, 14, codes.FailedPrecondition, "capacity in use")
	ErrLeaseNotFound          = errorsmod.RegisterWithGRPCCode(ModuleName, 15, codes.NotFound, "lease not found")
	ErrNotLeaseHolder         = errorsmod.RegisterWithGRPCCode(ModuleName, 16, codes.PermissionDenied, "not the lease holder")
	ErrLeaseClosed            = errorsmod.RegisterWithGRPCCode(ModuleName, 17, codes.FailedPrecondition, "lease closed")
	ErrAlreadyAcked           = errorsmod.RegisterWithGRPCCode(ModuleName, 18, codes.AlreadyExists, "lease already acknowledged")
	ErrUnauthorized           = errorsmod.RegisterWithGRPCCode(ModuleName, 19, codes.PermissionDenied, "unauthorized")
	ErrInvalidParams          = errorsmod.RegisterWithGRPCCode(ModuleName, 20, codes.InvalidArgument, "invalid params")
	ErrInvalidGenesis         = errorsmod.RegisterWithGRPCCode(ModuleName, 21, codes.InvalidArgument, "invalid genesis")
	ErrInvalidAmount          = errorsmod.RegisterWithGRPCCode(ModuleName, 22, codes.InvalidArgument, "invalid amount")
	ErrNotRegistered          = errorsmod.RegisterWithGRPCCode(ModuleName, 23, codes.FailedPrecondition, "not registered")
)
