package keeper

import (
	"context"
	"fmt"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/quantum1net/q1/x/sharers/types"
)

// AddCollateral implements types.MsgServer.
func (s msgServer) AddCollateral(ctx context.Context, msg *types.MsgAddCollateral) (*types.MsgAddCollateralResponse, error) {
	k := s.k
	sh, bz, err := k.registered(ctx, "sharer", msg.Sharer)
	if err != nil {
		return nil, err
	}
	p, err := k.GetParams(ctx)
	if err != nil {
		return nil, err
	}
	if msg.Amount.IsNil() || !msg.Amount.IsPositive() {
		return nil, errorsmod.Wrapf(types.ErrInvalidAmount, "amount of collateral to add must be positive, got %v", msg.Amount)
	}
	if err := k.bank.SendCoinsFromAccountToModule(ctx, bz, types.ModuleName, sdk.NewCoins(sdk.NewCoin(p.Denom, msg.Amount))); err != nil {
		return nil, errorsmod.Wrapf(err, "lock %s%s of collateral from %s", msg.Amount, p.Denom, sh.Address)
	}
	old := sh
	sh.Collateral = sh.Collateral.Add(msg.Amount)
	if err := k.putSharer(ctx, &old, &sh); err != nil {
		return nil, err
	}
	if err := k.markCapacityChanged(ctx); err != nil { // may now meet a service's minCollateral
		return nil, err
	}
	if err := emit(ctx, &types.EventCollateralAdded{Sharer: sh.Address, Amount: msg.Amount, Collateral: sh.Collateral}); err != nil {
		return nil, err
	}
	return &types.MsgAddCollateralResponse{Collateral: sh.Collateral}, nil
}

// WithdrawCollateral implements types.MsgServer: a registered sharer may take
// what is above its locked collateral (see lockedCollateral), a deregistered
// one everything; the record of a deregistered sharer left with nothing is
// deleted.
func (s msgServer) WithdrawCollateral(ctx context.Context, msg *types.MsgWithdrawCollateral) (*types.MsgWithdrawCollateralResponse, error) {
	k := s.k
	addr, bz, err := k.account("sharer", msg.Sharer)
	if err != nil {
		return nil, err
	}
	sh, err := k.getSharer(ctx, bz)
	if err != nil {
		return nil, err
	}
	p, err := k.GetParams(ctx)
	if err != nil {
		return nil, err
	}
	if msg.Amount.IsNil() || !msg.Amount.IsPositive() {
		return nil, errorsmod.Wrapf(types.ErrInvalidAmount, "amount of collateral to withdraw must be positive, got %v", msg.Amount)
	}
	locked, why, err := k.lockedCollateral(ctx, p, &sh)
	if err != nil {
		return nil, err
	}
	available := sh.Collateral.Sub(locked)
	if available.IsNegative() {
		available = math.ZeroInt()
	}
	if msg.Amount.GT(available) {
		d := p.Denom
		return nil, errorsmod.Wrapf(types.ErrCollateralLocked,
			"sharer %s holds %s%s of collateral, %s%s of it locked (%s); it can withdraw at most %s%s now, not %s%s (deregister to withdraw everything)",
			addr, sh.Collateral, d, locked, d, why, available, d, msg.Amount, d)
	}
	if err := k.bank.SendCoinsFromModuleToAccount(ctx, types.ModuleName, bz, sdk.NewCoins(sdk.NewCoin(p.Denom, msg.Amount))); err != nil {
		return nil, errorsmod.Wrapf(err, "return %s%s of collateral to %s", msg.Amount, p.Denom, addr)
	}
	old := sh
	sh.Collateral = sh.Collateral.Sub(msg.Amount)
	next := &sh
	if !sh.Registered() && sh.Collateral.IsZero() {
		next = nil
	}
	if err := k.putSharer(ctx, &old, next); err != nil {
		return nil, err
	}
	if err := emit(ctx, &types.EventCollateralWithdrawn{Sharer: addr, Amount: msg.Amount, Collateral: sh.Collateral}); err != nil {
		return nil, err
	}
	return &types.MsgWithdrawCollateralResponse{Collateral: sh.Collateral}, nil
}

// AckLease implements types.MsgServer. The node's hot key sends it inside an
// authz MsgExec; authz has already checked the sharer's grant.
func (s msgServer) AckLease(ctx context.Context, msg *types.MsgAckLease) (*types.MsgAckLeaseResponse, error) {
	k := s.k
	addr, _, err := k.account("sharer", msg.Sharer)
	if err != nil {
		return nil, err
	}
	l, err := k.GetLease(ctx, msg.LeaseId)
	if err != nil {
		return nil, err
	}
	switch {
	case l.Sharer != addr:
		return nil, errorsmod.Wrapf(types.ErrNotLeaseHolder, "lease %d of service %s is held by sharer %s, not %s", l.Id, l.Service, l.Sharer, addr)
	case !l.IsOpen():
		return nil, errorsmod.Wrapf(types.ErrLeaseClosed, "lease %d of service %s closed at height %d (%s); nothing to acknowledge", l.Id, l.Service, l.ClosedHeight, l.CloseReason.Label())
	case l.IsAcked():
		return nil, errorsmod.Wrapf(types.ErrAlreadyAcked, "lease %d of service %s was acknowledged at height %d", l.Id, l.Service, l.AckedHeight)
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	l.AckedHeight, l.AckedTime = sdkCtx.BlockHeight(), sdkCtx.BlockTime()
	if err := k.Leases.Set(ctx, l.Id, l); err != nil {
		return nil, fmt.Errorf("write lease %d: %w", l.Id, err)
	}
	if err := k.AckQueue.Remove(ctx, collections.Join(l.AckDeadline, l.Id)); err != nil {
		return nil, fmt.Errorf("unschedule ack deadline of lease %d: %w", l.Id, err)
	}
	if err := k.hooksOrNone().AfterLeaseAcked(ctx, l); err != nil {
		return nil, fmt.Errorf("hooks after acknowledging lease %d: %w", l.Id, err)
	}
	if err := emit(ctx, &types.EventLeaseAcked{LeaseId: l.Id, Service: l.Service, Sharer: l.Sharer}); err != nil {
		return nil, err
	}
	return &types.MsgAckLeaseResponse{}, nil
}

// UpdateParams implements types.MsgServer: only the governance authority
// may change the parameters, and the denom only while no collateral is held.
func (s msgServer) UpdateParams(ctx context.Context, msg *types.MsgUpdateParams) (*types.MsgUpdateParamsResponse, error) {
	k := s.k
	if msg.Authority != k.authority {
		return nil, errorsmod.Wrapf(types.ErrUnauthorized, "%s: not the authority (%s); the parameters change only through governance", msg.Authority, k.authority)
	}
	if err := msg.Params.Validate(); err != nil {
		return nil, errorsmod.Wrap(types.ErrInvalidParams, err.Error())
	}
	cur, err := k.GetParams(ctx)
	if err != nil {
		return nil, err
	}
	if msg.Params.Denom != cur.Denom {
		if held := k.bank.GetBalance(ctx, k.moduleAddr, cur.Denom); held.IsPositive() {
			return nil, errorsmod.Wrapf(types.ErrInvalidParams, "params.denom cannot change from %s to %s: %s of collateral is held", cur.Denom, msg.Params.Denom, held)
		}
	}
	if err := k.Params.Set(ctx, msg.Params); err != nil {
		return nil, fmt.Errorf("write params: %w", err)
	}
	if err := emit(ctx, &types.EventParamsUpdated{Params: msg.Params}); err != nil {
		return nil, err
	}
	return &types.MsgUpdateParamsResponse{}, nil
}
