package keeper_test

import (
	"errors"
	"testing"
	"time"

	servicestypes "github.com/quantum1net/q1/x/services/types"
	"github.com/quantum1net/q1/x/usage/types"
)

// TestResumeNeedsTheWholeDeposit: a depleted service needs a deposit of
// lowBalanceBlocks × block_time_ms of its burn (here 100 uqc) to resume; one
// of half that, or of one uqc short of it, is refused and undone, and the
// service stays paused; the whole amount resumes it.
func TestResumeNeedsTheWholeDeposit(t *testing.T) {
	f := newFixture(t)
	f.sharerWith("s1", 1000, 0)
	f.burning("dry", 10, svcOpts{}) // 1 uqc a second
	f.wait(10, time.Second)
	f.endBlock()
	if f.services.services["dry"].Status != servicestypes.StatusPaused {
		t.Fatal("not paused when its escrow ran dry")
	}
	if need := f.economics("dry").DepositToResume; need.Int64() != 100 {
		t.Fatalf("deposit to resume %s, want 100", need)
	}
	for _, amount := range []int64{50, 75, 99} {
		_, err := f.fund("dry", amount)
		if !errors.Is(err, types.ErrDepositBelowResume) {
			t.Fatalf("a deposit of %d of the 100 needed: %v, want ErrDepositBelowResume", amount, err)
		}
		wantErr(t, err, "but resuming needs 100uqc", "deposit at least 100uqc")
		wantInt(t, "escrow after a refused deposit", f.services.escrows["dry"], 0)
		if f.services.services["dry"].Status != servicestypes.StatusPaused || len(f.services.resumed) != 0 {
			t.Fatalf("resumed by a deposit of %d", amount)
		}
	}
	_, err := f.fund("dry", 100)
	noErr(t, err)
	if f.services.services["dry"].Status != servicestypes.StatusActive || len(f.services.resumed) != 1 {
		t.Fatal("not resumed by the whole deposit")
	}
	f.audit()
}
