package types

import "cosmossdk.io/collections"

const (
	// ModuleName is the module's name, and the name of its module account:
	// it holds each usage charge (the sharer's part and the protocol's)
	// from the report until the entry's audit draw or audit says it is paid
	// or refunded. Rent moves from the escrows straight to sharers and the
	// fee collector.
	ModuleName = "usage"

	// StoreKey is the key of the module's KV store.
	StoreKey = ModuleName
)

// Prefixes of the module's collections in its store. Never reuse or renumber
// one: they are part of the chain's state.
var (
	ParamsKey  = collections.NewPrefix(0)
	ReportsKey = collections.NewPrefix(1)
	// CheckTxSeenKey holds the (sharer, epoch) pairs of reports admitted to
	// the mempool. It is written only in CheckTx, into the check state that
	// every commit discards, so it never reaches consensus state.
	CheckTxSeenKey = collections.NewPrefix(2)
	// MetersKey holds the rent meters of open acknowledged leases by lease
	// id; OpenMetersKey indexes them by (service, lease id).
	MetersKey     = collections.NewPrefix(3)
	OpenMetersKey = collections.NewPrefix(4)
	// AccountsKey holds each service's economics by name.
	AccountsKey = collections.NewPrefix(5)
	// DryQueueKey and LowQueueKey index services by (block time in unix
	// nanoseconds, name), GraceQueueKey by (height, name), for the
	// EndBlocker. Prefixes 6 and 7 held the dry and low queues while they
	// were keyed by projected heights; they are not reused.
	DryQueueKey   = collections.NewPrefix(11)
	LowQueueKey   = collections.NewPrefix(12)
	GraceQueueKey = collections.NewPrefix(8)
	// RecordsKey holds usage records by (service, epoch, lease id).
	RecordsKey = collections.NewPrefix(9)
	// EarningsKey holds sharers' earnings by (sharer, service, epoch).
	EarningsKey = collections.NewPrefix(10)
	// ReleaseQueueKey indexes deleted services whose escrow kept money
	// back for late usage reports, by (epoch of release, name).
	ReleaseQueueKey = collections.NewPrefix(20)
	// Audits (issue #12). AuditSeqKey hands out audit ids; AuditsKey holds
	// audits by id, indexed by (service, id), (sharer, id) and (auditor,
	// id). AuditQueueKey indexes open audits by (the height of their next
	// deadline, id); DrawQueueKey the held entries by (draw height, lease
	// id, epoch) → service. AuditStatsKey holds per-sharer counters.
	AuditSeqKey        = collections.NewPrefix(21)
	AuditsKey          = collections.NewPrefix(22)
	AuditsByServiceKey = collections.NewPrefix(23)
	AuditsBySharerKey  = collections.NewPrefix(24)
	AuditsByAuditorKey = collections.NewPrefix(25)
	AuditQueueKey      = collections.NewPrefix(26)
	DrawQueueKey       = collections.NewPrefix(27)
	AuditStatsKey      = collections.NewPrefix(28)
	// Retention (issue #16). RecordsByEpochKey, ReportsByEpochKey and
	// EarningsByEpochKey index the records, reports and earnings rows with
	// their epoch first, so the pruner reads only rows it removes.
	// PrunedUsageKey holds what the pruned records summed per (service,
	// sharer), PrunedEarningsKey what the pruned earnings rows summed per
	// (sharer, service); PrunedBelowKey the epoch below which every row is
	// pruned.
	RecordsByEpochKey  = collections.NewPrefix(29)
	ReportsByEpochKey  = collections.NewPrefix(30)
	EarningsByEpochKey = collections.NewPrefix(31)
	PrunedUsageKey     = collections.NewPrefix(32)
	PrunedEarningsKey  = collections.NewPrefix(33)
	PrunedBelowKey     = collections.NewPrefix(34)
)

// Audit states of a usage record (and, from sampled on, of its audit).
const (
	AuditPending   = "pending"   // held until the draw
	AuditUnsampled = "unsampled" // not drawn (or nothing to audit): paid
	AuditSampled   = "sampled"   // audit open: held
	AuditProven    = "proven"    // audit passed: paid
	AuditFailed    = "failed"    // audit failed: refunded, collateral slashed
	AuditForfeited = "forfeited" // data withheld: refunded, collateral slashed
)

// Audit phases.
const (
	PhasePublish  = "publish"
	PhaseCommit   = "commit"
	PhaseReveal   = "reveal"
	PhaseResolved = "resolved"
)

// PhaseAt is the audit's phase at height h. The store moves an audit from
// commit to reveal when its last auditor commits; when one never does,
// commits still close at the commit deadline, so from the next height on
// the audit is in its reveal phase though the stored phase says commit.
// Queries answer with PhaseAt.
func (a Audit) PhaseAt(h int64) string {
	if a.Phase == PhaseCommit && h > a.CommitDeadline {
		return PhaseReveal
	}
	return a.Phase
}
