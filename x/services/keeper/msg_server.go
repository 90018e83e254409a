package keeper

import (
	"context"
	"errors"
	"fmt"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/quantum1net/q1/x/services/types"
)

// msgServer implements types.MsgServer. Each method validates its msg,
// authorizes the signer against the service's current manifest, changes
// state and emits a typed event; the msgs have no ValidateBasic.
type msgServer struct {
	k *Keeper
}

var _ types.MsgServer = msgServer{}

// NewMsgServerImpl returns the module's Msg service over k.
func NewMsgServerImpl(k *Keeper) types.MsgServer {
	return msgServer{k: k}
}

// CreateService implements types.MsgServer.
func (s msgServer) CreateService(ctx context.Context, msg *types.MsgCreateService) (*types.MsgCreateServiceResponse, error) {
	k := s.k
	creator, creatorAddr, err := k.account("creator", msg.Creator)
	if err != nil {
		return nil, err
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, fmt.Errorf("read params: %w", err)
	}
	if msg.Deposit.IsNil() || msg.Deposit.IsNegative() {
		return nil, errorsmod.Wrapf(types.ErrInvalidAmount, "deposit must be zero or more %s, got %v", params.Denom, msg.Deposit)
	}
	if msg.Deposit.LT(params.MinDeposit) {
		return nil, errorsmod.Wrapf(types.ErrDepositTooSmall, "deposit %s%s is below the minimum of %s%s (params.min_deposit)",
			msg.Deposit, params.Denom, params.MinDeposit, params.Denom)
	}
	m, err := parseManifest(ctx, msg.Manifest)
	if err != nil {
		return nil, err
	}
	name := m.Name
	switch old, err := k.Services.Get(ctx, name); {
	case err == nil && old.Status == types.StatusDeleted:
		return nil, errorsmod.Wrapf(types.ErrNameTaken, "name %s is taken (deleted at height %d); names are never reused", name, old.DeletedHeight)
	case err == nil:
		return nil, errorsmod.Wrapf(types.ErrNameTaken, "name %s is taken by an existing service (created at height %d); names are never reused, choose another", name, old.CreatedHeight)
	case !errors.Is(err, collections.ErrNotFound):
		return nil, fmt.Errorf("read service %s: %w", name, err)
	}
	if !m.IsOwner(creator) {
		return nil, errorsmod.Wrapf(types.ErrUnauthorized, "%s: not an owner of service %s; the creator must be listed in permissions.owners.accounts", creator, name)
	}

	height := sdk.UnwrapSDKContext(ctx).BlockHeight()
	hash := m.Hash()
	spec := types.SpecFromManifest(m)
	svc := types.Service{Name: name, Status: types.StatusActive, CurrentVersion: 1, Creator: creator, CreatedHeight: height}
	v := types.Version{
		Service: name, Number: 1, Manifest: msg.Manifest, Hash: hash, Proposer: creator, Approvers: []string{creator},
		ProposedHeight: height, ActivatedHeight: height, Origin: types.OriginCreate,
	}
	if err := k.Services.Set(ctx, name, svc); err != nil {
		return nil, fmt.Errorf("write service %s: %w", name, err)
	}
	if err := k.Versions.Set(ctx, collections.Join(name, uint64(1)), v); err != nil {
		return nil, fmt.Errorf("write version 1 of service %s: %w", name, err)
	}
	if err := k.Specs.Set(ctx, collections.Join(name, uint64(1)), spec); err != nil {
		return nil, fmt.Errorf("write the spec of version 1 of service %s: %w", name, err)
	}
	if err := k.Escrows.Set(ctx, name, types.Escrow{Service: name, Balance: math.ZeroInt()}); err != nil {
		return nil, fmt.Errorf("write escrow of service %s: %w", name, err)
	}
	if msg.Deposit.IsPositive() {
		if _, err := k.deposit(ctx, name, creatorAddr, msg.Deposit); err != nil {
			return nil, err
		}
	}
	if err := k.hooksOrNone().AfterServiceCreated(ctx, name, &spec); err != nil {
		return nil, fmt.Errorf("hooks after creating service %s: %w", name, err)
	}
	if msg.Deposit.IsPositive() {
		if _, err := k.escrowHooks.AfterEscrowFunded(ctx, name, msg.Deposit); err != nil {
			return nil, fmt.Errorf("hooks after funding the escrow of service %s: %w", name, err)
		}
	}
	if err := emit(ctx, &types.EventServiceCreated{Service: name, Creator: creator, Hash: hash, Deposit: msg.Deposit}); err != nil {
		return nil, err
	}
	return &types.MsgCreateServiceResponse{Hash: hash, Version: 1}, nil
}

// ProposeUpdate implements types.MsgServer. The new manifest is checked
// against the current one's frozen fields here, at proposal time.
func (s msgServer) ProposeUpdate(ctx context.Context, msg *types.MsgProposeUpdate) (*types.MsgProposeUpdateResponse, error) {
	k := s.k
	proposer, _, err := k.account("proposer", msg.Proposer)
	if err != nil {
		return nil, err
	}
	l, err := k.loadLive(ctx, msg.Name)
	if err != nil {
		return nil, err
	}
	if err := canPropose(l, proposer); err != nil {
		return nil, err
	}
	next, err := parseManifest(ctx, msg.Manifest)
	if err != nil {
		return nil, err
	}
	hash := next.Hash()
	if hash == l.cur.Hash {
		return nil, errorsmod.Wrapf(types.ErrInvalidRequest, "manifest %s is already version %d of service %s; nothing to change", hash, l.cur.Number, l.svc.Name)
	}
	if err := checkUpdate(l.svc.Name, l.spec.Manifest(), next); err != nil {
		return nil, err
	}
	notice := l.spec.Policies.Update.NoticeBlocks // the current version's notice governs
	spec := types.SpecFromManifest(next)
	p, err := k.submit(ctx, l, types.Proposal{
		Kind:             types.KindUpdate,
		Hash:             hash,
		Proposer:         proposer,
		Manifest:         msg.Manifest,
		Spec:             &spec,
		ActivationHeight: sdk.UnwrapSDKContext(ctx).BlockHeight() + int64(notice),
	})
	if err != nil {
		return nil, err
	}
	return &types.MsgProposeUpdateResponse{Outcome: p.Outcome()}, nil
}

// ApproveProposal implements types.MsgServer.
func (s msgServer) ApproveProposal(ctx context.Context, msg *types.MsgApproveProposal) (*types.MsgApproveProposalResponse, error) {
	approver, _, err := s.k.account("approver", msg.Approver)
	if err != nil {
		return nil, err
	}
	if msg.Hash == "" {
		return nil, errorsmod.Wrapf(types.ErrInvalidRequest, "approving proposal %d of service %s needs its hash (query the proposal to see it)", msg.ProposalId, msg.Name)
	}
	p, err := s.k.approve(ctx, approver, msg.Name, msg.ProposalId, msg.Hash)
	if err != nil {
		return nil, err
	}
	return &types.MsgApproveProposalResponse{Outcome: p.Outcome()}, nil
}

// CancelProposal implements types.MsgServer.
func (s msgServer) CancelProposal(ctx context.Context, msg *types.MsgCancelProposal) (*types.MsgCancelProposalResponse, error) {
	signer, _, err := s.k.account("signer", msg.Signer)
	if err != nil {
		return nil, err
	}
	if err := s.k.cancel(ctx, signer, msg.Name, msg.ProposalId); err != nil {
		return nil, err
	}
	return &types.MsgCancelProposalResponse{}, nil
}

// DeleteService implements types.MsgServer: it proposes the deletion, which
// executes once the owners' threshold approved it.
func (s msgServer) DeleteService(ctx context.Context, msg *types.MsgDeleteService) (*types.MsgDeleteServiceResponse, error) {
	k := s.k
	proposer, _, err := k.account("proposer", msg.Proposer)
	if err != nil {
		return nil, err
	}
	refundTo, _, err := k.account("refund_to", msg.RefundTo)
	if err != nil {
		return nil, err
	}
	l, err := k.loadLive(ctx, msg.Name)
	if err != nil {
		return nil, err
	}
	p, err := k.submit(ctx, l, types.Proposal{
		Kind: types.KindDelete, Hash: types.DeleteHash(l.svc.Name, refundTo), Proposer: proposer, To: refundTo,
	})
	if err != nil {
		return nil, err
	}
	return &types.MsgDeleteServiceResponse{Outcome: p.Outcome()}, nil
}

// WithdrawEscrow implements types.MsgServer: it proposes the withdrawal,
// which executes once the owners' threshold approved it. The amount is
// checked against what is available both now and at execution.
func (s msgServer) WithdrawEscrow(ctx context.Context, msg *types.MsgWithdrawEscrow) (*types.MsgWithdrawEscrowResponse, error) {
	k := s.k
	proposer, _, err := k.account("proposer", msg.Proposer)
	if err != nil {
		return nil, err
	}
	to, _, err := k.account("to", msg.To)
	if err != nil {
		return nil, err
	}
	if msg.Amount.IsNil() || !msg.Amount.IsPositive() {
		return nil, errorsmod.Wrapf(types.ErrInvalidAmount, "amount to withdraw must be positive, got %v", msg.Amount)
	}
	l, err := k.loadLive(ctx, msg.Name)
	if err != nil {
		return nil, err
	}
	if err := canPropose(l, proposer); err != nil {
		return nil, err
	}
	if err := k.checkAvailable(ctx, l.svc.Name, msg.Amount); err != nil {
		return nil, err
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, fmt.Errorf("read params: %w", err)
	}
	p, err := k.submit(ctx, l, types.Proposal{
		Kind: types.KindWithdraw, Hash: types.WithdrawHash(l.svc.Name, msg.Amount, params.Denom, to),
		Proposer: proposer, Amount: msg.Amount, To: to,
	})
	if err != nil {
		return nil, err
	}
	return &types.MsgWithdrawEscrowResponse{Outcome: p.Outcome()}, nil
}
