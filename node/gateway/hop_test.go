package gateway

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"testing"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
)

func sha256Of(b []byte) [32]byte { return sha256.Sum256(b) }

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// hopRequest builds the request node from would forward to node to.
func hopRequest(t *testing.T, n *network, from, to *testNode, service, route, method, host, target string, body []byte) *http.Request {
	t.Helper()
	return taggedHop(t, n, from.key, from.addr, to, service, route, method, host, target, body)
}

// taggedHop builds a hop from fromAddr, tagged with the pair key of key and
// to's registered key.
func taggedHop(t *testing.T, n *network, key *secp256k1.PrivKey, fromAddr string, to *testNode, service, route, method, host, target string, body []byte) *http.Request {
	t.Helper()
	req := request(t, to, method, host, target, body)
	challenge, err := newChallenge()
	if err != nil {
		t.Fatal(err)
	}
	hp := &hop{from: fromAddr, to: to.addr, service: service, route: route, client: "192.0.2.1", challenge: challenge}
	pairs, err := newPairKeys(key, n.keys)
	if err != nil {
		t.Fatal(err)
	}
	hp.tag, err = pairs.mac(to.addr, hp.message(method, host, target, sha256Of(body), ""))
	if err != nil {
		t.Fatal(err)
	}
	hp.setHeaders(req.Header)
	return req
}

func TestHopChecks(t *testing.T) {
	n := newNetwork(t)
	a, b, c := n.node("a", Config{}), n.node("b", Config{}), n.node("c", Config{})
	n.deploy("hello", publicManifest(t, "hello"), []Replica{b.replica()}, b)

	t.Run("a genuine hop is served and proven", func(t *testing.T) {
		req := hopRequest(t, n, a, b, "hello", hopRoutePath, http.MethodPost, "localhost", "/s/hello/x", []byte("in"))
		got := send(t, req)
		expect(t, got, 200, "hello from b at /x")
		msg := proofMessage(b.addr, req.Header.Get(HeaderHopChallenge), "hello", 200, "", sha256Of([]byte(got.body)))
		tag, err := base64.StdEncoding.DecodeString(got.header.Get(HeaderProof))
		if err != nil {
			t.Fatal(err)
		}
		if err := a.gw.pairs.check(b.addr, msg, tag); err != nil {
			t.Errorf("proof: %v", err)
		}
		reqs := b.rt.requests()
		if last := reqs[len(reqs)-1]; last.ClientIP != "192.0.2.1" {
			t.Errorf("service saw client %q; want the address the entry node reported", last.ClientIP)
		}
	})

	tamper := func(f func(r *http.Request)) *http.Request {
		r := hopRequest(t, n, a, b, "hello", hopRouteHost, http.MethodGet, "hello.localhost", "/x", nil)
		f(r)
		return r
	}
	for _, tc := range []struct {
		name   string
		req    *http.Request
		status int
		body   string
	}{
		{"signed by a key no sharer registered", taggedHop(t, n, testKey("stranger"), addressOf(t, testKey("stranger")), b,
			"hello", hopRouteHost, http.MethodGet, "hello.localhost", "/x", nil),
			403, "forwarded request is not proven to come from node " + addressOf(t, testKey("stranger")) +
				": no node key of sharer " + addressOf(t, testKey("stranger")) + ": sharer " +
				addressOf(t, testKey("stranger")) + " registered no node key"},
		{"claims another node's name", taggedHop(t, n, testKey("stranger"), c.addr, b,
			"hello", hopRouteHost, http.MethodGet, "hello.localhost", "/x", nil),
			403, "forwarded request is not proven to come from node " + c.addr +
				": it was not made with the key shared with sharer " + c.addr},
		{"addressed to another node", sendTo(hopRequest(t, n, a, c, "hello", hopRouteHost, http.MethodGet, "hello.localhost", "/x", nil), b),
			421, "forwarded request is addressed to node " + c.addr + ", but this is node " + b.addr},
		{"target changed after signing", tamper(func(r *http.Request) { r.URL.Path = "/admin" }),
			403, "forwarded request is not proven to come from node " + a.addr},
		{"client address changed after signing", tamper(func(r *http.Request) { r.Header.Set(HeaderHopClient, "10.0.0.1") }),
			403, "it was not made with the key shared with sharer " + a.addr},
		{"missing header", tamper(func(r *http.Request) { r.Header.Del(HeaderHopAuth) }),
			400, "forwarded request is missing header X-Q1-Hop-Auth"},
		{"lone hop header from a caller", func() *http.Request {
			r := request(t, b, http.MethodGet, "hello.localhost", "/", nil)
			r.Header.Set("x-q1-hop-from", a.addr)
			return r
		}(), 400, "forwarded request is missing header X-Q1-Hop-To"},
		{"bad route", tamper(func(r *http.Request) { r.Header.Set(HeaderHopRoute, "tunnel") }),
			400, `header X-Q1-Hop-Route is "tunnel"; want "host" or "path"`},
		{"path route that does not name the service", hopRequest(t, n, a, b, "hello", hopRoutePath,
			http.MethodGet, "localhost", "/s/other/x", nil),
			400, "forwarded request for service hello has target /s/other/x, which does not name it"},
		{"short challenge", tamper(func(r *http.Request) { r.Header.Set(HeaderHopChallenge, "abc") }),
			400, "header X-Q1-Hop-Challenge: want 32 random bytes as unpadded base64url"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := send(t, tc.req)
			expect(t, got, tc.status, tc.body)
			if got.header.Get(HeaderProof) != "" {
				t.Errorf("an unproven hop got a signed answer")
			}
		})
	}
}

// sendTo points req at node tn's listener, keeping everything else.
func sendTo(req *http.Request, tn *testNode) *http.Request {
	u, _ := url.Parse(tn.srv.URL)
	req.URL.Host = u.Host
	return req
}
