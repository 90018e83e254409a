package gateway

import (
	"errors"
	"net/http"
	"testing"
)

func TestRuntimeFailures(t *testing.T) {
	for _, tc := range []struct {
		name   string
		err    error
		method string
		status int
		code   string
		body   string
	}{
		{"timeout", &runtimeError{KindTimeout, "service hello: request exceeded the service's 2s timeout"}, "GET",
			504, CodeTimeout, "service hello: request exceeded the service's 2s timeout"},
		{"trap", &runtimeError{KindTrap, "service hello: guest failed: panic: boom"}, "GET",
			500, CodeServiceError, "service hello: guest failed: panic: boom"},
		{"memory", &runtimeError{KindMemory, "service hello: instance ran out of memory (limit 32 MiB)"}, "GET",
			500, CodeServiceError, "instance ran out of memory (limit 32 MiB)"},
		{"oversized response", &runtimeError{KindResponseTooLarge, "service hello: response exceeds the service's 1 MiB limit"}, "GET",
			500, CodeServiceError, "response exceeds the service's 1 MiB limit"},
		{"bad response", &runtimeError{KindBadResponse, "service hello: guest returned without writing a response"}, "GET",
			500, CodeServiceError, "guest returned without writing a response"},
		{"request too large for the runtime", &runtimeError{KindRequestTooLarge, "service hello: request of 2 MiB exceeds the service's 1 MiB limit"}, "POST",
			413, CodeTooLarge, "request of 2 MiB exceeds"},
		{"closing, POST", &runtimeError{KindUnavailable, "service hello: the service was closed while the request ran"}, "POST",
			503, CodeUnavailable, "the service was closed while the request ran; a POST is not retried elsewhere because it may have started"},
		{"closing, GET, no other replica", &runtimeError{KindUnavailable, "service hello: the service is closed"}, "GET",
			502, CodeBadGateway, "no replica of service hello could serve the request (tried 1 of 1)"},
		{"error without a kind", errors.New("adapter exploded"), "GET",
			500, CodeServiceError, "service hello failed on node"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := newNetwork(t)
			a := n.node("a", Config{})
			n.deploy("hello", publicManifest(t, "hello"), []Replica{a.replica()}, a)
			a.rt.setHandler(func(string, *Request) (*Response, error) { return nil, tc.err })
			got := send(t, request(t, a, tc.method, "hello.localhost", "/", nil))
			expect(t, got, tc.status, tc.body)
			if got.header.Get(HeaderError) != tc.code {
				t.Errorf("%s = %q, want %q", HeaderError, got.header.Get(HeaderError), tc.code)
			}
		})
	}
}

func TestInvalidServiceStatus(t *testing.T) {
	n := newNetwork(t)
	a := n.node("a", Config{})
	n.deploy("hello", publicManifest(t, "hello"), []Replica{a.replica()}, a)
	a.rt.setHandler(func(string, *Request) (*Response, error) { return &Response{Status: 101}, nil })
	expect(t, get(t, a, "hello.localhost", "/"), 500, "service hello answered with status 101; services must answer 200 to 599")
}

func TestServiceStates(t *testing.T) {
	n := newNetwork(t)
	a, b := n.node("a", Config{}), n.node("b", Config{})
	m := publicManifest(t, "hello")

	for _, tc := range []struct {
		name   string
		svc    *fakeService
		status int
		code   string
		body   string
	}{
		{"paused with a reason from the chain", &fakeService{state: ServiceState{Exists: true, Paused: true,
			Reason: "escrow ran dry at height 1200"}, manifest: m, replicas: []Replica{b.replica()}},
			402, CodePaymentRequired, "service hello is paused: escrow ran dry at height 1200. " +
				"It resumes when its owner or an operator deposits QCoin into its escrow."},
		{"paused without a reason", &fakeService{state: ServiceState{Exists: true, Paused: true}, manifest: m},
			402, CodePaymentRequired, "service hello is paused: its escrow is empty."},
		{"no replica placed", &fakeService{state: ServiceState{Exists: true}, manifest: m},
			503, CodeUnavailable, "service hello has no replica placed on any sharer node right now"},
		{"manifest not known yet", &fakeService{state: ServiceState{Exists: true}},
			503, CodeUnavailable, "this node does not know the manifest of service hello yet; retry in a few seconds"},
		{"deleted", &fakeService{}, 404, CodeNotFound, `no service named "hello" on this network`},
		{"chain state unreadable", &fakeService{state: ServiceState{Unavailable: "rpc error: connection refused"}}, 503, CodeUnavailable,
			"this node cannot read the state of service hello from the chain just now (rpc error: connection refused); retry in a few seconds"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n.chain.set("hello", tc.svc)
			b.rt.load("hello")
			got := get(t, a, "hello.localhost", "/")
			expect(t, got, tc.status, tc.body)
			if got.header.Get(HeaderError) != tc.code {
				t.Errorf("%s = %q, want %q", HeaderError, got.header.Get(HeaderError), tc.code)
			}
			if len(b.rt.requests()) != 0 {
				t.Error("the request ran")
			}
		})
	}
}

func TestPausedAtServingNode(t *testing.T) {
	// The entry node's view may lag: the serving node's own refusal comes back proven.
	n := newNetwork(t)
	a, b := n.node("a", Config{}), n.node("b", Config{})
	n.deploy("hello", publicManifest(t, "hello"), []Replica{b.replica()}, b)
	req := hopRequest(t, n, a, b, "hello", hopRouteHost, http.MethodGet, "hello.localhost", "/", nil)
	n.chain.set("hello", &fakeService{state: ServiceState{Exists: true, Paused: true, Reason: "escrow is empty"}})
	got := send(t, req)
	expect(t, got, 402, "service hello is paused: escrow is empty.")
	if got.header.Get(HeaderProof) == "" || got.header.Get(HeaderServedBy) != b.addr {
		t.Error("the serving node's refusal is not proven")
	}
}

// TestFailureStatus is the one table from a failure kind to a status.
func TestFailureStatus(t *testing.T) {
	for kind, want := range map[string]int{
		KindTimeout: 504, KindRequestTooLarge: 413, KindBadRequest: 400, KindUnavailable: 503, KindCanceled: 499,
		KindTrap: 500, KindMemory: 500, KindResponseTooLarge: 500, KindBadResponse: 500, "something new": 500,
	} {
		if got := FailureStatus(kind); got != want {
			t.Errorf("FailureStatus(%q) = %d, want %d", kind, got, want)
		}
	}
}
