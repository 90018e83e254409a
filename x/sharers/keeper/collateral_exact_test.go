package keeper_test

import (
	"fmt"
	"strings"
	"testing"

	"cosmossdk.io/math"
)

// TestCollateralExactlyTheMinimum: collateral equal to a minimum is
// enough, everywhere a minimum applies: registering with exactly
// params.min_collateral (1 QC) is accepted and locks all of it; a service
// whose placement.minCollateral equals what the sharer holds is placed on
// it, one that asks one uqc more is not.
func TestCollateralExactlyTheMinimum(t *testing.T) {
	f := newFixture(t)
	noErr(t, f.registerWith("exact", f.offerOf("exact", offer{}), 1_000_000))
	if got := f.sharer("exact").Collateral; !got.Equal(math.NewInt(1_000_000)) || f.moduleBalance() != 1_000_000 {
		t.Fatalf("collateral %s, module holds %d", got, f.moduleBalance())
	}
	wantErr(t, f.withdrawCollateral("exact", 1),
		"holds 1000000uqc of collateral, 1000000uqc of it locked (params.min_collateral while registered)", "at most 0uqc now")

	f.create(spec{name: "equal", minCollateral: "1QC"})
	f.create(spec{name: "above", minCollateral: "1000001uqc"})
	f.endBlock()
	if got := f.holders("equal"); fmt.Sprint(got) != "[exact]" {
		t.Errorf("service asking exactly the sharer's collateral placed on %v, want [exact]: %s", got, f.placement("equal").State.Explanation)
	}
	if got := f.holders("above"); len(got) != 0 {
		t.Errorf("service asking 1 uqc more than the sharer holds placed on %v", got)
	}
	if why := f.placement("above").State.Explanation; !strings.Contains(why, "collateral") {
		t.Errorf("placement of above does not name the collateral: %q", why)
	}
	f.checkInvariants()
}
