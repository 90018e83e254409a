// Package keeper holds the services module's state and rules: services under
// their manifests, governed by their owners through proposals, with version
// history and an escrow per service. It is deterministic: it reads the block
// height from the context and nothing from the machine it runs on.
package keeper

import (
	"context"
	"fmt"

	"cosmossdk.io/collections"
	"cosmossdk.io/core/address"
	"cosmossdk.io/core/store"
	"cosmossdk.io/log"
	"github.com/cosmos/cosmos-sdk/codec"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/gogoproto/proto"

	"github.com/quantum1net/q1/x/services/types"
)

// Keeper owns the services module's store. Build it with [NewKeeper]; it is
// used by pointer so that hooks set after construction reach every user.
type Keeper struct {
	cdc          codec.BinaryCodec
	addressCodec address.Codec
	authority    string
	moduleAddr   sdk.AccAddress
	bank         types.BankKeeper
	hooks        types.ServicesHooks
	owed         types.EscrowOwed
	escrowHooks  types.EscrowHooks
	leases       types.LeaseHolders

	// Schema describes the collections below.
	Schema collections.Schema
	// Params are the module's parameters.
	Params collections.Item[types.Params]
	// Services holds every service ever created, by name.
	Services collections.Map[string, types.Service]
	// Versions holds every version of every service, by (name, number).
	Versions collections.Map[collections.Pair[string, uint64], types.Version]
	// Proposals holds every proposal ever made, by id.
	Proposals collections.Map[uint64, types.Proposal]
	// Escrows holds one escrow record per service, by name.
	Escrows collections.Map[string, types.Escrow]
	// ActivationQueue indexes approved updates by (activation height,
	// proposal id), so EndBlock visits only the updates that are due.
	ActivationQueue collections.KeySet[collections.Pair[int64, uint64]]
	// NextProposalID hands out proposal ids, starting at 1.
	NextProposalID collections.Sequence
	// Specs holds the decoded manifest (types.ServiceSpec) of every version,
	// by (name, number), written when the version is written and never
	// changed. Every read of a service's rules goes here; nothing parses
	// Version.Manifest again.
	//
	// A collection of its own rather than a field of Version: the hot
	// readers (a usage report reads the current spec once per entry, rent
	// and placement once per service) then load only the spec, whose size
	// does not include the canonical bytes (up to 64 KiB) that clients and
	// history need, so their store gas and decoding stay small; Version
	// records, and the queries and clients that return them, stay as they
	// were. Both are written in the same msg or block, so they cannot
	// disagree; genesis checks that each spec encodes to its version's bytes.
	Specs collections.Map[collections.Pair[string, uint64], types.ServiceSpec]
	// Secrets holds every secret of every service by (service, name): its
	// latest version, encrypted, with the wraps of its data key; a deleted
	// one keeps its version (and nothing else) so a name set again
	// continues counting.
	Secrets collections.Map[collections.Pair[string, string], types.Secret]
}

// NewKeeper returns the module's keeper. addressCodec encodes account
// addresses (bech32 "q1"); authority is the account allowed to change the
// parameters (the governance module's). It panics when the app declared no
// "services" module account, since escrows could not be held.
func NewKeeper(
	cdc codec.BinaryCodec,
	storeService store.KVStoreService,
	addressCodec address.Codec,
	accounts types.AccountKeeper,
	bank types.BankKeeper,
	authority string,
) *Keeper {
	moduleAddr := accounts.GetModuleAddress(types.ModuleName)
	if moduleAddr == nil {
		panic(fmt.Sprintf("the %s module account is not declared: add %q to the app's module account permissions", types.ModuleName, types.ModuleName))
	}
	if _, err := addressCodec.StringToBytes(authority); err != nil {
		panic(fmt.Sprintf("services keeper authority %q is not a valid address: %v", authority, err))
	}
	sb := collections.NewSchemaBuilder(storeService)
	k := &Keeper{
		cdc:          cdc,
		addressCodec: addressCodec,
		authority:    authority,
		moduleAddr:   moduleAddr,
		bank:         bank,
		owed:         types.NothingOwed{},
		escrowHooks:  types.NoEscrowHooks{},
		leases:       types.NoLeaseHolders{},

		Params:   collections.NewItem(sb, types.ParamsKey, "params", codec.CollValue[types.Params](cdc)),
		Services: collections.NewMap(sb, types.ServicesKey, "services", collections.StringKey, codec.CollValue[types.Service](cdc)),
		Versions: collections.NewMap(sb, types.VersionsKey, "versions",
			collections.PairKeyCodec(collections.StringKey, collections.Uint64Key), codec.CollValue[types.Version](cdc)),
		Proposals: collections.NewMap(sb, types.ProposalsKey, "proposals", collections.Uint64Key, codec.CollValue[types.Proposal](cdc)),
		Escrows:   collections.NewMap(sb, types.EscrowsKey, "escrows", collections.StringKey, codec.CollValue[types.Escrow](cdc)),
		ActivationQueue: collections.NewKeySet(sb, types.ActivationQueueKey, "activation_queue",
			collections.PairKeyCodec(collections.Int64Key, collections.Uint64Key)),
		NextProposalID: collections.NewSequence(sb, types.NextProposalIDKey, "next_proposal_id"),
		Specs: collections.NewMap(sb, types.SpecsKey, "specs",
			collections.PairKeyCodec(collections.StringKey, collections.Uint64Key), codec.CollValue[types.ServiceSpec](cdc)),
		Secrets: collections.NewMap(sb, types.SecretsKey, "secrets",
			collections.PairKeyCodec(collections.StringKey, collections.StringKey), codec.CollValue[types.Secret](cdc)),
	}
	schema, err := sb.Build()
	if err != nil {
		panic(fmt.Sprintf("services keeper schema: %v", err))
	}
	k.Schema = schema
	return k
}

// SetHooks installs the hooks other modules follow services with. It may be
// called once.
func (k *Keeper) SetHooks(h types.ServicesHooks) {
	if k.hooks != nil {
		panic("services hooks are already set; combine them with types.NewMultiServicesHooks")
	}
	k.hooks = h
}

// SetEscrowOwed installs what reports the money services owe but have not
// yet paid (x/usage). Until it is called nothing is owed.
func (k *Keeper) SetEscrowOwed(o types.EscrowOwed) {
	k.owed = o
}

// SetEscrowHooks installs what follows money entering and leaving escrows
// (x/usage). Until it is called nothing does.
func (k *Keeper) SetEscrowHooks(h types.EscrowHooks) {
	k.escrowHooks = h
}

// SetLeaseHolders installs what says which sharers hold a lease of a
// service (x/sharers). Until it is called nobody does, and every secret
// wrap is refused.
func (k *Keeper) SetLeaseHolders(l types.LeaseHolders) {
	k.leases = l
}

// Authority returns the account allowed to change the parameters.
func (k *Keeper) Authority() string { return k.authority }

// ModuleAddress returns the address of the module account holding escrows.
func (k *Keeper) ModuleAddress() sdk.AccAddress { return k.moduleAddr }

// Logger returns the module's logger.
func (k *Keeper) Logger(ctx context.Context) log.Logger {
	return sdk.UnwrapSDKContext(ctx).Logger().With("module", "x/"+types.ModuleName)
}

// hooksOrNone returns the installed hooks, or hooks that do nothing.
func (k *Keeper) hooksOrNone() types.ServicesHooks {
	if k.hooks == nil {
		return types.MultiServicesHooks{}
	}
	return k.hooks
}

// GetParams returns the module's parameters.
func (k *Keeper) GetParams(ctx context.Context) (types.Params, error) {
	return k.Params.Get(ctx)
}

// emit emits a typed event on ctx's event manager.
func emit(ctx context.Context, ev proto.Message) error {
	if err := sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(ev); err != nil {
		return fmt.Errorf("emit %T: %w", ev, err)
	}
	return nil
}
