package gateway

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quantum1net/q1/client/reqsign"
)

// benchBody is what the fake runtime and the plain handler both return.
var benchBody = bytes.Repeat([]byte("q1"), 512)

// fixedRuntime answers every request with benchBody, as an in-memory
// runtime would.
type fixedRuntime struct{}

func (fixedRuntime) Handle(context.Context, string, *Request) (*Response, error) {
	return &Response{Status: 200, Header: http.Header{"Content-Type": {"text/plain"}}, Body: benchBody}, nil
}

type discardMeter struct{}

func (discardMeter) Observe(string, bool, int, time.Duration, int64, int64) {}

// benchSetup starts, over real loopback HTTP in this process: a plain
// net/http handler returning benchBody; node a holding a replica of "hello"
// whose runtime returns benchBody; node e holding none, which forwards to
// a. It returns makers of the three requests.
func benchSetup(b *testing.B) (plain, local, forward func() *http.Request) {
	b.Helper()
	n := newNetwork(b)
	gateway := func(name string) *httptest.Server {
		key := testKey("node-" + name)
		addr := addressOf(b, key)
		n.keys.register(addr, key)
		verifier, err := reqsign.NewVerifier()
		if err != nil {
			b.Fatal(err)
		}
		gw, err := New(Config{BaseHosts: []string{"localhost"}}, Deps{
			Self: addr, Runtime: fixedRuntime{}, Chain: n.chain, Verifier: verifier,
			NodeKey: key, NodeKeys: n.keys, Meter: discardMeter{},
		})
		if err != nil {
			b.Fatal(err)
		}
		srv := httptest.NewServer(gw)
		b.Cleanup(srv.Close)
		return srv
	}
	a, e := gateway("a"), gateway("e")
	n.chain.set("hello", &fakeService{state: ServiceState{Exists: true}, manifest: publicManifest(b, "hello"),
		replicas: []Replica{{Sharer: addressOf(b, testKey("node-a")), Endpoint: a.URL}}})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write(benchBody)
	}))
	b.Cleanup(srv.Close)
	mkReq := func(base, host, target string) func() *http.Request {
		return func() *http.Request {
			r, _ := http.NewRequest(http.MethodGet, base+target, nil)
			r.Host = host
			return r
		}
	}
	return mkReq(srv.URL, "localhost", "/greet"),
		mkReq(a.URL, "hello.localhost", "/greet"),
		mkReq(e.URL, "hello.localhost", "/greet")
}

var benchClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, DisableCompression: true}}

func roundTrip(b *testing.B, req *http.Request) {
	resp, err := benchClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	n, _ := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || n != int64(len(benchBody)) {
		b.Fatalf("status %d, %d bytes", resp.StatusCode, n)
	}
}

func p50(ds []time.Duration) time.Duration {
	slices.Sort(ds)
	return ds[len(ds)/2]
}

func micros(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// BenchmarkGateway compares a plain net/http handler with the gateway
// running a fake in-memory runtime, both returning the same 1 KiB over
// loopback HTTP, and measures what one forward hop adds.
//
//   - latency: each iteration sends one request of each kind, interleaved so
//     machine noise hits all three alike; reports the p50 of each, the
//     gateway/plain ratio and the p50 extra of a forward hop (ns/op is the
//     sum of the three requests).
//   - throughput: 4 × GOMAXPROCS concurrent clients send b.N requests to the
//     plain handler, then b.N to the gateway; reports both rates and the
//     gateway/plain ratio.
func BenchmarkGateway(b *testing.B) {
	plain, local, forward := benchSetup(b)
	b.Run("latency", func(b *testing.B) {
		var dp, dl, df []time.Duration
		timed := func(req *http.Request) time.Duration {
			start := time.Now()
			roundTrip(b, req)
			return time.Since(start)
		}
		for range b.N {
			dp = append(dp, timed(plain()))
			dl = append(dl, timed(local()))
			df = append(df, timed(forward()))
		}
		pp, pl, pf := p50(dp), p50(dl), p50(df)
		b.ReportMetric(micros(pp), "plain-p50-µs")
		b.ReportMetric(micros(pl), "gateway-p50-µs")
		b.ReportMetric(micros(pf), "forwarded-p50-µs")
		b.ReportMetric(float64(pl)/float64(pp), "gateway/plain-p50")
		b.ReportMetric(micros(pf-pl), "hop-extra-p50-µs")
	})
	b.Run("throughput", func(b *testing.B) {
		run := func(mk func() *http.Request) time.Duration {
			var next atomic.Int64
			var wg sync.WaitGroup
			start := time.Now()
			for range 4 * runtime.GOMAXPROCS(0) {
				wg.Go(func() {
					for next.Add(1) <= int64(b.N) {
						roundTrip(b, mk())
					}
				})
			}
			wg.Wait()
			return time.Since(start)
		}
		tp := run(plain)
		tg := run(local)
		rate := func(d time.Duration) float64 { return float64(b.N) / d.Seconds() }
		b.ReportMetric(rate(tp), "plain-req/s")
		b.ReportMetric(rate(tg), "gateway-req/s")
		b.ReportMetric(rate(tg)/rate(tp), "gateway/plain-throughput")
	})
}
