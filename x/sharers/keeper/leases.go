package keeper

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/quantum1net/q1/x/sharers/types"
)

// GetLease returns lease id, open or closed but not yet pruned, or an error
// wrapping types.ErrLeaseNotFound.
func (k *Keeper) GetLease(ctx context.Context, id uint64) (types.Lease, error) {
	l, err := k.Leases.Get(ctx, id)
	if errors.Is(err, collections.ErrNotFound) {
		return types.Lease{}, errorsmod.Wrapf(types.ErrLeaseNotFound, "lease %d does not exist (or closed long enough ago to be pruned)", id)
	}
	if err != nil {
		return types.Lease{}, fmt.Errorf("read lease %d: %w", id, err)
	}
	return l, nil
}

// AckTime returns when lease id was acknowledged (height and block time),
// from which its rent accrues; ok is false while it is unacknowledged.
func (k *Keeper) AckTime(ctx context.Context, id uint64) (height int64, t time.Time, ok bool, err error) {
	l, err := k.GetLease(ctx, id)
	if err != nil {
		return 0, time.Time{}, false, err
	}
	return l.AckedHeight, l.AckedTime, l.IsAcked(), nil
}

// ActiveLeases returns the open leases of service, ordered by replica.
func (k *Keeper) ActiveLeases(ctx context.Context, service string) ([]types.Lease, error) {
	var ids []uint64
	err := k.LeasesByService.Walk(ctx, collections.NewPrefixedPairRange[string, uint64](service),
		func(key collections.Pair[string, uint64]) (bool, error) {
			ids = append(ids, key.K2())
			return false, nil
		})
	if err != nil {
		return nil, fmt.Errorf("walk leases of service %s: %w", service, err)
	}
	out, err := k.leasesByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b types.Lease) int {
		return cmp.Or(cmp.Compare(a.Replica, b.Replica), cmp.Compare(a.Id, b.Id))
	})
	return out, nil
}

// LeasesOfSharer returns the open leases of sharer addr (bech32), by id.
func (k *Keeper) LeasesOfSharer(ctx context.Context, addr string) ([]types.Lease, error) {
	_, bz, err := k.account("sharer", addr)
	if err != nil {
		return nil, err
	}
	return k.openLeasesOf(ctx, bz)
}

// openLeasesOf returns the open leases of the sharer at bz, by id.
func (k *Keeper) openLeasesOf(ctx context.Context, bz sdk.AccAddress) ([]types.Lease, error) {
	var ids []uint64
	err := k.LeasesBySharer.Walk(ctx, collections.NewPrefixedPairRange[sdk.AccAddress, uint64](bz),
		func(key collections.Pair[sdk.AccAddress, uint64]) (bool, error) {
			ids = append(ids, key.K2())
			return false, nil
		})
	if err != nil {
		return nil, fmt.Errorf("walk leases of sharer %s: %w", bz, err)
	}
	return k.leasesByID(ctx, ids)
}

func (k *Keeper) leasesByID(ctx context.Context, ids []uint64) ([]types.Lease, error) {
	out := make([]types.Lease, 0, len(ids))
	for _, id := range ids {
		l, err := k.GetLease(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, nil
}

// newLease is a lease placement decided to open.
type newLease struct {
	service       string
	replica       uint32
	sharer        string
	prices        types.Prices
	resources     types.Resources
	minCollateral math.Int
}

// openLease records a new lease, reserving its resources on the sharer. It
// refuses to reserve more than the sharer's capacity or to lease from a
// sharer that is not placeable: placement only offers sharers with room, so
// either means the state is inconsistent.
func (k *Keeper) openLease(ctx context.Context, p types.Params, n newLease) (types.Lease, error) {
	_, bz, err := k.account("sharer", n.sharer)
	if err != nil {
		return types.Lease{}, err
	}
	s, err := k.getSharer(ctx, bz)
	if err != nil {
		return types.Lease{}, err
	}
	if !s.Placeable() {
		return types.Lease{}, fmt.Errorf("lease for service %s on sharer %s: the sharer is %s (draining %t), not placeable", n.service, n.sharer, s.Status.Label(), s.Draining)
	}
	old := s
	s.Used = s.Used.Add(n.resources)
	if !s.Used.Within(s.Capacity) {
		return types.Lease{}, fmt.Errorf("lease for service %s on sharer %s would reserve %v beyond its capacity %v", n.service, n.sharer, s.Used, s.Capacity)
	}
	s.Leases++
	id, err := k.NextLeaseID.Next(ctx)
	if err != nil {
		return types.Lease{}, fmt.Errorf("next lease id: %w", err)
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	h := sdkCtx.BlockHeight()
	l := types.Lease{
		Id: id, Service: n.service, Replica: n.replica, Sharer: n.sharer,
		Prices: n.prices, Resources: n.resources, MinCollateral: n.minCollateral,
		PlacedHeight: h, PlacedTime: sdkCtx.BlockTime(), AckDeadline: h + int64(p.AckTimeoutBlocks),
		MeterVersion: p.MeterVersion,
	}
	if err := k.putSharer(ctx, &old, &s); err != nil {
		return types.Lease{}, err
	}
	if err := k.Leases.Set(ctx, id, l); err != nil {
		return types.Lease{}, fmt.Errorf("write lease %d: %w", id, err)
	}
	if err := k.LeasesBySharer.Set(ctx, collections.Join(bz, id)); err != nil {
		return types.Lease{}, fmt.Errorf("index lease %d by sharer: %w", id, err)
	}
	if err := k.LeasesByService.Set(ctx, collections.Join(n.service, id)); err != nil {
		return types.Lease{}, fmt.Errorf("index lease %d by service: %w", id, err)
	}
	if err := k.AckQueue.Set(ctx, collections.Join(l.AckDeadline, id)); err != nil {
		return types.Lease{}, fmt.Errorf("schedule ack deadline of lease %d: %w", id, err)
	}
	return l, emit(ctx, &types.EventLeaseCreated{
		LeaseId: id, Service: l.Service, Replica: l.Replica, Sharer: l.Sharer,
		Prices: l.Prices, Resources: l.Resources, AckDeadline: l.AckDeadline, MeterVersion: l.MeterVersion,
	})
}

// closeLease closes open lease l for reason, freeing its resources on the
// sharer, and schedules its record for pruning. Freed capacity may let an
// under-placed service place, so it marks a retry.
func (k *Keeper) closeLease(ctx context.Context, p types.Params, l types.Lease, reason types.CloseReason, detail string) error {
	if !l.IsOpen() {
		return fmt.Errorf("lease %d closed at height %d already", l.Id, l.ClosedHeight)
	}
	_, bz, err := k.account("sharer", l.Sharer)
	if err != nil {
		return err
	}
	s, err := k.getSharer(ctx, bz)
	if err != nil {
		return err
	}
	old := s
	if !l.Resources.AtMost(s.Used) || s.Leases == 0 {
		return fmt.Errorf("closing lease %d: sharer %s records %v used in %d leases, less than the lease's %v", l.Id, l.Sharer, s.Used, s.Leases, l.Resources)
	}
	s.Used = s.Used.Sub(l.Resources)
	s.Leases--
	if err := k.putSharer(ctx, &old, &s); err != nil {
		return err
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	l.ClosedHeight = sdkCtx.BlockHeight()
	l.ClosedTime = sdkCtx.BlockTime()
	l.CloseReason = reason
	l.CloseDetail = detail
	if err := k.Leases.Set(ctx, l.Id, l); err != nil {
		return fmt.Errorf("write lease %d: %w", l.Id, err)
	}
	if err := k.LeasesBySharer.Remove(ctx, collections.Join(bz, l.Id)); err != nil {
		return fmt.Errorf("unindex lease %d by sharer: %w", l.Id, err)
	}
	if err := k.LeasesByService.Remove(ctx, collections.Join(l.Service, l.Id)); err != nil {
		return fmt.Errorf("unindex lease %d by service: %w", l.Id, err)
	}
	if !l.IsAcked() {
		if err := k.AckQueue.Remove(ctx, collections.Join(l.AckDeadline, l.Id)); err != nil {
			return fmt.Errorf("unschedule ack deadline of lease %d: %w", l.Id, err)
		}
	}
	if err := k.PruneQueue.Set(ctx, collections.Join(l.ClosedHeight+int64(p.ClosedLeaseRetentionBlocks), l.Id)); err != nil {
		return fmt.Errorf("schedule pruning of lease %d: %w", l.Id, err)
	}
	if err := k.markCapacityChanged(ctx); err != nil {
		return err
	}
	if err := k.hooksOrNone().AfterLeaseClosed(ctx, l); err != nil {
		return fmt.Errorf("hooks after closing lease %d: %w", l.Id, err)
	}
	return emit(ctx, &types.EventLeaseClosed{
		LeaseId: l.Id, Service: l.Service, Sharer: l.Sharer, Reason: reason, Detail: detail, Acked: l.IsAcked(),
	})
}

// lockedCollateral returns what of sharer s's collateral may not be
// withdrawn: the largest of what its registration and leases lock
// (leaseLockedCollateral) and what its open audits could still slash
// (CollateralLocks, registered or not). why says which.
func (k *Keeper) lockedCollateral(ctx context.Context, p types.Params, s *types.Sharer) (locked math.Int, why string, err error) {
	locked, why, err = k.leaseLockedCollateral(ctx, p, s)
	if err != nil || k.locks == nil {
		return locked, why, err
	}
	held, heldWhy, err := k.locks.CollateralHeld(ctx, s.Address)
	if err != nil {
		return math.Int{}, "", err
	}
	if held.GT(locked) {
		locked, why = held, heldWhy
	}
	return locked, why, nil
}

// leaseLockedCollateral is the collateral a sharer's registration and
// leases lock: nothing once deregistered; otherwise params.min_collateral
// or, if larger, the highest placement.minCollateral among the services
// it hosts (their leases were placed on the promise of it).
func (k *Keeper) leaseLockedCollateral(ctx context.Context, p types.Params, s *types.Sharer) (locked math.Int, why string, err error) {
	if !s.Registered() {
		return math.ZeroInt(), "", nil
	}
	locked, why = p.MinCollateral, "params.min_collateral while registered"
	if s.Leases == 0 {
		return locked, why, nil
	}
	_, bz, err := k.account("sharer", s.Address)
	if err != nil {
		return math.Int{}, "", err
	}
	leases, err := k.openLeasesOf(ctx, bz)
	if err != nil {
		return math.Int{}, "", err
	}
	for _, l := range leases {
		if l.MinCollateral.GT(locked) {
			locked = l.MinCollateral
			why = fmt.Sprintf("placement.minCollateral of service %s, which it hosts (lease %d)", l.Service, l.Id)
		}
	}
	return locked, why, nil
}
