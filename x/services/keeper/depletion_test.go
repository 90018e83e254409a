package keeper_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"cosmossdk.io/math"

	"github.com/quantum1net/q1/x/services/types"
)

// hintHooks are escrow hooks that name what resumes a depleted service.
type hintHooks struct{ types.NoEscrowHooks }

func (hintHooks) DepletionResumeHint(context.Context, string) (string, error) {
	return "deposit at least 5uqc before height 99", nil
}

// TestDepletionLifecycle: x/usage pauses a service whose escrow ran dry
// (pause reason depletion, hooks run), owners cannot resume it (the refusal
// says what to deposit), a deposit-driven resume makes it active again, and
// a depletion deletion fails the pending proposal, refunds the creator what
// is not owed and records the reason.
func TestDepletionLifecycle(t *testing.T) {
	f := newFixture(t)
	f.k.SetEscrowHooks(hintHooks{})
	f.mustCreate("alice", twoOfThree, 3_000_000)
	f.endBlock()
	f.hooks.calls = nil

	noErr(t, f.tx(func(ctx context.Context) error { return f.k.PauseForDepletion(ctx, "hello") }))
	svc := f.service("hello").Service
	if svc.Status != types.StatusPaused || svc.Pause == nil || svc.Pause.Reason != types.PauseReasonDepletion {
		t.Fatalf("after depletion: %+v", svc)
	}
	if !slices.Equal(f.hooks.calls, []string{"paused hello by escrow depletion"}) {
		t.Errorf("hooks = %q", f.hooks.calls)
	}
	wantErr(t, f.resume("alice", "hello"),
		"service hello was paused because its escrow ran dry; a deposit covering policies.budget.lowBalanceBlocks resumes it: deposit at least 5uqc before height 99")
	err := f.tx(func(ctx context.Context) error { return f.k.PauseForDepletion(ctx, "hello") })
	wantErr(t, err, "service hello is paused, not active")

	noErr(t, f.tx(func(ctx context.Context) error { return f.k.ResumeAfterDeposit(ctx, "hello") }))
	if s := f.service("hello").Service; s.Status != types.StatusActive || s.Pause != nil {
		t.Fatalf("after a resume by deposit: %+v", s)
	}
	err = f.tx(func(ctx context.Context) error { return f.k.ResumeAfterDeposit(ctx, "hello") })
	wantErr(t, err, "service hello is active, not paused because its escrow ran dry")

	// A pending withdrawal fails when the service is deleted for depletion.
	out, err := f.withdraw("alice", "hello", 1_000_000, "alice")
	noErr(t, err)
	f.k.SetEscrowOwed(fixedOwed{amount: math.NewInt(500_000)})
	before := f.balance("alice")
	noErr(t, f.tx(func(ctx context.Context) error {
		return f.k.DeleteForDepletion(ctx, "hello", "its escrow ran dry at height 7")
	}))
	got := f.service("hello")
	if got.Service.Status != types.StatusDeleted || got.Service.PendingProposalId != 0 {
		t.Fatalf("after deletion: %+v", got.Service)
	}
	if f.balance("alice") != before+2_500_000 || !got.Escrow.Balance.Equal(math.NewInt(500_000)) {
		t.Errorf("creator refunded %d, escrow %s; want 2500000 refunded and the 500000 owed kept", f.balance("alice")-before, got.Escrow.Balance)
	}
	p, err := f.k.GetProposal(f.ctx, out.ProposalId)
	noErr(t, err)
	if p.Status != types.ProposalFailed || !strings.Contains(p.Failure, "service deleted: its escrow ran dry at height 7") {
		t.Errorf("pending proposal: %+v", p)
	}
	if !slices.Contains(f.events(), "q1.services.v1.EventServiceDeleted") {
		t.Errorf("events = %q", f.events())
	}
	f.checkConservation()
}
