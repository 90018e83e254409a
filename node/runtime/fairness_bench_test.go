package runtime_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"

	"github.com/quantum1net/q1/client/reqsign"
	"github.com/quantum1net/q1/core/manifest"
	"github.com/quantum1net/q1/node/gateway"
	"github.com/quantum1net/q1/node/runtime"
)

// BenchmarkFairness is the hostile-load benchmark behind docs/benchmarks.md
// ("Fairness under hostile load"): the real runtime and gateway on loopback
// HTTP, with two services on the node: hello, well behaved, called by 4
// clients in closed loops; and runaway (node/runtime/testdata/hostile),
// whose every request spins until its 60 s timeout, kept at its limit by 6
// callers that retry at once whatever they get, while 20 slow clients hold
// connections dribbling 4 MiB bodies to it. Each phase reports hello's
// success rate and p99 latency; the same run measures hello alone first, and
// the attack with the time slice off (WithMaxOvertimeGuests(0), as before
// fair scheduling: a spinning guest keeps its slot) for comparison.
//
//	go test -run '^$' -bench Fairness -benchtime 1x ./node/runtime/
func BenchmarkFairness(b *testing.B) {
	const phase = 8 * time.Second
	for b.Loop() {
		base := fairnessPhase(b, phase, false)
		fair := fairnessPhase(b, phase, true)
		unsliced := fairnessPhase(b, phase, true, runtime.WithMaxOvertimeGuests(0))
		b.ReportMetric(base.p99ms(), "alone-p99-ms")
		b.ReportMetric(fair.successPct(), "attacked-success-%")
		b.ReportMetric(fair.p99ms(), "attacked-p99-ms")
		b.ReportMetric(fair.p99ms()/base.p99ms(), "attacked/alone-p99")
		b.ReportMetric(unsliced.successPct(), "noslice-success-%")
		b.Logf("alone: %s", base)
		b.Logf("attacked: %s", fair)
		b.Logf("attacked, no time slice: %s", unsliced)
	}
}

// phaseResult is what the well-behaved callers saw in one phase.
type phaseResult struct {
	ok, failed int
	failures   map[string]int
	latencies  []time.Duration
	runaway    map[int]int // statuses the runaway callers got
}

func (r phaseResult) successPct() float64 {
	return 100 * float64(r.ok) / float64(max(1, r.ok+r.failed))
}

func (r phaseResult) p99ms() float64 {
	if len(r.latencies) == 0 {
		return 0
	}
	slices.Sort(r.latencies)
	return float64(r.latencies[len(r.latencies)*99/100]) / float64(time.Millisecond)
}

func (r phaseResult) String() string {
	p50 := 0.0
	if len(r.latencies) > 0 {
		p50 = float64(r.latencies[len(r.latencies)/2]) / float64(time.Millisecond)
	}
	return fmt.Sprintf("hello %d ok, %d failed (%.2f%%), p50 %.1f ms, p99 %.1f ms; failures %v; runaway statuses %v",
		r.ok, r.failed, r.successPct(), p50, r.p99ms(), r.failures, r.runaway)
}

func fairnessPhase(b *testing.B, d time.Duration, attack bool, opts ...runtime.Option) phaseResult {
	rt := runtime.NewTestRuntime(b, opts...)
	ctx := context.Background()
	hello, err := rt.Load(ctx, runtime.ServiceSpec{Name: "hello", Wasm: runtime.HelloWasm(b), Instances: 2})
	if err != nil {
		b.Fatal(err)
	}
	bad, err := rt.Load(ctx, runtime.ServiceSpec{Name: "runaway", Wasm: runtime.HostileWasm(b), Instances: 2,
		Limits: runtime.Limits{RequestTimeout: time.Minute, MaxRequestBytes: 5 << 20}})
	if err != nil {
		b.Fatal(err)
	}
	url := serveGateway(b, map[string]*runtime.Service{"hello": hello, "runaway": bad})

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	res := phaseResult{failures: map[string]int{}, runaway: map[int]int{}}
	if attack {
		for range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := &http.Client{Timeout: 2 * time.Minute}
				for !closed(stop) {
					status := call(c, url+"/s/runaway/loop")
					mu.Lock()
					res.runaway[status]++
					mu.Unlock()
				}
			}()
		}
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				slowClient(url, stop)
			}()
		}
	}
	time.Sleep(200 * time.Millisecond) // let the attack take hold
	end := time.Now().Add(d)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &http.Client{Timeout: 5 * time.Second}
			for time.Now().Before(end) {
				start := time.Now()
				status := call(c, url+"/s/hello/fair")
				lat := time.Since(start)
				mu.Lock()
				if status == 200 {
					res.ok++
					res.latencies = append(res.latencies, lat)
				} else {
					res.failed++
					res.failures[fmt.Sprint(status)]++
				}
				mu.Unlock()
			}
		}()
	}
	time.Sleep(time.Until(end))
	close(stop)
	stopNow(bad) // ends the spinning guests, so the attackers' calls return
	wg.Wait()
	return res
}

func closed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// call sends a GET and returns its status, 0 for a transport error.
func call(c *http.Client, url string) int {
	resp, err := c.Get(url)
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// slowClient keeps a connection to the gateway sending a 4 MiB POST to
// runaway one byte every 100 ms, reconnecting whenever the gateway closes
// it, until stop.
func slowClient(url string, stop chan struct{}) {
	host := strings.TrimPrefix(url, "http://")
	for !closed(stop) {
		conn, err := net.Dial("tcp", host)
		if err != nil {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		go func() { // read whatever the gateway answers, so it can close
			io.Copy(io.Discard, bufio.NewReader(conn))
		}()
		fmt.Fprintf(conn, "POST /s/runaway/ok HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\n", host, 4<<20)
		for !closed(stop) {
			if _, err := conn.Write([]byte{'x'}); err != nil {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		conn.Close()
	}
}

func stopNow(svc *runtime.Service) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	svc.Close(ctx)
}

// serveGateway serves services through a real gateway on loopback, with
// the node's http.Server settings, until the benchmark ends.
func serveGateway(b *testing.B, services map[string]*runtime.Service) string {
	key := secp256k1.GenPrivKeyFromSecret([]byte("fairness-node"))
	self, err := reqsign.AccountAddress(reqsign.AccountPrefix, key.PubKey())
	if err != nil {
		b.Fatal(err)
	}
	chain := &fairChain{self: self, key: key.PubKey().Bytes(), manifests: map[string]*manifest.Manifest{}}
	for name := range services {
		chain.manifests[name] = fairManifest(b, name)
	}
	verifier, err := reqsign.NewVerifier()
	if err != nil {
		b.Fatal(err)
	}
	g, err := gateway.New(gateway.Config{BaseHosts: []string{"localhost"}}, gateway.Deps{
		Self: self, Runtime: fairRuntime(services), Chain: chain, Verifier: verifier,
		NodeKey: key, NodeKeys: chain, Meter: nopMeter{},
	}, gateway.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: g, ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: 64 << 10,
		ErrorLog: slog.NewLogLogger(slog.DiscardHandler, slog.LevelWarn)}
	go srv.Serve(ln)
	b.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

func fairManifest(b *testing.B, service string) *manifest.Manifest {
	doc := "apiVersion: q1/v1\nname: " + service + "\n" +
		"code:\n  wasm: sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824\n" +
		"permissions:\n  owners:\n    accounts: [q11qyqszqgpqyqszqgpqyqszqgpqyqszqgpjtw6m7]\n" +
		"resources:\n  memory: 64Mi\n  requestTimeout: 60s\n" +
		"pricing:\n  cpuPerCoreSecond: 500uqc\n  memoryPerMiBHour: 2uqc\n  storagePerGiBHour: 50uqc\n" +
		"  per1kRequests: 10uqc\n  egressPerGiB: 5000uqc\n"
	m, err := manifest.Parse([]byte(doc), manifest.ParseOptions{})
	if err != nil {
		b.Fatal(err)
	}
	return m
}

type fairChain struct {
	self      string
	key       []byte
	manifests map[string]*manifest.Manifest
}

func (c *fairChain) Status(s string) gateway.ServiceState {
	_, ok := c.manifests[s]
	return gateway.ServiceState{Exists: ok}
}

func (c *fairChain) Manifest(s string) (*manifest.Manifest, bool) {
	m, ok := c.manifests[s]
	return m, ok
}

func (c *fairChain) Replicas(string) []gateway.Replica {
	return []gateway.Replica{{Sharer: c.self, Endpoint: "http://127.0.0.1:1", Local: true}}
}

func (c *fairChain) PubKey(string) ([]byte, error) { return c.key, nil }

type nopMeter struct{}

func (nopMeter) Observe(string, bool, int, time.Duration, int64, int64) {}

// fairRuntime runs the gateway's requests on the loaded services, as the
// node's replica manager does.
type fairRuntime map[string]*runtime.Service

func (r fairRuntime) Handle(ctx context.Context, service string, req *gateway.Request) (*gateway.Response, error) {
	svc := r[service]
	if svc == nil {
		return nil, fmt.Errorf("no service %s", service)
	}
	res, err := svc.Handle(ctx, &runtime.Request{Method: req.Method, Path: req.Path, Host: req.Host, Header: req.Header, Body: req.Body})
	if err != nil {
		return nil, err
	}
	return &gateway.Response{Status: res.Status, Header: res.Header, Body: res.Body}, nil
}
