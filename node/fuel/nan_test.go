package fuel

import (
	"encoding/binary"
	"math"
	"testing"
)

// The canonical NaNs: sign 0, quiet bit only.
const (
	canonF32 = 0x7fc00000
	canonF64 = 0x7ff8000000000000
)

func f32c(v uint32) []byte { return binary.LittleEndian.AppendUint32([]byte{opF32Const}, v) }
func f64c(v uint64) []byte { return binary.LittleEndian.AppendUint64([]byte{opF64Const}, v) }

// TestNaNBitsAreCanonical is an attack on the audit: a tenant's guest
// branches on the bits of a NaN an arithmetic operator produced (0/0,
// sqrt(-1), NaN + x with a payload). amd64 gives sign 1, arm64 sign 0,
// and payload propagation differs: the same request uses different fuel
// and answers differently on the node and on an auditor of the other
// architecture, and nothing records the architecture, so an honest
// sharer's receipt FAILs its audit (slashed, the tenant refunded).
// Instrumented code makes every NaN an arithmetic operator produces the
// canonical one (sign 0, quiet, no payload), on every engine, at no fuel.
func TestNaNBitsAreCanonical(t *testing.T) {
	const (
		opF32Div          = 0x95
		opF32Sqrt         = 0x91
		opF32Add          = 0x92
		opF64Div          = 0xa3
		opF64Mul          = 0xa2
		opF64Min          = 0xa4
		opF64Nearest      = 0x9e
		opF32DemoteF64    = 0xb6
		opF64PromoteF32   = 0xbb
		opI32ReinterpretF = 0xbc
		opI64ReinterpretF = 0xbd
	)
	payload64 := uint64(0xfff8000000000000 | 0x12345) // a negative NaN with a payload
	payload32 := uint32(0xffc00000 | 0x123)
	for _, tc := range []struct {
		name string
		f64  bool
		body []byte
	}{
		{"f64 0/0", true, cat(f64c(0), f64c(0), op(opF64Div))},
		{"f64 payload*1", true, cat(f64c(payload64), f64c(math.Float64bits(1)), op(opF64Mul))},
		{"f64 min(1, payload)", true, cat(f64c(math.Float64bits(1)), f64c(payload64), op(opF64Min))},
		{"f64 nearest(payload)", true, cat(f64c(payload64), op(opF64Nearest))},
		{"f64 promote(f32 payload)", true, cat(f32c(payload32), op(opF64PromoteF32))},
		{"f32 0/0", false, cat(f32c(0), f32c(0), op(opF32Div))},
		{"f32 sqrt(-1)", false, cat(f32c(math.Float32bits(-1)), op(opF32Sqrt))},
		{"f32 payload+1", false, cat(f32c(payload32), f32c(math.Float32bits(1)), op(opF32Add))},
		{"f32 demote(f64 payload)", false, cat(f64c(payload64), op(opF32DemoteF64))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var a asm
			var body []byte
			var want uint64
			if tc.f64 {
				body, want = cat(tc.body, op(opI64ReinterpretF, opEnd)), canonF64
				a.exportFunc("f", a.fn(a.typ(nil, []byte{valI64}), nil, body))
			} else {
				body, want = cat(tc.body, op(opI32ReinterpretF, opEnd)), canonF32
				a.exportFunc("f", a.fn(a.typ(nil, []byte{valI32}), nil, body))
			}
			wasm := a.bytes()
			plain := instantiate(t, engines[0].cfg(), wasm, nil).call(t, "f", -1)
			for _, e := range engines {
				got := instantiate(t, e.cfg(), mustInstrument(t, wasm), nil).call(t, "f", 100)
				if got.trap != "" || len(got.results) != 1 || got.results[0] != want {
					t.Fatalf("%s: instrumented %s gave %s (bits %#x); want the canonical NaN %#x (uninstrumented: %#x)",
						e.name, tc.name, got, got.results, want, plain.results)
				}
				if got.fuel != plainFuel(t, wasm) {
					t.Fatalf("%s: canonicalising cost fuel: used %d, want %d", e.name, got.fuel, plainFuel(t, wasm))
				}
			}
		})
	}
}

// plainFuel is the fuel the naive instrumentation charges a call of f.
func plainFuel(t *testing.T, wasm []byte) int64 {
	t.Helper()
	return instantiate(t, engines[1].cfg(), naive(t, wasm), nil).call(t, "f", 100).fuel
}

// TestNaNCanonicalKeepsNumbers: ordinary results pass through unchanged.
func TestNaNCanonicalKeepsNumbers(t *testing.T) {
	var a asm
	a.exportFunc("f", a.fn(a.typ(nil, []byte{valI64}), nil,
		cat(f64c(math.Float64bits(1.5)), f64c(math.Float64bits(-2.25)), op(0xa2 /* f64.mul */, 0xbd, opEnd))))
	for _, e := range engines {
		got := instantiate(t, e.cfg(), mustInstrument(t, a.bytes()), nil).call(t, "f", 100)
		if len(got.results) != 1 || math.Float64frombits(got.results[0]) != -3.375 {
			t.Fatalf("%s: 1.5 × -2.25 gave %s", e.name, got)
		}
	}
}
