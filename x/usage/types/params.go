package types

import (
	"fmt"
	"math/bits"

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

// Bounds on the retention parameters (issue #16).
const (
	// MaxRetentionEpochs bounds params.retention_epochs.
	MaxRetentionEpochs = 1_000_000
	// MaxPrunePerBlock bounds params.prune_per_block.
	MaxPrunePerBlock = 100_000
)

// MaxAuditWindowBlocks bounds the audit's delay and windows.
const MaxAuditWindowBlocks = 1_000_000

// MaxSamples bounds params.samples_weighted + params.samples_uniform, and
// MaxAuditors params.auditors_per_audit.
const (
	MaxSamples  = 256
	MaxAuditors = 64
)

// ProbabilityDen is the denominator of the audit draw: audit_probability
// counts to 6 decimal places.
const ProbabilityDen = 1_000_000

// DefaultProtocolShare is the share of every charge paid to the fee
// collector on a new chain: 5%.
var DefaultProtocolShare = math.LegacyNewDecWithPrec(5, 2)

// DefaultFuelPerCoreSecond is what one core of the reference machine runs
// in a second: 590–670 million across the example guests and a CPU loop
// (node/runtime BenchmarkFuel, docs/benchmarks.md "Fuel"), taken as 600
// million, the node's own runtime.FuelPerCoreSecond. A sharer on a faster
// machine serves more fuel per second but is paid per fuel, not per second.
const DefaultFuelPerCoreSecond = 600_000_000

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

		FuelPerCoreSecond:   DefaultFuelPerCoreSecond,
		AuditProbability:    math.LegacyNewDecWithPrec(5, 1),
		SamplesWeighted:     8,
		SamplesUniform:      2,
		AuditorsPerAudit:    3,
		SampleDelayBlocks:   2,
		PublishWindowBlocks: 20,
		CommitWindowBlocks:  20,
		RevealWindowBlocks:  20,
		SlashMultiplier:     math.LegacyNewDec(3),
		MinSlash:            math.NewInt(1_000_000),
		AuditorFee:          math.LegacyNewDecWithPrec(1, 1),
		AuditorMissLimit:    3,
		AuditorMissSlash:    math.LegacyNewDecWithPrec(1, 2),

		// A day of 10-minute epochs (the minimum is 5 at these params and
		// x/sharers' 600-block epochs); 256 rows a block prune what 10,000
		// leases write in a 600-block epoch (~20,000 rows) in 80 blocks.
		RetentionEpochs: 144,
		PrunePerBlock:   256,
	}
}

// DevnetParams returns the parameters of a local development network (100–200
// ms blocks): the defaults with a nominal block time of 200 ms. A network
// with other block times sets block_time_ms to its own (`q1 init
// --single-node` does).
func DevnetParams() Params {
	p := DefaultParams()
	p.BlockTimeMs = 200
	// Every entry is audited, so every devnet run exercises the protocol;
	// the windows are 10 s to publish and 20 s each to re-execute and
	// commit, and to reveal, at 200 ms blocks.
	p.AuditProbability = math.LegacyOneDec()
	p.SampleDelayBlocks = 2
	p.PublishWindowBlocks = 50
	p.CommitWindowBlocks = 100
	p.RevealWindowBlocks = 100
	p.MinSlash = math.NewInt(1_000)
	return p
}

// AuditOdds is params.audit_probability as num/ProbabilityDen (digits
// beyond the sixth dropped).
func (p Params) AuditOdds() (num, den uint64) {
	scaled := p.AuditProbability.MulInt64(ProbabilityDen).TruncateInt()
	if !scaled.IsUint64() {
		return ProbabilityDen, ProbabilityDen
	}
	return min(scaled.Uint64(), ProbabilityDen), ProbabilityDen
}

// CPUMillis converts fuel into the CPU milliseconds it bills:
// fuel × 1000 / fuel_per_core_second, floored, without overflow.
func (p Params) CPUMillis(fuel uint64) uint64 {
	if p.FuelPerCoreSecond == 0 {
		return 0
	}
	hi, lo := bits.Mul64(fuel, 1000)
	if hi >= p.FuelPerCoreSecond {
		return ^uint64(0)
	}
	q, _ := bits.Div64(hi, lo, p.FuelPerCoreSecond)
	return q
}

// AuditSpanBlocks is the most blocks from a report's acceptance to the
// resolution of its entries' audits: the draw's delay and the publish,
// commit and reveal windows.
func (p Params) AuditSpanBlocks() uint64 {
	return p.SampleDelayBlocks + p.PublishWindowBlocks + p.CommitWindowBlocks + p.RevealWindowBlocks
}

// MinRetentionEpochs is the fewest epochs the rows of an epoch E must stay
// in state, at epochs of epochBlocks blocks (x/sharers' epoch_blocks; 0
// when it is not known, which counts the audit as one epoch):
//
//   - report_window_epochs: a report for E is accepted until epoch
//     E + report_window_epochs, and checks its (sharer, E) report for a
//     duplicate and E's records for the service's allowance; PendingUsage
//     (EscrowOwed, and the holdback at depletion) and the release of a
//     deleted service's escrow read the records of the same window;
//   - ⌈audit span ÷ epoch_blocks⌉: the last report the window accepts is
//     drawn sample_delay_blocks later and its audit resolves by the end of
//     the publish, commit and reveal windows, when the record (and, on a
//     refund, the earnings row) of E changes;
//   - one epoch of margin: a node reads the ended epoch from the state of
//     the block before the next began.
func (p Params) MinRetentionEpochs(epochBlocks uint64) uint64 {
	audit := uint64(1)
	if epochBlocks > 0 {
		audit = max((p.AuditSpanBlocks()+epochBlocks-1)/epochBlocks, 1)
	}
	return p.ReportWindowEpochs + audit + 1
}

// ValidateRetention refuses params.retention_epochs below
// MinRetentionEpochs(epochBlocks), naming the parameter, the minimum and
// what it is made of.
func (p Params) ValidateRetention(epochBlocks uint64) error {
	if p.RetentionEpochs > MaxRetentionEpochs {
		return fmt.Errorf("params.retention_epochs: must be at most %d, got %d", MaxRetentionEpochs, p.RetentionEpochs)
	}
	if lo := p.MinRetentionEpochs(epochBlocks); p.RetentionEpochs < lo {
		audit := "1 epoch for the audits"
		if epochBlocks > 0 {
			audit = fmt.Sprintf("%d for the audits (%d blocks at %d-block epochs)", lo-p.ReportWindowEpochs-1, p.AuditSpanBlocks(), epochBlocks)
		}
		return fmt.Errorf("params.retention_epochs: must be at least %d (report_window_epochs %d + %s + 1 of margin), got %d",
			lo, p.ReportWindowEpochs, audit, p.RetentionEpochs)
	}
	return nil
}

// Validate reports the first parameter that is out of range. The window
// may not exceed the epochs x/sharers keeps (sharerstypes.EpochHistory):
// a report is checked against its epoch's heights. retention_epochs is
// checked against the minimum these params alone give (the audit counted
// as one epoch); the keeper checks it again at x/sharers' epoch_blocks
// (ValidateRetention) when params change and at genesis.
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
	if err := p.validateAudit(); err != nil {
		return err
	}
	if p.PrunePerBlock < 1 || p.PrunePerBlock > MaxPrunePerBlock {
		return fmt.Errorf("params.prune_per_block: must be between 1 and %d, got %d", MaxPrunePerBlock, p.PrunePerBlock)
	}
	return p.ValidateRetention(0)
}

// validateAudit checks the verifiable-metering parameters.
func (p Params) validateAudit() error {
	if p.FuelPerCoreSecond < 1 {
		return fmt.Errorf("params.fuel_per_core_second: must be at least 1, got %d", p.FuelPerCoreSecond)
	}
	if !isFraction(p.AuditProbability) {
		return fmt.Errorf("params.audit_probability: must be between 0 and 1 (e.g. 0.5), got %v", p.AuditProbability)
	}
	if n := uint64(p.SamplesWeighted) + uint64(p.SamplesUniform); n < 1 || n > MaxSamples {
		return fmt.Errorf("params.samples_weighted + params.samples_uniform: must be between 1 and %d, got %d", MaxSamples, n)
	}
	if p.AuditorsPerAudit < 1 || p.AuditorsPerAudit > MaxAuditors {
		return fmt.Errorf("params.auditors_per_audit: must be between 1 and %d, got %d", MaxAuditors, p.AuditorsPerAudit)
	}
	for _, c := range []struct {
		name string
		v    uint64
	}{
		{"sample_delay_blocks", p.SampleDelayBlocks},
		{"publish_window_blocks", p.PublishWindowBlocks},
		{"commit_window_blocks", p.CommitWindowBlocks},
		{"reveal_window_blocks", p.RevealWindowBlocks},
	} {
		if c.v < 1 || c.v > MaxAuditWindowBlocks {
			return fmt.Errorf("params.%s: must be between 1 and %d, got %d", c.name, MaxAuditWindowBlocks, c.v)
		}
	}
	if p.SlashMultiplier.IsNil() || p.SlashMultiplier.LT(math.LegacyNewDec(2)) || p.SlashMultiplier.GT(math.LegacyNewDec(1000)) {
		return fmt.Errorf("params.slash_multiplier: must be between 2 and 1000 (a false claim must cost at least twice what it claimed), got %v", p.SlashMultiplier)
	}
	if p.MinSlash.IsNil() || p.MinSlash.IsNegative() {
		return fmt.Errorf("params.min_slash: must be zero or more, got %v", p.MinSlash)
	}
	if !isFraction(p.AuditorFee) {
		return fmt.Errorf("params.auditor_fee: must be between 0 and 1, got %v", p.AuditorFee)
	}
	if p.AuditorMissLimit < 1 {
		return fmt.Errorf("params.auditor_miss_limit: must be at least 1, got %d", p.AuditorMissLimit)
	}
	if !isFraction(p.AuditorMissSlash) {
		return fmt.Errorf("params.auditor_miss_slash: must be between 0 and 1, got %v", p.AuditorMissSlash)
	}
	return nil
}

func isFraction(d math.LegacyDec) bool {
	return !d.IsNil() && !d.IsNegative() && d.LTE(math.LegacyOneDec())
}
