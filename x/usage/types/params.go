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
	// MaxBlockTimeMs bounds params.block_time_ms (one hour).
	MaxBlockTimeMs = 3_600_000
)

// DefaultProtocolShare is the share of every charge paid to the fee
// collector on a new chain: 5%.
var DefaultProtocolShare = math.LegacyNewDecWithPrec(5, 2)

// DefaultParams returns the parameters a new chain starts with (devnets
// too): a report for epoch E is accepted during epochs E+1 … E+3 with at
// most 1,000 lease entries; 5% of every charge goes to validators; the
// nominal block time (lowBalanceBlocks in time, blocks-left estimates) is
// 1 s. When an escrow runs dry is decided by block header time, not by it.
func DefaultParams() Params {
	return Params{
		ReportWindowEpochs:  3,
		MaxEntriesPerReport: 1000,
		ProtocolShare:       DefaultProtocolShare,
		BlockTimeMs:         1000,
	}
}

// DevnetParams returns the parameters of a local development network (100–200
// ms blocks): the defaults with a nominal block time of 200 ms. A network
// with other block times sets block_time_ms to its own (`q1 init
// --single-node` does).
func DevnetParams() Params {
	p := DefaultParams()
	p.BlockTimeMs = 200
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
	if p.BlockTimeMs < 1 || p.BlockTimeMs > MaxBlockTimeMs {
		return fmt.Errorf("params.block_time_ms: must be between 1 and %d, got %d", MaxBlockTimeMs, p.BlockTimeMs)
	}
	return nil
}
