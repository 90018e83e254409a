package keeper

import (
	"context"
	"fmt"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/quantum1net/q1/x/services/types"
)

// The depletion lifecycle, driven by the module that charges escrows
// (x/usage): an escrow that runs dry pauses its service (or deletes it, as
// policies.budget.onDepletion says), a deposit that covers enough burn
// resumes it, and a grace period that passes deletes it. Each change runs
// the same hooks and emits the same events as the owners' msgs.

// PauseForDepletion pauses active service name because its escrow ran dry:
// the pause records reason depletion and no signer, the hooks close its
// leases (x/sharers keeps its sharers as preferred for a resume), and only
// a deposit resumes it (ResumeAfterDeposit).
func (k *Keeper) PauseForDepletion(ctx context.Context, name string) error {
	svc, err := k.GetService(ctx, name)
	if err != nil {
		return err
	}
	if svc.Status != types.StatusActive {
		return errorsmod.Wrapf(types.ErrWrongStatus, "service %s is %s, not active; only an active service is paused when its escrow runs dry", name, statusWord(svc.Status))
	}
	svc.Status = types.StatusPaused
	svc.Pause = &types.Pause{Reason: types.PauseReasonDepletion, Height: sdk.UnwrapSDKContext(ctx).BlockHeight()}
	if err := k.Services.Set(ctx, name, svc); err != nil {
		return fmt.Errorf("write service %s: %w", name, err)
	}
	if err := k.hooksOrNone().AfterServicePaused(ctx, name, types.PauseReasonDepletion); err != nil {
		return fmt.Errorf("hooks after pausing service %s: %w", name, err)
	}
	return emit(ctx, &types.EventServicePaused{Service: name, Reason: types.PauseReasonDepletion})
}

// ResumeAfterDeposit resumes service name, paused because its escrow ran
// dry, once a deposit covers enough burn (the caller decides how much).
// The hooks place it again, on the sharers that held it where they still
// qualify.
func (k *Keeper) ResumeAfterDeposit(ctx context.Context, name string) error {
	svc, err := k.GetService(ctx, name)
	if err != nil {
		return err
	}
	if svc.Status != types.StatusPaused || svc.Pause == nil || svc.Pause.Reason != types.PauseReasonDepletion {
		return errorsmod.Wrapf(types.ErrWrongStatus, "service %s is %s, not paused because its escrow ran dry; a deposit resumes only such a service", name, statusWord(svc.Status))
	}
	svc.Status = types.StatusActive
	svc.Pause = nil
	if err := k.Services.Set(ctx, name, svc); err != nil {
		return fmt.Errorf("write service %s: %w", name, err)
	}
	if err := k.hooksOrNone().AfterServiceResumed(ctx, name); err != nil {
		return fmt.Errorf("hooks after resuming service %s: %w", name, err)
	}
	return emit(ctx, &types.EventServiceResumed{Service: name})
}

// DeleteForDepletion deletes service name for good because its escrow ran
// dry: at once under policies.budget.onDepletion delete, or when its grace
// period passed unresumed. Like a deletion its owners approve, the name,
// versions and proposals stay; a pending proposal fails with reason; what
// is left in escrow beyond what the service owes is refunded to its
// creator.
func (k *Keeper) DeleteForDepletion(ctx context.Context, name, reason string) error {
	svc, err := k.GetService(ctx, name)
	if err != nil {
		return err
	}
	if svc.Status == types.StatusDeleted {
		return errorsmod.Wrapf(types.ErrServiceDeleted, "service %s was deleted at height %d already", name, svc.DeletedHeight)
	}
	height := sdk.UnwrapSDKContext(ctx).BlockHeight()
	if id := svc.PendingProposalId; id != 0 {
		p, err := k.GetProposal(ctx, id)
		if err != nil {
			return err
		}
		if p.Kind == types.KindUpdate {
			if err := k.ActivationQueue.Remove(ctx, collections.Join(p.ActivationHeight, id)); err != nil {
				return fmt.Errorf("dequeue proposal %d: %w", id, err)
			}
		}
		p.Status, p.Failure, p.ClosedHeight = types.ProposalFailed, "service deleted: "+reason, height
		if err := k.Proposals.Set(ctx, id, p); err != nil {
			return fmt.Errorf("write proposal %d: %w", id, err)
		}
		if err := emit(ctx, &types.EventProposalFailed{Service: name, ProposalId: id, Reason: p.Failure}); err != nil {
			return err
		}
	}
	refund, err := k.refund(ctx, name, "creator", svc.Creator)
	if err != nil {
		return err
	}
	held, err := k.EscrowBalance(ctx, name)
	if err != nil {
		return err
	}
	svc.Status = types.StatusDeleted
	svc.DeletedHeight = height
	svc.RefundTo = svc.Creator
	svc.Pause = nil
	svc.PendingProposalId = 0
	if err := k.Services.Set(ctx, name, svc); err != nil {
		return fmt.Errorf("write service %s: %w", name, err)
	}
	if err := k.hooksOrNone().AfterServiceDeleted(ctx, name); err != nil {
		return fmt.Errorf("hooks after deleting service %s: %w", name, err)
	}
	return emit(ctx, &types.EventServiceDeleted{Service: name, RefundTo: svc.Creator, Refund: refund, Reason: reason, HeldBack: held})
}

// statusWord names a service status in messages: "active", "paused",
// "deleted".
func statusWord(s types.ServiceStatus) string {
	switch s {
	case types.StatusActive:
		return "active"
	case types.StatusPaused:
		return "paused"
	case types.StatusDeleted:
		return "deleted"
	default:
		return "in no known status"
	}
}
