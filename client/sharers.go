package client

import "time"

// Sharer is a sharer's offer and standing, as GET /v1/sharers lists it and
// GET /v1/sharers/{address} shows it.
type Sharer struct {
	// Address is the sharer's account: it owns the collateral and signs the
	// offer.
	Address string `json:"address"`
	// Endpoint is the node's public base URL.
	Endpoint string `json:"endpoint"`
	// Status is active, offline or deregistered.
	Status string `json:"status"`
	// Draining sharers get no new leases; their leases move elsewhere.
	Draining bool `json:"draining"`
	// Capacity is what the sharer offers in total; Used what its open leases
	// reserve; Free the difference.
	Capacity Capacity  `json:"capacity"`
	Used     Resources `json:"used"`
	Free     Resources `json:"free"`
	// Attributes are key/value labels such as region=eu, by key.
	Attributes []SharerAttribute `json:"attributes"`
	Prices     Prices            `json:"prices"`
	Deny       DenyList          `json:"deny"`
	// Collateral is what the sharer holds locked, in uqc.
	Collateral   string `json:"collateral"`
	CollateralQC string `json:"collateral_qc"`
	// HotKey is the node account that sends the sharer's usage reports and
	// lease acknowledgements under its authz grants.
	HotKey string `json:"hot_key"`
	// LeaseCount is how many open leases it holds.
	LeaseCount uint32 `json:"lease_count"`
	// LastReportedEpoch is the latest epoch it reported usage for (the epoch
	// before registration until its first report).
	LastReportedEpoch uint64 `json:"last_reported_epoch"`
	RegisteredHeight  int64  `json:"registered_height"`
	UpdatedHeight     int64  `json:"updated_height"`
	// OfflineHeight is when it last went offline; 0 if never.
	OfflineHeight int64 `json:"offline_height,omitempty"`
}

// Capacity is what a sharer offers: CPU in thousandths of a core, bytes of
// memory and storage, and bytes of egress per hour.
type Capacity struct {
	MilliCPU           uint64 `json:"milli_cpu"`
	MemoryBytes        uint64 `json:"memory_bytes"`
	StorageBytes       uint64 `json:"storage_bytes"`
	EgressBytesPerHour uint64 `json:"egress_bytes_per_hour"`
}

// Resources are reservable resources: what a lease reserves, or what a
// sharer's leases reserve in total.
type Resources struct {
	MilliCPU     uint64 `json:"milli_cpu"`
	MemoryBytes  uint64 `json:"memory_bytes"`
	StorageBytes uint64 `json:"storage_bytes"`
}

// SharerAttribute is one label of a sharer, such as region=eu.
type SharerAttribute struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Prices are unit prices in uqc (strings, like every amount of the API): a
// sharer's offer, or what a lease locked.
type Prices struct {
	CPUPerCoreSecond  string `json:"cpu_per_core_second"`
	MemoryPerMiBHour  string `json:"memory_per_mib_hour"`
	StoragePerGiBHour string `json:"storage_per_gib_hour"`
	Per1kRequests     string `json:"per_1k_requests"`
	EgressPerGiB      string `json:"egress_per_gib"`
}

// DenyList names the services and owners a sharer refuses to host.
type DenyList struct {
	Services []string `json:"services"`
	Owners   []string `json:"owners"`
}

// Sharers is GET /v1/sharers: every sharer, in address byte order.
type Sharers struct {
	Height  int64    `json:"height"`
	Sharers []Sharer `json:"sharers"`
}

// SharerStatus is GET /v1/sharers/{address}: the sharer, its open leases
// and the current epoch, read at one height.
type SharerStatus struct {
	Sharer
	Leases []Lease `json:"leases"`
	Epoch  Epoch   `json:"epoch"`
	// Audits are the sharer's audit counters (absent from a chain that
	// keeps none).
	Audits *AuditStats `json:"audits,omitempty"`
	Height int64       `json:"height"`
}

// AuditStats count a sharer's audits (x/usage): as the audited sharer,
// entries proven (Passed), failed, forfeited (data withheld) and not
// sampled; as an assigned auditor, audits performed (committed and
// revealed) and missed.
type AuditStats struct {
	Passed    uint64 `json:"passed"`
	Failed    uint64 `json:"failed"`
	Forfeited uint64 `json:"forfeited"`
	Unsampled uint64 `json:"unsampled"`
	Performed uint64 `json:"performed"`
	Missed    uint64 `json:"missed"`
}

// Lease is one replica of a service on one sharer, at prices locked when it
// was placed.
type Lease struct {
	ID      uint64 `json:"id"`
	Service string `json:"service"`
	// Replica is the replica's index, 0 … placement.replicas-1.
	Replica uint32 `json:"replica"`
	Sharer  string `json:"sharer"`
	// Status is open or closed.
	Status    string    `json:"status"`
	Prices    Prices    `json:"prices"`
	Resources Resources `json:"resources"`
	// MinCollateral is the service's placement.minCollateral (uqc) the lease
	// keeps locked in the sharer's collateral.
	MinCollateral string    `json:"min_collateral"`
	PlacedHeight  int64     `json:"placed_height"`
	PlacedTime    time.Time `json:"placed_time"`
	// AckDeadline is the last height at which the sharer may acknowledge.
	AckDeadline int64 `json:"ack_deadline"`
	// Acked says whether the sharer acknowledged the replica warm; rent
	// accrues from AckedTime.
	Acked       bool       `json:"acked"`
	AckedHeight int64      `json:"acked_height,omitempty"`
	AckedTime   *time.Time `json:"acked_time,omitempty"`
	// ClosedHeight, ClosedTime, CloseReason (such as ack_timeout or drained)
	// and CloseDetail describe a closed lease.
	ClosedHeight int64      `json:"closed_height,omitempty"`
	ClosedTime   *time.Time `json:"closed_time,omitempty"`
	CloseReason  string     `json:"close_reason,omitempty"`
	CloseDetail  string     `json:"close_detail,omitempty"`
}

// Leases is GET /v1/leases: the open leases of a sharer or a service (by
// id), or without a filter the most recent lease records, open or closed
// (newest first).
type Leases struct {
	Height int64   `json:"height"`
	Leases []Lease `json:"leases"`
}

// ReasonCount is how many sharers placement excluded for one reason.
type ReasonCount struct {
	// Reason is a stable snake_case key such as lacked_memory,
	// above_max_price, offline, above_band or draining.
	Reason string `json:"reason"`
	Count  uint32 `json:"count"`
}

// Placement is GET /v1/services/{name}/placement: a service's open leases
// and why its last placement attempt chose or excluded the sharers it did.
type Placement struct {
	Service string `json:"service"`
	// Wanted is placement.replicas; Placed the open leases; Moving the
	// leases on draining sharers still waiting for a replacement.
	Wanted uint32 `json:"wanted"`
	Placed uint32 `json:"placed"`
	Moving uint32 `json:"moving,omitempty"`
	// Queued is true while the service waits for the chain's placement work.
	Queued bool `json:"queued"`
	// Explanation is the last attempt in words, such as "9 sharers: 4
	// lacked memory, 3 above max price, 2 offline"; Reasons the same counts
	// by key.
	Explanation string        `json:"explanation"`
	Reasons     []ReasonCount `json:"reasons"`
	// PlacedHeight is when placement last ran for the service (0: never).
	PlacedHeight int64 `json:"placed_height"`
	// Preferred are sharers a resume places the service on first; Excluded
	// sharers the next attempt skips (they let a lease time out).
	Preferred []string `json:"preferred,omitempty"`
	Excluded  []string `json:"excluded,omitempty"`
	Leases    []Lease  `json:"leases"`
	Height    int64    `json:"height"`
}

// Epoch is GET /v1/epoch: the current liveness epoch. A sharer's usage
// report for an epoch is due once it ends.
type Epoch struct {
	Number      uint64    `json:"number"`
	StartHeight int64     `json:"start_height"`
	StartTime   time.Time `json:"start_time"`
	// BlocksPerEpoch is the epoch length parameter (params.epoch_blocks).
	BlocksPerEpoch uint64 `json:"blocks_per_epoch"`
	Height         int64  `json:"height"`
}

// SharerLiveness is GET /v1/sharers/{address}/liveness: the sharer's recent
// offline and online events, newest first, from the node's event index.
type SharerLiveness struct {
	Sharer string          `json:"sharer"`
	Height int64           `json:"height"`
	Events []LivenessEvent `json:"events"`
}

// LivenessEvent is one change of a sharer's liveness.
type LivenessEvent struct {
	// Kind is "offline" (it missed too many reports; its leases were closed)
	// or "online" (it reported again).
	Kind   string `json:"kind"`
	Height int64  `json:"height"`
	// Time is the block time of an offline event (empty for online ones).
	Time  string `json:"time,omitempty"`
	Epoch uint64 `json:"epoch"`
	// LastReportedEpoch and LeasesClosed are set for offline events.
	LastReportedEpoch uint64 `json:"last_reported_epoch,omitempty"`
	LeasesClosed      uint32 `json:"leases_closed,omitempty"`
	// Tx is the report that brought it back online.
	Tx string `json:"tx,omitempty"`
}
