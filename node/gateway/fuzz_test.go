package gateway

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/quantum1net/q1/client/reqsign"
)

// FuzzRoute feeds arbitrary Host headers and request targets to the router:
// it must never panic and must keep checkRoute's promises. Inputs found
// by the fuzzer are kept in testdata/fuzz/FuzzRoute.
func FuzzRoute(f *testing.F) {
	for _, seed := range [][2]string{
		{"hello.localhost:8081", "/greet?x=1"},
		{"localhost", "/s/hello/a%2Fb?q"},
		{"[::1]:80", "/s/hello"},
		{"a.b.gw.test.", "/"},
		{"HELLO.GW.TEST", "//x"},
		{"", "*"},
		{"localhost", "/s/"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, host, target string) {
		checkRoute(t, host, target, parseRoute(host, target, testBases))
	})
}

// FuzzParseHop feeds arbitrary values to the hop headers: parseHop must
// never panic, and what it accepts must survive a round trip.
func FuzzParseHop(f *testing.F) {
	f.Add("q11qyqszqgpqyqszqgpqyqszqgpqyqszqgpjtw6m7", "q11qgpqyqszqgpqyqszqgpqyqszqgpqyqszr0glsg",
		"hello", "path", "192.0.2.1", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
	f.Add("", "", "", "", "", "", "")
	f.Fuzz(func(t *testing.T, from, to, service, route, client, challenge, tag string) {
		h := http.Header{}
		for name, v := range map[string]string{
			HeaderHopFrom: from, HeaderHopTo: to, HeaderHopService: service, HeaderHopRoute: route,
			HeaderHopClient: client, HeaderHopChallenge: challenge, HeaderHopAuth: tag,
		} {
			h.Set(name, v)
		}
		hp, err := parseHop(h)
		if err != nil {
			if hp != nil {
				t.Fatal("parseHop returned a hop with an error")
			}
			return
		}
		again := http.Header{}
		hp.setHeaders(again)
		hp2, err := parseHop(again)
		if err != nil || !reflect.DeepEqual(hp, hp2) {
			t.Fatalf("round trip: %+v -> %+v, %v", hp, hp2, err)
		}
	})
}

// FuzzServeHTTP sends the gateway requests with arbitrary X-Q1-Hop-*
// headers, forged proof and served-by headers, signature headers, hosts,
// targets and bodies. Half of them carry a hop genuinely tagged by a
// registered peer (over the fuzzed fields), so the fuzzer also reaches what
// runs after the hop check. Every answer must be a 2xx or a 4xx with a
// message: never a panic, never a 5xx. An answer carries a proof only for
// a genuinely tagged hop.
func FuzzServeHTTP(f *testing.F) {
	const (
		alice = "q11qyqszqgpqyqszqgpqyqszqgpqyqszqgpjtw6m7"
		chal  = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		tag   = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
	)
	for _, genuine := range []bool{false, true} {
		f.Add(genuine, uint8(0), "localhost:8080", "/s/hello/x", "", "", "hello", "path", "192.0.2.1", chal, tag, "", []byte(nil))
		f.Add(genuine, uint8(1), "hello.localhost:8080", "/a?b=c", "self", "self", "hello", "host", "::1", chal, tag, tag, []byte("body"))
		f.Add(genuine, uint8(2), "localhost", "/s/other/x", alice, "self", "other", "path", "", "", "", "forged", []byte{})
		f.Add(genuine, uint8(3), "203.0.113.9:8081", "/s/hello/%zz", "peer", "self", "hello", "host", "1.2.3.4", "x", "!!", "", []byte("x"))
		f.Add(genuine, uint8(4), "x.y.localhost", "*", "peer", alice, "Hello", "Path", "a b", chal+"A", tag+"A", "AAAA", []byte(nil))
	}
	// A well-formed hop from a registered peer, and a public call.
	f.Add(true, uint8(0), "localhost:8080", "/s/hello/public/x", "peer", "self", "hello", "path", "192.0.2.1", chal, tag, "", []byte(nil))
	f.Add(false, uint8(1), "hello.localhost:8080", "/public/x", "", "", "", "", "", "", "", "", []byte("hi"))
	n := newNetwork(f)
	a := n.node("a", Config{})
	peer := n.sharer("peer")
	peerPairs, err := newPairKeys(testKey("node-peer"), n.keys)
	if err != nil {
		f.Fatal(err)
	}
	n.deploy("hello", testManifest(f, "hello", callersYAML(alice), ""), []Replica{a.replica()}, a)
	local := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}
	methods := []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodHead, "PATCH", "OPTIONS", "BREW"}
	name := func(s string) string { // stand-ins for real addresses
		switch s {
		case "self":
			return a.addr
		case "peer":
			return peer
		}
		return s
	}

	f.Fuzz(func(t *testing.T, genuine bool, method uint8, host, target, from, to, service, route, client, challenge, auth, proof string, body []byte) {
		r := httptest.NewRequest(http.MethodGet, "/", bytes.NewReader(body))
		r.Method = methods[int(method)%len(methods)]
		r.Host, r.RequestURI = host, target
		if u, err := url.ParseRequestURI(target); err == nil {
			r.URL = u
		}
		r = r.WithContext(context.WithValue(r.Context(), http.LocalAddrContextKey, local))
		r.ContentLength = int64(len(body))
		hp := &hop{from: name(from), to: name(to), service: service, route: route, client: client, challenge: challenge}
		for hdr, v := range map[string]string{
			HeaderHopFrom: hp.from, HeaderHopTo: hp.to, HeaderHopService: service, HeaderHopRoute: route,
			HeaderHopClient: client, HeaderHopChallenge: challenge, HeaderHopAuth: auth,
		} {
			if v != "" {
				r.Header[hdr] = []string{v} // as sent, even when invalid
			}
		}
		if proof != "" {
			for _, hdr := range []string{HeaderProof, HeaderServedBy, HeaderNotRun, HeaderVia, reqsign.HeaderSignature} {
				r.Header[hdr] = []string{proof}
			}
		}
		tagged := false
		if genuine && hp.from == peer {
			// The peer tags exactly what is sent, however odd.
			msg := hp.message(r.Method, r.Host, requestTarget(r), sha256.Sum256(body), callerSignature(r))
			if mac, err := peerPairs.mac(a.addr, msg); err == nil {
				r.Header[HeaderHopAuth] = []string{base64.StdEncoding.EncodeToString(mac)}
				tagged = true
			}
		}

		w := httptest.NewRecorder()
		a.gw.ServeHTTP(w, r)

		status, msg := w.Code, strings.TrimSpace(w.Body.String())
		if debugFuzz {
			t.Logf("tagged=%v %d %s", tagged, status, msg)
		}
		switch {
		case status >= 500:
			t.Fatalf("%s %q Host %q hop %+v: %d %s", r.Method, target, host, hp, status, msg)
		case status >= 400 && msg == "" && r.Method != http.MethodHead:
			t.Fatalf("%s %q Host %q: %d with no message", r.Method, target, host, status)
		case status >= 400 && w.Header().Get(HeaderError) == "":
			t.Fatalf("%s %q Host %q: %d without %s", r.Method, target, host, status, HeaderError)
		case status < 200:
			t.Fatalf("status %d", status)
		}
		if got := w.Header().Get(HeaderProof); got != "" && !tagged {
			t.Fatalf("an untagged request got a proof %q (%d %s)", got, status, msg)
		}
		if got := w.Header().Get(HeaderProof); got == proof && proof != "" {
			t.Fatalf("the caller's forged proof was echoed")
		}
	})
}

var debugFuzz = false
