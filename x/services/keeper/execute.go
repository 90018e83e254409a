package keeper

import (
	"context"
	"fmt"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/quantum1net/q1/x/services/types"
)

// activate makes an approved update the service's current version.
func (k *Keeper) activate(ctx context.Context, l *live, p *types.Proposal) error {
	next := p.Spec // decoded when the proposal was accepted
	if next == nil {
		return fmt.Errorf("proposal %d of service %s carries no spec of its manifest", p.Id, l.svc.Name)
	}
	height := sdk.UnwrapSDKContext(ctx).BlockHeight()
	prev := l.svc.CurrentVersion
	v := types.Version{
		Service:         l.svc.Name,
		Number:          prev + 1,
		Manifest:        p.Manifest,
		Hash:            p.Hash,
		Proposer:        p.Proposer,
		Approvers:       p.Approvals,
		ProposedHeight:  p.ProposedHeight,
		ActivatedHeight: height,
		ProposalId:      p.Id,
		Origin:          types.OriginUpdate,
	}
	if err := k.Versions.Set(ctx, collections.Join(v.Service, v.Number), v); err != nil {
		return fmt.Errorf("write version %d of service %s: %w", v.Number, v.Service, err)
	}
	if err := k.Specs.Set(ctx, collections.Join(v.Service, v.Number), *next); err != nil {
		return fmt.Errorf("write the spec of version %d of service %s: %w", v.Number, v.Service, err)
	}
	l.svc.CurrentVersion = v.Number
	l.svc.PendingProposalId = 0
	p.Status = types.ProposalExecuted
	p.ClosedHeight = height
	if err := k.save(ctx, &l.svc, p); err != nil {
		return err
	}
	if err := k.hooksOrNone().AfterVersionActivated(ctx, l.svc.Name, l.spec, next); err != nil {
		return fmt.Errorf("hooks after version %d of service %s: %w", v.Number, v.Service, err)
	}
	return emit(ctx, &types.EventVersionActivated{
		Service: v.Service, Version: v.Number, Hash: v.Hash, ProposalId: p.Id, PreviousVersion: prev,
	})
}

// executeWithdraw pays an approved withdrawal out of the escrow. It takes
// at most the escrow balance minus what the service owes.
func (k *Keeper) executeWithdraw(ctx context.Context, l *live, p *types.Proposal) error {
	if err := k.escrowHooks.BeforeEscrowWithdrawn(ctx, l.svc.Name); err != nil {
		return fmt.Errorf("settle service %s before the withdrawal: %w", l.svc.Name, err)
	}
	if err := k.checkAvailable(ctx, l.svc.Name, p.Amount); err != nil {
		return err
	}
	_, to, err := k.account("to", p.To)
	if err != nil {
		return err
	}
	denom, bal, err := k.debit(ctx, l.svc.Name, p.Amount)
	if err != nil {
		return err
	}
	if err := k.bank.SendCoinsFromModuleToAccount(ctx, types.ModuleName, to, sdk.NewCoins(sdk.NewCoin(denom, p.Amount))); err != nil {
		return errorsmod.Wrapf(err, "withdraw %s%s from the escrow of service %s to %s", p.Amount, denom, l.svc.Name, p.To)
	}
	if err := k.escrowHooks.AfterEscrowWithdrawn(ctx, l.svc.Name, p.Amount); err != nil {
		return fmt.Errorf("hooks after the withdrawal from service %s: %w", l.svc.Name, err)
	}
	p.Status = types.ProposalExecuted
	p.ClosedHeight = sdk.UnwrapSDKContext(ctx).BlockHeight()
	l.svc.PendingProposalId = 0
	if err := k.save(ctx, &l.svc, p); err != nil {
		return err
	}
	return emit(ctx, &types.EventEscrowWithdrawn{
		Service: l.svc.Name, ProposalId: p.Id, To: p.To, Amount: p.Amount, Balance: bal,
	})
}

// checkAvailable refuses to take amount from service name's escrow when it
// exceeds the balance minus what the service owes.
func (k *Keeper) checkAvailable(ctx context.Context, name string, amount math.Int) error {
	available, owed, err := k.EscrowAvailable(ctx, name)
	if err != nil {
		return err
	}
	if amount.GT(available) {
		params, err := k.Params.Get(ctx)
		if err != nil {
			return fmt.Errorf("read params: %w", err)
		}
		d := params.Denom
		return errorsmod.Wrapf(types.ErrInsufficientEscrow,
			"service %s can withdraw at most %s%s (escrow balance minus %s%s owed), not %s%s",
			name, available, d, owed, d, amount, d)
	}
	return nil
}

// executeDelete deletes the service for good: its status becomes deleted,
// its name, versions and proposals stay, and its escrow, less what it owes,
// is paid to the proposal's refund account. What it owes (rent, and the
// most that usage reports still inside the report window may charge) stays
// in escrow; x/usage releases the rest with RefundHeldBack when the window
// closes.
func (k *Keeper) executeDelete(ctx context.Context, l *live, p *types.Proposal) error {
	refund, err := k.refund(ctx, l.svc.Name, "refund_to", p.To)
	if err != nil {
		return err
	}
	held, err := k.EscrowBalance(ctx, l.svc.Name)
	if err != nil {
		return err
	}
	height := sdk.UnwrapSDKContext(ctx).BlockHeight()
	l.svc.Status = types.StatusDeleted
	l.svc.DeletedHeight = height
	l.svc.RefundTo = p.To
	l.svc.Pause = nil
	l.svc.PendingProposalId = 0
	p.Status = types.ProposalExecuted
	p.ClosedHeight = height
	if err := k.save(ctx, &l.svc, p); err != nil {
		return err
	}
	if err := k.hooksOrNone().AfterServiceDeleted(ctx, l.svc.Name); err != nil {
		return fmt.Errorf("hooks after deleting service %s: %w", l.svc.Name, err)
	}
	return emit(ctx, &types.EventServiceDeleted{Service: l.svc.Name, ProposalId: p.Id, RefundTo: p.To, Refund: refund, HeldBack: held})
}

// RefundHeldBack pays deleted service name's escrow, less what it still
// owes, to the account its deletion named (its creator when the chain
// deleted it): x/usage calls it once the report window that the deletion
// kept money back for has closed. It returns what it paid.
func (k *Keeper) RefundHeldBack(ctx context.Context, name string) (math.Int, error) {
	svc, err := k.GetService(ctx, name)
	if err != nil {
		return math.Int{}, err
	}
	if svc.Status != types.StatusDeleted {
		return math.Int{}, errorsmod.Wrapf(types.ErrInvalidRequest, "service %s is %s, not deleted: its escrow is not released", name, svc.Status)
	}
	to := svc.RefundTo
	if to == "" {
		to = svc.Creator
	}
	refund, err := k.refund(ctx, name, "refund_to", to)
	if err != nil {
		return math.Int{}, err
	}
	return refund, emit(ctx, &types.EventEscrowReleased{Service: name, RefundTo: to, Refund: refund})
}

// refund pays service name's escrow, less what it owes (settled first by
// the escrow hooks), to the account toAddr named in field, and returns what
// it paid. What is owed stays in escrow for its creditors.
func (k *Keeper) refund(ctx context.Context, name, field, toAddr string) (math.Int, error) {
	if err := k.escrowHooks.BeforeEscrowWithdrawn(ctx, name); err != nil {
		return math.Int{}, fmt.Errorf("settle service %s before the refund: %w", name, err)
	}
	refund, _, err := k.EscrowAvailable(ctx, name)
	if err != nil {
		return math.Int{}, err
	}
	if !refund.IsPositive() {
		return refund, nil
	}
	_, to, err := k.account(field, toAddr)
	if err != nil {
		return math.Int{}, err
	}
	denom, _, err := k.debit(ctx, name, refund)
	if err != nil {
		return math.Int{}, err
	}
	if err := k.bank.SendCoinsFromModuleToAccount(ctx, types.ModuleName, to, sdk.NewCoins(sdk.NewCoin(denom, refund))); err != nil {
		return math.Int{}, errorsmod.Wrapf(err, "refund %s%s from the escrow of service %s to %s", refund, denom, name, toAddr)
	}
	if err := k.escrowHooks.AfterEscrowWithdrawn(ctx, name, refund); err != nil {
		return math.Int{}, fmt.Errorf("hooks after the refund from service %s: %w", name, err)
	}
	return refund, nil
}
