package runtime

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"
)

// freshRuntime is a runtime with a cache of its own, so counts of compiles
// do not depend on what other tests compiled.
func freshRuntime(t *testing.T) *Runtime {
	t.Helper()
	rt, err := New(t.TempDir(), WithSlotWait(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close(context.Background()) })
	return rt
}

// TestLoadRunsWhatCompileAheadCompiled: a module compiled ahead (Compile,
// as when a node learns of a blob) is not compiled again when a replica
// loads it; Evict takes its cache files back, but never from under a
// loaded service, and a Load after it compiles again.
func TestLoadRunsWhatCompileAheadCompiled(t *testing.T) {
	rt := freshRuntime(t)
	ctx := context.Background()
	wasm := reactor(i32Const(7)).encode()

	m, err := rt.Compile(ctx, wasm)
	if err != nil {
		t.Fatal(err)
	}
	if got := rt.Compiles(); got != 1 {
		t.Fatalf("compiles after Compile = %d, want 1", got)
	}
	if m.CompiledBytes() <= int64(len(wasm)) {
		t.Fatalf("CompiledBytes = %d, want the machine code and the instrumented copy (> %d)", m.CompiledBytes(), len(wasm))
	}
	svc := load(t, rt, ServiceSpec{Name: "ahead", Wasm: wasm, Instances: 1})
	if got := rt.Compiles(); got != 1 {
		t.Fatalf("compiles after Load = %d, want 1: the replica compiled the module again", got)
	}
	if freed := rt.Evict(m.Hash()); freed != 0 {
		t.Fatalf("Evict of a loaded module freed %d bytes, want 0 (kept)", freed)
	}
	if err := svc.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if freed := rt.Evict(m.Hash()); freed != m.CompiledBytes() {
		t.Fatalf("Evict freed %d bytes, want %d", freed, m.CompiledBytes())
	}
	if files := rt.cacheFiles(); len(files) != 0 {
		t.Fatalf("cache files left after Evict: %v", files)
	}
	if _, err := os.Stat(rt.instrumented.path(m.moduleHash())); !os.IsNotExist(err) {
		t.Fatalf("instrumented copy left after Evict: %v", err)
	}
	load(t, rt, ServiceSpec{Name: "again", Wasm: wasm, Instances: 1}).Close(ctx)
	if got := rt.Compiles(); got != 2 {
		t.Fatalf("compiles after an evicted module loaded again = %d, want 2", got)
	}
	if freed := rt.Evict("sha256:nothex"); freed != 0 {
		t.Fatalf("Evict of a malformed hash freed %d", freed)
	}
}

// TestLoadWaitsForTheCompileUnderWay: a replica whose module is being
// compiled ahead waits for that compilation instead of compiling beside it.
func TestLoadWaitsForTheCompileUnderWay(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles hello (about a second)")
	}
	rt := freshRuntime(t)
	ctx := context.Background()
	wasm := helloWasm(t)
	mw, err := rt.instrument(ctx, wasm) // so the compile below is under way for long enough
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		if _, err := rt.Compile(ctx, wasm); err != nil {
			t.Error(err)
		}
	})
	for {
		rt.mu.Lock()
		_, busy := rt.compiling[mw.hash]
		rt.mu.Unlock()
		if busy {
			break
		}
		time.Sleep(time.Millisecond)
	}
	load(t, rt, ServiceSpec{Name: "hello", Wasm: wasm, Instances: 1}).Close(ctx)
	wg.Wait()
	if got := rt.Compiles(); got != 1 {
		t.Fatalf("compiles = %d, want 1: the replica compiled beside the compile ahead", got)
	}
}
