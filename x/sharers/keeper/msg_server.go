package keeper

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/quantum1net/q1/x/sharers/types"
)

// msgServer implements types.MsgServer. Each method validates its msg,
// checks it against the sharer's record, changes state and emits a typed
// event; the msgs have no ValidateBasic.
type msgServer struct {
	k *Keeper
}

var _ types.MsgServer = msgServer{}

// NewMsgServerImpl returns the module's Msg service over k.
func NewMsgServerImpl(k *Keeper) types.MsgServer {
	return msgServer{k: k}
}

// checkOffer canonicalizes and validates an offer under params p.
func (k *Keeper) checkOffer(p types.Params, o types.Offer) (types.Offer, error) {
	hot, _, err := k.account("offer.hot_key", o.HotKey)
	if err != nil {
		return types.Offer{}, errorsmod.Wrap(err, "the hot key is the node's account that sends usage reports and lease acks under the sharer's authz grants")
	}
	o.HotKey = hot
	owners := make([]string, len(o.Deny.Owners))
	for i, owner := range o.Deny.Owners {
		if owners[i], _, err = k.account(fmt.Sprintf("offer.deny.owners[%d]", i), owner); err != nil {
			return types.Offer{}, err
		}
	}
	o.Deny.Owners = owners
	return o.Normalized(p.AllowPrivateEndpoints)
}

// RegisterSharer implements types.MsgServer.
func (s msgServer) RegisterSharer(ctx context.Context, msg *types.MsgRegisterSharer) (*types.MsgRegisterSharerResponse, error) {
	k := s.k
	addr, bz, err := k.account("sharer", msg.Sharer)
	if err != nil {
		return nil, err
	}
	p, err := k.GetParams(ctx)
	if err != nil {
		return nil, err
	}
	offer, err := k.checkOffer(p, msg.Offer)
	if err != nil {
		return nil, err
	}
	if msg.Collateral.IsNil() || msg.Collateral.IsNegative() {
		return nil, errorsmod.Wrapf(types.ErrInvalidAmount, "collateral must be zero or more %s, got %v", p.Denom, msg.Collateral)
	}
	var old *types.Sharer
	held := math.ZeroInt()
	switch prev, err := k.Sharers.Get(ctx, bz); {
	case err == nil && prev.Registered():
		return nil, errorsmod.Wrapf(types.ErrAlreadyRegistered, "%s is already registered (since height %d); change its offer with MsgUpdateSharer", addr, prev.RegisteredHeight)
	case err == nil:
		old, held = &prev, prev.Collateral
	case !errors.Is(err, collections.ErrNotFound):
		return nil, fmt.Errorf("read sharer %s: %w", addr, err)
	}
	total := held.Add(msg.Collateral)
	if total.LT(p.MinCollateral) {
		return nil, errorsmod.Wrapf(types.ErrInsufficientCollateral,
			"registering needs at least %s%s of collateral (params.min_collateral); %s offers %s%s (and already holds %s%s)",
			p.MinCollateral, p.Denom, addr, msg.Collateral, p.Denom, held, p.Denom)
	}
	if msg.Collateral.IsPositive() {
		if err := k.bank.SendCoinsFromAccountToModule(ctx, bz, types.ModuleName, sdk.NewCoins(sdk.NewCoin(p.Denom, msg.Collateral))); err != nil {
			return nil, errorsmod.Wrapf(err, "lock %s%s of collateral from %s", msg.Collateral, p.Denom, addr)
		}
	}
	cur, err := k.CurrentEpoch(ctx)
	if err != nil {
		return nil, err
	}
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	sh := types.Sharer{
		Address: addr, Endpoint: offer.Endpoint, Capacity: offer.Capacity, Attributes: offer.Attributes,
		Prices: offer.Prices, Deny: offer.Deny, Collateral: total, HotKey: offer.HotKey,
		Status: types.SharerActive, LastReportedEpoch: max(cur.Number, 1) - 1,
		RegisteredHeight: h, UpdatedHeight: h,
	}
	if err := k.putSharer(ctx, old, &sh); err != nil {
		return nil, err
	}
	if err := k.markCapacityChanged(ctx); err != nil {
		return nil, err
	}
	if err := emit(ctx, &types.EventSharerRegistered{
		Sharer: addr, Endpoint: sh.Endpoint, Capacity: sh.Capacity, Prices: sh.Prices, HotKey: sh.HotKey, Collateral: total,
	}); err != nil {
		return nil, err
	}
	return &types.MsgRegisterSharerResponse{}, nil
}

// registered returns the record of a registered sharer, refusing an unknown
// or deregistered one.
func (k *Keeper) registered(ctx context.Context, field, addr string) (types.Sharer, sdk.AccAddress, error) {
	canon, bz, err := k.account(field, addr)
	if err != nil {
		return types.Sharer{}, nil, err
	}
	sh, err := k.getSharer(ctx, bz)
	if err != nil {
		return types.Sharer{}, nil, err
	}
	if !sh.Registered() {
		return types.Sharer{}, nil, errorsmod.Wrapf(types.ErrNotRegistered,
			"sharer %s deregistered at height %d; register it again with MsgRegisterSharer", canon, sh.UpdatedHeight)
	}
	return sh, bz, nil
}

// UpdateSharer implements types.MsgServer. The offer is replaced whole;
// capacity may not shrink below what open leases reserve. Setting drain
// stops new leases and queues the sharer's services so their replicas move;
// a changed deny list or attributes queue them to be checked again.
func (s msgServer) UpdateSharer(ctx context.Context, msg *types.MsgUpdateSharer) (*types.MsgUpdateSharerResponse, error) {
	k := s.k
	sh, bz, err := k.registered(ctx, "sharer", msg.Sharer)
	if err != nil {
		return nil, err
	}
	p, err := k.GetParams(ctx)
	if err != nil {
		return nil, err
	}
	offer, err := k.checkOffer(p, msg.Offer)
	if err != nil {
		return nil, err
	}
	if err := checkShrink(&sh, offer.Capacity); err != nil {
		return nil, err
	}
	old := sh
	sh.Endpoint, sh.Capacity, sh.Attributes, sh.Prices, sh.Deny, sh.HotKey =
		offer.Endpoint, offer.Capacity, offer.Attributes, offer.Prices, offer.Deny, offer.HotKey
	sh.Draining = msg.Drain
	sh.UpdatedHeight = sdk.UnwrapSDKContext(ctx).BlockHeight()
	if err := k.putSharer(ctx, &old, &sh); err != nil {
		return nil, err
	}
	recheck := (sh.Draining && !old.Draining) ||
		!slices.Equal(sh.Attributes, old.Attributes) ||
		!slices.Equal(sh.Deny.Services, old.Deny.Services) || !slices.Equal(sh.Deny.Owners, old.Deny.Owners)
	if recheck {
		services, err := k.servicesOfSharer(ctx, bz)
		if err != nil {
			return nil, err
		}
		for _, name := range services {
			if err := k.enqueue(ctx, name); err != nil {
				return nil, err
			}
		}
	}
	if err := k.markCapacityChanged(ctx); err != nil {
		return nil, err
	}
	if err := emit(ctx, &types.EventSharerUpdated{
		Sharer: sh.Address, Endpoint: sh.Endpoint, Capacity: sh.Capacity, Prices: sh.Prices, HotKey: sh.HotKey, Draining: sh.Draining,
	}); err != nil {
		return nil, err
	}
	return &types.MsgUpdateSharerResponse{}, nil
}

// checkShrink refuses a capacity below what sh's open leases reserve.
func checkShrink(sh *types.Sharer, c types.Capacity) error {
	for _, r := range []struct {
		name       string
		want, used uint64
	}{
		{"milli_cpu", c.MilliCpu, sh.Used.MilliCpu},
		{"memory_bytes", c.MemoryBytes, sh.Used.MemoryBytes},
		{"storage_bytes", c.StorageBytes, sh.Used.StorageBytes},
	} {
		if r.want < r.used {
			return errorsmod.Wrapf(types.ErrCapacityInUse,
				"capacity.%s %d is below the %d its %d open leases reserve on sharer %s; set drain (or wait for leases to close) before shrinking",
				r.name, r.want, r.used, sh.Leases, sh.Address)
		}
	}
	return nil
}

// DeregisterSharer implements types.MsgServer. It is refused while the
// sharer holds leases; its collateral may then be withdrawn in full.
func (s msgServer) DeregisterSharer(ctx context.Context, msg *types.MsgDeregisterSharer) (*types.MsgDeregisterSharerResponse, error) {
	k := s.k
	sh, _, err := k.registered(ctx, "sharer", msg.Sharer)
	if err != nil {
		return nil, err
	}
	if sh.Leases > 0 {
		if sh.Draining {
			return nil, errorsmod.Wrapf(types.ErrHasLeases,
				"sharer %s is draining but still holds %d open leases waiting for other sharers to take them; deregister once none remain (query its leases)",
				sh.Address, sh.Leases)
		}
		return nil, errorsmod.Wrapf(types.ErrHasLeases,
			"sharer %s holds %d open leases; send MsgUpdateSharer with drain set so they are placed elsewhere, then deregister once none remain",
			sh.Address, sh.Leases)
	}
	old := sh
	sh.Status, sh.Draining = types.SharerDeregistered, false
	sh.UpdatedHeight = sdk.UnwrapSDKContext(ctx).BlockHeight()
	next := &sh
	if sh.Collateral.IsZero() {
		next = nil // nothing left to withdraw: forget it
	}
	if err := k.putSharer(ctx, &old, next); err != nil {
		return nil, err
	}
	if err := emit(ctx, &types.EventSharerDeregistered{Sharer: sh.Address, Collateral: sh.Collateral}); err != nil {
		return nil, err
	}
	return &types.MsgDeregisterSharerResponse{}, nil
}
