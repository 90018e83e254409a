package runtime

import (
	"testing"
	"time"
)

func TestUsageCountsCPUNotWaiting(t *testing.T) {
	if !cpuTimeIsThreadTime {
		t.Skip("thread CPU time is measured on Linux only")
	}
	rt := newTestRuntime(t)
	svc := load(t, rt, ServiceSpec{Name: "hostile", Wasm: hostileWasm(t), Instances: 1})

	busy := get(t, svc, "/cpu?n=20000000").Usage
	if busy.CPU <= 0 {
		t.Fatalf("busy request used no CPU: %+v", busy)
	}
	// A guest's sleep advances its clocks and returns at once
	// (docs/guest-abi.md §8): the request costs the fuel of a few calls,
	// far less than the busy one.
	const nap = 500 * time.Millisecond
	resp := get(t, svc, "/sleep?d="+nap.String())
	idle := resp.Usage
	if string(resp.Body) != "slept "+nap.String() || idle.Fuel == 0 || idle.Fuel >= busy.Fuel {
		t.Fatalf("sleeping request answered %q with usage %+v; busy request's %+v", resp.Body, idle, busy)
	}
	if st := svc.Stats(); st.CPU != busy.CPU+idle.CPU {
		t.Fatalf("stats CPU %s, want %s + %s", st.CPU, busy.CPU, idle.CPU)
	}
}
