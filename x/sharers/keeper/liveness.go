package keeper

import (
	"context"
	"errors"
	"fmt"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/quantum1net/q1/x/sharers/types"
)

// Liveness runs in epochs of params.epoch_blocks blocks. Epoch e has ended
// once the current epoch is later; its usage report (the sharer's
// heartbeat, x/usage) is due during the epoch after it. So at the start of
// epoch C the reports of epochs up to C-2 are overdue if missing, and a
// sharer that last reported epoch L has missed C-2-L epochs. Once that
// reaches params.offline_after_epochs the sharer goes offline and its leases
// are closed and re-placed in the same block. A sharer counts as having
// reported the epoch before it registered.
//
// Active sharers are indexed by (last reported epoch, address), so the
// sweep at each epoch boundary reads only the sharers that went silent.

// CurrentEpoch returns the epoch in progress (its EndHeight is 0).
func (k *Keeper) CurrentEpoch(ctx context.Context) (types.EpochInfo, error) {
	e, err := k.Epoch.Get(ctx)
	if err != nil {
		return types.EpochInfo{}, fmt.Errorf("read current epoch: %w", err)
	}
	return e, nil
}

// GetEpoch returns ended epoch n while it is among the last
// types.EpochHistory; ok is false for the current epoch, a future one, or
// one too old to be kept.
func (k *Keeper) GetEpoch(ctx context.Context, n uint64) (e types.EpochInfo, ok bool, err error) {
	e, err = k.Epochs.Get(ctx, n)
	if errors.Is(err, collections.ErrNotFound) {
		return types.EpochInfo{}, false, nil
	}
	if err != nil {
		return types.EpochInfo{}, false, fmt.Errorf("read epoch %d: %w", n, err)
	}
	return e, true, nil
}

// RecordHeartbeat records that sharer addr reported usage for ended epoch
// epoch (x/usage calls it for each accepted report): its last reported epoch
// becomes at least epoch, and an offline sharer becomes active again, its
// capacity open to placement, if the report is recent enough to keep it
// active through the next sweep. A late report of an old epoch (a node
// back from a stop reporting the usage it held) is paid for but does not
// bring the sharer back: the next boundary would take it offline again,
// closing whatever leases were placed on it in between.
func (k *Keeper) RecordHeartbeat(ctx context.Context, addr string, epoch uint64) error {
	_, bz, err := k.account("sharer", addr)
	if err != nil {
		return err
	}
	s, err := k.getSharer(ctx, bz)
	if err != nil {
		return err
	}
	if !s.Registered() {
		return errorsmod.Wrapf(types.ErrNotRegistered, "sharer %s deregistered; register it again before reporting", addr)
	}
	p, err := k.GetParams(ctx)
	if err != nil {
		return err
	}
	cur, err := k.CurrentEpoch(ctx)
	if err != nil {
		return err
	}
	old := s
	s.LastReportedEpoch = max(s.LastReportedEpoch, epoch)
	// The sweep at the start of epoch cur+1 takes offline a sharer whose last
	// reported epoch is at most cur+1-2-offline_after_epochs (sweepOffline).
	back := s.Status == types.SharerOffline && s.LastReportedEpoch+1+p.OfflineAfterEpochs > cur.Number
	if back {
		s.Status = types.SharerActive
		s.UpdatedHeight = sdk.UnwrapSDKContext(ctx).BlockHeight()
	}
	if err := k.putSharer(ctx, &old, &s); err != nil {
		return err
	}
	if !back {
		return nil
	}
	if err := k.markCapacityChanged(ctx); err != nil {
		return err
	}
	return emit(ctx, &types.EventSharerOnline{Sharer: s.Address, Epoch: cur.Number})
}

// advanceEpoch ends the current epoch if this block is its last, and
// reports whether it did.
func (k *Keeper) advanceEpoch(ctx context.Context, p types.Params) (bool, error) {
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	h := sdkCtx.BlockHeight()
	cur, err := k.CurrentEpoch(ctx)
	if err != nil {
		return false, err
	}
	if h < cur.StartHeight+int64(p.EpochBlocks)-1 {
		return false, nil
	}
	ended := cur
	ended.EndHeight, ended.EndTime = h, sdkCtx.BlockTime()
	if err := k.Epochs.Set(ctx, ended.Number, ended); err != nil {
		return false, fmt.Errorf("write epoch %d: %w", ended.Number, err)
	}
	if ended.Number >= types.EpochHistory {
		if err := k.Epochs.Remove(ctx, ended.Number-types.EpochHistory); err != nil {
			return false, fmt.Errorf("prune epoch %d: %w", ended.Number-types.EpochHistory, err)
		}
	}
	next := types.EpochInfo{Number: ended.Number + 1, StartHeight: h + 1, StartTime: sdkCtx.BlockTime()}
	if err := k.Epoch.Set(ctx, next); err != nil {
		return false, fmt.Errorf("write epoch %d: %w", next.Number, err)
	}
	return true, emit(ctx, &types.EventEpochEnded{Epoch: ended.Number, StartHeight: ended.StartHeight, EndHeight: ended.EndHeight})
}

// sweepOffline takes offline every active sharer that has missed
// params.offline_after_epochs epochs as of the epoch that just began.
func (k *Keeper) sweepOffline(ctx context.Context, p types.Params) error {
	cur, err := k.CurrentEpoch(ctx)
	if err != nil {
		return err
	}
	if cur.Number < 2+p.OfflineAfterEpochs {
		return nil
	}
	threshold := cur.Number - 2 - p.OfflineAfterEpochs // last reported at most this: offline
	var silent []sdk.AccAddress
	err = k.Liveness.Walk(ctx, collections.NewPrefixUntilPairRange[uint64, sdk.AccAddress](threshold),
		func(key collections.Pair[uint64, sdk.AccAddress]) (bool, error) {
			silent = append(silent, key.K2())
			return false, nil
		})
	if err != nil {
		return fmt.Errorf("walk liveness index: %w", err)
	}
	for _, bz := range silent {
		if err := k.goOffline(ctx, p, bz, cur.Number); err != nil {
			return err
		}
	}
	return nil
}

// goOffline marks the sharer at bz offline, closes its leases and queues
// their services for re-placement.
func (k *Keeper) goOffline(ctx context.Context, p types.Params, bz sdk.AccAddress, epoch uint64) error {
	leases, err := k.openLeasesOf(ctx, bz)
	if err != nil {
		return err
	}
	for _, l := range leases {
		if err := k.closeLease(ctx, p, l, types.CloseSharerOffline, ""); err != nil {
			return err
		}
		if err := k.enqueue(ctx, l.Service); err != nil {
			return err
		}
	}
	s, err := k.getSharer(ctx, bz) // after closing its leases
	if err != nil {
		return err
	}
	old := s
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	s.Status, s.OfflineHeight, s.UpdatedHeight = types.SharerOffline, h, h
	if err := k.putSharer(ctx, &old, &s); err != nil {
		return err
	}
	k.Logger(ctx).Info("sharer offline", "sharer", s.Address, "last_reported_epoch", s.LastReportedEpoch, "leases_closed", len(leases))
	return emit(ctx, &types.EventSharerOffline{
		Sharer: s.Address, LastReportedEpoch: s.LastReportedEpoch, Epoch: epoch, LeasesClosed: uint32(len(leases)),
	})
}
