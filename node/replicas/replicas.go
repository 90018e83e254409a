// Package replicas is the replica manager: it keeps the services running
// in the node's wasm runtime equal to the leases the chain gave this node.
// It fetches and verifies wasm (from the local blob store, else from other
// sharers' nodes), loads a new version beside the old one and switches when
// it is warm, drains what is gone, counts each request's usage for its
// lease, and hands each replica's log lines to the node's log store
// (WithLogs).
package replicas

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	q1client "github.com/quantum1net/q1/client"
	"github.com/quantum1net/q1/client/blobhash"
	"github.com/quantum1net/q1/core/manifest"
	"github.com/quantum1net/q1/node/fuel"
	"github.com/quantum1net/q1/node/gateway"
	"github.com/quantum1net/q1/node/runtime"
)

// Desired is a replica the chain placed on this node.
type Desired struct {
	LeaseID  uint64
	Service  string
	Manifest *manifest.Manifest
	// MeterVersion is the fuel metering version the lease requires
	// (x/sharers Lease.meter_version); 0 requires none.
	MeterVersion uint32
}

// Runtime is what the manager needs of the wasm runtime.
type Runtime interface {
	Load(ctx context.Context, spec runtime.ServiceSpec) (*runtime.Service, error)
	Compile(ctx context.Context, wasm []byte) (*runtime.Module, error)
	Evict(moduleHash string) int64
}

// Blobs is what the manager needs of the blob store.
type Blobs interface {
	Has(h blobhash.Hash) bool
	Ensure(ctx context.Context, h blobhash.Hash, peers []string) error
	Open(h blobhash.Hash) (io.ReadSeekCloser, int64, error)
}

// Meter counts what each lease's requests consume, for its usage report:
// CPU time (local accounting) and fuel (what is billed and proven).
type Meter interface {
	Add(lease uint64, cpu time.Duration, fuel, egressBytes uint64)
}

// Option configures a Manager.
type Option func(*Manager)

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(m *Manager) { m.log = l } }

// WithPeers sets where wasm missing from the local store is fetched from:
// other nodes' base URLs, asked for at each fetch (default: none).
func WithPeers(peers func() []string) Option { return func(m *Manager) { m.peers = peers } }

// WithLogs sets where services granted the log capability write their
// lines (default: nowhere).
func WithLogs(logs Logs) Option { return func(m *Manager) { m.logs = logs } }

// WithMeter sets what counts each lease's usage (default: nothing counts).
func WithMeter(meter Meter) Option { return func(m *Manager) { m.meter = meter } }

// WithSecrets sets where services granted the secrets capability read
// their secrets (default: nowhere, every secret_get finds none).
func WithSecrets(secrets func(service string) runtime.SecretSource) Option {
	return func(m *Manager) { m.secrets = secrets }
}

// WithReceipts sets where every replica's receipts go (default: nowhere).
func WithReceipts(sink runtime.ReceiptSink) Option { return func(m *Manager) { m.receipts = sink } }

// Manager keeps the runtime's services equal to the leases the chain gave
// this node. It is safe for concurrent use.
type Manager struct {
	rt       Runtime
	blobs    Blobs
	kvDir    string
	log      *slog.Logger
	peers    func() []string
	meter    Meter
	logs     Logs
	receipts runtime.ReceiptSink
	secrets  func(service string) runtime.SecretSource
	epoch    atomic.Uint64 // the chain's epoch, as SetEpoch last said

	ctx    context.Context // ends when Close starts: loads and compiles stop
	cancel context.CancelFunc
	wg     sync.WaitGroup // loads, drains and compiles under way

	mu      sync.RWMutex
	closed  bool
	running map[string]*replica // by service name
	code    map[string]string   // service → the code (code.wasm) the chain wants run now
	loading map[string]string   // service → manifest hash being loaded
	failed  map[string]failure  // service → why its current manifest could not load
	ahead   precompiler         // compiling ahead (precompile.go)
}

type replica struct {
	lease uint64
	hash  string // manifest hash: the version running
	code  string // its code.wasm
	svc   *runtime.Service
}

type failure struct {
	hash   string
	lease  uint64 // the lease it failed under
	reason string
	at     time.Time
}

// failureRetention is how long a service's last failure stays visible after
// its lease closed (an unacknowledged lease closes on ack timeout), unless a
// replica of the service serves here first.
const failureRetention = time.Hour

// New returns a manager running replicas in rt with wasm from blobs, each
// service's kv store under kvDir/{service}. Close stops it.
func New(rt Runtime, blobs Blobs, kvDir string, opts ...Option) *Manager {
	m := &Manager{
		rt: rt, blobs: blobs, kvDir: kvDir,
		log:     slog.New(slog.DiscardHandler),
		peers:   func() []string { return nil },
		running: map[string]*replica{},
		code:    map[string]string{},
		loading: map[string]string{},
		failed:  map[string]failure{},
		ahead:   newPrecompiler(),
	}
	for _, o := range opts {
		o(m)
	}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	m.mu.Lock()
	m.startPrecompilerLocked()
	m.mu.Unlock()
	return m
}

// goLocked runs f in a goroutine Close waits for; m.mu must be held.
func (m *Manager) goLocked(f func()) {
	if m.closed {
		return
	}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		f()
	}()
}

// Close stops loading, drains every running replica (in-flight requests
// finish) and waits for all of it, or until ctx ends.
func (m *Manager) Close(ctx context.Context) error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.cancel()
	for name, r := range m.running {
		delete(m.running, name)
		m.goLocked(func() { m.drain(r) })
	}
	m.closed = true
	m.mu.Unlock()
	done := make(chan struct{})
	go func() { m.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("replicas still loading or draining: %w", ctx.Err())
	}
}

// Handle runs a request on the local replica of service (gateway.Runtime).
func (m *Manager) Handle(ctx context.Context, service string, req *gateway.Request) (*gateway.Response, error) {
	m.mu.RLock()
	r := m.running[service]
	m.mu.RUnlock()
	if r == nil {
		return nil, notLoaded{service}
	}
	res, err := r.svc.Handle(ctx, &runtime.Request{
		Method: req.Method, Path: req.Path, Host: req.Host, Header: req.Header, Body: req.Body,
		Time: req.Time, Via: req.Via, ViaSig: req.ViaSig,
	})
	if errors.Is(err, runtime.ErrClosed) {
		return nil, notLoaded{service} // switched or drained under us: another replica takes it
	}
	var rerr *runtime.Error
	switch {
	case err == nil:
		m.count(r.lease, res.Usage, uint64(len(res.Body)))
	case errors.As(err, &rerr):
		m.count(r.lease, rerr.Usage, 0) // a failed request consumed CPU too
	}
	if err != nil {
		return nil, err
	}
	return &gateway.Response{Status: res.Status, Header: res.Header, Body: res.Body}, nil
}

// count meters a request: its CPU time and fuel, and egress as the bytes sent to
// egress hosts plus the response body sent back to the caller.
func (m *Manager) count(lease uint64, u runtime.Usage, respBytes uint64) {
	if m.meter != nil {
		m.meter.Add(lease, u.CPU, u.Fuel, uint64(max(u.EgressBytes, 0))+respBytes)
	}
}

// notLoaded tells the gateway this node does not run the service (any more).
type notLoaded struct{ service string }

func (e notLoaded) Error() string       { return "service " + e.service + " is not loaded on this node" }
func (e notLoaded) FailureKind() string { return gateway.KindNotLoaded }

// Local reports whether this node serves service now.
func (m *Manager) Local(service string) bool {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.running[service] != nil
}

// Failure returns why the service's replica could not start here, if it could not.
func (m *Manager) Failure(service string) (string, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	f, ok := m.failed[service]
	return f.reason, ok
}

// Reconcile makes the running replicas match desired. Loading happens in
// the background (a compile can take a second); Reconcile never blocks on it.
func (m *Manager) Reconcile(desired []Desired) {
	want := map[string]Desired{}
	for _, d := range desired {
		want[d.Service] = d
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	clear(m.code)
	for name, d := range want {
		m.code[name] = d.Manifest.Code.Wasm
	}
	for name, f := range m.failed {
		if _, ok := want[name]; !ok && time.Since(f.at) > failureRetention {
			delete(m.failed, name)
		}
	}
	for name, r := range m.running {
		if _, ok := want[name]; !ok {
			delete(m.running, name)
			m.log.Info("replica released", "service", name, "lease", r.lease)
			m.goLocked(func() { m.drain(r) })
		}
	}
	for name, d := range want {
		hash := d.Manifest.Hash()
		if r := m.running[name]; r != nil && r.hash == hash && r.lease == d.LeaseID {
			continue // a new lease for the same version reloads: receipts name their lease
		}
		if m.loading[name] == hash {
			continue
		}
		if f, ok := m.failed[name]; ok && f.hash == hash && f.lease == d.LeaseID {
			continue // this version failed under this lease; a new lease or version gets a new try
		}
		if m.closed {
			return
		}
		m.loading[name] = hash
		m.goLocked(func() { m.load(m.ctx, d, hash) })
	}
}

// load prepares d's version and switches to it once it is warm; the old
// version, if any, keeps serving until then and is drained after.
func (m *Manager) load(ctx context.Context, d Desired, hash string) {
	svc, err := m.start(ctx, d, hash)
	m.mu.Lock()
	if m.loading[d.Service] == hash {
		delete(m.loading, d.Service)
	}
	if err != nil && ctx.Err() != nil {
		m.mu.Unlock()
		m.log.Info("replica start abandoned: the node is stopping", "service", d.Service, "version", hash)
		return
	}
	if err != nil {
		m.failed[d.Service] = failure{hash: hash, lease: d.LeaseID, reason: err.Error(), at: time.Now()}
		m.mu.Unlock()
		m.log.Warn("replica failed to start", "service", d.Service, "version", hash, "err", err)
		return
	}
	delete(m.failed, d.Service)
	if m.closed {
		m.mu.Unlock()
		m.drain(&replica{lease: d.LeaseID, hash: hash, code: d.Manifest.Code.Wasm, svc: svc}) // closed while it loaded
		return
	}
	old := m.running[d.Service]
	m.running[d.Service] = &replica{lease: d.LeaseID, hash: hash, code: d.Manifest.Code.Wasm, svc: svc}
	if old != nil {
		m.goLocked(func() { m.drain(old) })
	}
	m.mu.Unlock()
	m.log.Info("replica serving", "service", d.Service, "version", hash, "lease", d.LeaseID)
}

func (m *Manager) start(ctx context.Context, d Desired, hash string) (*runtime.Service, error) {
	if d.MeterVersion != 0 && d.MeterVersion != fuel.Version {
		return nil, fmt.Errorf("lease %d requires fuel metering version %d, and this node's q1 meters with version %d: "+
			"its usage would be billed and audited under another meter; run a q1 release that meters with version %d",
			d.LeaseID, d.MeterVersion, fuel.Version, d.MeterVersion)
	}
	mf := d.Manifest
	wasmHash, err := blobhash.Parse(mf.Code.Wasm)
	if err != nil {
		return nil, fmt.Errorf("code.wasm: %w", err)
	}
	if reason, bad := m.aheadFailure(wasmHash); bad {
		return nil, fmt.Errorf("module %s does not compile (found when this node compiled it ahead; not compiled again): %s", wasmHash, reason)
	}
	m.touchAhead(wasmHash)
	if !m.blobs.Has(wasmHash) {
		if err := m.blobs.Ensure(ctx, wasmHash, m.peers()); err != nil {
			return nil, fmt.Errorf("fetch wasm %s from peers: %w", wasmHash, err)
		}
	}
	wasm, err := m.readBlob(wasmHash)
	if err != nil {
		return nil, fmt.Errorf("read wasm %s: %w", wasmHash, err)
	}
	spec := m.Spec(d.Service, hash, mf, wasm)
	spec.LeaseID = d.LeaseID
	return m.rt.Load(ctx, spec)
}

// instances is the warm pool size of every service on a node.
const instances = 2

// SetEpoch tells the manager the chain's current epoch. When it changes,
// every running replica moves its instances to it (Service.NewEpoch), so
// that an instance's receipts never span two epochs: each replica starts
// its new instances beside the old ones, which serve until they are warm,
// so an epoch change costs callers no wait. SetEpoch returns once every
// replica switched; until then requests are served, and their receipts
// made, in the old epoch (the agent seals it after SetEpoch returns).
//
// A replica still running code the chain has replaced (its successor is
// loading, or failed to) serves on in the new epoch, unbilled: the chain
// accepts replaced code's receipts only through the epoch after the one it
// was replaced in (x/usage), so an audit drawing a later one would find it
// "not the code of the service" and slash the sharer.
func (m *Manager) SetEpoch(epoch uint64) {
	if m.epoch.Load() == epoch {
		return
	}
	m.mu.RLock()
	for name, r := range m.running {
		if code, ok := m.code[name]; ok && code != r.code {
			m.log.Info("replica serves replaced code until its successor is warm; unbilled from this epoch",
				"service", name, "version", r.hash, "epoch", epoch)
			r.svc.StopReceiptsFrom(epoch)
		}
	}
	m.mu.RUnlock()
	m.newEpoch(epoch)
	// Only now do instances starting (replicas loading) begin in epoch:
	// Service.NewEpoch wants its spec's epoch source to lag.
	m.epoch.Store(epoch)
	// Replicas that finished loading meanwhile started in the old epoch.
	m.newEpoch(epoch)
}

// newEpoch runs Service.NewEpoch on every running replica, side by side
// (the runtime bounds how many instances start at once), and waits.
func (m *Manager) newEpoch(epoch uint64) {
	m.mu.RLock()
	svcs := make([]*runtime.Service, 0, len(m.running))
	for _, r := range m.running {
		svcs = append(svcs, r.svc)
	}
	m.mu.RUnlock()
	var wg sync.WaitGroup
	for _, svc := range svcs {
		wg.Go(func() { svc.NewEpoch(epoch) })
	}
	wg.Wait()
}

// Spec maps a manifest onto what the runtime needs. The manifest's memory
// is per replica; the runtime's per instance, so it is split across the pool.
func (m *Manager) Spec(name, hash string, mf *manifest.Manifest, wasm []byte) runtime.ServiceSpec {
	spec := runtime.ServiceSpec{
		Name:      name,
		Version:   hash,
		Wasm:      wasm,
		Instances: instances,
		Epoch:     m.epoch.Load,
		Receipts:  m.receipts,
		Limits: runtime.Limits{
			MemoryBytes:      uint64(mf.Resources.Memory) / instances,
			RequestTimeout:   mf.Resources.RequestTimeout,
			MaxRequestBytes:  4 << 20,
			MaxResponseBytes: 16 << 20,
		},
	}
	var sink runtime.LogSink
	if m.logs != nil {
		sink = m.logs.Sink(name)
	}
	var secrets runtime.SecretSource
	if m.secrets != nil {
		secrets = m.secrets(name)
	}
	spec.Capabilities = runtime.CapabilitiesWithSecrets(mf, filepath.Join(m.kvDir, name), sink, secrets)
	return spec
}

// drain closes a replica after its in-flight requests finish.
func (m *Manager) drain(r *replica) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := r.svc.Close(ctx); err != nil {
		m.log.Warn("drain replica", "service", r.svc.Name(), "err", err)
	}
}

// Serving returns the lease whose replica of service serves here, if one does.
func (m *Manager) Serving(service string) (lease uint64, ok bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if r := m.running[service]; r != nil {
		return r.lease, true
	}
	return 0, false
}

// DataServices lists the services that have replica-local data on this
// node (a kv store, kept log lines), running or not.
func (m *Manager) DataServices() ([]string, error) {
	var out []string
	if m.logs != nil {
		out = m.logs.Services()
	}
	dirs, err := os.ReadDir(m.kvDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	for _, d := range dirs {
		if d.IsDir() && !slices.Contains(out, d.Name()) {
			out = append(out, d.Name())
		}
	}
	slices.Sort(out)
	return out, nil
}

// RemoveData deletes a service's replica-local data: its kv store and its
// kept log lines.
func (m *Manager) RemoveData(service string) error {
	var errs []error
	if m.logs != nil {
		errs = append(errs, m.logs.Remove(service))
	}
	errs = append(errs, os.RemoveAll(filepath.Join(m.kvDir, service)))
	return errors.Join(errs...)
}

// States lists this node's replicas: serving, loading and failed.
func (m *Manager) States() []q1client.NodeReplica {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := []q1client.NodeReplica{}
	for name, r := range m.running {
		out = append(out, q1client.NodeReplica{Service: name, Lease: r.lease, Version: r.hash, State: "serving"})
	}
	for name, hash := range m.loading {
		out = append(out, q1client.NodeReplica{Service: name, Version: hash, State: "loading"})
	}
	for name, f := range m.failed {
		out = append(out, q1client.NodeReplica{Service: name, Lease: f.lease, Version: f.hash, State: "failed", Reason: f.reason})
	}
	slices.SortFunc(out, func(a, b q1client.NodeReplica) int {
		return cmp.Or(strings.Compare(a.Service, b.Service), strings.Compare(a.State, b.State))
	})
	return out
}

// Stats returns the runtime statistics of every running replica, by service.
func (m *Manager) Stats() map[string]runtime.Stats {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make(map[string]runtime.Stats, len(m.running))
	for name, r := range m.running {
		out[name] = r.svc.Stats()
	}
	return out
}
