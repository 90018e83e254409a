package keeper

import (
	"context"
	"errors"
	"fmt"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/quantum1net/q1/core/manifest"
	servicestypes "github.com/quantum1net/q1/x/services/types"
	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
	"github.com/quantum1net/q1/x/usage/types"
)

// The escrow's life: leases acknowledged and closed start and stop rent
// (x/sharers hooks); deposits and withdrawals settle first and may resume a
// depleted service (x/services escrow hooks); the EndBlocker visits only
// the services indexed as due by the block's height (grace) or header time
// (low, dry), so a block costs what is due, not the number of services.

// SharersHooks returns the hooks x/sharers calls as leases are acknowledged
// and closed.
func (k *Keeper) SharersHooks() sharerstypes.SharersHooks { return sharersHooks{k} }

// ServicesHooks returns the hooks x/services calls as services change.
func (k *Keeper) ServicesHooks() servicestypes.ServicesHooks { return servicesHooks{k} }

// EscrowHooks returns the hooks x/services calls as money enters and leaves
// escrows.
func (k *Keeper) EscrowHooks() servicestypes.EscrowHooks { return escrowHooks{k} }

type sharersHooks struct{ k *Keeper }

// AfterLeaseAcked starts the lease's rent meter at its acknowledgement time.
func (h sharersHooks) AfterLeaseAcked(ctx context.Context, l sharerstypes.Lease) error {
	k := h.k
	a, err := k.GetAccount(ctx, l.Service)
	if err != nil {
		return err
	}
	if err := k.settle(ctx, &a); err != nil {
		return err
	}
	m, err := k.services.CurrentSpec(ctx, l.Service)
	if err != nil {
		return err
	}
	// Rent accrues from the acknowledgement, which is this block; never
	// from a time the chain has not reached or an unset one.
	start, now := l.AckedTime, sdk.UnwrapSDKContext(ctx).BlockTime()
	if start.IsZero() || start.After(now) {
		start = now
	}
	mt := types.LeaseMeter{
		LeaseId: l.Id, Service: l.Service, Sharer: l.Sharer,
		ListRatePerHour: listRate(l, m), RatePerHour: math.LegacyZeroDec(),
		SettledTime: start, Carry: math.LegacyZeroDec(),
	}
	if err := k.Meters.Set(ctx, l.Id, mt); err != nil {
		return fmt.Errorf("write meter of lease %d: %w", l.Id, err)
	}
	if err := k.OpenMeters.Set(ctx, collections.Join(l.Service, l.Id)); err != nil {
		return fmt.Errorf("index meter of lease %d: %w", l.Id, err)
	}
	return k.rescaleAndSave(ctx, &a, m)
}

// AfterLeaseClosed settles the lease's rent up to its close and removes its
// meter: the sharer is owed nothing more for it.
func (h sharersHooks) AfterLeaseClosed(ctx context.Context, l sharerstypes.Lease) error {
	k := h.k
	has, err := k.Meters.Has(ctx, l.Id)
	if err != nil || !has {
		return err
	}
	a, err := k.GetAccount(ctx, l.Service)
	if err != nil {
		return err
	}
	if err := k.settle(ctx, &a); err != nil {
		return err
	}
	if err := k.Meters.Remove(ctx, l.Id); err != nil {
		return fmt.Errorf("remove meter of lease %d: %w", l.Id, err)
	}
	if err := k.OpenMeters.Remove(ctx, collections.Join(l.Service, l.Id)); err != nil {
		return fmt.Errorf("unindex meter of lease %d: %w", l.Id, err)
	}
	a.LastServedTime = sdk.UnwrapSDKContext(ctx).BlockTime()
	m, err := k.services.CurrentSpec(ctx, l.Service)
	if err != nil {
		return err
	}
	return k.rescaleAndSave(ctx, &a, m)
}

func (k *Keeper) rescaleAndSave(ctx context.Context, a *types.ServiceAccount, m *servicestypes.ServiceSpec) error {
	if err := k.rescale(ctx, a, m); err != nil {
		return err
	}
	if err := k.project(ctx, a); err != nil {
		return err
	}
	return k.setAccount(ctx, *a)
}

type servicesHooks struct{ k *Keeper }

// AfterServiceCreated does nothing: rent starts with acknowledged leases.
func (servicesHooks) AfterServiceCreated(context.Context, string, *servicestypes.ServiceSpec) error {
	return nil
}

// AfterVersionActivated settles the service's rent and re-rates its meters
// under the new manifest's pricing caps and maxPerHour.
func (h servicesHooks) AfterVersionActivated(ctx context.Context, name string, _, m *servicestypes.ServiceSpec) error {
	k := h.k
	a, err := k.GetAccount(ctx, name)
	if err != nil {
		return err
	}
	if err := k.settle(ctx, &a); err != nil {
		return err
	}
	meters, err := k.ServiceMeters(ctx, name)
	if err != nil {
		return err
	}
	for _, mt := range meters {
		l, err := k.sharers.GetLease(ctx, mt.LeaseId)
		if err != nil {
			return err
		}
		mt.ListRatePerHour = listRate(l, m)
		if err := k.Meters.Set(ctx, mt.LeaseId, mt); err != nil {
			return fmt.Errorf("write meter of lease %d: %w", mt.LeaseId, err)
		}
	}
	return k.rescaleAndSave(ctx, &a, m)
}

// AfterServicePaused does nothing: the pause closes the leases, whose hooks
// stop the rent.
func (servicesHooks) AfterServicePaused(context.Context, string, servicestypes.PauseReason) error {
	return nil
}

// AfterServiceResumed does nothing: rent starts again as leases are acked.
func (servicesHooks) AfterServiceResumed(context.Context, string) error { return nil }

// AfterScaled does nothing: rent follows the leases.
func (servicesHooks) AfterScaled(context.Context, string, uint32, uint32) error { return nil }

// AfterServiceDeleted unindexes the service: a deleted service neither runs
// dry nor waits out a grace period. Its account and records stay. What its
// escrow kept back for late usage reports is queued for release when the
// report window closes.
func (h servicesHooks) AfterServiceDeleted(ctx context.Context, name string) error {
	k := h.k
	a, err := k.GetAccount(ctx, name)
	if err != nil {
		return err
	}
	if err := k.settle(ctx, &a); err != nil {
		return err
	}
	if err := k.unindex(ctx, &a); err != nil {
		return err
	}
	if a.GraceDeadline != 0 {
		if err := k.GraceQueue.Remove(ctx, collections.Join(a.GraceDeadline, name)); err != nil {
			return fmt.Errorf("unindex grace deadline of service %s: %w", name, err)
		}
	}
	a.DepletedHeight, a.GraceDeadline, a.Low = 0, 0, false
	if err := k.queueRelease(ctx, &a); err != nil {
		return err
	}
	return k.setAccount(ctx, a)
}

type escrowHooks struct{ k *Keeper }

// AfterEscrowFunded settles and re-projects the escrow. For a service its
// depletion paused, the deposit must bring the escrow to
// lowBalanceBlocks of the burn it had: then the service resumes (x/sharers
// places it again, preferring the sharers that held it); otherwise the
// deposit is refused with the amount needed.
func (h escrowHooks) AfterEscrowFunded(ctx context.Context, name string, amount math.Int) (string, error) {
	k := h.k
	a, err := k.touch(ctx, name)
	if err != nil {
		return "", err
	}
	if a.DepletedHeight == 0 {
		return "", nil
	}
	needed, bal, err := k.resumeNeeded(ctx, a)
	if err != nil {
		return "", err
	}
	denom := k.denom(ctx)
	if bal.LT(needed) {
		return "", errorsmod.Wrapf(types.ErrDepositBelowResume,
			"service %s is paused because its escrow ran dry: a deposit of %s%s brings it to %s%s, but resuming needs %s%s "+
				"(policies.budget.lowBalanceBlocks of its burn of %s%s per hour, on top of what it keeps back for usage reports still inside the report window); deposit at least %s%s, before height %d when the service is deleted",
			name, amount, denom, bal, denom, needed, denom, a.DepletedBurnPerHour, denom, needed.Sub(bal.Sub(amount)), denom, a.GraceDeadline)
	}
	if err := k.GraceQueue.Remove(ctx, collections.Join(a.GraceDeadline, name)); err != nil {
		return "", fmt.Errorf("unindex grace deadline of service %s: %w", name, err)
	}
	a.DepletedHeight, a.GraceDeadline = 0, 0
	if err := k.setAccount(ctx, a); err != nil {
		return "", err
	}
	if err := k.services.ResumeAfterDeposit(ctx, name); err != nil {
		return "", err
	}
	return fmt.Sprintf("resumed service %s: its escrow holds %s%s, at least lowBalanceBlocks of burn (%s%s)", name, bal, denom, needed, denom), nil
}

// BeforeEscrowWithdrawn settles what the service owes, so that a
// withdrawal takes only what is not owed.
func (h escrowHooks) BeforeEscrowWithdrawn(ctx context.Context, name string) error {
	_, err := h.k.touch(ctx, name)
	return err
}

// AfterEscrowWithdrawn re-projects the escrow.
func (h escrowHooks) AfterEscrowWithdrawn(ctx context.Context, name string, _ math.Int) error {
	_, err := h.k.touch(ctx, name)
	return err
}

// DepletionResumeHint says how much a deposit must add to resume service
// name, and by when.
func (h escrowHooks) DepletionResumeHint(ctx context.Context, name string) (string, error) {
	k := h.k
	a, err := k.GetAccount(ctx, name)
	if err != nil || a.DepletedHeight == 0 {
		return "", err
	}
	needed, bal, err := k.resumeNeeded(ctx, a)
	if err != nil {
		return "", err
	}
	denom := k.denom(ctx)
	return fmt.Sprintf("deposit at least %s%s (q1 service fund) before height %d", math.MaxInt(needed.Sub(bal), math.OneInt()), denom, a.GraceDeadline), nil
}

// resumeNeeded returns the escrow balance that resumes depleted account a
// (lowBalanceBlocks × params.block_time_ms of its burn before depletion,
// at least 1, on top of what the escrow keeps back for usage reports still
// inside the report window, pendingUsage) and the balance now.
func (k *Keeper) resumeNeeded(ctx context.Context, a types.ServiceAccount) (needed, bal math.Int, err error) {
	p, err := k.GetParams(ctx)
	if err != nil {
		return math.Int{}, math.Int{}, err
	}
	m, err := k.services.CurrentSpec(ctx, a.Service)
	if err != nil {
		return math.Int{}, math.Int{}, err
	}
	bal, err = k.services.EscrowBalance(ctx, a.Service)
	if err != nil {
		return math.Int{}, math.Int{}, err
	}
	pending, err := k.pendingUsage(ctx, a)
	if err != nil {
		return math.Int{}, math.Int{}, err
	}
	needed = types.OverDuration(a.DepletedBurnPerHour, lowDuration(m.Policies.Budget.LowBalanceBlocks, p)).Ceil().TruncateInt()
	return math.MaxInt(needed, math.OneInt()).Add(pending), bal, nil
}

// denom is the escrow denom, for messages.
func (k *Keeper) denom(ctx context.Context) string {
	p, err := k.services.GetParams(ctx)
	if err != nil {
		return ""
	}
	return p.Denom
}

// EndBlocker visits the services indexed as due: grace periods that ended
// at heights up to the current one (the service is deleted), and low marks
// and dry times at or before the block's header time: escrow.low, or, for
// an escrow whose money ended, the service pauses (or is deleted under
// onDepletion delete) with its rent settled up to that moment. A low entry
// re-projects the service (a projection beyond the horizon comes back
// through it). Then the audit draws and deadlines due at this height are
// worked (auditsEndBlock).
func (k *Keeper) EndBlocker(ctx context.Context) error {
	if err := k.releaseHeldBack(ctx); err != nil {
		return err
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	h, now := sdkCtx.BlockHeight(), sdkCtx.BlockTime().UnixNano()
	grace, err := due(ctx, k.GraceQueue, h)
	if err != nil {
		return err
	}
	for _, key := range grace {
		if err := k.GraceQueue.Remove(ctx, key); err != nil {
			return err
		}
		if err := k.isolate(ctx, k.GraceQueue, key, "grace end", func(ctx context.Context) error {
			return k.graceExpired(ctx, key.K2(), key.K1())
		}); err != nil {
			return err
		}
	}
	low, err := due(ctx, k.LowQueue, now)
	if err != nil {
		return err
	}
	for _, key := range low {
		if err := k.isolate(ctx, k.LowQueue, key, "low mark", func(ctx context.Context) error {
			a, err := k.GetAccount(ctx, key.K2())
			if err != nil {
				return err
			}
			if a.LowTime == nil || a.LowTime.UnixNano() != key.K1() {
				return k.LowQueue.Remove(ctx, key)
			}
			_, err = k.touch(ctx, key.K2())
			return err
		}); err != nil {
			return err
		}
	}
	dry, err := due(ctx, k.DryQueue, now)
	if err != nil {
		return err
	}
	for _, key := range dry {
		if err := k.isolate(ctx, k.DryQueue, key, "dry time", func(ctx context.Context) error {
			a, err := k.GetAccount(ctx, key.K2())
			if err != nil {
				return err
			}
			if a.DryTime == nil || a.DryTime.UnixNano() != key.K1() {
				return k.DryQueue.Remove(ctx, key)
			}
			// Every touch projects again, so the dry time indexed is the
			// one the last touch computed: settle up to now. The money
			// has ended unless the report window moved on since and
			// keeps back less (spendable): then project again.
			if err := k.settle(ctx, &a); err != nil {
				return err
			}
			left, _, err := k.spendable(ctx, &a)
			if err != nil {
				return err
			}
			if left.IsPositive() {
				if err := k.project(ctx, &a); err != nil {
					return err
				}
				return k.setAccount(ctx, a)
			}
			return k.deplete(ctx, a)
		}); err != nil {
			return err
		}
	}
	if err := k.auditsEndBlock(ctx); err != nil {
		return err
	}
	_, err = k.prune(ctx)
	return err
}

// isolate runs fn, the EndBlocker's work for one queued service, on a
// cached store written only when it succeeds. A failure is logged and the
// queue entry dropped (the next touch of the service indexes it again): one
// service's trouble never halts the chain. Only a failure to drop the entry
// is returned. Keys are heights (grace) or unix nanoseconds of block time
// (low, dry).
func (k *Keeper) isolate(ctx context.Context, q collections.KeySet[collections.Pair[int64, string]], key collections.Pair[int64, string], what string, fn func(context.Context) error) error {
	cache, write := sdk.UnwrapSDKContext(ctx).CacheContext()
	if err := fn(cache); err != nil {
		k.Logger(ctx).Error("escrow check failed; skipped until the service is touched again",
			"check", what, "service", key.K2(), "key", key.K1(), "err", err)
		if err := q.Remove(ctx, key); err != nil {
			return fmt.Errorf("drop %s of service %s: %w", what, key.K2(), err)
		}
		return nil
	}
	write()
	return nil
}

// due returns the keys of q up to and including upTo (a height or a block
// time in unix nanoseconds), in order.
func due(ctx context.Context, q collections.KeySet[collections.Pair[int64, string]], upTo int64) ([]collections.Pair[int64, string], error) {
	var out []collections.Pair[int64, string]
	rng := new(collections.Range[collections.Pair[int64, string]]).EndExclusive(collections.Join(upTo+1, ""))
	err := q.Walk(ctx, rng, func(key collections.Pair[int64, string]) (bool, error) {
		out = append(out, key)
		return false, nil
	})
	if err != nil {
		return nil, fmt.Errorf("read due queue: %w", err)
	}
	return out, nil
}

// deplete pauses (or deletes) a's service, settled up to when its escrow's
// money ended. Its projections are removed whatever its status; only an
// active service is paused.
func (k *Keeper) deplete(ctx context.Context, a types.ServiceAccount) error {
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	if err := k.unindex(ctx, &a); err != nil {
		return err
	}
	a.DepletedBurnPerHour = a.BurnPerHour
	if err := k.setAccount(ctx, a); err != nil {
		return err
	}
	svc, err := k.services.GetService(ctx, a.Service)
	if err != nil {
		return err
	}
	if svc.Status != servicestypes.StatusActive {
		return nil
	}
	m, err := k.services.CurrentSpec(ctx, a.Service)
	if err != nil {
		return err
	}
	if m.Policies.Budget.OnDepletion == manifest.DepletionDelete {
		if err := k.services.DeleteForDepletion(ctx, a.Service, fmt.Sprintf("its escrow ran dry at height %d (policies.budget.onDepletion delete)", h)); err != nil {
			return err
		}
		return emit(ctx, &types.EventEscrowDepleted{Service: a.Service, DepositToResume: math.ZeroInt()})
	}
	// The pause closes the leases; their hooks settle and remove the meters
	// and write the account: read it again afterwards.
	if err := k.services.PauseForDepletion(ctx, a.Service); err != nil {
		return err
	}
	if a, err = k.GetAccount(ctx, a.Service); err != nil {
		return err
	}
	if err := k.unindex(ctx, &a); err != nil {
		return err
	}
	a.DepletedHeight = h
	a.GraceDeadline = h + int64(m.Policies.Budget.GraceBlocks)
	if err := k.GraceQueue.Set(ctx, collections.Join(a.GraceDeadline, a.Service)); err != nil {
		return fmt.Errorf("index grace deadline of service %s: %w", a.Service, err)
	}
	if err := k.setAccount(ctx, a); err != nil {
		return err
	}
	needed, bal, err := k.resumeNeeded(ctx, a)
	if err != nil {
		return err
	}
	return emit(ctx, &types.EventEscrowDepleted{Service: a.Service, GraceDeadline: a.GraceDeadline,
		DepositToResume: math.MaxInt(needed.Sub(bal), math.ZeroInt())})
}

// graceExpired deletes service name, depleted and not resumed by its grace
// deadline.
func (k *Keeper) graceExpired(ctx context.Context, name string, deadline int64) error {
	a, err := k.GetAccount(ctx, name)
	if err != nil {
		return err
	}
	if a.DepletedHeight == 0 || a.GraceDeadline != deadline {
		return nil
	}
	depleted := a.DepletedHeight
	a.DepletedHeight, a.GraceDeadline = 0, 0
	if err := k.setAccount(ctx, a); err != nil {
		return err
	}
	reason := fmt.Sprintf("its escrow ran dry at height %d and no deposit resumed it within policies.budget.graceBlocks", depleted)
	if err := k.services.DeleteForDepletion(ctx, name, reason); err != nil {
		if errors.Is(err, servicestypes.ErrServiceDeleted) {
			return nil
		}
		return err
	}
	return emit(ctx, &types.EventGraceExpired{Service: name, DepletedHeight: depleted})
}
