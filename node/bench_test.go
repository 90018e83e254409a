//go:build linux

package node

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	goruntime "runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"

	"github.com/quantum1net/q1/client/blobhash"
	"github.com/quantum1net/q1/client/reqsign"
	"github.com/quantum1net/q1/core/manifest"
	"github.com/quantum1net/q1/node/agent"
	"github.com/quantum1net/q1/node/blob"
	"github.com/quantum1net/q1/node/gateway"
	"github.com/quantum1net/q1/node/receipts"
	"github.com/quantum1net/q1/node/replicas"
	"github.com/quantum1net/q1/node/runtime"
)

// Benchmarks of the service path behind docs/benchmarks.md ("Runtime and
// gateway"): the real runtime running examples/hello behind the real
// gateway, against a plain net/http handler in the same run. Only the chain
// is a fake (an in-memory gateway.Chain, as the node's chainView serves from
// its cache). They read /proc, hence linux only.
//
//	go test -run '^$' -bench . -benchtime 10s ./node/

// benchWorkers is how many clients the throughput benchmark runs at once,
// each in a closed loop over its own keep-alive connection.
var benchWorkers = 4 * goruntime.GOMAXPROCS(0)

// benchChain is the committed state both benchmark nodes see: hello with
// one replica, and the nodes' hot keys. It implements gateway.Chain and
// gateway.NodeKeys from memory.
type benchChain struct {
	manifest *manifest.Manifest
	replicas []gateway.Replica
	keys     map[string][]byte // sharer → compressed hot public key
}

func (c *benchChain) Status(service string) gateway.ServiceState {
	return gateway.ServiceState{Exists: service == c.manifest.Name}
}

func (c *benchChain) Manifest(service string) (*manifest.Manifest, bool) {
	return c.manifest, service == c.manifest.Name
}

func (c *benchChain) Replicas(service string) []gateway.Replica {
	if service != c.manifest.Name {
		return nil
	}
	return c.replicas
}

func (c *benchChain) PubKey(sharer string) ([]byte, error) {
	if k, ok := c.keys[sharer]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("no sharer %s in the benchmark's chain", sharer)
}

// benchManifest is examples/hello/service.yaml as q1 service deploy fills
// it: code.wasm from the module, the owner.
func benchManifest(b *testing.B, wasm blobhash.Hash) *manifest.Manifest {
	b.Helper()
	data, err := os.ReadFile(filepath.Join("..", "examples", "hello", "service.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	m, err := manifest.Parse(data, manifest.ParseOptions{AllowMissingWasm: true, AllowMissingOwners: true})
	if err != nil {
		b.Fatal(err)
	}
	m.Code.Wasm = wasm.String()
	m.Permissions.Owners = manifest.Owners{Accounts: []string{owner}, Threshold: 1}
	return m
}

// benchRuntime starts a runtime and a replica manager as a node does, with
// hello's module in the blob store, and returns them with hello's manifest.
func benchRuntime(b *testing.B) (*runtime.Runtime, *replicas.Manager, *manifest.Manifest) {
	b.Helper()
	ctx := context.Background()
	home := b.TempDir()
	rt, err := runtime.New(filepath.Join(home, "wasm-cache"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { rt.Close(context.Background()) })
	store, err := blob.Open(filepath.Join(home, "blobs"))
	if err != nil {
		b.Fatal(err)
	}
	h, _, err := store.Put(ctx, bytes.NewReader(helloWasm), blobhash.Hash{}, owner)
	if err != nil {
		b.Fatal(err)
	}
	rcpts, err := receipts.Open(filepath.Join(home, "receipts"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { rcpts.Close() })
	meter, err := agent.LoadMeter(filepath.Join(home, "usage.json"), rcpts)
	if err != nil {
		b.Fatal(err)
	}
	m := replicas.New(rt, store, filepath.Join(home, "kv"), replicas.WithMeter(meter), replicas.WithReceipts(rcpts))
	b.Cleanup(func() { m.Close(context.Background()) })
	return rt, m, benchManifest(b, h)
}

// target is one of the three things the benchmark calls.
type target struct {
	name string
	url  string // http://127.0.0.1:port/greet
	host string // the Host header
	want []byte // the body every answer must carry
}

// servicePath is the benchmark's world: a plain handler; node a, holding
// hello's replica; node b, holding none, which forwards to a. All serve
// real loopback HTTP with the node's own http.Server settings.
type servicePath struct {
	plain, local, forwarded target
	client                  *http.Client
	replicas                *replicas.Manager // node a's
	service                 string
}

// guestCPU returns the guest CPU time hello's replica has used and the
// requests it ran, as the runtime meters them.
func (p *servicePath) guestCPU() (time.Duration, uint64) {
	st := p.replicas.Stats()[p.service]
	return st.CPU, st.Requests
}

// reportGuestCPU reports the metered guest CPU per request since the
// guestCPU reading cpu0, n0.
func (p *servicePath) reportGuestCPU(b *testing.B, cpu0 time.Duration, n0 uint64) {
	cpu, n := p.guestCPU()
	if n > n0 {
		b.ReportMetric(micros(cpu-cpu0)/float64(n-n0), "guest-cpu-µs/req")
	}
}

func newServicePath(b *testing.B) *servicePath {
	b.Helper()
	rt, reps, mf := benchRuntime(b)
	startReplica(b, reps, mf)
	lnA, urlA := benchListen(b)
	lnB, urlB := benchListen(b)
	lnP, urlP := benchListen(b)

	keyA, keyB := secp256k1.GenPrivKey(), secp256k1.GenPrivKey()
	addrA, addrB := sharerAddress(b, keyA), sharerAddress(b, keyB)
	chain := &benchChain{
		manifest: mf,
		replicas: []gateway.Replica{{Sharer: addrA, Endpoint: urlA}},
		keys:     map[string][]byte{addrA: keyA.PubKey().Bytes(), addrB: keyB.PubKey().Bytes()},
	}
	meter := newMetrics(reps)
	// Node b's runtime holds no replica, as on a node that was not placed.
	idle := replicas.New(rt, nil, b.TempDir())
	b.Cleanup(func() { idle.Close(context.Background()) })
	benchServe(b, lnA, benchGateway(b, addrA, keyA, reps, chain, meter, lnA.Addr().String()))
	benchServe(b, lnB, benchGateway(b, addrB, keyB, idle, chain, meter, lnB.Addr().String()))

	transport := &http.Transport{MaxIdleConnsPerHost: 2 * benchWorkers, DisableCompression: true}
	b.Cleanup(transport.CloseIdleConnections)
	p := &servicePath{client: &http.Client{Transport: transport}, replicas: reps, service: mf.Name}
	host := mf.Name + ".localhost"
	p.local = target{name: "gateway, local replica", url: urlA + "/greet", host: host}
	p.forwarded = target{name: "gateway, forwarded", url: urlB + "/greet", host: host}

	// The plain handler answers with exactly what hello answers.
	res, err := p.client.Do(p.local.request())
	if err != nil {
		b.Fatal(err)
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil || res.StatusCode != http.StatusOK {
		b.Fatalf("hello through the gateway: status %d, body %q, %v", res.StatusCode, body, err)
	}
	contentType := res.Header.Get("Content-Type")
	benchServe(b, lnP, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.Write(body)
	}))
	p.plain = target{name: "plain net/http", url: urlP + "/greet", host: "localhost"}
	for _, t := range []*target{&p.plain, &p.local, &p.forwarded} {
		t.want = body
	}

	// Warm up: open every keep-alive connection, client to node and node
	// to node, and let the runtime's instances run the path once.
	for _, t := range []target{p.plain, p.local, p.forwarded} {
		if _, err := p.run(t, 20*benchWorkers, benchWorkers); err != nil {
			b.Fatal(err)
		}
	}
	return p
}

// startReplica gives replicas a lease of mf and waits until it serves.
func startReplica(b *testing.B, reps *replicas.Manager, mf *manifest.Manifest) {
	b.Helper()
	reps.Reconcile([]replicas.Desired{{LeaseID: 1, Service: mf.Name, Manifest: mf}})
	deadline := time.Now().Add(2 * time.Minute)
	for !reps.Local(mf.Name) {
		if reason, failed := reps.Failure(mf.Name); failed {
			b.Fatalf("hello's replica failed to start: %s", reason)
		}
		if time.Now().After(deadline) {
			b.Fatal("hello's replica did not start within 2 minutes")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// benchGateway is a node's gateway as gatewaySwitch builds it.
func benchGateway(b *testing.B, self string, key *secp256k1.PrivKey, rt gateway.Runtime, chain *benchChain,
	meter gateway.Meter, addr string) http.Handler {
	b.Helper()
	verifier, err := reqsign.NewVerifier()
	if err != nil {
		b.Fatal(err)
	}
	g, err := gateway.New(gateway.Config{BaseHosts: baseHosts(addr)}, gateway.Deps{
		Self: self, Runtime: rt, Chain: chain, Verifier: verifier,
		NodeKey: key, NodeKeys: chain, Meter: meter,
	}, gateway.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		b.Fatal(err)
	}
	return g
}

func benchListen(b *testing.B) (net.Listener, string) {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	return ln, "http://" + ln.Addr().String()
}

// benchServe serves h on ln with the node's http.Server settings until
// the benchmark ends.
func benchServe(b *testing.B, ln net.Listener, h http.Handler) {
	srv := newServer(h, slog.New(slog.DiscardHandler))
	go srv.Serve(ln)
	b.Cleanup(func() { srv.Close() })
}

func sharerAddress(b *testing.B, key *secp256k1.PrivKey) string {
	addr, err := reqsign.AccountAddress(reqsign.AccountPrefix, key.PubKey())
	if err != nil {
		b.Fatal(err)
	}
	return addr
}

func (t target) request() *http.Request {
	req, err := http.NewRequest(http.MethodGet, t.url, nil)
	if err != nil {
		panic(err) // the benchmark built the URL
	}
	req.Host = t.host
	return req
}

// call sends one request and returns its latency: from sending to the
// last byte of the body.
func (p *servicePath) call(t target) (time.Duration, error) {
	req := t.request()
	start := time.Now()
	res, err := p.client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", t.name, err)
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	d := time.Since(start)
	if err != nil {
		return 0, fmt.Errorf("%s: read the body: %w", t.name, err)
	}
	if res.StatusCode != http.StatusOK || !bytes.Equal(body, t.want) {
		return 0, fmt.Errorf("%s: status %d, body %q; want 200 and %q", t.name, res.StatusCode, body, t.want)
	}
	return d, nil
}

// phase is what one closed-loop run measured.
type phase struct {
	wall      time.Duration
	cpu       time.Duration // the process's CPU time: clients and servers
	latencies []time.Duration
}

// run sends n requests to t from workers clients in a closed loop.
func (p *servicePath) run(t target, n, workers int) (phase, error) {
	var (
		mu   sync.Mutex
		out  = phase{latencies: make([]time.Duration, 0, n)}
		errs []error
		wg   sync.WaitGroup
	)
	cpu0 := processCPU()
	start := time.Now()
	for w := range workers {
		share := n / workers
		if w < n%workers {
			share++
		}
		wg.Go(func() {
			mine := make([]time.Duration, 0, share)
			var err error
			for range share {
				var d time.Duration
				if d, err = p.call(t); err != nil {
					break
				}
				mine = append(mine, d)
			}
			mu.Lock()
			defer mu.Unlock()
			out.latencies = append(out.latencies, mine...)
			if err != nil {
				errs = append(errs, err)
			}
		})
	}
	wg.Wait()
	out.wall = time.Since(start)
	out.cpu = processCPU() - cpu0
	if len(errs) > 0 {
		return out, errs[0]
	}
	return out, nil
}

// processCPU is the user and system CPU time this process used so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err) // RUSAGE_SELF cannot fail on linux
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// percentile returns the q-th percentile (0 < q < 1) of ds, sorting ds.
func percentile(ds []time.Duration, q float64) time.Duration {
	slices.Sort(ds)
	return ds[min(len(ds)-1, int(float64(len(ds))*q))]
}

func micros(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// BenchmarkServicePath measures warm requests for hello through the
// gateway, beside a plain net/http handler returning the same bytes, all
// over loopback HTTP with keep-alive:
//
//   - latency: one client; each iteration sends one request to the plain
//     handler, one to node a (replica local) and one to node b (forwarded
//     to a), interleaved so machine noise hits all three alike. Reports
//     p50 and p99 of each, the local/plain p50 ratio and what the forward
//     hop adds at p50 (forwarded p50 − local p50). ns/op is the three
//     requests together.
//   - throughput: benchWorkers clients in a closed loop send b.N requests
//     to each target, in five interleaved rounds (plain, local, forwarded,
//     plain, ...). Reports each target's requests per second, its p50 and
//     p99 under that load, the process's CPU time per request (clients and
//     servers together, as they share the machine), and the rate ratios.
//
// The replica runs as the node runs it: the manifest of examples/hello, a
// pool of two instances, metering on, the node's Prometheus metrics.
func BenchmarkServicePath(b *testing.B) {
	if testing.Short() {
		b.Skip("starts a runtime and three HTTP servers; skipped in -short mode")
	}
	p := newServicePath(b)
	b.Run("latency", func(b *testing.B) {
		var dp, dl, df []time.Duration
		cpu0, n0 := p.guestCPU()
		for b.Loop() {
			for _, c := range []struct {
				t  target
				ds *[]time.Duration
			}{{p.plain, &dp}, {p.local, &dl}, {p.forwarded, &df}} {
				d, err := p.call(c.t)
				if err != nil {
					b.Fatal(err)
				}
				*c.ds = append(*c.ds, d)
			}
		}
		pp, pl, pf := percentile(dp, .5), percentile(dl, .5), percentile(df, .5)
		b.ReportMetric(micros(pp), "plain-p50-µs")
		b.ReportMetric(micros(percentile(dp, .99)), "plain-p99-µs")
		b.ReportMetric(micros(pl), "local-p50-µs")
		b.ReportMetric(micros(percentile(dl, .99)), "local-p99-µs")
		b.ReportMetric(micros(pf), "fwd-p50-µs")
		b.ReportMetric(micros(percentile(df, .99)), "fwd-p99-µs")
		b.ReportMetric(float64(pl)/float64(pp), "local/plain-p50")
		b.ReportMetric(micros(pf-pl), "hop-p50-µs")
		p.reportGuestCPU(b, cpu0, n0)
	})
	b.Run("throughput", func(b *testing.B) {
		rounds := min(b.N, 5)
		total := map[string]*phase{p.plain.name: {}, p.local.name: {}, p.forwarded.name: {}}
		cpu0, n0 := p.guestCPU()
		for r := range rounds {
			n := b.N / rounds
			if r == rounds-1 {
				n += b.N % rounds
			}
			for _, t := range []target{p.plain, p.local, p.forwarded} {
				ph, err := p.run(t, n, benchWorkers)
				if err != nil {
					b.Fatal(err)
				}
				sum := total[t.name]
				sum.wall += ph.wall
				sum.cpu += ph.cpu
				sum.latencies = append(sum.latencies, ph.latencies...)
			}
		}
		rate := func(t target) float64 { return float64(b.N) / total[t.name].wall.Seconds() }
		for _, t := range []struct {
			target
			label string
		}{{p.plain, "plain"}, {p.local, "local"}, {p.forwarded, "fwd"}} {
			ph := total[t.name]
			b.ReportMetric(rate(t.target), t.label+"-req/s")
			b.ReportMetric(micros(percentile(ph.latencies, .5)), t.label+"-p50-µs")
			b.ReportMetric(micros(percentile(ph.latencies, .99)), t.label+"-p99-µs")
			b.ReportMetric(micros(ph.cpu)/float64(b.N), t.label+"-cpu-µs/req")
		}
		b.ReportMetric(rate(p.local)/rate(p.plain), "local/plain-req/s")
		b.ReportMetric(rate(p.forwarded)/rate(p.plain), "fwd/plain-req/s")
		p.reportGuestCPU(b, cpu0, n0)
	})
}

// memSample is the process's memory at one moment, after a full GC that
// returned what it could to the OS.
type memSample struct{ heap, rss uint64 }

func sampleMemory(b *testing.B) memSample {
	debug.FreeOSMemory()
	var ms goruntime.MemStats
	goruntime.ReadMemStats(&ms)
	statm, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		b.Fatal(err)
	}
	fields := strings.Fields(string(statm))
	pages, err := strconv.ParseUint(fields[1], 10, 64)
	if err != nil {
		b.Fatalf("/proc/self/statm %q: %v", statm, err)
	}
	return memSample{heap: ms.HeapAlloc, rss: pages * uint64(os.Getpagesize())}
}

// minus is s − o per field, as signed numbers: memory can shrink between
// samples when a collection frees more than a load allocated.
func (s memSample) minus(o memSample) (heap, rss float64) {
	return float64(int64(s.heap - o.heap)), float64(int64(s.rss - o.rss))
}

// BenchmarkReplicaMemory measures what a warm replica of hello costs the
// node, loaded from a warm compilation cache as after a restart or a
// precompiled upload. Each iteration loads hello as the replica manager
// does (a pool of two instances) and measures the process's Go heap and
// resident memory before and after; then loads it again with
// extraInstances more instances, so the difference between the two is
// the cost of one more instance, apart from the service's fixed part (its
// wazero runtime, compiled code, host module). Both are closed before the
// next iteration. ns/op is the two loads; load-ms/replica is the first.
//
// The heap counts each instance's wasm linear memory in full (wazero
// allocates it on the Go heap); resident memory only the pages touched.
func BenchmarkReplicaMemory(b *testing.B) {
	if testing.Short() {
		b.Skip("loads hello many times; skipped in -short mode")
	}
	const extraInstances = 8
	ctx := context.Background()
	rt, replicas, mf := benchRuntime(b)
	if _, err := rt.Compile(ctx, helloWasm); err != nil {
		b.Fatal(err)
	}
	spec := replicas.Spec(mf.Name, mf.Hash(), mf, helloWasm)
	bigSpec := spec
	bigSpec.Name, bigSpec.Instances = mf.Name+"-big", spec.Instances+extraInstances

	var replicaHeap, replicaRSS, instHeap, instRSS float64
	var loadTime time.Duration
	for b.Loop() {
		base := sampleMemory(b)
		start := time.Now()
		svc, err := rt.Load(ctx, spec)
		if err != nil {
			b.Fatal(err)
		}
		loadTime += time.Since(start)
		one := sampleMemory(b)
		big, err := rt.Load(ctx, bigSpec)
		if err != nil {
			b.Fatal(err)
		}
		two := sampleMemory(b)
		h1, r1 := one.minus(base)
		h2, r2 := two.minus(one)
		replicaHeap += h1
		replicaRSS += r1
		instHeap += (h2 - h1) / extraInstances
		instRSS += (r2 - r1) / extraInstances
		if err := svc.Close(ctx); err != nil {
			b.Fatal(err)
		}
		if err := big.Close(ctx); err != nil {
			b.Fatal(err)
		}
	}
	n := float64(b.N)
	b.ReportMetric(float64(loadTime)/float64(time.Millisecond)/n, "load-ms/replica")
	b.ReportMetric(replicaHeap/n/(1<<20), "heap-MiB/replica")
	b.ReportMetric(replicaRSS/n/(1<<20), "rss-MiB/replica")
	b.ReportMetric(instHeap/n/(1<<20), "heap-MiB/instance")
	b.ReportMetric(instRSS/n/(1<<20), "rss-MiB/instance")
}
