package keeper

import (
	"cosmossdk.io/math"

	"github.com/quantum1net/q1/core/sched"
	servicestypes "github.com/quantum1net/q1/x/services/types"
	"github.com/quantum1net/q1/x/sharers/types"
)

// requestFor is the placement request of service name under spec s, before
// Current and Preferred are filled in. A sharer must hold the service's
// placement.minCollateral and at least minCollateral (params.min_collateral,
// which registration requires; a slash can take a sharer below it, and then
// it is not placed until it adds collateral).
func requestFor(name string, s *servicestypes.ServiceSpec, minCollateral math.Int) sched.Request {
	req := sched.Request{
		Service: name,
		Owners:  s.Permissions.Owners.Accounts,
		Resources: sched.Resources{
			MilliCPU:     s.Resources.MilliCpu,
			MemoryBytes:  s.Resources.MemoryBytes,
			StorageBytes: s.Resources.StorageBytes,
		},
		Replicas:      int(s.Placement.Replicas),
		Spread:        s.Placement.Spread,
		MinCollateral: math.MaxInt(math.NewIntFromUint64(s.Placement.MinCollateralUqc), minCollateral),
		MaxPrices: sched.Prices{
			CPUPerCoreSecond:  s.Pricing.CpuPerCoreSecondUqc,
			MemoryPerMiBHour:  s.Pricing.MemoryPerMibHourUqc,
			StoragePerGiBHour: s.Pricing.StoragePerGibHourUqc,
			Per1kRequests:     s.Pricing.Per_1KRequestsUqc,
			EgressPerGiB:      s.Pricing.EgressPerGibUqc,
		},
	}
	for _, a := range s.Placement.RequireAttributes {
		req.RequireAttributes = append(req.RequireAttributes, sched.Attribute{Key: a.Key, Value: a.Value})
	}
	return req
}

// reservation is what one replica of req reserves, as a lease records it.
func reservation(req *sched.Request) types.Resources {
	return types.Resources{
		MilliCpu:     req.Resources.MilliCPU,
		MemoryBytes:  req.Resources.MemoryBytes,
		StorageBytes: req.Resources.StorageBytes,
	}
}

// replicaOf describes the lease on sharer s for sched, with the prices the
// lease locked.
func replicaOf(l *types.Lease, s *types.Sharer) sched.Replica {
	return sched.Replica{Sharer: l.Sharer, Attributes: schedAttributes(s.Attributes), Prices: schedPrices(l.Prices)}
}

func schedAttributes(attrs []types.Attribute) []sched.Attribute {
	out := make([]sched.Attribute, len(attrs))
	for i, a := range attrs {
		out[i] = sched.Attribute{Key: a.Key, Value: a.Value}
	}
	return out
}
