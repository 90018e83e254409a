package keeper

import (
	"context"
	"fmt"

	"cosmossdk.io/collections"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/quantum1net/q1/x/usage/types"
)

// InitGenesis loads gs into the store after checking it (gs.Validate).
func (k *Keeper) InitGenesis(ctx context.Context, gs *types.GenesisState) error {
	if err := gs.Validate(); err != nil {
		return fmt.Errorf("usage genesis: %w", err)
	}
	if err := k.Params.Set(ctx, gs.Params); err != nil {
		return fmt.Errorf("write params: %w", err)
	}
	for _, r := range gs.Reports {
		_, bz, err := k.account("sharer", r.Sharer)
		if err != nil {
			return err
		}
		if err := k.Reports.Set(ctx, collections.Join(bz, r.Epoch), r); err != nil {
			return fmt.Errorf("write report of %s for epoch %d: %w", r.Sharer, r.Epoch, err)
		}
	}
	return nil
}

// ExportGenesis returns the module's state: params and reports by (sharer,
// epoch). Mempool marks are not state and are not exported.
func (k *Keeper) ExportGenesis(ctx context.Context) (*types.GenesisState, error) {
	p, err := k.GetParams(ctx)
	if err != nil {
		return nil, err
	}
	gs := &types.GenesisState{Params: p}
	err = k.Reports.Walk(ctx, nil, func(_ collections.Pair[sdk.AccAddress, uint64], r types.Report) (bool, error) {
		gs.Reports = append(gs.Reports, r)
		return false, nil
	})
	if err != nil {
		return nil, fmt.Errorf("export reports: %w", err)
	}
	return gs, nil
}
