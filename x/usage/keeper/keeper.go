// Package keeper holds the usage module's state and rules: sharers'
// per-epoch usage reports (each also the sharer's heartbeat), usage charged
// from escrows within the caps, reservation rent settled lazily from each
// lease's acknowledgement, and the escrow's life as it runs low, runs dry,
// pauses its service, resumes on a deposit or is deleted after its grace.
//
// It is deterministic: it reads the block height and time from the context
// and nothing from the machine it runs on, iterates only ordered stores and
// slices, and counts money in integers and LegacyDec, never floats.
//
// Work is indexed so that a block costs what is due, not the number of
// services: the block time each escrow runs dry and runs low, and the
// height its grace ends, are keys of ordered queues the EndBlocker walks
// only up to the block's header time (or height).
package keeper

import (
	"context"
	"errors"
	"fmt"

	"cosmossdk.io/collections"
	"cosmossdk.io/core/address"
	"cosmossdk.io/core/store"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/log"
	"github.com/cosmos/cosmos-sdk/codec"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	"github.com/cosmos/gogoproto/proto"

	q1address "github.com/quantum1net/q1/core/address"
	"github.com/quantum1net/q1/x/usage/types"
)

// Keeper owns the usage module's store. Build it with [NewKeeper]; it is
// used by pointer, as the hooks it gives other modules are.
type Keeper struct {
	cdc          codec.BinaryCodec
	addressCodec address.Codec
	authority    string
	feeCollector string
	sharers      types.SharersKeeper
	services     types.ServicesKeeper
	bank         types.BankKeeper

	// Schema describes the collections below.
	Schema collections.Schema
	// Params are the module's parameters.
	Params collections.Item[types.Params]
	// Reports holds every report by (sharer, epoch).
	Reports collections.Map[collections.Pair[sdk.AccAddress, uint64], types.Report]
	// CheckTxSeen holds the (sharer, epoch) pairs the ante handler admitted
	// to the mempool since the last commit; only CheckTx writes it.
	CheckTxSeen collections.KeySet[collections.Pair[sdk.AccAddress, uint64]]
	// Meters holds the rent meter of every open acknowledged lease, by
	// lease id; OpenMeters indexes them by (service, lease id).
	Meters     collections.Map[uint64, types.LeaseMeter]
	OpenMeters collections.KeySet[collections.Pair[string, uint64]]
	// Accounts holds each service's economics, by name.
	Accounts collections.Map[string, types.ServiceAccount]
	// DryQueue and LowQueue index services by (block time in unix
	// nanoseconds, name): when their escrow runs dry, and when it falls
	// below lowBalanceBlocks × params.block_time_ms of burn (or, for an
	// escrow beyond the projection horizon, when it is projected again).
	// The EndBlocker reads only keys at or before the block's header time.
	DryQueue collections.KeySet[collections.Pair[int64, string]]
	LowQueue collections.KeySet[collections.Pair[int64, string]]
	// GraceQueue indexes depleted services by (height, name): the end of
	// their grace period (policies.budget.graceBlocks, counted in blocks).
	// The EndBlocker reads only keys up to the current height.
	GraceQueue collections.KeySet[collections.Pair[int64, string]]
	// Records holds every usage record by (service, epoch, lease id).
	Records collections.Map[collections.Triple[string, uint64, uint64], types.UsageRecord]
	// Earnings holds what each sharer earned by (sharer, service, epoch).
	Earnings collections.Map[collections.Triple[sdk.AccAddress, string, uint64], types.Earnings]
	// ReleaseQueue indexes deleted services by (epoch, name): at the start
	// of that epoch the report window has passed their last lease and what
	// their escrow kept back is refunded.
	ReleaseQueue collections.KeySet[collections.Pair[uint64, string]]

	// AuditSeq hands out audit ids (the first is 1); Audits holds every
	// audit by id, indexed by (service, id), (audited sharer, id) and
	// (assigned auditor, id).
	AuditSeq        collections.Sequence
	Audits          collections.Map[uint64, types.Audit]
	AuditsByService collections.KeySet[collections.Pair[string, uint64]]
	AuditsBySharer  collections.KeySet[collections.Pair[sdk.AccAddress, uint64]]
	AuditsByAuditor collections.KeySet[collections.Pair[sdk.AccAddress, uint64]]
	// AuditQueue indexes open audits by (height of their next deadline,
	// id): the publish deadline until the samples are published, then the
	// reveal deadline. The EndBlocker reads only keys up to its height.
	AuditQueue collections.KeySet[collections.Pair[int64, uint64]]
	// DrawQueue indexes the entries whose charge is held until their draw,
	// by (draw height, lease id, epoch), to their service.
	DrawQueue collections.Map[collections.Triple[int64, uint64, uint64], string]
	// AuditStats holds each sharer's audit counters.
	AuditStats collections.Map[sdk.AccAddress, types.AuditStats]

	// Retention (issue #16): the rows of an epoch are indexed by epoch
	// first, RecordsByEpoch (epoch, service, lease id), ReportsByEpoch
	// (epoch, sharer) and EarningsByEpoch (epoch, sharer, service), and
	// pruned params.retention_epochs after it, at most
	// params.prune_per_block a block; what the pruned rows summed is kept
	// in PrunedUsage by (service, sharer) and PrunedEarnings by (sharer,
	// service). PrunedBelow is the epoch below which every row is pruned.
	RecordsByEpoch  collections.KeySet[collections.Triple[uint64, string, uint64]]
	ReportsByEpoch  collections.KeySet[collections.Pair[uint64, sdk.AccAddress]]
	EarningsByEpoch collections.KeySet[collections.Triple[uint64, sdk.AccAddress, string]]
	PrunedUsage     collections.Map[collections.Pair[string, sdk.AccAddress], types.UsageSum]
	PrunedEarnings  collections.Map[collections.Pair[sdk.AccAddress, string], types.Earnings]
	PrunedBelow     collections.Item[uint64]

	moduleAddr sdk.AccAddress
}

// NewKeeper returns the module's keeper. addressCodec encodes account
// addresses (bech32 "q1"); feeCollector is the module account the protocol
// share is paid to (the SDK's fee collector, which x/distribution pays out);
// authority is the account allowed to change the parameters (the governance
// module's).
func NewKeeper(
	cdc codec.BinaryCodec,
	storeService store.KVStoreService,
	addressCodec address.Codec,
	sharers types.SharersKeeper,
	services types.ServicesKeeper,
	bank types.BankKeeper,
	feeCollector string,
	authority string,
) *Keeper {
	if _, err := addressCodec.StringToBytes(authority); err != nil {
		panic(fmt.Sprintf("usage keeper authority %q is not a valid address: %v", authority, err))
	}
	if feeCollector == "" {
		panic("usage keeper: name the fee collector module account the protocol share is paid to")
	}
	sb := collections.NewSchemaBuilder(storeService)
	addrEpoch := collections.PairKeyCodec(sdk.AccAddressKey, collections.Uint64Key)
	heightName := collections.PairKeyCodec(collections.Int64Key, collections.StringKey)
	timeName := collections.PairKeyCodec(collections.Int64Key, collections.StringKey) // unix nanoseconds
	k := &Keeper{
		cdc:          cdc,
		addressCodec: addressCodec,
		authority:    authority,
		feeCollector: feeCollector,
		sharers:      sharers,
		services:     services,
		bank:         bank,

		Params:      collections.NewItem(sb, types.ParamsKey, "params", codec.CollValue[types.Params](cdc)),
		Reports:     collections.NewMap(sb, types.ReportsKey, "reports", addrEpoch, codec.CollValue[types.Report](cdc)),
		CheckTxSeen: collections.NewKeySet(sb, types.CheckTxSeenKey, "check_tx_seen", addrEpoch),
		Meters:      collections.NewMap(sb, types.MetersKey, "meters", collections.Uint64Key, codec.CollValue[types.LeaseMeter](cdc)),
		OpenMeters: collections.NewKeySet(sb, types.OpenMetersKey, "open_meters",
			collections.PairKeyCodec(collections.StringKey, collections.Uint64Key)),
		Accounts:   collections.NewMap(sb, types.AccountsKey, "accounts", collections.StringKey, codec.CollValue[types.ServiceAccount](cdc)),
		DryQueue:   collections.NewKeySet(sb, types.DryQueueKey, "dry_queue", timeName),
		LowQueue:   collections.NewKeySet(sb, types.LowQueueKey, "low_queue", timeName),
		GraceQueue: collections.NewKeySet(sb, types.GraceQueueKey, "grace_queue", heightName),
		Records: collections.NewMap(sb, types.RecordsKey, "records",
			collections.TripleKeyCodec(collections.StringKey, collections.Uint64Key, collections.Uint64Key), codec.CollValue[types.UsageRecord](cdc)),
		Earnings: collections.NewMap(sb, types.EarningsKey, "earnings",
			collections.TripleKeyCodec(sdk.AccAddressKey, collections.StringKey, collections.Uint64Key), codec.CollValue[types.Earnings](cdc)),
		ReleaseQueue: collections.NewKeySet(sb, types.ReleaseQueueKey, "release_queue",
			collections.PairKeyCodec(collections.Uint64Key, collections.StringKey)),

		AuditSeq: collections.NewSequence(sb, types.AuditSeqKey, "audit_seq"),
		Audits:   collections.NewMap(sb, types.AuditsKey, "audits", collections.Uint64Key, codec.CollValue[types.Audit](cdc)),
		AuditsByService: collections.NewKeySet(sb, types.AuditsByServiceKey, "audits_by_service",
			collections.PairKeyCodec(collections.StringKey, collections.Uint64Key)),
		AuditsBySharer: collections.NewKeySet(sb, types.AuditsBySharerKey, "audits_by_sharer",
			collections.PairKeyCodec(sdk.AccAddressKey, collections.Uint64Key)),
		AuditsByAuditor: collections.NewKeySet(sb, types.AuditsByAuditorKey, "audits_by_auditor",
			collections.PairKeyCodec(sdk.AccAddressKey, collections.Uint64Key)),
		AuditQueue: collections.NewKeySet(sb, types.AuditQueueKey, "audit_queue",
			collections.PairKeyCodec(collections.Int64Key, collections.Uint64Key)),
		DrawQueue: collections.NewMap(sb, types.DrawQueueKey, "draw_queue",
			collections.TripleKeyCodec(collections.Int64Key, collections.Uint64Key, collections.Uint64Key), collections.StringValue),
		AuditStats: collections.NewMap(sb, types.AuditStatsKey, "audit_stats", sdk.AccAddressKey, codec.CollValue[types.AuditStats](cdc)),

		RecordsByEpoch: collections.NewKeySet(sb, types.RecordsByEpochKey, "records_by_epoch",
			collections.TripleKeyCodec(collections.Uint64Key, collections.StringKey, collections.Uint64Key)),
		ReportsByEpoch: collections.NewKeySet(sb, types.ReportsByEpochKey, "reports_by_epoch",
			collections.PairKeyCodec(collections.Uint64Key, sdk.AccAddressKey)),
		EarningsByEpoch: collections.NewKeySet(sb, types.EarningsByEpochKey, "earnings_by_epoch",
			collections.TripleKeyCodec(collections.Uint64Key, sdk.AccAddressKey, collections.StringKey)),
		PrunedUsage: collections.NewMap(sb, types.PrunedUsageKey, "pruned_usage",
			collections.PairKeyCodec(collections.StringKey, sdk.AccAddressKey), codec.CollValue[types.UsageSum](cdc)),
		PrunedEarnings: collections.NewMap(sb, types.PrunedEarningsKey, "pruned_earnings",
			collections.PairKeyCodec(sdk.AccAddressKey, collections.StringKey), codec.CollValue[types.Earnings](cdc)),
		PrunedBelow: collections.NewItem(sb, types.PrunedBelowKey, "pruned_below", collections.Uint64Value),

		moduleAddr: authtypes.NewModuleAddress(types.ModuleName),
	}
	schema, err := sb.Build()
	if err != nil {
		panic(fmt.Sprintf("usage keeper schema: %v", err))
	}
	k.Schema = schema
	return k
}

// Authority returns the account allowed to change the parameters.
func (k *Keeper) Authority() string { return k.authority }

// AddressCodec returns the codec of account addresses.
func (k *Keeper) AddressCodec() address.Codec { return k.addressCodec }

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

// account checks the account address s given in the msg or query field
// named field with q1address.ParseAccount, the one check of an account
// address that the manifest, genesis, the node and the CLI also use, and
// returns it (a valid address is already canonical: lowercase) with its
// bytes. The SDK's bech32 codec alone would also take an all-uppercase
// address and a payload of any length from 1 to 255 bytes, which every
// other place refuses.
func (k *Keeper) account(field, s string) (string, sdk.AccAddress, error) {
	bz, err := q1address.ParseAccount(s)
	if err != nil {
		return "", nil, errorsmod.Wrapf(types.ErrInvalidAddress, "%s: %v", field, err)
	}
	return s, bz, nil
}

// GetReport returns sharer's report for epoch, or an error wrapping
// types.ErrReportNotFound.
func (k *Keeper) GetReport(ctx context.Context, sharer string, epoch uint64) (types.Report, error) {
	_, bz, err := k.account("sharer", sharer)
	if err != nil {
		return types.Report{}, err
	}
	r, err := k.Reports.Get(ctx, collections.Join(bz, epoch))
	if errors.Is(err, collections.ErrNotFound) {
		if below, err := k.prunedBelow(ctx); err == nil && epoch < below {
			return types.Report{}, errorsmod.Wrapf(types.ErrReportNotFound,
				"sharer %s has no report for epoch %d in state: the epochs below %d are pruned (params.retention_epochs)", sharer, epoch, below)
		}
		return types.Report{}, errorsmod.Wrapf(types.ErrReportNotFound, "sharer %s has no report for epoch %d", sharer, epoch)
	}
	if err != nil {
		return types.Report{}, fmt.Errorf("read report of %s for epoch %d: %w", sharer, epoch, err)
	}
	return r, nil
}

// HasReport reports whether the sharer at raw address bz reported epoch.
func (k *Keeper) HasReport(ctx context.Context, bz sdk.AccAddress, epoch uint64) (bool, error) {
	has, err := k.Reports.Has(ctx, collections.Join(bz, epoch))
	if err != nil {
		return false, fmt.Errorf("read report of %s for epoch %d: %w", bz, epoch, err)
	}
	return has, nil
}

// emit emits a typed event on ctx's event manager.
func emit(ctx context.Context, ev proto.Message) error {
	if err := sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(ev); err != nil {
		return fmt.Errorf("emit %T: %w", ev, err)
	}
	return nil
}
