package fuel

// A tiny assembler for test modules: sections are built from raw bytes and
// function bodies from opcode bytes, with helpers for immediates.

// More opcodes, for tests.
const (
	opI32Eqz      = 0x45
	opI32Eq       = 0x46
	opI32LtU      = 0x49
	opI32GtS      = 0x4a
	opI32Mul      = 0x6c
	opI32DivU     = 0x6e
	opI32RemU     = 0x70
	opI32And      = 0x71
	opI32Xor      = 0x73
	opI32Shl      = 0x74
	opI32Load8U   = 0x2d
	opI32Store    = 0x36
	opI64Extend8S = 0xc2
	opI32Extend8S = 0xc0
	opI32WrapI64  = 0xa7
	opF64Sqrt     = 0x9f
	opF64Add      = 0xa0
	opI32TruncSat = 0x00 // 0xfc 0: i32.trunc_sat_f32_s
	opTableSize   = 16
	opDataDrop    = 9
)

type asmFunc struct {
	typ    uint32
	locals []byte // one valtype per local
	body   []byte // instructions, final end included
}

type asmExport struct {
	name string
	kind byte
	idx  uint32
}

type asm struct {
	types      [][]byte
	imports    [][]byte
	nImpFuncs  uint32
	nGlobals   uint32
	funcs      []asmFunc
	tables     [][]byte
	memories   [][]byte
	tags       [][]byte // exception handling's tag section
	globals    [][]byte
	exports    []asmExport
	start      *uint32
	elems      [][]byte
	dataCount  bool
	data       [][]byte
	customs    [][2]string // name, payload: placed first
	endCustoms [][2]string
}

// typ adds a function type and returns its index.
func (a *asm) typ(params, results []byte) uint32 {
	t := []byte{0x60}
	t = appendU32(t, uint32(len(params)))
	t = append(t, params...)
	t = appendU32(t, uint32(len(results)))
	t = append(t, results...)
	a.types = append(a.types, t)
	return uint32(len(a.types) - 1)
}

func str(b []byte, s string) []byte {
	b = appendU32(b, uint32(len(s)))
	return append(b, s...)
}

func (a *asm) importFunc(module, name string, t uint32) uint32 {
	if len(a.funcs) > 0 {
		panic("imports first")
	}
	b := str(str(nil, module), name)
	b = append(b, 0x00)
	a.imports = append(a.imports, appendU32(b, t))
	a.nImpFuncs++
	return a.nImpFuncs - 1
}

func (a *asm) importGlobal(module, name string, vt byte, mut bool) uint32 {
	if len(a.globals) > 0 {
		panic("imports first")
	}
	b := str(str(nil, module), name)
	b = append(b, 0x03, vt, b2(mut))
	a.imports = append(a.imports, b)
	a.nGlobals++
	return a.nGlobals - 1
}

func (a *asm) importRaw(module, name string, desc ...byte) {
	a.imports = append(a.imports, append(str(str(nil, module), name), desc...))
}

func b2(v bool) byte {
	if v {
		return 1
	}
	return 0
}

// fn adds a function and returns its index.
func (a *asm) fn(t uint32, locals []byte, body ...[]byte) uint32 {
	a.funcs = append(a.funcs, asmFunc{typ: t, locals: locals, body: cat(body...)})
	return a.nImpFuncs + uint32(len(a.funcs)) - 1
}

// global adds a global with init expression init (end included).
func (a *asm) global(vt byte, mut bool, init ...[]byte) uint32 {
	a.globals = append(a.globals, append([]byte{vt, b2(mut)}, cat(init...)...))
	a.nGlobals++
	return a.nGlobals - 1
}

func (a *asm) export(name string, kind byte, idx uint32) {
	a.exports = append(a.exports, asmExport{name, kind, idx})
}

func (a *asm) exportFunc(name string, idx uint32) { a.export(name, 0x00, idx) }

func (a *asm) memory(min, max uint32) {
	a.memories = append(a.memories, limits(min, max))
}

func (a *asm) table(min, max uint32) {
	a.tables = append(a.tables, append([]byte{valFuncref}, limits(min, max)...))
}

func limits(min, max uint32) []byte {
	if max == 0 {
		return appendU32([]byte{0x00}, min)
	}
	return appendU32(appendU32([]byte{0x01}, min), max)
}

// elem adds an active element segment at offset 0 of table 0.
func (a *asm) elem(funcs ...uint32) {
	b := []byte{0x00, opI32Const, 0x00, opEnd}
	b = appendU32(b, uint32(len(funcs)))
	for _, f := range funcs {
		b = appendU32(b, f)
	}
	a.elems = append(a.elems, b)
}

// passiveData adds a passive data segment.
func (a *asm) passiveData(s string) {
	a.data = append(a.data, str([]byte{0x01}, s))
	a.dataCount = true
}

// activeData adds an active data segment at offset off of memory 0.
func (a *asm) activeData(off int32, s string) {
	b := append([]byte{0x00}, i32c(off)...)
	a.data = append(a.data, str(append(b, opEnd), s))
}

func vec(items [][]byte) []byte {
	b := appendU32(nil, uint32(len(items)))
	for _, it := range items {
		b = append(b, it...)
	}
	return b
}

func (a *asm) bytes() []byte {
	out := append([]byte(nil), wasmHeader...)
	sec := func(id byte, body []byte) { out = appendSection(out, id, body) }
	for _, c := range a.customs {
		sec(secCustom, append(str(nil, c[0]), c[1]...))
	}
	if len(a.types) > 0 {
		sec(secType, vec(a.types))
	}
	if len(a.imports) > 0 {
		sec(secImport, vec(a.imports))
	}
	if len(a.funcs) > 0 {
		var fs [][]byte
		for _, f := range a.funcs {
			fs = append(fs, appendU32(nil, f.typ))
		}
		sec(secFunction, vec(fs))
	}
	if len(a.tables) > 0 {
		sec(secTable, vec(a.tables))
	}
	if len(a.memories) > 0 {
		sec(secMemory, vec(a.memories))
	}
	if len(a.tags) > 0 {
		sec(secTag, vec(a.tags))
	}
	if len(a.globals) > 0 {
		sec(secGlobal, vec(a.globals))
	}
	if len(a.exports) > 0 {
		var es [][]byte
		for _, e := range a.exports {
			es = append(es, appendU32(append(str(nil, e.name), e.kind), e.idx))
		}
		sec(secExport, vec(es))
	}
	if a.start != nil {
		sec(secStart, appendU32(nil, *a.start))
	}
	if len(a.elems) > 0 {
		sec(secElement, vec(a.elems))
	}
	if a.dataCount {
		sec(secDataCount, appendU32(nil, uint32(len(a.data))))
	}
	if len(a.funcs) > 0 {
		var cs [][]byte
		for _, f := range a.funcs {
			var b []byte
			b = appendU32(b, uint32(len(f.locals)))
			for _, l := range f.locals {
				b = append(b, 0x01, l)
			}
			b = append(b, f.body...)
			cs = append(cs, append(appendU32(nil, uint32(len(b))), b...))
		}
		sec(secCode, vec(cs))
	}
	if len(a.data) > 0 {
		sec(secData, vec(a.data))
	}
	for _, c := range a.endCustoms {
		sec(secCustom, append(str(nil, c[0]), c[1]...))
	}
	return out
}

// Instruction helpers.

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func op(b ...byte) []byte    { return b }
func i32c(v int32) []byte    { return appendS64([]byte{opI32Const}, int64(v)) }
func i64c(v int64) []byte    { return appendS64([]byte{opI64Const}, v) }
func lget(i uint32) []byte   { return appendU32([]byte{opLocalGet}, i) }
func lset(i uint32) []byte   { return appendU32([]byte{opLocalSet}, i) }
func ltee(i uint32) []byte   { return appendU32([]byte{opLocalTee}, i) }
func gget(i uint32) []byte   { return appendU32([]byte{opGlobalGet}, i) }
func gset(i uint32) []byte   { return appendU32([]byte{opGlobalSet}, i) }
func br(l uint32) []byte     { return appendU32([]byte{opBr}, l) }
func brIf(l uint32) []byte   { return appendU32([]byte{opBrIf}, l) }
func call(f uint32) []byte   { return appendU32([]byte{opCall}, f) }
func block(bt byte) []byte   { return []byte{opBlock, bt} }
func loop(bt byte) []byte    { return []byte{opLoop, bt} }
func ifb(bt byte) []byte     { return []byte{opIf, bt} }
func blockT(t uint32) []byte { return appendS64([]byte{opBlock}, int64(t)) }
func misc(sub uint32) []byte { return appendU32([]byte{prefixMisc}, sub) }
func memarg(o byte) []byte   { return []byte{o, 0x00, 0x00} } // align 0, offset 0
func callIndirect(t uint32) []byte {
	return append(appendU32([]byte{opCallIndirect}, t), 0x00)
}

func brTable(def uint32, labels ...uint32) []byte {
	b := appendU32([]byte{opBrTable}, uint32(len(labels)))
	for _, l := range labels {
		b = appendU32(b, l)
	}
	return appendU32(b, def)
}

var (
	end       = []byte{opEnd}
	elseOp    = []byte{opElse}
	ret       = []byte{opReturn}
	drop      = []byte{opDrop}
	nop       = []byte{opNop}
	trap      = []byte{opUnreachable}
	empty     = byte(0x40)
	i32       = byte(valI32)
	memCopy   = cat(misc(miscMemoryCopy), []byte{0, 0})
	memFill   = cat(misc(miscMemoryFill), []byte{0})
	memGrow   = []byte{opMemoryGrow, 0}
	memSize   = []byte{opMemorySize, 0}
	tableGrow = cat(misc(miscTableGrow), []byte{0})
	tableFill = cat(misc(miscTableFill), []byte{0})
	tableSize = cat(misc(opTableSize), []byte{0})
)

func memInit(seg uint32) []byte { return append(appendU32(misc(miscMemoryInit), seg), 0) }
