package fuel

import (
	"errors"
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
