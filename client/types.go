// Package client is the Go client of a Quantum1Net node's HTTP JSON API
// (`/v1/…`), and the types that API speaks. Amounts are strings of uqc
// (1 QC = 1,000,000 uqc) so that no JSON number ever loses precision.
package client

import (
	"encoding/json"
	"time"
)

// Status is GET /v1/status: the chain as this node sees it.
type Status struct {
	ChainID         string      `json:"chain_id"`
	NodeID          string      `json:"node_id"`
	Moniker         string      `json:"moniker"`
	Height          int64       `json:"height"`
	LatestBlockTime time.Time   `json:"latest_block_time"`
	LatestBlockHash string      `json:"latest_block_hash"`
	AppHash         string      `json:"app_hash"`
	CatchingUp      bool        `json:"catching_up"`
	Validators      []Validator `json:"validators"`
}

// Validator is one validator of the active set or a candidate.
type Validator struct {
	// Operator is the validator's operator address (q1valoper…).
	Operator string `json:"operator"`
	// Account is the operator's account address (q1…).
	Account string `json:"account"`
	// ConsensusAddress is the address CometBFT knows it by (q1valcons…).
	ConsensusAddress string `json:"consensus_address"`
	Moniker          string `json:"moniker"`
	// Status is bonded, unbonding or unbonded.
	Status string `json:"status"`
	Jailed bool   `json:"jailed"`
	// Tokens is the stake bonded to it, in uqc.
	Tokens string `json:"tokens"`
	// VotingPower is its power in consensus (0 outside the active set).
	VotingPower int64 `json:"voting_power"`
}

// Validators is GET /v1/validators: every validator the staking module
// knows at Height, bonded first, then by tokens.
type Validators struct {
	Height     int64       `json:"height"`
	Validators []Validator `json:"validators"`
	// BondedTokens is the stake of the bonded validators, in uqc.
	BondedTokens string `json:"bonded_tokens"`
}

// Account is GET /v1/accounts/{address}.
type Account struct {
	Address string `json:"address"`
	// Balance is the account's uqc balance.
	Balance string `json:"balance"`
	// BalanceQC is Balance written for people ("12.5QC").
	BalanceQC string `json:"balance_qc"`
	// Exists is false for an address the chain has never seen.
	Exists        bool   `json:"exists"`
	AccountNumber uint64 `json:"account_number"`
	Sequence      uint64 `json:"sequence"`
	Height        int64  `json:"height"`
}

// Supply is GET /v1/supply: every uqc in existence and where it sits, all
// read at one height. Total = Accounts + the sum of Modules; Genesis − Burned = Total.
type Supply struct {
	Height  int64  `json:"height"`
	Denom   string `json:"denom"`
	Total   string `json:"total"`
	Genesis string `json:"genesis"`
	// Burned is what slashing and vetoed governance deposits destroyed so far.
	Burned string `json:"burned"`
	// Accounts is what ordinary accounts hold.
	Accounts string `json:"accounts"`
	// Staked is bonded plus unbonding stake.
	Staked       string `json:"staked"`
	FeeCollector string `json:"fee_collector"`
	// CommunityPool is the distribution module's community pool.
	CommunityPool string `json:"community_pool"`
	// RewardsPending is fee rewards the distribution module holds for
	// validators and delegators who have not withdrawn them.
	RewardsPending string `json:"rewards_pending"`
	// GovDeposits is held in governance proposal deposits.
	GovDeposits string `json:"gov_deposits"`
	// Escrows is what services hold to pay for what they use.
	Escrows string `json:"escrows"`
	// Modules is the balance of every module account by name.
	Modules map[string]string `json:"modules"`
}

// Error is the body of every non-2xx answer.
type Error struct {
	Error string `json:"error"`
}

// Tx is GET /v1/txs/{hash}: a committed transaction and what it did.
type Tx struct {
	Hash      string `json:"hash"`
	Height    int64  `json:"height"`
	Timestamp string `json:"timestamp"`
	// Code is 0 for success; otherwise Codespace and Code name the error and Log says it.
	Code      uint32 `json:"code"`
	Codespace string `json:"codespace,omitempty"`
	Log       string `json:"log,omitempty"`
	GasWanted int64  `json:"gas_wanted"`
	GasUsed   int64  `json:"gas_used"`
	Memo      string `json:"memo,omitempty"`
	// Fee is what the tx paid, e.g. "2500uqc".
	Fee string `json:"fee"`
	// Messages are the tx's msgs in the SDK's JSON, each with its "@type".
	Messages []json.RawMessage `json:"messages"`
	Events   []Event           `json:"events"`
}

// Event is a typed event a tx or block emitted.
type Event struct {
	Type       string      `json:"type"`
	Attributes []Attribute `json:"attributes"`
}

// Attribute is one key and value of an event.
type Attribute struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Peers is GET /v1/peers: how to reach this node's P2P network, for a new
// node joining it (`q1 init --join`).
type Peers struct {
	ChainID string `json:"chain_id"`
	// Self is this node as a persistent-peer entry: id@host:port. Host is
	// this node's configured external address, or empty when it has none
	// (the joiner then uses the host it reached the API on).
	Self string `json:"self"`
	// SelfPort is this node's P2P port.
	SelfPort int    `json:"self_port"`
	NodeID   string `json:"node_id"`
	// Connected are the peers this node is connected to, as id@host:port.
	Connected []string `json:"connected"`
}

// Block is one block as GET /v1/blocks lists it.
type Block struct {
	Height    int64     `json:"height"`
	Time      time.Time `json:"time"`
	Hash      string    `json:"hash"`
	AppHash   string    `json:"app_hash"`
	Proposer  string    `json:"proposer"` // consensus address (q1valcons…)
	NumTxs    int       `json:"num_txs"`
	TxHashes  []string  `json:"tx_hashes"`
	SizeBytes int       `json:"size_bytes,omitempty"`
}

// Blocks is GET /v1/blocks: the most recent blocks, newest first.
type Blocks struct {
	Height int64   `json:"height"`
	Blocks []Block `json:"blocks"`
}

// BlockDetail is GET /v1/blocks/{height}: a block, its txs and the events
// its begin and end emitted.
type BlockDetail struct {
	Block
	Txs    []Tx    `json:"txs"`
	Events []Event `json:"events"`
}

// NodeReplica is what a node says about one of its replicas, an element of
// GET {gateway}/_q1/v1/replicas.
type NodeReplica struct {
	Service string `json:"service"`
	Lease   uint64 `json:"lease,omitempty"`
	// Version is the manifest hash running (or failing, or loading).
	Version string `json:"version"`
	// State is serving, loading or failed.
	State  string `json:"state"`
	Reason string `json:"reason,omitempty"`
}

// LogEntry is one line of GET …/services/{name}/logs (NDJSON).
type LogEntry struct {
	Seq     uint64    `json:"seq"`
	Time    time.Time `json:"time"`
	Service string    `json:"service"`
	Version string    `json:"version"`
	Level   string    `json:"level"`
	Stream  string    `json:"stream"`
	Message string    `json:"message"`
	// Node is the sharer whose replica logged it.
	Node string `json:"node"`
}

// SignInChallenge is GET /v1/auth/challenge: a one-time dashboard sign-in
// challenge (its format is client/signin's), when it expires, the chain and
// node it names, and the command that signs it. (Fields in alphabetical
// order: the node wrote a JSON object with sorted keys before this type.)
type SignInChallenge struct {
	Chain     string    `json:"chain"`
	Challenge string    `json:"challenge"`
	Command   string    `json:"command"`
	Expires   time.Time `json:"expires"`
	Node      string    `json:"node"`
}

// Session is a dashboard session (POST and GET /v1/auth/session): the
// account signed in, until Expires.
type Session struct {
	Account string    `json:"account"`
	Expires time.Time `json:"expires"`
}

// LogsPurpose is what a request to read a service's logs is signed for
// (client/reqsign).
const LogsPurpose = "logs"
