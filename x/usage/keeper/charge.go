package keeper

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"

	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
	"github.com/quantum1net/q1/x/usage/types"
)

// reportCharge sums what a report charged.
type reportCharge struct {
	charged, share math.Int
	caps           uint32
}

// epochDuration is the block time epoch e lasted; an epoch whose times are
// not set counts its blocks at params.block_time_ms.
func epochDuration(e sharerstypes.EpochInfo, p types.Params) time.Duration {
	if d := e.EndTime.Sub(e.StartTime); d > 0 {
		return d
	}
	return time.Duration(e.EndHeight-e.StartHeight+1) * time.Duration(p.BlockTimeMs) * time.Millisecond
}

// chargeReport charges the services whose leases the report names, entry
// by entry, and stores a UsageRecord for each. The usage counted is first
// capped by the sharer's physical capacity over the epoch (the sum over
// all its leases, scaled down in proportion); each entry is then priced at
// the lease's locked prices, each at most the manifest's cap; the charge is
// capped by policies.budget.maxPerHour less the rent burn over the epoch's
// duration, and by the escrow. Unacknowledged and closed leases are charged
// nothing. Every cap applied is recorded.
func (k *Keeper) chargeReport(ctx context.Context, p types.Params, sh sharerstypes.Sharer, e sharerstypes.EpochInfo, entries []types.UsageEntry) (reportCharge, error) {
	out := reportCharge{charged: math.ZeroInt(), share: math.ZeroInt()}
	dur := epochDuration(e, p)
	cpus := make([]uint64, len(entries))
	egress := make([]uint64, len(entries))
	for i, en := range entries {
		cpus[i], egress[i] = en.CpuMillis, en.EgressBytes
	}
	cpuLimit := types.CapacityOver(sh.Capacity.MilliCpu, dur, time.Second)
	countedCPU, cpuCapped := types.ScaleClaims(cpus, cpuLimit)
	countedEgress, egressCapped := egress, false
	egressLimit := uint64(0)
	if sh.Capacity.EgressBytesPerHour > 0 {
		egressLimit = types.CapacityOver(sh.Capacity.EgressBytesPerHour, dur, time.Hour)
		countedEgress, egressCapped = types.ScaleClaims(egress, egressLimit)
	}
	height := sdk.UnwrapSDKContext(ctx).BlockHeight()
	for i, en := range entries {
		rec := types.UsageRecord{
			Sharer: sh.Address, Epoch: e.Number, LeaseId: en.LeaseId,
			Requests: en.Requests, CpuMillis: en.CpuMillis, EgressBytes: en.EgressBytes,
			CountedCpuMillis: countedCPU[i], CountedEgressBytes: countedEgress[i],
			Charged: math.ZeroInt(), ToSharer: math.ZeroInt(), ProtocolShare: math.ZeroInt(), Height: height,
		}
		if cpuCapped && countedCPU[i] != en.CpuMillis {
			rec.Caps = append(rec.Caps, types.Cap{Kind: types.CapPhysicalCPU, Component: types.ComponentCPU,
				Before: u(en.CpuMillis), After: u(countedCPU[i]),
				Detail: fmt.Sprintf("sharer %s offers %d millicores: at most %d CPU milliseconds over the epoch's %s, less than its leases claimed; every claim scaled down in proportion",
					sh.Address, sh.Capacity.MilliCpu, cpuLimit, dur)})
		}
		if egressCapped && countedEgress[i] != en.EgressBytes {
			rec.Caps = append(rec.Caps, types.Cap{Kind: types.CapPhysicalEgress, Component: types.ComponentEgress,
				Before: u(en.EgressBytes), After: u(countedEgress[i]),
				Detail: fmt.Sprintf("sharer %s offers %d egress bytes per hour: at most %d bytes over the epoch's %s, less than its leases claimed; every claim scaled down in proportion",
					sh.Address, sh.Capacity.EgressBytesPerHour, egressLimit, dur)})
		}
		if err := k.chargeEntry(ctx, p, dur, &rec); err != nil {
			return out, err
		}
		out.charged = out.charged.Add(rec.Charged)
		out.share = out.share.Add(rec.ProtocolShare)
		out.caps += uint32(len(rec.Caps))
		if err := k.Records.Set(ctx, collections.Join3(rec.Service, rec.Epoch, rec.LeaseId), rec); err != nil {
			return out, fmt.Errorf("write usage record of lease %d for epoch %d: %w", rec.LeaseId, rec.Epoch, err)
		}
	}
	return out, nil
}

// chargeEntry prices and charges one record whose counted usage is set.
func (k *Keeper) chargeEntry(ctx context.Context, p types.Params, dur time.Duration, rec *types.UsageRecord) error {
	l, err := k.sharers.GetLease(ctx, rec.LeaseId)
	if err != nil {
		return err
	}
	rec.Service = l.Service
	if !l.IsAcked() {
		rec.Caps = append(rec.Caps, types.Cap{Kind: types.CapUnacknowledged, Component: types.ComponentUsage, After: "0",
			Detail: fmt.Sprintf("lease %d was never acknowledged: nothing is charged for it", l.Id)})
		return nil
	}
	if !l.IsOpen() {
		rec.Caps = append(rec.Caps, types.Cap{Kind: types.CapLeaseClosed, Component: types.ComponentUsage, After: "0",
			Detail: fmt.Sprintf("lease %d closed at height %d (%s): nothing is charged for a closed lease; report each epoch before its leases close",
				l.Id, l.ClosedHeight, closeWhy(l))})
		return nil
	}
	m, err := k.services.CurrentSpec(ctx, l.Service)
	if err != nil {
		return err
	}
	caps := priceCaps(m)
	prices := types.CappedPrices(l.Prices, caps)
	for _, c := range []struct {
		comp          string
		locked, limit uint64
		unit          string
	}{
		{types.ComponentCPU, l.Prices.CpuPerCoreSecond, caps.CpuPerCoreSecond, "pricing.cpuPerCoreSecond"},
		{types.ComponentRequests, l.Prices.Per_1KRequests, caps.Per_1KRequests, "pricing.per1kRequests"},
		{types.ComponentEgress, l.Prices.EgressPerGib, caps.EgressPerGib, "pricing.egressPerGiB"},
	} {
		if c.locked > c.limit {
			rec.Caps = append(rec.Caps, types.Cap{Kind: types.CapPrice, Component: c.comp, Before: u(c.locked), After: u(c.limit),
				Detail: fmt.Sprintf("the lease's locked price %duqc is above the manifest's %s %duqc", c.locked, c.unit, c.limit)})
		}
	}
	total := types.UsageCharges(rec.CountedCpuMillis, rec.Requests, rec.CountedEgressBytes, prices).Total()
	// Rent is settled first, so the burn the allowance leaves room for and
	// the escrow the charge is capped by are as of now.
	a, err := k.GetAccount(ctx, l.Service)
	if err != nil {
		return err
	}
	if err := k.settle(ctx, &a); err != nil {
		return err
	}
	if mx := m.Policies.Budget.MaxPerHour; mx != nil {
		allowance, err := k.usageAllowance(ctx, l.Service, rec.Epoch, mx.Uqc, a.BurnPerHour, dur)
		if err != nil {
			return err
		}
		if total.GT(allowance) {
			rec.Caps = append(rec.Caps, types.Cap{Kind: types.CapMaxPerHour, Component: types.ComponentUsage,
				Before: total.String(), After: allowance.String(),
				Detail: fmt.Sprintf("policies.budget.maxPerHour %duqc less the rent burn of %suqc per hour, over the epoch's %s, less usage already charged for the epoch, leaves %suqc",
					mx.Uqc, a.BurnPerHour, dur, allowance)})
			total = allowance
		}
	}
	if whole := total.TruncateInt(); whole.IsPositive() {
		paid, share, err := k.pay(ctx, l.Service, l.Sharer, whole)
		if err != nil {
			return err
		}
		if paid.LT(whole) {
			rec.Caps = append(rec.Caps, types.Cap{Kind: types.CapEscrow, Component: types.ComponentUsage,
				Before: whole.String(), After: paid.String(),
				Detail: fmt.Sprintf("the escrow of service %s held %suqc", l.Service, paid)})
		}
		rec.Charged, rec.ProtocolShare, rec.ToSharer = paid, share, paid.Sub(share)
		if paid.IsPositive() {
			if err := k.addEarnings(ctx, l.Sharer, l.Service, rec.Epoch, paid, math.ZeroInt(), share); err != nil {
				return err
			}
			a.UsageCharged = a.UsageCharged.Add(paid)
			a.ProtocolShare = a.ProtocolShare.Add(share)
		}
	}
	if err := k.project(ctx, &a); err != nil {
		return err
	}
	return k.setAccount(ctx, a)
}

// usageAllowance is what service may still be charged for usage in epoch:
// (maxPerHour − rent burn per hour) × the epoch's duration, less what its
// records of that epoch were charged already; never below zero.
func (k *Keeper) usageAllowance(ctx context.Context, service string, epoch, maxPerHour uint64, burn math.LegacyDec, dur time.Duration) (math.LegacyDec, error) {
	perHour := math.LegacyNewDecFromInt(math.NewIntFromUint64(maxPerHour)).Sub(burn)
	allowance := types.OverDuration(perHour, dur)
	rng := collections.NewSuperPrefixedTripleRange[string, uint64, uint64](service, epoch)
	err := k.Records.Walk(ctx, rng, func(_ collections.Triple[string, uint64, uint64], r types.UsageRecord) (bool, error) {
		allowance = allowance.Sub(math.LegacyNewDecFromInt(r.Charged))
		return false, nil
	})
	if err != nil {
		return math.LegacyDec{}, fmt.Errorf("read usage records of service %s for epoch %d: %w", service, epoch, err)
	}
	if allowance.IsNegative() {
		return math.LegacyZeroDec(), nil
	}
	return allowance, nil
}

// closeWhy names why a lease closed, for messages.
func closeWhy(l sharerstypes.Lease) string {
	if l.CloseDetail != "" {
		return l.CloseReason.Label() + ": " + l.CloseDetail
	}
	return l.CloseReason.Label()
}

func u(n uint64) string { return strconv.FormatUint(n, 10) }
