package keeper

import (
	"context"
	"fmt"

	"cosmossdk.io/collections"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/quantum1net/q1/x/usage/types"
)

// queueRelease queues deleted service a for the release of what its
// escrow still holds, at the first epoch whose report window no longer
// covers the current one: until then, reports for the epochs its leases
// served may still charge it (PendingUsage kept it back).
func (k *Keeper) queueRelease(ctx context.Context, a *types.ServiceAccount) error {
	bal, err := k.services.EscrowBalance(ctx, a.Service)
	if err != nil {
		return err
	}
	if !bal.IsPositive() {
		return nil
	}
	p, err := k.GetParams(ctx)
	if err != nil {
		return err
	}
	cur, err := k.sharers.CurrentEpoch(ctx)
	if err != nil {
		return err
	}
	a.ReleaseEpoch = cur.Number + p.ReportWindowEpochs + 1
	if err := k.ReleaseQueue.Set(ctx, collections.Join(a.ReleaseEpoch, a.Service)); err != nil {
		return fmt.Errorf("queue release of service %s: %w", a.Service, err)
	}
	return nil
}

// releaseHeldBack refunds, for each deleted service whose release epoch
// has come, what its escrow kept back and usage reports did not charge.
// Only due entries are read. A failing refund is logged and dropped, as
// the EndBlocker's other checks are: it never halts the chain.
func (k *Keeper) releaseHeldBack(ctx context.Context) error {
	cur, err := k.sharers.CurrentEpoch(ctx)
	if err != nil {
		return err
	}
	var due []collections.Pair[uint64, string]
	rng := new(collections.Range[collections.Pair[uint64, string]]).EndExclusive(collections.Join(cur.Number+1, ""))
	if err := k.ReleaseQueue.Walk(ctx, rng, func(key collections.Pair[uint64, string]) (bool, error) {
		due = append(due, key)
		return false, nil
	}); err != nil {
		return fmt.Errorf("read release queue: %w", err)
	}
	for _, key := range due {
		if err := k.ReleaseQueue.Remove(ctx, key); err != nil {
			return fmt.Errorf("dequeue release of service %s: %w", key.K2(), err)
		}
		cache, write := sdk.UnwrapSDKContext(ctx).CacheContext()
		if err := k.release(cache, key.K2()); err != nil {
			k.Logger(ctx).Error("releasing a deleted service's escrow failed; it stays in escrow",
				"service", key.K2(), "epoch", key.K1(), "err", err)
			continue
		}
		write()
	}
	return nil
}

func (k *Keeper) release(ctx context.Context, name string) error {
	if _, err := k.services.RefundHeldBack(ctx, name); err != nil {
		return err
	}
	a, err := k.GetAccount(ctx, name)
	if err != nil {
		return err
	}
	a.ReleaseEpoch = 0
	return k.setAccount(ctx, a)
}
