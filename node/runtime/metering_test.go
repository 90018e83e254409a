package runtime

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quantum1net/q1/core/receipt"
	"github.com/quantum1net/q1/node/fuel"
)

func clockWasm(t testing.TB) []byte { return guestWasm(t, modulePath+"/node/runtime/testdata/clock") }

// captureSink keeps every receipt it is given, in order.
type captureSink struct {
	mu    sync.Mutex
	steps []ReplayStep
}

func (c *captureSink) Receipt(r receipt.Receipt, request, tape []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.steps = append(c.steps, ReplayStep{Receipt: r, Request: request, Tape: tape})
}

// history returns the steps of one instance of epoch, in order.
func (c *captureSink) history(t testing.TB, lease, epoch, instance uint64) []ReplayStep {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []ReplayStep
	for _, st := range c.steps {
		r := st.Receipt
		if r.LeaseID == lease && r.Instance == instance && r.Seed == receipt.SeedFor(lease, epoch, instance, r.Index) {
			out = append(out, st)
		}
	}
	slices.SortFunc(out, func(a, b ReplayStep) int { return int(a.Receipt.Index) - int(b.Receipt.Index) })
	return out
}

func (c *captureSink) receipts() []receipt.Receipt {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]receipt.Receipt, len(c.steps))
	for i, st := range c.steps {
		out[i] = st.Receipt
	}
	return out
}

// fixedClock makes rt's start-ups read a fixed time, as two nodes
// replaying one history do.
func fixedClock(rt *Runtime) { rt.cfg.now = func() time.Time { return time.Unix(1_700_000_000, 0) } }

// checkChain checks steps form one instance's receipt chain from its
// start-up, each receipt valid and encodable.
func checkChain(t testing.TB, steps []ReplayStep) {
	t.Helper()
	var prev receipt.Hash
	for i, st := range steps {
		r := st.Receipt
		if r.Index != uint64(i) || r.Prev != prev || r.Meter != fuel.Version {
			t.Fatalf("receipt %d: index %d, prev %x (want %x), meter %d", i, r.Index, r.Prev[:4], prev[:4], r.Meter)
		}
		if _, err := receipt.Unmarshal(r.Marshal()); err != nil {
			t.Fatalf("receipt %d does not round-trip: %v", i, err)
		}
		prev = r.Hash()
	}
}

// TestDeterministicAcrossNodesAndEngines runs one request history on two
// fresh runtimes and on wazero's interpreter: the guest reads the wall and
// monotonic clocks, sleeps, math/rand, crypto/rand and map order, and every
// response and every receipt (fuel included) is the same.
func TestDeterministicAcrossNodesAndEngines(t *testing.T) {
	wasm := clockWasm(t)
	t0 := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	history := []*Request{
		{Method: "GET", Path: "/", Time: t0},
		{Method: "GET", Path: "/again", Time: t0.Add(time.Second), Via: "q1sharer", ViaSig: []byte("sig")},
		{Method: "POST", Path: "/", Body: []byte("body"), Time: t0.Add(time.Minute)},
	}
	run := func(t *testing.T, opts ...Option) ([]string, []receipt.Receipt) {
		rt := newTestRuntime(t, opts...)
		fixedClock(rt)
		sink := &captureSink{}
		svc := load(t, rt, ServiceSpec{Name: "clock", Wasm: wasm, Instances: 1, LeaseID: 7,
			Epoch: func() uint64 { return 3 }, Receipts: sink})
		var bodies []string
		for _, req := range history {
			resp, err := svc.Handle(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			if resp.Usage.Fuel == 0 {
				t.Fatalf("no fuel counted: %+v", resp.Usage)
			}
			bodies = append(bodies, string(resp.Body))
		}
		checkChain(t, sink.history(t, 7, 3, 0))
		return bodies, sink.receipts()
	}
	bodies, receipts := run(t)
	for i, b := range bodies {
		wantNow := fmt.Sprintf("now %d", history[i].Time.UnixNano()/1e6) // the same millisecond
		if !strings.Contains(b, wantNow) || !strings.Contains(b, "slept 1.5") || !strings.Contains(b, fmt.Sprintf("request %d:", i+1)) {
			t.Errorf("response %d = %q; want the request's time (%s…), a 1.5 s sleep, and its count", i, b, wantNow)
		}
	}
	if len(receipts) != 1+len(history) || receipts[2].Via != "q1sharer" || receipts[0].TimeUnixNano != 1_700_000_000e9 {
		t.Fatalf("receipts %+v", receipts)
	}
	for _, engine := range []struct {
		name string
		opts []Option
	}{{"compiler, another node", nil}, {"interpreter", []Option{WithInterpreter()}}} {
		t.Run(engine.name, func(t *testing.T) {
			b, r := run(t, engine.opts...)
			if !slices.Equal(b, bodies) {
				t.Errorf("responses differ:\n got %q\nwant %q", b, bodies)
			}
			for i := range r {
				if r[i].Hash() != receipts[i].Hash() {
					t.Errorf("receipt %d differs:\n got %+v\nwant %+v", i, r[i], receipts[i])
				}
			}
		})
	}
}

// TestReplayReproducesEveryReceipt records a history that reads and writes
// kv, fetches from an egress host and logs, then replays it from its
// receipts, requests and tapes alone; tampering is caught.
func TestReplayReproducesEveryReceipt(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("X-Served-At", time.Now().String()) // never the same twice
		fmt.Fprint(w, "pong")
	}))
	defer upstream.Close()
	rt := newTestRuntime(t, WithEgressAllowLoopbackForTests())
	sink := &captureSink{}
	spec := ServiceSpec{Name: "caps", Wasm: capsWasm(t), Instances: 1, LeaseID: 11, Receipts: sink,
		Capabilities: Capabilities{
			KV:     &KVConfig{Dir: t.TempDir(), QuotaBytes: 1 << 20},
			Log:    NewLogBuffer(10),
			Egress: &EgressConfig{Hosts: []string{"127.0.0.1"}},
		}}
	svc := load(t, rt, spec)
	requests := []*Request{
		{Method: "PUT", Path: "/kv/a", Body: []byte("1")},
		{Method: "GET", Path: "/kv/a"},
		{Method: "GET", Path: "/kv/missing"},
		{Method: "GET", Path: "/list?prefix="},
		{Method: "GET", Path: "/fetch?url=" + url.QueryEscape(upstream.URL+"/ping")},
		{Method: "GET", Path: "/log"},
	}
	for _, req := range requests {
		if _, err := svc.Handle(context.Background(), req); err != nil {
			t.Fatal(err)
		}
	}
	steps := sink.history(t, 11, 0, 0)
	if len(steps) != 1+len(requests) {
		t.Fatalf("%d receipts for %d requests and a start-up", len(steps), len(requests))
	}
	checkChain(t, steps)
	if steps[5].Receipt.EgressBytes == 0 {
		t.Fatalf("the fetch recorded no egress: %+v", steps[5].Receipt)
	}

	replay := func(t *testing.T, steps []ReplayStep) []ReplayOutcome {
		t.Helper()
		out, err := rt.Replay(context.Background(), spec.Wasm, spec, steps)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	t.Run("honest", func(t *testing.T) {
		out := replay(t, steps)
		if len(out) != len(steps) {
			t.Fatalf("%d outcomes for %d steps", len(out), len(steps))
		}
		for i, o := range out {
			if o.Divergence != nil || o.Receipt.Hash() != steps[i].Receipt.Hash() {
				t.Errorf("step %d: divergence %v\n got %+v\nwant %+v", i, o.Divergence, o.Receipt, steps[i].Receipt)
			}
		}
	})
	t.Run("a kv value changed on the tape", func(t *testing.T) {
		tampered := slices.Clone(steps)
		tampered[2].Tape = bytes.Replace(steps[2].Tape, []byte{1, '1'}, []byte{1, '2'}, 1) // the value's length byte, then "1"
		if bytes.Equal(tampered[2].Tape, steps[2].Tape) {
			t.Fatal("the value is not on the tape")
		}
		out := replay(t, tampered)
		got, want := out[2].Receipt, steps[2].Receipt
		if out[2].Divergence != nil || got.ResponseHash == want.ResponseHash || got.TapeHash == want.TapeHash || got.Hash() == want.Hash() {
			t.Fatalf("tampered tape replayed to %+v, divergence %v; recorded %+v", got, out[2].Divergence, want)
		}
	})
	t.Run("a request changed", func(t *testing.T) {
		tampered := slices.Clone(steps)
		tampered[3].Request = bytes.Replace(steps[3].Request, []byte("/kv/missing"), []byte("/kv/mislaid"), 1) // same length: the request still decodes
		out := replay(t, tampered)
		want := "replay step 3, host call 0: the guest called kv_get with other arguments than recorded"
		if out[3].Divergence == nil || !strings.HasPrefix(out[3].Divergence.Error(), want) || len(out) != 4 {
			t.Fatalf("divergence %v (%d outcomes), want %q…", out[3].Divergence, len(out), want)
		}
		if out[3].Receipt.RequestHash == steps[3].Receipt.RequestHash {
			t.Fatal("the request hash did not change")
		}
	})
	t.Run("a call missing from the tape", func(t *testing.T) {
		tampered := slices.Clone(steps)
		tampered[2].Tape = nil
		out := replay(t, tampered)
		want := "replay step 2, host call 0: the guest called kv_get, but the tape records only 0 calls"
		if out[2].Divergence == nil || out[2].Divergence.Error() != want {
			t.Fatalf("divergence %v, want %q", out[2].Divergence, want)
		}
	})
	t.Run("a call left over on the tape", func(t *testing.T) {
		tampered := slices.Clone(steps)
		tampered[6].Tape = steps[2].Tape // /log makes no recorded call
		out := replay(t, tampered)
		want := "replay step 6, host call 0: the guest made 0 recorded host calls; the tape records 1"
		if out[6].Divergence == nil || out[6].Divergence.Error() != want {
			t.Fatalf("divergence %v, want %q", out[6].Divergence, want)
		}
	})
}

// TestOutOfFuelFailsThatRequestOnly: a loop that never ends runs out of
// its request's fuel long before its timeout; the receipt records the
// limit, and the service's next request runs on a fresh instance.
func TestOutOfFuelFailsThatRequestOnly(t *testing.T) {
	rt := newTestRuntime(t)
	sink := &captureSink{}
	svc := load(t, rt, ServiceSpec{Name: "hostile", Wasm: hostileWasm(t), Instances: 1, Receipts: sink,
		Limits: Limits{RequestTimeout: time.Hour, Fuel: 50_000_000}})
	_, err := svc.Handle(context.Background(), &Request{Method: "GET", Path: "/loop"})
	e := requireError(t, err, KindFuel, "service hostile: request ran out of fuel: used its limit of 50000000 fuel")
	if e.Usage.Fuel != 50_000_000 {
		t.Fatalf("usage %+v, want the whole limit", e.Usage)
	}
	if got := get(t, svc, "/ok"); string(got.Body) != "ok" {
		t.Fatalf("next request answered %q", got.Body)
	}
	var fuelTraps int
	for _, r := range sink.receipts() {
		if r.Trap == receipt.TrapFuel && r.Fuel == 50_000_000 {
			fuelTraps++
		}
	}
	if fuelTraps != 1 {
		t.Fatalf("receipts %+v: want one out-of-fuel receipt", sink.receipts())
	}
}

// TestHostWorkIsCharged checks, on both engines, that memory.grow is
// charged per page and a host call per byte it moves, from the same fuel
// global the guest's code counts down.
func TestHostWorkIsCharged(t *testing.T) {
	// q1_http_handle: grow memory by pages, write n bytes of response,
	// return 1 (so the request fails as bad_response, with its usage).
	handle := func(pages, n byte) []byte {
		b := append(i32Const(pages), 0x40, 0x00, 0x1a) // memory.grow 0; drop
		b = append(b, i32Const(0)...)
		b = append(b, i32Const(n)...)
		b = append(b, 0x10, 0x00, 0x1a) // call response_write; drop
		return append(b, i32Const(1)...)
	}
	fuelOf := func(t *testing.T, rt *Runtime, pages, n byte) uint64 {
		t.Helper()
		wasm := reactor(handle(pages, n), responseWriteImport).encode()
		svc := load(t, rt, ServiceSpec{Name: fmt.Sprintf("grow%d-%d", pages, n), Wasm: wasm, Instances: 1})
		_, err := svc.Handle(context.Background(), &Request{Method: "GET", Path: "/"})
		return requireError(t, err, KindBadResponse, "returned 1 instead of 0").Usage.Fuel
	}
	for _, engine := range []struct {
		name string
		opts []Option
	}{{"compiler", nil}, {"interpreter", []Option{WithInterpreter()}}} {
		t.Run(engine.name, func(t *testing.T) {
			rt := newTestRuntime(t, engine.opts...)
			base := fuelOf(t, rt, 1, 0)
			if grown := fuelOf(t, rt, 3, 0); grown-base != 2*uint64(fuel.V1().MemoryGrowPerPage) {
				t.Errorf("growing 3 pages used %d fuel, 1 page %d: want %d more", grown, base, 2*fuel.V1().MemoryGrowPerPage)
			}
			if wrote := fuelOf(t, rt, 1, 48); wrote-base != byteFuel(48) {
				t.Errorf("writing 48 bytes used %d fuel, none %d: want %d more", wrote, base, byteFuel(48))
			}
		})
	}
}

// TestInstancesRestartAtEpochsAndAfterTheirShare: an instance's receipts
// never span two epochs, and no instance serves more than its share.
func TestInstancesRestartAtEpochsAndAfterTheirShare(t *testing.T) {
	rt := newTestRuntime(t)
	sink := &captureSink{}
	svc := load(t, rt, ServiceSpec{Name: "hello", Wasm: helloWasm(t), Instances: 1, LeaseID: 5, Receipts: sink,
		MaxInstanceRequests: 2})
	get(t, svc, "/")
	svc.NewEpoch(4)
	get(t, svc, "/")
	get(t, svc, "/")
	get(t, svc, "/")
	for _, c := range []struct{ epoch, instance, want uint64 }{
		{0, 0, 2}, // start-up and one request
		{4, 0, 3}, // start-up and its share of two
		{4, 1, 2},
	} {
		h := sink.history(t, 5, c.epoch, c.instance)
		if uint64(len(h)) != c.want {
			t.Fatalf("epoch %d instance %d: %d receipts, want %d (all: %+v)", c.epoch, c.instance, len(h), c.want, sink.receipts())
		}
		checkChain(t, h)
	}
	if st := svc.Stats(); st.InstancesReplaced != 0 || st.Requests != 4 {
		t.Fatalf("stats %+v: renewing is not replacing", st)
	}
}

// TestUnmeterableModuleRefused: a module that claims the fuel global's
// name is refused by Load and by Check, before any of its code runs.
func TestUnmeterableModuleRefused(t *testing.T) {
	m := reactor(nil)
	m.exports[1].body = i32Const(0)
	m.exports = append(m.exports, wasmExport{name: fuel.GlobalName})
	wasm := m.encode()
	want := "invalid module: the module exports q1_fuel, a name the node reserves for fuel metering"
	_, err := newTestRuntime(t).Load(context.Background(), ServiceSpec{Name: "sly", Wasm: wasm})
	if err == nil || !strings.Contains(err.Error(), want) || !errors.Is(err, ErrInvalidModule) {
		t.Fatalf("Load: %v\nwant %q", err, want)
	}
	if _, err := Check(context.Background(), wasm, nil); err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("Check: %v\nwant %q", err, want)
	}
}
