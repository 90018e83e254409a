package sched

import (
	"math"

	sdkmath "cosmossdk.io/math"
)

// SpreadNode is the Request.Spread value that puts every replica on a distinct
// sharer. It is also what an empty Spread means.
const SpreadNode = "node"

// Resources is an amount of the three reservable resources. A Sharer's Free
// resources are what it still has to give; a Request's Resources are what one
// replica reserves.
type Resources struct {
	MilliCPU     uint64 // thousandths of a core
	MemoryBytes  uint64
	StorageBytes uint64
}

// Prices are a sharer's unit prices, in uqc. As Sharer.Prices they are what a
// lease would lock; as Request.MaxPrices they are the manifest's caps.
type Prices struct {
	CPUPerCoreSecond  uint64 // CPU time actually spent
	MemoryPerMiBHour  uint64 // reserved memory
	StoragePerGiBHour uint64 // reserved storage
	Per1kRequests     uint64
	EgressPerGiB      uint64
}

// NoPriceCaps returns caps that admit every price. A caller maps a cap the
// manifest leaves out to math.MaxUint64; a cap of 0 admits only free sharers.
func NoPriceCaps() Prices {
	return Prices{
		CPUPerCoreSecond:  math.MaxUint64,
		MemoryPerMiBHour:  math.MaxUint64,
		StoragePerGiBHour: math.MaxUint64,
		Per1kRequests:     math.MaxUint64,
		EgressPerGiB:      math.MaxUint64,
	}
}

// Attribute is one key/value label of a sharer, such as region=eu. Lists of
// attributes are sorted by Key with no key repeated.
type Attribute struct {
	Key   string
	Value string
}

// DenyList names what a sharer refuses to host: services by name, and every
// service that has any of the listed accounts among its owners.
type DenyList struct {
	Services []string
	Owners   []string
}

// Sharer is one candidate node as the chain sees it at this height.
type Sharer struct {
	// Address is the sharer's account (bech32). It is unique among the
	// candidates and is the final tiebreak of every ordering.
	Address string
	// Online is false once the sharer missed its heartbeats.
	Online bool
	// Free is the offered capacity minus what its leases reserve.
	Free Resources
	// Attributes are sorted by Key with no key repeated.
	Attributes []Attribute
	// Collateral bonded by the sharer, in uqc. A nil Int counts as zero.
	Collateral sdkmath.Int
	// Prices are what a lease on this sharer locks.
	Prices Prices
	// Deny lists the services and owners this sharer refuses.
	Deny DenyList
}

// Replica is a replica of the service that is already placed: the sharer
// holding it, that sharer's attributes (for spread) and the prices its lease
// locked (for ranking when scaling down).
type Replica struct {
	Sharer     string
	Attributes []Attribute
	Prices     Prices
}

// Request is what one service needs placed.
type Request struct {
	// Service is the service's network-unique name; it seeds the rendezvous hash.
	Service string
	// Owners are the service's owner accounts, checked against deny lists.
	Owners []string
	// Resources are reserved by each replica.
	Resources Resources
	// Replicas is the total number of replicas wanted, Current included.
	Replicas int
	// Spread is SpreadNode (or empty): every replica on a distinct sharer; or
	// an attribute key such as "region": every replica on a sharer with a
	// distinct value of that attribute. Under an attribute spread, sharers
	// without that attribute are excluded (ReasonAttributes), since nothing
	// shows they are apart from the others.
	Spread string
	// RequireAttributes must all be present on a sharer with exactly these
	// values. Sorted by Key with no key repeated.
	RequireAttributes []Attribute
	// MinCollateral a sharer must have bonded, in uqc. A nil Int means none.
	MinCollateral sdkmath.Int
	// MaxPrices are the manifest's caps: every price of a chosen sharer is at
	// most its cap. See NoPriceCaps.
	MaxPrices Prices
	// Current are the replicas already placed. They count toward Replicas and
	// toward Spread, and their sharers are never chosen again.
	Current []Replica
	// Preferred sharers (for example those still holding a paused service's
	// data) are taken before all others when they qualify.
	Preferred []string
}

// Params are the chain parameters of placement.
type Params struct {
	// BandPermille sets the price band: a qualifying sharer is in the band
	// when its cost is at most the cheapest qualifying cost × (1000 +
	// BandPermille) / 1000. 200 means within 20% of the cheapest.
	BandPermille uint32
}

// DefaultParams returns a band of 20% above the cheapest cost.
func DefaultParams() Params {
	return Params{BandPermille: 200}
}

// Choice is one sharer Place chose, with the prices the new lease locks.
type Choice struct {
	Sharer string
	Prices Prices
	// HourlyCost is the replica's cost on this sharer, as defined by
	// HourlyCost, for display (dry runs, events).
	HourlyCost sdkmath.LegacyDec
	// Preferred is true when the sharer was in Request.Preferred.
	Preferred bool
	// InBand is false when the band had too few sharers and placement widened
	// to costlier ones.
	InBand bool
}

// Result is the outcome of Place: whom to lease to, and why the other
// candidates were not chosen.
type Result struct {
	// Chosen are the sharers for new replicas, in the order they were taken.
	Chosen []Choice
	// Unplaced is how many wanted replicas found no sharer; the caller retries
	// them when capacity appears.
	Unplaced int
	// Candidates is how many sharers were considered.
	Candidates int
	// excluded counts every candidate not chosen by the first reason it failed.
	excluded [numReasons]int
}
