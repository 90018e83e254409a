package types

import "cosmossdk.io/collections"

const (
	// ModuleName is the module's name, and the name of the module account
	// that holds every service's escrow. The account needs no Minter or
	// Burner permission: the module only moves coins.
	ModuleName = "services"

	// StoreKey is the key of the module's KV store.
	StoreKey = ModuleName
)

// Prefixes of the module's collections in its store. Never reuse or renumber
// one: they are part of the chain's state.
var (
	ParamsKey          = collections.NewPrefix(0)
	ServicesKey        = collections.NewPrefix(1)
	VersionsKey        = collections.NewPrefix(2)
	ProposalsKey       = collections.NewPrefix(3)
	EscrowsKey         = collections.NewPrefix(4)
	ActivationQueueKey = collections.NewPrefix(5)
	NextProposalIDKey  = collections.NewPrefix(6)
	SpecsKey           = collections.NewPrefix(7)
	SecretsKey         = collections.NewPrefix(8)
)

// ManifestGasPerByte is the gas a msg is charged per byte of the manifest
// it carries (create, propose update), which the chain parses and validates
// once, on top of the store's own gas. Stored manifests are never parsed
// again: reads of their specs cost only the store's gas.
const ManifestGasPerByte = 10
