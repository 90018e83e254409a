package fuel

import (
	"fmt"
	"math"
)

// Opcodes the instrumenter looks at or emits.
const (
	opUnreachable        = 0x00
	opNop                = 0x01
	opBlock              = 0x02
	opLoop               = 0x03
	opIf                 = 0x04
	opElse               = 0x05
	opEnd                = 0x0b
	opBr                 = 0x0c
	opBrIf               = 0x0d
	opBrTable            = 0x0e
	opReturn             = 0x0f
	opCall               = 0x10
	opCallIndirect       = 0x11
	opReturnCall         = 0x12
	opReturnCallIndirect = 0x13
	opDrop               = 0x1a
	opSelect             = 0x1b
	opSelectTyped        = 0x1c
	opLocalGet           = 0x20
	opLocalSet           = 0x21
	opLocalTee           = 0x22
	opGlobalGet          = 0x23
	opGlobalSet          = 0x24
	opTableGet           = 0x25
	opTableSet           = 0x26
	opI32Load            = 0x28
	opI64Store32         = 0x3e
	opMemorySize         = 0x3f
	opMemoryGrow         = 0x40
	opI32Const           = 0x41
	opI64Const           = 0x42
	opI32GtU             = 0x4b
	opI32Add             = 0x6a
	opI32Sub             = 0x6b
	opF32Const           = 0x43
	opF64Const           = 0x44
	opI64LtS             = 0x53
	opI64Add             = 0x7c
	opI64Sub             = 0x7d
	opI64Mul             = 0x7e
	opI64ShrU            = 0x88
	opI64ExtendI32U      = 0xad
	opI64GtU             = 0x56
	opI64Extend32S       = 0xc4
	opF32Eq              = 0x5b
	opF64Eq              = 0x61
	opF32Ceil            = 0x8d // f32.ceil to f32.max produce NaNs
	opF32Max             = 0x97
	opF64Ceil            = 0x9b // f64.ceil to f64.max produce NaNs
	opF64Max             = 0xa5
	opF32DemoteF64       = 0xb6
	opF64PromoteF32      = 0xbb
	opRefNull            = 0xd0
	opRefIsNull          = 0xd1
	opRefFunc            = 0xd2
	prefixMisc           = 0xfc
	prefixSIMD           = 0xfd
	prefixThreads        = 0xfe
)

// 0xFC sub-opcodes with operands the instrumenter charges by.
const (
	miscMemoryInit = 8
	miscMemoryCopy = 10
	miscMemoryFill = 11
	miscTableInit  = 12
	miscTableCopy  = 14
	miscTableGrow  = 15
	miscTableSize  = 16
	miscTableFill  = 17
)

// ControlBudget is the most that the squares of the numbers of control
// operators (block, loop, if, else, br_if, br_table) of a module's
// functions may sum to, for a module of size bytes: 10,000,000, or 30 per
// byte if that is more. wazero's optimizing compiler (wazevo) takes time
// quadratic in a function's basic blocks (its loop detection and loop
// nesting forest walk the dominator tree from each block): 4,000 nested
// loops, 12 KiB, took 3.5 s of CPU and 100,000 empty blocks, 300 KiB, a
// minute. The budget keeps that to about 2 s for a small module and about
// 7 s per MiB (nested loops, the worst found; ifs about 1 s per MiB),
// while a 5 MB Go guest, at most 994 in a function, sums to 14,205,545,
// under half its budget.
func ControlBudget(size int) uint64 {
	return max(controlFloor, controlPerByte*uint64(size))
}

const (
	controlFloor   = 10_000_000
	controlPerByte = 30
)

// maxSegmentCost bounds a segment's static cost so that charging it can
// never wrap the i64 global (costs are uint32 and a body is at most 4 GiB,
// so this is only reached by absurd cost tables).
const maxSegmentCost = 1 << 53

// dynamic is how an operator's operand is charged.
type dynamic int

const (
	dynNone    dynamic = iota
	dynPer64           // ⌈n/64⌉ × cost (bulk memory)
	dynPerUnit         // n × cost (memory.grow pages, table elements)
)

// rewriter rewrites the function bodies of one code section.
type rewriter struct {
	c     *Costs
	perOp bool
	g     []byte // the fuel global's index, encoded
	d     []byte // the depth global's index, encoded
	probe []byte // the depth probe's index, encoded; nil without it

	// weight is the frame weight of the function being rewritten.
	weight uint32

	fn int // function index of the body being rewritten
	// scratch, scratchF32 and scratchF64 are the indices of the i32, f32
	// and f64 scratch locals, encoded; local is the index of the i64 local
	// that holds the function's fuel between syncs with the global. All
	// four are appended to every body's locals, and after them depthLocal,
	// the i32 local that holds the call depth of the function's own frame.
	scratch, scratchF32, scratchF64, local, depthLocal []byte

	code []byte // rewritten instructions of the body
	seg  []byte // rewritten instructions of the current segment
	cost uint64 // static cost of the current segment
	// controls counts the control operators of the body being rewritten
	// (ControlBudget); squares sums their squares over the bodies so far,
	// which must keep to budget.
	controls        uint64
	squares, budget uint64
	// tableCap is the most elements table.grow may bring one table to:
	// MaxModuleTableSize shared among the module's tables.
	tableCap uint64
	// check: the current segment starts at function entry or a loop head,
	// so it checks for exhaustion after charging. dead: it follows an
	// unconditional transfer of control, so it never runs and is not
	// charged.
	check, dead bool
	// loopHead: the current segment starts at a loop head, whose check
	// also syncs the global.
	loopHead bool
}

func (m *module) rewriteCode(s section, c *Costs, g addedGlobals, o options) ([]byte, error) {
	r := reader{b: s.body, off: s.off}
	n, err := r.u32()
	if err != nil {
		return nil, malformed(s.off, "code section: count: %v", err)
	}
	out := make([]byte, 0, len(s.body)+len(s.body)/4+16)
	out = appendU32(out, n)
	rw := &rewriter{c: c, perOp: o.perOp, g: appendU32(nil, g.fuel), d: appendU32(nil, g.depth), budget: ControlBudget(o.size),
		tableCap: MaxModuleTableSize / uint64(max(m.tables, 1))}
	if g.probe {
		rw.probe = appendU32(nil, g.depth+1)
	}
	for i := range int(n) {
		at := r.at()
		size, err := r.u32()
		if err != nil {
			return nil, malformed(at, "code entry %d: size: %v", i, err)
		}
		bodyOff := r.at()
		body, err := r.bytes(int(size))
		if err != nil {
			return nil, malformed(at, "code entry %d: size %d runs past the section", i, size)
		}
		fn := m.importedFuncs + i
		f, err := rw.function(body, bodyOff, fn, m.params[m.funcTypes[i]])
		if err != nil {
			return nil, err
		}
		if rw.squares += rw.controls * rw.controls; rw.squares > rw.budget {
			return nil, &Error{Func: fn, Offset: at, Kind: ErrLimit, What: fmt.Sprintf(
				"%d control operators: the module's sum of their squares reaches %d, over its budget of %d",
				rw.controls, rw.squares, rw.budget)}
		}
		out = appendU32(out, uint32(len(f)))
		out = append(out, f...)
	}
	if !r.eof() {
		return nil, malformed(r.at(), "code section: %d bytes after the last body", len(r.b)-r.pos)
	}
	return out, nil
}

func (rw *rewriter) errorf(kind error, at int, format string, args ...any) *Error {
	return &Error{Func: rw.fn, Offset: at, What: fmt.Sprintf(format, args...), Kind: kind}
}

// function returns the rewritten body (locals and code) of function fn,
// which has params parameters; off is the module offset of body[0].
func (rw *rewriter) function(body []byte, off, fn, params int) ([]byte, error) {
	rw.fn, rw.controls = fn, 0
	rw.code, rw.seg, rw.cost, rw.check, rw.dead, rw.loopHead = rw.code[:0], rw.seg[:0], 0, true, false, false
	r := &reader{b: body, off: off}

	// Locals: the scratch and fuel locals are appended after them, so no
	// index moves.
	groups, err := r.u32()
	if err != nil {
		return nil, rw.errorf(ErrMalformed, r.at(), "locals: %v", err)
	}
	locals := uint64(params)
	for range groups {
		at := r.at()
		n, err := r.u32()
		if err != nil {
			return nil, rw.errorf(ErrMalformed, at, "locals: %v", err)
		}
		at = r.at()
		t, err := r.byte()
		if err != nil {
			return nil, rw.errorf(ErrMalformed, at, "locals: %v", err)
		}
		if e := checkValType(t, at); e != nil {
			e.Func = fn
			return nil, e
		}
		locals += uint64(n)
	}
	localsEnd := r.pos
	if locals+5 >= math.MaxUint32 {
		return nil, rw.errorf(ErrUnsupported, off, "%d locals leave no room for the fuel scratch locals", locals)
	}
	rw.scratch = appendU32(rw.scratch[:0], uint32(locals))
	rw.scratchF32 = appendU32(rw.scratchF32[:0], uint32(locals+1))
	rw.scratchF64 = appendU32(rw.scratchF64[:0], uint32(locals+2))
	rw.local = appendU32(rw.local[:0], uint32(locals+3))
	rw.depthLocal = appendU32(rw.depthLocal[:0], uint32(locals+4))

	rw.weight = frameWeight(locals, len(body))
	rw.code = rw.appendEnter(rw.code)
	rw.code = rw.appendReload(rw.code)

	if err := rw.instructions(r); err != nil {
		return nil, err
	}

	f := make([]byte, 0, len(body)+len(rw.code)-r.pos+16)
	if groups > math.MaxUint32-5 {
		return nil, rw.errorf(ErrUnsupported, off, "too many local declarations")
	}
	f = appendU32(f, groups+5)
	lr := reader{b: body}
	_, _ = lr.u32()
	f = append(f, body[lr.pos:localsEnd]...)
	f = append(f, 0x01, valI32, 0x01, valF32, 0x01, valF64, 0x01, valI64, 0x01, valI32)
	return append(f, rw.code...), nil
}

// frameWeight is the weight of a function's frame: FrameBase, plus its
// parameters and locals (locals), plus ⌈size/FrameBytesPerSlot⌉ for a body
// of size bytes, capped at MaxDepth+1.
func frameWeight(locals uint64, size int) uint32 {
	w := FrameBase + locals + (uint64(size)+FrameBytesPerSlot-1)/FrameBytesPerSlot
	return uint32(min(w, MaxDepth+1))
}

// appendEnter appends the function's entry into the call depth, which is
// not charged: depth += weight; if depth > MaxDepth { unreachable }. The
// comparison is unsigned, and depth never wraps: it is at most MaxDepth
// before the addition and a weight at most MaxDepth+1.
func (rw *rewriter) appendEnter(b []byte) []byte {
	b = append(b, opGlobalGet)
	b = append(b, rw.d...)
	b = append(b, opI32Const)
	b = appendS64(b, int64(rw.weight))
	b = append(b, opI32Add, opLocalTee)
	b = append(b, rw.depthLocal...)
	b = append(b, opGlobalSet)
	b = append(b, rw.d...)
	if rw.probe != nil { // probe = max(probe, depth)
		b = append(b, opGlobalGet)
		b = append(b, rw.d...)
		b = append(b, opGlobalGet)
		b = append(b, rw.probe...)
		b = append(b, opI32GtU, opIf, 0x40, opGlobalGet)
		b = append(b, rw.d...)
		b = append(b, opGlobalSet)
		b = append(b, rw.probe...)
		b = append(b, opEnd)
	}
	b = append(b, opLocalGet)
	b = append(b, rw.depthLocal...)
	b = append(b, opI32Const)
	b = appendS64(b, MaxDepth)
	return append(b, opI32GtU, opIf, 0x40, opUnreachable, opEnd)
}

// appendGrowCap appends, before table.grow on table t (operands: the
// initial reference, then the number of elements n), uncharged code that
// replaces n by 0xffffffff, which no table can grow by (table.grow then
// returns -1, as for any refused growth), when the table would pass
// tableCap elements. A table's elements live in the host's memory, outside
// the service's memory limit, and cost 1 fuel each: without the cap one
// request's fuel grew a table without a maximum by billions of elements
// (8 bytes each). The charge for n stays as asked.
func (rw *rewriter) appendGrowCap(b []byte, t uint32) []byte {
	b = append(b, opLocalSet)
	b = append(b, rw.scratch...)
	b = append(b, opI32Const, 0x7f) // -1: 0xffffffff
	b = append(b, opLocalGet)
	b = append(b, rw.scratch...)
	b = append(b, opLocalGet)
	b = append(b, rw.scratch...)
	b = append(b, opI64ExtendI32U, prefixMisc, miscTableSize)
	b = appendU32(b, t)
	b = append(b, opI64ExtendI32U, opI64Add, opI64Const)
	b = appendS64(b, int64(rw.tableCap))
	return append(b, opI64GtU, opSelect)
}

// appendRestoreDepth appends, after a call, depth's restoration from the
// depth local, which holds this frame's depth from entry on: the callee's
// entry added its weight, and neither it nor its own callees gave it back.
// While the function's own code runs, the global equals the local, so a
// call needs nothing saved before it.
func (rw *rewriter) appendRestoreDepth(b []byte) []byte {
	b = append(b, opLocalGet)
	b = append(b, rw.depthLocal...)
	b = append(b, opGlobalSet)
	return append(b, rw.d...)
}

// appendLeaveDepth appends, before a tail call, depth = this frame's depth
// − weight: the callee's frame replaces this one, and the caller's
// restoration after its own call will not run before the callee enters.
func (rw *rewriter) appendLeaveDepth(b []byte) []byte {
	b = append(b, opLocalGet)
	b = append(b, rw.depthLocal...)
	b = append(b, opI32Const)
	b = appendS64(b, int64(rw.weight))
	b = append(b, opI32Sub, opGlobalSet)
	return append(b, rw.d...)
}

// flush ends the current segment: its charge (unless it is dead or free),
// the exhaustion check if it starts at an entry or loop head, then its
// instructions.
func (rw *rewriter) flush() {
	if !rw.dead && rw.cost > 0 {
		rw.code = rw.charge(rw.code, rw.cost)
	}
	if rw.check {
		rw.code = rw.appendCheck(rw.code, rw.loopHead)
	}
	rw.code = append(rw.code, rw.seg...)
	rw.seg, rw.cost, rw.check, rw.dead, rw.loopHead = rw.seg[:0], 0, false, false, false
}

// charge appends fuel -= cost, on the function's fuel local.
func (rw *rewriter) charge(b []byte, cost uint64) []byte {
	b = append(b, opLocalGet)
	b = append(b, rw.local...)
	b = append(b, opI64Const)
	b = appendS64(b, int64(cost))
	b = append(b, opI64Sub, opLocalSet)
	return append(b, rw.local...)
}

// appendSync appends the fuel local's store into the fuel global, which
// callees, host functions and the host read: global = local.
func (rw *rewriter) appendSync(b []byte) []byte {
	b = append(b, opLocalGet)
	b = append(b, rw.local...)
	b = append(b, opGlobalSet)
	return append(b, rw.g...)
}

// appendReload appends the fuel global's load into the fuel local, at
// function entry and after a call (the callee and host functions charged
// the global): local = global.
func (rw *rewriter) appendReload(b []byte) []byte {
	b = append(b, opGlobalGet)
	b = append(b, rw.g...)
	b = append(b, opLocalSet)
	return append(b, rw.local...)
}

// appendCheck appends: if fuel < 0 { global = fuel; unreachable }. With
// sync, the global is brought up to date first whether or not the check
// fails (loop heads and dynamic charges do, so that a trap or a
// cancellation never leaves the global behind by more than the code run
// since the last loop head, call or entry: see "Fuel in a local").
func (rw *rewriter) appendCheck(b []byte, sync bool) []byte {
	if sync {
		b = rw.appendSync(b)
	}
	b = append(b, opLocalGet)
	b = append(b, rw.local...)
	b = append(b, opI64Const, 0x00, opI64LtS, opIf, 0x40)
	if !sync {
		b = rw.appendSync(b)
	}
	return append(b, opUnreachable, opEnd)
}

// appendDynamic appends the charge for the i32 operand on top of the
// stack, which it leaves there: fuel -= f(n) × cost, then the check.
func (rw *rewriter) appendDynamic(b []byte, d dynamic, cost uint32) []byte {
	if cost == 0 {
		return b
	}
	b = append(b, opLocalTee)
	b = append(b, rw.scratch...)
	b = append(b, opLocalGet)
	b = append(b, rw.local...)
	b = append(b, opLocalGet)
	b = append(b, rw.scratch...)
	b = append(b, opI64ExtendI32U)
	if d == dynPer64 {
		b = append(b, opI64Const, 63, opI64Add, opI64Const, 6, opI64ShrU)
	}
	if cost != 1 {
		b = append(b, opI64Const)
		b = appendS64(b, int64(cost))
		b = append(b, opI64Mul)
	}
	b = append(b, opI64Sub, opLocalSet)
	b = append(b, rw.local...)
	return rw.appendCheck(b, true)
}

// appendCanon appends, after an operator that left a float of type t on
// the stack, code that replaces a NaN by the canonical NaN (sign 0, quiet
// bit only, no payload): x == x ? x : NaN, with select. The sign and
// payload of a NaN an operator produces differ between CPU architectures
// (amd64 gives sign 1, arm64 sign 0, and they propagate payloads
// differently), and wazero does not canonicalise them; a guest that reads
// the bits could take another path on an auditor's machine than on the
// node. The code is not charged: fuel is what it was without it.
func (rw *rewriter) appendCanon(b []byte, t byte) []byte {
	local, eq := rw.scratchF64, byte(opF64Eq)
	if t == valF32 {
		local, eq = rw.scratchF32, opF32Eq
	}
	b = append(b, opLocalTee)
	b = append(b, local...)
	if t == valF32 {
		b = append(b, opF32Const, 0x00, 0x00, 0xc0, 0x7f) // 0x7fc00000
	} else {
		b = append(b, opF64Const, 0, 0, 0, 0, 0, 0, 0xf8, 0x7f) // 0x7ff8000000000000
	}
	b = append(b, opLocalGet)
	b = append(b, local...)
	b = append(b, opLocalGet)
	b = append(b, local...)
	return append(b, eq, opSelect)
}

// inst is one decoded instruction.
type inst struct {
	op    byte
	start int    // offset of the opcode in the body
	end   int    // offset after its immediates
	cost  uint64 // static cost
	// ends: the instruction ends its segment; dead: what follows it does
	// not run (until the next end or else).
	ends, dead bool
	depth      int // +1 for block, loop and if, -1 for end
	dyn        dynamic
	dynCost    uint32
	// canon is valF32 or valF64 for an operator that may produce a NaN,
	// whose bits the instrumented code makes canonical.
	canon byte
	// grow is set on table.grow, whose table is table.
	grow  bool
	table uint32
}

// decode decodes the instruction at r. It returns an *Error (with Func
// unset) for an operator it refuses or cannot decode.
func decode(r *reader, c *Costs) (inst, *Error) {
	in := inst{start: r.pos}
	at := r.at()
	op, err := r.byte()
	if err != nil {
		return in, &Error{Offset: at, What: "function body ends without end", Kind: ErrMalformed}
	}
	in.op, in.cost = op, uint64(c.Op[op])
	switch {
	case op == opUnreachable || op == opReturn:
		in.ends, in.dead = true, true
	case op == opNop || op == opDrop || op == opSelect || op == opRefIsNull:
	case op == opBlock:
		in.depth = 1
		err = r.skipLEB(33)
	case op == opLoop || op == opIf:
		in.depth, in.ends = 1, true
		err = r.skipLEB(33)
	case op == opElse:
		in.ends = true
	case op == opEnd:
		in.depth, in.ends = -1, true
	case op == opBr:
		_, err = r.u32()
		in.ends, in.dead = true, true
	case op == opBrIf:
		_, err = r.u32()
		in.ends = true
	case op == opBrTable:
		var n uint32
		if n, err = r.u32(); err == nil {
			for i := uint32(0); i <= n && err == nil; i++ {
				_, err = r.u32()
			}
		}
		in.ends, in.dead = true, true
	case op == opCall:
		_, err = r.u32()
		in.ends = true
	case op == opCallIndirect:
		if _, err = r.u32(); err == nil {
			_, err = r.u32()
		}
		in.ends = true
	case op == opReturnCall:
		_, err = r.u32()
		in.ends, in.dead = true, true
	case op == opReturnCallIndirect:
		if _, err = r.u32(); err == nil {
			_, err = r.u32()
		}
		in.ends, in.dead = true, true
	case op == opSelectTyped:
		var n uint32
		if n, err = r.u32(); err == nil {
			_, err = r.bytes(int(n))
		}
	case op >= opLocalGet && op <= opTableSet:
		_, err = r.u32()
	case op >= opI32Load && op <= opI64Store32:
		var align uint32
		if align, err = r.u32(); err == nil {
			if align&0x40 != 0 { // multi-memory: a memory index follows
				_, err = r.u32()
			}
			if err == nil {
				_, err = r.uleb(64)
			}
		}
	case op == opMemorySize:
		_, err = r.u32()
	case op == opMemoryGrow:
		_, err = r.u32()
		in.dyn, in.dynCost = dynPerUnit, c.MemoryGrowPerPage
	case op == opI32Const:
		err = r.skipLEB(32)
	case op == opI64Const:
		err = r.skipLEB(64)
	case op == opF32Const:
		_, err = r.bytes(4)
	case op == opF64Const:
		_, err = r.bytes(8)
	case op >= opF32Ceil && op <= opF32Max || op == opF32DemoteF64:
		in.canon = valF32
	case op >= opF64Ceil && op <= opF64Max || op == opF64PromoteF32:
		in.canon = valF64
	case op >= 0x45 && op <= opI64Extend32S: // numeric, sign extension
	case op == opRefNull:
		err = r.skipLEB(33)
	case op == opRefFunc:
		_, err = r.u32()
	case op == prefixMisc:
		var sub uint32
		if sub, err = r.u32(); err != nil {
			break
		}
		if sub >= MiscOps {
			return in, &Error{Offset: at, What: fmt.Sprintf("operator 0xfc %d is not known to the instrumenter", sub), Kind: ErrUnsupported}
		}
		in.cost = uint64(c.Misc[sub])
		switch sub {
		case 0, 1, 2, 3, 4, 5, 6, 7: // saturating truncations
		case miscMemoryInit, miscMemoryCopy, miscTableInit, miscTableCopy:
			if _, err = r.u32(); err == nil {
				_, err = r.u32()
			}
		case miscTableGrow:
			in.grow = true
			in.table, err = r.u32()
		default: // data.drop, memory.fill, elem.drop, table.size, table.fill
			_, err = r.u32()
		}
		switch sub {
		case miscMemoryInit, miscMemoryCopy, miscMemoryFill:
			in.dyn, in.dynCost = dynPer64, c.MemoryBulkPer64Bytes
		case miscTableInit, miscTableCopy, miscTableFill:
			in.dyn, in.dynCost = dynPerUnit, c.TableBulkPerElement
		case miscTableGrow:
			in.dyn, in.dynCost = dynPerUnit, c.TableGrowPerElement
		}
	case op == prefixSIMD:
		return in, &Error{Offset: at, What: "SIMD instruction (prefix 0xfd): SIMD is not metered", Kind: ErrUnsupported}
	case op == prefixThreads:
		return in, &Error{Offset: at, What: "atomic instruction (prefix 0xfe, threads): threads are not metered", Kind: ErrUnsupported}
	default:
		return in, &Error{Offset: at, What: fmt.Sprintf("opcode 0x%02x %s", op, opcodeFamily(op)), Kind: ErrUnsupported}
	}
	if err != nil {
		return in, &Error{Offset: at, What: fmt.Sprintf("opcode 0x%02x: %v", op, err), Kind: ErrMalformed}
	}
	in.end = r.pos
	return in, nil
}

// instructions rewrites the code of a body up to and including its final
// end.
func (rw *rewriter) instructions(r *reader) error {
	depth := 0
	for {
		in, e := decode(r, rw.c)
		if e != nil {
			e.Func = rw.fn
			return e
		}
		depth += in.depth
		switch in.op {
		case opBlock, opLoop, opIf, opElse, opBrIf, opBrTable:
			rw.controls++
		}
		if rw.perOp && len(rw.seg) > 0 {
			rw.flush() // the naive scheme: every operator its own segment
		}
		rw.cost += in.cost
		if rw.cost > maxSegmentCost {
			return rw.errorf(ErrUnsupported, r.off+in.start, "segment costs more than %d", uint64(maxSegmentCost))
		}
		if in.dyn != dynNone {
			rw.seg = rw.appendDynamic(rw.seg, in.dyn, in.dynCost)
		}
		switch in.op {
		case opCall, opCallIndirect:
			rw.seg = rw.appendSync(rw.seg)
		case opReturnCall, opReturnCallIndirect:
			rw.seg = rw.appendSync(rw.seg)
			rw.seg = rw.appendLeaveDepth(rw.seg)
		case opReturn, opUnreachable:
			rw.seg = rw.appendSync(rw.seg)
		case opBr, opBrIf, opBrTable:
			if leavesFunction(r.b[in.start:in.end], depth) {
				rw.seg = rw.appendSync(rw.seg)
			}
		case opEnd:
			if depth < 0 { // the function's final end: it returns
				rw.seg = rw.appendSync(rw.seg)
			}
		}
		if in.grow {
			rw.seg = rw.appendGrowCap(rw.seg, in.table)
		}
		rw.seg = append(rw.seg, r.b[in.start:in.end]...)
		if in.op == opCall || in.op == opCallIndirect {
			rw.seg = rw.appendRestoreDepth(rw.seg)
			rw.seg = rw.appendReload(rw.seg)
		}
		if in.canon != 0 {
			rw.seg = rw.appendCanon(rw.seg, in.canon)
		}
		if depth < 0 { // the function's final end
			rw.flush()
			if !r.eof() {
				return rw.errorf(ErrMalformed, r.at(), "%d bytes after the function's final end", len(r.b)-r.pos)
			}
			return nil
		}
		if in.ends {
			rw.flush()
			rw.dead = in.dead
			rw.check = in.op == opLoop
			rw.loopHead = rw.check
		}
	}
}

// leavesFunction reports whether the branch instruction b (br, br_if or
// br_table with its immediates), at depth blocks inside the function body,
// may target the body's own label: that branch returns from the function.
func leavesFunction(b []byte, depth int) bool {
	r := reader{b: b, pos: 1}
	n := uint32(0)
	if b[0] == opBrTable {
		var err error
		if n, err = r.u32(); err != nil {
			return true
		}
	}
	for range n + 1 {
		l, err := r.u32()
		if err != nil || int64(l) == int64(depth) {
			return true
		}
	}
	return false
}

// opcodeFamily says what an opcode the instrumenter does not know belongs
// to, for error messages.
func opcodeFamily(op byte) string {
	switch op {
	case 0x06, 0x07, 0x08, 0x09, 0x0a, 0x18, 0x19, 0x1f:
		return "(exception handling) is not metered"
	case 0x14, 0x15, 0xd3, 0xd4, 0xd5, 0xd6:
		return "(typed function references) is not metered"
	case 0xfb:
		return "(garbage collection) is not metered"
	}
	return "is not a known operator"
}
