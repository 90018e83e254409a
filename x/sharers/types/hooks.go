package types

import (
	"context"

	"cosmossdk.io/math"
)

// CollateralLocks lets another module (x/usage, for its audits) keep part
// of a sharer's collateral from being withdrawn: what its open audits
// could still slash. Without it a sharer under audit could withdraw (or
// deregister and withdraw everything) before the audit resolves, and the
// slash would find nothing.
type CollateralLocks interface {
	// CollateralHeld returns the collateral of sharer that must stay, and
	// why (for the refusal's message).
	CollateralHeld(ctx context.Context, sharer string) (math.Int, string, error)
}

// SharersHooks lets other modules (x/usage, for rent) follow leases. Each
// hook is called after the change is written, in the same transaction or
// block; an error fails the msg, or in EndBlock the placement of that service.
type SharersHooks interface {
	// AfterLeaseAcked is called when a sharer acknowledges a lease: rent
	// accrues from lease.AckedTime.
	AfterLeaseAcked(ctx context.Context, lease Lease) error
	// AfterLeaseClosed is called when a lease closes, with ClosedHeight,
	// ClosedTime and CloseReason set: rent stops at lease.ClosedTime.
	AfterLeaseClosed(ctx context.Context, lease Lease) error
}

// MultiSharersHooks calls several hooks in order, stopping at the first error.
type MultiSharersHooks []SharersHooks

var _ SharersHooks = MultiSharersHooks{}

// AfterLeaseAcked calls every hook's AfterLeaseAcked.
func (mh MultiSharersHooks) AfterLeaseAcked(ctx context.Context, lease Lease) error {
	for _, h := range mh {
		if err := h.AfterLeaseAcked(ctx, lease); err != nil {
			return err
		}
	}
	return nil
}

// AfterLeaseClosed calls every hook's AfterLeaseClosed.
func (mh MultiSharersHooks) AfterLeaseClosed(ctx context.Context, lease Lease) error {
	for _, h := range mh {
		if err := h.AfterLeaseClosed(ctx, lease); err != nil {
			return err
		}
	}
	return nil
}
