package types

import (
	"fmt"

	"github.com/quantum1net/q1/internal/manifest"
)

// DefaultGenesis returns the state of a new chain: default parameters and
// no reports.
func DefaultGenesis() *GenesisState {
	return &GenesisState{Params: DefaultParams()}
}

// Validate checks that gs is a state the keeper can import: valid params,
// at most one report per (sharer, epoch), each from a valid address with
// its entries in ascending lease id order.
func (gs *GenesisState) Validate() error {
	if err := gs.Params.Validate(); err != nil {
		return err
	}
	seen := map[string]bool{}
	for i, r := range gs.Reports {
		if err := manifest.ValidateAccount(r.Sharer); err != nil {
			return fmt.Errorf("reports[%d]: sharer: %w", i, err)
		}
		key := fmt.Sprintf("%s/%d", r.Sharer, r.Epoch)
		if seen[key] {
			return fmt.Errorf("reports[%d]: sharer %s reports epoch %d twice", i, r.Sharer, r.Epoch)
		}
		seen[key] = true
		for j := 1; j < len(r.Entries); j++ {
			if r.Entries[j].LeaseId <= r.Entries[j-1].LeaseId {
				return fmt.Errorf("reports[%d]: entries must be in ascending lease id order, each lease once", i)
			}
		}
	}
	return nil
}
