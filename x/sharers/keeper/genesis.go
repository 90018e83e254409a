package keeper

import (
	"context"
	"fmt"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/quantum1net/q1/x/sharers/types"
)

// InitGenesis loads gs into the store, after checking it (gs.Validate) and
// that the module account holds exactly the sum of the sharers' collateral;
// bank's genesis must run first. The indexes and stats are rebuilt from the
// records. A genesis without a current epoch starts epoch 0 at the first
// block.
func (k *Keeper) InitGenesis(ctx context.Context, gs *types.GenesisState) error {
	if err := gs.Validate(); err != nil {
		return fmt.Errorf("sharers genesis: %w", err)
	}
	if err := k.Params.Set(ctx, gs.Params); err != nil {
		return fmt.Errorf("write params: %w", err)
	}
	if err := k.Stats.Set(ctx, types.Stats{}); err != nil {
		return fmt.Errorf("write stats: %w", err)
	}
	sum := math.ZeroInt()
	for i := range gs.Sharers {
		if err := k.putSharer(ctx, nil, &gs.Sharers[i]); err != nil {
			return err
		}
		sum = sum.Add(gs.Sharers[i].Collateral)
	}
	for _, l := range gs.Leases {
		if err := k.initLease(ctx, gs.Params, l); err != nil {
			return err
		}
	}
	for _, st := range gs.Placements {
		if err := k.Placements.Set(ctx, st.Service, st); err != nil {
			return fmt.Errorf("write placement of service %s: %w", st.Service, err)
		}
		if st.Placed < st.Wanted || st.Moving > 0 {
			if err := k.Unplaced.Set(ctx, st.Service); err != nil {
				return fmt.Errorf("mark service %s under-placed: %w", st.Service, err)
			}
		}
	}
	for _, name := range gs.Queue {
		if err := k.enqueue(ctx, name); err != nil {
			return err
		}
	}
	if err := k.NextLeaseID.Set(ctx, gs.NextLeaseId); err != nil {
		return fmt.Errorf("write next lease id: %w", err)
	}
	epoch := gs.Epoch
	if epoch.StartHeight == 0 {
		sdkCtx := sdk.UnwrapSDKContext(ctx)
		epoch.StartHeight, epoch.StartTime = max(sdkCtx.BlockHeight(), 1), sdkCtx.BlockTime()
	}
	if err := k.Epoch.Set(ctx, epoch); err != nil {
		return fmt.Errorf("write current epoch: %w", err)
	}
	for _, e := range gs.Epochs {
		if err := k.Epochs.Set(ctx, e.Number, e); err != nil {
			return fmt.Errorf("write epoch %d: %w", e.Number, err)
		}
	}
	if err := k.Retry.Set(ctx, gs.Retry); err != nil {
		return fmt.Errorf("write retry state: %w", err)
	}
	held := k.bank.GetBalance(ctx, k.moduleAddr, gs.Params.Denom).Amount
	if !held.Equal(sum) {
		return fmt.Errorf("sharers genesis: the %s module account holds %s%s but the sharers' collateral adds up to %s%s; bank balances and sharer records must agree",
			types.ModuleName, held, gs.Params.Denom, sum, gs.Params.Denom)
	}
	return nil
}

// initLease writes lease l and the index entries its standing needs.
func (k *Keeper) initLease(ctx context.Context, p types.Params, l types.Lease) error {
	if err := k.Leases.Set(ctx, l.Id, l); err != nil {
		return fmt.Errorf("write lease %d: %w", l.Id, err)
	}
	if !l.IsOpen() {
		if err := k.PruneQueue.Set(ctx, collections.Join(l.ClosedHeight+int64(p.ClosedLeaseRetentionBlocks), l.Id)); err != nil {
			return fmt.Errorf("schedule pruning of lease %d: %w", l.Id, err)
		}
		return nil
	}
	_, bz, err := k.account("sharer", l.Sharer)
	if err != nil {
		return err
	}
	if err := k.LeasesBySharer.Set(ctx, collections.Join(bz, l.Id)); err != nil {
		return fmt.Errorf("index lease %d by sharer: %w", l.Id, err)
	}
	if err := k.LeasesByService.Set(ctx, collections.Join(l.Service, l.Id)); err != nil {
		return fmt.Errorf("index lease %d by service: %w", l.Id, err)
	}
	if !l.IsAcked() {
		if err := k.AckQueue.Set(ctx, collections.Join(l.AckDeadline, l.Id)); err != nil {
			return fmt.Errorf("schedule ack deadline of lease %d: %w", l.Id, err)
		}
	}
	return nil
}

// ExportGenesis returns the module's whole state: sharers by address,
// leases by id, placements by service, the queue in order.
func (k *Keeper) ExportGenesis(ctx context.Context) (*types.GenesisState, error) {
	p, err := k.GetParams(ctx)
	if err != nil {
		return nil, err
	}
	gs := &types.GenesisState{Params: p}
	if gs.Sharers, err = values(ctx, k.Sharers); err != nil {
		return nil, fmt.Errorf("export sharers: %w", err)
	}
	if gs.Leases, err = values(ctx, k.Leases); err != nil {
		return nil, fmt.Errorf("export leases: %w", err)
	}
	if gs.Placements, err = values(ctx, k.Placements); err != nil {
		return nil, fmt.Errorf("export placements: %w", err)
	}
	err = k.Queue.Walk(ctx, nil, func(key collections.Pair[uint64, string]) (bool, error) {
		gs.Queue = append(gs.Queue, key.K2())
		return false, nil
	})
	if err != nil {
		return nil, fmt.Errorf("export queue: %w", err)
	}
	next, err := k.NextLeaseID.Peek(ctx)
	if err != nil {
		return nil, fmt.Errorf("read next lease id: %w", err)
	}
	gs.NextLeaseId = max(next, 1)
	if gs.Epoch, err = k.CurrentEpoch(ctx); err != nil {
		return nil, err
	}
	if gs.Epochs, err = values(ctx, k.Epochs); err != nil {
		return nil, fmt.Errorf("export epochs: %w", err)
	}
	if gs.Retry, err = k.Retry.Get(ctx); err != nil {
		return nil, fmt.Errorf("read retry state: %w", err)
	}
	return gs, nil
}

// values lists a map's values in key order.
func values[K, V any](ctx context.Context, m collections.Map[K, V]) ([]V, error) {
	var out []V
	err := m.Walk(ctx, nil, func(_ K, v V) (bool, error) {
		out = append(out, v)
		return false, nil
	})
	return out, err
}
