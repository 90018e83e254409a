package client

import "encoding/json"

// Service is GET /v1/services/{name}: a service as anyone sees it, with its
// current manifest and its pending proposal.
type Service struct {
	Name string `json:"name"`
	// Status is active, paused or deleted.
	Status string `json:"status"`
	// Version is the number of the current version; Hash its manifest's hash.
	Version uint64 `json:"version"`
	Hash    string `json:"hash"`
	Creator string `json:"creator"`
	// CreatedHeight and DeletedHeight (0 unless deleted) are block heights.
	CreatedHeight int64 `json:"created_height"`
	DeletedHeight int64 `json:"deleted_height,omitempty"`
	// Pause says who paused it and why, while paused.
	Pause *Pause `json:"pause,omitempty"`
	// Escrow is its escrow balance in uqc.
	Escrow   string `json:"escrow"`
	EscrowQC string `json:"escrow_qc"`
	// Manifest is the current canonical manifest (JSON).
	Manifest json.RawMessage `json:"manifest"`
	// Pending is the pending proposal, if any: visible to anyone until it
	// activates.
	Pending *Proposal `json:"pending,omitempty"`
	// PendingReplaces is the proposal the pending one took the place of,
	// when the service's previous proposal was cancelled before it was made
	// (found in the node's tx index; the chain keeps no link).
	PendingReplaces *ReplacedProposal `json:"pending_replaces,omitempty"`
	// Replicas say how each placed replica is doing, as its node reports it
	// (filled by q1 service status, which asks the nodes).
	Replicas []Replica `json:"replicas,omitempty"`
	// Economics is its escrow as the usage module sees it (filled by q1
	// service status, from GET /v1/services/{name}/economics).
	Economics *Economics `json:"economics,omitempty"`
	// Schedules are the manifest's schedules with each one's last run and
	// missed ticks, as the replicas' nodes recorded them (filled by q1
	// service status, which asks the nodes; GET /v1/services/{name}/schedules
	// answers the same).
	Schedules []ScheduleState `json:"schedules,omitempty"`
	Height    int64           `json:"height"`
}

// Economics is a service's escrow now: amounts in uqc (decimal strings),
// burn per hour of rent, and how long what is available lasts.
type Economics struct {
	Balance     string `json:"balance"`
	Owed        string `json:"owed"`
	Available   string `json:"available"`
	BurnPerHour string `json:"burn_per_hour"`
	HoursLeft   string `json:"hours_left"`
	BlocksLeft  uint64 `json:"blocks_left"`
	// Low is set once escrow.low was emitted (fewer than lowBalanceBlocks
	// blocks of burn left).
	Low bool `json:"low"`
	// Depleted is set while the service is paused because its escrow ran
	// dry; DepositToResume must be deposited before GraceDeadline.
	Depleted        bool   `json:"depleted"`
	GraceDeadline   int64  `json:"grace_deadline,omitempty"`
	DepositToResume string `json:"deposit_to_resume"`
}

// Replica is one placed replica of a service and its node's account of it.
type Replica struct {
	Lease    uint64 `json:"lease"`
	Replica  uint32 `json:"replica"`
	Sharer   string `json:"sharer"`
	Endpoint string `json:"endpoint"`
	Acked    bool   `json:"acked"`
	// State is serving, loading or failed as the node says; unreachable
	// when the node does not answer.
	State   string `json:"state"`
	Version string `json:"version,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

// Pause records why a service is paused.
type Pause struct {
	// Reason is owner, operator or depletion.
	Reason string `json:"reason"`
	By     string `json:"by,omitempty"`
	Height int64  `json:"height"`
}

// Proposal is a change to a service waiting for (or past) its owners' approvals.
type Proposal struct {
	ID      uint64 `json:"id"`
	Service string `json:"service"`
	// Kind is update, withdraw or delete.
	Kind string `json:"kind"`
	// Hash is what approvers name: the new manifest's hash for an update.
	Hash           string   `json:"hash"`
	Proposer       string   `json:"proposer"`
	ProposedHeight int64    `json:"proposed_height"`
	Threshold      uint32   `json:"threshold"`
	Approvals      []string `json:"approvals"`
	// Status is pending, executed, cancelled or failed.
	Status string `json:"status"`
	// ApprovedHeight is when the threshold was reached (0 until then).
	ApprovedHeight int64 `json:"approved_height,omitempty"`
	// ActivationHeight is the earliest height an update takes effect.
	ActivationHeight int64 `json:"activation_height,omitempty"`
	// Manifest is the proposed manifest (update).
	Manifest json.RawMessage `json:"manifest,omitempty"`
	// Amount and To are a withdrawal's (To is also a deletion's refund).
	Amount  string `json:"amount,omitempty"`
	To      string `json:"to,omitempty"`
	Failure string `json:"failure,omitempty"`
}

// ServiceSummary is one entry of GET /v1/services.
type ServiceSummary struct {
	Name     string `json:"name"`
	Status   string `json:"status"`
	Version  uint64 `json:"version"`
	Hash     string `json:"hash"`
	Replicas uint32 `json:"replicas"`
	Escrow   string `json:"escrow"`
	// PendingProposal is the id of the pending proposal, 0 when none.
	PendingProposal uint64 `json:"pending_proposal,omitempty"`
}

// Services is GET /v1/services.
type Services struct {
	Height   int64            `json:"height"`
	Services []ServiceSummary `json:"services"`
}

// Version is one entry of GET /v1/services/{name}/history.
type Version struct {
	Version uint64 `json:"version"`
	Hash    string `json:"hash"`
	// Origin is create, update or scale.
	Origin          string          `json:"origin"`
	Proposer        string          `json:"proposer"`
	Approvers       []string        `json:"approvers"`
	ProposalID      uint64          `json:"proposal_id,omitempty"`
	ProposedHeight  int64           `json:"proposed_height"`
	ActivatedHeight int64           `json:"activated_height"`
	Manifest        json.RawMessage `json:"manifest"`
}

// History is GET /v1/services/{name}/history: every version, oldest first.
type History struct {
	Service  string    `json:"service"`
	Versions []Version `json:"versions"`
}

// ReplacedProposal is the proposal a pending one took the place of: the
// service's previous proposal, cancelled before the pending one was made.
type ReplacedProposal struct {
	ID              uint64 `json:"id"`
	Kind            string `json:"kind"`
	Hash            string `json:"hash"`
	Amount          string `json:"amount,omitempty"`
	To              string `json:"to,omitempty"`
	ProposedHeight  int64  `json:"proposed_height"`
	CancelledBy     string `json:"cancelled_by"`
	CancelledHeight int64  `json:"cancelled_height"`
}
