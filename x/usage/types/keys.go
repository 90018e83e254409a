package types

import "cosmossdk.io/collections"

const (
	// ModuleName is the module's name. The module holds no coins (charging
	// comes later), so it has no module account yet.
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
)
