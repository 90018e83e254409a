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

// TestRandomBytesPayTheirCost is a fuel escape: random_get's bytes are
// SHA-256 blocks, one per 32 bytes, but were charged like bytes copied (1
// fuel per 16). A guest reading random bytes in a loop got tens of times
// more CPU than its fuel says, so its fuel limit (half the timeout's
// worth) no longer stops it before the wall-clock timeout, and a request
// stopped by the timeout has no receipt: it is never billed. A loop of
// random reads must cost about as much CPU per fuel as plain guest code.
func TestRandomBytesPayTheirCost(t *testing.T) {
	rt := newTestRuntime(t)
	svc := load(t, rt, ServiceSpec{Name: "hostile", Wasm: hostileWasm(t), Instances: 1,
		Limits: Limits{RequestTimeout: time.Hour, Fuel: 100_000_000}})
	cpu := func(path string) time.Duration {
		_, err := svc.Handle(context.Background(), &Request{Method: "GET", Path: path})
		return requireError(t, err, KindFuel, "ran out of fuel").Usage.CPU
	}
	loop, random := cpu("/loop"), cpu("/rand")
	if random > 4*loop {
		t.Fatalf("100M fuel of random_get took %s of CPU, 100M fuel of plain guest code %s: random bytes are charged %.0f× below their cost",
			random, loop, float64(random)/float64(loop))
	}
}
