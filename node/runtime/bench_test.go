package runtime

import (
	"context"
	"os"
	"path/filepath"
	goruntime "runtime"
	"testing"
	"time"
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

// BenchmarkFuel calibrates FuelPerCoreSecond: it runs real guests warm and
// reports the fuel they burn per second of thread CPU time (guest code and
// the host functions it calls), and, beside each, the same guest loaded
// without metering, so the ns/op of the two give metering's overhead.
// docs/benchmarks.md ("Fuel") has the figures and the command:
//
//	go test -run '^$' -bench BenchmarkFuel -benchtime 3s ./node/runtime/
func BenchmarkFuel(b *testing.B) {
	guests := []struct {
		name string
		wasm func(testing.TB) []byte
		path string
		caps func(b *testing.B) Capabilities
	}{
		{"hello", helloWasm, "/bench", nil},
		{"echo", echoWasm, "/bench?x=y", func(*testing.B) Capabilities { return Capabilities{Log: discardLogs{}} }},
		{"counter", counterWasm, "/", func(b *testing.B) Capabilities {
			return Capabilities{KV: &KVConfig{Dir: b.TempDir(), QuotaBytes: 1 << 20}}
		}},
		{"cpu", hostileWasm, "/cpu?n=200000", nil},
	}
	for _, g := range guests {
		for _, metered := range []bool{true, false} {
			name := g.name + "/metered"
			if !metered {
				name = g.name + "/unmetered"
			}
			b.Run(name, func(b *testing.B) {
				rt := newTestRuntime(b)
				rt.cfg.unmetered = !metered
				spec := ServiceSpec{Name: g.name, Wasm: g.wasm(b), Instances: 1, Limits: Limits{Fuel: 1 << 62}}
				if g.caps != nil {
					spec.Capabilities = g.caps(b)
				}
				svc := load(b, rt, spec)
				req := &Request{Method: "GET", Path: g.path, Host: g.name + ".localhost"}
				ctx := context.Background()
				var fuel uint64
				var cpu time.Duration
				for b.Loop() {
					resp, err := svc.Handle(ctx, req)
					if err != nil {
						b.Fatal(err)
					}
					fuel += resp.Usage.Fuel
					cpu += resp.Usage.CPU
				}
				if metered && cpu > 0 {
					b.ReportMetric(float64(fuel)/cpu.Seconds(), "fuel/cpu-s")
					b.ReportMetric(float64(fuel)/float64(b.N), "fuel/op")
				}
			})
		}
	}
}

// BenchmarkMeterModule measures what metering adds to loading a module the
// node has not seen before: validating hello with wazero's interpreter and
// instrumenting it (node/fuel). A module seen before is read back from
// <cache>/fuel instead.
func BenchmarkMeterModule(b *testing.B) {
	wasm := helloWasm(b)
	ctx := context.Background()
	var out []byte
	for b.Loop() {
		var err error
		if out, err = validateAndInstrument(ctx, wasm); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(out))/float64(len(wasm)), "size-ratio")
}
