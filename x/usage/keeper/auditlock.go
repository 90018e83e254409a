package keeper

import (
	"context"
	"fmt"
	"strings"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"

	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
	"github.com/quantum1net/q1/x/usage/types"
)

var _ sharerstypes.CollateralLocks = (*Keeper)(nil)

// maxHeldNamed bounds the audits a refusal names.
const maxHeldNamed = 3

// CollateralHeld implements x/sharers' CollateralLocks: the collateral of
// sharer its unresolved audits, and its entries still waiting for their
// draw, could slash: max(slash_multiplier × charged, min_slash) each.
// x/sharers keeps it from being withdrawn (deregistered or not), so a
// sharer under audit cannot empty its collateral before the slash.
//
// Audits are walked from the newest down to the first whose reveal
// deadline has passed (resolved at its deadline, as every older one), so
// the walk is bounded by the audits opened within one audit's windows.
// The draw queue holds only the entries reported in the last
// sample_delay_blocks.
func (k *Keeper) CollateralHeld(ctx context.Context, sharer string) (math.Int, string, error) {
	bz, err := k.addrBytes(sharer)
	if err != nil {
		return math.Int{}, "", err
	}
	p, err := k.GetParams(ctx)
	if err != nil {
		return math.Int{}, "", err
	}
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	slash := func(charged math.Int) math.Int {
		return math.MaxInt(p.SlashMultiplier.MulInt(charged).TruncateInt(), p.MinSlash)
	}
	held := math.ZeroInt()
	var named []string
	name := func(s string) {
		if len(named) < maxHeldNamed {
			named = append(named, s)
		} else if len(named) == maxHeldNamed {
			named = append(named, "…")
		}
	}
	rng := collections.NewPrefixedPairRange[sdk.AccAddress, uint64](bz).Descending()
	err = k.AuditsBySharer.Walk(ctx, rng, func(key collections.Pair[sdk.AccAddress, uint64]) (bool, error) {
		a, err := k.GetAudit(ctx, key.K2())
		if err != nil {
			return true, err
		}
		if a.Phase == types.PhaseResolved {
			return a.RevealDeadline < h, nil
		}
		held = held.Add(slash(a.Charged))
		name(fmt.Sprintf("audit %d of lease %d, epoch %d", a.Id, a.LeaseId, a.Epoch))
		return false, nil
	})
	if err != nil {
		return math.Int{}, "", fmt.Errorf("read the audits of %s: %w", sharer, err)
	}
	err = k.DrawQueue.Walk(ctx, nil, func(key collections.Triple[int64, uint64, uint64], service string) (bool, error) {
		rec, err := k.Records.Get(ctx, collections.Join3(service, key.K3(), key.K2()))
		if err != nil {
			return true, err
		}
		if rec.Sharer == sharer && rec.AuditState == types.AuditPending && rec.Receipts > 0 {
			held = held.Add(slash(rec.Charged))
			name(fmt.Sprintf("lease %d, epoch %d, drawn at height %d", rec.LeaseId, rec.Epoch, key.K1()))
		}
		return false, nil
	})
	if err != nil {
		return math.Int{}, "", fmt.Errorf("read the draw queue: %w", err)
	}
	if held.IsZero() {
		return held, "", nil
	}
	return held, "what its open audits could still slash (" + strings.Join(named, "; ") + ")", nil
}
