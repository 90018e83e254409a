package keeper

import (
	"context"
	"errors"
	"fmt"

	"cosmossdk.io/collections"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/quantum1net/q1/x/sharers/types"
)

// Placement work is queued, never done by scanning: hooks and lease changes
// enqueue the services they touch, and the EndBlocker drains the queue in
// order, at most params.max_placements_per_block services a block. Services
// left under-placed wait in Unplaced; when capacity appears (a sharer
// registers, grows, comes back, or a lease closes) a retry pass walks them,
// at most params.max_retries_per_block a block.

// enqueue queues service for placement work unless it is queued already.
func (k *Keeper) enqueue(ctx context.Context, service string) error {
	has, err := k.Queued.Has(ctx, service)
	if err != nil {
		return fmt.Errorf("read queue entry of service %s: %w", service, err)
	}
	if has {
		return nil
	}
	seq, err := k.QueueSeq.Next(ctx)
	if err != nil {
		return fmt.Errorf("next queue sequence: %w", err)
	}
	if err := k.Queue.Set(ctx, collections.Join(seq, service)); err != nil {
		return fmt.Errorf("queue service %s: %w", service, err)
	}
	if err := k.Queued.Set(ctx, service, seq); err != nil {
		return fmt.Errorf("queue service %s: %w", service, err)
	}
	return nil
}

// dequeue removes service from the queue if it is there.
func (k *Keeper) dequeue(ctx context.Context, service string) error {
	seq, err := k.Queued.Get(ctx, service)
	if errors.Is(err, collections.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read queue entry of service %s: %w", service, err)
	}
	if err := k.Queue.Remove(ctx, collections.Join(seq, service)); err != nil {
		return fmt.Errorf("dequeue service %s: %w", service, err)
	}
	if err := k.Queued.Remove(ctx, service); err != nil {
		return fmt.Errorf("dequeue service %s: %w", service, err)
	}
	return nil
}

// markCapacityChanged records that capacity appeared, so under-placed
// services are retried from the next EndBlocker on.
func (k *Keeper) markCapacityChanged(ctx context.Context) error {
	r, err := k.Retry.Get(ctx)
	if err != nil {
		return fmt.Errorf("read retry state: %w", err)
	}
	if r.Dirty {
		return nil
	}
	r.Dirty = true
	if err := k.Retry.Set(ctx, r); err != nil {
		return fmt.Errorf("write retry state: %w", err)
	}
	return nil
}

// drainQueue places the first queued services, at most limit of them,
// while the block's read budget lasts.
func (k *Keeper) drainQueue(ctx context.Context, limit int, budget *int) error {
	var batch []collections.Pair[uint64, string]
	err := k.Queue.Walk(ctx, nil, func(key collections.Pair[uint64, string]) (bool, error) {
		batch = append(batch, key)
		return len(batch) >= limit, nil
	})
	if err != nil {
		return fmt.Errorf("walk placement queue: %w", err)
	}
	for i, key := range batch {
		if *budget <= 0 && i > 0 {
			break
		}
		if err := k.dequeue(ctx, key.K2()); err != nil {
			return err
		}
		*budget -= k.reconcileIsolated(ctx, key.K2())
	}
	return nil
}

// retryUnplaced advances the retry pass over the under-placed services by
// at most limit services, while the block's read budget lasts. A pass
// starts when capacity appeared and ends when it reaches the last service;
// capacity that appears during a pass starts another once it ends.
func (k *Keeper) retryUnplaced(ctx context.Context, limit int, budget *int) error {
	r, err := k.Retry.Get(ctx)
	if err != nil {
		return fmt.Errorf("read retry state: %w", err)
	}
	if !r.Active {
		if !r.Dirty {
			return nil
		}
		r = k.startPass(r)
	}
	var batch []string
	var rng collections.Ranger[string]
	if r.Cursor != "" {
		rng = new(collections.Range[string]).StartInclusive(r.Cursor)
	}
	err = k.Unplaced.Walk(ctx, rng, func(name string) (bool, error) {
		batch = append(batch, name)
		return len(batch) > limit, nil
	})
	if err != nil {
		return fmt.Errorf("walk under-placed services: %w", err)
	}
	if len(batch) > limit {
		r.Cursor = batch[limit]
		batch = batch[:limit]
	} else {
		r.Active, r.Cursor = false, ""
	}
	// Write the pass's progress first: the retries below may mark capacity
	// changed, and that mark must survive.
	if err := k.Retry.Set(ctx, r); err != nil {
		return fmt.Errorf("write retry state: %w", err)
	}
	for _, name := range batch {
		if *budget <= 0 {
			return k.resumeAt(ctx, name)
		}
		queued, err := k.Queued.Has(ctx, name)
		if err != nil {
			return fmt.Errorf("read queue entry of service %s: %w", name, err)
		}
		if !queued { // a queued service is placed from the queue this block
			*budget -= k.reconcileIsolated(ctx, name)
		}
	}
	return nil
}

// resumeAt makes the retry pass resume at service name next block.
func (k *Keeper) resumeAt(ctx context.Context, name string) error {
	r, err := k.Retry.Get(ctx)
	if err != nil {
		return fmt.Errorf("read retry state: %w", err)
	}
	r.Active, r.Cursor = true, name
	if err := k.Retry.Set(ctx, r); err != nil {
		return fmt.Errorf("write retry state: %w", err)
	}
	return nil
}

// startPass begins a retry pass from the first under-placed service.
func (k *Keeper) startPass(r types.RetryState) types.RetryState {
	r.Active, r.Dirty, r.Cursor = true, false, ""
	return r
}

// reconcileIsolated places service on a cached store written only when it
// succeeds: a service whose placement fails (its manifest cannot be read,
// a hook refuses) is logged and left as it was, without halting the chain
// or undoing the other services' work. It returns the sharer records read.
func (k *Keeper) reconcileIsolated(ctx context.Context, service string) int {
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	cacheCtx, write := sdkCtx.CacheContext()
	reads, err := k.reconcile(cacheCtx, service)
	if err != nil {
		k.Logger(ctx).Error("placement failed", "service", service, "err", err)
		return reads
	}
	write()
	return reads
}
