package gateway

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// callersYAML keeps /admin for alice and leaves the rest public; /closed
// matches no rule.
func callersYAML(alice string) string {
	return "  callers:\n" +
		"    - paths: [\"/admin/*\"]\n      allow: [" + alice + "]\n" +
		"    - paths: [\"/public/*\", \"/\"]\n      allow: public\n"
}

func TestCallerRules(t *testing.T) {
	n := newNetwork(t)
	a := n.node("a", Config{})
	alice, bob := testKey("alice"), testKey("bob")
	aliceAddr, bobAddr := addressOf(t, alice), addressOf(t, bob)
	n.deploy("hello", testManifest(t, "hello", callersYAML(aliceAddr), ""), []Replica{a.replica()}, a)

	tamperedBody := func() *http.Request {
		r := n.sign(request(t, a, http.MethodPost, "hello.localhost", "/admin/x", []byte("real")), []byte("signed"), alice, "hello")
		return r
	}
	forOtherService := n.sign(request(t, a, http.MethodGet, "hello.localhost", "/admin/x", nil), nil, alice, "other")
	replayed := n.sign(request(t, a, http.MethodGet, "hello.localhost", "/admin/replayed", nil), nil, alice, "hello")
	expect(t, send(t, replayed), 200)

	for _, tc := range []struct {
		name   string
		req    *http.Request
		status int
		code   string
		body   string
		caller string
	}{
		{name: "public path, unsigned", req: request(t, a, http.MethodGet, "hello.localhost", "/public/page", nil),
			status: 200},
		{name: "public path, signed: the service learns the caller",
			req:    n.sign(request(t, a, http.MethodGet, "hello.localhost", "/public/page", nil), nil, bob, "hello"),
			status: 200, caller: bobAddr},
		{name: "kept path, unsigned", req: request(t, a, http.MethodGet, "hello.localhost", "/admin/x", nil),
			status: 401, code: CodeUnauthorized,
			body: "path /admin/x of service hello is open only to the accounts its manifest allows: sign the request"},
		{name: "kept path, signed by an account not allowed",
			req:    n.sign(request(t, a, http.MethodGet, "hello.localhost", "/admin/x", nil), nil, bob, "hello"),
			status: 403, code: CodeForbidden,
			body: "account " + bobAddr + " may not call path /admin/x of service hello: its manifest allows 1 listed account(s) there"},
		{name: "kept path, signed by the allowed account",
			req:    n.sign(request(t, a, http.MethodGet, "hello.localhost", "/admin/x", nil), nil, alice, "hello"),
			status: 200, caller: aliceAddr},
		{name: "kept path reached through dot segments", req: request(t, a, http.MethodGet, "hello.localhost", "/public/../admin/x", nil),
			status: 401, code: CodeUnauthorized, body: "open only to the accounts its manifest allows"},
		{name: "kept path reached through an escaped slash", req: request(t, a, http.MethodGet, "hello.localhost", "/admin%2Fx", nil),
			status: 401, code: CodeUnauthorized, body: "open only to the accounts its manifest allows"},
		{name: "body differs from the signed one", req: tamperedBody(),
			status: 401, code: CodeUnauthorized, body: "signature refused: signature does not verify for account " + aliceAddr},
		{name: "signed for another service", req: forOtherService,
			status: 401, code: CodeUnauthorized, body: "signature refused: signature does not verify"},
		{name: "replayed", req: replayed,
			status: 401, code: CodeUnauthorized, body: "signature refused: nonce already used"},
		{name: "bad signature on a public path is refused too", req: func() *http.Request {
			r := request(t, a, http.MethodGet, "hello.localhost:"+a.port(t), "/public/page", nil)
			r.Header.Set("X-Q1-Account", aliceAddr)
			return r
		}(), status: 401, code: CodeUnauthorized, body: "signature refused: signed request is missing header X-Q1-Pubkey"},
		{name: "signed for a host that is not this gateway's",
			req:    n.sign(request(t, a, http.MethodGet, "203.0.113.9:8081", "/s/hello/admin/x", nil), nil, alice, "hello"),
			status: 421, code: CodeMisdirected,
			body: "signed requests must name this gateway in their Host (localhost, gw.test, or {service}.localhost); 203.0.113.9:8081 is not one of its names"},
		{name: "path no rule covers", req: request(t, a, http.MethodGet, "hello.localhost", "/closed", nil),
			status: 403, code: CodeForbidden,
			body: "no caller rule of service hello covers path /closed, so the manifest lets nobody call it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(a.rt.requests())
			got := send(t, tc.req)
			expect(t, got, tc.status, tc.body)
			if got.header.Get(HeaderError) != tc.code {
				t.Errorf("%s = %q, want %q", HeaderError, got.header.Get(HeaderError), tc.code)
			}
			reqs := a.rt.requests()
			if tc.status != 200 {
				if len(reqs) != before {
					t.Error("a refused request ran")
				}
				return
			}
			if last := reqs[len(reqs)-1]; last.Caller != tc.caller {
				t.Errorf("service saw caller %q, want %q", last.Caller, tc.caller)
			}
		})
	}
}

// A signed request is verified by the entry node (early refusal) and again
// by the node that runs it; each records the nonce in its own cache, so the
// forward passes while replays are refused at both.
func TestSignedRequestForwarded(t *testing.T) {
	for _, tc := range []struct{ name, host, target string }{
		{"service origin", "hello.localhost", "/admin/run?x=1"},
		{"by path", "localhost", "/s/hello/admin/run?x=1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := newNetwork(t)
			a, b := n.node("a", Config{}), n.node("b", Config{})
			alice := testKey("alice")
			n.deploy("hello", testManifest(t, "hello", callersYAML(addressOf(t, alice)), ""), []Replica{b.replica()}, b)
			body := []byte(`{"op":"pay"}`)
			signed := n.sign(request(t, a, http.MethodPost, tc.host, tc.target, body), body, alice, "hello")
			replay := signed.Clone(signed.Context())

			got := send(t, signed)
			expect(t, got, 200, "hello from b at /admin/run?x=1")
			reqs := b.rt.requests()
			if len(reqs) != 1 || reqs[0].Caller != addressOf(t, alice) {
				t.Fatalf("node b's service saw %+v; want one request from alice", reqs)
			}

			replay.Body = io.NopCloser(bytes.NewReader(body))
			expect(t, send(t, replay), 401, "nonce already used")
			if len(b.rt.requests()) != 1 {
				t.Error("the replay ran")
			}
		})
	}
}

// The node that runs a forwarded request checks the caller itself: an entry
// node that lets an unsigned request through does not make it allowed.
func TestServingNodeRechecksCaller(t *testing.T) {
	n := newNetwork(t)
	a, b := n.node("a", Config{}), n.node("b", Config{})
	n.deploy("hello", testManifest(t, "hello", callersYAML(addressOf(t, testKey("alice"))), ""), []Replica{b.replica()}, b)
	got := send(t, hopRequest(t, n, a, b, "hello", hopRouteHost, http.MethodGet, "hello.localhost", "/admin/x", nil))
	expect(t, got, 401, "path /admin/x of service hello is open only to the accounts its manifest allows")
	if got.header.Get(HeaderProof) == "" {
		t.Error("the refusal of a proven hop is not signed; the entry node would treat it as a failed replica")
	}
	if len(b.rt.requests()) != 0 {
		t.Error("node b ran a request its manifest refuses")
	}
}

// net/http refuses a malformed escape before the gateway sees it; the
// gateway refuses it too when called in process.
func TestMalformedEscape(t *testing.T) {
	n := newNetwork(t)
	a := n.node("a", Config{})
	n.deploy("hello", publicManifest(t, "hello"), []Replica{a.replica()}, a)
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Host, r.RequestURI = "hello.localhost", "/%zz"
	w := httptest.NewRecorder()
	a.gw.ServeHTTP(w, r)
	expect(t, result{status: w.Code, header: w.Header(), body: w.Body.String()}, 400,
		"path /%zz has a malformed percent-escape")
}

// TestSignedRequestBoundToPort is the attack: two nodes on one host name
// (localhost), a request signed for node a's host:port replayed to node b.
// b must refuse it with 421 naming the host:port it is reached at, before
// its verifier spends the nonce; a still accepts the original.
func TestSignedRequestBoundToPort(t *testing.T) {
	n := newNetwork(t)
	a, b := n.node("a", Config{}), n.node("b", Config{})
	alice := testKey("alice")
	n.deploy("hello", testManifest(t, "hello", callersYAML(addressOf(t, alice)), ""), []Replica{a.replica(), b.replica()}, a, b)
	portA, portB := a.port(t), b.port(t)

	for _, host := range []string{"localhost", "hello.localhost"} {
		target := "/admin/x"
		if host == "localhost" {
			target = "/s/hello/admin/x"
		}
		signed := n.sign(request(t, a, http.MethodGet, host+":"+portA, target, nil), nil, alice, "hello")
		replay := signed.Clone(signed.Context())
		replay.URL.Host = strings.TrimPrefix(b.srv.URL, "http://")
		got := send(t, replay)
		expect(t, got, http.StatusMisdirectedRequest,
			"request signed for "+host+":"+portA+" reached a server that answers signed requests at "+host+":"+portB,
			"sign the request for "+host+":"+portB)
		if got.header.Get(HeaderError) != CodeMisdirected {
			t.Errorf("%s = %q, want %q", HeaderError, got.header.Get(HeaderError), CodeMisdirected)
		}
		if len(b.rt.requests()) != 0 {
			t.Fatal("the replayed request ran on b")
		}
		// Refused before verification, so a's own copy still goes through.
		expect(t, send(t, signed), 200)
	}

	// Unsigned requests are not bound: any port serves public paths.
	expect(t, get(t, b, "localhost:1", "/s/hello/public/x"), 200)

	// Behind a port mapping the node names the ports callers use.
	c := n.node("c", Config{Ports: []string{"443"}})
	n.deploy("hello", testManifest(t, "hello", callersYAML(addressOf(t, alice)), ""), []Replica{c.replica()}, c)
	expect(t, send(t, n.signAsIs(request(t, c, http.MethodGet, "gw.test", "/s/hello/admin/x", nil), nil, alice, "hello")), 200)
	expect(t, send(t, n.signAsIs(request(t, c, http.MethodGet, "gw.test:443", "/s/hello/admin/y", nil), nil, alice, "hello")), 200)
	expect(t, send(t, n.signAsIs(request(t, c, http.MethodGet, "gw.test:"+c.port(t), "/s/hello/admin/z", nil), nil, alice, "hello")),
		http.StatusMisdirectedRequest, "sign the request for gw.test:443")
}

func TestConfigPorts(t *testing.T) {
	for _, p := range []string{"", "0", "65536", "http", "80:81", "[::1]:80", "+80", "080"} {
		err := Config{BaseHosts: []string{"localhost"}, Ports: []string{p}}.Validate()
		if err == nil || !strings.Contains(err.Error(), "gateway config: Ports[0] is") {
			t.Errorf("Ports [%q]: %v", p, err)
		}
	}
	if err := (Config{BaseHosts: []string{"localhost"}, Ports: []string{"80", "8080"}}).Validate(); err != nil {
		t.Error(err)
	}
}
