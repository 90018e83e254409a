package types

import (
	"fmt"

	"github.com/quantum1net/q1/core/address"
	"github.com/quantum1net/q1/core/manifest"
)

// DefaultGenesis returns the state of a new chain: default parameters, no
// sharers, epoch 0 starting at the first block.
func DefaultGenesis() *GenesisState {
	return &GenesisState{Params: DefaultParams(), NextLeaseId: 1}
}

// Validate checks that gs is a consistent state the keeper can import:
// sharers listed once with valid offers, each sharer's used resources and
// lease count equal to what its open leases reserve and within its capacity;
// leases with ids below next_lease_id, open ones on registered sharers and
// each (service, replica) held once; placements and queued services listed
// once; epochs before the current one.
func (gs *GenesisState) Validate() error {
	if err := gs.Params.Validate(); err != nil {
		return err
	}
	if gs.NextLeaseId == 0 {
		return fmt.Errorf("next_lease_id: must be at least 1 (ids start at 1)")
	}
	sharers := make(map[string]*Sharer, len(gs.Sharers))
	for i := range gs.Sharers {
		s := &gs.Sharers[i]
		if err := s.validate(); err != nil {
			return fmt.Errorf("sharers[%d]: %w", i, err)
		}
		if sharers[s.Address] != nil {
			return fmt.Errorf("sharers[%d]: sharer %s is listed twice", i, s.Address)
		}
		sharers[s.Address] = s
	}
	if err := gs.validateLeases(sharers); err != nil {
		return err
	}
	seen := map[string]bool{}
	for i, p := range gs.Placements {
		if seen[p.Service] {
			return fmt.Errorf("placements[%d]: service %s is listed twice", i, p.Service)
		}
		seen[p.Service] = true
	}
	queued := map[string]bool{}
	for i, name := range gs.Queue {
		if queued[name] {
			return fmt.Errorf("queue[%d]: service %s is queued twice", i, name)
		}
		queued[name] = true
	}
	for i, e := range gs.Epochs {
		if e.Number >= gs.Epoch.Number || e.EndHeight < e.StartHeight {
			return fmt.Errorf("epochs[%d]: epoch %d (heights %d-%d) must have ended before current epoch %d",
				i, e.Number, e.StartHeight, e.EndHeight, gs.Epoch.Number)
		}
	}
	return nil
}

// validate checks one sharer record on its own.
func (s *Sharer) validate() error {
	if err := address.ValidateAccount(s.Address); err != nil {
		return fmt.Errorf("address: %w", err)
	}
	if s.Status == SharerStatusUnspecified || s.Status > SharerDeregistered {
		return fmt.Errorf("sharer %s: unknown status %v", s.Address, s.Status)
	}
	if s.Collateral.IsNil() || s.Collateral.IsNegative() {
		return fmt.Errorf("sharer %s: collateral is negative or missing", s.Address)
	}
	if s.Status == SharerDeregistered {
		if s.Leases != 0 {
			return fmt.Errorf("sharer %s: deregistered but counts %d leases", s.Address, s.Leases)
		}
		return nil
	}
	// Endpoints were checked against the parameters in force when they were
	// registered; only their form is checked here.
	norm, err := s.Offer().Normalized(true)
	if err != nil {
		return fmt.Errorf("sharer %s: %w", s.Address, err)
	}
	if len(norm.Attributes) != len(s.Attributes) {
		return fmt.Errorf("sharer %s: attributes are not normalized", s.Address)
	}
	for i := range norm.Attributes {
		if norm.Attributes[i] != s.Attributes[i] {
			return fmt.Errorf("sharer %s: attributes must be sorted by key", s.Address)
		}
	}
	if err := address.ValidateAccount(s.HotKey); err != nil {
		return fmt.Errorf("sharer %s: hot_key: %w", s.Address, err)
	}
	if !s.Used.Within(s.Capacity) {
		return fmt.Errorf("sharer %s: used %v exceeds capacity %v", s.Address, s.Used, s.Capacity)
	}
	return nil
}

// validateLeases checks the leases against each other and the sharers.
func (gs *GenesisState) validateLeases(sharers map[string]*Sharer) error {
	ids := make(map[uint64]bool, len(gs.Leases))
	replicas := map[string]bool{}
	used := map[string]Resources{}
	counts := map[string]uint32{}
	for i := range gs.Leases {
		l := &gs.Leases[i]
		if l.Id == 0 || l.Id >= gs.NextLeaseId {
			return fmt.Errorf("leases[%d]: id %d must be between 1 and next_lease_id-1 (%d)", i, l.Id, gs.NextLeaseId-1)
		}
		if ids[l.Id] {
			return fmt.Errorf("leases[%d]: lease %d is listed twice", i, l.Id)
		}
		ids[l.Id] = true
		if err := manifest.ValidateName(l.Service); err != nil {
			return fmt.Errorf("leases[%d]: service: %w", i, err)
		}
		if l.MinCollateral.IsNil() || l.MinCollateral.IsNegative() {
			return fmt.Errorf("leases[%d]: min_collateral is negative or missing", i)
		}
		if !l.IsOpen() {
			continue
		}
		s := sharers[l.Sharer]
		if s == nil || !s.Registered() {
			return fmt.Errorf("leases[%d]: open lease %d is on %s, which is not a registered sharer", i, l.Id, l.Sharer)
		}
		key := fmt.Sprintf("%s/%d", l.Service, l.Replica)
		if replicas[key] {
			return fmt.Errorf("leases[%d]: replica %d of service %s has two open leases", i, l.Replica, l.Service)
		}
		replicas[key] = true
		used[l.Sharer] = used[l.Sharer].Add(l.Resources)
		counts[l.Sharer]++
	}
	for i := range gs.Sharers {
		s := &gs.Sharers[i]
		if used[s.Address] != s.Used || counts[s.Address] != s.Leases {
			return fmt.Errorf("sharer %s: records used %v in %d leases, but its open leases reserve %v in %d",
				s.Address, s.Used, s.Leases, used[s.Address], counts[s.Address])
		}
	}
	return nil
}
