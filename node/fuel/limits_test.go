package fuel

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"
)

// spin is a module whose "f" loops forever and whose "r" recurses
// forever without a loop.
func spin() []byte {
	var a asm
	t := a.typ(nil, nil)
	a.exportFunc("f", a.fn(t, nil, loop(empty), br(0), end, end))
	a.exportFunc("r", a.fn(t, nil, call(1), end))
	return a.bytes()
}

func TestOutOfFuelStopsInfiniteLoop(t *testing.T) {
	inst := mustInstrument(t, spin())
	for _, e := range engines {
		in := instantiate(t, e.cfg(), inst, nil)
		// Each iteration charges 1 (br) and checks at the loop head: with
		// 1000 fuel the 1001st charge leaves -1 and traps.
		got := in.call(t, "f", 1000)
		if !strings.Contains(got.trap, "unreachable") || got.left != -1 {
			t.Errorf("%s: %v, left %d; want an unreachable trap with -1 left", e.name, got, got.left)
		}
		got = in.call(t, "f", 0)
		if got.trap == "" || got.left != -1 {
			t.Errorf("%s: with no fuel: %v, left %d", e.name, got, got.left)
		}
	}
}

func TestOutOfFuelStopsInfiniteRecursion(t *testing.T) {
	inst := mustInstrument(t, spin())
	for _, e := range engines {
		in := instantiate(t, e.cfg(), inst, nil)
		// Each call charges 1 at entry and checks: 500 calls, then a trap
		// long before the call stack runs out.
		got := in.call(t, "r", 500)
		if !strings.Contains(got.trap, "unreachable") || got.left != -1 {
			t.Errorf("%s: %v, left %d; want an unreachable trap with -1 left", e.name, got, got.left)
		}
	}
}

func TestExactBudget(t *testing.T) {
	var a asm
	ti := a.typ([]byte{i32}, []byte{i32})
	// The corpus's countdown loop: 12n+4.
	a.exportFunc("f", a.fn(ti, []byte{i32},
		block(empty), loop(empty),
		lget(0), op(opI32Eqz), brIf(1),
		lget(1), lget(0), op(opI32Add), lset(1),
		lget(0), i32c(1), op(opI32Sub), lset(0), br(0),
		end, end, lget(1), end))
	inst := mustInstrument(t, a.bytes())
	for _, e := range engines {
		in := instantiate(t, e.cfg(), inst, nil)
		if got := in.call(t, "f", 12*10+4, 10); got.trap != "" || got.left != 0 {
			t.Errorf("%s: exact budget: %v, left %d", e.name, got, got.left)
		}
		// One short: checks are only at entry and loop heads, so the last
		// segment after the loop (1 operator) overdraws to -1 and the call
		// returns; the host sees fuel below zero and reports out of fuel.
		if got := in.call(t, "f", 12*10+3, 10); got.trap != "" || got.left != -1 {
			t.Errorf("%s: one short of the budget: %v, left %d; want a return with -1 left", e.name, got, got.left)
		}
		// Two short: the last loop-head check sees -1 and traps.
		if got := in.call(t, "f", 12*10+2, 10); !strings.Contains(got.trap, "unreachable") || got.left != -1 {
			t.Errorf("%s: two short of the budget: %v, left %d; want a trap with -1 left", e.name, got, got.left)
		}
	}
}

func TestStartFunction(t *testing.T) {
	var a asm
	t0 := a.typ(nil, nil)
	g := a.global(valI32, true, i32c(0), end)
	st := a.fn(t0, nil, i32c(42), gset(g), end) // 2
	a.start = &st
	a.export("g", 0x03, g)
	wasm := a.bytes()
	ctx := context.Background()
	for _, e := range engines {
		rt := wazero.NewRuntimeWithConfig(ctx, e.cfg())
		defer rt.Close(ctx)
		// The global starts at 0: the start function cannot pay.
		if _, err := rt.Instantiate(ctx, mustInstrument(t, wasm)); err == nil || !strings.Contains(err.Error(), "unreachable") {
			t.Errorf("%s: start function without fuel: %v, want an unreachable trap", e.name, err)
		}
		inst, err := InstrumentWithStartFuel(wasm, V1(), 100)
		if err != nil {
			t.Fatal(err)
		}
		mod, err := rt.InstantiateWithConfig(ctx, inst, wazero.NewModuleConfig().WithName("ok"))
		if err != nil {
			t.Fatalf("%s: %v", e.name, err)
		}
		if left := int64(fuelGlobal(t, mod).Get()); left != 98 {
			t.Errorf("%s: start function left %d fuel, want 98", e.name, left)
		}
		if v := mod.ExportedGlobal("g").Get(); v != 42 {
			t.Errorf("%s: g = %d", e.name, v)
		}
	}
}

// TestModuleLayout checks what Instrument changes outside the code: one
// more global each for fuel and depth, exported, sections in order, custom
// sections kept.
func TestModuleLayout(t *testing.T) {
	for _, tc := range []struct {
		name  string
		build func(a *asm)
	}{
		{"no global or export section", func(a *asm) { a.fn(a.typ(nil, nil), nil, end) }},
		{"globals, exports, data count, customs", func(a *asm) {
			t := a.typ(nil, []byte{i32})
			a.customs = append(a.customs, [2]string{"first", "x"})
			a.endCustoms = append(a.endCustoms, [2]string{"name", "\x00\x02\x01m"})
			a.memory(1, 0)
			a.global(valI64, false, i64c(7), end)
			a.exportFunc("f", a.fn(t, nil, i32c(0), i32c(0), i32c(3), memInit(0), i32c(1), end))
			a.passiveData("abc")
			a.activeData(8, "xyz")
		}},
		{"nothing at all", func(*asm) {}},
	} {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			var a asm
			tc.build(&a)
			wasm := a.bytes()
			out := mustInstrument(t, wasm)
			in, err := parseModule(out)
			if err != nil {
				t.Fatalf("output does not parse: %v", err)
			}
			orig, _ := parseModule(wasm)
			if in.globals != orig.globals+2 {
				t.Errorf("%d globals, want %d", in.globals, orig.globals+2)
			}
			var customs []string
			for _, s := range in.sections {
				if s.id == secCustom {
					customs = append(customs, string(s.body))
				}
			}
			var want []string
			for _, s := range orig.sections {
				if s.id == secCustom {
					want = append(want, string(s.body))
				}
			}
			if fmt.Sprint(customs) != fmt.Sprint(want) {
				t.Errorf("custom sections %q, want %q", customs, want)
			}
			for _, e := range engines {
				mod := instantiate(t, e.cfg(), out, nil).mod
				if g := fuelGlobal(t, mod); g.Get() != 0 {
					t.Errorf("%s: fuel starts at %d", e.name, g.Get())
				}
				if g := depthGlobal(t, mod); g.Get() != 0 {
					t.Errorf("%s: depth starts at %d", e.name, g.Get())
				}
				if f := mod.ExportedFunction("f"); f != nil {
					fuelGlobal(t, mod).Set(10)
					if _, err := f.Call(context.Background()); err != nil {
						t.Errorf("%s: %v", e.name, err)
					}
				}
			}
			// Instrumenting twice is refused.
			if _, err := Instrument(out, V1()); !errors.Is(err, ErrReserved) {
				t.Errorf("instrumenting twice: %v, want ErrReserved", err)
			}
		})
	}
}

// TestDeterministicOutput: the same module and table give the same bytes.
func TestDeterministicOutput(t *testing.T) {
	w := spin()
	a, b := mustInstrument(t, w), mustInstrument(t, w)
	if !bytes.Equal(a, b) {
		t.Error("two runs gave different modules")
	}
}
