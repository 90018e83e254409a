package fuel

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestRejections checks that each refusal says what and where: its kind,
// the function index for problems in code, and the byte offset of the
// offending byte in the module.
func TestRejections(t *testing.T) {
	// marker is a byte sequence each case places at the offending spot, so
	// the expected offset is found by searching for it.
	for _, tc := range []struct {
		name   string
		build  func(a *asm)
		marker []byte // the offset is where this first occurs (after the header)
		kind   error
		fn     int // -1: outside code
		what   string
		first  bool // the marker's first byte is the offending one, not its last
	}{
		{
			name: "SIMD",
			build: func(a *asm) {
				t := a.typ(nil, nil)
				a.importFunc("env", "h", t)
				a.fn(t, nil, end)
				a.fn(t, nil, nop, op(prefixSIMD, 0x0c), make([]byte, 16), op(opDrop), end) // v128.const
			},
			marker: []byte{opNop, prefixSIMD},
			kind:   ErrUnsupported,
			fn:     2,
			what:   "SIMD instruction (prefix 0xfd)",
		},
		{
			name: "threads",
			build: func(a *asm) {
				t := a.typ(nil, nil)
				a.memory(1, 1)
				a.fn(t, nil, nop, op(prefixThreads, 0x03, 0x00), end) // atomic.fence
			},
			marker: []byte{opNop, prefixThreads},
			kind:   ErrUnsupported,
			fn:     0,
			what:   "atomic instruction (prefix 0xfe, threads)",
		},
		{
			name: "exception handling",
			build: func(a *asm) {
				t := a.typ(nil, nil)
				a.fn(t, nil, nop, op(0x08, 0x00), end) // throw 0
			},
			marker: []byte{opNop, 0x08},
			kind:   ErrUnsupported,
			fn:     0,
			what:   "opcode 0x08 (exception handling)",
		},
		{
			name: "typed function references",
			build: func(a *asm) {
				t := a.typ(nil, nil)
				a.fn(t, nil, nop, op(0x14, 0x00), end) // call_ref 0
			},
			marker: []byte{opNop, 0x14},
			kind:   ErrUnsupported,
			fn:     0,
			what:   "opcode 0x14 (typed function references)",
		},
		{
			name: "unknown 0xfc operator",
			build: func(a *asm) {
				t := a.typ(nil, nil)
				a.fn(t, nil, nop, misc(MiscOps), end)
			},
			marker: []byte{opNop, prefixMisc},
			kind:   ErrUnsupported,
			fn:     0,
			what:   "operator 0xfc 18",
		},
		{
			name:   "table64",
			build:  func(a *asm) { a.tables = append(a.tables, []byte{valFuncref, 0x04, 0x01}) },
			marker: []byte{valFuncref, 0x04},
			kind:   ErrUnsupported,
			fn:     -1,
			what:   "64-bit table",
		},
		{
			name:   "GC types",
			build:  func(a *asm) { a.types = append(a.types, []byte{0x5f, 0x00}) }, // struct with no fields
			marker: []byte{secType, 0x03, 0x01, 0x5f},
			kind:   ErrUnsupported,
			fn:     -1,
			what:   "type form 0x5f",
		},
		{
			name: "tag section",
			build: func(a *asm) {
				a.typ(nil, nil)
				a.tags = append(a.tags, []byte{0x00, 0x00}) // exception, type 0
			},
			marker: []byte{secTag, 0x03, 0x01, 0x00},
			first:  true,
			kind:   ErrUnsupported,
			fn:     -1,
			what:   "tag section (exception handling)",
		},
		{
			name: "v128 local",
			build: func(a *asm) {
				t := a.typ(nil, nil)
				a.fn(t, []byte{valV128}, end)
			},
			marker: []byte{0x01, valV128},
			kind:   ErrUnsupported,
			fn:     0,
			what:   "v128 value type (SIMD)",
		},
		{
			name:   "memory64",
			build:  func(a *asm) { a.memories = append(a.memories, []byte{0x04, 0x01}) },
			marker: []byte{secMemory, 0x03, 0x01, 0x04},
			kind:   ErrUnsupported,
			fn:     -1,
			what:   "64-bit memory (memory64)",
		},
		{
			name:   "shared memory",
			build:  func(a *asm) { a.memories = append(a.memories, []byte{0x03, 0x01, 0x01}) },
			marker: []byte{secMemory, 0x04, 0x01, 0x03},
			kind:   ErrUnsupported,
			fn:     -1,
			what:   "shared memory (threads)",
		},
		{
			name:   "imported shared memory",
			build:  func(a *asm) { a.importRaw("env", "mem", 0x02, 0x03, 0x01, 0x01) },
			marker: []byte{'m', 0x02, 0x03},
			kind:   ErrUnsupported,
			fn:     -1,
			what:   "shared memory (threads)",
		},
		{
			name: "q1_fuel already exported",
			build: func(a *asm) {
				a.export(GlobalName, 0x03, a.global(valI64, true, i64c(0), end))
			},
			marker: append([]byte{byte(len(GlobalName))}, GlobalName...),
			kind:   ErrReserved,
			fn:     -1,
			what:   `already exports "q1_fuel"`,
			first:  true,
		},
		{
			name: "q1_fuel exported as a function",
			build: func(a *asm) {
				a.exportFunc(GlobalName, a.fn(a.typ(nil, nil), nil, end))
			},
			marker: append([]byte{byte(len(GlobalName))}, GlobalName...),
			kind:   ErrReserved,
			fn:     -1,
			what:   `already exports "q1_fuel"`,
			first:  true,
		},
	} {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			var a asm
			tc.build(&a)
			wasm := a.bytes()
			off := bytes.Index(wasm[8:], tc.marker)
			if off < 0 {
				t.Fatalf("marker %x not in module %x", tc.marker, wasm)
			}
			off += 8
			if !tc.first {
				off += len(tc.marker) - 1
			}
			_, err := Instrument(wasm, V1())
			if !errors.Is(err, tc.kind) {
				t.Fatalf("error %v, want %v", err, tc.kind)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T, want *Error", err)
			}
			if e.Func != tc.fn || e.Offset != off {
				t.Errorf("error at function %d, offset %d; want function %d, offset %d: %v", e.Func, e.Offset, tc.fn, off, err)
			}
			msg := err.Error()
			where := fmt.Sprintf("byte offset %d (0x%x)", off, off)
			if tc.fn >= 0 {
				where = fmt.Sprintf("function %d, %s", tc.fn, where)
			}
			if !strings.Contains(msg, where) || !strings.Contains(msg, tc.what) {
				t.Errorf("message %q, want it to name %q and %q", msg, where, tc.what)
			}
		})
	}
}

func TestMalformed(t *testing.T) {
	var a asm
	a.exportFunc("f", a.fn(a.typ(nil, nil), nil, end))
	good := a.bytes()
	for name, wasm := range map[string][]byte{
		"empty":            nil,
		"not wasm":         []byte("\x7fELF\x02\x01\x01\x00"),
		"truncated":        good[:len(good)-3],
		"version 2":        append([]byte{0, 'a', 's', 'm', 2, 0, 0, 0}, good[8:]...),
		"section too long": append(append([]byte(nil), good[:8]...), 0x01, 0x7f, 0x00),
	} {
		if _, err := Instrument(wasm, V1()); err == nil {
			t.Errorf("%s: no error", name)
		} else if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupported) {
			t.Errorf("%s: %v is neither malformed nor unsupported", name, err)
		}
	}
}
