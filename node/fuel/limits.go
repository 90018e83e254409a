package fuel

import (
	"errors"
	"fmt"
)

// The limits a module must keep to, checked by CheckLimits. They are the
// WebAssembly JavaScript API's implementation limits
// (webassembly.github.io/spec/js-api/#limits), which every browser engine
// and wasmparser enforce, so a module that loads in a browser passes.
const (
	MaxTypes           = 1_000_000
	MaxFunctions       = 1_000_000 // imported and defined
	MaxImports         = 1_000_000
	MaxExports         = 1_000_000
	MaxGlobals         = 1_000_000
	MaxDataSegments    = 100_000
	MaxElementSegments = 10_000_000
	MaxTables          = 100_000
	MaxParams          = 1_000 // of a function type
	MaxResults         = 1_000 // of a function type
	MaxLocals          = 50_000
	MaxFunctionSize    = 7_654_321  // bytes of a function body, locals included
	MaxTableSize       = 10_000_000 // initial or maximum elements of a table
)

// Limits of our own, beyond the JS API's: what a module declares cheaply
// but costs every node memory and time by the number declared.
const (
	// MaxModuleLocals bounds the parameters and locals of all functions
	// defined together. A body of 6 bytes may declare 50,000 locals,
	// which wazero's interpreter
	// validates at ~64 bytes and ~0.3 µs each and wazevo at ~8 bytes each,
	// so 1,000 such bodies (8 KiB) cost 3 GiB and 14 s of CPU. A Go guest
	// of 5 MB declares ~14,000. wazevo compiles parameters as locals:
	// 100,000 functions of a type with 1,000 parameters (400 KiB) took it
	// 6 s.
	MaxModuleLocals = 1_000_000
	// MaxModuleTableSize bounds the initial elements of all tables
	// together: wazero allocates them, 8 bytes each, in every instance at
	// instantiation, outside the memory limit (a Go guest's table has
	// ~7,000).
	MaxModuleTableSize = 10_000_000
	// MaxTypeValues bounds the parameters and results of all function types
	// together. wazero builds and compares a key for each distinct type
	// by its values: 1,000 distinct types of 1,000 parameters (a 1 MiB
	// type section, no code) took wazevo 1–2 s to compile, and a module at
	// the size limit tens of seconds. A Go guest of 5 MB has 15 types with
	// 51 values in all.
	MaxTypeValues = 100_000
)

// ErrLimit is the Kind of an *Error from CheckLimits when a module declares
// more of something than the limits allow, or more than its own bytes
// could hold.
var ErrLimit = errors.New("module exceeds a limit")

func overLimit(off int, format string, args ...any) *Error {
	return &Error{Func: -1, Offset: off, What: fmt.Sprintf(format, args...), Kind: ErrLimit}
}

// CheckLimits checks, in one pass over wasm's bytes and without allocating
// by any number the module declares, that no count or length in it claims
// more entries or bytes than follow it, and that it keeps to the limits
// above. It is meant to run before a decoder that trusts declared counts:
// wazero's reserves memory by them (a vector, a map, a string, a function's
// locals), so a 40-byte module declaring 250 million exports made it
// reserve gigabytes and spend a minute clearing them. Errors are *Error of
// Kind ErrLimit (too many, or more than the bytes could hold) or
// ErrMalformed (a part it must read to find the counts does not decode);
// it checks nothing else, leaving validation to the decoder.
func CheckLimits(wasm []byte) error {
	if len(wasm) < len(wasmHeader) || string(wasm[:4]) != string(wasmHeader[:4]) {
		return malformed(0, "invalid magic number")
	}
	r := reader{b: wasm, pos: len(wasmHeader)}
	var funcs, globals, tableSize uint64
	// locals counts the parameters and locals of the functions defined,
	// params the parameters of each type read.
	var locals, typeValues uint64
	var params []uint32
	for !r.eof() {
		at := r.at()
		id, _ := r.byte()
		size, err := r.u32()
		if err != nil {
			return malformed(at, "section %d: size: %v", id, err)
		}
		off := r.at()
		body, err := r.bytes(int(size))
		if err != nil {
			return malformed(at, "section %d: size %d runs past the end of the module", id, size)
		}
		s := &screen{r: reader{b: body, off: off}, id: id}
		switch id {
		case secCustom:
			err = s.custom()
		case secType:
			err = s.vector("types", MaxTypes, func() error {
				at := s.r.at()
				n, values, err := s.funcType()
				params = append(params, n)
				if typeValues += uint64(values); err == nil && typeValues > MaxTypeValues {
					err = overLimit(at, "the module's function types have more than %d parameters and results in all", MaxTypeValues)
				}
				return err
			})
		case secImport:
			err = s.vector("imports", MaxImports, func() error {
				kind, err := s.importEntry()
				if err != nil {
					return err
				}
				switch kind {
				case 0x00:
					funcs++
				case 0x01:
					return s.addTable(&tableSize)
				case 0x03:
					globals++
				}
				return nil
			})
		case secFunction:
			err = s.vector("functions", MaxFunctions, func() error {
				funcs++
				at := s.r.at()
				t, err := s.r.u32()
				if err == nil && uint64(t) < uint64(len(params)) {
					err = addLocals(&locals, uint64(params[t]), at)
				}
				return err
			})
		case secTable:
			err = s.vector("tables", MaxTables, func() error {
				if err := s.table(); err != nil {
					return err
				}
				return s.addTable(&tableSize)
			})
		case secGlobal:
			var n uint32
			n, err = s.count("globals", MaxGlobals)
			globals += uint64(n)
		case secExport:
			err = s.vector("exports", MaxExports, func() error {
				if err := s.name("export name"); err != nil {
					return err
				}
				if _, err := s.r.byte(); err != nil {
					return err
				}
				_, err := s.r.u32()
				return err
			})
		case secElement:
			err = s.vector("element segments", MaxElementSegments, s.element)
		case secCode:
			err = s.vector("function bodies", MaxFunctions, func() error { return s.code(&locals) })
		case secData:
			err = s.vector("data segments", MaxDataSegments, s.data)
		}
		if err != nil {
			return asError(err, s.r.at())
		}
		switch {
		case funcs > MaxFunctions:
			return overLimit(at, "%d functions, imported and defined (at most %d)", funcs, MaxFunctions)
		case globals > MaxGlobals:
			return overLimit(at, "%d globals, imported and defined (at most %d)", globals, MaxGlobals)
		}
	}
	return nil
}

// screen reads one section for CheckLimits.
type screen struct {
	r  reader
	id byte
	// tableMin is the initial size of the last table read, and tableAt
	// where its limits are.
	tableMin uint64
	tableAt  int
}

// count reads a vector's length: at most max, and at most the bytes left
// in the section, as every entry takes at least one.
func (s *screen) count(what string, limit uint32) (uint32, error) {
	at := s.r.at()
	n, err := s.r.u32()
	if err != nil {
		return 0, malformed(at, "section %d: count of %s: %v", s.id, what, err)
	}
	if left := len(s.r.b) - s.r.pos; uint64(n) > uint64(left) {
		return 0, overLimit(at, "section %d declares %d %s in the %d bytes that follow", s.id, n, what, left)
	}
	if n > limit {
		return 0, overLimit(at, "section %d declares %d %s (at most %d)", s.id, n, what, limit)
	}
	return n, nil
}

func (s *screen) vector(what string, limit uint32, each func() error) error {
	n, err := s.count(what, limit)
	if err != nil {
		return err
	}
	for range n {
		if err := each(); err != nil {
			return err
		}
	}
	return nil
}

// length reads a byte length that must fit in the bytes left.
func (s *screen) length(what string) (int, error) {
	at := s.r.at()
	n, err := s.r.u32()
	if err != nil {
		return 0, malformed(at, "%s length: %v", what, err)
	}
	if left := len(s.r.b) - s.r.pos; uint64(n) > uint64(left) {
		return 0, overLimit(at, "%s of %d bytes in the %d bytes that follow", what, n, left)
	}
	return int(n), nil
}

func (s *screen) name(what string) error {
	n, err := s.length(what)
	if err != nil {
		return err
	}
	_, err = s.r.bytes(n)
	return err
}

func (s *screen) skip(n int) error {
	_, err := s.r.bytes(n)
	return err
}

// funcType reads a function type: 0x60, params, results. It returns the
// number of params.
func (s *screen) funcType() (params, values uint32, err error) {
	at := s.r.at()
	form, err := s.r.byte()
	if err != nil {
		return 0, 0, err
	}
	if form != 0x60 {
		return 0, 0, malformed(at, "type form 0x%02x (only function types are read)", form)
	}
	for _, p := range []struct {
		what  string
		limit uint32
	}{{"parameters", MaxParams}, {"results", MaxResults}} {
		n, err := s.count(p.what, p.limit)
		if err != nil {
			return 0, 0, err
		}
		if p.what == "parameters" {
			params = n
		}
		values += n
		for range n {
			if err := s.valType(); err != nil {
				return 0, 0, err
			}
		}
	}
	return params, values, nil
}

// addLocals adds n parameters or locals, at offset at, to *total, which
// must keep to MaxModuleLocals.
func addLocals(total *uint64, n uint64, at int) error {
	if *total += n; *total > MaxModuleLocals {
		return overLimit(at, "the module's functions have more than %d parameters and locals in all", MaxModuleLocals)
	}
	return nil
}

// valType reads a value type: one byte, or a reference type prefix and
// its heap type.
func (s *screen) valType() error {
	b, err := s.r.byte()
	if err != nil {
		return err
	}
	if b == 0x63 || b == 0x64 { // (ref null ht), (ref ht)
		err = s.r.skipLEB(33)
	}
	return err
}

// importEntry reads an import and returns its kind.
func (s *screen) importEntry() (byte, error) {
	if err := s.name("import module name"); err != nil {
		return 0, err
	}
	if err := s.name("import name"); err != nil {
		return 0, err
	}
	at := s.r.at()
	kind, err := s.r.byte()
	if err != nil {
		return 0, err
	}
	switch kind {
	case 0x00: // function: type index
		_, err = s.r.u32()
	case 0x01: // table: reftype, limits
		err = s.table()
	case 0x02: // memory
		_, err = s.limits()
	case 0x03: // global: valtype, mutability
		if err = s.valType(); err == nil {
			_, err = s.r.byte()
		}
	case 0x04: // tag: attribute, type index
		if _, err = s.r.byte(); err == nil {
			_, err = s.r.u32()
		}
	default:
		return kind, malformed(at, "import kind 0x%02x", kind)
	}
	return kind, err
}

// addTable adds the size of the table just read to *total, which must
// keep to MaxModuleTableSize.
func (s *screen) addTable(total *uint64) error {
	if *total += s.tableMin; *total > MaxModuleTableSize {
		return overLimit(s.tableAt, "tables of at least %d elements in all (at most %d)", *total, MaxModuleTableSize)
	}
	return nil
}

// table reads a table type, reftype and limits, keeping to MaxTableSize,
// and sets tableMin.
func (s *screen) table() error {
	s.tableMin = 0
	if err := s.valType(); err != nil {
		return err
	}
	at := s.r.at()
	s.tableAt = at
	lim, err := s.limits()
	if err != nil {
		return err
	}
	switch {
	case lim.min > MaxTableSize:
		return overLimit(at, "a table of at least %d elements (at most %d)", lim.min, MaxTableSize)
	case lim.hasMax && lim.max > MaxTableSize:
		return overLimit(at, "a table of at most %d elements (at most %d)", lim.max, MaxTableSize)
	}
	s.tableMin = lim.min
	return nil
}

// limitsType is a table or memory type's limits.
type limitsType struct {
	min, max uint64
	hasMax   bool
}

func (s *screen) limits() (limitsType, error) {
	var l limitsType
	flags, err := s.r.byte()
	if err != nil {
		return l, err
	}
	bits := uint(32)
	if flags&0x04 != 0 {
		bits = 64
	}
	if l.min, err = s.r.uleb(bits); err != nil {
		return l, err
	}
	if flags&0x01 != 0 {
		l.hasMax = true
		l.max, err = s.r.uleb(bits)
	}
	return l, err
}

// constExpr reads a constant expression up to its end.
func (s *screen) constExpr() error {
	for {
		at := s.r.at()
		op, err := s.r.byte()
		if err != nil {
			return err
		}
		switch op {
		case opEnd:
			return nil
		case 0x41: // i32.const
			err = s.r.skipLEB(32)
		case 0x42: // i64.const
			err = s.r.skipLEB(64)
		case 0x43: // f32.const
			err = s.skip(4)
		case 0x44: // f64.const
			err = s.skip(8)
		case 0x23, 0xd2: // global.get, ref.func
			_, err = s.r.u32()
		case 0xd0: // ref.null heaptype
			err = s.r.skipLEB(33)
		case 0x6a, 0x6b, 0x6c, 0x7c, 0x7d, 0x7e: // extended-const arithmetic
		case 0xfd: // v128.const
			if _, err = s.r.u32(); err == nil {
				err = s.skip(16)
			}
		default:
			return malformed(at, "opcode 0x%02x in a constant expression", op)
		}
		if err != nil {
			return err
		}
	}
}

// element reads an element segment (binary format §5.5.12, flags 0–7).
func (s *screen) element() error {
	at := s.r.at()
	flags, err := s.r.u32()
	if err != nil {
		return err
	}
	if flags > 7 {
		return malformed(at, "element segment flags %d", flags)
	}
	if flags&0x02 != 0 && flags&0x01 == 0 { // active with a table index
		if _, err := s.r.u32(); err != nil {
			return err
		}
	}
	if flags&0x01 == 0 { // active: offset
		if err := s.constExpr(); err != nil {
			return err
		}
	}
	if flags&0x03 != 0 { // elemkind or reftype
		if err := s.valType(); err != nil {
			return err
		}
	}
	if flags&0x04 == 0 {
		return s.vector("function indices", MaxElementSegments, func() error {
			_, err := s.r.u32()
			return err
		})
	}
	return s.vector("element expressions", MaxElementSegments, s.constExpr)
}

// data reads a data segment.
func (s *screen) data() error {
	at := s.r.at()
	flags, err := s.r.u32()
	if err != nil {
		return err
	}
	switch flags {
	case 0:
		err = s.constExpr()
	case 1:
	case 2:
		if _, err = s.r.u32(); err == nil {
			err = s.constExpr()
		}
	default:
		return malformed(at, "data segment flags %d", flags)
	}
	if err != nil {
		return err
	}
	n, err := s.length("data segment")
	if err != nil {
		return err
	}
	return s.skip(n)
}

// code reads a function body: its size, and its locals' count, which it
// adds to *total.
func (s *screen) code(total *uint64) error {
	at := s.r.at()
	size, err := s.length("function body")
	if err != nil {
		return err
	}
	if size > MaxFunctionSize {
		return overLimit(at, "a function body of %d bytes (at most %d)", size, MaxFunctionSize)
	}
	body, _ := s.r.bytes(size)
	b := screen{r: reader{b: body, off: s.r.off + s.r.pos - size}, id: s.id}
	n, err := b.count("local declarations", MaxLocals)
	if err != nil {
		return err
	}
	var locals uint64
	for range n {
		at := b.r.at()
		k, err := b.r.u32()
		if err != nil {
			return err
		}
		if locals += uint64(k); locals > MaxLocals {
			return overLimit(at, "a function declares more than %d locals", MaxLocals)
		}
		if err := addLocals(total, uint64(k), at); err != nil {
			return err
		}
		if err := b.valType(); err != nil {
			return err
		}
	}
	return nil
}

// custom reads a custom section's name and, for the "name" section, the
// counts of its name maps.
func (s *screen) custom() error {
	n, err := s.length("custom section name")
	if err != nil {
		return err
	}
	name, err := s.r.bytes(n)
	if err != nil || string(name) != "name" {
		return err
	}
	for !s.r.eof() {
		id, _ := s.r.byte()
		size, err := s.length("name subsection")
		if err != nil {
			return err
		}
		body, _ := s.r.bytes(size)
		sub := screen{r: reader{b: body, off: s.r.off + s.r.pos - size}, id: s.id}
		switch id {
		case 0: // module name
			err = sub.name("module name")
		case 1: // function names: vec(index name)
			err = sub.nameMap()
		case 2: // local names: vec(index vec(index name))
			err = sub.vector("local name maps", MaxFunctions, func() error {
				if _, err := sub.r.u32(); err != nil {
					return err
				}
				return sub.nameMap()
			})
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *screen) nameMap() error {
	return s.vector("names", MaxFunctions, func() error {
		if _, err := s.r.u32(); err != nil {
			return err
		}
		return s.name("name")
	})
}
