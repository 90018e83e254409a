package fuel

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// engines are the two wazero engines fuel must agree across.
var engines = []struct {
	name string
	cfg  func() wazero.RuntimeConfig
}{
	{"compiler", wazero.NewRuntimeConfigCompiler},
	{"interpreter", wazero.NewRuntimeConfigInterpreter},
}

// outcome is what one call did.
type outcome struct {
	results []uint64
	trap    string // "" when the call returned
	fuel    int64  // fuel used: before − after (instrumented modules only)
	left    int64  // the global after the call
	depth   uint32 // the depth global after the call
}

func (o outcome) String() string {
	if o.trap != "" {
		return fmt.Sprintf("trap %q, fuel used %d", o.trap, o.fuel)
	}
	return fmt.Sprintf("results %v, fuel used %d", o.results, o.fuel)
}

// sameResults reports whether two outcomes returned the same values or
// trapped alike.
func (o outcome) sameResults(p outcome) bool {
	return o.trap == p.trap && slices.Equal(o.results, p.results)
}

// instance is one module instantiated in its own wazero runtime.
type instance struct {
	rt  wazero.Runtime
	mod api.Module
}

// instantiate compiles wasm (after deps, each instantiated under its name)
// on the engine cfg. It fails the test if anything does not compile.
func instantiate(t testing.TB, cfg wazero.RuntimeConfig, wasm []byte, deps map[string][]byte) *instance {
	t.Helper()
	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, cfg)
	t.Cleanup(func() { rt.Close(ctx) })
	for name, dep := range deps {
		if _, err := rt.InstantiateWithConfig(ctx, dep, wazero.NewModuleConfig().WithName(name)); err != nil {
			t.Fatalf("instantiate dependency %s: %v", name, err)
		}
	}
	mod, err := rt.InstantiateWithConfig(ctx, wasm, wazero.NewModuleConfig().WithName("m"))
	if err != nil {
		t.Fatalf("instantiate: %v", err)
	}
	return &instance{rt: rt, mod: mod}
}

// fuelGlobal returns the module's fuel global.
func fuelGlobal(t testing.TB, mod api.Module) api.MutableGlobal {
	t.Helper()
	g, ok := mod.ExportedGlobal(GlobalName).(api.MutableGlobal)
	if !ok {
		t.Fatalf("the module exports no mutable global %s", GlobalName)
	}
	return g
}

// depthGlobal returns the module's depth global.
func depthGlobal(t testing.TB, mod api.Module) api.MutableGlobal {
	t.Helper()
	g, ok := mod.ExportedGlobal(DepthGlobalName).(api.MutableGlobal)
	if !ok {
		t.Fatalf("the module exports no mutable global %s", DepthGlobalName)
	}
	return g
}

// call calls fn with args; with fuel >= 0 it first sets the fuel global to
// fuel and measures what the call used.
func (in *instance) call(t testing.TB, fn string, fuel int64, args ...uint64) outcome {
	t.Helper()
	f := in.mod.ExportedFunction(fn)
	if f == nil {
		t.Fatalf("no exported function %s", fn)
	}
	var g, d api.MutableGlobal
	if fuel >= 0 {
		g = fuelGlobal(t, in.mod)
		g.Set(uint64(fuel))
		d = depthGlobal(t, in.mod)
		d.Set(0) // as the host does before every call
	}
	res, err := f.Call(context.Background(), args...)
	var o outcome
	if err != nil {
		o.trap = trapName(err)
	} else {
		o.results = res
	}
	if g != nil {
		o.left = int64(g.Get())
		o.fuel = fuel - o.left
		o.depth = uint32(d.Get())
	}
	return o
}

// trapName is the first line of a wazero error, without its stack trace.
func trapName(err error) string {
	var e interface{ ExitCode() uint32 }
	if errors.As(err, &e) {
		return fmt.Sprintf("exit %d", e.ExitCode())
	}
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

// mustInstrument instruments wasm with V1 or fails the test.
func mustInstrument(t testing.TB, wasm []byte) []byte {
	t.Helper()
	out, err := Instrument(wasm, V1())
	if err != nil {
		t.Fatalf("instrument: %v", err)
	}
	return out
}

// naive instruments wasm with every operator charged on its own: the
// oracle the segment scheme must match on every call that does not trap.
func naive(t testing.TB, wasm []byte) []byte {
	t.Helper()
	c := V1()
	out, err := instrument(wasm, &c, options{perOp: true})
	if err != nil {
		t.Fatalf("instrument per operator: %v", err)
	}
	return out
}
