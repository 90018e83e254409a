package runtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/quantum1net/q1/core/receipt"
)

// Runtime compiles, loads and runs services. It is safe for concurrent use.
type Runtime struct {
	cfg      config
	log      *slog.Logger
	cache    wazero.CompilationCache
	cacheDir string
	// compiles counts compilations that produced machine code
	// (compileShared).
	compiles atomic.Uint64
	// compiler compiles modules into the shared cache and inspects them; it
	// has the same settings that affect code generation as every service's
	// wazero runtime, so its cache entries are theirs.
	compiler wazero.Runtime
	// wasi describes the WASI functions a module may import.
	wasi map[string]api.FunctionDefinition
	// sched shares the guest slots among services and caps the requests
	// waiting for them.
	sched *scheduler
	// startups caps concurrent compilations and instantiations, which run
	// outside the guest slots.
	startups chan struct{}
	stores   *storeRegistry
	// instrumented keeps modules already validated and instrumented.
	instrumented *instrumentCache
	// numbers numbers instances per (lease, epoch).
	numbers instanceNumbers

	mu       sync.Mutex
	services map[*Service]struct{}
	closed   bool
	// compiling holds the modules being compiled, closed when done.
	compiling map[receipt.Hash]chan struct{}
	// cacheOwner names the module whose compilation wrote each file of
	// the on-disk cache that this runtime wrote (Evict).
	cacheOwner map[string]receipt.Hash
}

// New returns a Runtime whose compiled code is cached under cacheDir (created
// if missing), shared by every service and kept across restarts.
func New(cacheDir string, opts ...Option) (*Runtime, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	if cacheDir == "" {
		return nil, errors.New("new runtime: empty compilation cache directory")
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return nil, fmt.Errorf("new runtime: create compilation cache directory: %w", err)
	}
	cache, err := wazero.NewCompilationCacheWithDir(cacheDir)
	if err != nil {
		return nil, fmt.Errorf("new runtime: open compilation cache %s: %w", cacheDir, err)
	}
	r := &Runtime{
		cfg:      cfg,
		log:      cfg.logger,
		cache:    cache,
		cacheDir: cacheDir,
		sched:    newScheduler(cfg),
		startups: make(chan struct{}, cfg.startups),
		stores:   newStoreRegistry(),

		instrumented: newInstrumentCache(cacheDir),
		services:     make(map[*Service]struct{}),
		compiling:    map[receipt.Hash]chan struct{}{},
		cacheOwner:   map[string]receipt.Hash{},
	}
	ctx := context.Background()
	r.compiler = wazero.NewRuntimeWithConfig(ctx, r.wazeroConfig(0))
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, r.compiler); err != nil {
		r.compiler.Close(ctx)
		cache.Close(ctx)
		return nil, fmt.Errorf("new runtime: instantiate WASI: %w", err)
	}
	r.wasi = r.compiler.Module(wasiModule).ExportedFunctionDefinitions()
	return r, nil
}

// wazeroConfig is the configuration of every wazero runtime: compiled code
// from the shared cache, and guest calls that end when their context does.
// memoryPages limits each instance's memory (0: wazero's maximum).
func (r *Runtime) wazeroConfig(memoryPages uint32) wazero.RuntimeConfig {
	c := wazero.NewRuntimeConfigCompiler()
	if r.cfg.interpreter {
		c = wazero.NewRuntimeConfigInterpreter()
	}
	c = c.WithCompilationCache(r.cache).
		WithCloseOnContextDone(true)
	if memoryPages > 0 {
		c = c.WithMemoryLimitPages(memoryPages)
	}
	return c
}

// Module describes a compiled module: what Compile learned about it.
type Module struct {
	hash    string
	imports []string
	needs   []Capability
	// compiledBytes is what its compilation added to the on-disk caches.
	compiledBytes int64
}

// Hash is the module's content address, "sha256:<hex>", as a manifest's
// code.wasm names it.
func (m *Module) Hash() string { return m.hash }

// HostImports lists the q1 host functions the module imports, e.g. "q1.kv_get".
func (m *Module) HostImports() []string { return m.imports }

// CompiledBytes is what compiling the module added to the node's on-disk
// caches: its machine code (0 when it was already cached) and its
// instrumented copy. Evict takes it back.
func (m *Module) CompiledBytes() int64 { return m.compiledBytes }

// Capabilities lists the capabilities the module needs, in a stable order;
// loading it fails unless the service's manifest grants each of them.
func (m *Module) Capabilities() []Capability { return m.needs }

// Compile validates and meters wasm (node/fuel), compiles it into the
// shared on-disk cache and checks that it follows q1-http/v1, so a node can
// start as soon as it learns of a blob and a later Load finds the code
// compiled. Errors match ErrInvalidModule when the module itself is at
// fault.
func (r *Runtime) Compile(ctx context.Context, wasm []byte) (*Module, error) {
	if r.isClosed() {
		return nil, fmt.Errorf("compile: %w", ErrClosed)
	}
	mw, err := r.instrument(ctx, wasm)
	if err != nil {
		return nil, fmt.Errorf("compile: %w", err)
	}
	cm, written, err := r.compileShared(ctx, r.compiler, mw)
	if err != nil {
		return nil, fmt.Errorf("compile: %w", err)
	}
	defer cm.Close(ctx)
	m, problems := r.inspect(cm, wasm)
	if len(problems) > 0 {
		return nil, fmt.Errorf("compile: %w", &ModuleError{Problems: problems})
	}
	m.compiledBytes = written
	if !r.cfg.unmetered {
		m.compiledBytes += int64(len(mw.wasm))
	}
	return m, nil
}

// Close closes every service still loaded (waiting for their in-flight
// requests until ctx ends) and releases the compilation cache. The cache's
// files stay on disk.
func (r *Runtime) Close(ctx context.Context) error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	services := make([]*Service, 0, len(r.services))
	for s := range r.services {
		services = append(services, s)
	}
	r.mu.Unlock()

	var errs []error
	for _, s := range services {
		errs = append(errs, s.Close(ctx))
	}
	errs = append(errs, r.compiler.Close(ctx), r.cache.Close(ctx))
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close runtime: %w", err)
	}
	return nil
}

// acquireStartup waits for permission to compile or instantiate a module.
func (r *Runtime) acquireStartup(ctx context.Context) error {
	select {
	case r.startups <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (r *Runtime) releaseStartup() { <-r.startups }

func (r *Runtime) register(s *Service) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return ErrClosed
	}
	r.services[s] = struct{}{}
	return nil
}

func (r *Runtime) isClosed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closed
}

func (r *Runtime) unregister(s *Service) {
	r.mu.Lock()
	delete(r.services, s)
	r.mu.Unlock()
}
