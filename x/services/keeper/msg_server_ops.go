package keeper

import (
	"context"
	"fmt"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/quantum1net/q1/core/manifest"
	"github.com/quantum1net/q1/x/services/types"
)

// The operational msgs: any single owner or operator may pause, resume and
// scale; anyone may fund. None of them moves money out of an escrow.

// PauseService implements types.MsgServer. It records who paused the
// service and in which role.
func (s msgServer) PauseService(ctx context.Context, msg *types.MsgPauseService) (*types.MsgPauseServiceResponse, error) {
	k := s.k
	signer, _, err := k.account("signer", msg.Signer)
	if err != nil {
		return nil, err
	}
	l, err := k.loadLive(ctx, msg.Name)
	if err != nil {
		return nil, err
	}
	reason, err := operatorRole(l.spec, l.svc.Name, signer)
	if err != nil {
		return nil, err
	}
	if l.svc.Status == types.StatusPaused {
		p := l.svc.Pause
		return nil, errorsmod.Wrapf(types.ErrWrongStatus, "service %s is already paused (by %s at height %d)", l.svc.Name, pausedBy(p), p.Height)
	}
	l.svc.Status = types.StatusPaused
	l.svc.Pause = &types.Pause{Reason: reason, By: signer, Height: sdk.UnwrapSDKContext(ctx).BlockHeight()}
	if err := k.Services.Set(ctx, l.svc.Name, l.svc); err != nil {
		return nil, fmt.Errorf("write service %s: %w", l.svc.Name, err)
	}
	if err := k.hooksOrNone().AfterServicePaused(ctx, l.svc.Name, reason); err != nil {
		return nil, fmt.Errorf("hooks after pausing service %s: %w", l.svc.Name, err)
	}
	if err := emit(ctx, &types.EventServicePaused{Service: l.svc.Name, By: signer, Reason: reason}); err != nil {
		return nil, err
	}
	return &types.MsgPauseServiceResponse{}, nil
}

// pausedBy describes who paused a service, for messages.
func pausedBy(p *types.Pause) string {
	if p.By == "" {
		return p.Reason.Label()
	}
	return fmt.Sprintf("%s %s", p.Reason.Label(), p.By)
}

// ResumeService implements types.MsgServer. A service its owners or an
// operator paused is resumed by any owner or operator; one paused because
// its escrow ran dry only by a deposit.
func (s msgServer) ResumeService(ctx context.Context, msg *types.MsgResumeService) (*types.MsgResumeServiceResponse, error) {
	k := s.k
	signer, _, err := k.account("signer", msg.Signer)
	if err != nil {
		return nil, err
	}
	l, err := k.loadLive(ctx, msg.Name)
	if err != nil {
		return nil, err
	}
	if _, err := operatorRole(l.spec, l.svc.Name, signer); err != nil {
		return nil, err
	}
	if l.svc.Status != types.StatusPaused {
		return nil, errorsmod.Wrapf(types.ErrWrongStatus, "service %s is not paused", l.svc.Name)
	}
	if l.svc.Pause.Reason == types.PauseReasonDepletion {
		hint, err := k.escrowHooks.DepletionResumeHint(ctx, l.svc.Name)
		if err != nil {
			return nil, err
		}
		if hint != "" {
			hint = ": " + hint
		}
		return nil, errorsmod.Wrapf(types.ErrWrongStatus,
			"service %s was paused because its escrow ran dry; a deposit covering policies.budget.lowBalanceBlocks resumes it%s", l.svc.Name, hint)
	}
	l.svc.Status = types.StatusActive
	l.svc.Pause = nil
	if err := k.Services.Set(ctx, l.svc.Name, l.svc); err != nil {
		return nil, fmt.Errorf("write service %s: %w", l.svc.Name, err)
	}
	if err := k.hooksOrNone().AfterServiceResumed(ctx, l.svc.Name); err != nil {
		return nil, fmt.Errorf("hooks after resuming service %s: %w", l.svc.Name, err)
	}
	if err := emit(ctx, &types.EventServiceResumed{Service: l.svc.Name, By: signer}); err != nil {
		return nil, err
	}
	return &types.MsgResumeServiceResponse{}, nil
}

// FundEscrow implements types.MsgServer: anyone may add to the escrow of a
// service that is not deleted.
func (s msgServer) FundEscrow(ctx context.Context, msg *types.MsgFundEscrow) (*types.MsgFundEscrowResponse, error) {
	k := s.k
	funder, funderAddr, err := k.account("funder", msg.Funder)
	if err != nil {
		return nil, err
	}
	if msg.Amount.IsNil() || !msg.Amount.IsPositive() {
		return nil, errorsmod.Wrapf(types.ErrInvalidAmount, "amount to fund must be positive, got %v", msg.Amount)
	}
	l, err := k.loadLive(ctx, msg.Name)
	if err != nil {
		return nil, err
	}
	bal, err := k.deposit(ctx, l.svc.Name, funderAddr, msg.Amount)
	if err != nil {
		return nil, err
	}
	if err := emit(ctx, &types.EventEscrowFunded{Service: l.svc.Name, Funder: funder, Amount: msg.Amount, Balance: bal}); err != nil {
		return nil, err
	}
	// Resuming a service paused by depletion once the deposit covers
	// lowBalanceBlocks of burn belongs to the escrow hooks (x/usage), which
	// know the burn rate; they may also settle, so read the balance again.
	// A refusal (a deposit too small to resume) already names the service
	// and the amount needed: it is returned as is.
	note, err := k.escrowHooks.AfterEscrowFunded(ctx, l.svc.Name, msg.Amount)
	if err != nil {
		return nil, err
	}
	if bal, err = k.EscrowBalance(ctx, l.svc.Name); err != nil {
		return nil, err
	}
	now, err := k.GetService(ctx, l.svc.Name)
	if err != nil {
		return nil, err
	}
	resumed := l.svc.Status == types.StatusPaused && now.Status == types.StatusActive
	return &types.MsgFundEscrowResponse{Balance: bal, Resumed: resumed, Note: note}, nil
}

// ScaleService implements types.MsgServer: an operator or owner sets
// placement.replicas between 1 and placement.replicasMax, unless it is
// frozen. The change takes effect at once as a new version whose proposer
// and approver is the signer. A pending update still activates exactly the
// manifest its owners approved, replica count included.
func (s msgServer) ScaleService(ctx context.Context, msg *types.MsgScaleService) (*types.MsgScaleServiceResponse, error) {
	k := s.k
	signer, _, err := k.account("signer", msg.Signer)
	if err != nil {
		return nil, err
	}
	l, err := k.loadLive(ctx, msg.Name)
	if err != nil {
		return nil, err
	}
	if _, err := operatorRole(l.spec, l.svc.Name, signer); err != nil {
		return nil, err
	}
	name, old, max := l.svc.Name, l.spec.Placement.Replicas, l.spec.Placement.ReplicasMax
	if msg.Replicas < 1 || msg.Replicas > max {
		return nil, errorsmod.Wrapf(types.ErrInvalidReplicas,
			"service %s: placement.replicas must be between 1 and placement.replicasMax (%d), got %d", name, max, msg.Replicas)
	}
	if msg.Replicas == old {
		return nil, errorsmod.Wrapf(types.ErrInvalidReplicas, "service %s already runs %d replicas", name, old)
	}
	// The next version is the current spec with the new replica count,
	// converted in memory (no parsing), checked as any new manifest is, and
	// stored with its spec. Gas is charged for the new bytes, as for a
	// manifest a msg carries.
	cur, next := l.spec.Manifest(), l.spec.Manifest()
	next.Placement.Replicas = msg.Replicas
	if err := next.Validate(); err != nil {
		return nil, errorsmod.Wrapf(types.ErrInvalidReplicas, "service %s: %s", name, describeProblems(err))
	}
	if err := checkUpdate(name, cur, next); err != nil {
		return nil, err
	}
	if !manifest.OnlyChanged(cur, next, "placement.replicas") {
		return nil, fmt.Errorf("service %s: scaling changed more than placement.replicas: %v", name, manifest.ChangedPaths(cur, next))
	}
	canonical := next.Canonical()
	sdk.UnwrapSDKContext(ctx).GasMeter().ConsumeGas(uint64(len(canonical))*types.ManifestGasPerByte, "encode service manifest")
	height := sdk.UnwrapSDKContext(ctx).BlockHeight()
	v := types.Version{
		Service: name, Number: l.svc.CurrentVersion + 1, Manifest: canonical, Hash: next.Hash(),
		Proposer: signer, Approvers: []string{signer}, ProposedHeight: height, ActivatedHeight: height,
		Origin: types.OriginScale,
	}
	if err := k.Versions.Set(ctx, collections.Join(name, v.Number), v); err != nil {
		return nil, fmt.Errorf("write version %d of service %s: %w", v.Number, name, err)
	}
	if err := k.Specs.Set(ctx, collections.Join(name, v.Number), types.SpecFromManifest(next)); err != nil {
		return nil, fmt.Errorf("write the spec of version %d of service %s: %w", v.Number, name, err)
	}
	l.svc.CurrentVersion = v.Number
	if err := k.Services.Set(ctx, name, l.svc); err != nil {
		return nil, fmt.Errorf("write service %s: %w", name, err)
	}
	if err := k.hooksOrNone().AfterScaled(ctx, name, old, msg.Replicas); err != nil {
		return nil, fmt.Errorf("hooks after scaling service %s: %w", name, err)
	}
	if err := emit(ctx, &types.EventServiceScaled{
		Service: name, By: signer, FromReplicas: old, ToReplicas: msg.Replicas, Version: v.Number, Hash: v.Hash,
	}); err != nil {
		return nil, err
	}
	return &types.MsgScaleServiceResponse{Version: v.Number, Hash: v.Hash}, nil
}

// UpdateParams implements types.MsgServer: only the governance authority
// may change the parameters.
func (s msgServer) UpdateParams(ctx context.Context, msg *types.MsgUpdateParams) (*types.MsgUpdateParamsResponse, error) {
	k := s.k
	if msg.Authority != k.authority {
		return nil, errorsmod.Wrapf(types.ErrUnauthorized, "%s: not the authority (%s); the parameters change only through governance", msg.Authority, k.authority)
	}
	if err := msg.Params.Validate(); err != nil {
		return nil, errorsmod.Wrap(types.ErrInvalidParams, err.Error())
	}
	cur, err := k.Params.Get(ctx)
	if err != nil {
		return nil, fmt.Errorf("read params: %w", err)
	}
	if msg.Params.Denom != cur.Denom {
		held, err := k.hasEscrows(ctx)
		if err != nil {
			return nil, err
		}
		if held {
			return nil, errorsmod.Wrapf(types.ErrInvalidParams, "params.denom cannot change from %s to %s: escrows are held in %s", cur.Denom, msg.Params.Denom, cur.Denom)
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
