package keeper_test

import (
	"slices"
	"strings"
	"testing"

	"cosmossdk.io/collections"

	"github.com/quantum1net/q1/x/services/types"
)

func TestActivationExactlyAtNoticeHeight(t *testing.T) {
	f := newFixture(t)
	f.mustCreate("alice", twoOfThree, 1_000_000)
	next := with(twoOfThree, func(s *spec) { s.memory = "128Mi" })
	out := f.mustPropose("alice", next) // height 10: activates at 15
	f.endBlock()
	f.endBlock()
	f.mustApprove("bob", "hello", out.ProposalId, out.Hash) // height 12
	f.hooks.calls = nil

	for f.ctx.BlockHeight() < startHeight+5 {
		f.endBlock()
		if v := f.service("hello").Current.Number; v != 1 {
			t.Fatalf("version %d active after EndBlock at height %d, before the notice passed", v, f.ctx.BlockHeight()-1)
		}
	}
	f.endBlock() // height 15
	got := f.service("hello")
	cur := got.Current
	if cur.Number != 2 || cur.ActivatedHeight != startHeight+5 || cur.ProposedHeight != startHeight || cur.ProposalId != out.ProposalId ||
		cur.Proposer != f.addr("alice") || !slices.Equal(cur.Approvers, []string{f.addr("alice"), f.addr("bob")}) ||
		cur.Origin != types.OriginUpdate || cur.Hash != out.Hash {
		t.Fatalf("version 2 = %+v", cur)
	}
	if got.Pending != nil || got.Service.PendingProposalId != 0 {
		t.Fatalf("still pending after activation: %+v", got.Pending)
	}
	if p := f.proposal(out.ProposalId); p.Status != types.ProposalExecuted || p.ClosedHeight != startHeight+5 {
		t.Fatalf("proposal = %+v", p)
	}
	if len(f.hooks.calls) != 1 || !strings.HasPrefix(f.hooks.calls[0], "activated hello ") {
		t.Fatalf("hooks = %q", f.hooks.calls)
	}
	if !slices.Contains(f.events(), "q1.services.v1.EventVersionActivated") {
		t.Fatalf("events = %q", f.events())
	}
	assertQueueEmpty(t, f)
}

func TestApprovalAfterNoticeActivatesAtOnce(t *testing.T) {
	f := newFixture(t)
	f.mustCreate("alice", twoOfThree, 1_000_000)
	out := f.mustPropose("alice", with(twoOfThree, func(s *spec) { s.memory = "128Mi" }))
	for range 8 {
		f.endBlock()
	}
	// Not approved: the notice passing alone activates nothing.
	if v := f.service("hello").Current.Number; v != 1 {
		t.Fatalf("an unapproved update activated (version %d)", v)
	}
	got := f.mustApprove("carol", "hello", out.ProposalId, out.Hash) // height 18 >= 15
	if got.Status != types.ProposalExecuted {
		t.Fatalf("outcome = %+v", got)
	}
	if cur := f.service("hello").Current; cur.Number != 2 || cur.ActivatedHeight != startHeight+8 {
		t.Fatalf("current = %+v", cur)
	}
	assertQueueEmpty(t, f)
}

func TestNoticeChangeWaitsCurrentNotice(t *testing.T) {
	f := newFixture(t)
	f.mustCreate("alice", spec{notice: 10}, 1_000_000)
	out := f.mustPropose("alice", spec{notice: 0})
	if out.Status != types.ProposalPending || out.ActivationHeight != startHeight+10 {
		t.Fatalf("outcome = %+v, want pending until height 20 (the current notice)", out)
	}
	for range 10 {
		f.endBlock()
	}
	if v := f.service("hello").Current.Number; v != 1 {
		t.Fatalf("activated before height 20 (version %d)", v)
	}
	f.endBlock()
	if v := f.service("hello").Current.Number; v != 2 {
		t.Fatalf("not activated at height 20 (version %d)", v)
	}
	// Now the notice is 0: the next update applies at once.
	if out := f.mustPropose("alice", spec{notice: 0, memory: "128Mi"}); out.Status != types.ProposalExecuted {
		t.Fatalf("outcome = %+v", out)
	}
}

func TestFailedActivationDoesNotHaltTheChain(t *testing.T) {
	f := newFixture(t)
	f.mustCreate("alice", spec{notice: 2}, 1_000_000)
	out := f.mustPropose("alice", spec{notice: 2, memory: "128Mi"})
	f.hooks.failOn = "activated"
	for range 3 { // EndBlock at heights 10, 11 and 12, the activation height
		f.endBlock()
	}
	p := f.proposal(out.ProposalId)
	if p.Status != types.ProposalFailed || !strings.Contains(p.Failure, "hook refused activated hello") || p.ClosedHeight != startHeight+2 {
		t.Fatalf("proposal = %+v", p)
	}
	got := f.service("hello")
	if got.Current.Number != 1 || got.Service.PendingProposalId != 0 {
		t.Fatalf("service after a failed activation = %+v", got.Service)
	}
	if _, err := f.k.GetVersion(f.ctx, "hello", 2); err == nil {
		t.Fatal("the failed activation left version 2 behind")
	}
	if !slices.Contains(f.events(), "q1.services.v1.EventProposalFailed") {
		t.Fatalf("events = %q", f.events())
	}
	f.hooks.failOn = ""
	if _, err := f.propose("alice", spec{notice: 2, memory: "256Mi"}); err != nil {
		t.Fatalf("a new proposal after the failure: %v", err)
	}
}

func TestEndBlockVisitsOnlyDueUpdates(t *testing.T) {
	f := newFixture(t)
	// Many services with far-off updates, one due soon.
	for _, name := range []string{"a1", "a2", "a3", "a4", "a5"} {
		f.mustCreate("alice", spec{name: name, notice: 1000}, 1_000_000)
		f.mustPropose("alice", spec{name: name, notice: 1000, memory: "128Mi"})
	}
	f.mustCreate("alice", spec{name: "soon", notice: 1}, 1_000_000)
	f.mustPropose("alice", spec{name: "soon", notice: 1, memory: "128Mi"})
	f.endBlock()
	f.endBlock()
	if v := f.service("soon").Current.Number; v != 2 {
		t.Fatalf("soon is at version %d", v)
	}
	var left []collections.Pair[int64, uint64]
	noErr(t, f.k.ActivationQueue.Walk(f.ctx, nil, func(k collections.Pair[int64, uint64]) (bool, error) {
		left = append(left, k)
		return false, nil
	}))
	if len(left) != 5 || left[0].K1() != startHeight+1000 {
		t.Fatalf("queue = %v, want the five far-off updates", left)
	}
}

func assertQueueEmpty(t *testing.T, f *fixture) {
	t.Helper()
	it, err := f.k.ActivationQueue.Iterate(f.ctx, nil)
	noErr(t, err)
	defer it.Close()
	if it.Valid() {
		k, _ := it.Key()
		t.Fatalf("activation queue still holds %v", k)
	}
}
