package audit

import (
	"context"
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

// TestAuditReplaysTheSampledVersion is an attack by a tenant on an honest
// sharer: it upgrades its service in the middle of an epoch. The lease's
// receipts before the upgrade name the old module, and the chain accepts
// them (the audit lists every version active during the epoch), but the
// auditor re-executed every sample with the newest version's module, so
// the module hash differed and the honest sharer FAILed: refunded to the
// tenant, slashed. Each instance is re-executed with the module its
// sampled receipts name.
func TestAuditReplaysTheSampledVersion(t *testing.T) {
	chain := &fakeChain{}
	var newest receipt.Hash
	newest[0] = 0xee
	asModule := func(steps []runtime.ReplayStep, wasm []byte) []runtime.ReplayOutcome {
		out := honest(steps)
		for i := range out {
			copy(out[i].Receipt.ModuleHash[:], wasm) // the module it ran
		}
		return out
	}
	w, s, store, _ := testWorker(t, chain, nil, nil)
	w.cfg.Fetch = serveFrom(store)
	w.cfg.Modules = func(_ context.Context, h receipt.Hash) ([]byte, error) { return h[:], nil }
	w.cfg.Replay = func(_ context.Context, _ string, _ uint64, wasm []byte, steps []runtime.ReplayStep) ([]runtime.ReplayOutcome, error) {
		return asModule(steps, wasm), nil
	}
	a := auditOf(t, store, 3)
	old := receipt.Hash{} // testHistory's receipts name the zero module
	a.ModuleHash, a.ModuleHashes = newest[:], [][]byte{newest[:], old[:]}
	chain.audited = []usagetypes.Audit{a}
	r := commitThenReveal(t, w, chain, s)
	if r.Verdict != usagetypes.Verdict_VERDICT_PASS {
		t.Fatalf("verdict %v: %s; want PASS: the sample ran the version active before the upgrade", r.Verdict, r.Detail)
	}
}
