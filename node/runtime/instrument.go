package runtime

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"

	"github.com/tetratelabs/wazero"

	"github.com/quantum1net/q1/core/receipt"
	"github.com/quantum1net/q1/node/fuel"
)

// A module is metered by rewriting it (node/fuel) before wazero compiles
// it. The rewrite needs a module wazero has validated, and validating with
// the compiler would compile the uninstrumented code to machine code for
// nothing, so it is validated with wazero's interpreter (which generates no
// code) and the instrumented bytes are what the compiler sees. wazero's
// compilation cache keys on the bytes it compiles, so cached machine code
// is always that of the instrumented module at the current fuel.Version.
//
// Validating and instrumenting a 5 MB Go module takes a fraction of a
// second; the result is kept on disk beside the compilation cache, under
// <cacheDir>/fuel/v<fuel.Version>-<StartupFuel>/<sha256 of the upload>.wasm,
// and the last
// few in memory, so a node restart or a second version of a service pays
// for it once.

// instrumentedInMemory bounds the instrumented modules kept in memory.
const instrumentedInMemory = 8

// metered is a module ready to compile: the upload's hash and the
// instrumented bytes.
type metered struct {
	hash receipt.Hash
	wasm []byte
}

type instrumentCache struct {
	dir string // "" keeps nothing on disk

	mu   sync.Mutex
	mods map[receipt.Hash][]byte
	keys []receipt.Hash // oldest first
}

// instrument returns wasm validated and instrumented with fuel.V1, from the
// cache when it was done before.
func (r *Runtime) instrument(ctx context.Context, wasm []byte) (metered, error) {
	m := metered{hash: sha256.Sum256(wasm)}
	if err := screen(wasm); err != nil {
		return m, err
	}
	if r.cfg.unmetered {
		m.wasm = wasm
		return m, nil
	}
	if b := r.instrumented.get(m.hash); b != nil {
		m.wasm = b
		return m, nil
	}
	if err := r.acquireStartup(ctx); err != nil {
		return m, fmt.Errorf("compile: wait for other compilations to finish: %w", err)
	}
	defer r.releaseStartup()
	if b := r.instrumented.get(m.hash); b != nil { // done while we waited
		m.wasm = b
		return m, nil
	}
	b, err := validateAndInstrument(ctx, wasm)
	if err != nil {
		return m, err
	}
	r.instrumented.put(m.hash, b)
	m.wasm = b
	return m, nil
}

// validateAndInstrument validates wasm with wazero's interpreter, then
// instruments it. Errors are *ModuleError: the module is at fault.
func validateAndInstrument(ctx context.Context, wasm []byte) ([]byte, error) {
	v := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer v.Close(ctx)
	cm, err := v.CompileModule(ctx, wasm)
	if err != nil {
		return nil, &ModuleError{Problems: []string{compileProblem(err)}}
	}
	cm.Close(ctx)
	// The fuel global starts at StartupFuel, for a start section; the
	// host sets it before every call it makes.
	out, err := fuel.InstrumentWithStartFuel(wasm, fuel.V1(), StartupFuel)
	if err != nil {
		return nil, &ModuleError{Problems: []string{meterProblem(err)}}
	}
	return out, nil
}

// screen refuses, before wazero decodes it, a module whose declared counts
// or lengths exceed its own bytes or the limits of fuel.CheckLimits: wazero
// reserves memory by them, so a module of a few bytes could make it reserve
// gigabytes. The error is a *ModuleError.
func screen(wasm []byte) error {
	err := fuel.CheckLimits(wasm)
	var e *fuel.Error
	switch {
	case err == nil:
		return nil
	case !errors.As(err, &e):
		return &ModuleError{Problems: []string{err.Error()}}
	case errors.Is(e.Kind, fuel.ErrLimit):
		return &ModuleError{Problems: []string{fmt.Sprintf("the module declares more than a node accepts (docs/guest-abi.md, Limits), at byte offset %d (0x%x): %s", e.Offset, e.Offset, e.What)}}
	case e.Offset == 0:
		return &ModuleError{Problems: []string{"not a WebAssembly module: " + e.What}}
	}
	return &ModuleError{Problems: []string{fmt.Sprintf("malformed module, at byte offset %d (0x%x): %s", e.Offset, e.Offset, e.What)}}
}

// meterProblem explains why a valid module cannot be metered.
func meterProblem(err error) string {
	switch {
	case errors.Is(err, fuel.ErrUnsupported):
		return "the module uses a feature fuel metering does not support (SIMD, threads, memory64, exceptions): " + err.Error()
	case errors.Is(err, fuel.ErrLimit):
		return "the module's control flow is more than a node compiles (docs/guest-abi.md, Limits): " + err.Error()
	case errors.Is(err, fuel.ErrReserved):
		return "the module exports " + fuel.GlobalName + ", a name the node reserves for fuel metering: " + err.Error()
	}
	return "fuel metering: " + err.Error()
}

func newInstrumentCache(cacheDir string) *instrumentCache {
	c := &instrumentCache{mods: map[receipt.Hash][]byte{}}
	if cacheDir != "" {
		c.dir = filepath.Join(cacheDir, "fuel", "v"+strconv.FormatUint(uint64(fuel.Version), 10)+"-"+strconv.FormatUint(StartupFuel, 10))
	}
	return c
}

func (c *instrumentCache) path(h receipt.Hash) string {
	return filepath.Join(c.dir, hex.EncodeToString(h[:])+".wasm")
}

func (c *instrumentCache) get(h receipt.Hash) []byte {
	c.mu.Lock()
	b := c.mods[h]
	c.mu.Unlock()
	if b != nil || c.dir == "" {
		return b
	}
	b, err := os.ReadFile(c.path(h))
	if err != nil || len(b) < 8 {
		return nil
	}
	c.remember(h, b)
	return b
}

// put keeps b in memory and on disk (best effort: a write that fails
// only costs a new instrumentation later).
func (c *instrumentCache) put(h receipt.Hash, b []byte) {
	c.remember(h, b)
	if c.dir == "" || os.MkdirAll(c.dir, 0o755) != nil {
		return
	}
	tmp, err := os.CreateTemp(c.dir, "tmp-*.wasm")
	if err != nil {
		return
	}
	_, err = tmp.Write(b)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), c.path(h))
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
}

func (c *instrumentCache) remember(h receipt.Hash, b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.mods[h]; ok {
		return
	}
	if len(c.keys) >= instrumentedInMemory {
		delete(c.mods, c.keys[0])
		c.keys = c.keys[1:]
	}
	c.mods[h] = b
	c.keys = append(c.keys, h)
}

// forget drops h from memory (Evict removes its file).
func (c *instrumentCache) forget(h receipt.Hash) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.mods[h]; !ok {
		return
	}
	delete(c.mods, h)
	c.keys = slices.DeleteFunc(c.keys, func(k receipt.Hash) bool { return k == h })
}
