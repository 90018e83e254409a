package runtime

import (
	"context"
	"os"
	"path/filepath"
	goruntime "runtime"
	"testing"
)

// Benchmarks behind docs/benchmarks.md. Run them one at a time on a quiet
// machine, e.g.
//
//	go test -run '^$' -bench . -benchtime 2s ./node/runtime/

// BenchmarkHandleHello measures a warm request through Service.Handle:
// encode, pick an instance, call the guest (net/http handler and all),
// decode the response.
func BenchmarkHandleHello(b *testing.B) {
	rt := newTestRuntime(b)
	svc := load(b, rt, ServiceSpec{Name: "hello", Wasm: helloWasm(b)})
	req := &Request{Method: "GET", Path: "/bench", Host: "hello.localhost"}
	ctx := context.Background()
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := svc.Handle(ctx, req); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := svc.Handle(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}

// BenchmarkInstantiate measures starting one warm instance of hello (its
// _initialize included) and what each instance costs in memory: its wasm
// linear memory and the Go heap the host holds for it.
func BenchmarkInstantiate(b *testing.B) {
	rt := newTestRuntime(b)
	svc := load(b, rt, ServiceSpec{Name: "hello", Wasm: helloWasm(b), Instances: 1})
	ctx := context.Background()
	var before, after goruntime.MemStats
	goruntime.GC()
	goruntime.ReadMemStats(&before)
	var kept []*instance
	for b.Loop() {
		in, err := svc.newInstance(ctx)
		if err != nil {
			b.Fatal(err)
		}
		kept = append(kept, in)
	}
	b.StopTimer()
	goruntime.GC()
	goruntime.ReadMemStats(&after)
	var wasmBytes uint64
	for _, in := range kept {
		wasmBytes += uint64(in.mod.Memory().Size())
	}
	n := float64(len(kept))
	b.ReportMetric(float64(wasmBytes)/n, "wasm-bytes/instance")
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "heap-bytes/instance")
	for _, in := range kept {
		in.close()
	}
}

// BenchmarkCompile measures compiling hello with an empty cache (cold) and
// with the code already in the on-disk cache (a node restart, or Load after
// Compile).
func BenchmarkCompile(b *testing.B) {
	wasm := helloWasm(b)
	ctx := context.Background()
	compile := func(b *testing.B, dir string) {
		rt, err := New(dir)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := rt.Compile(ctx, wasm); err != nil {
			b.Fatal(err)
		}
		if err := rt.Close(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("cold", func(b *testing.B) {
		for b.Loop() {
			dir, err := os.MkdirTemp(tmpRoot, "cold-cache-")
			if err != nil {
				b.Fatal(err)
			}
			compile(b, dir)
			b.StopTimer()
			os.RemoveAll(dir)
			b.StartTimer()
		}
	})
	b.Run("cached", func(b *testing.B) {
		dir := filepath.Join(tmpRoot, "warm-cache")
		compile(b, dir)
		for b.Loop() {
			compile(b, dir)
		}
	})
}
