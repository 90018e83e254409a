package keeper

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/quantum1net/q1/core/limits"
	servicestypes "github.com/quantum1net/q1/x/services/types"
	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
	"github.com/quantum1net/q1/x/usage/types"
)

// reportCharge sums what a report charged.
type reportCharge struct {
	charged, share math.Int
	caps           uint32
	refused        []types.RefusedEntry
}

// timed reports whether epoch e's block times say how long it lasted:
// both set, the end after the start. x/sharers sets both on every epoch it
// starts and ends (block times only increase); only state imported from a
// chain that did not record them lacks them.
func timed(e sharerstypes.EpochInfo) bool {
	return !e.StartTime.IsZero() && e.EndTime.After(e.StartTime)
}

// epochDuration is the block time epoch e lasted; an epoch that is not
// timed counts its blocks at params.block_time_ms.
func epochDuration(e sharerstypes.EpochInfo, p types.Params) time.Duration {
	if timed(e) {
		return e.EndTime.Sub(e.StartTime)
	}
	return time.Duration(e.EndHeight-e.StartHeight+1) * time.Duration(p.BlockTimeMs) * time.Millisecond
}

// entry is one report entry on its way to a record.
type entry struct {
	lease  sharerstypes.Lease
	rec    types.UsageRecord
	served time.Duration // how long the lease was acknowledged and open during the epoch
}

// chargeReport charges the services whose leases the report names, entry
// by entry, and stores a UsageRecord for each. An entry for a lease that
// does not exist or that another sharer holds is refused (charged nothing,
// recorded nowhere, listed in the result); the rest of the report goes on.
//
// What each entry counts is capped, in order: to nothing for a lease not
// open or not acknowledged during the epoch; by what the lease could
// physically have done in the time it served (its reserved CPU for that
// time and the requests and egress that CPU could serve, core/limits); by
// the sharer's offered capacity over the epoch, all its entries scaled down
// in proportion. Each entry is then priced at the lease's locked prices,
// each at most the manifest's cap, and the charge capped by the lease's
// fair share of the service's hourly allowance, by what the allowance has
// left for the epoch, and by the escrow. A lease closed since the epoch
// (its service paused, scaled, moved, updated or deleted) is charged for
// the time it was open. Every cap applied is recorded.
func (k *Keeper) chargeReport(ctx context.Context, p types.Params, sh sharerstypes.Sharer, e sharerstypes.EpochInfo, entries []types.UsageEntry) (reportCharge, error) {
	out := reportCharge{charged: math.ZeroInt(), share: math.ZeroInt()}
	dur := epochDuration(e, p)
	height := sdk.UnwrapSDKContext(ctx).BlockHeight()
	var es []entry
	for i, en := range entries {
		l, err := k.sharers.GetLease(ctx, en.LeaseId)
		switch {
		case errors.Is(err, sharerstypes.ErrLeaseNotFound):
			out.refused = append(out.refused, types.RefusedEntry{Index: uint32(i), LeaseId: en.LeaseId,
				Reason: fmt.Sprintf("entries[%d]: lease %d does not exist (or closed long enough ago to be pruned): nothing is charged for it", i, en.LeaseId)})
			continue
		case err != nil:
			return out, err
		case l.Sharer != sh.Address:
			out.refused = append(out.refused, types.RefusedEntry{Index: uint32(i), LeaseId: en.LeaseId,
				Reason: fmt.Sprintf("entries[%d]: lease %d is held by %s, not %s: nothing is charged for it", i, l.Id, l.Sharer, sh.Address)})
			continue
		}
		x := entry{lease: l, rec: types.UsageRecord{
			Service: l.Service, Sharer: sh.Address, Epoch: e.Number, LeaseId: en.LeaseId,
			Requests: en.Requests, CpuMillis: p.CPUMillis(en.Fuel), EgressBytes: en.EgressBytes,
			Fuel: en.Fuel, ReceiptsRoot: en.ReceiptsRoot, Receipts: en.Receipts,
			Charged: math.ZeroInt(), ToSharer: math.ZeroInt(), ProtocolShare: math.ZeroInt(), Refunded: math.ZeroInt(), Height: height,
		}}
		var zero *types.Cap
		x.served, zero = servedDuring(l, e, dur)
		if zero != nil {
			x.rec.Caps = append(x.rec.Caps, *zero)
		} else {
			capToLease(&x, sh, e)
		}
		es = append(es, x)
	}
	capToSharer(es, sh, dur)
	var charged []string // services charged, in the order of their first entry
	for i := range es {
		x := &es[i]
		if x.served > 0 {
			if err := k.chargeEntry(ctx, dur, x); err != nil {
				return out, err
			}
			if !slices.Contains(charged, x.lease.Service) {
				charged = append(charged, x.lease.Service)
			}
		}
		rec := &x.rec
		// A charge is held until the entry's audit draw (and its audit, if
		// drawn) says it is paid; an entry charged nothing has nothing to
		// hold or to audit.
		rec.AuditState = types.AuditUnsampled
		if rec.Charged.IsPositive() {
			rec.AuditState = types.AuditPending
			key := collections.Join3(height+int64(p.SampleDelayBlocks), rec.LeaseId, rec.Epoch)
			if err := k.DrawQueue.Set(ctx, key, rec.Service); err != nil {
				return out, fmt.Errorf("queue the audit draw of lease %d for epoch %d: %w", rec.LeaseId, rec.Epoch, err)
			}
		} else if err := k.countUnsampled(ctx, rec.Sharer); err != nil {
			return out, err
		}
		out.charged = out.charged.Add(rec.Charged)
		out.share = out.share.Add(rec.ProtocolShare)
		out.caps += uint32(len(rec.Caps))
		if err := k.setNewRecord(ctx, *rec); err != nil {
			return out, err
		}
	}
	// Each service charged is projected again once its records are
	// written: what they charged has left the escrow and is no longer
	// pending (PendingUsage reads the records).
	for _, name := range charged {
		a, err := k.GetAccount(ctx, name)
		if err != nil {
			return out, err
		}
		if err := k.project(ctx, &a); err != nil {
			return out, err
		}
		if err := k.setAccount(ctx, a); err != nil {
			return out, err
		}
	}
	return out, nil
}

// servedDuring is how long lease l was acknowledged and open during epoch
// e (which lasted dur), or, when it never was, the cap that says why it is
// charged nothing.
func servedDuring(l sharerstypes.Lease, e sharerstypes.EpochInfo, dur time.Duration) (time.Duration, *types.Cap) {
	if l.PlacedHeight > e.EndHeight || (!l.IsOpen() && l.ClosedHeight < e.StartHeight) {
		return 0, &types.Cap{Kind: types.CapNotOpen, Component: types.ComponentUsage, After: "0",
			Detail: fmt.Sprintf("lease %d was not open during epoch %d (heights %d-%d): placed at height %d, closed at height %d (0: open); nothing is charged for it",
				l.Id, e.Number, e.StartHeight, e.EndHeight, l.PlacedHeight, l.ClosedHeight)}
	}
	if !l.IsAcked() {
		return 0, &types.Cap{Kind: types.CapUnacknowledged, Component: types.ComponentUsage, After: "0",
			Detail: fmt.Sprintf("lease %d was never acknowledged: nothing is charged for it", l.Id)}
	}
	if l.AckedHeight > e.EndHeight {
		return 0, &types.Cap{Kind: types.CapUnacknowledged, Component: types.ComponentUsage, After: "0",
			Detail: fmt.Sprintf("lease %d was acknowledged at height %d, after epoch %d ended (height %d): nothing is charged for it", l.Id, l.AckedHeight, e.Number, e.EndHeight)}
	}
	if !timed(e) {
		return dur, nil // an epoch without usable times: the whole of it
	}
	start, end := e.StartTime, e.EndTime
	if l.AckedTime.After(start) {
		start = l.AckedTime
	}
	if !l.IsOpen() && l.ClosedTime.Before(end) {
		end = l.ClosedTime
	}
	if !end.After(start) {
		return 0, nil
	}
	return end.Sub(start), nil
}

// capToLease caps x's claims by what its lease could physically have done
// in the time it served: its reserved CPU, and the requests and egress
// that CPU could serve; its egress also by the lease's share of the
// sharer's egress offer (leaseEgressShare).
func capToLease(x *entry, sh sharerstypes.Sharer, e sharerstypes.EpochInfo) {
	most := limits.LeaseUsage(x.lease.Resources.MilliCpu, x.served)
	x.rec.CountedCpuMillis, x.rec.CountedRequests, x.rec.CountedEgressBytes =
		min(x.rec.CpuMillis, most.CPUMillis), min(x.rec.Requests, most.Requests), min(x.rec.EgressBytes, most.EgressBytes)
	why := fmt.Sprintf("lease %d reserves %dm CPU and served %s of epoch %d: at most %d CPU milliseconds, %d requests (%d per core-second) and %d egress bytes (%d per core-second)",
		x.lease.Id, x.lease.Resources.MilliCpu, x.served, e.Number, most.CPUMillis, most.Requests, limits.RequestsPerCoreSecond, most.EgressBytes, limits.EgressBytesPerCoreSecond)
	for _, c := range []struct {
		comp           string
		claimed, after uint64
	}{
		{types.ComponentCPU, x.rec.CpuMillis, x.rec.CountedCpuMillis},
		{types.ComponentRequests, x.rec.Requests, x.rec.CountedRequests},
		{types.ComponentEgress, x.rec.EgressBytes, x.rec.CountedEgressBytes},
	} {
		if c.after < c.claimed {
			x.rec.Caps = append(x.rec.Caps, types.Cap{Kind: types.CapLeaseReserved, Component: c.comp, Before: u(c.claimed), After: u(c.after), Detail: why})
		}
	}
	if share, ok := leaseEgressShare(x.lease, sh, x.served); ok && share < x.rec.CountedEgressBytes {
		x.rec.Caps = append(x.rec.Caps, types.Cap{Kind: types.CapLeaseEgressShare, Component: types.ComponentEgress,
			Before: u(x.rec.CountedEgressBytes), After: u(share),
			Detail: fmt.Sprintf("sharer %s offers %d egress bytes per hour for %dm CPU; lease %d reserves %dm of it and served %s of epoch %d: at most %d bytes",
				sh.Address, sh.Capacity.EgressBytesPerHour, sh.Capacity.MilliCpu, x.lease.Id, x.lease.Resources.MilliCpu, x.served, e.Number, share)})
		x.rec.CountedEgressBytes = share
	}
}

// leaseEgressShare is lease l's share of sharer sh's egress offer over d:
// the offer per hour × d, in the proportion of the sharer's offered CPU
// the lease reserves (at most all of it), floored. ok is false when the
// offer states no egress or no CPU: then only the CPU-derived bound holds.
func leaseEgressShare(l sharerstypes.Lease, sh sharerstypes.Sharer, d time.Duration) (bytes uint64, ok bool) {
	offered := sh.Capacity.MilliCpu
	if sh.Capacity.EgressBytesPerHour == 0 || offered == 0 {
		return 0, false
	}
	if d <= 0 {
		return 0, true
	}
	i := math.NewIntFromUint64
	n := i(sh.Capacity.EgressBytesPerHour).Mul(i(min(l.Resources.MilliCpu, offered))).Mul(math.NewInt(int64(d)))
	q := n.Quo(i(offered).Mul(math.NewInt(nsPerHour)))
	if !q.IsUint64() {
		return ^uint64(0), true
	}
	return q.Uint64(), true
}

// capToSharer scales the counted CPU and egress of all entries down in
// proportion when together they pass what the sharer's offer could give
// over the epoch.
func capToSharer(es []entry, sh sharerstypes.Sharer, dur time.Duration) {
	cpus := make([]uint64, len(es))
	egress := make([]uint64, len(es))
	for i, x := range es {
		cpus[i], egress[i] = x.rec.CountedCpuMillis, x.rec.CountedEgressBytes
	}
	cpuLimit := types.CapacityOver(sh.Capacity.MilliCpu, dur, time.Second)
	if scaled, capped := types.ScaleClaims(cpus, cpuLimit); capped {
		for i := range es {
			if scaled[i] != cpus[i] {
				es[i].rec.CountedCpuMillis = scaled[i]
				es[i].rec.Caps = append(es[i].rec.Caps, types.Cap{Kind: types.CapPhysicalCPU, Component: types.ComponentCPU,
					Before: u(cpus[i]), After: u(scaled[i]),
					Detail: fmt.Sprintf("sharer %s offers %d millicores: at most %d CPU milliseconds over the epoch's %s, less than its leases claimed; every claim scaled down in proportion",
						sh.Address, sh.Capacity.MilliCpu, cpuLimit, dur)})
			}
		}
	}
	if sh.Capacity.EgressBytesPerHour == 0 {
		return
	}
	egressLimit := types.CapacityOver(sh.Capacity.EgressBytesPerHour, dur, time.Hour)
	if scaled, capped := types.ScaleClaims(egress, egressLimit); capped {
		for i := range es {
			if scaled[i] != egress[i] {
				es[i].rec.CountedEgressBytes = scaled[i]
				es[i].rec.Caps = append(es[i].rec.Caps, types.Cap{Kind: types.CapPhysicalEgress, Component: types.ComponentEgress,
					Before: u(egress[i]), After: u(scaled[i]),
					Detail: fmt.Sprintf("sharer %s offers %d egress bytes per hour: at most %d bytes over the epoch's %s, less than its leases claimed; every claim scaled down in proportion",
						sh.Address, sh.Capacity.EgressBytesPerHour, egressLimit, dur)})
			}
		}
	}
}

// chargeEntry prices and charges one entry whose counted usage is set: the
// charge leaves the escrow into the module account, held until the audit
// draw.
func (k *Keeper) chargeEntry(ctx context.Context, dur time.Duration, x *entry) error {
	l, rec := x.lease, &x.rec
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
	total := types.UsageCharges(rec.CountedCpuMillis, rec.CountedRequests, rec.CountedEgressBytes, prices).Total()
	// Rent is settled first, so the burn the allowance leaves room for and
	// the escrow the charge is capped by are as of now.
	a, err := k.GetAccount(ctx, l.Service)
	if err != nil {
		return err
	}
	if err := k.settle(ctx, &a); err != nil {
		return err
	}
	most, derived := m.MaxPerHour()
	perHour := usagePerHour(a, most)
	source := "policies.budget.maxPerHour " + most.String() + "uqc"
	if derived {
		source = "the service's spending ceiling " + most.String() + "uqc per hour (what its replicas could bill at full use; policies.budget.maxPerHour is not set)"
	}
	replicas := max(m.Placement.Replicas, 1)
	if fair := types.OverDuration(perHour, x.served).QuoInt64(int64(replicas)); total.GT(fair) {
		rec.Caps = append(rec.Caps, types.Cap{Kind: types.CapFairShare, Component: types.ComponentUsage,
			Before: total.String(), After: fair.String(),
			Detail: fmt.Sprintf("%s less the rent burn of %suqc per hour, over the %s lease %d served in the epoch, shared by the service's %d replicas, leaves %suqc",
				source, a.BurnPerHour, x.served, l.Id, replicas, fair)})
		total = fair
	}
	allowance, err := k.usageAllowance(ctx, l.Service, rec.Epoch, perHour, dur)
	if err != nil {
		return err
	}
	if total.GT(allowance) {
		rec.Caps = append(rec.Caps, types.Cap{Kind: types.CapMaxPerHour, Component: types.ComponentUsage,
			Before: total.String(), After: allowance.String(),
			Detail: fmt.Sprintf("%s less the rent burn of %suqc per hour, over the epoch's %s, less usage already charged for the epoch, leaves %suqc",
				source, a.BurnPerHour, dur, allowance)})
		total = allowance
	}
	if whole := total.TruncateInt(); whole.IsPositive() {
		paid, share, err := k.hold(ctx, l.Service, whole)
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
	return k.setAccount(ctx, a)
}

// usageAllowance is what service may still be charged for usage in epoch:
// perHour (maxPerHour less the rent burn) × the epoch's duration, less what
// its records of that epoch were charged already; never below zero.
func (k *Keeper) usageAllowance(ctx context.Context, service string, epoch uint64, perHour math.LegacyDec, dur time.Duration) (math.LegacyDec, error) {
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

// maxPerHourDec is the spec's hourly ceiling (MaxPerHour) as a decimal.
func maxPerHourDec(m *servicestypes.ServiceSpec) math.LegacyDec {
	most, _ := m.MaxPerHour()
	return math.LegacyNewDecFromInt(most)
}

func u(n uint64) string { return strconv.FormatUint(n, 10) }
