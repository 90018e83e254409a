package keeper

import (
	"context"
	"errors"
	"fmt"

	"cosmossdk.io/collections"
	sdk "github.com/cosmos/cosmos-sdk/types"

	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
)

// The ante handler refuses a second report for the same (sharer, epoch)
// before it reaches a block: against committed reports, and against reports
// already admitted to the mempool, which it remembers in the check state.
// Baseapp discards the check state at every commit and rebuilds it from
// committed state, so these marks never reach consensus; after a commit the
// mempool's recheck marks the surviving reports again.

// SeenInCheckTx reports whether a report of the sharer at bz for epoch was
// admitted to the mempool since the last commit.
func (k *Keeper) SeenInCheckTx(ctx context.Context, bz sdk.AccAddress, epoch uint64) (bool, error) {
	has, err := k.CheckTxSeen.Has(ctx, collections.Join(bz, epoch))
	if err != nil {
		return false, fmt.Errorf("read mempool mark of %s for epoch %d: %w", bz, epoch, err)
	}
	return has, nil
}

// MarkSeenInCheckTx remembers, in the check state, that a report of the
// sharer at bz for epoch was admitted to the mempool. It refuses to write in
// any mode but CheckTx and ReCheckTx, where the write would reach consensus
// state.
func (k *Keeper) MarkSeenInCheckTx(ctx context.Context, bz sdk.AccAddress, epoch uint64) error {
	mode := sdk.UnwrapSDKContext(ctx).ExecMode()
	if mode != sdk.ExecModeCheck && mode != sdk.ExecModeReCheck {
		return fmt.Errorf("mempool marks are written only in CheckTx, not in exec mode %d", mode)
	}
	if err := k.CheckTxSeen.Set(ctx, collections.Join(bz, epoch)); err != nil {
		return fmt.Errorf("mark report of %s for epoch %d: %w", bz, epoch, err)
	}
	return nil
}

// HotKey returns the hot key the sharer at bz recorded in its offer, or
// nil when it is not a sharer.
func (k *Keeper) HotKey(ctx context.Context, bz sdk.AccAddress) (sdk.AccAddress, error) {
	addr, err := k.addressCodec.BytesToString(bz)
	if err != nil {
		return nil, err
	}
	s, err := k.sharers.GetSharer(ctx, addr)
	if errors.Is(err, sharerstypes.ErrSharerNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if s.HotKey == "" {
		return nil, nil
	}
	hot, err := k.addressCodec.StringToBytes(s.HotKey)
	if err != nil {
		return nil, fmt.Errorf("hot key of sharer %s: %w", addr, err)
	}
	return hot, nil
}
