package keeper

import (
	"context"
	"fmt"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/quantum1net/q1/x/usage/types"
)

// CheckInvariants audits the economy over the whole state and lists what is
// broken (nothing when all holds):
//   - the services module account holds exactly the sum of the escrow
//     records, and no escrow is negative;
//   - x/sharers' invariants hold (collateral against its module account);
//   - rent meters exist only for open, acknowledged leases of their service
//     held by their sharer, and the meter index matches the meters;
//   - every uqc that left an escrow reached a sharer or the fee collector,
//     or is held: the services' charged totals equal the sharers' earnings,
//     protocol share included, and each usage record's charge is its
//     sharer's part plus the protocol's;
//   - the usage module account holds exactly the charges held for audits
//     (records pending their draw or sampled by an open audit), and a
//     refunded record charges nothing.
//
// It reads everything: for tests and audits, never for blocks.
func (k *Keeper) CheckInvariants(ctx context.Context) (*types.QueryInvariantsResponse, error) {
	out := &types.QueryInvariantsResponse{}
	broken := func(format string, args ...any) { out.Broken = append(out.Broken, fmt.Sprintf(format, args...)) }

	sp, err := k.services.GetParams(ctx)
	if err != nil {
		return nil, err
	}
	sum, negative, err := k.services.SumEscrows(ctx)
	if err != nil {
		return nil, err
	}
	out.Escrows = sum
	out.EscrowAccount = k.bank.GetBalance(ctx, k.services.ModuleAddress(), sp.Denom).Amount
	if !out.Escrows.Equal(out.EscrowAccount) {
		broken("the services module account holds %s%s but the escrow records sum to %s%s", out.EscrowAccount, sp.Denom, out.Escrows, sp.Denom)
	}
	for _, name := range negative {
		broken("the escrow of service %s is negative", name)
	}
	if err := k.sharers.CheckInvariants(ctx); err != nil {
		broken("x/sharers: %v", err)
	}

	indexed := 0
	err = k.OpenMeters.Walk(ctx, nil, func(key collections.Pair[string, uint64]) (bool, error) {
		indexed++
		m, err := k.Meters.Get(ctx, key.K2())
		if err != nil {
			// A missing meter is a broken invariant to report, not a
			// failure of the walk: keep checking the others.
			broken("the meter index lists lease %d of service %s, which has no meter", key.K2(), key.K1())
			return false, nil //nolint:nilerr // reported through broken above
		}
		if m.Service != key.K1() {
			broken("the meter index lists lease %d under service %s, but its meter is of service %s", key.K2(), key.K1(), m.Service)
		}
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	meters := 0
	err = k.Meters.Walk(ctx, nil, func(id uint64, m types.LeaseMeter) (bool, error) {
		meters++
		l, err := k.sharers.GetLease(ctx, id)
		switch {
		case err != nil:
			broken("lease %d has a rent meter but no lease: %v", id, err)
		case !l.IsOpen():
			broken("lease %d has a rent meter but closed at height %d", id, l.ClosedHeight)
		case !l.IsAcked():
			broken("lease %d has a rent meter but was never acknowledged", id)
		case l.Sharer != m.Sharer || l.Service != m.Service:
			broken("lease %d is %s's lease of service %s, but its meter pays %s for service %s", id, l.Sharer, l.Service, m.Sharer, m.Service)
		}
		if m.Carry.IsNegative() || m.RatePerHour.IsNegative() {
			broken("the meter of lease %d has a negative rate or carry", id)
		}
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	if meters != indexed {
		broken("%d rent meters but %d in the meter index", meters, indexed)
	}

	charged, share := math.ZeroInt(), math.ZeroInt()
	err = k.Accounts.Walk(ctx, nil, func(_ string, a types.ServiceAccount) (bool, error) {
		charged = charged.Add(a.RentCharged).Add(a.UsageCharged)
		share = share.Add(a.ProtocolShare)
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	earned, earnedShare := math.ZeroInt(), math.ZeroInt()
	err = k.Earnings.Walk(ctx, nil, func(_ collections.Triple[sdk.AccAddress, string, uint64], e types.Earnings) (bool, error) {
		earned = earned.Add(e.Usage).Add(e.Rent)
		earnedShare = earnedShare.Add(e.ProtocolShare)
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	// Pruned earnings rows live on in their running totals.
	err = k.PrunedEarnings.Walk(ctx, nil, func(_ collections.Pair[sdk.AccAddress, string], e types.Earnings) (bool, error) {
		earned = earned.Add(e.Usage).Add(e.Rent)
		earnedShare = earnedShare.Add(e.ProtocolShare)
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	if !charged.Equal(earned) || !share.Equal(earnedShare) {
		broken("services were charged %s (protocol share %s) but sharers earned %s (protocol share %s)", charged, share, earned, earnedShare)
	}
	held := math.ZeroInt()
	err = k.Records.Walk(ctx, nil, func(_ collections.Triple[string, uint64, uint64], r types.UsageRecord) (bool, error) {
		if !r.Charged.Equal(r.ToSharer.Add(r.ProtocolShare)) || r.Charged.IsNegative() || r.ToSharer.IsNegative() {
			broken("the usage record of lease %d for epoch %d charged %s but paid %s to the sharer and %s to the protocol", r.LeaseId, r.Epoch, r.Charged, r.ToSharer, r.ProtocolShare)
		}
		switch r.AuditState {
		case types.AuditPending:
			held = held.Add(r.Charged)
		case types.AuditSampled:
			held = held.Add(r.Charged)
			a, err := k.Audits.Get(ctx, r.AuditId)
			switch {
			case err != nil:
				broken("the usage record of lease %d for epoch %d is sampled by audit %d, which does not exist", r.LeaseId, r.Epoch, r.AuditId)
			case a.Phase == types.PhaseResolved || a.LeaseId != r.LeaseId || a.Epoch != r.Epoch || !a.Charged.Equal(r.Charged):
				broken("the usage record of lease %d for epoch %d is sampled by audit %d, which is %s (lease %d, epoch %d, holding %s)", r.LeaseId, r.Epoch, r.AuditId, a.Phase, a.LeaseId, a.Epoch, a.Charged)
			}
		case types.AuditFailed, types.AuditForfeited:
			if r.Charged.IsPositive() {
				broken("the usage record of lease %d for epoch %d is %s but still charges %s", r.LeaseId, r.Epoch, r.AuditState, r.Charged)
			}
		}
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	out.Held = held
	out.UsageAccount = k.bank.GetBalance(ctx, k.moduleAddr, sp.Denom).Amount
	if !out.Held.Equal(out.UsageAccount) {
		broken("the usage module account holds %s%s but the charges held for audits sum to %s%s", out.UsageAccount, sp.Denom, out.Held, sp.Denom)
	}
	return out, nil
}
