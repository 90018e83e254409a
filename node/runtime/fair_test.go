package runtime

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

// Tests of fair, bounded execution, written as the attacker: one service
// tries to take the node's guest time, start-up or memory from the others.

// runaway loads the hostile module as a service whose requests may spin for
// ten minutes, and stops whatever it still runs when the test ends.
func runaway(t *testing.T, rt *Runtime, name string, instances int) *Service {
	t.Helper()
	svc := load(t, rt, ServiceSpec{Name: name, Wasm: hostileWasm(t), Instances: instances,
		Limits: Limits{RequestTimeout: 10 * time.Minute}})
	t.Cleanup(func() { stopNow(svc) })
	return svc
}

// stopNow closes svc, stopping the guests it runs.
func stopNow(svc *Service) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	svc.Close(ctx) // reports the requests it stopped; expected here
}

// spin keeps n callers sending /loop to svc until the test ends.
func spin(t *testing.T, svc *Service, n int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				svc.Handle(ctx, &Request{Method: "GET", Path: "/loop"})
			}
		}()
	}
	t.Cleanup(func() {
		cancel()
		stopNow(svc)
		wg.Wait()
	})
}

// waitFor polls cond until it holds, failing the test after a minute.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting until %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// guestsRunning is how many guests run now, in the pool or in overtime.
func guestsRunning(rt *Runtime) int {
	running, overtime, _ := rt.sched.usage()
	return running + overtime
}

func TestSpinningServiceCannotStarveAnother(t *testing.T) {
	rt := newTestRuntime(t, WithMaxConcurrentGuests(1), WithSlotWait(DefaultSlotWait))
	hello := load(t, rt, ServiceSpec{Name: "hello", Wasm: helloWasm(t)})
	bad := runaway(t, rt, "runaway", 2)
	spin(t, bad, 6)
	waitFor(t, "the runaway service spins", func() bool { return guestsRunning(rt) >= 1 })

	// The well-behaved service answers every request while the runaway one
	// keeps its instances spinning. The deadline is far below the
	// runaway's ten-minute request timeout, and far above what hello needs.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for i := range 50 {
		resp, err := hello.Handle(ctx, &Request{Method: "GET", Path: "/fair"})
		if err != nil {
			t.Fatalf("request %d of the well-behaved service failed while another spins: %v", i, err)
		}
		if string(resp.Body) != "hello from Quantum1Net: /fair\n" {
			t.Fatalf("request %d: body %q", i, resp.Body)
		}
	}
	// The runaway only slows itself: its extra callers are refused as busy.
	_, err := bad.Handle(context.Background(), &Request{Method: "GET", Path: "/ok"})
	requireError(t, err, KindBusy, "service runaway is at its concurrency limit on this node: all 2 of its instances stayed busy for 1s; retry") // the gateway answers 503: gateway.FailureStatus
}

// loopingInitWasm is a reactor whose _initialize never returns.
func loopingInitWasm() []byte {
	m := reactor(i32Const(0))
	m.exports[0].body = []byte{0x03, 0x40, 0x0c, 0x00, 0x0b} // loop; br 0; end
	return m.encode()
}

func TestLoopingInitializeDoesNotBlockOthers(t *testing.T) {
	rt := newTestRuntime(t, WithMaxConcurrentGuests(1), WithInitTimeout(10*time.Minute))
	hello := load(t, rt, ServiceSpec{Name: "hello", Wasm: helloWasm(t)})

	loopCtx, stopLoop := context.WithCancel(context.Background())
	defer stopLoop()
	loaded := make(chan error, 1)
	go func() {
		_, err := rt.Load(loopCtx, ServiceSpec{Name: "looper", Wasm: loopingInitWasm(), Instances: 1})
		loaded <- err
	}()
	waitFor(t, "the looping _initialize runs", func() bool { return len(rt.startups) == 1 })

	// While it loops, a running service answers and another one starts.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for i := range 20 {
		if _, err := hello.Handle(ctx, &Request{Method: "GET", Path: "/"}); err != nil {
			t.Fatalf("request %d failed while another service's _initialize loops: %v", i, err)
		}
	}
	echo, err := rt.Load(ctx, ServiceSpec{Name: "echo", Wasm: echoWasm(t), Capabilities: Capabilities{Log: NewLogBuffer(10)}})
	if err != nil {
		t.Fatalf("a service could not start while another's _initialize loops: %v", err)
	}
	if _, err := echo.Handle(ctx, &Request{Method: "GET", Path: "/"}); err != nil {
		t.Fatal(err)
	}
	stopLoop()
	// Cancelled, not "guest exited with code 4294967295" (wazero's code for
	// a module closed by its context).
	want := "load service looper: instantiate: the start-up was cancelled before it finished (the replica was stopped, or the node is stopping)"
	if err := <-loaded; err == nil || err.Error() != want {
		t.Fatalf("the module whose _initialize loops, cancelled:\n got %v\nwant %s", err, want)
	}
}

func TestLoopingInitializeFailsWithItsReason(t *testing.T) {
	rt := newTestRuntime(t, WithInitTimeout(100*time.Millisecond))
	_, err := rt.Load(context.Background(), ServiceSpec{Name: "looper", Wasm: loopingInitWasm(), Instances: 1})
	want := "load service looper: instantiate: the module's _initialize did not finish within 100ms (its start-up code loops or is too slow); the instance was discarded"
	if err == nil || err.Error() != want {
		t.Fatalf("Load error:\n got %v\nwant %s", err, want)
	}
}

func TestSlotWaitIsBounded(t *testing.T) {
	rt := newTestRuntime(t, WithMaxConcurrentGuests(1), WithSlotWait(50*time.Millisecond))
	bad := runaway(t, rt, "runaway", 1)
	spin(t, bad, 1)
	waitFor(t, "the runaway instance spins", func() bool { return guestsRunning(rt) == 1 })
	_, err := bad.Handle(context.Background(), &Request{Method: "GET", Path: "/ok"})
	requireError(t, err, KindBusy, "service runaway is at its concurrency limit on this node: its only instance stayed busy for 50ms; retry")
	if st := bad.Stats(); st.Errors[KindBusy] != 1 || len(st.Errors) != 1 {
		t.Fatalf("stats %+v: want one busy error, counted once", st)
	}
}

func TestQueueCaps(t *testing.T) {
	rt := newTestRuntime(t, WithMaxConcurrentGuests(1), WithSlotWait(10*time.Minute),
		WithQueueLimits(QueueLimits{PerService: 2, PerServiceBytes: 64 << 10}))
	bad := runaway(t, rt, "runaway", 1)
	spin(t, bad, 1)
	waitFor(t, "the runaway instance spins", func() bool { return guestsRunning(rt) == 1 })

	// One request waits; one whose body would take the queue over its
	// bytes is refused at once, then a second small one waits and a third
	// is refused for the count.
	queued := func(n int) func() bool {
		return func() bool { _, _, q := rt.sched.usage(); return q.n == n }
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	wait := func() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			bad.Handle(ctx, &Request{Method: "GET", Path: "/ok"})
		}()
	}
	wait()
	waitFor(t, "one request waits", queued(1))
	_, err := bad.Handle(ctx, &Request{Method: "POST", Path: "/ok", Body: make([]byte, 64<<10)})
	requireError(t, err, KindBusy, "service runaway already has 26 bytes of requests waiting to run on this node and its limit is 64 KiB; retry")
	wait()
	waitFor(t, "two requests wait", queued(2))
	_, err = bad.Handle(ctx, &Request{Method: "GET", Path: "/ok"})
	requireError(t, err, KindBusy, "service runaway already has 2 requests waiting to run on this node, its limit; retry")
	cancel()
	wg.Wait()
	waitFor(t, "the queue empties", queued(0))
}

func TestNodeQueueCaps(t *testing.T) {
	s := newScheduler(config{maxGuests: 1, queue: QueueLimits{PerService: 10, PerServiceBytes: 1000, Node: 2, NodeBytes: 150}})
	for _, step := range []struct {
		service string
		bytes   int64
		want    string
	}{
		{"a", 100, ""},
		{"b", 60, "this node already has 100 bytes of requests waiting to run and its limit is 150 bytes"},
		{"b", 50, ""},
		{"c", 0, "this node already has 2 requests waiting to run, its limit"},
	} {
		if got := s.admit(step.service, step.bytes); got != step.want {
			t.Fatalf("admit(%s, %d) = %q, want %q", step.service, step.bytes, got, step.want)
		}
	}
	s.leave("a", 100)
	if got := s.admit("c", 0); got != "" {
		t.Fatalf("after one left: %q", got)
	}
}

// TestSchedulerTakesTurns checks the order in which waiting services get a
// slot: one turn each, oldest request first within a service, and a guest
// past its slice hands its slot to another service.
func TestSchedulerTakesTurns(t *testing.T) {
	var mu sync.Mutex
	now := time.Unix(0, 0)
	s := newScheduler(config{maxGuests: 1, maxOvertime: 1, slice: time.Second, queue: DefaultQueueLimits})
	s.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	ctx := context.Background()
	first, err := s.acquire(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	got := make(chan *ticket, 10)
	for i, name := range []string{"a", "a", "a", "b", "c"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tk, err := s.acquire(ctx, name)
			if err != nil {
				t.Error(err)
				return
			}
			got <- tk
		}()
		waitFor(t, "the waiter is queued", func() bool { return waitingCount(s) == i+1 })
	}
	// The first a has not used its slice: nobody moves. Once it has, it
	// moves to overtime and the slot goes to b, not to another a.
	mu.Lock()
	now = now.Add(time.Second)
	mu.Unlock()
	s.mu.Lock()
	s.dispatch("")
	s.mu.Unlock()
	var order []string
	for range 5 {
		tk := <-got
		order = append(order, tk.service)
		if running, overtime, _ := s.usage(); running != 1 || overtime != 1 {
			t.Fatalf("%d running and %d in overtime, want 1 and 1", running, overtime)
		}
		s.release(tk)
	}
	s.release(first)
	wg.Wait()
	if want := "b c a a a"; strings.Join(order, " ") != want {
		t.Fatalf("turns %v, want %s", order, want)
	}
	if running, overtime, _ := s.usage(); running != 0 || overtime != 0 {
		t.Fatalf("after every release: %d running, %d in overtime", running, overtime)
	}
}

func waitingCount(s *scheduler) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, q := range s.waiting {
		n += len(q)
	}
	return n
}
