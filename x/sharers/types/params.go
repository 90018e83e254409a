package types

import (
	"fmt"

	"cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"
)

// DefaultDenom is the denomination collateral is held in: QCoin's base unit.
const DefaultDenom = "uqc"

// Bounds on the parameters: values outside them can only be mistakes.
const (
	MaxEpochBlocks        = 1_000_000
	MaxOfflineAfterEpochs = EpochHistory
	MaxAckTimeoutBlocks   = 1_000_000
	MaxPlacementsPerBlock = 10_000
	MaxBandPermille       = 10_000 // 10× the cheapest
)

// DefaultMeterVersion is the fuel metering version new leases require:
// node/fuel.Version of this release (node/replicas' tests check they
// agree). The chain cannot import the node's floor, so it is written twice.
const DefaultMeterVersion = 4

// DefaultParams returns the parameters of a public network (about 1 s
// blocks): 1000 QC of collateral, 10-minute epochs, offline after 3 missed
// epochs, 5 minutes to acknowledge a lease, only public endpoints, leases
// metered at DefaultMeterVersion.
func DefaultParams() Params {
	return Params{
		Denom:                      DefaultDenom,
		MinCollateral:              math.NewInt(1_000_000_000),
		AllowPrivateEndpoints:      false,
		EpochBlocks:                600,
		OfflineAfterEpochs:         3,
		AckTimeoutBlocks:           300,
		MaxPlacementsPerBlock:      100,
		MaxRetriesPerBlock:         20,
		BandPermille:               200,
		ClosedLeaseRetentionBlocks: 100_000,
		MaxCandidateReadsPerBlock:  100_000,
		MeterVersion:               DefaultMeterVersion,
	}
}

// DevnetParams returns the parameters of a local development network
// (100–200 ms blocks): 1 QC of collateral, 20-block epochs, loopback and
// private endpoints allowed, 300 blocks (30–60 s) to acknowledge a lease:
// a sharer's first cold compile of a 5 MB Go guest takes 2 s on an idle
// machine and several times that on a loaded one (at 50 blocks, leases
// were closed unacknowledged while their module compiled).
func DevnetParams() Params {
	p := DefaultParams()
	p.MinCollateral = math.NewInt(1_000_000)
	p.AllowPrivateEndpoints = true
	p.EpochBlocks = 20
	p.AckTimeoutBlocks = 300
	p.ClosedLeaseRetentionBlocks = 10_000
	return p
}

// Validate reports the first parameter that is out of range.
func (p Params) Validate() error {
	if err := sdk.ValidateDenom(p.Denom); err != nil {
		return fmt.Errorf("params.denom: %w", err)
	}
	if p.MinCollateral.IsNil() || p.MinCollateral.IsNegative() {
		return fmt.Errorf("params.min_collateral: must be zero or more, got %v", p.MinCollateral)
	}
	checks := []struct {
		name      string
		v, lo, hi uint64
	}{
		{"epoch_blocks", p.EpochBlocks, 1, MaxEpochBlocks},
		{"offline_after_epochs", p.OfflineAfterEpochs, 1, MaxOfflineAfterEpochs},
		{"ack_timeout_blocks", p.AckTimeoutBlocks, 1, MaxAckTimeoutBlocks},
		{"max_placements_per_block", uint64(p.MaxPlacementsPerBlock), 1, MaxPlacementsPerBlock},
		{"max_retries_per_block", uint64(p.MaxRetriesPerBlock), 1, MaxPlacementsPerBlock},
		{"band_permille", uint64(p.BandPermille), 0, MaxBandPermille},
		{"closed_lease_retention_blocks", p.ClosedLeaseRetentionBlocks, 1, 1 << 40},
		{"max_candidate_reads_per_block", p.MaxCandidateReadsPerBlock, 1, 1 << 40},
		{"meter_version", uint64(p.MeterVersion), 1, 1<<32 - 1},
	}
	for _, c := range checks {
		if c.v < c.lo || c.v > c.hi {
			return fmt.Errorf("params.%s: must be between %d and %d, got %d", c.name, c.lo, c.hi, c.v)
		}
	}
	return nil
}
