package runtime

import (
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/tetratelabs/wazero"

	"github.com/quantum1net/q1/core/receipt"
)

// Compiling a module ahead (Compile, when a node learns of a blob) and
// loading it for a replica (Load) meet here: both compile the same
// instrumented bytes (instrument), with the same settings, into the shared
// compilation cache, so the machine code a compile ahead leaves in the cache
// is exactly the code the replica runs. A Load that finds a compile of its
// module under way waits for it and then reads its result from the cache,
// instead of compiling the module a second time beside it (on a node with two
// cores, the second compile would slow both). Compiles counts the compiles
// that produced new machine code, and the cache files each compile wrote are
// remembered, so that Evict can take back what a compile ahead cost.

// compileShared compiles mw in wrt, first waiting for any compilation of
// the same module under way in this runtime. It returns the compiled
// module and the bytes the compilation added to the on-disk cache (0 when
// the code came from the cache).
func (r *Runtime) compileShared(ctx context.Context, wrt wazero.Runtime, mw metered) (wazero.CompiledModule, int64, error) {
	var mine chan struct{}
	for mine == nil {
		r.mu.Lock()
		ch, busy := r.compiling[mw.hash]
		if !busy {
			mine = make(chan struct{})
			r.compiling[mw.hash] = mine
		}
		r.mu.Unlock()
		if busy {
			select {
			case <-ch:
			case <-ctx.Done():
				return nil, 0, fmt.Errorf("wait for the compilation of the same module under way: %w", ctx.Err())
			}
		}
	}
	defer func() {
		r.mu.Lock()
		delete(r.compiling, mw.hash)
		r.mu.Unlock()
		close(mine)
	}()
	if err := r.acquireStartup(ctx); err != nil {
		return nil, 0, fmt.Errorf("wait for other compilations to finish: %w", err)
	}
	before := r.cacheFiles()
	cm, err := wrt.CompileModule(ctx, mw.wasm)
	after := r.cacheFiles()
	r.releaseStartup()
	if err != nil {
		return nil, 0, &ModuleError{Problems: []string{compileProblem(err)}}
	}
	var written int64
	r.mu.Lock()
	for path, size := range after {
		if _, old := before[path]; old {
			continue
		}
		if _, claimed := r.cacheOwner[path]; claimed {
			continue // another module's compile, finished while this one ran
		}
		r.cacheOwner[path] = mw.hash
		written += size
	}
	r.mu.Unlock()
	if written > 0 || r.cfg.interpreter {
		r.compiles.Add(1)
	}
	return cm, written, nil
}

// Compiles returns how many compilations produced new machine code (rather
// than reading it from the cache, or waiting for a compilation of the same
// module) since the runtime started. With the interpreter, every
// compilation counts.
func (r *Runtime) Compiles() uint64 { return r.compiles.Load() }

// cacheFiles lists the files of wazero's on-disk cache (its directories
// wazero-<version>-<arch>-<os> under the cache directory) with their sizes.
func (r *Runtime) cacheFiles() map[string]int64 {
	out := map[string]int64{}
	dirs, err := os.ReadDir(r.cacheDir)
	if err != nil {
		return out
	}
	for _, d := range dirs {
		if !d.IsDir() || !strings.HasPrefix(d.Name(), "wazero") {
			continue
		}
		files, err := os.ReadDir(filepath.Join(r.cacheDir, d.Name()))
		if err != nil {
			continue
		}
		for _, f := range files {
			if info, err := f.Info(); err == nil && info.Mode().IsRegular() {
				out[filepath.Join(r.cacheDir, d.Name(), f.Name())] = info.Size()
			}
		}
	}
	return out
}

// Evict removes from the on-disk caches what compiling the module named by
// hash ("sha256:<hex>", Module.Hash) wrote there: its machine code and its
// instrumented copy. A module a loaded service runs is kept. Evict returns
// the bytes removed; a later Compile or Load of the module compiles it again.
func (r *Runtime) Evict(hash string) int64 {
	h, ok := parseModuleHash(hash)
	if !ok {
		return 0
	}
	r.mu.Lock()
	for s := range r.services {
		if s.moduleHash == h {
			r.mu.Unlock()
			return 0
		}
	}
	if _, busy := r.compiling[h]; busy {
		r.mu.Unlock()
		return 0
	}
	var paths []string
	for path, owner := range r.cacheOwner {
		if owner == h {
			paths = append(paths, path)
			delete(r.cacheOwner, path)
		}
	}
	r.mu.Unlock()
	var freed int64
	if r.instrumented.dir != "" {
		paths = append(paths, r.instrumented.path(h))
	}
	r.instrumented.forget(h)
	for _, p := range paths {
		if info, err := os.Stat(p); err == nil && os.Remove(p) == nil {
			freed += info.Size()
		}
	}
	return freed
}

// parseModuleHash reads "sha256:<hex>", as Module.Hash writes it.
func parseModuleHash(s string) (receipt.Hash, bool) {
	var h receipt.Hash
	hexPart, ok := strings.CutPrefix(s, "sha256:")
	if !ok {
		return h, false
	}
	b, err := hex.DecodeString(hexPart)
	if err != nil || len(b) != len(h) {
		return h, false
	}
	copy(h[:], b)
	return h, true
}

// moduleHash is the module's hash as the runtime keys it.
func (m *Module) moduleHash() receipt.Hash {
	h, _ := parseModuleHash(m.hash)
	return h
}
