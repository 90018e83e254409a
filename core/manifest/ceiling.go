package manifest

import (
	sdkmath "cosmossdk.io/math"

	"github.com/quantum1net/q1/core/limits"
)

// SpendingCeiling is what the service's replicas could bill in an hour at
// full use, in uqc: limits.HourlyCeiling of its resources at its pricing
// caps, for the most replicas it may run (placement.replicasMax). It is
// policies.budget.maxPerHour when the manifest leaves that out.
func (m *Manifest) SpendingCeiling() sdkmath.Int {
	replicas := max(m.Placement.Replicas, m.Placement.ReplicasMax)
	pr := m.Pricing
	return limits.HourlyCeiling(
		limits.Replica{MilliCPU: uint64(m.Resources.CPU), MemoryBytes: uint64(m.Resources.Memory), StorageBytes: uint64(m.Resources.Storage)},
		replicas,
		limits.Prices{
			CPUPerCoreSecond: uint64(pr.CPUPerCoreSecond), MemoryPerMiBHour: uint64(pr.MemoryPerMiBHour),
			StoragePerGiBHour: uint64(pr.StoragePerGiBHour), Per1kRequests: uint64(pr.Per1kRequests), EgressPerGiB: uint64(pr.EgressPerGiB),
		})
}

// MaxPerHour is the most the service may be charged per hour, in uqc:
// policies.budget.maxPerHour when set and below the spending ceiling, the
// ceiling otherwise; derived tells which.
func (m *Manifest) MaxPerHour() (uqc sdkmath.Int, derived bool) {
	ceiling := m.SpendingCeiling()
	if a := m.Policies.Budget.MaxPerHour; a != nil {
		if set := sdkmath.NewIntFromUint64(uint64(*a)); set.LT(ceiling) {
			return set, false
		}
	}
	return ceiling, true
}
