package keeper

import (
	"cosmossdk.io/math"

	"github.com/quantum1net/q1/core/manifest"
	"github.com/quantum1net/q1/core/sched"
	"github.com/quantum1net/q1/x/sharers/types"
)

// requestFor is the placement request of service name under manifest m,
// before Current and Preferred are filled in.
func requestFor(name string, m *manifest.Manifest) sched.Request {
	req := sched.Request{
		Service: name,
		Owners:  m.Permissions.Owners.Accounts,
		Resources: sched.Resources{
			MilliCPU:     uint64(m.Resources.CPU),
			MemoryBytes:  uint64(m.Resources.Memory),
			StorageBytes: uint64(m.Resources.Storage),
		},
		Replicas:      int(m.Placement.Replicas),
		Spread:        m.Placement.Spread,
		MinCollateral: math.NewIntFromUint64(uint64(m.Placement.MinCollateral)),
		MaxPrices: sched.Prices{
			CPUPerCoreSecond:  uint64(m.Pricing.CPUPerCoreSecond),
			MemoryPerMiBHour:  uint64(m.Pricing.MemoryPerMiBHour),
			StoragePerGiBHour: uint64(m.Pricing.StoragePerGiBHour),
			Per1kRequests:     uint64(m.Pricing.Per1kRequests),
			EgressPerGiB:      uint64(m.Pricing.EgressPerGiB),
		},
	}
	for _, a := range m.Placement.RequireAttributes {
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
