package keeper_test

import (
	"errors"
	"slices"
	"testing"

	"cosmossdk.io/math"

	"github.com/quantum1net/q1/x/services/types"
)

func TestDeleteNeedsThresholdAndRefunds(t *testing.T) {
	f := newFixture(t)
	f.mustCreate("alice", twoOfThree, 4_000_000)
	f.addr("refund")
	before := f.balance("refund")

	out, err := f.del("alice", "hello", "refund")
	noErr(t, err)
	if out.Status != types.ProposalPending || out.Hash != types.DeleteHash("hello", f.addr("refund")) {
		t.Fatalf("outcome = %+v", out)
	}
	if f.service("hello").Service.Status != types.StatusActive {
		t.Fatal("deleted before the threshold")
	}
	f.endBlock()
	f.hooks.calls = nil
	f.mustApprove("carol", "hello", out.ProposalId, out.Hash)

	got := f.service("hello")
	if got.Service.Status != types.StatusDeleted || got.Service.DeletedHeight != startHeight+1 || got.Service.PendingProposalId != 0 {
		t.Fatalf("service = %+v", got.Service)
	}
	if !got.Escrow.Balance.IsZero() || f.balance("refund") != before+4_000_000 || f.moduleBalance() != 0 {
		t.Fatalf("escrow %s, refund %d (had %d), module %d", got.Escrow.Balance, f.balance("refund"), before, f.moduleBalance())
	}
	if !slices.Equal(f.hooks.calls, []string{"deleted hello"}) {
		t.Fatalf("hooks = %q", f.hooks.calls)
	}
	if !slices.Contains(f.events(), "q1.services.v1.EventServiceDeleted") {
		t.Fatalf("events = %q", f.events())
	}
	// The record and history stay.
	hist, err := f.query.History(f.ctx, &types.QueryHistoryRequest{Name: "hello"})
	noErr(t, err)
	if len(hist.Versions) != 1 {
		t.Fatalf("history after deletion = %d versions", len(hist.Versions))
	}
	f.checkConservation()
}

func TestDeletedServiceRefusesEverything(t *testing.T) {
	f := newFixture(t)
	f.mustCreate("alice", spec{operators: []string{"dave"}}, 1_000_000)
	f.endBlock()
	out, err := f.del("alice", "hello", "alice")
	noErr(t, err)
	if out.Status != types.ProposalExecuted {
		t.Fatalf("threshold-1 delete outcome = %+v", out)
	}

	const gone = "service hello was deleted at height 11 and can no longer change"
	_, err = f.propose("alice", spec{memory: "128Mi"})
	wantErr(t, err, gone)
	if !errors.Is(err, types.ErrServiceDeleted) {
		t.Fatalf("error %v is not ErrServiceDeleted", err)
	}
	wantErr(t, f.pause("dave", "hello"), gone)
	wantErr(t, f.resume("dave", "hello"), gone)
	wantErr(t, f.fund("dave", "hello", 5), gone)
	_, err = f.scale("dave", "hello", 3)
	wantErr(t, err, gone)
	_, err = f.withdraw("alice", "hello", 1, "alice")
	wantErr(t, err, gone)
	_, err = f.del("alice", "hello", "alice")
	wantErr(t, err, gone)

	// The name is never reused, by anyone, its owners included.
	for _, who := range []string{"alice", "mallory"} {
		_, err = f.create(who, spec{owners: []string{who}}, 1_000_000)
		wantErr(t, err, "name hello is taken (deleted at height 11); names are never reused")
		if !errors.Is(err, types.ErrNameTaken) {
			t.Fatalf("error %v is not ErrNameTaken", err)
		}
	}
}

func TestDeleteLeavesWhatIsOwed(t *testing.T) {
	f := newFixture(t)
	f.mustCreate("alice", spec{}, 1_000_000)
	f.k.SetEscrowOwed(fixedOwed{amount: math.NewInt(250_000)})
	_, err := f.del("alice", "hello", "alice")
	noErr(t, err)
	if got := f.service("hello").Escrow.Balance; !got.Equal(math.NewInt(250_000)) {
		t.Fatalf("escrow after deletion = %s, want the 250000 owed", got)
	}
	// The creditor still collects from the deleted service's escrow.
	noErr(t, f.k.PayFromEscrowToAccount(f.ctx, "hello", f.raw("sharer"), math.NewInt(250_000)))
	f.checkConservation()
}
