package audit

import (
	"testing"

	"github.com/quantum1net/q1/core/receipt"
	"github.com/quantum1net/q1/node/runtime"
	usagetypes "github.com/quantum1net/q1/x/usage/types"
)

// TestAuditRefusesHistoryBiggerThanTree is an attack on auditors: the
// cheater commits a tree holding only the last receipt of an instance, but
// that receipt chains (Prev) to a long history of expensive steps that
// are in no tree and billed to no one. Re-executing it would cost the
// auditor the fuel the history claims, unbounded by what the entry
// committed. An honest instance's receipts are all leaves of its lease's
// tree, so a history holding more receipts or fuel than the committed root
// is a false claim: FAIL, before any re-execution.
func TestAuditRefusesHistoryBiggerThanTree(t *testing.T) {
	chain := &fakeChain{}
	replayed := 0
	count := func(steps []runtime.ReplayStep) []runtime.ReplayOutcome {
		replayed += len(steps)
		return honest(steps)
	}
	w, s, store, _ := testWorker(t, chain, nil, count)
	w.cfg.Fetch = serveFrom(store)
	rs, _ := testHistory(t, 5)
	last := rs[5] // fuel 300; the history before it claims 750 more
	tr, err := receipt.Build([]receipt.Sum{last.Leaf()})
	if err != nil {
		t.Fatal(err)
	}
	root := tr.Root()
	a := auditOf(t, store)
	a.Root = usagetypes.ReceiptsRoot{Hash: root.Hash[:], Leaves: root.Leaves, Fuel: root.Fuel, Requests: root.Requests, Egress: root.Egress}
	a.Samples = []usagetypes.Sample{{Index: 0, Receipt: last.Marshal()}}
	chain.audited = []usagetypes.Audit{a}
	r := commitThenReveal(t, w, chain, s)
	want := "sample 0 (instance 2, receipt 5): its history holds 6 receipts claiming 1050 fuel, but the committed tree holds 1 receipts and 300 fuel in all: the history is not in the tree"
	if r.Verdict != usagetypes.Verdict_VERDICT_FAIL || r.Detail != want {
		t.Fatalf("verdict %v: %q\nwant FAIL: %q", r.Verdict, r.Detail, want)
	}
	if replayed != 0 {
		t.Fatalf("re-executed %d steps of a history the tree cannot hold", replayed)
	}
}
