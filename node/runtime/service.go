package runtime

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/quantum1net/q1/core/receipt"
)

// Defaults for zero fields of Limits and EgressConfig.
const (
	defaultMemoryBytes            = 64 << 20
	defaultRequestTimeout         = 10 * time.Second
	defaultMaxRequestBytes        = 1 << 20
	defaultMaxResponseBytes       = 8 << 20
	defaultInstances              = 2
	defaultEgressMaxResponseBytes = 8 << 20
	wasmPageSize                  = 65536
	maxWasmMemory                 = 65536 * wasmPageSize
)

// ServiceSpec is everything Load needs to run one version of a service.
type ServiceSpec struct {
	// Name is the service's name, used in errors, logs and stats.
	Name string
	// Version identifies this version, e.g. the manifest hash; two versions
	// of one service may be loaded side by side.
	Version string
	// Wasm is the module's bytes.
	Wasm []byte
	// Limits bound each request.
	Limits Limits
	// Instances is the size of the warm pool, the most requests the service
	// runs at once (default 2).
	Instances int
	// Capabilities are the host functions granted beyond the base ABI.
	Capabilities Capabilities

	// LeaseID is the lease the service runs under: receipts name it and
	// seed the guest's randomness with it (0 outside a lease, in tests).
	LeaseID uint64
	// Epoch returns the chain's current epoch (nil: always 0). An
	// instance belongs to the epoch current when it started; NewEpoch
	// restarts instances when the epoch changes, so that an instance's
	// history never spans two epochs.
	Epoch func() uint64
	// Receipts receives a receipt for every instance start-up and every
	// request the guest ran (nil: receipts are built for nobody).
	Receipts ReceiptSink
	// MaxInstanceRequests is how many requests an instance serves before
	// it is replaced by a fresh one (default DefaultMaxInstanceRequests),
	// which bounds the history an auditor re-executes to check one.
	MaxInstanceRequests int
}

// Limits bound a service's requests. Zero fields take the defaults shown.
type Limits struct {
	// MemoryBytes caps the linear memory of each instance (default 64 MiB),
	// rounded down to whole 64 KiB pages. A pool of N instances may use up
	// to N times this much.
	MemoryBytes uint64
	// RequestTimeout caps how long the guest may run for one request
	// (default 10 s). It is not shortened by the caller's context: a caller
	// that goes away does not stop a running guest, so it cannot make the
	// node throw away warm instances.
	RequestTimeout time.Duration
	// MaxRequestBytes caps the encoded request: method, path, host, headers
	// and body (default 1 MiB).
	MaxRequestBytes int
	// MaxResponseBytes caps the encoded response: status, headers and body
	// (default 8 MiB).
	MaxResponseBytes int
	// Fuel caps the fuel one request may use (default: half of
	// FuelFor(RequestTimeout), so that a busy guest on a node loaded up to
	// twice its cores is stopped by fuel before the timeout). A request
	// that needs more fails with KindFuel. Unlike the timeout, fuel stops a
	// guest at the same point on every node, so an auditor re-executing the
	// request sees the same outcome.
	Fuel uint64
}

// Capabilities grant host functions. A nil field is not granted, and a
// module that imports its functions fails to load.
type Capabilities struct {
	// KV grants kv_get, kv_put, kv_delete and kv_list.
	KV *KVConfig
	// Log grants log, and receives the guest's stdout and stderr lines.
	Log LogSink
	// Egress grants http_fetch.
	Egress *EgressConfig
	// Secrets grants secret_get, answered from this source.
	Secrets SecretSource
}

// KVConfig places and bounds a service's key-value store.
type KVConfig struct {
	// Dir is the store's directory, created if missing. Versions of one
	// service loaded side by side pass the same Dir and share the store.
	Dir string
	// QuotaBytes caps the total size of keys and values.
	QuotaBytes int64
}

// EgressConfig says where a service may send HTTP requests.
type EgressConfig struct {
	// Hosts lists the host names (or IP addresses) the service may reach,
	// on any port, over http or https.
	Hosts []string
	// MaxResponseBytes caps each response body (default 8 MiB).
	MaxResponseBytes int64
}

// Service is one loaded version of a service: a pool of warm instances.
// It is safe for concurrent use.
type Service struct {
	rt       *Runtime
	name     string
	version  string
	limits   Limits
	granted  map[Capability]bool
	wrt      wazero.Runtime
	compiled wazero.CompiledModule
	kv       *kvStore
	kvQuota  int64
	egress   *egressClient
	logSink  LogSink
	secrets  SecretSource

	lease   uint64
	epochOf func() uint64 // the spec's epoch source, nil for none
	epoch   atomic.Uint64 // the latest epoch NewEpoch was told of
	sink    ReceiptSink
	// unbilledFrom is the first epoch whose receipts the sink no longer
	// gets (0: none; StopReceiptsFrom).
	unbilledFrom atomic.Uint64
	maxRequests  uint64
	moduleHash   receipt.Hash // SHA-256 of the module as uploaded
	hash         string       // the same, as Module.Hash writes it

	idle     chan *instance
	spareMu  sync.Mutex
	spares   []*instance   // started ahead for the next epoch (NewEpoch)
	closing  chan struct{} // closed when Close starts
	released chan struct{} // closed when the instances are gone

	mu       sync.RWMutex // guards closed against inflight.Add
	closed   bool
	inflight sync.WaitGroup // requests in Handle
	bg       sync.WaitGroup // instance replacements

	stats counters
}

type counters struct {
	requests  atomic.Uint64
	errors    map[ErrorKind]*atomic.Uint64 // fixed at load: every kind
	cpu       atomic.Int64
	egress    atomic.Int64
	fuel      atomic.Uint64
	instances atomic.Int64
	replaced  atomic.Uint64
}

// Load compiles spec.Wasm (from the cache when Compile or an earlier Load
// saw it), checks it against q1-http/v1 and the granted capabilities, and
// returns the service once its pool of instances is warm. It does not touch
// other services, including other versions of the same name. Errors match
// ErrInvalidModule when the module is at fault.
func (r *Runtime) Load(ctx context.Context, spec ServiceSpec) (*Service, error) {
	s, err := r.load(ctx, spec)
	if err != nil {
		return nil, fmt.Errorf("load service %s: %w", spec.Name, err)
	}
	return s, nil
}

func (r *Runtime) load(ctx context.Context, spec ServiceSpec) (_ *Service, err error) {
	if r.isClosed() {
		return nil, ErrClosed
	}
	s, err := newService(r, spec)
	if err != nil {
		return nil, err
	}
	s.wrt = wazero.NewRuntimeWithConfig(ctx, r.wazeroConfig(uint32(s.limits.MemoryBytes/wasmPageSize)))
	defer func() {
		if err != nil {
			_ = s.release(context.Background()) // the load already failed with err
		}
	}()
	if err := s.prepare(ctx, spec.Wasm, true); err != nil {
		return nil, err
	}
	if kv := spec.Capabilities.KV; kv != nil {
		if s.kv, err = r.stores.acquire(kv.Dir); err != nil {
			return nil, err
		}
	}
	for range cap(s.idle) {
		in, err := s.newInstance(ctx)
		if err != nil {
			return nil, err
		}
		s.idle <- in
	}
	if err := r.register(s); err != nil {
		return nil, err
	}
	r.log.Info("service loaded", "service", s.name, "version", s.version, "instances", cap(s.idle), "module", s.hash)
	return s, nil
}

// prepare meters and compiles wasm for the service's wazero runtime,
// checks it against q1-http/v1 (and the grants, if checkGrants), and
// instantiates the host functions.
func (s *Service) prepare(ctx context.Context, wasm []byte, checkGrants bool) error {
	r := s.rt
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, s.wrt); err != nil {
		return fmt.Errorf("instantiate WASI: %w", err)
	}
	mw, err := r.instrument(ctx, wasm)
	if err != nil {
		return err
	}
	s.moduleHash = mw.hash
	s.compiled, _, err = r.compileShared(ctx, s.wrt, mw)
	if err != nil {
		return err
	}
	m, problems := r.inspect(s.compiled, wasm)
	if checkGrants {
		problems = append(problems, grantProblems(m, s.granted)...)
	}
	if len(problems) > 0 {
		return &ModuleError{Problems: problems}
	}
	if err := s.instantiateHostModule(ctx); err != nil {
		return fmt.Errorf("instantiate host functions: %w", err)
	}
	s.hash = m.hash
	return nil
}

// newService validates spec and fills in defaults.
func newService(r *Runtime, spec ServiceSpec) (*Service, error) {
	if spec.Name == "" {
		return nil, errors.New("empty service name")
	}
	l := spec.Limits
	if l.MemoryBytes == 0 {
		l.MemoryBytes = defaultMemoryBytes
	}
	if l.MemoryBytes < wasmPageSize || l.MemoryBytes > maxWasmMemory {
		return nil, fmt.Errorf("memory limit %d bytes is outside 64 KiB to 4 GiB, what a wasm32 instance can address", l.MemoryBytes)
	}
	if l.RequestTimeout <= 0 {
		l.RequestTimeout = defaultRequestTimeout
	}
	if l.MaxRequestBytes <= 0 {
		l.MaxRequestBytes = defaultMaxRequestBytes
	}
	if l.MaxResponseBytes <= 0 {
		l.MaxResponseBytes = defaultMaxResponseBytes
	}
	if l.Fuel == 0 {
		l.Fuel = max(1, FuelFor(l.RequestTimeout)/2)
	}
	instances := spec.Instances
	if instances <= 0 {
		instances = defaultInstances
	}
	maxRequests := spec.MaxInstanceRequests
	if maxRequests <= 0 {
		maxRequests = DefaultMaxInstanceRequests
	}
	s := &Service{
		rt:      r,
		name:    spec.Name,
		version: spec.Version,
		limits:  l,
		granted: map[Capability]bool{},
		logSink: spec.Capabilities.Log,
		lease:   spec.LeaseID,
		epochOf: spec.Epoch,
		sink:    spec.Receipts,

		maxRequests: uint64(maxRequests),
		idle:        make(chan *instance, instances),
		closing:     make(chan struct{}),
		released:    make(chan struct{}),
	}
	if kv := spec.Capabilities.KV; kv != nil {
		if kv.Dir == "" {
			return nil, errors.New("kv capability: empty store directory")
		}
		if kv.QuotaBytes <= 0 {
			return nil, fmt.Errorf("kv capability: quota must be positive, not %d", kv.QuotaBytes)
		}
		s.granted[CapabilityKV] = true
		s.kvQuota = kv.QuotaBytes
	}
	if spec.Capabilities.Log != nil {
		s.granted[CapabilityLog] = true
	}
	if eg := spec.Capabilities.Egress; eg != nil {
		var err error
		if s.egress, err = newEgressClient(eg, r.cfg.allowLoopback); err != nil {
			return nil, fmt.Errorf("egress capability: %w", err)
		}
		s.granted[CapabilityEgress] = true
	}
	if spec.Capabilities.Secrets != nil {
		s.secrets = spec.Capabilities.Secrets
		s.granted[CapabilitySecrets] = true
	}
	s.stats.errors = make(map[ErrorKind]*atomic.Uint64, len(errorKinds))
	for _, k := range errorKinds {
		s.stats.errors[k] = new(atomic.Uint64)
	}
	return s, nil
}

// Name returns the service's name.
func (s *Service) Name() string { return s.name }

// Version returns the version Load was given.
func (s *Service) Version() string { return s.version }

// Stats returns a snapshot of the service's counters.
func (s *Service) Stats() Stats {
	st := Stats{
		Requests:          s.stats.requests.Load(),
		Errors:            map[ErrorKind]uint64{},
		CPU:               time.Duration(s.stats.cpu.Load()),
		EgressBytes:       s.stats.egress.Load(),
		Fuel:              s.stats.fuel.Load(),
		Instances:         int(s.stats.instances.Load()),
		InstancesReplaced: s.stats.replaced.Load(),
	}
	for k, n := range s.stats.errors {
		if v := n.Load(); v > 0 {
			st.Errors[k] = v
		}
	}
	if s.kv != nil {
		st.KVBytes = s.kv.size()
	}
	return st
}

// Close stops taking requests, waits for those in flight (until ctx ends,
// after which they are stopped), and releases the instances, the compiled
// code and the service's share of its KV store. Other services, and other
// versions of this one, are not affected.
func (s *Service) Close(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.closing)
	s.mu.Unlock()

	drained := make(chan struct{})
	go func() {
		s.inflight.Wait()
		s.bg.Wait()
		close(drained)
	}()
	var waitErr error
	select {
	case <-drained:
	case <-ctx.Done():
		waitErr = fmt.Errorf("close service %s: requests still running were stopped: %w", s.name, ctx.Err())
	}
	s.rt.unregister(s)
	return errors.Join(waitErr, s.release(ctx))
}

// release frees everything Load acquired.
func (s *Service) release(ctx context.Context) error {
	close(s.released)
	s.spareMu.Lock()
	s.spares = nil // closed with the runtime below
	s.spareMu.Unlock()
	s.stats.instances.Store(0)
	var errs []error
	if s.wrt != nil {
		errs = append(errs, s.wrt.Close(ctx))
	}
	if s.compiled != nil {
		// The runtimes share one engine (the compilation cache): closing
		// the service's runtime leaves its machine code in the engine's
		// memory until the compiled module itself is closed.
		errs = append(errs, s.compiled.Close(ctx))
	}
	if s.egress != nil {
		s.egress.close()
	}
	if s.kv != nil {
		errs = append(errs, s.rt.stores.release(s.kv))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close service %s: %w", s.name, err)
	}
	return nil
}
