package keeper

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"strings"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/quantum1net/q1/core/receipt"
	"github.com/quantum1net/q1/x/usage/types"
)

// maxDetailLen bounds a reveal's detail.
const maxDetailLen = 1024

// openAudit reads audit id for a message of its phase: it must exist and
// not be resolved.
func (k *Keeper) openAudit(ctx context.Context, id uint64) (types.Audit, error) {
	a, err := k.GetAudit(ctx, id)
	if err != nil {
		return a, err
	}
	if a.Phase == types.PhaseResolved {
		return a, errorsmod.Wrapf(types.ErrAuditPhase, "audit %d was resolved at height %d (%s)", id, a.ResolvedHeight, a.State)
	}
	return a, nil
}

// PublishSamples implements types.MsgServer: the audited sharer publishes,
// by the publish deadline, each distinct receipt the draws need exactly
// once, with its inclusion proof against the committed root. Each receipt
// must be of the audited lease, of a code the service ran during the epoch,
// and seeded for that epoch (receipt.SeedFor). Every draw must be covered.
func (s msgServer) PublishSamples(ctx context.Context, msg *types.MsgPublishSamples) (*types.MsgPublishSamplesResponse, error) {
	k := s.k
	addr, _, err := k.account("sharer", msg.Sharer)
	if err != nil {
		return nil, err
	}
	a, err := k.openAudit(ctx, msg.AuditId)
	if err != nil {
		return nil, err
	}
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	switch {
	case addr != a.Sharer:
		return nil, errorsmod.Wrapf(types.ErrUnauthorized, "audit %d audits sharer %s's lease %d, not %s: only the audited sharer publishes its samples", a.Id, a.Sharer, a.LeaseId, addr)
	case a.PublishedHeight != 0:
		return nil, errorsmod.Wrapf(types.ErrDuplicateVote, "the samples of audit %d were published at height %d", a.Id, a.PublishedHeight)
	case h > a.PublishDeadline:
		return nil, errorsmod.Wrapf(types.ErrAuditPhase, "the publish window of audit %d closed at height %d (now %d)", a.Id, a.PublishDeadline, h)
	}
	if err := checkSamples(&a, msg.Samples); err != nil {
		return nil, err
	}
	a.Samples, a.PublishedHeight, a.Phase = msg.Samples, h, types.PhaseCommit
	if err := k.putAudit(ctx, &a, false); err != nil {
		return nil, err
	}
	if err := k.AuditQueue.Remove(ctx, collections.Join(a.PublishDeadline, a.Id)); err != nil {
		return nil, fmt.Errorf("dequeue audit %d: %w", a.Id, err)
	}
	if err := k.AuditQueue.Set(ctx, collections.Join(a.RevealDeadline, a.Id)); err != nil {
		return nil, fmt.Errorf("queue audit %d: %w", a.Id, err)
	}
	if err := emit(ctx, &types.EventSamplesPublished{AuditId: a.Id, Sharer: a.Sharer, LeaseId: a.LeaseId,
		Samples: uint32(len(msg.Samples)), Auditors: a.Auditors, CommitDeadline: a.CommitDeadline}); err != nil {
		return nil, err
	}
	return &types.MsgPublishSamplesResponse{}, nil
}

// checkSamples checks published samples against audit a: each a distinct
// leaf, a well-formed receipt of the audited lease and code seeded for the
// epoch, proven against the root, and needed by some draw; every draw
// covered. Errors name the sample, its leaf and what failed.
func checkSamples(a *types.Audit, samples []types.Sample) error {
	root := auditRoot(a)
	if len(samples) == 0 {
		return errorsmod.Wrapf(types.ErrInvalidSample, "audit %d: no samples; publish the receipts its %d draws name", a.Id, len(a.Draws))
	}
	if len(samples) > len(a.Draws) {
		return errorsmod.Wrapf(types.ErrInvalidSample, "audit %d: %d samples for %d draws; publish each distinct receipt the draws need once", a.Id, len(samples), len(a.Draws))
	}
	covered := make([]bool, len(a.Draws))
	seen := map[uint64]int{}
	for i, sm := range samples {
		where := fmt.Sprintf("audit %d: sample %d (leaf %d)", a.Id, i, sm.Index)
		if j, dup := seen[sm.Index]; dup {
			return errorsmod.Wrapf(types.ErrInvalidSample, "%s: leaf %d is already sample %d; publish each leaf once", where, sm.Index, j)
		}
		seen[sm.Index] = i
		if sm.Index >= root.Leaves {
			return errorsmod.Wrapf(types.ErrInvalidSample, "%s: the committed tree has %d leaves", where, root.Leaves)
		}
		r, err := receipt.Unmarshal(sm.Receipt)
		if err != nil {
			return errorsmod.Wrapf(types.ErrInvalidSample, "%s: %v", where, err)
		}
		if r.LeaseID != a.LeaseId {
			return errorsmod.Wrapf(types.ErrInvalidSample, "%s: the receipt is of lease %d, not the audited lease %d", where, r.LeaseID, a.LeaseId)
		}
		if !containsBytes(a.ModuleHashes, r.ModuleHash[:]) {
			return errorsmod.Wrapf(types.ErrInvalidSample, "%s: the receipt's module hash %x is not the code of service %s during epoch %d (%s)",
				where, r.ModuleHash[:], a.Service, a.Epoch, hexList(a.ModuleHashes))
		}
		if want := receipt.SeedFor(a.LeaseId, a.Epoch, r.Instance, r.Index); r.Seed != want {
			return errorsmod.Wrapf(types.ErrInvalidSample, "%s: the receipt's seed is not receipt.SeedFor(lease %d, epoch %d, instance %d, index %d): it was not run in the audited epoch",
				where, a.LeaseId, a.Epoch, r.Instance, r.Index)
		}
		proof, err := receipt.UnmarshalProof(sm.Proof)
		if err != nil {
			return errorsmod.Wrapf(types.ErrInvalidSample, "%s: %v", where, err)
		}
		leaf := r.Leaf()
		offset, err := receipt.VerifyProof(root, sm.Index, leaf, proof)
		if err != nil {
			return errorsmod.Wrapf(types.ErrInvalidSample, "%s: %v (root %x)", where, err, root.Hash[:])
		}
		needed := false
		for j, d := range a.Draws {
			rd := receipt.Draw{Weighted: d.Weighted, Point: d.Point, Index: d.Index}
			if rd.Covers(sm.Index, offset, leaf) {
				covered[j], needed = true, true
			}
		}
		if !needed {
			return errorsmod.Wrapf(types.ErrInvalidSample, "%s: no draw needs this receipt (it covers fuel points %d to %d); publish only the receipts the draws name",
				where, offset, offset+leaf.Fuel)
		}
	}
	for j, c := range covered {
		if !c {
			d := a.Draws[j]
			rd := receipt.Draw{Weighted: d.Weighted, Point: d.Point, Index: d.Index}
			return errorsmod.Wrapf(types.ErrInvalidSample, "audit %d: draw %d (%s) is covered by no sample", a.Id, j, rd)
		}
	}
	return nil
}

func hexList(list [][]byte) string {
	parts := make([]string, len(list))
	for i, b := range list {
		parts[i] = hex.EncodeToString(b)
	}
	return strings.Join(parts, ", ")
}

// vote returns the index of auditor's vote in a, or an error saying it is
// not an assigned auditor.
func vote(a *types.Audit, auditor string) (int, error) {
	for i, v := range a.Votes {
		if v.Auditor == auditor {
			return i, nil
		}
	}
	return 0, errorsmod.Wrapf(types.ErrNotAuditor, "%s is not an auditor of audit %d (its auditors are %s)", auditor, a.Id, strings.Join(a.Auditors, ", "))
}

// AuditCommit implements types.MsgServer: an assigned auditor commits,
// once, after the samples are published and by the commit deadline.
func (s msgServer) AuditCommit(ctx context.Context, msg *types.MsgAuditCommit) (*types.MsgAuditCommitResponse, error) {
	k := s.k
	addr, _, err := k.account("auditor", msg.Auditor)
	if err != nil {
		return nil, err
	}
	a, err := k.openAudit(ctx, msg.AuditId)
	if err != nil {
		return nil, err
	}
	i, err := vote(&a, addr)
	if err != nil {
		return nil, err
	}
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	v := &a.Votes[i]
	switch {
	case len(msg.Commitment) != receipt.HashSize:
		return nil, errorsmod.Wrapf(types.ErrInvalidVote, "audit %d: the commitment is %d bytes; it is receipt.Commitment(...), 32 bytes", a.Id, len(msg.Commitment))
	case v.CommittedHeight != 0:
		return nil, errorsmod.Wrapf(types.ErrDuplicateVote, "auditor %s already committed to audit %d at height %d", addr, a.Id, v.CommittedHeight)
	case a.PublishedHeight == 0:
		return nil, errorsmod.Wrapf(types.ErrAuditPhase, "audit %d: the samples are not published yet (sharer %s may publish until height %d); commit after they are", a.Id, a.Sharer, a.PublishDeadline)
	case h > a.CommitDeadline:
		return nil, errorsmod.Wrapf(types.ErrAuditPhase, "the commit window of audit %d closed at height %d (now %d)", a.Id, a.CommitDeadline, h)
	}
	v.Commitment, v.CommittedHeight = msg.Commitment, h
	all := true
	for _, o := range a.Votes {
		all = all && o.CommittedHeight != 0
	}
	revealFrom := a.CommitDeadline + 1
	if all {
		a.Phase, revealFrom = types.PhaseReveal, h
	}
	if err := k.putAudit(ctx, &a, false); err != nil {
		return nil, err
	}
	if err := emit(ctx, &types.EventAuditCommitted{AuditId: a.Id, Auditor: addr, RevealFrom: revealFrom}); err != nil {
		return nil, err
	}
	return &types.MsgAuditCommitResponse{}, nil
}

// AuditReveal implements types.MsgServer: an auditor that committed
// reveals its verdict after the commit deadline (or once every auditor
// committed) and by the reveal deadline; it must match the commitment.
// The last reveal resolves the audit.
func (s msgServer) AuditReveal(ctx context.Context, msg *types.MsgAuditReveal) (*types.MsgAuditRevealResponse, error) {
	k := s.k
	addr, _, err := k.account("auditor", msg.Auditor)
	if err != nil {
		return nil, err
	}
	a, err := k.openAudit(ctx, msg.AuditId)
	if err != nil {
		return nil, err
	}
	i, err := vote(&a, addr)
	if err != nil {
		return nil, err
	}
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	v := &a.Votes[i]
	switch {
	case v.CommittedHeight == 0:
		return nil, errorsmod.Wrapf(types.ErrAuditPhase, "auditor %s did not commit to audit %d; a reveal needs a commitment", addr, a.Id)
	case v.RevealedHeight != 0:
		return nil, errorsmod.Wrapf(types.ErrDuplicateVote, "auditor %s already revealed its verdict on audit %d at height %d", addr, a.Id, v.RevealedHeight)
	case a.Phase != types.PhaseReveal && h <= a.CommitDeadline:
		return nil, errorsmod.Wrapf(types.ErrAuditPhase, "audit %d: reveals open after the commit deadline (height %d) or once every auditor committed; now %d", a.Id, a.CommitDeadline, h)
	case h > a.RevealDeadline:
		return nil, errorsmod.Wrapf(types.ErrAuditPhase, "the reveal window of audit %d closed at height %d (now %d)", a.Id, a.RevealDeadline, h)
	case msg.Verdict < types.Verdict_VERDICT_PASS || msg.Verdict > types.Verdict_VERDICT_UNAVAILABLE:
		return nil, errorsmod.Wrapf(types.ErrInvalidVote, "audit %d: verdict %v is not PASS, FAIL or UNAVAILABLE", a.Id, msg.Verdict)
	case len(msg.ResultHash) != receipt.HashSize:
		return nil, errorsmod.Wrapf(types.ErrInvalidVote, "audit %d: result_hash is %d bytes, want 32", a.Id, len(msg.ResultHash))
	case len(msg.Detail) > maxDetailLen:
		return nil, errorsmod.Wrapf(types.ErrInvalidVote, "audit %d: detail is %d bytes, at most %d", a.Id, len(msg.Detail), maxDetailLen)
	}
	var result receipt.Hash
	copy(result[:], msg.ResultHash)
	want, err := receipt.Commitment(a.Id, addr, uint32(msg.Verdict), result, msg.Salt)
	if err != nil {
		return nil, errorsmod.Wrapf(types.ErrInvalidVote, "audit %d: %v", a.Id, err)
	}
	if !bytes.Equal(want[:], v.Commitment) {
		return nil, errorsmod.Wrapf(types.ErrInvalidVote, "audit %d: the reveal does not match the commitment auditor %s made at height %d (the verdict, result hash or salt differs)", a.Id, addr, v.CommittedHeight)
	}
	v.Verdict, v.ResultHash, v.Salt, v.Detail, v.RevealedHeight = msg.Verdict, msg.ResultHash, msg.Salt, msg.Detail, h
	a.Phase = types.PhaseReveal
	if err := emit(ctx, &types.EventAuditRevealed{AuditId: a.Id, Auditor: addr, Verdict: msg.Verdict, Detail: msg.Detail}); err != nil {
		return nil, err
	}
	all := true
	for _, o := range a.Votes {
		all = all && o.RevealedHeight != 0
	}
	if !all {
		if err := k.putAudit(ctx, &a, false); err != nil {
			return nil, err
		}
		return &types.MsgAuditRevealResponse{State: a.State}, nil
	}
	if err := k.resolve(ctx, &a, fmt.Sprintf("every auditor revealed by height %d", h)); err != nil {
		return nil, err
	}
	return &types.MsgAuditRevealResponse{Resolved: true, State: a.State}, nil
}
