package runtime

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quantum1net/q1/node/gateway"
)

// TestHostileModulesDoNotDisturbOthers runs every kind of misbehaviour in one
// service, and loads modules that must be refused, while a second service in
// the same Runtime answers a concurrent stream of calls. Each hostile call
// fails alone with its own message; the hostile service recovers; the other
// service answers every call.
func TestHostileModulesDoNotDisturbOthers(t *testing.T) {
	rt := newTestRuntime(t)
	hello := load(t, rt, ServiceSpec{Name: "hello", Wasm: helloWasm(t)})
	// Two services run the hostile module: one whose requests must time out,
	// and one whose timeout is long enough never to interfere with the
	// failure each request is meant to cause.
	hostile := load(t, rt, ServiceSpec{
		Name:      "hostile",
		Wasm:      hostileWasm(t),
		Instances: 1,
		Limits: Limits{
			MemoryBytes:      32 << 20,
			RequestTimeout:   time.Minute,
			MaxResponseBytes: 1 << 20,
		},
	})
	slow := load(t, rt, ServiceSpec{
		Name:      "slow",
		Wasm:      hostileWasm(t),
		Instances: 1,
		Limits:    Limits{RequestTimeout: 300 * time.Millisecond, Fuel: 1 << 62},
	})
	// And one whose requests run out of fuel long before their timeout.
	greedy := load(t, rt, ServiceSpec{
		Name:      "greedy",
		Wasm:      hostileWasm(t),
		Instances: 1,
		Limits:    Limits{RequestTimeout: time.Minute, Fuel: 20_000_000},
	})
	counter := counterWasm(t)

	var (
		stop     = make(chan struct{})
		wg       sync.WaitGroup
		served   atomic.Int64
		failures = make(chan error, 1000)
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			resp, err := hello.Handle(context.Background(), &Request{Method: "GET", Path: "/still-here"})
			switch {
			case err != nil:
				failures <- err
			case string(resp.Body) != "hello from Quantum1Net: /still-here\n":
				failures <- errors.New("wrong body " + string(resp.Body))
			default:
				served.Add(1)
			}
		}
	}()

	hostileCalls := []struct {
		svc    *Service
		path   string
		kind   ErrorKind
		status int
		want   string
	}{
		{slow, "/loop", KindTimeout, 504, "service slow: request exceeded the service's 300ms timeout; the instance was stopped and replaced"},
		{greedy, "/loop", KindFuel, 500, "service greedy: request ran out of fuel: used its limit of 20000000 fuel (a loop that never ends, or more work than resources.requestTimeout allows); the instance was replaced"},
		{hostile, "/membomb", KindMemory, 500, "service hostile: instance ran out of memory (limit 32 MiB per instance): fatal error: out of memory; the instance was replaced"},
		{hostile, "/bigresponse", KindResponseTooLarge, 500, "service hostile: response exceeds the service's 1 MiB limit"},
		{hostile, "/recurse", KindTrap, 500, "service hostile: request exceeded the call depth limit (1048576): its calls nested too deep (unbounded recursion?); the instance was replaced"},
		{hostile, "/panic", KindTrap, 500, "service hostile: guest failed: panic: boom; the instance was replaced"},
		{hostile, "/exit", KindTrap, 500, "service hostile: guest failed: guest exited with code 3; the instance was replaced"},
	}
	for _, hc := range hostileCalls {
		t.Run(hc.svc.Name()+hc.path, func(t *testing.T) {
			_, err := hc.svc.Handle(context.Background(), &Request{Method: "GET", Path: hc.path})
			e := requireError(t, err, hc.kind, hc.want)
			if got := gateway.FailureStatus(e.FailureKind()); got != hc.status {
				t.Fatalf("gateway status %d for %s, want %d", got, hc.kind, hc.status)
			}
			// The misbehaving service itself recovers: a fresh instance answers.
			if resp := get(t, hc.svc, "/ok"); string(resp.Body) != "ok" {
				t.Fatalf("after %s: GET /ok = %q", hc.path, resp.Body)
			}
		})
	}

	refused := []struct {
		name string
		spec ServiceSpec
		want string
	}{
		{"not wasm", ServiceSpec{Name: "junk", Wasm: []byte("#!/bin/sh\necho this is not wasm\n")},
			"load service junk: invalid module: not a WebAssembly module: invalid magic number"},
		{"ungranted capability", ServiceSpec{Name: "counter", Wasm: counter},
			"load service counter: invalid module: module imports q1.kv_get but the manifest grants no kv capability (permissions.capabilities.kv); " +
				"module imports q1.kv_put but the manifest grants no kv capability (permissions.capabilities.kv)"},
	}
	for _, r := range refused {
		t.Run(r.name, func(t *testing.T) {
			_, err := rt.Load(context.Background(), r.spec)
			if err == nil || err.Error() != r.want || !errors.Is(err, ErrInvalidModule) {
				t.Fatalf("Load error:\n got %v\nwant %s", err, r.want)
			}
		})
	}

	// Keep the stream going until it has been served alongside everything above.
	for deadline := time.Now().Add(time.Minute); served.Load() < 20 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	close(stop)
	wg.Wait()
	close(failures)
	for err := range failures {
		t.Errorf("the healthy service failed a call: %v", err)
	}
	if served.Load() == 0 {
		t.Fatal("the healthy service answered no calls")
	}
	if st := hello.Stats(); st.Requests != uint64(served.Load()) || len(st.Errors) != 0 || st.InstancesReplaced != 0 {
		t.Fatalf("healthy service stats %+v, served %d", st, served.Load())
	}
	if st := hostile.Stats(); st.InstancesReplaced != 4 || st.Errors[KindTrap] != 3 ||
		st.Errors[KindMemory] != 1 || st.Errors[KindResponseTooLarge] != 1 {
		t.Fatalf("hostile service stats %+v", st)
	}
	if st := slow.Stats(); st.InstancesReplaced != 1 || st.Errors[KindTimeout] != 1 {
		t.Fatalf("slow service stats %+v", st)
	}
	if st := greedy.Stats(); st.InstancesReplaced != 1 || st.Errors[KindFuel] != 1 || st.Fuel < 20_000_000 {
		t.Fatalf("greedy service stats %+v", st)
	}
	t.Logf("the healthy service answered %d calls during the hostile ones", served.Load())
}
