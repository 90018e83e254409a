package fuel

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"testing"

	"github.com/tetratelabs/wazero"
)

// fuzzBudget is large enough that no generated call runs out of fuel:
// memory.grow can be asked for 2^32 pages at 1024 each.
const fuzzBudget = 1 << 60

// FuzzInstrument has two properties for every input:
//
//   - as a module: if wazero compiles it, Instrument does not panic, refuses
//     it only as unsupported or reserved (never as malformed), and its
//     output compiles;
//   - as a seed: the module genModule builds from it computes the same
//     results (or traps alike) once instrumented, for every exported
//     function, with the same fuel under the compiler and the interpreter
//     and, when nothing traps, the same fuel as per-operator charging.
func FuzzInstrument(f *testing.F) {
	for _, tc := range corpus {
		var a asm
		tc.build(&a)
		f.Add(a.bytes())
	}
	f.Add(spin())
	for seed := range uint64(8) {
		f.Add(genModule(seed))
	}
	ctx := context.Background()
	interp := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer interp.Close(ctx)
	f.Fuzz(func(t *testing.T, data []byte) {
		checkAnyModule(t, interp, data)
		h := fnv.New64a()
		h.Write(data)
		checkGenerated(t, h.Sum64())
	})
}

func checkAnyModule(t *testing.T, rt wazero.Runtime, wasm []byte) {
	ctx := context.Background()
	// As the node does: screen the declared counts before wazero decodes
	// (it reserves memory by them), then validate with wazero.
	if err := CheckLimits(wasm); err != nil {
		var e *Error
		if !errors.As(err, &e) || (!errors.Is(e.Kind, ErrLimit) && !errors.Is(e.Kind, ErrMalformed)) {
			t.Fatalf("CheckLimits: %v is not an *Error of kind ErrLimit or ErrMalformed", err)
		}
		return
	}
	m, err := rt.CompileModule(ctx, wasm)
	if err != nil {
		return
	}
	m.Close(ctx)
	out, err := Instrument(wasm, V1())
	if err != nil {
		var e *Error
		if !errors.As(err, &e) || errors.Is(err, ErrMalformed) {
			t.Fatalf("a module wazero compiles was refused: %v", err)
		}
		return
	}
	m, err = rt.CompileModule(ctx, out)
	if err != nil {
		t.Fatalf("the instrumented module does not compile: %v", err)
	}
	m.Close(ctx)
}

// genArgs are the arguments each generated function is called with.
var genArgs = [][2]uint64{{0, 0}, {1, 2}, {7, 0xffffffff}, {1000, 3}, {0x80000000, 64}}

func checkGenerated(t *testing.T, seed uint64) {
	wasm := genModule(seed)
	inst := mustInstrument(t, wasm)
	nv := naive(t, wasm)
	var fuel [2][]int64
	for ei, e := range engines {
		orig := instantiate(t, e.cfg(), wasm, nil)
		in := instantiate(t, e.cfg(), inst, nil)
		nin := instantiate(t, e.cfg(), nv, nil)
		for i := 0; ; i++ {
			name := fmt.Sprintf("f%d", i)
			if orig.mod.ExportedFunction(name) == nil {
				break
			}
			for _, args := range genArgs {
				what := fmt.Sprintf("seed %d, %s: %s%v", seed, e.name, name, args)
				o := orig.call(t, name, -1, args[:]...)
				got := in.call(t, name, fuzzBudget, args[:]...)
				if !o.sameResults(got) {
					t.Fatalf("%s: original %v, instrumented %v\n%s", what, o, got, disasm(wasm))
				}
				if got.fuel < 0 {
					t.Fatalf("%s: negative fuel %d", what, got.fuel)
				}
				// Called whatever happens, so that its state (memory,
				// globals) stays that of the others.
				n := nin.call(t, name, fuzzBudget, args[:]...)
				if !n.sameResults(got) || got.trap == "" && n.fuel != got.fuel {
					t.Fatalf("%s: per-operator charging %v, segments %v\n%s", what, n, got, disasm(wasm))
				}
				fuel[ei] = append(fuel[ei], got.fuel)
			}
		}
	}
	if fmt.Sprint(fuel[0]) != fmt.Sprint(fuel[1]) {
		t.Fatalf("seed %d: fuel differs: compiler %v, interpreter %v", seed, fuel[0], fuel[1])
	}
}

// TestGenerated runs the generator's property on a fixed set of seeds, so
// that `go test` checks it without -fuzz.
func TestGenerated(t *testing.T) {
	n := uint64(100)
	if testing.Short() {
		n = 20
	}
	for seed := range n {
		checkGenerated(t, seed)
	}
}
