package types

import (
	"cosmossdk.io/math"

	"github.com/quantum1net/q1/core/limits"
)

// SpendingCeiling is what the service's replicas could bill in an hour at
// full use, in uqc (limits.HourlyCeiling for placement.replicasMax
// replicas); the same figure as manifest.(*Manifest).SpendingCeiling, read
// from the stored spec.
func (s *ServiceSpec) SpendingCeiling() math.Int {
	pr := s.Pricing
	return limits.HourlyCeiling(
		limits.Replica{MilliCPU: s.Resources.MilliCpu, MemoryBytes: s.Resources.MemoryBytes, StorageBytes: s.Resources.StorageBytes},
		max(s.Placement.Replicas, s.Placement.ReplicasMax),
		limits.Prices{
			CPUPerCoreSecond: pr.CpuPerCoreSecondUqc, MemoryPerMiBHour: pr.MemoryPerMibHourUqc,
			StoragePerGiBHour: pr.StoragePerGibHourUqc, Per1kRequests: pr.Per_1KRequestsUqc, EgressPerGiB: pr.EgressPerGibUqc,
		})
}

// MaxPerHour is the most the service may be charged per hour, rent and
// usage together, in uqc: policies.budget.maxPerHour when set and below
// the spending ceiling, the ceiling otherwise (derived is true).
func (s *ServiceSpec) MaxPerHour() (uqc math.Int, derived bool) {
	ceiling := s.SpendingCeiling()
	if a := s.Policies.Budget.MaxPerHour; a != nil {
		if set := math.NewIntFromUint64(a.Uqc); set.LT(ceiling) {
			return set, false
		}
	}
	return ceiling, true
}
