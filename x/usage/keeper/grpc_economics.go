package keeper

import (
	"cmp"
	"context"
	"errors"
	"slices"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	servicestypes "github.com/quantum1net/q1/x/services/types"
	"github.com/quantum1net/q1/x/usage/types"
)

// Grouping keys of ServiceUsage and SharerEarnings (their "by" field).
const (
	BySharer  = "sharer"
	ByEpoch   = "epoch"
	ByService = "service"
)

func newSum() types.UsageSum {
	return types.UsageSum{Charged: math.ZeroInt(), ToSharer: math.ZeroInt(), ProtocolShare: math.ZeroInt()}
}

// addRecord adds record r to sum s.
func addRecord(s *types.UsageSum, r types.UsageRecord) {
	s.Records++
	s.Requests = addSat(s.Requests, r.CountedRequests)
	s.CpuMillis = addSat(s.CpuMillis, r.CountedCpuMillis)
	s.EgressBytes = addSat(s.EgressBytes, r.CountedEgressBytes)
	s.Charged = s.Charged.Add(r.Charged)
	s.ToSharer = s.ToSharer.Add(r.ToSharer)
	s.ProtocolShare = s.ProtocolShare.Add(r.ProtocolShare)
	s.Caps += uint64(len(r.Caps))
}

// ServiceUsage implements types.QueryServer: a service's usage records, by
// epoch then lease, optionally only one sharer's or epoch's, or summed per
// sharer (in address order) or per epoch.
func (q queryServer) ServiceUsage(ctx context.Context, req *types.QueryServiceUsageRequest) (*types.QueryServiceUsageResponse, error) {
	if req == nil || req.Service == "" {
		return nil, status.Error(codes.InvalidArgument, "name the service")
	}
	if req.By != "" && req.By != BySharer && req.By != ByEpoch {
		return nil, status.Errorf(codes.InvalidArgument, "by: %q is not a grouping; use %q, %q or nothing", req.By, BySharer, ByEpoch)
	}
	if _, err := q.k.services.GetService(ctx, req.Service); err != nil {
		return nil, status.Error(codes.NotFound, err.Error())
	}
	sharer := ""
	if req.Sharer != "" {
		canon, _, err := q.k.account("sharer", req.Sharer)
		if err != nil {
			return nil, status.Error(codes.InvalidArgument, err.Error())
		}
		sharer = canon
	}
	rng := collections.NewPrefixedTripleRange[string, uint64, uint64](req.Service)
	if req.HasEpoch {
		rng = collections.NewSuperPrefixedTripleRange[string, uint64, uint64](req.Service, req.Epoch)
	}
	out := &types.QueryServiceUsageResponse{Service: req.Service, Total: newSum()}
	err := q.k.Records.Walk(ctx, rng, func(_ collections.Triple[string, uint64, uint64], r types.UsageRecord) (bool, error) {
		if sharer != "" && r.Sharer != sharer {
			return false, nil
		}
		addRecord(&out.Total, r)
		switch req.By {
		case "":
			out.Records = append(out.Records, r)
		case ByEpoch:
			i := slices.IndexFunc(out.Sums, func(s types.UsageSum) bool { return s.Epoch == r.Epoch })
			if i < 0 {
				s := newSum()
				s.Epoch = r.Epoch
				out.Sums, i = append(out.Sums, s), len(out.Sums)
			}
			addRecord(&out.Sums[i], r)
		case BySharer:
			i := slices.IndexFunc(out.Sums, func(s types.UsageSum) bool { return s.Sharer == r.Sharer })
			if i < 0 {
				s := newSum()
				s.Sharer = r.Sharer
				out.Sums, i = append(out.Sums, s), len(out.Sums)
			}
			addRecord(&out.Sums[i], r)
		}
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	if err := q.addPrunedUsage(ctx, req, sharer, out); err != nil {
		return nil, err
	}
	slices.SortFunc(out.Sums, func(a, b types.UsageSum) int {
		return cmp.Or(cmp.Compare(a.Epoch, b.Epoch), cmp.Compare(a.Sharer, b.Sharer))
	})
	return out, nil
}

// addSum adds sum o to sum s.
func addSum(s *types.UsageSum, o types.UsageSum) {
	s.Records += o.Records
	s.Requests = addSat(s.Requests, o.Requests)
	s.CpuMillis = addSat(s.CpuMillis, o.CpuMillis)
	s.EgressBytes = addSat(s.EgressBytes, o.EgressBytes)
	s.Charged = s.Charged.Add(o.Charged)
	s.ToSharer = s.ToSharer.Add(o.ToSharer)
	s.ProtocolShare = s.ProtocolShare.Add(o.ProtocolShare)
	s.Caps += o.Caps
}

// addPrunedUsage adds to out what the service's pruned records summed
// (only sharer's when set): to the total and, by sharer, to the sharer's
// sum. An epoch's records are listed or summed only while in state: with
// an epoch asked for, nothing is added, and pruned_below says whether that
// epoch was pruned.
func (q queryServer) addPrunedUsage(ctx context.Context, req *types.QueryServiceUsageRequest, sharer string, out *types.QueryServiceUsageResponse) error {
	below, err := q.k.prunedBelow(ctx)
	if err != nil {
		return err
	}
	out.PrunedBelow, out.Pruned = below, newSum()
	if req.HasEpoch {
		return nil
	}
	return q.k.PrunedUsage.Walk(ctx, collections.NewPrefixedPairRange[string, sdk.AccAddress](req.Service),
		func(_ collections.Pair[string, sdk.AccAddress], s types.UsageSum) (bool, error) {
			if sharer != "" && s.Sharer != sharer {
				return false, nil
			}
			addSum(&out.Pruned, s)
			addSum(&out.Total, s)
			if req.By == BySharer {
				i := slices.IndexFunc(out.Sums, func(x types.UsageSum) bool { return x.Sharer == s.Sharer })
				if i < 0 {
					n := newSum()
					n.Sharer = s.Sharer
					out.Sums, i = append(out.Sums, n), len(out.Sums)
				}
				addSum(&out.Sums[i], s)
			}
			return false, nil
		})
}

// addPrunedEarnings adds to out what the sharer's pruned earnings rows
// summed: to the total and, by service, to each service's sum.
func (q queryServer) addPrunedEarnings(ctx context.Context, req *types.QuerySharerEarningsRequest, bz sdk.AccAddress, out *types.QuerySharerEarningsResponse) error {
	below, err := q.k.prunedBelow(ctx)
	if err != nil {
		return err
	}
	out.PrunedBelow, out.Pruned = below, types.NewEarnings(out.Sharer, "", 0)
	return q.k.PrunedEarnings.Walk(ctx, collections.NewPrefixedPairRange[sdk.AccAddress, string](bz),
		func(_ collections.Pair[sdk.AccAddress, string], e types.Earnings) (bool, error) {
			out.Pruned.Add(e)
			out.Total.Add(e)
			if req.By == ByService {
				i := slices.IndexFunc(out.Sums, func(s types.Earnings) bool { return s.Service == e.Service && s.Epoch == 0 })
				if i < 0 {
					out.Sums, i = append(out.Sums, types.NewEarnings(out.Sharer, e.Service, 0)), len(out.Sums)
				}
				out.Sums[i].Add(e)
			}
			return false, nil
		})
}

// SharerEarnings implements types.QueryServer: a sharer's total, and sums
// per service (in name order) or per epoch.
func (q queryServer) SharerEarnings(ctx context.Context, req *types.QuerySharerEarningsRequest) (*types.QuerySharerEarningsResponse, error) {
	if req == nil || req.Sharer == "" {
		return nil, status.Error(codes.InvalidArgument, "name the sharer")
	}
	if req.By != "" && req.By != ByService && req.By != ByEpoch {
		return nil, status.Errorf(codes.InvalidArgument, "by: %q is not a grouping; use %q, %q or nothing", req.By, ByService, ByEpoch)
	}
	canon, bz, err := q.k.account("sharer", req.Sharer)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	out := &types.QuerySharerEarningsResponse{Sharer: canon, Total: types.NewEarnings(canon, "", 0)}
	err = q.k.Earnings.Walk(ctx, collections.NewPrefixedTripleRange[sdk.AccAddress, string, uint64](bz),
		func(_ collections.Triple[sdk.AccAddress, string, uint64], e types.Earnings) (bool, error) {
			out.Total.Add(e)
			if req.By == "" {
				return false, nil
			}
			key := types.NewEarnings(canon, e.Service, 0)
			if req.By == ByEpoch {
				key = types.NewEarnings(canon, "", e.Epoch)
			}
			i := slices.IndexFunc(out.Sums, func(s types.Earnings) bool { return s.Service == key.Service && s.Epoch == key.Epoch })
			if i < 0 {
				out.Sums, i = append(out.Sums, key), len(out.Sums)
			}
			out.Sums[i].Add(e)
			return false, nil
		})
	if err != nil {
		return nil, err
	}
	if err := q.addPrunedEarnings(ctx, req, bz, out); err != nil {
		return nil, err
	}
	slices.SortFunc(out.Sums, func(a, b types.Earnings) int {
		return cmp.Or(cmp.Compare(a.Epoch, b.Epoch), cmp.Compare(a.Service, b.Service))
	})
	out.Received = out.Total.Usage.Add(out.Total.Rent).Sub(out.Total.ProtocolShare)
	return out, nil
}

// ServiceEconomics implements types.QueryServer: the escrow of a service
// now, with rent accrued up to the block time (nothing is settled).
func (q queryServer) ServiceEconomics(ctx context.Context, req *types.QueryServiceEconomicsRequest) (*types.QueryServiceEconomicsResponse, error) {
	if req == nil || req.Service == "" {
		return nil, status.Error(codes.InvalidArgument, "name the service")
	}
	return q.k.Economics(ctx, req.Service)
}

// Economics returns service name's escrow as the chain sees it now.
func (k *Keeper) Economics(ctx context.Context, name string) (*types.QueryServiceEconomicsResponse, error) {
	svc, err := k.services.GetService(ctx, name)
	if err != nil {
		return nil, status.Error(codes.NotFound, err.Error())
	}
	p, err := k.GetParams(ctx)
	if err != nil {
		return nil, err
	}
	m, err := k.services.CurrentSpec(ctx, name)
	if err != nil {
		return nil, err
	}
	a, err := k.GetAccount(ctx, name)
	if err != nil {
		return nil, err
	}
	bal, err := k.services.EscrowBalance(ctx, name)
	if err != nil {
		if !errors.Is(err, collections.ErrNotFound) {
			return nil, err
		}
		bal = math.ZeroInt()
	}
	meters, err := k.ServiceMeters(ctx, name)
	if err != nil {
		return nil, err
	}
	owed, err := k.owed(ctx, name)
	if err != nil {
		return nil, err
	}
	pending, err := k.pendingUsage(ctx, a)
	if err != nil {
		return nil, err
	}
	available := math.LegacyNewDecFromInt(bal.Sub(pending)).Sub(owed)
	if available.IsNegative() {
		available = math.LegacyZeroDec()
	}
	out := &types.QueryServiceEconomicsResponse{
		Service: name, Status: statusWord(svc.Status),
		Balance: bal, Owed: owed, Available: available, BurnPerHour: a.BurnPerHour,
		HoursLeft: math.LegacyZeroDec(), Low: a.Low, LowBalanceBlocks: m.Policies.Budget.LowBalanceBlocks,
		DryTime: a.DryTime, Depleted: a.DepletedHeight != 0, DepletedHeight: a.DepletedHeight,
		GraceDeadline: a.GraceDeadline, DepositToResume: math.ZeroInt(), Account: a, Leases: meters,
	}
	if a.DryTime != nil {
		out.LowTime = a.LowTime // otherwise a time to project again, not a mark
	}
	if a.BurnPerHour.IsPositive() {
		out.HoursLeft = available.Quo(a.BurnPerHour)
		out.BlocksLeft = blocksLeft(available, a.BurnPerHour, p)
	}
	if a.DepletedHeight != 0 {
		needed, _, err := k.resumeNeeded(ctx, a)
		if err != nil {
			return nil, err
		}
		out.DepositToResume = math.MaxInt(needed.Sub(bal), math.ZeroInt())
	}
	return out, nil
}

// statusWord names a service status: active, paused or deleted.
func statusWord(s servicestypes.ServiceStatus) string {
	switch s {
	case servicestypes.StatusActive:
		return "active"
	case servicestypes.StatusPaused:
		return "paused"
	case servicestypes.StatusDeleted:
		return "deleted"
	default:
		return "unknown"
	}
}

// Invariants implements types.QueryServer: an audit of the whole state.
func (q queryServer) Invariants(ctx context.Context, _ *types.QueryInvariantsRequest) (*types.QueryInvariantsResponse, error) {
	return q.k.CheckInvariants(ctx)
}
