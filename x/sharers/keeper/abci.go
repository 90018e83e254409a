package keeper

import (
	"context"
	"fmt"
	"slices"

	"cosmossdk.io/collections"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/quantum1net/q1/x/sharers/types"
)

// EndBlocker runs the module's per-block work, in order:
//
//  1. At the last block of an epoch, end it, and take offline the sharers
//     that missed too many epochs (closing their leases and queueing their
//     services).
//  2. Close the leases whose acknowledgement deadline passed, queueing their
//     services to be placed elsewhere.
//  3. Retry under-placed services after capacity appeared, at most
//     params.max_retries_per_block (queued ones wait for step 4).
//  4. Place queued services, at most params.max_placements_per_block, with
//     the capacity that is left.
//  5. Prune closed lease records past their retention.
//
// Steps 3 and 4 share params.max_candidate_reads_per_block: once the sharer
// records they read reach it, the rest wait for the next block. Every step
// reads only what is due (index ranges ending at this height or epoch), so a
// block in which nothing changes costs the same however many sharers,
// services and leases exist.
func (k *Keeper) EndBlocker(ctx context.Context) error {
	p, err := k.GetParams(ctx)
	if err != nil {
		return err
	}
	ended, err := k.advanceEpoch(ctx, p)
	if err != nil {
		return err
	}
	if ended {
		if err := k.sweepOffline(ctx, p); err != nil {
			return err
		}
	}
	if err := k.expireAcks(ctx, p); err != nil {
		return err
	}
	budget := int(min(p.MaxCandidateReadsPerBlock, 1<<40))
	if err := k.retryUnplaced(ctx, int(p.MaxRetriesPerBlock), &budget); err != nil {
		return err
	}
	if err := k.drainQueue(ctx, int(p.MaxPlacementsPerBlock), &budget); err != nil {
		return err
	}
	return k.pruneClosed(ctx)
}

// expireAcks closes the leases not acknowledged by their deadline and queues
// their services; the next placement of each skips the sharer that let it
// time out. An unacknowledged lease never accrued rent.
func (k *Keeper) expireAcks(ctx context.Context, p types.Params) error {
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	var due []uint64
	err := k.AckQueue.Walk(ctx, collections.NewPrefixUntilPairRange[int64, uint64](h),
		func(key collections.Pair[int64, uint64]) (bool, error) {
			due = append(due, key.K2())
			return false, nil
		})
	if err != nil {
		return fmt.Errorf("walk ack deadlines: %w", err)
	}
	for _, id := range due {
		l, err := k.GetLease(ctx, id)
		if err != nil {
			return err
		}
		detail := fmt.Sprintf("not acknowledged by height %d", l.AckDeadline)
		if err := k.closeLease(ctx, p, l, types.CloseAckTimeout, detail); err != nil {
			return err
		}
		st, err := k.placementState(ctx, l.Service)
		if err != nil {
			return err
		}
		st.Excluded = insertSorted(st.Excluded, l.Sharer)
		if err := k.Placements.Set(ctx, l.Service, st); err != nil {
			return fmt.Errorf("write placement of service %s: %w", l.Service, err)
		}
		if err := k.enqueue(ctx, l.Service); err != nil {
			return err
		}
	}
	return nil
}

// insertSorted adds s to the sorted list if it is not there.
func insertSorted(list []string, s string) []string {
	i, found := slices.BinarySearch(list, s)
	if found {
		return list
	}
	return slices.Insert(list, i, s)
}

// pruneClosed deletes the records of leases closed more than
// params.closed_lease_retention_blocks ago, at most types.MaxPrunePerBlock.
func (k *Keeper) pruneClosed(ctx context.Context) error {
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	var due []collections.Pair[int64, uint64]
	err := k.PruneQueue.Walk(ctx, collections.NewPrefixUntilPairRange[int64, uint64](h),
		func(key collections.Pair[int64, uint64]) (bool, error) {
			due = append(due, key)
			return len(due) >= types.MaxPrunePerBlock, nil
		})
	if err != nil {
		return fmt.Errorf("walk prune queue: %w", err)
	}
	for _, key := range due {
		if err := k.PruneQueue.Remove(ctx, key); err != nil {
			return fmt.Errorf("unschedule pruning of lease %d: %w", key.K2(), err)
		}
		if err := k.Leases.Remove(ctx, key.K2()); err != nil {
			return fmt.Errorf("prune lease %d: %w", key.K2(), err)
		}
	}
	return nil
}
