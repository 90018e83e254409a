package keeper_test

import (
	"context"
	"testing"

	"cosmossdk.io/math"
)

// auditLocks is a fake x/usage: collateral held by open audits, by sharer.
type auditLocks map[string]math.Int

func (l auditLocks) CollateralHeld(_ context.Context, sharer string) (math.Int, string, error) {
	if v, ok := l[sharer]; ok {
		return v, "the possible slashes of its open audit 7 (x/usage)", nil
	}
	return math.ZeroInt(), "", nil
}

// TestCollateralHeldByOpenAudits is an escape from slashing: a sharer
// whose inflated report is under audit withdrew its collateral down to the
// minimum, or drained its leases, deregistered and withdrew everything,
// all within the audit's windows, so the slash found nothing to take. The
// collateral an open (or pending) audit may slash stays locked, registered
// or not.
func TestCollateralHeldByOpenAudits(t *testing.T) {
	f := newFixture(t)
	f.mustRegister(offer{}, "s1")
	noErr(t, f.addCollateral("s1", 3_000_000)) // 5 QC
	locks := auditLocks{f.addr("s1"): math.NewInt(4_500_000)}
	f.k.SetCollateralLocks(locks)

	wantErr(t, f.withdrawCollateral("s1", 600_000),
		"holds 5000000uqc of collateral, 4500000uqc of it locked (the possible slashes of its open audit 7 (x/usage))", "at most 500000uqc")
	noErr(t, f.deregister("s1"))
	wantErr(t, f.withdrawCollateral("s1", 5_000_000),
		"4500000uqc of it locked (the possible slashes of its open audit 7 (x/usage))", "at most 500000uqc")
	noErr(t, f.withdrawCollateral("s1", 500_000))

	delete(locks, f.addr("s1")) // the audit resolved
	noErr(t, f.withdrawCollateral("s1", 4_500_000))
	f.checkInvariants()
}
