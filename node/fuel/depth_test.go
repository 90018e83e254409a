package fuel

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	goruntime "runtime"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
)

// Attacks on the call stack: unbounded and deep recursion must stop at the
// same depth weight on every engine, long before an engine's own limit
// (wazevo grows its stack to 400 MB before it traps; the interpreter stops
// at 2,000 frames), and recursion below the limit must compute what it
// did before instrumentation.

// frameWeights returns the frame weight of each function defined in wasm,
// computed from its bytes as the package documentation defines it.
func frameWeights(t testing.TB, wasm []byte) []uint32 {
	t.Helper()
	m, err := parseModule(wasm)
	if err != nil {
		t.Fatal(err)
	}
	var ws []uint32
	for _, s := range m.sections {
		if s.id != secCode {
			continue
		}
		r := reader{b: s.body}
		n, _ := r.u32()
		for i := range n {
			size, _ := r.u32()
			body, _ := r.bytes(int(size))
			br := reader{b: body}
			groups, _ := br.u32()
			locals := uint64(m.params[m.funcTypes[i]])
			for range groups {
				k, _ := br.u32()
				_, _ = br.byte()
				locals += uint64(k)
			}
			ws = append(ws, uint32(min(FrameBase+locals+(uint64(size)+FrameBytesPerSlot-1)/FrameBytesPerSlot, MaxDepth+1)))
		}
	}
	return ws
}

// trapDepth is the depth global's value when a call chain whose frames
// weigh ws[0], ws[1], ... (repeating the pattern) without returning hits
// the limit: the first sum above MaxDepth.
func trapDepth(ws ...uint32) uint32 {
	var d uint32
	for i := 0; ; i++ {
		d += ws[i%len(ws)]
		if d > MaxDepth {
			return d
		}
	}
}

// recursion is (module (func $r (export "r") (call $r))).
func recursion() []byte {
	var a asm
	a.exportFunc("r", a.fn(a.typ(nil, nil), nil, call(0), end))
	return a.bytes()
}

// isDepthTrap checks o is a trap by the depth limit at depth want.
func isDepthTrap(t *testing.T, engine string, o outcome, want uint32) {
	t.Helper()
	if !strings.Contains(o.trap, "unreachable") || o.depth != want {
		t.Errorf("%s: %v with depth %d, want the depth limit's unreachable trap at depth %d", engine, o, o.depth, want)
	}
}

// TestDepthUnboundedRecursion: a function that calls itself forever traps
// at the same depth weight, with the same fuel, on both engines, before
// either engine's own stack overflow.
func TestDepthUnboundedRecursion(t *testing.T) {
	wasm := recursion()
	inst := mustInstrument(t, wasm)
	w := frameWeights(t, wasm)[0]
	want := trapDepth(w)
	var outs []outcome
	for _, e := range engines {
		o := instantiate(t, e.cfg(), inst, nil).call(t, "r", 1<<40)
		isDepthTrap(t, e.name, o, want)
		outs = append(outs, o)
	}
	if outs[0].fuel != outs[1].fuel {
		t.Errorf("fuel differs: compiler %d, interpreter %d", outs[0].fuel, outs[1].fuel)
	}
	if frames := want / w; frames >= 2000 {
		t.Errorf("%d frames reach the limit: more than the interpreter's 2,000", frames)
	}
	t.Logf("frame weight %d: trap at depth %d, frame %d; fuel %d", w, want, want/w, outs[0].fuel)
}

// TestDepthFiniteRecursion: a recursion that stays under the limit returns
// what the uninstrumented module returns, with the naive instrumentation's
// fuel, and leaves the depth where the export's entry put it; one frame
// more traps alike on both engines.
func TestDepthFiniteRecursion(t *testing.T) {
	// f(n) = n == 0 ? 0 : f(n-1) + 1
	var a asm
	ty := a.typ([]byte{i32}, []byte{i32})
	a.exportFunc("f", a.fn(ty, nil,
		lget(0), op(opI32Eqz), ifb(i32), i32c(0), op(opElse),
		lget(0), i32c(1), op(opI32Sub), call(0), i32c(1), op(opI32Add), end, end))
	wasm := a.bytes()
	w := frameWeights(t, wasm)[0]
	frames := uint64(MaxDepth / w) // f(frames-1) runs frames frames
	inst, per := mustInstrument(t, wasm), naive(t, wasm)
	var outs []outcome
	for _, e := range engines {
		orig := instantiate(t, e.cfg(), wasm, nil).call(t, "f", -1, frames-1)
		got := instantiate(t, e.cfg(), inst, nil).call(t, "f", 1<<40, frames-1)
		ref := instantiate(t, e.cfg(), per, nil).call(t, "f", 1<<40, frames-1)
		if !got.sameResults(orig) || got.results[0] != frames-1 {
			t.Errorf("%s: f(%d) instrumented: %v; original: %v", e.name, frames-1, got, orig)
		}
		if got.fuel != ref.fuel {
			t.Errorf("%s: fuel %d, naive instrumentation %d", e.name, got.fuel, ref.fuel)
		}
		if got.depth != w {
			t.Errorf("%s: depth %d after the call, want the export's own weight %d", e.name, got.depth, w)
		}
		over := instantiate(t, e.cfg(), inst, nil).call(t, "f", 1<<40, frames)
		isDepthTrap(t, e.name, over, trapDepth(w))
		outs = append(outs, over)
	}
	if outs[0].fuel != outs[1].fuel {
		t.Errorf("fuel at the trap differs: compiler %d, interpreter %d", outs[0].fuel, outs[1].fuel)
	}
}

// TestDepthCallIndirect: mutual recursion through call_indirect is counted
// too, at the same depth on both engines; a loop of indirect calls keeps
// the depth balanced.
func TestDepthCallIndirect(t *testing.T) {
	var a asm
	ty := a.typ(nil, nil)
	tyN := a.typ([]byte{i32}, []byte{i32})
	a.table(3, 3)
	// ping calls table[1] (pong), pong calls table[0] (ping), forever; pong
	// has a local and more code, so the two weights differ.
	ping := a.fn(ty, nil, i32c(1), callIndirect(ty), end)
	pong := a.fn(ty, []byte{valI64}, i64c(1), lset(0), i32c(0), callIndirect(ty), end)
	leaf := a.fn(ty, nil, end)
	a.elem(ping, pong, leaf)
	a.exportFunc("ping", ping)
	// loop(n) calls table[2] (leaf) n times, then returns 7.
	a.exportFunc("loop", a.fn(tyN, nil,
		block(0x40), loop(0x40), lget(0), op(opI32Eqz), brIf(1),
		i32c(2), callIndirect(ty), lget(0), i32c(1), op(opI32Sub), lset(0), br(0), end, end,
		i32c(7), end))
	wasm := a.bytes()
	ws := frameWeights(t, wasm)
	if ws[0] == ws[1] {
		t.Fatalf("ping and pong weigh the same (%d)", ws[0])
	}
	inst := mustInstrument(t, wasm)
	var fuel []int64
	for _, e := range engines {
		in := instantiate(t, e.cfg(), inst, nil)
		o := in.call(t, "ping", 1<<40)
		isDepthTrap(t, e.name, o, trapDepth(ws[0], ws[1]))
		fuel = append(fuel, o.fuel)
		l := instantiate(t, e.cfg(), inst, nil).call(t, "loop", 1<<40, 100_000)
		if l.trap != "" || l.results[0] != 7 || l.depth != ws[3] {
			t.Errorf("%s: loop of 100,000 calls: %v, depth %d; want 7, depth %d", e.name, l, l.depth, ws[3])
		}
	}
	if fuel[0] != fuel[1] {
		t.Errorf("fuel at the trap differs: compiler %d, interpreter %d", fuel[0], fuel[1])
	}
}

// TestDepthTailCalls: a tail call replaces its caller's frame, so its
// weight is given back first and a tail-recursive loop never reaches the
// limit (wazero runs tail calls only with an experimental feature, which
// a node does not enable; the instrumenter handles them all the same).
func TestDepthTailCalls(t *testing.T) {
	// t(n) = n == 0 ? 7 : return_call t(n-1)
	var a asm
	ty := a.typ([]byte{i32}, []byte{i32})
	a.exportFunc("t", a.fn(ty, nil,
		lget(0), op(opI32Eqz), ifb(i32), i32c(7), op(opElse),
		lget(0), i32c(1), op(opI32Sub), appendU32([]byte{opReturnCall}, 0), end, end))
	wasm := a.bytes()
	w := frameWeights(t, wasm)[0]
	inst := mustInstrument(t, wasm)
	for _, e := range engines {
		cfg := e.cfg().WithCoreFeatures(api.CoreFeaturesV2 | experimental.CoreFeaturesTailCall)
		o := instantiate(t, cfg, inst, nil).call(t, "t", 1<<40, 100_000)
		if o.trap != "" || o.results[0] != 7 || o.depth != w {
			t.Errorf("%s: t(100000): %v, depth %d; want 7, depth %d", e.name, o, o.depth, w)
		}
	}
}

// TestDepthReserved: a module that already exports q1_depth is refused.
func TestDepthReserved(t *testing.T) {
	for _, kind := range []string{"global", "function"} {
		var a asm
		f := a.fn(a.typ(nil, nil), nil, end)
		if kind == "global" {
			a.export(DepthGlobalName, 0x03, a.global(valI32, true, i32c(0), end))
		} else {
			a.exportFunc(DepthGlobalName, f)
		}
		_, err := Instrument(a.bytes(), V1())
		if !errors.Is(err, ErrReserved) || !strings.Contains(err.Error(), DepthGlobalName) {
			t.Errorf("a module exporting a %s named %s: %v, want ErrReserved naming it", kind, DepthGlobalName, err)
		}
	}
}

// TestDepthEngineStack measures what the compiler's stack grows to when a
// recursion of each frame shape an attacker might choose runs into the
// limit: it must trap by the limit, never by wazevo's own stack overflow,
// with the stack far below wazevo's 400 MB ceiling (under 64 MiB). wazevo
// doubles its stack as it grows, so the stack is about half of what the
// call allocated in all; that total is what is checked.
func TestDepthEngineStack(t *testing.T) {
	if testing.Short() {
		t.Skip("grows the compiler's stack to tens of MiB")
	}
	shapes := []struct {
		name  string
		build func(a *asm)
	}{
		{"call only", func(a *asm) { a.exportFunc("r", a.fn(a.typ(nil, nil), nil, call(0), end)) }},
	}
	// live values: n values held across the recursive call (wazevo spills
	// them to the frame), each costing 3 to 4 bytes of code: global.get of
	// its own global (distinct globals, as wazevo would reuse a second load
	// of the same one), then i64.add.
	for _, n := range []int{64, 4096, 32768} {
		shapes = append(shapes, struct {
			name  string
			build func(a *asm)
		}{fmt.Sprintf("%d live values", n), func(a *asm) {
			ty := a.typ(nil, nil)
			var body [][]byte
			for i := range n {
				body = append(body, gget(a.global(valI64, true, i64c(int64(i)), end)))
			}
			body = append(body, call(0))
			for range n - 1 {
				body = append(body, op(opI64Add))
			}
			body = append(body, gset(0), end) // used, so not dead code
			a.exportFunc("r", a.fn(ty, nil, body...))
		}})
	}
	// loads: n values loaded from memory held across the call.
	for _, n := range []int{4096} {
		shapes = append(shapes, struct {
			name  string
			build func(a *asm)
		}{fmt.Sprintf("%d live loads", n), func(a *asm) {
			ty := a.typ(nil, nil)
			a.memory(1, 1)
			g := a.global(valI64, true, i64c(0), end)
			var body [][]byte
			for i := range n {
				body = append(body, i32c(0), appendU32([]byte{0x29, 0x03}, uint32(8*i)))
			}
			body = append(body, call(0))
			for range n - 1 {
				body = append(body, op(opI64Add))
			}
			body = append(body, gset(g), end)
			a.exportFunc("r", a.fn(ty, nil, body...))
		}})
	}
	// parameters: p i64 parameters passed on to the recursive call.
	for _, p := range []int{8, 100, MaxParams} {
		shapes = append(shapes, struct {
			name  string
			build func(a *asm)
		}{fmt.Sprintf("%d parameters", p), func(a *asm) {
			ty := a.typ(bytes.Repeat([]byte{valI64}, p), nil)
			var body [][]byte
			for i := range p {
				body = append(body, lget(uint32(i)))
			}
			body = append(body, call(0), end)
			a.exportFunc("r", a.fn(ty, nil, body...))
		}})
	}
	// locals: l i64 locals, each set before the call and read after it.
	for _, l := range []int{1000, MaxLocals} {
		shapes = append(shapes, struct {
			name  string
			build func(a *asm)
		}{fmt.Sprintf("%d locals", l), func(a *asm) {
			ty := a.typ(nil, nil)
			var body [][]byte
			for i := range l {
				body = append(body, gget(a.global(valI64, true, i64c(int64(i)), end)), lset(uint32(i)))
			}
			body = append(body, call(0))
			for i := range l {
				body = append(body, lget(uint32(i)), gset(uint32(i)))
			}
			body = append(body, end)
			a.exportFunc("r", a.fn(ty, bytes.Repeat([]byte{valI64}, l), body...))
		}})
	}
	for _, s := range shapes {
		var a asm
		s.build(&a)
		wasm := a.bytes()
		w := frameWeights(t, wasm)[0]
		in := instantiate(t, engines[0].cfg(), mustInstrument(t, wasm), nil)
		f := in.mod.ExportedFunction("r")
		args := make([]uint64, len(f.Definition().ParamTypes()))
		var before, after goruntime.MemStats
		goruntime.GC()
		goruntime.ReadMemStats(&before)
		fuelGlobal(t, in.mod).Set(1 << 40)
		depthGlobal(t, in.mod).Set(0)
		_, err := f.Call(context.Background(), args...)
		goruntime.ReadMemStats(&after)
		depth := uint32(depthGlobal(t, in.mod).Get())
		alloc := after.TotalAlloc - before.TotalAlloc
		if err == nil || !strings.Contains(err.Error(), "unreachable") || depth != trapDepth(w) {
			t.Errorf("%s: %v at depth %d, want the depth limit's trap at %d", s.name, err, depth, trapDepth(w))
		}
		if alloc > 128<<20 {
			t.Errorf("%s: the call allocated %d MiB", s.name, alloc>>20)
		}
		t.Logf("%-18s frame weight %6d, %5d frames: the call allocated %6.1f MiB (%5.1f bytes a weight unit)",
			s.name, w, depth/w, float64(alloc)/(1<<20), float64(alloc)/2/float64(depth))
		in.rt.Close(context.Background())
	}
}
