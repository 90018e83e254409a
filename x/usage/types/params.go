package types

import (
	"fmt"

	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
)

// MaxEntriesLimit bounds params.max_entries_per_report.
const MaxEntriesLimit = 100_000

// DefaultParams returns the parameters a new chain starts with (devnets
// too): a report for epoch E is accepted during epochs E+1 … E+3, with at
// most 1,000 lease entries.
func DefaultParams() Params {
	return Params{ReportWindowEpochs: 3, MaxEntriesPerReport: 1000}
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
	return nil
}
