package runtime

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/quantum1net/q1/core/receipt"
)

// TestTimeoutInFetchIsBilled is a billing escape: a request stopped by the
// wall-clock timeout left no receipt, so it was never billed. A tenant's
// guest computes up to its fuel limit, then fetches from an upstream of
// its own that never answers: every request times out in the fetch and
// its CPU is free. The deadline passing while the guest waits in
// http_fetch is a point the tape can record: the guest stops there, the
// receipt records the fuel used until then (trap timeout), and an
// auditor's replay, served the recorded deadline, stops at the same point
// with the same fuel.
func TestTimeoutInFetchIsBilled(t *testing.T) {
	hang := make(chan struct{})
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	}))
	defer upstream.Close()
	defer close(hang)
	rt := newTestRuntime(t, WithEgressAllowLoopbackForTests())
	sink := &captureSink{}
	spec := ServiceSpec{Name: "caps", Wasm: capsWasm(t), Instances: 1, LeaseID: 12, Receipts: sink,
		Limits: Limits{RequestTimeout: 2 * time.Second},
		Capabilities: Capabilities{KV: &KVConfig{Dir: t.TempDir(), QuotaBytes: 1 << 20}, Log: NewLogBuffer(10),
			Egress: &EgressConfig{Hosts: []string{"127.0.0.1"}}}}
	svc := load(t, rt, spec)
	_, err := svc.Handle(context.Background(), &Request{Method: "GET", Path: "/fetch?url=" + url.QueryEscape(upstream.URL+"/hang")})
	e := requireError(t, err, KindTimeout, "timeout")
	steps := sink.history(t, 12, 0, 0)
	if len(steps) != 2 {
		t.Fatalf("%d receipts for a start-up and a request stopped by its timeout while it waited in http_fetch: the request left no receipt, so it is never billed (usage %+v)",
			len(steps), e.Usage)
	}
	r := steps[1].Receipt
	if r.Trap != receipt.TrapTimeout || r.Fuel == 0 || e.Usage.Fuel != r.Fuel {
		t.Fatalf("receipt trap %d fuel %d, usage fuel %d; want trap %d and the fuel used until the deadline", r.Trap, r.Fuel, e.Usage.Fuel, receipt.TrapTimeout)
	}
	out, err := rt.Replay(context.Background(), spec.Wasm, spec, steps)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 2 || out[1].Divergence != nil || out[1].Receipt.Hash() != r.Hash() {
		t.Fatalf("replay of the timed-out step: %d outcomes, divergence %v\n got %+v\nwant %+v", len(out), out[len(out)-1].Divergence, out[len(out)-1].Receipt, r)
	}
}
