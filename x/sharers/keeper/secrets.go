package keeper

import (
	"context"
	"fmt"

	"cosmossdk.io/collections"
)

// HoldsLease reports whether sharer (bech32) holds an open lease of
// service: x/services gives a secret's wraps only to those sharers and takes
// new wraps only from them (services' types.LeaseHolders). It walks the
// service's open leases, at most placement.replicasMax of them.
func (k *Keeper) HoldsLease(ctx context.Context, service, sharer string) (bool, error) {
	var ids []uint64
	err := k.LeasesByService.Walk(ctx, collections.NewPrefixedPairRange[string, uint64](service),
		func(key collections.Pair[string, uint64]) (bool, error) {
			ids = append(ids, key.K2())
			return false, nil
		})
	if err != nil {
		return false, fmt.Errorf("walk leases of service %s: %w", service, err)
	}
	leases, err := k.leasesByID(ctx, ids)
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
