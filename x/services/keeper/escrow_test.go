package keeper_test

import (
	"errors"
	"slices"
	"testing"

	"cosmossdk.io/math"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/quantum1net/q1/x/services/types"
)

func TestFundEscrow(t *testing.T) {
	f := newFixture(t)
	f.mustCreate("alice", spec{}, 1_000_000)
	f.addr("stranger")
	before := f.balance("stranger")

	noErr(t, f.fund("stranger", "hello", 250))
	if got := f.service("hello").Escrow.Balance; !got.Equal(math.NewInt(1_000_250)) {
		t.Fatalf("escrow = %s", got)
	}
	if f.balance("stranger") != before-250 {
		t.Fatalf("stranger holds %d, had %d", f.balance("stranger"), before)
	}
	if !slices.Contains(f.events(), "q1.services.v1.EventEscrowFunded") {
		t.Fatalf("events = %q", f.events())
	}
	wantErr(t, f.fund("stranger", "hello", 0), "amount to fund must be positive, got 0")
	wantErr(t, f.fund("stranger", "nope", 5), "service nope does not exist")
	wantErr(t, f.fund("stranger", "hello", 1_000_000_000), "insufficient funds")
	f.checkConservation()
}

func TestWithdrawWithThresholdOneExecutesAtOnce(t *testing.T) {
	f := newFixture(t)
	f.mustCreate("alice", spec{}, 3_000_000)
	f.addr("treasury")
	before := f.balance("treasury")

	out, err := f.withdraw("alice", "hello", 1_000_000, "treasury")
	noErr(t, err)
	if out.Status != types.ProposalExecuted {
		t.Fatalf("outcome = %+v", out)
	}
	if f.balance("treasury") != before+1_000_000 || f.moduleBalance() != 2_000_000 {
		t.Fatalf("treasury %d (had %d), module %d", f.balance("treasury"), before, f.moduleBalance())
	}
	if !slices.Contains(f.events(), "q1.services.v1.EventEscrowWithdrawn") {
		t.Fatalf("events = %q", f.events())
	}
	_, err = f.withdraw("alice", "hello", 2_000_001, "treasury")
	wantErr(t, err, "service hello can withdraw at most 2000000uqc (escrow balance minus 0uqc owed), not 2000001uqc")
	if !errors.Is(err, types.ErrInsufficientEscrow) {
		t.Fatalf("error %v is not ErrInsufficientEscrow", err)
	}
	_, err = f.withdraw("alice", "hello", 0, "treasury")
	wantErr(t, err, "amount to withdraw must be positive, got 0")
	f.checkConservation()
}

func TestWithdrawNeedsThreshold(t *testing.T) {
	f := newFixture(t)
	f.mustCreate("alice", twoOfThree, 3_000_000)
	f.addr("treasury")
	before := f.balance("treasury")

	out, err := f.withdraw("alice", "hello", 1_000_000, "treasury")
	noErr(t, err)
	if out.Status != types.ProposalPending || out.Hash != types.WithdrawHash("hello", math.NewInt(1_000_000), denom, f.addr("treasury")) {
		t.Fatalf("outcome = %+v", out)
	}
	if f.balance("treasury") != before {
		t.Fatal("money moved before the threshold")
	}
	// The update hash of another proposal does not approve this one.
	_, err = f.approve("bob", "hello", out.ProposalId, types.DeleteHash("hello", f.addr("treasury")))
	wantErr(t, err, "proposal 1 of service hello has hash "+out.Hash)

	got := f.mustApprove("bob", "hello", out.ProposalId, out.Hash)
	if got.Status != types.ProposalExecuted || f.balance("treasury") != before+1_000_000 {
		t.Fatalf("outcome = %+v, treasury %d", got, f.balance("treasury"))
	}
	f.checkConservation()
}

func TestWithdrawRecheckedAtExecution(t *testing.T) {
	f := newFixture(t)
	f.mustCreate("alice", twoOfThree, 3_000_000)
	out, err := f.withdraw("alice", "hello", 2_000_000, "alice")
	noErr(t, err)
	// Another module is paid from the escrow in the meantime.
	noErr(t, f.k.PayFromEscrowToModule(f.ctx, "hello", authtypes.FeeCollectorName, math.NewInt(1_500_000)))

	_, err = f.approve("bob", "hello", out.ProposalId, out.Hash)
	wantErr(t, err, "service hello can withdraw at most 1500000uqc")
	if p := f.proposal(out.ProposalId); p.Status != types.ProposalPending || len(p.Approvals) != 1 {
		t.Fatalf("proposal after a refused execution = %+v", p)
	}
	noErr(t, f.cancel("bob", "hello", out.ProposalId))
	f.checkConservation()
}

func TestWithdrawLeavesWhatIsOwed(t *testing.T) {
	f := newFixture(t)
	f.mustCreate("alice", spec{}, 1_000_000)
	f.k.SetEscrowOwed(fixedOwed{amount: math.NewInt(300_000)})

	_, err := f.withdraw("alice", "hello", 700_001, "alice")
	wantErr(t, err, "service hello can withdraw at most 700000uqc (escrow balance minus 300000uqc owed), not 700001uqc")
	_, err = f.withdraw("alice", "hello", 700_000, "alice")
	noErr(t, err)
	if got := f.service("hello").Escrow.Balance; !got.Equal(math.NewInt(300_000)) {
		t.Fatalf("escrow = %s, want what is owed", got)
	}
	f.checkConservation()
}

func TestPayFromEscrowNeverGoesNegative(t *testing.T) {
	f := newFixture(t)
	f.mustCreate("alice", spec{}, 1_000_000)
	sharer := f.raw("sharer")
	f.addr("sharer")
	before := f.balance("sharer")

	noErr(t, f.k.PayFromEscrowToAccount(f.ctx, "hello", sharer, math.NewInt(400_000)))
	err := f.k.PayFromEscrowToAccount(f.ctx, "hello", sharer, math.NewInt(600_001))
	wantErr(t, err, "service hello holds 600000uqc in escrow, less than 600001uqc")
	if !errors.Is(err, types.ErrInsufficientEscrow) {
		t.Fatalf("error %v is not ErrInsufficientEscrow", err)
	}
	wantErr(t, f.k.PayFromEscrowToAccount(f.ctx, "hello", sharer, math.ZeroInt()), "must be positive")
	noErr(t, f.k.PayFromEscrowToModule(f.ctx, "hello", authtypes.FeeCollectorName, math.NewInt(600_000)))

	bal, err := f.k.EscrowBalance(f.ctx, "hello")
	noErr(t, err)
	if !bal.IsZero() || f.balance("sharer") != before+400_000 || f.moduleBalance() != 0 {
		t.Fatalf("escrow %s, sharer %d (had %d), module %d", bal, f.balance("sharer"), before, f.moduleBalance())
	}
	f.checkConservation()
}
