package gateway

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestForwardToReplica(t *testing.T) {
	for _, tc := range []struct{ name, host, target, ranPath string }{
		{"service origin", "hello.localhost", "/greet?x=1", "/greet?x=1"},
		{"by path", "localhost", "/s/hello/greet?x=1", "/greet?x=1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := newNetwork(t)
			a, b := n.node("a", Config{}), n.node("b", Config{})
			n.deploy("hello", publicManifest(t, "hello"), []Replica{b.replica()}, b)

			got := get(t, a, tc.host, tc.target)
			expect(t, got, 200, "hello from b at "+tc.ranPath)
			if v := got.header.Get(HeaderServedBy); v != b.addr {
				t.Errorf("%s = %q, want node b %s", HeaderServedBy, v, b.addr)
			}
			if v, want := got.header.Get(HeaderVia), a.addr+", "+b.addr; v != want {
				t.Errorf("%s = %q, want %q", HeaderVia, v, want)
			}
			if v := got.header.Get(HeaderProof); v != "" {
				t.Errorf("the caller got the serving proof %q; it is for the forwarding node only", v)
			}
			reqs := b.rt.requests()
			if len(reqs) != 1 || reqs[0].Host != tc.host || reqs[0].Path != tc.ranPath || reqs[0].ClientIP != "127.0.0.1" {
				t.Fatalf("node b's service saw %+v; want one request for %s%s from 127.0.0.1", reqs, tc.host, tc.ranPath)
			}
			for name := range reqs[0].Header {
				if len(name) > len(hopPrefix) && name[:len(hopPrefix)] == hopPrefix {
					t.Errorf("the service saw hop header %s", name)
				}
			}
			if len(a.rt.requests()) != 0 {
				t.Error("node a ran the request without holding a replica")
			}
		})
	}
}

func TestLocalReplicaPreferred(t *testing.T) {
	n := newNetwork(t)
	a, b := n.node("a", Config{}), n.node("b", Config{})
	n.deploy("hello", publicManifest(t, "hello"), []Replica{b.replica(), {Sharer: a.addr, Endpoint: a.srv.URL, Local: true}}, a, b)
	got := get(t, a, "hello.localhost", "/")
	expect(t, got, 200, "hello from a")
	if got.header.Get(HeaderVia) != "" {
		t.Errorf("a local run has %s %q", HeaderVia, got.header.Get(HeaderVia))
	}
}

func TestFailoverWhenPeerIsDown(t *testing.T) {
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		t.Run(method, func(t *testing.T) {
			n := newNetwork(t)
			a, b := n.node("a", Config{}), n.node("b", Config{})
			dead := n.sharer("dead")
			n.deploy("hello", publicManifest(t, "hello"),
				[]Replica{{Sharer: dead, Endpoint: closedEndpoint(t)}, b.replica()}, b)

			got := send(t, request(t, a, method, "hello.localhost", "/", []byte("x")))
			expect(t, got, 200, "hello from b")
			if h := a.gw.bal.health(dead); h.fails != 1 || !h.until.Equal(t0.Add(DefaultBackoffBase)) {
				t.Errorf("dead node health %+v; want 1 failure, avoided until t0+%s", h, DefaultBackoffBase)
			}
		})
	}
}

func TestNoRetryOnceTheAnswerStarted(t *testing.T) {
	for _, method := range []string{http.MethodPost, http.MethodGet} {
		t.Run(method, func(t *testing.T) {
			n := newNetwork(t)
			a, b := n.node("a", Config{}), n.node("b", Config{})
			peer := newRawPeer(t, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial")
			sharer := n.sharer("flaky")
			n.deploy("hello", publicManifest(t, "hello"), []Replica{{Sharer: sharer, Endpoint: peer.endpoint()}, b.replica()}, b)

			got := send(t, request(t, a, method, "hello.localhost", "/pay", []byte("once")))
			expect(t, got, 502, "replica "+sharer+" hung up in the middle of its answer",
				"the request is not retried because it ran there")
			if peer.count() != 1 || len(b.rt.requests()) != 0 {
				t.Errorf("peer got %d requests and node b %d; want 1 and 0", peer.count(), len(b.rt.requests()))
			}
			if h := a.gw.bal.health(sharer); h.fails != 1 {
				t.Errorf("flaky node health %+v; want marked failed", h)
			}
		})
	}
}

func TestRetryAfterReachingOnlyWhenIdempotent(t *testing.T) {
	for _, tc := range []struct {
		method string
		status int
		body   []string
		bRuns  int
	}{
		{http.MethodGet, 200, []string{"hello from b"}, 1},
		{http.MethodPut, 200, []string{"hello from b"}, 1},
		{http.MethodPost, 502, []string{"failed after the request reached it",
			"a POST is not retried on another replica because it may have run"}, 0},
		{http.MethodPatch, 502, []string{"a PATCH is not retried"}, 0},
	} {
		t.Run(tc.method, func(t *testing.T) {
			n := newNetwork(t)
			a, b := n.node("a", Config{}), n.node("b", Config{})
			peer := newRawPeer(t, "") // reads the request, then hangs up without a word
			sharer := n.sharer("mute")
			n.deploy("hello", publicManifest(t, "hello"), []Replica{{Sharer: sharer, Endpoint: peer.endpoint()}, b.replica()}, b)

			got := send(t, request(t, a, tc.method, "hello.localhost", "/", []byte("body")))
			expect(t, got, tc.status, tc.body...)
			if peer.count() != 1 || len(b.rt.requests()) != tc.bRuns {
				t.Errorf("peer got %d requests and node b %d; want 1 and %d", peer.count(), len(b.rt.requests()), tc.bRuns)
			}
		})
	}
}

func TestForwardTimeout(t *testing.T) {
	for _, tc := range []struct {
		method string
		status int
		body   []string
	}{
		{http.MethodGet, 200, []string{"hello from b"}},
		{http.MethodPost, 504, []string{"failed after the request reached it (no answer within 100ms)",
			"a POST is not retried on another replica because it may have run"}},
	} {
		t.Run(tc.method, func(t *testing.T) {
			n := newNetwork(t)
			a, b := n.node("a", Config{ForwardTimeout: 100 * time.Millisecond}), n.node("b", Config{})
			peer := newRawPeer(t, hangReply)
			sharer := n.sharer("stuck")
			n.deploy("hello", publicManifest(t, "hello"), []Replica{{Sharer: sharer, Endpoint: peer.endpoint()}, b.replica()}, b)
			got := send(t, request(t, a, tc.method, "hello.localhost", "/", nil))
			expect(t, got, tc.status, tc.body...)
			if h := a.gw.bal.health(sharer); h.fails != 1 {
				t.Errorf("stuck node health %+v; want marked failed", h)
			}
		})
	}
}

func TestAllReplicasDown(t *testing.T) {
	n := newNetwork(t)
	a := n.node("a", Config{})
	d1, d2, d3 := n.sharer("d1"), n.sharer("d2"), addressOf(t, testKey("unregistered"))
	n.deploy("hello", publicManifest(t, "hello"), []Replica{
		{Sharer: d1, Endpoint: closedEndpoint(t)},
		{Sharer: d2, Endpoint: "ftp://example.org"},
		{Sharer: d3, Endpoint: a.srv.URL},
	})
	got := send(t, request(t, a, http.MethodPost, "hello.localhost", "/", nil))
	expect(t, got, 502, "no replica of service hello could serve the request (tried 3 of 3)",
		d1+": unreachable:", "connection refused",
		d2+`: its endpoint "ftp://example.org" is unusable: scheme "ftp"; want http or https`,
		d3+": no node key of sharer "+d3+": sharer "+d3+" registered no node key")
	if got.header.Get(HeaderError) != CodeBadGateway {
		t.Errorf("%s = %q, want %q", HeaderError, got.header.Get(HeaderError), CodeBadGateway)
	}
}

func TestUnhealthyNodeBacksOffAndRecovers(t *testing.T) {
	n := newNetwork(t)
	a, b, c := n.node("a", Config{}), n.node("b", Config{}), n.node("c", Config{})
	m := publicManifest(t, "hello")
	n.deploy("hello", m, []Replica{{Sharer: c.addr, Endpoint: closedEndpoint(t)}, b.replica()}, b, c)

	step := func(name, wantFrom string, wantFails int, wantWait time.Duration) {
		t.Helper()
		expect(t, get(t, a, "hello.localhost", "/"), 200, "hello from "+wantFrom)
		h := a.gw.bal.health(c.addr)
		var until time.Time
		if wantWait > 0 {
			until = n.clock.Now().Add(wantWait)
		}
		if h.fails != wantFails || !h.until.Equal(until) || h.inflight != 0 {
			t.Errorf("%s: node c health %+v; want %d failures, avoided until %v, none in flight", name, h, wantFails, until)
		}
	}
	step("first failure", "b", 1, time.Second)
	step("avoided while backing off", "b", 1, time.Second)
	n.clock.Advance(time.Second)
	step("probed again, fails again: backoff doubles", "b", 2, 2*time.Second)
	n.clock.Advance(time.Second)
	step("still avoided", "b", 2, time.Second)
	n.clock.Advance(time.Second)
	step("third failure", "b", 3, 4*time.Second)

	// Node c comes back (at a new address); once its backoff ends it serves.
	n.deploy("hello", m, []Replica{c.replica(), b.replica()}, b, c)
	step("still avoided after coming back", "b", 3, 4*time.Second)
	n.clock.Advance(4 * time.Second)
	step("recovered", "c", 0, 0)
}

func TestOneHop(t *testing.T) {
	t.Run("serving node without the service says it did not run, and the entry node tries the next", func(t *testing.T) {
		n := newNetwork(t)
		a, b, c := n.node("a", Config{}), n.node("b", Config{}), n.node("c", Config{})
		// The chain lists b, but b has not loaded the service: b must not pass
		// the request on to c, and a may retry even a POST.
		n.deploy("hello", publicManifest(t, "hello"), []Replica{b.replica(), c.replica()}, c)

		got := send(t, request(t, a, http.MethodPost, "hello.localhost", "/", []byte("x")))
		expect(t, got, 200, "hello from c")
		if v := got.header.Get(HeaderVia); v != a.addr+", "+c.addr {
			t.Errorf("%s = %q, want a then c", HeaderVia, v)
		}
		if len(c.rt.requests()) != 1 {
			t.Errorf("node c ran %d requests, want 1 (from a only: b must not forward)", len(c.rt.requests()))
		}
		if obs := b.meter.all(); len(obs) != 1 || obs[0].status != 503 || obs[0].local {
			t.Errorf("node b observed %+v; want one 503 it did not run", obs)
		}
	})
	t.Run("forwarded request reaching a node without the service is never forwarded again", func(t *testing.T) {
		n := newNetwork(t)
		a, b, c := n.node("a", Config{}), n.node("b", Config{}), n.node("c", Config{})
		n.deploy("hello", publicManifest(t, "hello"), []Replica{c.replica()}, c)

		got := send(t, hopRequest(t, n, a, b, "hello", hopRouteHost, http.MethodGet, "hello.localhost", "/", nil))
		expect(t, got, 503, "node "+b.addr+" cannot run service hello", "a forwarded request is never forwarded again")
		if v := got.header.Get(HeaderNotRun); v != notRunNotLoaded {
			t.Errorf("%s = %q, want %q", HeaderNotRun, v, notRunNotLoaded)
		}
		if len(c.rt.requests()) != 0 {
			t.Error("node b forwarded a forwarded request to c")
		}
	})
	t.Run("every replica without the service", func(t *testing.T) {
		n := newNetwork(t)
		a, b := n.node("a", Config{}), n.node("b", Config{})
		n.deploy("hello", publicManifest(t, "hello"), []Replica{b.replica()})
		got := get(t, a, "hello.localhost", "/")
		expect(t, got, 502, "no replica of service hello could serve the request (tried 1 of 1)",
			b.addr+": did not run the request (not-loaded): node "+b.addr+" cannot run service hello")
	})
}

func TestImpostorReplicaIsRejected(t *testing.T) {
	n := newNetwork(t)
	a, b, d := n.node("a", Config{}), n.node("b", Config{}), n.node("d", Config{})
	d.rt.load("hello")
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "hi")
	}))
	t.Cleanup(plain.Close)
	wrongKey, err := newPairKeys(testKey("not-b"), n.keys)
	if err != nil {
		t.Fatal(err)
	}
	forger := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := []byte("forged")
		msg := proofMessage(b.addr, r.Header.Get(HeaderHopChallenge), "hello", 200, "", sha256Of(body))
		tag, err := wrongKey.mac(r.Header.Get(HeaderHopFrom), msg)
		if err != nil {
			t.Error(err)
		}
		w.Header().Set(HeaderServedBy, b.addr)
		w.Header().Set(HeaderProof, b64(tag))
		w.Write(body)
	}))
	t.Cleanup(forger.Close)

	for _, tc := range []struct {
		name, endpoint string
		body           []string
	}{
		{"another node answers at the sharer's endpoint", d.srv.URL, []string{
			"did not prove it is that sharer: its 421 Misdirected Request answer names nobody as its server",
			"(it said: forwarded request is addressed to node " + b.addr + ", but this is node " + d.addr + ")"}},
		{"a plain web server", plain.URL, []string{
			"its 200 OK answer names nobody as its server (it said: hi)"}},
		{"claims the sharer's name without its key", forger.URL, []string{
			"its proof does not verify: it was not made with the key shared with sharer " + b.addr}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n.deploy("hello", publicManifest(t, "hello"), []Replica{{Sharer: b.addr, Endpoint: tc.endpoint}, d.replica()})
			got := get(t, a, "hello.localhost", "/")
			expect(t, got, 502, append([]string{"replica " + b.addr + " at " + tc.endpoint}, tc.body...)...)
			if h := a.gw.bal.health(b.addr); h.fails == 0 {
				t.Errorf("impostor's sharer health %+v; want marked failed", h)
			}
			n.clock.Advance(time.Hour) // let the next case try b's name again
		})
	}
	if len(d.rt.requests()) != 0 {
		t.Errorf("node d ran %d requests addressed to b", len(d.rt.requests()))
	}
}

// TestScheduleHeaderStripped: a caller cannot pass for a schedule. Whatever
// spelling or count of X-Q1-Schedule it sends, the service never sees it,
// whether it runs on the entry node or one hop away.
func TestScheduleHeaderStripped(t *testing.T) {
	n := newNetwork(t)
	a, b := n.node("a", Config{}), n.node("b", Config{})
	n.deploy("local", publicManifest(t, "local"), []Replica{{Sharer: a.addr, Endpoint: a.srv.URL, Local: true}}, a)
	n.deploy("remote", publicManifest(t, "remote"), []Replica{b.replica()}, b)
	for _, svc := range []string{"local", "remote"} {
		for _, name := range []string{HeaderSchedule, "x-q1-schedule", "X-Q1-SCHEDULE"} {
			req := request(t, a, http.MethodPost, svc+".localhost", "/tasks/tick", nil)
			req.Header[name] = []string{"0", "1"}
			req.Header.Add("Connection", "keep-alive")
			expect(t, send(t, req), 200)
		}
	}
	for _, tn := range []*testNode{a, b} {
		reqs := tn.rt.requests()
		if len(reqs) != 3 {
			t.Fatalf("node %s ran %d requests, want 3", tn.name, len(reqs))
		}
		for _, r := range reqs {
			for name, v := range r.Header {
				if strings.EqualFold(name, HeaderSchedule) {
					t.Errorf("node %s's service saw %s: %v", tn.name, name, v)
				}
			}
		}
	}
}
