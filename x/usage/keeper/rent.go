package keeper

import (
	"context"
	"errors"
	"fmt"
	"time"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"

	servicestypes "github.com/quantum1net/q1/x/services/types"
	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
	"github.com/quantum1net/q1/x/usage/types"
)

// Reservation rent. Each open acknowledged lease has a meter: rent accrues
// at its rate per hour of block header time and is settled lazily, on any
// touch of its service (a report, a deposit, a withdrawal, a lease acked or
// closed, a new manifest, an indexed time arriving). Rent accrues only
// while the escrow holds it: from the moment the rent accrued reaches the
// balance, nothing more accrues. After every touch the service's escrow is
// projected forward and the block times at which it runs low and dry are
// indexed for the EndBlocker, which pauses the service in the first block
// whose header time reaches its dry time.

// nsPerHour is an hour of block time in nanoseconds.
const nsPerHour = int64(time.Hour)

// horizon bounds projections: an escrow that lasts longer is not given a
// dry time but projected again when half the horizon has passed (keys are
// unix nanoseconds, good until 2262).
const horizon = 100 * 365 * 24 * time.Hour

// GetAccount returns service name's economics; a service nothing was
// charged to yet has an empty account.
func (k *Keeper) GetAccount(ctx context.Context, name string) (types.ServiceAccount, error) {
	a, err := k.Accounts.Get(ctx, name)
	if errors.Is(err, collections.ErrNotFound) {
		return types.NewServiceAccount(name), nil
	}
	if err != nil {
		return types.ServiceAccount{}, fmt.Errorf("read economics of service %s: %w", name, err)
	}
	return a, nil
}

// ServiceMeters returns the rent meters of service name's open acknowledged
// leases, by lease id.
func (k *Keeper) ServiceMeters(ctx context.Context, name string) ([]types.LeaseMeter, error) {
	var out []types.LeaseMeter
	err := k.OpenMeters.Walk(ctx, collections.NewPrefixedPairRange[string, uint64](name),
		func(key collections.Pair[string, uint64]) (bool, error) {
			m, err := k.Meters.Get(ctx, key.K2())
			if err != nil {
				return true, fmt.Errorf("read meter of lease %d: %w", key.K2(), err)
			}
			out = append(out, m)
			return false, nil
		})
	if err != nil {
		return nil, fmt.Errorf("walk meters of service %s: %w", name, err)
	}
	return out, nil
}

// owedAt is what meter m accrued by t and has not settled, fraction
// included.
func owedAt(m types.LeaseMeter, t time.Time) math.LegacyDec {
	return m.Carry.Add(types.OverDuration(m.RatePerHour, t.Sub(m.SettledTime)))
}

// EscrowOwed implements servicestypes.EscrowOwed: the rent service name's
// leases accrued up to the block time (or until its escrow's money ended,
// if that was earlier) and not yet settled, plus the most that usage
// reports still inside the report window may charge (PendingUsage),
// rounded up to a whole uqc. Withdrawals and deletion refunds leave it in
// the escrow, so no owner action makes work already done free.
func (k *Keeper) EscrowOwed(ctx context.Context, name string) (math.Int, error) {
	rent, err := k.RentOwed(ctx, name)
	if err != nil {
		return math.Int{}, err
	}
	pending, err := k.PendingUsage(ctx, name)
	if err != nil {
		return math.Int{}, err
	}
	return rent.Add(pending), nil
}

// RentOwed is the rent service name's leases accrued up to the block time
// (or until its escrow's money ended) and not yet settled, rounded up to a
// whole uqc.
func (k *Keeper) RentOwed(ctx context.Context, name string) (math.Int, error) {
	owed, err := k.owed(ctx, name)
	if err != nil {
		return math.Int{}, err
	}
	return owed.Ceil().TruncateInt(), nil
}

// PendingUsage is the most that usage reports not yet sent may still charge
// service name: reports are accepted for the epochs from the current one
// back to params.report_window_epochs before it, so its usage allowance
// per hour (usagePerHour: MaxPerHour less its rent burn) over the block
// time from the start of the oldest of those epochs to now (or to when its
// last acknowledged lease closed), less what the records of those epochs
// were charged already; zero once the window has passed its last lease. It
// is an upper bound: reports are capped by the same figure.
func (k *Keeper) PendingUsage(ctx context.Context, name string) (math.Int, error) {
	a, err := k.GetAccount(ctx, name)
	if err != nil {
		return math.Int{}, err
	}
	return k.pendingUsage(ctx, a)
}

// pendingUsage is PendingUsage of a's service, with a as it stands (its
// LastServedTime perhaps not written yet).
func (k *Keeper) pendingUsage(ctx context.Context, a types.ServiceAccount) (math.Int, error) {
	name := a.Service
	p, err := k.GetParams(ctx)
	if err != nil {
		return math.Int{}, err
	}
	cur, err := k.sharers.CurrentEpoch(ctx)
	if err != nil {
		return math.Int{}, err
	}
	first, start := cur.Number, cur.StartTime
	for n := cur.Number - min(p.ReportWindowEpochs, cur.Number); n < cur.Number; n++ {
		if e, ok, err := k.sharers.GetEpoch(ctx, n); err != nil {
			return math.Int{}, err
		} else if ok {
			first, start = n, e.StartTime
			break
		}
	}
	end := sdk.UnwrapSDKContext(ctx).BlockTime()
	serving, err := k.OpenMeters.Iterate(ctx, collections.NewPrefixedPairRange[string, uint64](name))
	if err != nil {
		return math.Int{}, fmt.Errorf("walk meters of service %s: %w", name, err)
	}
	open := serving.Valid()
	serving.Close()
	if !open {
		end = a.LastServedTime
	}
	if !end.After(start) {
		return math.ZeroInt(), nil
	}
	m, err := k.services.CurrentSpec(ctx, name)
	if err != nil {
		return math.Int{}, err
	}
	most, _ := m.MaxPerHour()
	pending := types.OverDuration(usagePerHour(a, most), end.Sub(start)).Ceil().TruncateInt()
	for n := first; n <= cur.Number && pending.IsPositive(); n++ {
		rng := collections.NewSuperPrefixedTripleRange[string, uint64, uint64](name, n)
		err := k.Records.Walk(ctx, rng, func(_ collections.Triple[string, uint64, uint64], r types.UsageRecord) (bool, error) {
			pending = pending.Sub(r.Charged)
			return false, nil
		})
		if err != nil {
			return math.Int{}, fmt.Errorf("read usage records of service %s for epoch %d: %w", name, n, err)
		}
	}
	if pending.IsNegative() {
		return math.ZeroInt(), nil
	}
	return pending, nil
}

// usagePerHour is what a's service may be charged per hour for usage on
// top of its rent: most (its MaxPerHour) less its rent burn, never below
// zero. While it is paused because its escrow ran dry, the burn is the one
// it had when it ran: reports for the epochs it served are allowed what
// they were allowed then, and the escrow kept back that much (spendable).
func usagePerHour(a types.ServiceAccount, most math.Int) math.LegacyDec {
	burn := a.BurnPerHour
	if a.DepletedHeight != 0 && a.DepletedBurnPerHour.IsPositive() {
		burn = a.DepletedBurnPerHour
	}
	perHour := math.LegacyNewDecFromInt(most)
	if burn.IsNil() {
		return perHour
	}
	return math.LegacyMaxDec(perHour.Sub(burn), math.LegacyZeroDec())
}

func (k *Keeper) owed(ctx context.Context, name string) (math.LegacyDec, error) {
	meters, err := k.ServiceMeters(ctx, name)
	if err != nil {
		return math.LegacyDec{}, err
	}
	until, err := k.fundedUntil(ctx, name, meters)
	if err != nil {
		return math.LegacyDec{}, err
	}
	owed := math.LegacyZeroDec()
	for _, m := range meters {
		owed = owed.Add(owedAt(m, maxTime(until, m.SettledTime)))
	}
	return owed, nil
}

// fundedUntil is the block time up to which service name's escrow pays the
// rent of meters: the block time when it holds all they accrued by then;
// otherwise the moment their rent accrued reached the balance (to the
// nanosecond, never before it), after which nothing more accrues. A meter
// settled after that moment accrues nothing.
func (k *Keeper) fundedUntil(ctx context.Context, name string, meters []types.LeaseMeter) (time.Time, error) {
	now := sdk.UnwrapSDKContext(ctx).BlockTime()
	if len(meters) == 0 {
		return now, nil
	}
	bal, err := k.services.EscrowBalance(ctx, name)
	if err != nil {
		return time.Time{}, err
	}
	due, burn, earliest := math.LegacyZeroDec(), math.LegacyZeroDec(), now
	for _, m := range meters {
		due = due.Add(owedAt(m, now))
		if m.SettledTime.Before(now) {
			burn = burn.Add(m.RatePerHour)
			earliest = minTime(earliest, m.SettledTime)
		}
	}
	excess := due.Sub(math.LegacyNewDecFromInt(bal))
	if !excess.IsPositive() || !burn.IsPositive() {
		return now, nil
	}
	// The rent of the last back nanoseconds is what the escrow lacks;
	// truncating keeps the moment at or after the one the money ended.
	back := excess.MulInt64(nsPerHour).Quo(burn).TruncateInt()
	if !back.IsInt64() || back.Int64() >= int64(now.Sub(earliest)) {
		return earliest, nil
	}
	return now.Add(-time.Duration(back.Int64())), nil
}

func maxTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return b
	}
	return a
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// touch settles service name's rent up to the block time, projects its
// escrow and indexes the projections; it returns the account as written.
func (k *Keeper) touch(ctx context.Context, name string) (types.ServiceAccount, error) {
	a, err := k.GetAccount(ctx, name)
	if err != nil {
		return a, err
	}
	if err := k.settle(ctx, &a); err != nil {
		return a, err
	}
	if err := k.project(ctx, &a); err != nil {
		return a, err
	}
	return a, k.setAccount(ctx, a)
}

func (k *Keeper) setAccount(ctx context.Context, a types.ServiceAccount) error {
	if err := k.Accounts.Set(ctx, a.Service, a); err != nil {
		return fmt.Errorf("write economics of service %s: %w", a.Service, err)
	}
	return nil
}

// settle pays every meter of a's service the whole uqc it accrued up to the
// block time, keeping the fraction for the next settlement. Rent accrues
// only until the escrow's money ends (fundedUntil): the service is paused
// in the first block at or after that moment, and the rest of that block is
// not rent. What the escrow still cannot pay (only when rounding a single
// nanosecond of burn is worth a uqc or more) is written off, never owed.
func (k *Keeper) settle(ctx context.Context, a *types.ServiceAccount) error {
	meters, err := k.ServiceMeters(ctx, a.Service)
	if err != nil {
		return err
	}
	now := sdk.UnwrapSDKContext(ctx).BlockTime()
	until, err := k.fundedUntil(ctx, a.Service, meters)
	if err != nil {
		return err
	}
	for _, m := range meters {
		due := owedAt(m, maxTime(until, m.SettledTime))
		whole := due.TruncateInt()
		m.Carry = due.Sub(math.LegacyNewDecFromInt(whole))
		m.SettledTime = now
		if err := k.Meters.Set(ctx, m.LeaseId, m); err != nil {
			return fmt.Errorf("write meter of lease %d: %w", m.LeaseId, err)
		}
		if !whole.IsPositive() {
			continue
		}
		paid, share, err := k.pay(ctx, a.Service, m.Sharer, whole)
		if err != nil {
			return err
		}
		writtenOff := whole.Sub(paid)
		a.RentCharged = a.RentCharged.Add(paid)
		a.ProtocolShare = a.ProtocolShare.Add(share)
		a.WrittenOff = a.WrittenOff.Add(writtenOff)
		if paid.IsPositive() {
			if err := k.addEarnings(ctx, m.Sharer, a.Service, 0, math.ZeroInt(), paid, share); err != nil {
				return err
			}
		}
		if err := emit(ctx, &types.EventRentSettled{Service: a.Service, LeaseId: m.LeaseId, Sharer: m.Sharer,
			Paid: paid, ProtocolShare: share, WrittenOff: writtenOff}); err != nil {
			return err
		}
	}
	return nil
}

// pay moves up to amount from service name's escrow: the protocol share to
// the fee collector, the rest to sharer. It returns what left the escrow
// (at most its balance) and the protocol's part of it.
func (k *Keeper) pay(ctx context.Context, name, sharer string, amount math.Int) (paid, share math.Int, err error) {
	bal, err := k.services.EscrowBalance(ctx, name)
	if err != nil {
		return math.Int{}, math.Int{}, err
	}
	paid = math.MinInt(amount, bal)
	if !paid.IsPositive() {
		return math.ZeroInt(), math.ZeroInt(), nil
	}
	p, err := k.GetParams(ctx)
	if err != nil {
		return math.Int{}, math.Int{}, err
	}
	toSharer, share := types.SplitProtocol(paid, p.ProtocolShare)
	_, bz, err := k.account("sharer", sharer)
	if err != nil {
		return math.Int{}, math.Int{}, err
	}
	if toSharer.IsPositive() {
		if err := k.services.PayFromEscrowToAccount(ctx, name, bz, toSharer); err != nil {
			return math.Int{}, math.Int{}, err
		}
	}
	if share.IsPositive() {
		if err := k.services.PayFromEscrowToModule(ctx, name, k.feeCollector, share); err != nil {
			return math.Int{}, math.Int{}, err
		}
	}
	return paid, share, nil
}

// addEarnings adds to what sharer earned from service in epoch (the
// current epoch when epoch is 0).
func (k *Keeper) addEarnings(ctx context.Context, sharer, service string, epoch uint64, usage, rent, share math.Int) error {
	if epoch == 0 {
		cur, err := k.sharers.CurrentEpoch(ctx)
		if err != nil {
			return err
		}
		epoch = cur.Number
	}
	_, bz, err := k.account("sharer", sharer)
	if err != nil {
		return err
	}
	key := collections.Join3(bz, service, epoch)
	e, err := k.Earnings.Get(ctx, key)
	if errors.Is(err, collections.ErrNotFound) {
		e = types.NewEarnings(sharer, service, epoch)
		if err := k.EarningsByEpoch.Set(ctx, collections.Join3(epoch, bz, service)); err != nil {
			return fmt.Errorf("index earnings of %s from %s in epoch %d: %w", sharer, service, epoch, err)
		}
	} else if err != nil {
		return fmt.Errorf("read earnings of %s from %s in epoch %d: %w", sharer, service, epoch, err)
	}
	e.Add(types.Earnings{Usage: usage, Rent: rent, ProtocolShare: share})
	if err := k.Earnings.Set(ctx, key, e); err != nil {
		return fmt.Errorf("write earnings of %s from %s in epoch %d: %w", sharer, service, epoch, err)
	}
	return nil
}

// lowDuration is policies.budget.lowBalanceBlocks as block time: that many
// blocks of params.block_time_ms, at most half the projection horizon.
func lowDuration(lowBlocks uint64, p types.Params) time.Duration {
	per := time.Duration(p.BlockTimeMs) * time.Millisecond
	if per <= 0 {
		return 0
	}
	if lowBlocks >= uint64(horizon/2/per) {
		return horizon / 2
	}
	return time.Duration(lowBlocks) * per
}

// timeLeft is how long available lasts at burnPerHour, rounded up to the
// nanosecond; far is true (and left the horizon) when it lasts longer than
// the horizon. Nothing left is 0.
func timeLeft(available, burnPerHour math.LegacyDec) (left time.Duration, far bool) {
	if !available.IsPositive() {
		return 0, false
	}
	if !burnPerHour.IsPositive() {
		return horizon, true
	}
	ns := available.MulInt64(nsPerHour).Quo(burnPerHour).Ceil().TruncateInt()
	if !ns.IsInt64() || ns.Int64() > int64(horizon) {
		return horizon, true
	}
	return time.Duration(ns.Int64()), false
}

// blocksLeft is how many blocks of params.block_time_ms available lasts at
// burnPerHour: an estimate for people (the chain acts on block times); 0
// when nothing burns.
func blocksLeft(available, burnPerHour math.LegacyDec, p types.Params) uint64 {
	if !available.IsPositive() || !burnPerHour.IsPositive() || p.BlockTimeMs == 0 {
		return 0
	}
	n := available.MulInt64(int64(time.Hour / time.Millisecond)).Quo(burnPerHour.MulInt64(int64(p.BlockTimeMs))).TruncateInt()
	if !n.IsUint64() || n.Uint64() > 1<<62 {
		return 1 << 62
	}
	return n.Uint64()
}

// project re-indexes a's escrow: the block time it runs dry (what the
// escrow holds beyond the rent accrued and what the open report window may
// still charge, spendable, at the burn from now) and the first
// block time less than lowBalanceBlocks × params.block_time_ms of burn is
// left. It emits escrow.low once when the escrow is already below the mark.
// A depleted or deleted service, or one that burns nothing, is not indexed;
// one whose escrow lasts beyond the horizon is given no dry time, only a
// time to be projected again (in the low queue).
func (k *Keeper) project(ctx context.Context, a *types.ServiceAccount) error {
	if err := k.unindex(ctx, a); err != nil {
		return err
	}
	if a.DepletedHeight != 0 || !a.BurnPerHour.IsPositive() {
		a.Low = false
		return nil
	}
	p, err := k.GetParams(ctx)
	if err != nil {
		return err
	}
	m, err := k.services.CurrentSpec(ctx, a.Service)
	if err != nil {
		return err
	}
	available, bal, err := k.spendable(ctx, a)
	if err != nil {
		return err
	}
	now := sdk.UnwrapSDKContext(ctx).BlockTime()
	left, far := timeLeft(available, a.BurnPerHour)
	if far {
		a.Low = false
		return k.indexLow(ctx, a, now.Add(horizon/2))
	}
	dry := now.Add(left)
	a.DryTime = &dry
	if err := k.DryQueue.Set(ctx, collections.Join(dry.UnixNano(), a.Service)); err != nil {
		return fmt.Errorf("index dry time of service %s: %w", a.Service, err)
	}
	lowBlocks := m.Policies.Budget.LowBalanceBlocks
	lowDur := lowDuration(lowBlocks, p)
	if left >= lowDur {
		a.Low = false
		if lowDur == 0 {
			return nil // never low
		}
		return k.indexLow(ctx, a, dry.Add(1-lowDur))
	}
	if a.Low {
		return nil
	}
	a.Low = true
	return emit(ctx, &types.EventEscrowLow{Service: a.Service, Balance: bal, BurnPerHour: a.BurnPerHour,
		BlocksLeft: blocksLeft(available, a.BurnPerHour, p), LowBalanceBlocks: lowBlocks, DryTime: dry})
}

// spendable is what a's escrow holds beyond the rent its leases accrued
// and have not settled and beyond what usage reports still inside the
// report window may charge (pendingUsage, the holdback deletion keeps
// too): what rent may still be paid from before the service must stop. It
// returns the balance too.
func (k *Keeper) spendable(ctx context.Context, a *types.ServiceAccount) (math.LegacyDec, math.Int, error) {
	bal, err := k.services.EscrowBalance(ctx, a.Service)
	if err != nil {
		return math.LegacyDec{}, math.Int{}, err
	}
	meters, err := k.ServiceMeters(ctx, a.Service)
	if err != nil {
		return math.LegacyDec{}, math.Int{}, err
	}
	pending, err := k.pendingUsage(ctx, *a)
	if err != nil {
		return math.LegacyDec{}, math.Int{}, err
	}
	now := sdk.UnwrapSDKContext(ctx).BlockTime()
	available := math.LegacyNewDecFromInt(bal.Sub(pending))
	for _, mt := range meters {
		available = available.Sub(owedAt(mt, maxTime(now, mt.SettledTime)))
	}
	return available, bal, nil
}

// indexLow sets a's low time to t and indexes it.
func (k *Keeper) indexLow(ctx context.Context, a *types.ServiceAccount, t time.Time) error {
	a.LowTime = &t
	if err := k.LowQueue.Set(ctx, collections.Join(t.UnixNano(), a.Service)); err != nil {
		return fmt.Errorf("index low time of service %s: %w", a.Service, err)
	}
	return nil
}

// unindex removes a's projections from the queues.
func (k *Keeper) unindex(ctx context.Context, a *types.ServiceAccount) error {
	if a.DryTime != nil {
		if err := k.DryQueue.Remove(ctx, collections.Join(a.DryTime.UnixNano(), a.Service)); err != nil {
			return fmt.Errorf("unindex dry time of service %s: %w", a.Service, err)
		}
	}
	if a.LowTime != nil {
		if err := k.LowQueue.Remove(ctx, collections.Join(a.LowTime.UnixNano(), a.Service)); err != nil {
			return fmt.Errorf("unindex low time of service %s: %w", a.Service, err)
		}
	}
	a.DryTime, a.LowTime = nil, nil
	return nil
}

// listRate is a lease's rent per hour at its locked prices, each at most
// the manifest's pricing cap.
func listRate(l sharerstypes.Lease, m *servicestypes.ServiceSpec) math.LegacyDec {
	return sharerstypes.RentPerHour(l.Resources, types.CappedPrices(l.Prices, priceCaps(m)))
}

// priceCaps returns the manifest's pricing caps as prices.
func priceCaps(m *servicestypes.ServiceSpec) sharerstypes.Prices {
	pr := m.Pricing
	return sharerstypes.Prices{
		CpuPerCoreSecond:  pr.CpuPerCoreSecondUqc,
		MemoryPerMibHour:  pr.MemoryPerMibHourUqc,
		StoragePerGibHour: pr.StoragePerGibHourUqc,
		Per_1KRequests:    pr.Per_1KRequestsUqc,
		EgressPerGib:      pr.EgressPerGibUqc,
	}
}

// rescale sets the rates of a's meters (all settled to now) from their list
// rates, scaled down together so their sum is at most the service's
// MaxPerHour (policies.budget.maxPerHour, or its spending ceiling), and a's
// burn to their sum.
func (k *Keeper) rescale(ctx context.Context, a *types.ServiceAccount, m *servicestypes.ServiceSpec) error {
	meters, err := k.ServiceMeters(ctx, a.Service)
	if err != nil {
		return err
	}
	list := math.LegacyZeroDec()
	for _, mt := range meters {
		list = list.Add(mt.ListRatePerHour)
	}
	limit := math.LegacyMinDec(list, maxPerHourDec(m))
	burn := math.LegacyZeroDec()
	for _, mt := range meters {
		mt.RatePerHour = mt.ListRatePerHour
		if limit.LT(list) {
			mt.RatePerHour = mt.ListRatePerHour.Mul(limit).QuoTruncate(list)
		}
		burn = burn.Add(mt.RatePerHour)
		if err := k.Meters.Set(ctx, mt.LeaseId, mt); err != nil {
			return fmt.Errorf("write meter of lease %d: %w", mt.LeaseId, err)
		}
	}
	a.BurnPerHour = burn
	return nil
}
