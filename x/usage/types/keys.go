package types

import "cosmossdk.io/collections"

const (
	// ModuleName is the module's name. The module holds no coins: charges
	// move from the services module account (escrows) straight to sharers
	// and the fee collector, so it has no module account.
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
)
