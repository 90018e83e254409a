package types

import "cosmossdk.io/collections"

const (
	// ModuleName is the module's name, and the name of the module account
	// that holds every sharer's collateral. The account has the Burner
	// permission so that a later slashing rule can burn collateral; the
	// module itself only moves coins.
	ModuleName = "sharers"

	// StoreKey is the key of the module's KV store.
	StoreKey = ModuleName
)

// Prefixes of the module's collections in its store. Never reuse or renumber
// one: they are part of the chain's state.
var (
	ParamsKey          = collections.NewPrefix(0)
	SharersKey         = collections.NewPrefix(1)
	LeasesKey          = collections.NewPrefix(2)
	NextLeaseIDKey     = collections.NewPrefix(3)
	LeasesBySharerKey  = collections.NewPrefix(4)
	LeasesByServiceKey = collections.NewPrefix(5)
	AckQueueKey        = collections.NewPrefix(6)
	CandidatesKey      = collections.NewPrefix(7)
	LivenessKey        = collections.NewPrefix(8)
	PlacementsKey      = collections.NewPrefix(9)
	QueueKey           = collections.NewPrefix(10)
	QueuedKey          = collections.NewPrefix(11)
	QueueSeqKey        = collections.NewPrefix(12)
	UnplacedKey        = collections.NewPrefix(13)
	RetryKey           = collections.NewPrefix(14)
	StatsKey           = collections.NewPrefix(15)
	EpochKey           = collections.NewPrefix(16)
	EpochsKey          = collections.NewPrefix(17)
	PruneQueueKey      = collections.NewPrefix(18)
)

// EpochHistory is how many ended epochs the module keeps (heights and block
// times), for reports about past epochs and usage caps. A usage module's
// report window must not exceed it.
const EpochHistory = 64

// MaxPrunePerBlock bounds the closed lease records pruned in one block; the
// rest are pruned in the blocks after.
const MaxPrunePerBlock = 1000
