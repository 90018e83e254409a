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
	// A guest that sleeps waits without using CPU: its usage stays below the
	// time it slept, however loaded the machine is.
	const nap = 500 * time.Millisecond
	start := time.Now()
	idle := get(t, svc, "/sleep?d="+nap.String()).Usage
	if wall := time.Since(start); wall < nap || idle.CPU >= nap {
		t.Fatalf("sleeping request: wall %s, usage %+v; want CPU below %s", wall, idle, nap)
	}
	if st := svc.Stats(); st.CPU != busy.CPU+idle.CPU {
		t.Fatalf("stats CPU %s, want %s + %s", st.CPU, busy.CPU, idle.CPU)
	}
}
