// Package keeper holds the sharers module's state and rules: sharers' offers
// and collateral, their liveness by epochs, leases, and the deterministic
// placement of services' replicas that the EndBlocker runs with
// core/sched. It is deterministic: it reads the block height and time
// from the context and nothing from the machine it runs on, iterates only
// ordered stores and slices, and uses no floats.
//
// Work is indexed so that a block costs what changed, not the number of
// sharers, services or leases: hooks queue services that need placement,
// leases awaiting acknowledgement are indexed by deadline, sharers by the
// epoch they last reported, placeable sharers by CPU price (so placement
// reads only those that can be in a service's price band), and under-placed
// services are retried a bounded number per block after capacity appears.
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

	"github.com/quantum1net/q1/x/sharers/types"
)

// Keeper owns the sharers module's store. Build it with [NewKeeper]; it is
// used by pointer so that hooks set after construction reach every user.
type Keeper struct {
	cdc          codec.BinaryCodec
	storeService store.KVStoreService // for placement's raw walk of Candidates
	addressCodec address.Codec
	authority    string
	moduleAddr   sdk.AccAddress
	bank         types.BankKeeper
	services     types.ServicesKeeper
	hooks        types.SharersHooks
	locks        types.CollateralLocks

	// Schema describes the collections below.
	Schema collections.Schema
	// Params are the module's parameters.
	Params collections.Item[types.Params]
	// Sharers holds every registered sharer (and deregistered ones still
	// holding collateral), by account address.
	Sharers collections.Map[sdk.AccAddress, types.Sharer]
	// Leases holds open leases and closed ones until they are pruned, by id.
	Leases collections.Map[uint64, types.Lease]
	// NextLeaseID hands out lease ids, starting at 1.
	NextLeaseID collections.Sequence
	// LeasesBySharer indexes open leases by (sharer, id).
	LeasesBySharer collections.KeySet[collections.Pair[sdk.AccAddress, uint64]]
	// LeasesByService indexes open leases by (service, id).
	LeasesByService collections.KeySet[collections.Pair[string, uint64]]
	// AckQueue indexes unacknowledged open leases by (deadline, id).
	AckQueue collections.KeySet[collections.Pair[int64, uint64]]
	// Candidates indexes placeable sharers by (CPU price, address), with
	// what placement reads of them: placement walks it cheapest first and
	// stops where no sharer left can be in the price band.
	Candidates collections.Map[collections.Pair[uint64, sdk.AccAddress], types.Candidate]
	// Liveness indexes active sharers by (last reported epoch, address).
	Liveness collections.KeySet[collections.Pair[uint64, sdk.AccAddress]]
	// Placements holds each placed or under-placed service's placement state.
	Placements collections.Map[string, types.PlacementState]
	// Queue orders the services waiting for placement work by (seq, name);
	// Queued maps each to its seq so a service is queued once.
	Queue    collections.KeySet[collections.Pair[uint64, string]]
	Queued   collections.Map[string, uint64]
	QueueSeq collections.Sequence
	// Unplaced holds the services with fewer replicas than wanted, or with
	// replicas still on draining sharers, retried when capacity appears.
	Unplaced collections.KeySet[string]
	// Retry is the progress of retrying Unplaced.
	Retry collections.Item[types.RetryState]
	// Stats count sharers by standing.
	Stats collections.Item[types.Stats]
	// Epoch is the current liveness epoch; Epochs the last EpochHistory
	// ended ones.
	Epoch  collections.Item[types.EpochInfo]
	Epochs collections.Map[uint64, types.EpochInfo]
	// PruneQueue indexes closed leases by (prune height, id).
	PruneQueue collections.KeySet[collections.Pair[int64, uint64]]
}

// NewKeeper returns the module's keeper. addressCodec encodes account
// addresses (bech32 "q1"); authority is the account allowed to change the
// parameters (the governance module's). It panics when the app declared no
// "sharers" module account, since collateral could not be held.
func NewKeeper(
	cdc codec.BinaryCodec,
	storeService store.KVStoreService,
	addressCodec address.Codec,
	accounts types.AccountKeeper,
	bank types.BankKeeper,
	services types.ServicesKeeper,
	authority string,
) *Keeper {
	moduleAddr := accounts.GetModuleAddress(types.ModuleName)
	if moduleAddr == nil {
		panic(fmt.Sprintf("the %s module account is not declared: add %q to the app's module account permissions", types.ModuleName, types.ModuleName))
	}
	if _, err := addressCodec.StringToBytes(authority); err != nil {
		panic(fmt.Sprintf("sharers keeper authority %q is not a valid address: %v", authority, err))
	}
	sb := collections.NewSchemaBuilder(storeService)
	addrKey := sdk.AccAddressKey
	k := &Keeper{
		cdc:          cdc,
		storeService: storeService,
		addressCodec: addressCodec,
		authority:    authority,
		moduleAddr:   moduleAddr,
		bank:         bank,
		services:     services,

		Params:      collections.NewItem(sb, types.ParamsKey, "params", codec.CollValue[types.Params](cdc)),
		Sharers:     collections.NewMap(sb, types.SharersKey, "sharers", addrKey, codec.CollValue[types.Sharer](cdc)),
		Leases:      collections.NewMap(sb, types.LeasesKey, "leases", collections.Uint64Key, codec.CollValue[types.Lease](cdc)),
		NextLeaseID: collections.NewSequence(sb, types.NextLeaseIDKey, "next_lease_id"),
		LeasesBySharer: collections.NewKeySet(sb, types.LeasesBySharerKey, "leases_by_sharer",
			collections.PairKeyCodec(addrKey, collections.Uint64Key)),
		LeasesByService: collections.NewKeySet(sb, types.LeasesByServiceKey, "leases_by_service",
			collections.PairKeyCodec(collections.StringKey, collections.Uint64Key)),
		AckQueue: collections.NewKeySet(sb, types.AckQueueKey, "ack_queue",
			collections.PairKeyCodec(collections.Int64Key, collections.Uint64Key)),
		Candidates: collections.NewMap(sb, types.CandidatesKey, "candidates",
			collections.PairKeyCodec(collections.Uint64Key, addrKey), codec.CollValue[types.Candidate](cdc)),
		Liveness: collections.NewKeySet(sb, types.LivenessKey, "liveness",
			collections.PairKeyCodec(collections.Uint64Key, addrKey)),
		Placements: collections.NewMap(sb, types.PlacementsKey, "placements", collections.StringKey, codec.CollValue[types.PlacementState](cdc)),
		Queue: collections.NewKeySet(sb, types.QueueKey, "queue",
			collections.PairKeyCodec(collections.Uint64Key, collections.StringKey)),
		Queued:     collections.NewMap(sb, types.QueuedKey, "queued", collections.StringKey, collections.Uint64Value),
		QueueSeq:   collections.NewSequence(sb, types.QueueSeqKey, "queue_seq"),
		Unplaced:   collections.NewKeySet(sb, types.UnplacedKey, "unplaced", collections.StringKey),
		Retry:      collections.NewItem(sb, types.RetryKey, "retry", codec.CollValue[types.RetryState](cdc)),
		Stats:      collections.NewItem(sb, types.StatsKey, "stats", codec.CollValue[types.Stats](cdc)),
		Epoch:      collections.NewItem(sb, types.EpochKey, "epoch", codec.CollValue[types.EpochInfo](cdc)),
		Epochs:     collections.NewMap(sb, types.EpochsKey, "epochs", collections.Uint64Key, codec.CollValue[types.EpochInfo](cdc)),
		PruneQueue: collections.NewKeySet(sb, types.PruneQueueKey, "prune_queue", collections.PairKeyCodec(collections.Int64Key, collections.Uint64Key)),
	}
	schema, err := sb.Build()
	if err != nil {
		panic(fmt.Sprintf("sharers keeper schema: %v", err))
	}
	k.Schema = schema
	return k
}

// SetHooks installs the hooks other modules follow leases with. It may be
// called once.
func (k *Keeper) SetHooks(h types.SharersHooks) {
	if k.hooks != nil {
		panic("sharers hooks are already set; combine them with types.MultiSharersHooks")
	}
	k.hooks = h
}

// SetCollateralLocks installs what keeps collateral under audit from
// being withdrawn (x/usage). It may be set once.
func (k *Keeper) SetCollateralLocks(l types.CollateralLocks) {
	if k.locks != nil {
		panic("sharers collateral locks are already set")
	}
	k.locks = l
}

// hooksOrNone returns the installed hooks, or hooks that do nothing.
func (k *Keeper) hooksOrNone() types.SharersHooks {
	if k.hooks == nil {
		return types.MultiSharersHooks{}
	}
	return k.hooks
}

// Authority returns the account allowed to change the parameters.
func (k *Keeper) Authority() string { return k.authority }

// ModuleAddress returns the address of the module account holding collateral.
func (k *Keeper) ModuleAddress() sdk.AccAddress { return k.moduleAddr }

// Logger returns the module's logger.
func (k *Keeper) Logger(ctx context.Context) log.Logger {
	return sdk.UnwrapSDKContext(ctx).Logger().With("module", "x/"+types.ModuleName)
}

// GetParams returns the module's parameters.
func (k *Keeper) GetParams(ctx context.Context) (types.Params, error) {
	p, err := k.Params.Get(ctx)
	if err != nil {
		return types.Params{}, fmt.Errorf("read %s params: %w", types.ModuleName, err)
	}
	return p, nil
}

// emit emits a typed event on ctx's event manager.
func emit(ctx context.Context, ev proto.Message) error {
	if err := sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(ev); err != nil {
		return fmt.Errorf("emit %T: %w", ev, err)
	}
	return nil
}
