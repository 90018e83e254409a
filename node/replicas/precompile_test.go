package replicas

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/quantum1net/q1/client/blobhash"
	"github.com/quantum1net/q1/node/blob"
	"github.com/quantum1net/q1/node/gateway"
	"github.com/quantum1net/q1/node/runtime"
)

// tinyModule is a minimal q1-http/v1 reactor (exports _initialize,
// q1_http_handle returning n, one page of memory), distinct for each n
// in 0..63: it compiles in milliseconds.
func tinyModule(n byte) []byte {
	out := []byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}
	out = append(out, 0x01, 0x09, 0x02, 0x60, 0x00, 0x00, 0x60, 0x01, 0x7f, 0x01, 0x7f) // types: ()→(), (i32)→i32
	out = append(out, 0x03, 0x03, 0x02, 0x00, 0x01)                                     // functions
	out = append(out, 0x05, 0x03, 0x01, 0x00, 0x01)                                     // memory: 1 page
	exports := []byte{0x03}
	for _, e := range []struct {
		name      string
		kind, idx byte
	}{{"_initialize", 0, 0}, {"q1_http_handle", 0, 1}, {"memory", 2, 0}} {
		exports = append(exports, byte(len(e.name)))
		exports = append(exports, e.name...)
		exports = append(exports, e.kind, e.idx)
	}
	out = append(out, 0x07, byte(len(exports)))
	out = append(out, exports...)
	return append(out, 0x0a, 0x09, 0x02, 0x02, 0x00, 0x0b, 0x04, 0x00, 0x41, n&0x3f, 0x0b) // code
}

// countingRuntime counts what the manager asks of a real runtime, and can
// hold compiles until gate closes.
type countingRuntime struct {
	*runtime.Runtime
	gate                  chan struct{} // nil: compiles do not wait
	compiles, loads       atomic.Int32
	compiling, mostAtOnce atomic.Int32
	evictions             atomic.Int32
}

func (c *countingRuntime) Compile(ctx context.Context, wasm []byte) (*runtime.Module, error) {
	c.compiles.Add(1)
	n := c.compiling.Add(1)
	defer c.compiling.Add(-1)
	for {
		most := c.mostAtOnce.Load()
		if n <= most || c.mostAtOnce.CompareAndSwap(most, n) {
			break
		}
	}
	if c.gate != nil {
		select {
		case <-c.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return c.Runtime.Compile(ctx, wasm)
}

func (c *countingRuntime) Load(ctx context.Context, spec runtime.ServiceSpec) (*runtime.Service, error) {
	c.loads.Add(1)
	return c.Runtime.Load(ctx, spec)
}

func (c *countingRuntime) Evict(hash string) int64 {
	c.evictions.Add(1)
	return c.Runtime.Evict(hash)
}

func put(t testing.TB, store *blob.Store, b []byte) blobhash.Hash {
	t.Helper()
	h, _, err := store.Put(context.Background(), bytes.NewReader(b), blobhash.Hash{}, owner)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestReplicaStartsFromTheCodeCompiledAhead: a module compiled ahead is
// not compiled again when a lease places its replica here.
func TestReplicaStartsFromTheCodeCompiledAhead(t *testing.T) {
	ctx := context.Background()
	home, rt, store := testDeps(t)
	h := putHello(t, store)
	m := New(rt, store, filepath.Join(home, "kv"))
	defer m.Close(ctx)

	if !m.Precompile(h) {
		t.Fatal("Precompile refused the upload")
	}
	eventually(t, "hello compiled ahead", func() bool { return m.PrecompileStats().Compiled == 1 })
	if got := rt.Compiles(); got != 1 {
		t.Fatalf("compiles after compiling ahead = %d, want 1", got)
	}
	m.Reconcile([]Desired{{LeaseID: 1, Service: "hello", Manifest: helloManifest(t, h.String(), "32Mi")}})
	eventually(t, "hello serving", func() bool { return m.Local("hello") })
	if got := rt.Compiles(); got != 1 {
		t.Fatalf("compiles after the replica started = %d, want 1: the replica compiled its module again", got)
	}
	res, err := m.Handle(ctx, "hello", &gateway.Request{Method: "GET", Path: "/greet", Host: "hello.localhost", Header: http.Header{}})
	if err != nil || res.Status != 200 {
		t.Fatalf("GET /greet: %v %v", res, err)
	}
	if s := m.PrecompileStats(); s.Cached != 1 || s.Bytes <= int64(len(helloWasm)) {
		t.Fatalf("stats %+v: want hello counted with its machine code and instrumented copy", s)
	}
}

// TestPrecompileCacheIsBoundedAndEvicts: past CachedBytes, the least
// recently used module no replica runs is evicted from the caches, and a
// module announced again is compiled again.
func TestPrecompileCacheIsBoundedAndEvicts(t *testing.T) {
	ctx := context.Background()
	home, real, store := testDeps(t)
	rt := &countingRuntime{Runtime: real}
	// Learn what one tiny module costs, then allow three of them.
	probe, err := real.Compile(ctx, tinyModule(63))
	if err != nil {
		t.Fatal(err)
	}
	real.Evict(probe.Hash())
	m := New(rt, store, filepath.Join(home, "kv"), WithPrecompileLimits(PrecompileLimits{CachedBytes: 3*probe.CompiledBytes() + probe.CompiledBytes()/2}))
	defer m.Close(ctx)

	var hashes []blobhash.Hash
	for i := range 5 {
		h := put(t, store, tinyModule(byte(i)))
		hashes = append(hashes, h)
		m.Precompile(h)
		eventually(t, "module compiled ahead", func() bool { return m.PrecompileStats().Compiled == i+1 })
		if i == 2 {
			m.Precompile(hashes[0]) // announced again: now the most recently used
		}
	}
	s := m.PrecompileStats()
	if s.Cached != 3 || s.Evicted != 2 || s.Bytes > 3*probe.CompiledBytes()+probe.CompiledBytes()/2 {
		t.Fatalf("stats %+v: want 3 cached within the budget, 2 evicted", s)
	}
	if got := rt.evictions.Load(); got != 2 {
		t.Fatalf("runtime evictions = %d, want 2", got)
	}
	m.mu.RLock()
	_, keptFirst := m.ahead.cached[hashes[0]]
	_, keptSecond := m.ahead.cached[hashes[1]]
	_, keptThird := m.ahead.cached[hashes[2]]
	m.mu.RUnlock()
	if !keptFirst || keptSecond || keptThird {
		t.Fatalf("kept first %v second %v third %v; want the first (used again) kept, the second and third (least recently used) evicted", keptFirst, keptSecond, keptThird)
	}
	// An evicted module announced again compiles again.
	compiles := real.Compiles()
	m.Precompile(hashes[1])
	eventually(t, "evicted module compiled again", func() bool { return m.PrecompileStats().Compiled == 6 })
	if got := real.Compiles(); got != compiles+1 {
		t.Fatalf("runtime compiles %d → %d, want one more: its code was evicted", compiles, got)
	}
}

// TestModuleThatDoesNotCompileIsRememberedOnce: a module that fails to
// compile ahead is compiled once, whatever announces it again, and a lease
// placing it here fails at once with the reason, without compiling it.
func TestModuleThatDoesNotCompileIsRememberedOnce(t *testing.T) {
	ctx := context.Background()
	home, real, store := testDeps(t)
	rt := &countingRuntime{Runtime: real}
	m := New(rt, store, filepath.Join(home, "kv"))
	defer m.Close(ctx)

	bad := tinyModule(1)
	bad[18] = 0x7e // the second type returns i64: q1_http_handle has the wrong type
	h := put(t, store, bad)
	m.Precompile(h)
	eventually(t, "the failure remembered", func() bool { return m.PrecompileStats().Failed == 1 })
	for range 5 {
		if m.Precompile(h) || m.Warm(h) {
			t.Fatal("a module known not to compile was queued again")
		}
	}
	if got := rt.compiles.Load(); got != 1 {
		t.Fatalf("compiles = %d, want 1", got)
	}
	reason, _ := m.aheadFailure(h)
	if !strings.Contains(reason, "q1_http_handle") {
		t.Fatalf("reason %q does not say what is wrong", reason)
	}
	m.Reconcile([]Desired{{LeaseID: 1, Service: "hello", Manifest: helloManifest(t, h.String(), "32Mi")}})
	var why string
	eventually(t, "the replica failed", func() bool {
		var ok bool
		why, ok = m.Failure("hello")
		return ok
	})
	if !strings.Contains(why, "does not compile") || !strings.Contains(why, reason) {
		t.Fatalf("replica failure %q, want the compile-ahead reason %q", why, reason)
	}
	if got, loads := rt.compiles.Load(), rt.loads.Load(); got != 1 || loads != 0 {
		t.Fatalf("compiles %d, loads %d after the lease; want 1 and 0", got, loads)
	}
	// The HTTP announcement says so too.
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/v1/blobs/"+h.String()+"/warm", nil)
	req.SetPathValue("hash", h.String())
	WarmHandler(m).ServeHTTP(rec, req)
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "does not compile") {
		t.Fatalf("warm: %d %q", rec.Code, rec.Body)
	}
}

// TestAnnouncementFloodDoesNotBlockServing: a flood of announced modules,
// whose compiles hang, never blocks the caller, runs at most Concurrent
// compiles, queues at most Queue, and leaves a replica serving and another
// starting.
func TestAnnouncementFloodDoesNotBlockServing(t *testing.T) {
	ctx := context.Background()
	home, real, store := testDeps(t)
	hello := putHello(t, store)
	rt := &countingRuntime{Runtime: real}
	m := New(rt, store, filepath.Join(home, "kv"), WithPrecompileLimits(PrecompileLimits{Concurrent: 1, Queue: 4}))
	defer m.Close(ctx)
	m.Reconcile([]Desired{{LeaseID: 1, Service: "hello", Manifest: helloManifest(t, hello.String(), "32Mi")}})
	eventually(t, "hello serving", func() bool { return m.Local("hello") })

	rt.gate = make(chan struct{}) // every compile ahead from now on hangs
	var accepted int
	for i := range 60 {
		h := put(t, store, tinyModule(byte(i)))
		if i%2 == 0 {
			if m.Precompile(h) {
				accepted++
			}
		} else if m.Warm(h) {
			accepted++
		}
	}
	// Hundreds more of modules no node holds.
	for i := range 500 {
		if m.Warm(blobhash.Sum([]byte(fmt.Sprint("absent", i)))) {
			accepted++
		}
	}
	s := m.PrecompileStats()
	if accepted > 1+4 || s.Queued > 1+4 || s.Dropped < 555 {
		t.Fatalf("accepted %d, stats %+v: want at most one compiling and four queued, the rest dropped", accepted, s)
	}
	if got := rt.mostAtOnce.Load(); got > 1 {
		t.Fatalf("%d compiles ahead at once, want at most 1", got)
	}
	for range 20 {
		res, err := m.Handle(ctx, "hello", &gateway.Request{Method: "GET", Path: "/greet", Host: "hello.localhost", Header: http.Header{}})
		if err != nil || res.Status != 200 {
			t.Fatalf("GET /greet during the flood: %v %v", res, err)
		}
	}
	// A new lease starts while the compiles ahead hang.
	m.Reconcile([]Desired{
		{LeaseID: 1, Service: "hello", Manifest: helloManifest(t, hello.String(), "32Mi")},
		{LeaseID: 2, Service: "hello2", Manifest: helloManifest(t, hello.String(), "64Mi")},
	})
	eventually(t, "a second replica serving during the flood", func() bool { return m.Local("hello2") })
	close(rt.gate)
}
