package keeper

import (
	"context"
	"fmt"

	"cosmossdk.io/collections"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/quantum1net/q1/x/services/types"
)

// EndBlocker activates the approved updates whose activation height has
// come. It walks only the activation queue's entries up to the current
// height, so its cost grows with the updates due, not with the number of
// services. An update that cannot be carried out (a hook refused it) is
// marked failed, with the reason, instead of halting the chain.
func (k *Keeper) EndBlocker(ctx context.Context) error {
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	var due []collections.Pair[int64, uint64]
	err := k.ActivationQueue.Walk(ctx, collections.NewPrefixUntilPairRange[int64, uint64](sdkCtx.BlockHeight()),
		func(key collections.Pair[int64, uint64]) (bool, error) {
			due = append(due, key)
			return false, nil
		})
	if err != nil {
		return fmt.Errorf("walk activation queue: %w", err)
	}
	for _, key := range due {
		if err := k.ActivationQueue.Remove(ctx, key); err != nil {
			return fmt.Errorf("dequeue proposal %d: %w", key.K2(), err)
		}
		cacheCtx, write := sdkCtx.CacheContext()
		if err := k.activateQueued(cacheCtx, key.K2()); err != nil {
			if ferr := k.failProposal(ctx, key.K2(), err); ferr != nil {
				return ferr
			}
			continue
		}
		write()
	}
	return nil
}

// activateQueued activates queued proposal id.
func (k *Keeper) activateQueued(ctx context.Context, id uint64) error {
	p, err := k.GetProposal(ctx, id)
	if err != nil {
		return err
	}
	if p.Status != types.ProposalPending || p.Kind != types.KindUpdate {
		return fmt.Errorf("queued proposal %d is a %s proposal with status %s", id, p.Kind.Label(), p.Status.Label())
	}
	l, err := k.loadLive(ctx, p.Service)
	if err != nil {
		return err
	}
	return k.activate(ctx, l, &p)
}

// failProposal closes proposal id as failed because of cause, freeing its
// service for new proposals.
func (k *Keeper) failProposal(ctx context.Context, id uint64, cause error) error {
	k.Logger(ctx).Error("approved update could not be activated", "proposal", id, "err", cause)
	p, err := k.GetProposal(ctx, id)
	if err != nil {
		return err
	}
	p.Status = types.ProposalFailed
	p.Failure = cause.Error()
	p.ClosedHeight = sdk.UnwrapSDKContext(ctx).BlockHeight()
	if err := k.Proposals.Set(ctx, id, p); err != nil {
		return fmt.Errorf("write proposal %d: %w", id, err)
	}
	svc, err := k.GetService(ctx, p.Service)
	if err != nil {
		return err
	}
	if svc.PendingProposalId == id {
		svc.PendingProposalId = 0
		if err := k.Services.Set(ctx, svc.Name, svc); err != nil {
			return fmt.Errorf("write service %s: %w", svc.Name, err)
		}
	}
	return emit(ctx, &types.EventProposalFailed{Service: p.Service, ProposalId: id, Reason: p.Failure})
}
