package gateway

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"

	"github.com/quantum1net/q1/client/reqsign"
	"github.com/quantum1net/q1/core/manifest"
)

// t0 is the fixed start of the tests' clock: 2026-01-01T00:00:00Z.
var t0 = time.Unix(1767225600, 0)

// fakeClock is a settable clock shared by gateways and verifiers.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func testKey(name string) *secp256k1.PrivKey { return secp256k1.GenPrivKeyFromSecret([]byte(name)) }

func addressOf(t testing.TB, key *secp256k1.PrivKey) string {
	t.Helper()
	addr, err := reqsign.AccountAddress(reqsign.AccountPrefix, key.PubKey())
	if err != nil {
		t.Fatal(err)
	}
	return addr
}

// fakeNodeKeys holds the node keys "registered on chain".
type fakeNodeKeys struct {
	mu   sync.Mutex
	keys map[string]*secp256k1.PubKey
}

func (k *fakeNodeKeys) register(addr string, key *secp256k1.PrivKey) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.keys[addr] = key.PubKey().(*secp256k1.PubKey)
}

func (k *fakeNodeKeys) PubKey(sharer string) ([]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	pub, ok := k.keys[sharer]
	if !ok {
		return nil, fmt.Errorf("sharer %s registered no node key", sharer)
	}
	return pub.Key, nil
}

// fakeService is one service in fakeChain.
type fakeService struct {
	state    ServiceState
	manifest *manifest.Manifest
	replicas []Replica
}

// fakeChain is the committed state every test node sees.
type fakeChain struct {
	mu       sync.Mutex
	services map[string]*fakeService
}

func (c *fakeChain) set(name string, s *fakeService) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.services[name] = s
}

func (c *fakeChain) get(name string) (*fakeService, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.services[name]
	return s, ok
}

func (c *fakeChain) Status(name string) ServiceState {
	s, ok := c.get(name)
	if !ok {
		return ServiceState{}
	}
	return s.state
}

func (c *fakeChain) Manifest(name string) (*manifest.Manifest, bool) {
	s, ok := c.get(name)
	if !ok || s.manifest == nil {
		return nil, false
	}
	return s.manifest, true
}

func (c *fakeChain) Replicas(name string) []Replica {
	s, ok := c.get(name)
	if !ok {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Replica(nil), s.replicas...)
}

// runtimeError is a failure of fakeRuntime with a kind.
type runtimeError struct{ kind, msg string }

func (e *runtimeError) Error() string       { return e.msg }
func (e *runtimeError) FailureKind() string { return e.kind }

// fakeRuntime serves the services loaded on one node with handler (by
// default a greeting naming the node) and records what it was asked.
type fakeRuntime struct {
	node    string
	mu      sync.Mutex
	loaded  map[string]bool
	handler func(service string, req *Request) (*Response, error)
	calls   []*Request
}

func (r *fakeRuntime) load(service string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.loaded[service] = true
}

func (r *fakeRuntime) Handle(_ context.Context, service string, req *Request) (*Response, error) {
	r.mu.Lock()
	loaded, h := r.loaded[service], r.handler
	if loaded {
		r.calls = append(r.calls, req)
	}
	r.mu.Unlock()
	if !loaded {
		return nil, &runtimeError{KindNotLoaded, fmt.Sprintf("service %s is not loaded on node %s", service, r.node)}
	}
	if h != nil {
		return h(service, req)
	}
	return &Response{Status: 200, Header: http.Header{"Content-Type": {"text/plain"}},
		Body: []byte("hello from " + r.node + " at " + req.Path)}, nil
}

func (r *fakeRuntime) setHandler(h func(service string, req *Request) (*Response, error)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.handler = h
}

func (r *fakeRuntime) requests() []*Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*Request(nil), r.calls...)
}

// observation is one Meter.Observe call.
type observation struct {
	service             string
	local               bool
	status              int
	reqBytes, respBytes int64
}

type fakeMeter struct {
	mu  sync.Mutex
	obs []observation
}

func (m *fakeMeter) Observe(service string, local bool, status int, _ time.Duration, reqBytes, respBytes int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.obs = append(m.obs, observation{service, local, status, reqBytes, respBytes})
}

func (m *fakeMeter) all() []observation {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]observation(nil), m.obs...)
}

// network is a set of test nodes sharing one chain, one key registry and
// one clock, each with its own gateway on a real localhost listener and its
// own verifier (as separate nodes have).
type network struct {
	t     testing.TB
	clock *fakeClock
	now   func() time.Time // the clock of gateways and verifiers: clock.Now unless a benchmark sets time.Now
	chain *fakeChain
	keys  *fakeNodeKeys
}

func newNetwork(t testing.TB) *network {
	clock := &fakeClock{now: t0}
	return &network{
		t:     t,
		clock: clock,
		now:   clock.Now,
		chain: &fakeChain{services: make(map[string]*fakeService)},
		keys:  &fakeNodeKeys{keys: make(map[string]*secp256k1.PubKey)},
	}
}

type testNode struct {
	name  string
	addr  string
	key   *secp256k1.PrivKey
	gw    *Gateway
	srv   *httptest.Server
	rt    *fakeRuntime
	meter *fakeMeter
}

// node starts a node whose gateway answers on "localhost" and "gw.test".
func (n *network) node(name string, cfg Config) *testNode {
	t := n.t
	t.Helper()
	key := testKey("node-" + name)
	tn := &testNode{name: name, addr: addressOf(t, key), key: key, meter: &fakeMeter{}}
	tn.rt = &fakeRuntime{node: name, loaded: make(map[string]bool)}
	n.keys.register(tn.addr, key)
	verifier, err := reqsign.NewVerifier(reqsign.WithClock(n.now))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.BaseHosts == nil {
		cfg.BaseHosts = []string{"localhost", "gw.test"}
	}
	tn.gw, err = New(cfg, Deps{
		Self:     tn.addr,
		Runtime:  tn.rt,
		Chain:    n.chain,
		Verifier: verifier,
		NodeKey:  key,
		NodeKeys: n.keys,
		Meter:    tn.meter,
	}, WithClock(n.now))
	if err != nil {
		t.Fatal(err)
	}
	tn.gw.bal.intn = func(int) int { return 0 } // deterministic: the first healthy remote replica
	tn.srv = httptest.NewServer(tn.gw)
	t.Cleanup(tn.srv.Close)
	return tn
}

// sharer registers a node key for a sharer that runs no test node (a dead
// or misbehaving peer) and returns its address.
func (n *network) sharer(name string) string {
	key := testKey("node-" + name)
	addr := addressOf(n.t, key)
	n.keys.register(addr, key)
	return addr
}

// replica is tn's lease, as the chain lists it.
func (tn *testNode) replica() Replica { return Replica{Sharer: tn.addr, Endpoint: tn.srv.URL} }

// deploy registers service with manifest m and leases on the given
// replicas; nodes in holders load it.
func (n *network) deploy(service string, m *manifest.Manifest, replicas []Replica, holders ...*testNode) {
	n.chain.set(service, &fakeService{state: ServiceState{Exists: true}, manifest: m, replicas: replicas})
	for _, h := range holders {
		h.rt.load(service)
	}
}

// testManifest parses a manifest for service with the given YAML lines
// under permissions (callers) and policies.
func testManifest(t testing.TB, service, callers, policies string) *manifest.Manifest {
	t.Helper()
	doc := "apiVersion: q1/v1\nname: " + service + "\n" +
		"code:\n  wasm: sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824\n" +
		"permissions:\n  owners:\n    accounts: [q11qyqszqgpqyqszqgpqyqszqgpqyqszqgpjtw6m7]\n" + callers +
		policies +
		"resources:\n  memory: 32Mi\n  requestTimeout: 2s\n" +
		"pricing:\n  cpuPerCoreSecond: 500uqc\n  memoryPerMiBHour: 2uqc\n  storagePerGiBHour: 50uqc\n" +
		"  per1kRequests: 10uqc\n  egressPerGiB: 5000uqc\n"
	m, err := manifest.Parse([]byte(doc), manifest.ParseOptions{})
	if err != nil {
		t.Fatalf("parse test manifest: %v\n%s", err, doc)
	}
	return m
}

// publicManifest lets everyone call every path.
func publicManifest(t testing.TB, service string) *manifest.Manifest {
	return testManifest(t, service, "", "")
}

// result is what a test client received.
type result struct {
	status int
	header http.Header
	body   string
}

// request builds a request to tn with the given Host header and target.
func request(t testing.TB, tn *testNode, method, host, target string, body []byte) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, tn.srv.URL+target, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	return req
}

// port is the port tn's gateway listens on.
func (tn *testNode) port(t testing.TB) string {
	t.Helper()
	_, port, err := net.SplitHostPort(strings.TrimPrefix(tn.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// sign signs req for service with key at the network's current time. A
// Host without a port gets the port req is sent to, as a real client's
// would: signatures are bound to host and port.
func (n *network) sign(req *http.Request, body []byte, key *secp256k1.PrivKey, service string) *http.Request {
	n.t.Helper()
	if _, _, err := net.SplitHostPort(req.Host); err != nil && req.Host != "" && req.URL.Port() != "" {
		req.Host += ":" + req.URL.Port()
	}
	return n.signAsIs(req, body, key, service)
}

// signAsIs signs req for service with its Host exactly as set.
func (n *network) signAsIs(req *http.Request, body []byte, key *secp256k1.PrivKey, service string) *http.Request {
	n.t.Helper()
	if err := reqsign.SignRequest(req, body, reqsign.KeySigner{Key: key}, service, n.now()); err != nil {
		n.t.Fatal(err)
	}
	return req
}

func send(t testing.TB, req *http.Request) result {
	t.Helper()
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return result{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

// get sends a GET with Host host for target to tn.
func get(t testing.TB, tn *testNode, host, target string) result {
	t.Helper()
	return send(t, request(t, tn, http.MethodGet, host, target, nil))
}

// expect checks the status and that the body contains every part.
func expect(t testing.TB, got result, status int, parts ...string) {
	t.Helper()
	if got.status != status {
		t.Errorf("status %d, want %d; body: %s", got.status, status, got.body)
	}
	for _, p := range parts {
		if !strings.Contains(got.body, p) {
			t.Errorf("body %q does not contain %q", got.body, p)
		}
	}
}

// closedEndpoint returns a URL on which nothing listens.
func closedEndpoint(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return "http://" + addr
}

// rawPeer is a TCP server that reads one request, counts it, and answers
// with the raw bytes of reply (then hangs up).
type rawPeer struct {
	ln   net.Listener
	done chan struct{} // closed when the test ends
	mu   sync.Mutex
	hits int
}

func newRawPeer(t testing.TB, reply string) *rawPeer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &rawPeer{ln: ln, done: make(chan struct{})}
	t.Cleanup(func() {
		close(p.done)
		ln.Close()
	})
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(conn, reply)
		}
	}()
	return p
}

// hangReply makes a rawPeer read the request and then say nothing until
// the test ends.
const hangReply = "\x00hang"

func (p *rawPeer) serve(conn net.Conn, reply string) {
	defer conn.Close()
	req, err := http.ReadRequest(bufio.NewReader(conn))
	if err != nil {
		return
	}
	_, _ = io.Copy(io.Discard, req.Body)
	p.mu.Lock()
	p.hits++
	p.mu.Unlock()
	if reply == hangReply {
		<-p.done
		return
	}
	_, _ = io.WriteString(conn, reply)
}

func (p *rawPeer) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.hits
}

func (p *rawPeer) endpoint() string { return "http://" + p.ln.Addr().String() }
