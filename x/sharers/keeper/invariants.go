package keeper

import (
	"context"
	"fmt"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/quantum1net/q1/x/sharers/types"
)

// CheckInvariants reads the whole store and reports the first broken
// invariant: every sharer's used resources and lease count equal the sum
// over its open leases and fit its capacity; the lease indexes list exactly
// the open leases; the capacity index, the liveness index and the stats
// match the sharers' standing; and the module account holds exactly the
// sum of the collateral. It costs a full scan: tests and audits call it,
// blocks never do.
func (k *Keeper) CheckInvariants(ctx context.Context) error {
	p, err := k.GetParams(ctx)
	if err != nil {
		return err
	}
	type usage struct {
		res types.Resources
		n   uint32
	}
	var (
		used            = map[string]usage{}
		openBySharer    int
		openByService   int
		open, unacked   int
		ackQueued       int
		collateral      = math.ZeroInt()
		want            types.Stats
		candidates, liv int
	)
	err = k.Leases.Walk(ctx, nil, func(id uint64, l types.Lease) (bool, error) {
		if !l.IsOpen() {
			return false, nil
		}
		open++
		if !l.IsAcked() {
			unacked++
		}
		u := used[l.Sharer]
		used[l.Sharer] = usage{u.res.Add(l.Resources), u.n + 1}
		return false, nil
	})
	if err != nil {
		return err
	}
	err = k.Sharers.Walk(ctx, nil, func(bz sdk.AccAddress, s types.Sharer) (bool, error) {
		collateral = collateral.Add(s.Collateral)
		u := used[s.Address]
		if s.Used != u.res || s.Leases != u.n {
			return true, fmt.Errorf("sharer %s records %v used in %d leases; its open leases reserve %v in %d", s.Address, s.Used, s.Leases, u.res, u.n)
		}
		if !s.Used.Within(s.Capacity) {
			return true, fmt.Errorf("sharer %s uses %v beyond its capacity %v", s.Address, s.Used, s.Capacity)
		}
		switch {
		case s.Placeable():
			want.Placeable++
			c, err := k.Candidates.Get(ctx, collections.Join(s.Prices.CpuPerCoreSecond, bz))
			if err != nil {
				return true, fmt.Errorf("placeable sharer %s is missing from the capacity index at CPU price %d: %w", s.Address, s.Prices.CpuPerCoreSecond, err)
			}
			if c.Free != s.Free() || c.CollateralUqc != saturate(s.Collateral) || c.Prices != s.Prices {
				return true, fmt.Errorf("capacity index entry of sharer %s is stale", s.Address)
			}
		case s.Status == types.SharerActive:
			want.Draining++
		case s.Status == types.SharerOffline:
			want.Offline++
		}
		if s.Status == types.SharerActive {
			has, err := k.Liveness.Has(ctx, collections.Join(s.LastReportedEpoch, bz))
			if err != nil || !has {
				return true, fmt.Errorf("active sharer %s is missing from the liveness index at epoch %d", s.Address, s.LastReportedEpoch)
			}
		}
		return false, nil
	})
	if err != nil {
		return err
	}
	walks := []error{
		k.LeasesBySharer.Walk(ctx, nil, func(collections.Pair[sdk.AccAddress, uint64]) (bool, error) { openBySharer++; return false, nil }),
		k.LeasesByService.Walk(ctx, nil, func(collections.Pair[string, uint64]) (bool, error) { openByService++; return false, nil }),
		k.AckQueue.Walk(ctx, nil, func(collections.Pair[int64, uint64]) (bool, error) { ackQueued++; return false, nil }),
		k.Candidates.Walk(ctx, nil, func(collections.Pair[uint64, sdk.AccAddress], types.Candidate) (bool, error) {
			candidates++
			return false, nil
		}),
		k.Liveness.Walk(ctx, nil, func(collections.Pair[uint64, sdk.AccAddress]) (bool, error) { liv++; return false, nil }),
	}
	for _, err := range walks {
		if err != nil {
			return err
		}
	}
	if openBySharer != open || openByService != open || ackQueued != unacked {
		return fmt.Errorf("%d open leases (%d unacknowledged), but the indexes list %d by sharer, %d by service and %d awaiting ack",
			open, unacked, openBySharer, openByService, ackQueued)
	}
	stats, err := k.Stats.Get(ctx)
	if err != nil {
		return err
	}
	if stats != want || candidates != int(want.Placeable) || liv != int(want.Placeable+want.Draining) {
		return fmt.Errorf("stats %v and index sizes (%d candidates, %d live) do not match the sharers (%v)", stats, candidates, liv, want)
	}
	held := k.bank.GetBalance(ctx, k.moduleAddr, p.Denom).Amount
	if !held.Equal(collateral) {
		return fmt.Errorf("the %s module account holds %s%s but the sharers' collateral adds up to %s%s", types.ModuleName, held, p.Denom, collateral, p.Denom)
	}
	return nil
}
