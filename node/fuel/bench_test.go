package fuel

import (
	"context"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// go test -run XXX -bench . -benchtime 20x ./node/fuel/

// BenchmarkInstrument instruments the hello guest (~5 MB) and reports the
// size growth.
func BenchmarkInstrument(b *testing.B) {
	wasm := helloWasm(b)
	b.SetBytes(int64(len(wasm)))
	var out []byte
	for b.Loop() {
		var err error
		if out, err = Instrument(wasm, V1()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(100*float64(len(out)-len(wasm))/float64(len(wasm)), "%growth")
}

// BenchmarkCompile compiles the hello guest before and after instrumenting
// with wazero's compiler, and reports the ratio of the fastest compiles.
func BenchmarkCompile(b *testing.B) {
	wasm := helloWasm(b)
	inst := mustInstrument(b, wasm)
	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler())
	defer rt.Close(ctx)
	var r ratio
	for b.Loop() {
		for i, w := range [][]byte{wasm, inst} {
			start := time.Now()
			m, err := rt.CompileModule(ctx, w)
			r.add(i, time.Since(start))
			if err != nil {
				b.Fatal(err)
			}
			m.Close(ctx)
		}
	}
	r.report(b)
}

// cpuLoop is a module whose "f"(n) runs n rounds of xorshift, storing each
// value into memory: a CPU-bound loop of short segments.
func cpuLoop() []byte {
	var a asm
	t := a.typ([]byte{i32}, []byte{i32})
	a.memory(1, 0)
	const x, i = 1, 2 // locals
	a.exportFunc("f", a.fn(t, []byte{i32, i32},
		i32c(-1831433054), lset(x),
		loop(empty),
		lget(x), lget(x), i32c(13), op(opI32Shl), op(opI32Xor), lset(x),
		lget(x), lget(x), i32c(17), op(0x76 /* i32.shr_u */), op(opI32Xor), lset(x),
		lget(x), lget(x), i32c(5), op(opI32Shl), op(opI32Xor), lset(x),
		lget(i), i32c(1023), op(opI32And), i32c(2), op(opI32Shl), lget(x), memarg(opI32Store),
		lget(i), i32c(1), op(opI32Add), ltee(i), lget(0), op(opI32LtU), brIf(0),
		end,
		lget(x), end))
	return a.bytes()
}

// overhead times o (original) and in (instrumented) in turn and reports
// the ratio of their fastest runs: on a shared machine the minimum is the
// estimate least disturbed by other work.
func overhead(b *testing.B, o, in func()) {
	var r ratio
	for b.Loop() {
		for k, f := range []func(){o, in} {
			start := time.Now()
			f()
			r.add(k, time.Since(start))
		}
	}
	r.report(b)
}

// ratio keeps the fastest of each of two kinds of runs.
type ratio struct{ min [2]time.Duration }

func (r *ratio) add(k int, d time.Duration) {
	if r.min[k] == 0 || d < r.min[k] {
		r.min[k] = d
	}
}

func (r *ratio) report(b *testing.B) {
	b.ReportMetric(float64(r.min[1])/float64(r.min[0]), "ratio")
}

// BenchmarkOverhead reports the run-time cost of metering, as the ratio
// of the fastest instrumented to the fastest original run in the same
// process, under each engine:
// a CPU-bound loop, the hello guest's _initialize (instantiation outside
// the timer), and one request to a warm hello instance.
func BenchmarkOverhead(b *testing.B) {
	ctx := context.Background()
	for _, e := range engines {
		b.Run("loop/"+e.name, func(b *testing.B) {
			w := cpuLoop()
			o := instantiate(b, e.cfg(), w, nil).mod.ExportedFunction("f")
			im := instantiate(b, e.cfg(), mustInstrument(b, w), nil).mod
			in, g := im.ExportedFunction("f"), fuelGlobal(b, im)
			n := uint64(1_000_000)
			if e.name == "interpreter" {
				n = 100_000
			}
			callFn := func(f api.Function) {
				if _, err := f.Call(ctx, n); err != nil {
					b.Fatal(err)
				}
			}
			overhead(b, func() { callFn(o) }, func() { g.Set(budget); callFn(in) })
		})
		b.Run("hello-initialize/"+e.name, func(b *testing.B) {
			wasm := helloWasm(b)
			inst := mustInstrument(b, wasm)
			var r ratio
			for b.Loop() {
				for k, w := range [][]byte{wasm, inst} {
					b.StopTimer()
					g := newGuest(b, e.name, e.cfg(), w)
					b.StartTimer()
					start := time.Now()
					g.callFuel(b, "_initialize")
					r.add(k, time.Since(start))
					b.StopTimer()
					g.mod.Close(ctx)
					b.StartTimer()
				}
			}
			r.report(b)
		})
		b.Run("hello-request/"+e.name, func(b *testing.B) {
			wasm := helloWasm(b)
			o, in := newGuest(b, e.name, e.cfg(), wasm), newGuest(b, e.name, e.cfg(), mustInstrument(b, wasm))
			o.callFuel(b, "_initialize")
			in.callFuel(b, "_initialize")
			overhead(b, func() { o.serve(b, "GET", "/bench", "") }, func() { in.serve(b, "GET", "/bench", "") })
		})
	}
}
