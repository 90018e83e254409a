package keeper_test

import (
	"strings"
	"testing"

	"github.com/quantum1net/q1/x/usage/types"
)

// TestCollateralHeldWhileAudited is an escape from slashing: a sharer
// under audit could withdraw its collateral (or deregister and withdraw
// all of it) before the audit resolved, so the slash for an inflated
// report found nothing. x/usage tells x/sharers (CollateralLocks) what an
// open audit could still slash, max(slash_multiplier × charged,
// min_slash), and the audit names itself in the reason; once it resolves
// nothing is held.
func TestCollateralHeldWhileAudited(t *testing.T) {
	a := newAuditFix(t, nil, nil)
	held, why, err := a.k.CollateralHeld(a.ctx, a.addr("s1"))
	noErr(t, err)
	wantInt(t, "held while audited", held, 3*wantCharged)
	if !strings.Contains(why, "what its open audits could still slash (audit 1 of lease 1, epoch") {
		t.Fatalf("reason %q", why)
	}
	held, _, err = a.k.CollateralHeld(a.ctx, a.addr(auditors[0]))
	noErr(t, err)
	wantInt(t, "held from an auditor", held, 0)

	F := types.Verdict_VERDICT_FAIL
	if au, _ := a.vote(F, F, F); au.State != types.AuditFailed {
		t.Fatalf("state %s", au.State)
	}
	held, _, err = a.k.CollateralHeld(a.ctx, a.addr("s1"))
	noErr(t, err)
	wantInt(t, "held once resolved", held, 0)
}
