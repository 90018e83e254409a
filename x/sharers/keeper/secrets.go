package keeper

import (
	"context"
)

// HoldsLease reports whether sharer (bech32) holds an open lease of
// service: x/services gives a secret's wraps only to those sharers and takes
// new wraps only from them (services' types.LeaseHolders). It walks the
// service's open leases, at most placement.replicasMax of them.
func (k *Keeper) HoldsLease(ctx context.Context, service, sharer string) (bool, error) {
	leases, err := k.ActiveLeases(ctx, service)
	if err != nil {
		return false, err
	}
	for _, l := range leases {
		if l.Sharer == sharer && l.ClosedHeight == 0 {
			return true, nil
		}
	}
	return false, nil
}
