package fuel

import (
	"bytes"
	"errors"
	"fmt"
)

// Section ids.
const (
	secCustom    = 0
	secType      = 1
	secImport    = 2
	secFunction  = 3
	secTable     = 4
	secMemory    = 5
	secGlobal    = 6
	secExport    = 7
	secStart     = 8
	secElement   = 9
	secCode      = 10
	secData      = 11
	secDataCount = 12
	secTag       = 13
)

// sectionRank is the position of each known non-custom section in the order
// the binary format requires (the tag section of exception handling sits
// between memory and global).
var sectionRank = map[byte]int{
	secType: 1, secImport: 2, secFunction: 3, secTable: 4, secMemory: 5, secTag: 6,
	secGlobal: 7, secExport: 8, secStart: 9, secElement: 10, secDataCount: 11, secCode: 12, secData: 13,
}

var wasmHeader = []byte{0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00}

type section struct {
	id   byte
	body []byte // contents, without id and size
	off  int    // module offset of body[0]
}

// module is what the instrumenter needs to know of a module.
type module struct {
	sections []section
	// params is the number of parameters of each type of the type section.
	params []int
	// funcTypes is the type index of each function defined in the module.
	funcTypes []uint32
	// importedFuncs and globals count functions imported and globals
	// imported or defined: the fuel global's index is globals, the depth
	// global's globals+1.
	importedFuncs int
	globals       uint32
	// tables counts the tables imported or defined.
	tables int
	// reservedAt is the offset of the first export named GlobalName or
	// DepthGlobalName, reservedName that name; reservedAt is -1 if none.
	reservedAt   int
	reservedName string
}

func malformed(off int, format string, args ...any) *Error {
	return &Error{Func: -1, Offset: off, What: fmt.Sprintf(format, args...), Kind: ErrMalformed}
}

func unsupported(off int, format string, args ...any) *Error {
	return &Error{Func: -1, Offset: off, What: fmt.Sprintf(format, args...), Kind: ErrUnsupported}
}

// instrument is Instrument with options.
func instrument(wasm []byte, c *Costs, o options) ([]byte, error) {
	m, err := parseModule(wasm)
	if err != nil {
		return nil, err
	}
	if m.reservedAt >= 0 {
		return nil, &Error{Func: -1, Offset: m.reservedAt, What: fmt.Sprintf("the module already exports %q, a name reserved for metering (instrumented twice?)", m.reservedName), Kind: ErrReserved}
	}
	o.size = len(wasm)
	// The added globals follow every global imported or defined: fuel,
	// depth, then the test-only probe.
	g := addedGlobals{fuel: m.globals, depth: m.globals + 1, probe: o.depthProbe, startFuel: o.startFuel}
	out := make([]byte, 0, len(wasm)+len(wasm)/4+64)
	out = append(out, wasmHeader...)
	haveGlobal, haveExport := false, false
	for _, s := range m.sections {
		if s.id != secCustom {
			rank := sectionRank[s.id]
			if !haveGlobal && rank > sectionRank[secGlobal] {
				out = appendSection(out, secGlobal, g.appendGlobals(appendU32(nil, g.count())))
				haveGlobal = true
			}
			if !haveExport && rank > sectionRank[secExport] {
				out = appendSection(out, secExport, g.appendExports(appendU32(nil, g.count())))
				haveExport = true
			}
		}
		switch s.id {
		case secGlobal:
			body, err := extendVector(s, g.count(), g.appendGlobals)
			if err != nil {
				return nil, err
			}
			out = appendSection(out, s.id, body)
			haveGlobal = true
		case secExport:
			body, err := extendVector(s, g.count(), g.appendExports)
			if err != nil {
				return nil, err
			}
			out = appendSection(out, s.id, body)
			haveExport = true
		case secCode:
			body, err := m.rewriteCode(s, c, g, o)
			if err != nil {
				return nil, err
			}
			out = appendSection(out, s.id, body)
		default:
			out = appendSection(out, s.id, s.body)
		}
	}
	if !haveGlobal {
		out = appendSection(out, secGlobal, g.appendGlobals(appendU32(nil, g.count())))
	}
	if !haveExport {
		out = appendSection(out, secExport, g.appendExports(appendU32(nil, g.count())))
	}
	return out, nil
}

func appendSection(out []byte, id byte, body []byte) []byte {
	out = append(out, id)
	out = appendU32(out, uint32(len(body)))
	return append(out, body...)
}

// addedGlobals are the globals the instrumenter adds, by index.
type addedGlobals struct {
	fuel, depth uint32
	probe       bool // the depth probe follows depth (options.depthProbe)
	startFuel   int64
}

func (g addedGlobals) count() uint32 {
	if g.probe {
		return 3
	}
	return 2
}

// appendGlobals appends the added globals: mut i64 fuel, initialised to
// the start fuel; mut i32 depth, 0; and the probe, mut i32 0.
func (g addedGlobals) appendGlobals(b []byte) []byte {
	b = append(b, valI64, 0x01, opI64Const)
	b = appendS64(b, g.startFuel)
	b = append(b, opEnd)
	b = append(b, valI32, 0x01, opI32Const, 0x00, opEnd)
	if g.probe {
		b = append(b, valI32, 0x01, opI32Const, 0x00, opEnd)
	}
	return b
}

// appendExports appends the exports of the added globals.
func (g addedGlobals) appendExports(b []byte) []byte {
	b = appendGlobalExport(b, GlobalName, g.fuel)
	b = appendGlobalExport(b, DepthGlobalName, g.depth)
	if g.probe {
		b = appendGlobalExport(b, depthProbeName, g.depth+1)
	}
	return b
}

// appendGlobalExport appends the export of global index g as name.
func appendGlobalExport(b []byte, name string, g uint32) []byte {
	b = appendU32(b, uint32(len(name)))
	b = append(b, name...)
	b = append(b, 0x03) // global
	return appendU32(b, g)
}

// extendVector returns the body of a section holding one vector with k
// more elements, appended by add.
func extendVector(s section, k uint32, add func([]byte) []byte) ([]byte, error) {
	r := reader{b: s.body, off: s.off}
	n, err := r.u32()
	if err != nil {
		return nil, malformed(s.off, "section %d: count: %v", s.id, err)
	}
	if n > 1<<32-1-k {
		return nil, malformed(s.off, "section %d: too many entries", s.id)
	}
	b := appendU32(make([]byte, 0, len(s.body)+32), n+k)
	b = append(b, s.body[r.pos:]...)
	return add(b), nil
}

// parseModule splits wasm into sections and reads what instrumenting needs.
func parseModule(wasm []byte) (*module, error) {
	if len(wasm) < len(wasmHeader) || !bytes.Equal(wasm[:4], wasmHeader[:4]) {
		return nil, malformed(0, "not a WebAssembly module (no \\0asm header)")
	}
	if !bytes.Equal(wasm[4:8], wasmHeader[4:]) {
		return nil, unsupported(4, "binary format version %x (only version 1 is metered)", wasm[4:8])
	}
	m := &module{reservedAt: -1}
	r := reader{b: wasm, pos: len(wasmHeader)}
	lastRank := 0
	var codeCount = -1
	for !r.eof() {
		at := r.at()
		id, _ := r.byte()
		size, err := r.u32()
		if err != nil {
			return nil, malformed(at, "section %d: size: %v", id, err)
		}
		off := r.at()
		body, err := r.bytes(int(size))
		if err != nil {
			return nil, malformed(at, "section %d: size %d runs past the end of the module", id, size)
		}
		s := section{id: id, body: body, off: off}
		m.sections = append(m.sections, s)
		if id == secCustom {
			continue
		}
		rank, ok := sectionRank[id]
		if !ok {
			return nil, unsupported(at, "unknown section id %d", id)
		}
		if rank <= lastRank {
			return nil, malformed(at, "section %d out of order", id)
		}
		lastRank = rank
		sr := &reader{b: body, off: off}
		switch id {
		case secType:
			err = m.parseTypes(sr)
		case secImport:
			err = m.parseImports(sr)
		case secFunction:
			err = m.parseFunctions(sr)
		case secTable:
			err = parseVector(sr, "table", func(r *reader) error {
				m.tables++
				if _, err := r.byte(); err != nil {
					return err
				}
				return parseLimits(r, "table")
			})
		case secMemory:
			err = parseVector(sr, "memory", func(r *reader) error { return parseLimits(r, "memory") })
		case secGlobal:
			var n uint32
			n, err = sr.u32()
			m.globals += n
		case secExport:
			err = parseVector(sr, "export", func(r *reader) error {
				at := r.at()
				name, err := r.name()
				if err != nil {
					return err
				}
				if (name == GlobalName || name == DepthGlobalName) && m.reservedAt < 0 {
					m.reservedAt, m.reservedName = at, name
				}
				if _, err := r.byte(); err != nil {
					return err
				}
				_, err = r.u32()
				return err
			})
		case secTag:
			err = unsupported(at, "tag section (exception handling)")
		case secCode:
			var n uint32
			n, err = sr.u32()
			codeCount = int(n)
		}
		if err != nil {
			return nil, asError(err, sr.at())
		}
	}
	if codeCount < 0 {
		codeCount = 0
	}
	if codeCount != len(m.funcTypes) {
		return nil, malformed(len(wasm), "%d functions declared but %d bodies", len(m.funcTypes), codeCount)
	}
	return m, nil
}

// asError turns err into an *Error at offset at unless it is one.
func asError(err error, at int) error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return malformed(at, "%v", err)
}

func parseVector(r *reader, what string, each func(*reader) error) error {
	n, err := r.u32()
	if err != nil {
		return fmt.Errorf("%s count: %w", what, err)
	}
	for range n {
		if err := each(r); err != nil {
			return err
		}
	}
	return nil
}

// parseLimits reads the limits of a memory or table, refusing shared
// memories (threads), 64-bit indices (memory64, table64) and custom page
// sizes.
func parseLimits(r *reader, what string) error {
	at := r.at()
	flags, err := r.byte()
	if err != nil {
		return err
	}
	switch {
	case flags&0x04 != 0:
		return unsupported(at, "64-bit %s (memory64): only 32-bit memories and tables are metered", what)
	case flags&0x02 != 0:
		return unsupported(at, "shared %s (threads): only unshared memories are metered", what)
	case flags > 0x01:
		return unsupported(at, "%s limits flags 0x%02x", what, flags)
	}
	if _, err := r.u32(); err != nil {
		return err
	}
	if flags&0x01 != 0 {
		_, err = r.u32()
	}
	return err
}

func (m *module) parseTypes(r *reader) error {
	return parseVector(r, "type", func(r *reader) error {
		at := r.at()
		form, err := r.byte()
		if err != nil {
			return err
		}
		if form != 0x60 {
			return unsupported(at, "type form 0x%02x (only function types are metered)", form)
		}
		var params int
		for i := range 2 {
			n, err := r.u32()
			if err != nil {
				return err
			}
			for range n {
				at := r.at()
				t, err := r.byte()
				if err != nil {
					return err
				}
				if e := checkValType(t, at); e != nil {
					return e
				}
			}
			if i == 0 {
				params = int(n)
			}
		}
		m.params = append(m.params, params)
		return nil
	})
}

// Value types.
const (
	valI32       = 0x7f
	valI64       = 0x7e
	valF32       = 0x7d
	valF64       = 0x7c
	valV128      = 0x7b
	valFuncref   = 0x70
	valExternref = 0x6f
)

func checkValType(t byte, at int) *Error {
	switch t {
	case valI32, valI64, valF32, valF64, valFuncref, valExternref:
		return nil
	case valV128:
		return unsupported(at, "v128 value type (SIMD)")
	}
	return unsupported(at, "value type 0x%02x", t)
}

func (m *module) parseImports(r *reader) error {
	return parseVector(r, "import", func(r *reader) error {
		if _, err := r.name(); err != nil {
			return err
		}
		if _, err := r.name(); err != nil {
			return err
		}
		at := r.at()
		kind, err := r.byte()
		if err != nil {
			return err
		}
		switch kind {
		case 0x00: // function
			m.importedFuncs++
			_, err = r.u32()
			return err
		case 0x01: // table
			m.tables++
			if _, err := r.byte(); err != nil {
				return err
			}
			return parseLimits(r, "table")
		case 0x02:
			return parseLimits(r, "memory")
		case 0x03: // global
			at := r.at()
			t, err := r.byte()
			if err != nil {
				return err
			}
			if e := checkValType(t, at); e != nil {
				return e
			}
			if _, err := r.byte(); err != nil {
				return err
			}
			m.globals++
			return nil
		case 0x04:
			return unsupported(at, "tag import (exception handling)")
		}
		return unsupported(at, "import kind 0x%02x", kind)
	})
}

func (m *module) parseFunctions(r *reader) error {
	return parseVector(r, "function", func(r *reader) error {
		at := r.at()
		t, err := r.u32()
		if err != nil {
			return err
		}
		if int(t) >= len(m.params) {
			return malformed(at, "function type index %d out of range", t)
		}
		m.funcTypes = append(m.funcTypes, t)
		return nil
	})
}
