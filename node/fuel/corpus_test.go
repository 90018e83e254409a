package fuel

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
)

// A spec-test-style corpus: hand-assembled modules, each exporting "f",
// called with arguments whose results and fuel were counted by hand (V1:
// every operator 1, block/loop/end/else/nop 0, comments count them).

type corpusCall struct {
	args []uint64
	want []uint64 // nil with trap
	trap bool
	fuel int64
}

type corpusCase struct {
	name  string
	build func(a *asm)
	deps  map[string][]byte
	// features are wazero's core features beyond V2 the module needs.
	features api.CoreFeatures
	calls    []corpusCall
}

// noTrap and traps build calls.
func call1(fuel int64, want []uint64, args ...uint64) corpusCall {
	return corpusCall{args: args, want: want, fuel: fuel}
}

func trapCall(fuel int64, args ...uint64) corpusCall {
	return corpusCall{args: args, trap: true, fuel: fuel}
}

func u64s(v ...uint64) []uint64 { return v }

// neg is the two's complement of -v as a call result of type i32.
func neg32(v int32) uint64 { return uint64(uint32(v)) }

var corpus = []corpusCase{
	{
		name: "straight line",
		build: func(a *asm) {
			t := a.typ([]byte{i32, i32}, []byte{i32})
			a.exportFunc("f", a.fn(t, nil, lget(0), lget(1), op(opI32Add), end)) // 3
		},
		calls: []corpusCall{call1(3, u64s(5), 2, 3)},
	},
	{
		name: "empty function",
		build: func(a *asm) {
			t := a.typ(nil, nil)
			a.exportFunc("f", a.fn(t, nil, end))
		},
		calls: []corpusCall{call1(0, u64s())},
	},
	{
		name: "block and br_if",
		build: func(a *asm) {
			t := a.typ([]byte{i32}, []byte{i32})
			a.exportFunc("f", a.fn(t, nil,
				block(i32),
				i32c(7), lget(0), brIf(0), // 3
				drop, i32c(9), // 2
				end, end))
		},
		calls: []corpusCall{call1(3, u64s(7), 1), call1(5, u64s(9), 0)},
	},
	{
		name: "nested blocks, nop, br to an outer label",
		build: func(a *asm) {
			t := a.typ([]byte{i32}, []byte{i32})
			a.exportFunc("f", a.fn(t, nil,
				block(i32), nop,
				block(empty), nop,
				block(empty),
				i32c(1), lget(0), i32c(1), op(opI32Eq), brIf(2), // 5: x == 1 leaves 1
				drop, // 1
				end,
				i32c(2), lget(0), i32c(5), op(opI32GtS), brIf(1), // 5: x > 5 leaves 2
				i32c(3), br(1), // 2
				end,
				i32c(4), // never reached
				end, end))
		},
		calls: []corpusCall{call1(5, u64s(1), 1), call1(13, u64s(3), 0), call1(11, u64s(2), 9)},
	},
	{
		name: "loop counting down",
		build: func(a *asm) {
			t := a.typ([]byte{i32}, []byte{i32})
			a.exportFunc("f", a.fn(t, []byte{i32},
				block(empty), loop(empty),
				lget(0), op(opI32Eqz), brIf(1), // 3
				lget(1), lget(0), op(opI32Add), lset(1), // 4
				lget(0), i32c(1), op(opI32Sub), lset(0), br(0), // 5
				end, end,
				lget(1), // 1
				end))
		},
		calls: []corpusCall{call1(4, u64s(0), 0), call1(12*10+4, u64s(55), 10), call1(12*1000+4, u64s(500500), 1000)},
	},
	{
		name: "loop falling through",
		build: func(a *asm) {
			t := a.typ([]byte{i32}, []byte{i32})
			// do { n-- } while (n > 0); return n
			a.exportFunc("f", a.fn(t, nil,
				loop(empty),
				lget(0), i32c(1), op(opI32Sub), ltee(0), i32c(0), op(opI32GtS), brIf(0), // 7
				end,
				lget(0), // 1
				end))
		},
		calls: []corpusCall{call1(7*5+1, u64s(0), 5), call1(7+1, u64s(neg32(-1)), 0)},
	},
	{
		name: "if else",
		build: func(a *asm) {
			t := a.typ([]byte{i32}, []byte{i32})
			a.exportFunc("f", a.fn(t, nil,
				lget(0), ifb(i32), // 2
				i32c(10), // 1
				elseOp,
				i32c(20), i32c(1), op(opI32Add), // 3
				end, end))
		},
		calls: []corpusCall{call1(3, u64s(10), 1), call1(5, u64s(21), 0)},
	},
	{
		name: "if without else",
		build: func(a *asm) {
			t := a.typ([]byte{i32}, []byte{i32})
			a.exportFunc("f", a.fn(t, nil,
				lget(0), ifb(empty), // 2
				i32c(5), lset(0), // 2
				end,
				lget(0), i32c(1), op(opI32Add), // 3
				end))
		},
		calls: []corpusCall{call1(7, u64s(6), 1), call1(5, u64s(1), 0)},
	},
	{
		name: "br_table and early returns",
		build: func(a *asm) {
			t := a.typ([]byte{i32}, []byte{i32})
			a.exportFunc("f", a.fn(t, nil,
				block(empty), block(empty), block(empty),
				lget(0), brTable(2, 0, 1), // 2
				end,
				i32c(100), ret, // 2
				end,
				i32c(200), ret, // 2
				end,
				i32c(300), // 1
				end))
		},
		calls: []corpusCall{call1(4, u64s(100), 0), call1(4, u64s(200), 1), call1(3, u64s(300), 2), call1(3, u64s(300), 99)},
	},
	{
		name: "return from inside a loop",
		build: func(a *asm) {
			t := a.typ([]byte{i32}, []byte{i32})
			// loop { if n >= 3 return n*10; n++ }
			a.exportFunc("f", a.fn(t, nil,
				loop(empty),
				lget(0), i32c(3), op(opI32LtU), op(opI32Eqz), ifb(empty), // 5
				lget(0), i32c(10), op(opI32Mul), ret, // 4
				end,
				lget(0), i32c(1), op(opI32Add), lset(0), br(0), // 5
				end,
				i32c(0), // dead, never charged
				end))
		},
		calls: []corpusCall{call1(9, u64s(50), 5), call1(10*3+9, u64s(30), 0)},
	},
	{
		name: "dead code after br",
		build: func(a *asm) {
			t := a.typ(nil, []byte{i32})
			a.exportFunc("f", a.fn(t, nil,
				block(empty), br(0), // 1
				i32c(1), drop, i32c(2), drop, // dead
				end,
				i32c(5), // 1
				end))
		},
		calls: []corpusCall{call1(2, u64s(5))},
	},
	{
		name: "calls",
		build: func(a *asm) {
			t := a.typ([]byte{i32}, []byte{i32})
			g := a.fn(t, nil, lget(0), i32c(2), op(opI32Mul), end)                        // 3
			a.exportFunc("f", a.fn(t, nil, lget(0), call(g), i32c(1), op(opI32Add), end)) // 4
		},
		calls: []corpusCall{call1(7, u64s(21), 10)},
	},
	{
		name: "recursion",
		build: func(a *asm) {
			t := a.typ([]byte{i32}, []byte{i32})
			// fact(n) = n == 0 ? 1 : n * fact(n-1)
			a.exportFunc("f", a.fn(t, nil,
				lget(0), op(opI32Eqz), ifb(i32), // 3
				i32c(1), // 1
				elseOp,
				lget(0), lget(0), i32c(1), op(opI32Sub), call(0), // 5
				op(opI32Mul), // 1
				end, end))
		},
		calls: []corpusCall{call1(4, u64s(1), 0), call1(9*5+4, u64s(120), 5)},
	},
	{
		name: "tail calls",
		build: func(a *asm) {
			t := a.typ([]byte{i32, i32}, []byte{i32})
			a.table(1, 0)
			a.elem(0)
			// f(n, acc) = n == 0 ? acc : f(n-1, acc+n), by return_call, or
			// by return_call_indirect when 3 divides n.
			next := cat(lget(0), i32c(1), op(opI32Sub), lget(1), lget(0), op(opI32Add)) // 6
			a.exportFunc("f", a.fn(t, nil,
				lget(0), op(opI32Eqz), ifb(i32), // 3
				lget(1), // 1
				elseOp,
				lget(0), i32c(3), op(opI32RemU), ifb(empty), // 4
				next, appendU32([]byte{opReturnCall}, 0), // 7
				end,
				next, i32c(0), append(appendU32([]byte{opReturnCallIndirect}, t), 0), // 8
				end, end))
		},
		features: experimental.CoreFeaturesTailCall,
		calls: []corpusCall{
			call1(4, u64s(0), 0, 0),
			call1(15+14+14+4, u64s(6), 3, 0),                                   // 3 indirect, 2 and 1 direct
			call1(33333*15+66667*14+4, u64s(5000050000&0xffffffff), 100000, 0), // the stack does not grow
		},
	},
	{
		name: "call_indirect",
		build: func(a *asm) {
			t := a.typ([]byte{i32}, []byte{i32})
			t2 := a.typ([]byte{i32, i32}, []byte{i32})
			g := a.fn(t, nil, lget(0), i32c(2), op(opI32Mul), end) // 3
			h := a.fn(t, nil, lget(0), i32c(3), op(opI32Add), end) // 3
			a.table(2, 0)
			a.elem(g, h)
			a.exportFunc("f", a.fn(t2, nil, lget(0), lget(1), callIndirect(t), end)) // 3
		},
		calls: []corpusCall{
			call1(6, u64s(14), 7, 0),
			call1(6, u64s(10), 7, 1),
			trapCall(3, 7, 2), // undefined element: the caller's segment only
		},
	},
	{
		// A trap the code does not ask for (here a division by zero)
		// leaves the global where the function last synced it: at entry,
		// the caller's; so the segment it stopped in is not charged.
		name: "trap mid-segment is charged up to the last sync",
		build: func(a *asm) {
			t := a.typ([]byte{i32}, []byte{i32})
			a.exportFunc("f", a.fn(t, nil, i32c(10), lget(0), op(opI32DivU), i32c(1), op(opI32Add), end)) // 5
		},
		calls: []corpusCall{call1(5, u64s(6), 2), trapCall(0, 0)},
	},
	{
		// After a loop, the global holds what was charged up to the
		// loop's last head: the loop's segments of every iteration but the
		// last one's tail.
		name: "trap after a loop is charged up to the last loop head",
		build: func(a *asm) {
			t := a.typ([]byte{i32}, []byte{i32})
			a.exportFunc("f", a.fn(t, nil,
				loop(empty),                                      // head: synced after its segment's charge
				lget(0), i32c(1), op(opI32Sub), ltee(0), brIf(0), // 5 a round
				end,
				i32c(10), lget(0), op(opI32DivU), // 3, traps: x is 0 here
				end))
		},
		// x = 3: three rounds of 5 charged, synced at each head (after
		// its charge): 15, the tail after the last head unsynced.
		calls: []corpusCall{trapCall(15, 3)},
	},
	{
		name: "unreachable",
		build: func(a *asm) {
			t := a.typ([]byte{i32}, []byte{i32})
			a.exportFunc("f", a.fn(t, nil,
				lget(0), ifb(empty), trap, end, // 2 + 1
				i32c(1), // 1
				end))
		},
		calls: []corpusCall{call1(3, u64s(1), 0), trapCall(3, 1)},
	},
	{
		name: "multi-value blocks and results",
		build: func(a *asm) {
			t := a.typ([]byte{i32}, []byte{i32, i32})
			bt := a.typ([]byte{i32}, []byte{i32, i32})
			pair := a.typ([]byte{i32, i32}, []byte{i32, i32})
			// f(x) = (x+3, x) via a block taking one value and leaving two,
			// then swapped through an if with a type-index block type.
			a.exportFunc("f", a.fn(t, nil,
				lget(0),      // 1
				blockT(bt),   // the block type is a type index
				lget(0),      // 1: [x x]
				op(opI32Add), // 1: [2x]
				lget(0),      // 1: [2x x]
				end,
				i32c(1),                              // 1
				appendS64([]byte{opIf}, int64(pair)), // 1
				op(opI32Sub), lget(0),                // 2: [x x]
				elseOp,
				end,
				end))
		},
		calls: []corpusCall{call1(8, u64s(7, 7), 7)},
	},
	{
		name: "bulk memory",
		build: func(a *asm) {
			t := a.typ([]byte{i32}, []byte{i32})
			a.memory(1, 0)
			a.exportFunc("f", a.fn(t, nil,
				i32c(0), i32c(7), lget(0), memFill, // 4 + ⌈n/64⌉
				i32c(100), i32c(0), lget(0), memCopy, // 4 + ⌈n/64⌉
				i32c(100), memarg(opI32Load8U), // 2
				end))
		},
		calls: []corpusCall{
			call1(10, u64s(0), 0),
			call1(12, u64s(7), 1),
			call1(12, u64s(7), 64),
			call1(14, u64s(7), 65),
			call1(10+2*16, u64s(7), 1000),
			trapCall(10+(1<<25), 1<<31), // out of bounds: the segment and the fill are charged before
		},
	},
	{
		name: "memory.init and data.drop",
		build: func(a *asm) {
			t := a.typ([]byte{i32}, []byte{i32})
			a.memory(1, 0)
			a.passiveData("hello")
			a.exportFunc("f", a.fn(t, nil,
				i32c(0), i32c(0), lget(0), memInit(0), // 4 + ⌈n/64⌉
				cat(misc(opDataDrop), []byte{0}), // 1
				i32c(1), memarg(opI32Load8U),     // 2
				end))
		},
		calls: []corpusCall{call1(8, u64s('e'), 5), call1(7, u64s('e'), 0), trapCall(8, 6)},
	},
	{
		name: "memory.grow",
		build: func(a *asm) {
			t := a.typ([]byte{i32}, []byte{i32})
			a.memory(1, 10)
			a.exportFunc("f", a.fn(t, nil, lget(0), memGrow, memSize, op(opI32Add), end)) // 4 + 1024 per page
		},
		calls: []corpusCall{
			call1(4, u64s(2), 0),
			call1(4+3*1024, u64s(1+4), 3),
			call1(4+100*1024, u64s(3), 100), // refused (-1 + 4 pages), still charged
		},
	},
	{
		name: "table operations",
		build: func(a *asm) {
			t := a.typ([]byte{i32}, []byte{i32})
			a.table(1, 0)
			a.exportFunc("f", a.fn(t, nil,
				op(opRefNull, valFuncref), lget(0), tableGrow, drop, // 4 + n
				i32c(0), op(opRefNull, valFuncref), i32c(1), tableFill, // 4 + 1
				tableSize, // 1
				end))
		},
		calls: []corpusCall{call1(4+5+5+1, u64s(6), 5), call1(10, u64s(6), 0)},
	},
	{
		name: "sign extension, saturating truncation, typed select, references",
		build: func(a *asm) {
			t := a.typ([]byte{i32}, []byte{i32})
			a.table(1, 0)
			self := a.nImpFuncs + uint32(len(a.funcs))
			a.elem(self)
			a.exportFunc("f", a.fn(t, nil,
				lget(0), op(opI32Extend8S), // 2
				op(opF32Const, 0xf9, 0x02, 0x15, 0x50), misc(opI32TruncSat), // 2: 1e10 saturates
				op(opI32Add),                                            // 1
				i32c(1), i32c(2), lget(0), op(opSelectTyped, 1, valI32), // 4
				op(opI32Add),                                        // 1
				appendU32([]byte{opRefFunc}, self), op(opRefIsNull), // 2
				op(opI32Add), // 1
				end))
		},
		calls: []corpusCall{call1(13, u64s(0x7fffffff), 0xff)},
	},
	{
		name: "imported and defined globals come before the fuel global",
		build: func(a *asm) {
			t := a.typ(nil, []byte{i32})
			a.importGlobal("env", "g", valI32, false)
			mine := a.global(valI32, true, i32c(40), end)
			a.exportFunc("f", a.fn(t, nil, gget(0), gget(mine), op(opI32Add), end)) // 3
		},
		deps: map[string][]byte{"env": func() []byte {
			var d asm
			d.export("g", 0x03, d.global(valI32, false, i32c(2), end))
			return d.bytes()
		}()},
		calls: []corpusCall{call1(3, u64s(42))},
	},
	{
		name: "imported function",
		build: func(a *asm) {
			t := a.typ([]byte{i32}, []byte{i32})
			imp := a.importFunc("env", "double", t)
			a.exportFunc("f", a.fn(t, nil, lget(0), call(imp), i32c(1), op(opI32Add), end)) // 4
		},
		deps: map[string][]byte{"env": func() []byte {
			var d asm
			t := d.typ([]byte{i32}, []byte{i32})
			d.exportFunc("double", d.fn(t, nil, lget(0), lget(0), op(opI32Add), end))
			return d.bytes()
		}()},
		calls: []corpusCall{call1(4, u64s(21), 10)}, // the dependency is not instrumented
	},
}

func TestCorpus(t *testing.T) {
	for _, tc := range corpus {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			var a asm
			tc.build(&a)
			wasm := a.bytes()
			inst := mustInstrument(t, wasm)
			nv := naive(t, wasm)
			fuelBy := map[string][]int64{}
			for _, e := range engines {
				cfg := e.cfg().WithCoreFeatures(api.CoreFeaturesV2 | tc.features)
				orig := instantiate(t, cfg, wasm, tc.deps)
				in := instantiate(t, cfg, inst, tc.deps)
				nin := instantiate(t, cfg, nv, tc.deps)
				for _, c := range tc.calls {
					what := fmt.Sprintf("%s f%v", e.name, c.args)
					o := orig.call(t, "f", -1, c.args...)
					got := in.call(t, "f", 1<<40, c.args...)
					if !o.sameResults(got) {
						t.Errorf("%s: original %v, instrumented %v", what, o, got)
					}
					if c.trap != (got.trap != "") {
						t.Errorf("%s: %v, want trap %v", what, got, c.trap)
					}
					if !c.trap && !slices.Equal(got.results, c.want) {
						t.Errorf("%s: results %v, want %v", what, got.results, c.want)
					}
					if got.fuel != c.fuel {
						t.Errorf("%s: fuel used %d, want %d", what, got.fuel, c.fuel)
					}
					// The per-operator module is called whatever happens, so
					// that its state stays that of the others.
					if n := nin.call(t, "f", 1<<40, c.args...); !n.sameResults(got) || !c.trap && n.fuel != got.fuel {
						t.Errorf("%s: per-operator instrumentation %v, segments %v", what, n, got)
					}
					fuelBy[e.name] = append(fuelBy[e.name], got.fuel)
				}
			}
			if !slices.Equal(fuelBy["compiler"], fuelBy["interpreter"]) {
				t.Errorf("fuel differs: compiler %v, interpreter %v", fuelBy["compiler"], fuelBy["interpreter"])
			}
		})
	}
}
