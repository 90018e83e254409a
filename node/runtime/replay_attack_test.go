package runtime

import (
	"context"
	"crypto/sha256"
	"slices"
	"testing"
	"time"

	"github.com/quantum1net/q1/core/receipt"
)

// TestReplayStopsAtClaimedFuel is an attack on auditors: a cheating node
// serves a history whose request steps claim almost no fuel but whose
// requests loop forever. Replay must not give each step the service's
// whole fuel limit (an auditor would burn limit × steps of CPU for a claim
// of a few fuel): a step runs on at most the fuel its receipt claims, so a
// step that claims less than it uses stops there, out of fuel, and the
// comparison fails it.
func TestReplayStopsAtClaimedFuel(t *testing.T) {
	rt := newTestRuntime(t)
	sink := &captureSink{}
	spec := ServiceSpec{Name: "hostile", Wasm: hostileWasm(t), Instances: 1, LeaseID: 5, Receipts: sink,
		Limits: Limits{RequestTimeout: time.Hour, Fuel: 2_000_000_000}}
	svc := load(t, rt, spec)
	get(t, svc, "/ok")
	steps := sink.history(t, 5, 0, 0)
	if len(steps) != 2 {
		t.Fatalf("%d steps, want a start-up and a request", len(steps))
	}
	forged := slices.Clone(steps)
	loop := encodeRequest(&Request{Method: "GET", Path: "/loop"})
	forged[1].Request = loop
	forged[1].Receipt.RequestHash = sha256.Sum256(loop)
	claimed := forged[1].Receipt.Fuel
	start := time.Now()
	out, err := rt.Replay(context.Background(), spec.Wasm, spec, forged)
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	if len(out) != 2 {
		t.Fatalf("%d outcomes, want 2", len(out))
	}
	got := out[1].Receipt
	if got.Fuel > claimed || got.Trap != receipt.TrapFuel {
		t.Fatalf("replayed forged step used %d fuel (trap %d) in %s; its receipt claims %d: the replay must stop at the claimed fuel, out of fuel",
			got.Fuel, got.Trap, took, claimed)
	}
}
