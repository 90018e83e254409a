// Package ante holds the usage module's ante decorator: it refuses, in
// CheckTx, a usage report for a (sharer, epoch) that is already committed
// or already waiting in the mempool, so that a node retrying its report, or
// two copies of it, never take block space. The msg server refuses
// duplicates again when blocks execute; this decorator only keeps them out
// of the mempool.
package ante

import (
	"bytes"
	"context"

	errorsmod "cosmossdk.io/errors"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authsigning "github.com/cosmos/cosmos-sdk/x/auth/signing"
	"github.com/cosmos/cosmos-sdk/x/authz"

	q1address "github.com/quantum1net/q1/core/address"
	"github.com/quantum1net/q1/x/usage/types"
)

// Keeper is what the decorator needs from the usage keeper
// (*keeper.Keeper implements it).
type Keeper interface {
	// HasReport reports whether the sharer reported epoch (committed).
	HasReport(ctx context.Context, sharer sdk.AccAddress, epoch uint64) (bool, error)
	// SeenInCheckTx reports whether a report of the sharer for epoch was
	// admitted to the mempool since the last commit.
	SeenInCheckTx(ctx context.Context, sharer sdk.AccAddress, epoch uint64) (bool, error)
	// MarkSeenInCheckTx remembers that one was, in the check state.
	MarkSeenInCheckTx(ctx context.Context, sharer sdk.AccAddress, epoch uint64) error
	// HotKey returns the hot key the sharer recorded, or nil.
	HotKey(ctx context.Context, sharer sdk.AccAddress) (sdk.AccAddress, error)
}

// maxExecDepth is how deep nested authz MsgExecs are searched for reports.
const maxExecDepth = 3

// DedupDecorator refuses duplicate usage reports in CheckTx and ReCheckTx;
// in every other mode (block execution, simulation, proposals) it passes
// the tx on untouched.
//
// A report is a duplicate if the (sharer, epoch) is committed, repeated in
// the same tx, or marked as waiting in the mempool. A tx that passes marks
// its reports, but only those it is entitled to send, so that nobody can
// keep a sharer's report out of the mempool with a forged copy: a report
// the sharer signed itself, or one inside an authz MsgExec whose grantee
// signed the tx and is the sharer's recorded hot key (authz checks the
// grant itself when the block runs). Place the decorator after signature
// verification, so that only authenticated txs mark anything.
type DedupDecorator struct {
	k Keeper
}

// NewDedupDecorator returns the decorator over the usage keeper.
func NewDedupDecorator(k Keeper) DedupDecorator {
	return DedupDecorator{k: k}
}

// report is one usage report found in a tx.
type report struct {
	addr   string // as the msg names it, for messages
	sharer sdk.AccAddress
	epoch  uint64
	// entitled is true when the tx's signers may send it (see DedupDecorator).
	entitled bool
}

// AnteHandle implements sdk.AnteDecorator.
func (d DedupDecorator) AnteHandle(ctx sdk.Context, tx sdk.Tx, simulate bool, next sdk.AnteHandler) (sdk.Context, error) {
	mode := ctx.ExecMode()
	if mode != sdk.ExecModeCheck && mode != sdk.ExecModeReCheck {
		return next(ctx, tx, simulate)
	}
	var signers [][]byte
	if sv, ok := tx.(authsigning.SigVerifiableTx); ok {
		s, err := sv.GetSigners()
		if err != nil {
			return ctx, err
		}
		signers = s
	}
	reports, err := d.collect(ctx, tx.GetMsgs(), signers, nil, 0)
	if err != nil {
		return ctx, err
	}
	for i, r := range reports {
		if err := d.check(ctx, r, reports[:i]); err != nil {
			return ctx, err
		}
	}
	if !simulate {
		for _, r := range reports {
			if r.entitled {
				if err := d.k.MarkSeenInCheckTx(ctx, r.sharer, r.epoch); err != nil {
					return ctx, err
				}
			}
		}
	}
	return next(ctx, tx, simulate)
}

// check refuses r if it is committed, earlier in the tx, or in the mempool.
func (d DedupDecorator) check(ctx sdk.Context, r report, earlier []report) error {
	has, err := d.k.HasReport(ctx, r.sharer, r.epoch)
	if err != nil {
		return err
	}
	if has {
		return errorsmod.Wrapf(types.ErrDuplicateReport,
			"sharer %s already reported epoch %d; one report per sharer and epoch", r.addr, r.epoch)
	}
	for _, e := range earlier {
		if e.epoch == r.epoch && e.sharer.Equals(r.sharer) {
			return errorsmod.Wrapf(types.ErrDuplicateReport,
				"the tx carries two reports of sharer %s for epoch %d", r.addr, r.epoch)
		}
	}
	seen, err := d.k.SeenInCheckTx(ctx, r.sharer, r.epoch)
	if err != nil {
		return err
	}
	if seen {
		return errorsmod.Wrapf(types.ErrDuplicateReport,
			"a report of sharer %s for epoch %d is already waiting in the mempool", r.addr, r.epoch)
	}
	return nil
}

// collect finds the usage reports among msgs, looking inside authz MsgExecs
// down to maxExecDepth. grantee is the MsgExec msgs came from (nil at the
// top level).
func (d DedupDecorator) collect(ctx sdk.Context, msgs []sdk.Msg, signers [][]byte, grantee sdk.AccAddress, depth int) ([]report, error) {
	var out []report
	for _, m := range msgs {
		switch m := m.(type) {
		case *types.MsgUsageReport:
			bz, err := q1address.ParseAccount(m.Sharer)
			if err != nil {
				return nil, errorsmod.Wrapf(types.ErrInvalidAddress, "usage report: sharer: %v", err)
			}
			entitled, err := d.entitled(ctx, bz, signers, grantee, depth)
			if err != nil {
				return nil, err
			}
			out = append(out, report{addr: m.Sharer, sharer: bz, epoch: m.Epoch, entitled: entitled})
		case *authz.MsgExec:
			if depth >= maxExecDepth {
				continue
			}
			inner, err := m.GetMessages()
			if err != nil {
				return nil, err
			}
			g, err := q1address.ParseAccount(m.Grantee)
			if err != nil {
				return nil, errorsmod.Wrapf(types.ErrInvalidAddress, "authz exec: grantee: %v", err)
			}
			found, err := d.collect(ctx, inner, signers, g, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, found...)
		}
	}
	return out, nil
}

// entitled reports whether the tx may mark a report of sharer: signed by
// the sharer itself at the top level, or carried in a top-level MsgExec whose
// grantee signed the tx and is the sharer itself or its recorded hot key.
func (d DedupDecorator) entitled(ctx sdk.Context, sharer sdk.AccAddress, signers [][]byte, grantee sdk.AccAddress, depth int) (bool, error) {
	switch depth {
	case 0:
		return contains(signers, sharer), nil
	case 1:
		if !contains(signers, grantee) {
			return false, nil
		}
		if grantee.Equals(sharer) {
			return true, nil
		}
		hot, err := d.k.HotKey(ctx, sharer)
		if err != nil {
			return false, err
		}
		return hot != nil && hot.Equals(grantee), nil
	default:
		return false, nil
	}
}

func contains(list [][]byte, a []byte) bool {
	for _, b := range list {
		if bytes.Equal(a, b) {
			return true
		}
	}
	return false
}
