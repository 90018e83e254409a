package gateway

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
)

func TestRouting(t *testing.T) {
	n := newNetwork(t)
	a := n.node("a", Config{})
	n.deploy("hello", publicManifest(t, "hello"), []Replica{a.replica()}, a)
	port := a.srv.URL[strings.LastIndexByte(a.srv.URL, ':'):]

	for _, tc := range []struct {
		name, host, target string
		status             int
		ranPath            string // the path the service saw, "" when it did not run
		body               []string
	}{
		{name: "service origin", host: "hello.localhost" + port, target: "/greet?name=ada",
			status: 200, ranPath: "/greet?name=ada", body: []string{"hello from a at /greet?name=ada"}},
		{name: "service origin, second base host, upper case", host: "HELLO.gw.test", target: "/",
			status: 200, ranPath: "/"},
		{name: "origin keeps /s/ in the path", host: "hello.localhost", target: "/s/other/x",
			status: 200, ranPath: "/s/other/x"},
		{name: "by path", host: "localhost" + port, target: "/s/hello/greet/deep?x=1&y",
			status: 200, ranPath: "/greet/deep?x=1&y"},
		{name: "by path on an IP host", host: "127.0.0.1" + port, target: "/s/hello/a%2Fb",
			status: 200, ranPath: "/a%2Fb"},
		{name: "by path, service root", host: "localhost", target: "/s/hello",
			status: 200, ranPath: "/"},
		{name: "by path, service root with query", host: "localhost", target: "/s/hello?q=1",
			status: 200, ranPath: "/?q=1"},
		{name: "root page", host: "localhost" + port, target: "/", status: 200,
			body: []string{"Quantum1Net gateway", "http://{service}.localhost" + port + "/{path}",
				"http://localhost" + port + "/s/{service}/{path}"}},
		{name: "root page on an IP host names a base host", host: "127.0.0.1" + port, target: "/", status: 200,
			body: []string{"http://{service}.localhost" + port + "/{path}", "http://127.0.0.1" + port + "/s/{service}/{path}"}},
		{name: "no dashboard", host: "localhost", target: "/dashboard", status: 404,
			body: []string{"/dashboard is not a service address: this gateway serves only services"}},
		{name: "no API", host: "localhost", target: "/v1/services", status: 404,
			body: []string{"/v1/services is not a service address"}},
		{name: "no metrics", host: "localhost", target: "/metrics", status: 404,
			body: []string{"/metrics is not a service address"}},
		{name: "unknown service by host", host: "nope.localhost", target: "/", status: 404,
			body: []string{`no service named "nope" on this network`}},
		{name: "unknown service by path", host: "localhost", target: "/s/nope/x", status: 404,
			body: []string{`no service named "nope" on this network`}},
		{name: "deeper host", host: "a.hello.localhost", target: "/", status: 404,
			body: []string{"a.hello.localhost is not a service address", "one label above the gateway's host"}},
		{name: "deeper host refuses /s/ too", host: "a.hello.localhost", target: "/s/hello/", status: 404,
			body: []string{"a.hello.localhost is not a service address"}},
		{name: "invalid service label", host: "he_llo.localhost", target: "/", status: 404,
			body: []string{`"he_llo" in host he_llo.localhost is not a service name`}},
		{name: "invalid service in path", host: "localhost", target: "/s/Hello/", status: 404,
			body: []string{`"Hello" in path /s/Hello/ is not a service name`}},
		{name: "no service in path", host: "localhost", target: "/s/", status: 404,
			body: []string{"no service named: call /s/{service}/{path}"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(a.rt.requests())
			got := get(t, a, tc.host, tc.target)
			expect(t, got, tc.status, tc.body...)
			if got.status >= 400 {
				if got.header.Get("Content-Type") != "text/plain; charset=utf-8" {
					t.Errorf("Content-Type %q, want plain text", got.header.Get("Content-Type"))
				}
				if got.header.Get(HeaderError) != CodeNotFound {
					t.Errorf("%s %q, want %q", HeaderError, got.header.Get(HeaderError), CodeNotFound)
				}
			}
			reqs := a.rt.requests()
			switch {
			case tc.ranPath == "" && len(reqs) != before:
				t.Errorf("the service ran (path %q); want no run", reqs[len(reqs)-1].Path)
			case tc.ranPath != "" && len(reqs) != before+1:
				t.Errorf("service ran %d times, want once", len(reqs)-before)
			case tc.ranPath != "" && reqs[len(reqs)-1].Path != tc.ranPath:
				t.Errorf("service saw path %q, want %q", reqs[len(reqs)-1].Path, tc.ranPath)
			}
		})
	}
}

func TestRootPageOnlyForGet(t *testing.T) {
	n := newNetwork(t)
	a := n.node("a", Config{})
	got := send(t, request(t, a, http.MethodPost, "localhost", "/", nil))
	expect(t, got, 404, "this gateway serves only services")
}

func TestServedByAndGatewayHeaders(t *testing.T) {
	n := newNetwork(t)
	a := n.node("a", Config{})
	n.deploy("hello", publicManifest(t, "hello"), []Replica{a.replica()}, a)
	a.rt.setHandler(func(_ string, req *Request) (*Response, error) {
		// A service cannot claim another server, a route or a proof.
		return &Response{Status: 201, Header: http.Header{
			HeaderServedBy: {"q1impostor"}, HeaderVia: {"x"}, HeaderProof: {"x"}, HeaderError: {"x"},
			"X-Own": {"kept"}, "Connection": {"X-Own-Hop"}, "X-Own-Hop": {"dropped"},
		}, Body: []byte("made")}, nil
	})
	got := get(t, a, "hello.localhost", "/")
	expect(t, got, 201, "made")
	for name, want := range map[string]string{
		HeaderServedBy: a.addr, HeaderVia: "", HeaderProof: "", HeaderError: "",
		"X-Own": "kept", "X-Own-Hop": "",
	} {
		if v := got.header.Get(name); v != want {
			t.Errorf("header %s = %q, want %q", name, v, want)
		}
	}
}

func TestRequestSeenByService(t *testing.T) {
	n := newNetwork(t)
	a := n.node("a", Config{})
	n.deploy("hello", publicManifest(t, "hello"), []Replica{a.replica()}, a)
	req := request(t, a, http.MethodPut, "hello.localhost", "/items/1", []byte("payload"))
	req.Header.Set("X-App", "1")
	req.Header.Set("Connection", "X-Secret-Hop")
	req.Header.Set("X-Secret-Hop", "no")
	expect(t, send(t, req), 200)
	reqs := a.rt.requests()
	if len(reqs) != 1 {
		t.Fatalf("service ran %d times, want once", len(reqs))
	}
	got := reqs[0]
	if got.Method != "PUT" || got.Path != "/items/1" || got.Host != "hello.localhost" ||
		string(got.Body) != "payload" || got.Caller != "" || got.ClientIP != "127.0.0.1" {
		t.Errorf("service saw %s %s host %q body %q caller %q client %q", got.Method, got.Path, got.Host,
			got.Body, got.Caller, got.ClientIP)
	}
	if got.Header.Get("X-App") != "1" || got.Header.Get("X-Secret-Hop") != "" || got.Header.Get("Connection") != "" {
		t.Errorf("service saw header %v; want X-App kept and hop-by-hop fields dropped", got.Header)
	}
}

func TestHeadKeepsLength(t *testing.T) {
	n := newNetwork(t)
	a := n.node("a", Config{})
	b := n.node("b", Config{})
	n.deploy("hello", publicManifest(t, "hello"), []Replica{b.replica()}, b)
	// Through a forward, so the proof covers the empty body HEAD answers carry.
	got := send(t, request(t, a, http.MethodHead, "hello.localhost", "/x", nil))
	expect(t, got, 200)
	if want := len("hello from b at /x"); got.header.Get("Content-Length") != strconv.Itoa(want) {
		t.Errorf("Content-Length %q, want %d", got.header.Get("Content-Length"), want)
	}
}

func TestMeterObservesEveryKnownServiceRequest(t *testing.T) {
	n := newNetwork(t)
	a := n.node("a", Config{})
	b := n.node("b", Config{})
	n.deploy("hello", publicManifest(t, "hello"), []Replica{b.replica()}, b)

	expect(t, send(t, request(t, a, http.MethodPost, "hello.localhost", "/", []byte("12345"))), 200)
	expect(t, get(t, a, "nope.localhost", "/"), 404) // no such service: not metered
	expect(t, get(t, a, "localhost", "/"), 200)      // the root page: not metered

	want := observation{service: "hello", local: false, status: 200, reqBytes: 5, respBytes: int64(len("hello from b at /"))}
	if got := a.meter.all(); len(got) != 1 || got[0] != want {
		t.Errorf("entry node observed %+v, want [%+v]", got, want)
	}
	want.local = true
	if got := b.meter.all(); len(got) != 1 || got[0] != want {
		t.Errorf("serving node observed %+v, want [%+v]", got, want)
	}
}
