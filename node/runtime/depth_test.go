package runtime

import (
	"context"
	"testing"
	"time"

	"github.com/quantum1net/q1/core/receipt"
)

// TestDepthLimitAcrossEngines: a request that recurses without end fails
// alone, by the call depth limit, with the same receipt (fuel included) on
// the compiler and the interpreter, and the service goes on serving from a
// fresh instance.
func TestDepthLimitAcrossEngines(t *testing.T) {
	wasm := hostileWasm(t)
	t0 := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	run := func(t *testing.T, opts ...Option) []receipt.Receipt {
		rt := newTestRuntime(t, opts...)
		fixedClock(rt)
		sink := &captureSink{}
		svc := load(t, rt, ServiceSpec{Name: "hostile", Wasm: wasm, Instances: 1, LeaseID: 9,
			Epoch: func() uint64 { return 1 }, Receipts: sink})
		_, err := svc.Handle(context.Background(), &Request{Method: "GET", Path: "/recurse", Time: t0})
		e := requireError(t, err, KindTrap, "service hostile: "+depthReason)
		if e.Usage.Fuel == 0 {
			t.Errorf("no fuel counted: %+v", e.Usage)
		}
		for i := range 3 {
			resp, err := svc.Handle(context.Background(), &Request{Method: "GET", Path: "/ok", Time: t0.Add(time.Duration(i+1) * time.Second)})
			if err != nil || string(resp.Body) != "ok" {
				t.Fatalf("after the recursion, GET /ok: %v, %v", resp, err)
			}
		}
		if st := svc.Stats(); st.InstancesReplaced != 1 || st.Errors[KindTrap] != 1 {
			t.Errorf("stats %+v", st)
		}
		return sink.receipts()
	}
	want := run(t)
	if len(want) != 2+1+3 || want[1].Trap != receipt.TrapGuest {
		t.Fatalf("receipts %+v", want)
	}
	got := run(t, WithInterpreter())
	if len(got) != len(want) {
		t.Fatalf("interpreter: %d receipts, compiler %d", len(got), len(want))
	}
	for i := range got {
		if got[i].Hash() != want[i].Hash() {
			t.Errorf("receipt %d differs:\n interpreter %+v\n compiler    %+v", i, got[i], want[i])
		}
	}
}

// TestDepthResetBetweenRequests: the host sets the depth to 0 before every
// call, so the weight an export's entry adds does not pile up over many
// requests on one instance (1,024 calls would reach the limit).
func TestDepthResetBetweenRequests(t *testing.T) {
	rt := newTestRuntime(t)
	svc := load(t, rt, ServiceSpec{Name: "hello", Wasm: helloWasm(t), Instances: 1})
	for i := range 1500 {
		if _, err := svc.Handle(context.Background(), &Request{Method: "GET", Path: "/"}); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	if st := svc.Stats(); st.InstancesReplaced != 0 {
		t.Errorf("stats %+v", st)
	}
}
