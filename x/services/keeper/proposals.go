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

// The governance rules every proposal kind shares:
//
//   - Only an owner of the current version proposes, approves or cancels.
//   - A service has at most one pending proposal.
//   - The proposal needs the current version's owners.threshold of distinct
//     owners' approvals, each naming the proposal's id and hash. Proposing
//     counts as the proposer's approval, so with threshold 1 a proposal is
//     approved the moment it is made.
//   - An approved WITHDRAW or DELETE executes at once. An approved UPDATE
//     activates at proposed height + the current noticeBlocks (at once if
//     that height has passed); until then it stays pending and visible to
//     anyone who queries the service.
//   - A proposal can be cancelled by any owner until it is approved; an
//     approved update is final and activates at its height.

// canPropose checks that proposer may open a proposal on the service now.
func canPropose(l *live, proposer string) error {
	if err := requireOwner(l.spec, l.svc.Name, proposer); err != nil {
		return err
	}
	if id := l.svc.PendingProposalId; id != 0 {
		return errorsmod.Wrapf(types.ErrProposalPending, "service %s already has pending proposal %d; cancel it or wait", l.svc.Name, id)
	}
	return nil
}

// submit records p (kind, hash, proposer and payload filled in by the
// caller) as the service's pending proposal, counts the proposer's approval
// and, when that reaches the threshold, carries it out.
func (k *Keeper) submit(ctx context.Context, l *live, p types.Proposal) (types.Proposal, error) {
	if err := canPropose(l, p.Proposer); err != nil {
		return p, err
	}
	id, err := k.NextProposalID.Next(ctx)
	if err == nil && id == 0 { // ids start at 1: 0 means "none"
		id, err = k.NextProposalID.Next(ctx)
	}
	if err != nil {
		return p, fmt.Errorf("next proposal id: %w", err)
	}
	p.Id = id
	p.Service = l.svc.Name
	p.ProposedHeight = sdk.UnwrapSDKContext(ctx).BlockHeight()
	p.BaseVersion = l.svc.CurrentVersion
	p.Threshold = l.spec.Permissions.Owners.Threshold
	p.Approvals = []string{p.Proposer}
	p.Status = types.ProposalPending
	if p.Amount.IsNil() {
		p.Amount = math.ZeroInt()
	}
	l.svc.PendingProposalId = id

	if err := emit(ctx, &types.EventProposalSubmitted{
		Service: p.Service, ProposalId: id, Kind: p.Kind, Hash: p.Hash, Proposer: p.Proposer,
		Threshold: p.Threshold, ActivationHeight: p.ActivationHeight,
	}); err != nil {
		return p, err
	}
	if err := emitApproval(ctx, &p, p.Proposer); err != nil {
		return p, err
	}
	return p, k.afterApproval(ctx, l, &p)
}

// approve adds approver's approval to proposal id of service name, which
// must carry hash, and carries the proposal out if that reaches the
// threshold.
func (k *Keeper) approve(ctx context.Context, approver, name string, id uint64, hash string) (types.Proposal, error) {
	l, p, err := k.loadPending(ctx, name, id)
	if err != nil {
		return p, err
	}
	if p.Hash != hash {
		return p, errorsmod.Wrapf(types.ErrHashMismatch, "proposal %d of service %s has hash %s, not %s", id, name, p.Hash, hash)
	}
	if err := requireOwner(l.spec, name, approver); err != nil {
		return p, err
	}
	if p.HasApproval(approver) {
		return p, errorsmod.Wrapf(types.ErrAlreadyApproved, "%s already approved proposal %d of service %s (%d of %d approvals)",
			approver, id, name, len(p.Approvals), p.Threshold)
	}
	if p.IsApproved() {
		return p, errorsmod.Wrapf(types.ErrAlreadyApproved, "proposal %d of service %s already has its %d approvals (since height %d); it activates at height %d",
			id, name, p.Threshold, p.ApprovedHeight, p.ActivationHeight)
	}
	p.Approvals = append(p.Approvals, approver)
	if err := emitApproval(ctx, &p, approver); err != nil {
		return p, err
	}
	return p, k.afterApproval(ctx, l, &p)
}

// cancel closes proposal id of service name before it is approved.
func (k *Keeper) cancel(ctx context.Context, signer, name string, id uint64) error {
	l, p, err := k.loadPending(ctx, name, id)
	if err != nil {
		return err
	}
	if err := requireOwner(l.spec, name, signer); err != nil {
		return err
	}
	if p.IsApproved() {
		return errorsmod.Wrapf(types.ErrProposalClosed, "proposal %d of service %s was approved at height %d and activates at height %d; it can no longer be cancelled",
			id, name, p.ApprovedHeight, p.ActivationHeight)
	}
	p.Status = types.ProposalCancelled
	p.CancelledBy = signer
	p.ClosedHeight = sdk.UnwrapSDKContext(ctx).BlockHeight()
	l.svc.PendingProposalId = 0
	if err := k.save(ctx, &l.svc, &p); err != nil {
		return err
	}
	return emit(ctx, &types.EventProposalCancelled{Service: name, ProposalId: id, By: signer})
}

// loadPending loads service name for a change and its pending proposal id.
func (k *Keeper) loadPending(ctx context.Context, name string, id uint64) (*live, types.Proposal, error) {
	l, err := k.loadLive(ctx, name)
	if err != nil {
		return nil, types.Proposal{}, err
	}
	p, err := k.GetProposal(ctx, id)
	if err != nil {
		return nil, p, err
	}
	if p.Service != name {
		return nil, p, errorsmod.Wrapf(types.ErrInvalidRequest, "proposal %d belongs to service %s, not %s", id, p.Service, name)
	}
	if p.Status != types.ProposalPending {
		return nil, p, errorsmod.Wrapf(types.ErrProposalClosed, "proposal %d of service %s is %s (closed at height %d)", id, name, p.Status.Label(), p.ClosedHeight)
	}
	return l, p, nil
}

// afterApproval saves p after an approval and, once the threshold is
// reached, executes a withdrawal or deletion, or activates or schedules an
// update.
func (k *Keeper) afterApproval(ctx context.Context, l *live, p *types.Proposal) error {
	if !p.IsApproved() {
		return k.save(ctx, &l.svc, p)
	}
	height := sdk.UnwrapSDKContext(ctx).BlockHeight()
	p.ApprovedHeight = height
	switch p.Kind {
	case types.KindUpdate:
		if height >= p.ActivationHeight {
			return k.activate(ctx, l, p)
		}
		if err := k.ActivationQueue.Set(ctx, collections.Join(p.ActivationHeight, p.Id)); err != nil {
			return fmt.Errorf("schedule proposal %d: %w", p.Id, err)
		}
		return k.save(ctx, &l.svc, p)
	case types.KindWithdraw:
		return k.executeWithdraw(ctx, l, p)
	case types.KindDelete:
		return k.executeDelete(ctx, l, p)
	default:
		return fmt.Errorf("proposal %d has unknown kind %v", p.Id, p.Kind)
	}
}

// save writes a service and a proposal that changed together.
func (k *Keeper) save(ctx context.Context, svc *types.Service, p *types.Proposal) error {
	if err := k.Services.Set(ctx, svc.Name, *svc); err != nil {
		return fmt.Errorf("write service %s: %w", svc.Name, err)
	}
	if err := k.Proposals.Set(ctx, p.Id, *p); err != nil {
		return fmt.Errorf("write proposal %d: %w", p.Id, err)
	}
	return nil
}

func emitApproval(ctx context.Context, p *types.Proposal, approver string) error {
	return emit(ctx, &types.EventProposalApproved{
		Service: p.Service, ProposalId: p.Id, Hash: p.Hash, Approver: approver,
		Approvals: uint32(len(p.Approvals)), Threshold: p.Threshold,
	})
}
