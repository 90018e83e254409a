package fuel

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// rawModule is a module header followed by sections given as id and body,
// sizes filled in, with no validation: what an attacker would upload.
func rawModule(sections ...[]byte) []byte {
	out := append([]byte(nil), wasmHeader...)
	for _, s := range sections {
		out = appendSection(out, s[0], s[1:])
	}
	return out
}

func sec(id byte, body ...[]byte) []byte { return cat(append([][]byte{{id}}, body...)...) }

func u32(v uint32) []byte { return appendU32(nil, v) }

// typesOf is n distinct function types of params parameters each (the
// i-th has an i64 at i % params, i32s elsewhere), no results.
func typesOf(n, params int) []byte {
	var out []byte
	for i := range n {
		out = append(out, 0x60)
		out = appendU32(out, uint32(params))
		for p := range params {
			if p == i%params {
				out = append(out, valI64)
			} else {
				out = append(out, valI32)
			}
		}
		out = append(out, 0)
	}
	return out
}

// The attacker's modules: each declares far more than its bytes hold, where
// wazero's decoder would reserve memory by the declared number before
// reading it (the first, found by FuzzInstrument, made it reserve gigabytes
// for a map of 254 million exports and spend a minute clearing it).
func TestCheckLimitsRefusesDeclaredBombs(t *testing.T) {
	body := func(locals ...[]byte) []byte { // a function body, size-prefixed
		b := cat(locals...)
		b = append(b, opEnd)
		return append(u32(uint32(len(b))), b...)
	}
	for _, tc := range []struct {
		name   string
		wasm   []byte
		kind   error
		offset int
		want   string
	}{
		{"exports count (the fuzz find)",
			[]byte("\x00asm\x01\x00\x00\x00\x01\x06\x01`\x01\x7f\x01\x7f\x03\x02\x01\x00\a\x05\xf9\xf9\xf9\xf9\x00\f\x00\v\v \x01@"),
			ErrLimit, 22, "section 7 declares 255753465 exports in the 0 bytes that follow"},
		{"type parameters",
			rawModule(sec(secType, u32(1), []byte{0x60}, u32(1<<32-1))),
			ErrLimit, 12, "section 1 declares 4294967295 parameters in the 0 bytes that follow"},
		{"import name length",
			rawModule(sec(secImport, u32(1), u32(1<<31), []byte("env"))),
			ErrLimit, 11, "import module name of 2147483648 bytes in the 3 bytes that follow"},
		{"locals",
			rawModule(sec(secType, u32(1), []byte{0x60, 0, 0}), sec(secFunction, u32(1), u32(0)),
				sec(secCode, u32(1), body(u32(1), u32(1<<32-1), []byte{valI32}))),
			ErrLimit, 23, "a function declares more than 50000 locals"},
		{"locals over the limit in two declarations",
			rawModule(sec(secType, u32(1), []byte{0x60, 0, 0}), sec(secFunction, u32(1), u32(0)),
				sec(secCode, u32(1), body(u32(2), u32(25000), []byte{valI32}, u32(25001), []byte{valI64}))),
			ErrLimit, 27, "a function declares more than 50000 locals"},
		// A function body of 6 bytes declares 50,000 locals: wazero's
		// interpreter spent 14 s and 3 GiB validating 1,000 of them (an
		// 8 KiB module), and wazevo 0.4 ms each on top.
		{"locals across functions",
			rawModule(sec(secType, u32(1), []byte{0x60, 0, 0}), sec(secFunction, u32(21), make([]byte, 21)),
				sec(secCode, u32(21), bytes.Repeat(body(u32(1), u32(50000), []byte{valI32}), 21))),
			ErrLimit, 184, "the module's functions have more than 1000000 parameters and locals in all"},
		// Parameters are locals too: 100,000 functions of a type with
		// 1,000 parameters (400 KiB) took wazevo 6 s of CPU to compile.
		{"parameters across functions",
			rawModule(sec(secType, u32(1), []byte{0x60}, u32(1000), bytes.Repeat([]byte{valI32}, 1000), u32(0)),
				sec(secFunction, u32(1001), make([]byte, 1001))),
			ErrLimit, 2021, "the module's functions have more than 1000000 parameters and locals in all"},
		// wazero keys each distinct function type by its values: 1,000
		// types of 1,000 parameters (1 MiB, no code) took wazevo 1–2 s.
		{"values across types",
			rawModule(sec(secType, u32(101), typesOf(101, 1000))),
			ErrLimit, 13 + 100*1004, "the module's function types have more than 100000 parameters and results in all"},
		// A table's elements are allocated at instantiation, 8 bytes each,
		// in every instance and outside the memory limit: a 33-byte module
		// with a table of 2^27 elements (wazero's own limit) cost each
		// instance 1 GiB and seconds of clearing it.
		{"table size",
			rawModule(sec(secTable, u32(1), []byte{valFuncref, 0}, u32(1<<27))),
			ErrLimit, 12, "a table of at least 134217728 elements (at most 10000000)"},
		{"table maximum",
			rawModule(sec(secTable, u32(1), []byte{valFuncref, 1}, u32(1), u32(10_000_001))),
			ErrLimit, 12, "a table of at most 10000001 elements (at most 10000000)"},
		{"imported table size",
			rawModule(sec(secImport, u32(1), str(str(nil, "m"), "t"), []byte{0x01, valFuncref, 0}, u32(1<<27))),
			ErrLimit, 17, "a table of at least 134217728 elements (at most 10000000)"},
		{"tables' total size",
			rawModule(sec(secTable, u32(3), []byte{valFuncref, 0}, u32(4_000_000), []byte{valFuncref, 0}, u32(4_000_000), []byte{valFuncref, 0}, u32(4_000_000))),
			ErrLimit, 24, "tables of at least 12000000 elements in all (at most 10000000)"},
		{"function body size",
			rawModule(sec(secCode, u32(1), u32(1<<30))),
			ErrLimit, 11, "function body of 1073741824 bytes in the 0 bytes that follow"},
		{"data segment length",
			rawModule(sec(secData, u32(1), u32(0), i32c(0), []byte{opEnd}, u32(1<<32-1))),
			ErrLimit, 15, "data segment of 4294967295 bytes in the 0 bytes that follow"},
		{"element function indices",
			rawModule(sec(secElement, u32(1), u32(0), i32c(0), []byte{opEnd}, u32(1<<28))),
			ErrLimit, 15, "declares 268435456 function indices in the 0 bytes that follow"},
		{"element expressions",
			rawModule(sec(secElement, u32(1), u32(5), []byte{valFuncref}, u32(1<<28))),
			ErrLimit, 13, "declares 268435456 element expressions in the 0 bytes that follow"},
		{"name section function names",
			rawModule(sec(secCustom, u32(4), []byte("name"), []byte{1}, u32(5), u32(1<<28))),
			ErrLimit, 17, "declares 268435456 names in the 0 bytes that follow"},
		{"custom section name length",
			rawModule(sec(secCustom, u32(1<<31))),
			ErrLimit, 10, "custom section name of 2147483648 bytes in the 0 bytes that follow"},
		{"parameters over the limit",
			rawModule(sec(secType, u32(1), []byte{0x60}, u32(1001), []byte(strings.Repeat("\x7f", 1001)), u32(0))),
			ErrLimit, 13, "section 1 declares 1001 parameters (at most 1000)"},
		{"section past the end",
			append(append([]byte(nil), wasmHeader...), secExport, 0xff, 0x01, 0),
			ErrMalformed, 8, "section 7: size 255 runs past the end of the module"},
		{"no header", []byte("\x00asn"), ErrMalformed, 0, "invalid magic number"},
		{"constant expression",
			rawModule(sec(secData, u32(1), u32(0), lget(0), []byte{opEnd}, u32(0))),
			ErrMalformed, 12, "opcode 0x20 in a constant expression"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckLimits(tc.wasm)
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, tc.kind) {
				t.Fatalf("CheckLimits: %v; want an *Error of kind %v", err, tc.kind)
			}
			if !strings.Contains(e.What, tc.want) || e.Offset != tc.offset {
				t.Errorf("CheckLimits: %v; want %q at offset %d", err, tc.want, tc.offset)
			}
		})
	}
}

// CheckLimits refuses nothing wazero accepts that keeps to the limits: every
// module of the corpus, of the generator, and the example guests (Go's
// output, with a name section, data and element segments, many functions).
func TestCheckLimitsAcceptsValidModules(t *testing.T) {
	check := func(name string, wasm []byte) {
		t.Helper()
		if err := CheckLimits(wasm); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		inst, err := Instrument(wasm, V1())
		if err != nil {
			t.Fatalf("%s: instrument: %v", name, err)
		}
		if err := CheckLimits(inst); err != nil {
			t.Errorf("%s, instrumented: %v", name, err)
		}
	}
	for _, tc := range corpus {
		var a asm
		tc.build(&a)
		check(tc.name, a.bytes())
	}
	for seed := range uint64(500) {
		check("generated", genModule(seed))
	}
	if testing.Short() {
		return
	}
	for _, name := range []string{"hello", "counter", "echo"} {
		check(name, guestWasm(t, modulePath+"/examples/"+name))
	}
}

// table.grow's elements live in host memory outside the service's memory
// limit, at 1 fuel each: a table without a maximum could take billions of
// them in one request. The instrumented code refuses (-1, as for any
// refused growth) a growth past the module's share of MaxModuleTableSize,
// charged as asked, alike on both engines; smaller growths go through.
func TestTableGrowCapped(t *testing.T) {
	const tables = 1000 // so that each table's share is small
	var a asm
	a.table(0, 0) // no maximum
	for range tables - 1 {
		a.table(1, 0)
	}
	grow := a.typ([]byte{i32, i32}, []byte{i32}) // (table 0 or 1, n) -> old size or -1
	a.exportFunc("grow", a.fn(grow, nil,
		lget(0), ifb(i32),
		op(opRefNull, valFuncref), lget(1), misc(miscTableGrow), u32(1),
		elseOp,
		op(opRefNull, valFuncref), lget(1), misc(miscTableGrow), u32(0),
		end, end))
	inst := mustInstrument(t, a.bytes())
	const share = MaxModuleTableSize / tables
	for _, e := range engines {
		in := instantiate(t, e.cfg(), inst, nil)
		for _, c := range []struct {
			table, n uint64
			want     uint32
		}{
			{0, 100, 0},              // grows: 0 → 100
			{0, share - 100, 100},    // to exactly its share
			{0, 1, 0xffffffff},       // one past it
			{1, share, 0xffffffff},   // table 1 holds 1 already
			{1, 1 << 31, 0xffffffff}, // far past
			{1, share - 1, 1},        // to exactly its share
		} {
			o := in.call(t, "grow", 1<<40, c.table, c.n)
			if o.trap != "" || len(o.results) != 1 || uint32(o.results[0]) != c.want {
				t.Fatalf("%s: table.grow(table %d, %d) = %v (trap %q), want %d", e.name, c.table, c.n, o.results, o.trap, int32(c.want))
			}
			if want := int64(c.n) + 1 + 40; o.fuel < int64(c.n) || o.fuel > want {
				t.Fatalf("%s: table.grow(table %d, %d) used %d fuel, want the %d elements asked for and a few operators", e.name, c.table, c.n, o.fuel, c.n)
			}
		}
	}
}
