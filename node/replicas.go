package node

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/quantum1net/q1/core/manifest"
	"github.com/quantum1net/q1/node/blob"
	"github.com/quantum1net/q1/node/gateway"
	"github.com/quantum1net/q1/node/runtime"
)

// Desired is a replica the chain placed on this node.
type Desired struct {
	LeaseID  uint64
	Service  string
	Manifest *manifest.Manifest
	// Acked is whether the lease is already acknowledged on chain.
	Acked bool
}

// replicaManager keeps the runtime's services equal to the leases the chain
// gave this node: it fetches and verifies wasm, loads new versions beside
// old ones and switches when the new one is warm, drains what is gone, and
// acknowledges leases once their replica serves.
type replicaManager struct {
	rt      *runtime.Runtime
	blobs   *blob.Store
	kvDir   string
	log     *slog.Logger
	peers   func() []string                               // other nodes' API base URLs, to fetch blobs from
	ack     func(ctx context.Context, lease uint64) error // acknowledge a lease on chain
	logs    *serviceLogs
	meter   *meter // counts usage per lease; nil in tests that do not meter
	mu      sync.RWMutex
	running map[string]*replica // by service name
	loading map[string]string   // service → manifest hash being loaded
	failed  map[string]failure  // service → why its current manifest could not load
}

type replica struct {
	lease uint64
	hash  string // manifest hash: the version running
	svc   *runtime.Service
}

type failure struct {
	hash   string
	reason string
	at     time.Time
}

func newReplicaManager(rt *runtime.Runtime, blobs *blob.Store, kvDir string, log *slog.Logger) *replicaManager {
	return &replicaManager{
		rt: rt, blobs: blobs, kvDir: kvDir, log: log,
		peers:   func() []string { return nil },
		ack:     func(context.Context, uint64) error { return nil },
		logs:    newServiceLogs(),
		running: map[string]*replica{},
		loading: map[string]string{},
		failed:  map[string]failure{},
	}
}

// Handle runs a request on the local replica of service (gateway.Runtime).
func (m *replicaManager) Handle(ctx context.Context, service string, req *gateway.Request) (*gateway.Response, error) {
	m.mu.RLock()
	r := m.running[service]
	m.mu.RUnlock()
	if r == nil {
		return nil, notLoaded{service}
	}
	res, err := r.svc.Handle(ctx, &runtime.Request{
		Method: req.Method, Path: req.Path, Host: req.Host, Header: req.Header, Body: req.Body,
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

// count meters a request: its CPU time, and egress as the bytes sent to
// egress hosts plus the response body sent back to the caller.
func (m *replicaManager) count(lease uint64, u runtime.Usage, respBytes uint64) {
	if m.meter != nil {
		m.meter.add(lease, u.CPU, uint64(max(u.EgressBytes, 0))+respBytes)
	}
}

// notLoaded tells the gateway this node does not run the service (any more).
type notLoaded struct{ service string }

func (e notLoaded) Error() string       { return "service " + e.service + " is not loaded on this node" }
func (e notLoaded) FailureKind() string { return gateway.KindNotLoaded }

// Local reports whether this node serves service now.
func (m *replicaManager) Local(service string) bool {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.running[service] != nil
}

// Failure returns why the service's replica could not start here, if it could not.
func (m *replicaManager) Failure(service string) (string, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	f, ok := m.failed[service]
	return f.reason, ok
}

// Reconcile makes the running replicas match desired. Loading happens in
// the background (a compile can take a second); Reconcile never blocks on it.
func (m *replicaManager) Reconcile(ctx context.Context, desired []Desired) {
	want := map[string]Desired{}
	for _, d := range desired {
		want[d.Service] = d
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for name := range m.failed {
		if _, ok := want[name]; !ok {
			delete(m.failed, name)
		}
	}
	for name, r := range m.running {
		if _, ok := want[name]; !ok {
			delete(m.running, name)
			m.log.Info("replica released", "service", name, "lease", r.lease)
			go m.drain(r)
		}
	}
	for name, d := range want {
		hash := d.Manifest.Hash()
		if r := m.running[name]; r != nil && r.hash == hash {
			r.lease = d.LeaseID
			if !d.Acked {
				go m.acknowledge(ctx, d.LeaseID, name)
			}
			continue
		}
		if m.loading[name] == hash {
			continue
		}
		if f, ok := m.failed[name]; ok && f.hash == hash {
			continue // this version cannot run here; a new version gets a new try
		}
		m.loading[name] = hash
		go m.load(ctx, d, hash)
	}
}

// load prepares d's version and switches to it once it is warm; the old
// version, if any, keeps serving until then and is drained after.
func (m *replicaManager) load(ctx context.Context, d Desired, hash string) {
	svc, err := m.start(ctx, d, hash)
	m.mu.Lock()
	if m.loading[d.Service] == hash {
		delete(m.loading, d.Service)
	}
	if err != nil {
		m.failed[d.Service] = failure{hash: hash, reason: err.Error(), at: time.Now()}
		m.mu.Unlock()
		m.log.Warn("replica failed to start", "service", d.Service, "version", hash, "err", err)
		return
	}
	delete(m.failed, d.Service)
	old := m.running[d.Service]
	m.running[d.Service] = &replica{lease: d.LeaseID, hash: hash, svc: svc}
	m.mu.Unlock()
	m.log.Info("replica serving", "service", d.Service, "version", hash, "lease", d.LeaseID)
	if old != nil {
		go m.drain(old)
	}
	if !d.Acked {
		m.acknowledge(ctx, d.LeaseID, d.Service)
	}
}

func (m *replicaManager) start(ctx context.Context, d Desired, hash string) (*runtime.Service, error) {
	mf := d.Manifest
	wasmHash, err := blob.ParseHash(mf.Code.Wasm)
	if err != nil {
		return nil, fmt.Errorf("code.wasm: %w", err)
	}
	if !m.blobs.Has(wasmHash) {
		if err := m.blobs.Ensure(ctx, wasmHash, m.peers()); err != nil {
			return nil, fmt.Errorf("fetch wasm %s from peers: %w", wasmHash, err)
		}
	}
	f, _, err := m.blobs.Open(wasmHash)
	if err != nil {
		return nil, fmt.Errorf("open wasm %s: %w", wasmHash, err)
	}
	wasm, err := io.ReadAll(f) // the blob store bounds a module's size
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("read wasm %s: %w", wasmHash, err)
	}
	return m.rt.Load(ctx, m.spec(d.Service, hash, mf, wasm))
}

// instances is the warm pool size of every service on a node.
const instances = 2

// spec maps a manifest onto what the runtime needs. The manifest's memory
// is per replica; the runtime's per instance, so it is split across the pool.
func (m *replicaManager) spec(name, hash string, mf *manifest.Manifest, wasm []byte) runtime.ServiceSpec {
	spec := runtime.ServiceSpec{
		Name:      name,
		Version:   hash,
		Wasm:      wasm,
		Instances: instances,
		Limits: runtime.Limits{
			MemoryBytes:      uint64(mf.Resources.Memory) / instances,
			RequestTimeout:   mf.Resources.RequestTimeout,
			MaxRequestBytes:  4 << 20,
			MaxResponseBytes: 16 << 20,
		},
	}
	spec.Capabilities = runtime.CapabilitiesFor(mf, filepath.Join(m.kvDir, name), lazySink{m.logs, name})
	return spec
}

func (m *replicaManager) acknowledge(ctx context.Context, lease uint64, service string) {
	if err := m.ack(ctx, lease); err != nil {
		m.log.Warn("lease acknowledgement failed; will retry", "service", service, "lease", lease, "err", err)
	}
}

// drain closes a replica after its in-flight requests finish.
func (m *replicaManager) drain(r *replica) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := r.svc.Close(ctx); err != nil {
		m.log.Warn("drain replica", "service", r.svc.Name(), "err", err)
	}
}

// RemoveData deletes a service's replica-local data (its kv store).
func (m *replicaManager) RemoveData(service string) error {
	return os.RemoveAll(filepath.Join(m.kvDir, service))
}

// ReplicaState is what a node says about one of its replicas.
type ReplicaState struct {
	Service string `json:"service"`
	Lease   uint64 `json:"lease,omitempty"`
	// Version is the manifest hash running (or failing, or loading).
	Version string `json:"version"`
	// State is serving, loading or failed.
	State  string `json:"state"`
	Reason string `json:"reason,omitempty"`
}

// States lists this node's replicas: serving, loading and failed.
func (m *replicaManager) States() []ReplicaState {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := []ReplicaState{}
	for name, r := range m.running {
		out = append(out, ReplicaState{Service: name, Lease: r.lease, Version: r.hash, State: "serving"})
	}
	for name, hash := range m.loading {
		out = append(out, ReplicaState{Service: name, Version: hash, State: "loading"})
	}
	for name, f := range m.failed {
		out = append(out, ReplicaState{Service: name, Version: f.hash, State: "failed", Reason: f.reason})
	}
	slices.SortFunc(out, func(a, b ReplicaState) int {
		return cmp.Or(strings.Compare(a.Service, b.Service), strings.Compare(a.State, b.State))
	})
	return out
}

// Precompile compiles an uploaded module into the on-disk cache in the
// background, so that a replica placed on this node starts in milliseconds
// instead of seconds. Modules that do not compile are left for the replica
// to report.
func (m *replicaManager) Precompile(h blob.Hash) {
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		f, _, err := m.blobs.Open(h)
		if err != nil {
			return
		}
		wasm, err := io.ReadAll(f)
		f.Close()
		if err != nil || len(wasm) < 4 || string(wasm[:4]) != "\x00asm" {
			return
		}
		start := time.Now()
		if _, err := m.rt.Compile(ctx, wasm); err != nil {
			m.log.Info("uploaded module does not compile", "hash", h, "err", err)
			return
		}
		m.log.Info("uploaded module compiled ahead", "hash", h, "took", time.Since(start).Round(time.Millisecond))
	}()
}

// lazySink makes a service's log buffer when its first line arrives, so a
// service that never logs costs no buffer.
type lazySink struct {
	logs    *serviceLogs
	service string
}

func (s lazySink) WriteLog(l runtime.LogLine) { s.logs.sink(s.service).WriteLog(l) }
