package types

import (
	"fmt"

	"cosmossdk.io/math"

	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
)

// Bounds on the parameters: values outside them can only be mistakes.
const (
	// MaxEntriesLimit bounds params.max_entries_per_report.
	MaxEntriesLimit = 100_000
	// MaxProjectionBlockTimeMs bounds params.projection_block_time_ms (one hour).
	MaxProjectionBlockTimeMs = 3_600_000
	// MaxDuePerBlockLimit bounds params.max_due_per_block.
	MaxDuePerBlockLimit = 100_000
)

// DefaultProtocolShare is the share of every charge paid to the fee
// collector on a new chain: 5%.
var DefaultProtocolShare = math.LegacyNewDecWithPrec(5, 2)

// DefaultParams returns the parameters of a public network (about 1 s
// blocks): a report for epoch E is accepted during epochs E+1 … E+3 with at
// most 1,000 lease entries; 5% of every charge goes to validators;
// projections assume blocks of at least 1 s; at most 1,000 escrow checks a
// block.
func DefaultParams() Params {
	return Params{
		ReportWindowEpochs:    3,
		MaxEntriesPerReport:   1000,
		ProtocolShare:         DefaultProtocolShare,
		ProjectionBlockTimeMs: 1000,
		MaxDuePerBlock:        1000,
	}
}

// DevnetParams returns the parameters of a local development network (100–200
// ms blocks): the defaults with projections assuming 200 ms blocks.
func DevnetParams() Params {
	p := DefaultParams()
	p.ProjectionBlockTimeMs = 200
	return p
}

// Validate reports the first parameter that is out of range. The window
// may not exceed the epochs x/sharers keeps (sharerstypes.EpochHistory):
// a report is checked against its epoch's heights.
func (p Params) Validate() error {
	if p.ReportWindowEpochs < 1 || p.ReportWindowEpochs > sharerstypes.EpochHistory {
		return fmt.Errorf("params.report_window_epochs: must be between 1 and %d, got %d", sharerstypes.EpochHistory, p.ReportWindowEpochs)
	}
	if p.MaxEntriesPerReport < 1 || p.MaxEntriesPerReport > MaxEntriesLimit {
		return fmt.Errorf("params.max_entries_per_report: must be between 1 and %d, got %d", MaxEntriesLimit, p.MaxEntriesPerReport)
	}
	if p.ProtocolShare.IsNil() || p.ProtocolShare.IsNegative() || p.ProtocolShare.GTE(math.LegacyOneDec()) {
		return fmt.Errorf("params.protocol_share: must be at least 0 and below 1 (e.g. 0.05 for 5%%), got %v", p.ProtocolShare)
	}
	if p.ProjectionBlockTimeMs < 1 || p.ProjectionBlockTimeMs > MaxProjectionBlockTimeMs {
		return fmt.Errorf("params.projection_block_time_ms: must be between 1 and %d, got %d", MaxProjectionBlockTimeMs, p.ProjectionBlockTimeMs)
	}
	if p.MaxDuePerBlock < 1 || p.MaxDuePerBlock > MaxDuePerBlockLimit {
		return fmt.Errorf("params.max_due_per_block: must be between 1 and %d, got %d", MaxDuePerBlockLimit, p.MaxDuePerBlock)
	}
	return nil
}
