package fuel

import (
	"math/rand/v2"
)

// A random generator of valid modules, for FuzzInstrument: functions of
// type (i32, i32) -> i32 built from nested expressions and statements that
// cover every control construct (blocks, bounded loops, if/else, br_if,
// br_table, early returns, calls, call_indirect, multi-value blocks), memory
// and bulk memory, memory.grow, globals, i64 and float conversions. Loops
// are bounded and calls go only to lower-numbered functions, so every call
// ends; some trap (division by zero, out-of-bounds accesses), alike in the
// original and the instrumented module.

const (
	genParams  = 2
	genLocals  = 3 // i32 scratch locals 2..4
	genCounter = 5 // loop counters 5..7, one per loop depth
	genMaxLoop = 3
)

type gen struct {
	r      *rand.Rand
	a      *asm
	fn     int    // index of the function being generated
	typ    uint32 // (i32, i32) -> i32
	pair   uint32 // [i32] -> [i32 i32], a multi-value block type
	global uint32
	loops  int // loop nesting of the current point
	size   int // instructions emitted in this function, to bound it
}

// genModule returns a module of 1 to 4 functions, exported as "f0"…, with
// a memory, a mutable global and a table holding every function.
func genModule(seed uint64) []byte {
	g := &gen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), a: &asm{}}
	g.typ = g.a.typ([]byte{i32, i32}, []byte{i32})
	g.pair = g.a.typ([]byte{i32}, []byte{i32, i32})
	g.a.memory(1, 4)
	g.a.activeData(16, "fuel metering!")
	g.global = g.a.global(valI32, true, i32c(7), end)
	n := 1 + g.r.IntN(4)
	g.a.table(uint32(n), 0)
	var all []uint32
	for i := range n {
		g.fn, g.loops, g.size = i, 0, 0
		var body []byte
		for range g.r.IntN(4) {
			body = append(body, g.stmt(3)...)
		}
		body = append(body, g.expr(3)...)
		body = append(body, opEnd)
		locals := make([]byte, genLocals+genMaxLoop)
		for j := range locals {
			locals[j] = i32
		}
		f := g.a.fn(g.typ, locals, body)
		g.a.exportFunc("f"+string(rune('0'+i)), f)
		all = append(all, f)
	}
	g.a.elem(all...)
	return g.a.bytes()
}

func (g *gen) local() uint32 { return uint32(g.r.IntN(genParams + genLocals)) }

// expr returns code that pushes one i32.
func (g *gen) expr(depth int) []byte {
	g.size++
	if depth <= 0 || g.size > 200 {
		return g.leaf()
	}
	d := depth - 1
	switch g.r.IntN(16) {
	case 0, 1:
		return g.leaf()
	case 2:
		ops := []byte{opI32Add, opI32Sub, opI32Mul, opI32And, opI32Xor, opI32Shl, opI32Eq, opI32LtU, opI32GtS, opI32DivU, opI32RemU}
		return cat(g.expr(d), g.expr(d), op(ops[g.r.IntN(len(ops))]))
	case 3:
		ops := []byte{opI32Eqz, 0x67 /* clz */, 0x69 /* popcnt */, opI32Extend8S}
		return cat(g.expr(d), op(ops[g.r.IntN(len(ops))]))
	case 4:
		if g.r.IntN(2) == 0 {
			return cat(g.expr(d), g.expr(d), g.expr(d), op(opSelect))
		}
		return cat(g.expr(d), g.expr(d), g.expr(d), op(opSelectTyped, 1, valI32))
	case 5: // block with a conditional early exit
		return cat(block(i32), g.stmts(d), g.expr(d), g.expr(d), brIf(0), drop, g.expr(d), end)
	case 6:
		return cat(g.expr(d), ifb(i32), g.stmts(d), g.expr(d), elseOp, g.expr(d), end)
	case 7:
		if g.fn == 0 {
			return g.leaf()
		}
		return cat(g.expr(d), g.expr(d), call(uint32(g.r.IntN(g.fn))))
	case 8:
		if g.fn == 0 {
			return g.leaf()
		}
		return cat(g.expr(d), g.expr(d), i32c(int32(g.r.IntN(g.fn))), callIndirect(g.typ))
	case 9: // a load, usually in bounds
		return cat(g.addr(d), memarg([]byte{opI32Load, opI32Load8U}[g.r.IntN(2)]))
	case 10: // i64 and back
		return cat(g.expr(d), op(0xac /* i64.extend_i32_s */), g.expr(d), op(opI64ExtendI32U), op(opI64Mul, opI32WrapI64))
	case 11: // floats, saturated back to i32
		return cat(g.expr(d), op(0xb7 /* f64.convert_i32_s */, opF64Sqrt), g.expr(d), op(0xb8 /* f64.convert_i32_u */, opF64Add), misc(2 /* i32.trunc_sat_f64_s */))
	case 12: // multi-value block: [i32] -> [i32 i32]
		return cat(g.expr(d), blockT(g.pair), g.expr(d), end, op(opI32Add))
	case 13:
		return cat(g.expr(d), memGrow)
	case 14:
		return cat(g.expr(d), ltee(g.local()))
	default:
		return cat(gget(g.global), g.expr(d), op(opI32Add))
	}
}

func (g *gen) leaf() []byte {
	switch g.r.IntN(4) {
	case 0:
		return i32c(int32(g.r.Uint32()))
	case 1:
		return i32c(int32(g.r.IntN(100)))
	case 2:
		return memSize
	default:
		return lget(g.local())
	}
}

// addr is an address in the first page, or rarely anywhere.
func (g *gen) addr(depth int) []byte {
	if g.r.IntN(10) == 0 {
		return g.expr(depth)
	}
	return cat(g.expr(depth), i32c(0xfff), op(opI32And))
}

func (g *gen) stmts(depth int) []byte {
	var b []byte
	for range g.r.IntN(3) {
		b = append(b, g.stmt(depth)...)
	}
	return b
}

// stmt returns code that leaves the stack as it found it.
func (g *gen) stmt(depth int) []byte {
	g.size++
	d := max(depth-1, 0)
	switch g.r.IntN(11) {
	case 0, 1:
		return cat(g.expr(d), lset(g.local()))
	case 2:
		return cat(g.addr(d), g.expr(d), memarg(opI32Store))
	case 3:
		return cat(g.expr(d), ifb(empty), g.stmts(d), elseOp, g.stmts(d), end)
	case 4: // a loop of 1 to 5 iterations
		if g.loops >= genMaxLoop || depth == 0 {
			return cat(g.expr(d), drop)
		}
		c := uint32(genCounter + g.loops)
		g.loops++
		body := g.stmts(d)
		g.loops--
		return cat(i32c(int32(1+g.r.IntN(5))), lset(c), loop(empty), body,
			lget(c), i32c(1), op(opI32Sub), ltee(c), brIf(0), end)
	case 5: // br_table out of nested blocks
		return cat(block(empty), block(empty), block(empty), g.expr(d), brTable(uint32(g.r.IntN(3)), 0, 1, 2), end,
			g.stmts(d), end, g.stmts(d), end)
	case 6: // early return
		return cat(g.expr(d), ifb(empty), g.expr(d), ret, end)
	case 7:
		bulk := [][]byte{memFill, memCopy}[g.r.IntN(2)]
		return cat(g.addr(d), g.expr(d), g.expr(d), i32c(0x1ff), op(opI32And), bulk)
	case 8:
		return cat(g.expr(d), gset(g.global))
	case 9: // a trap, rarely taken
		return cat(g.expr(d), i32c(0x7f), op(opI32And), op(opI32Eqz), ifb(empty), trap, end)
	default:
		return cat(block(empty), nop, g.expr(d), brIf(0), g.stmts(d), end)
	}
}
