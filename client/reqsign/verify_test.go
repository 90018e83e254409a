package reqsign

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestSignVerifyRoundTrip(t *testing.T) {
	clock := &fakeClock{now: t0}
	v := newTestVerifier(t, clock)
	body := []byte("hello, blob")
	req := signedRequest(t, testKey("alice"), "blob", http.MethodPut,
		"http://Node.Example:1317/v1/blobs/a%20b?z=1&a=x+y", body, t0)

	account, err := v.Verify(received(t, req), hashOf(body), "blob")
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if want := testAccount(t, "alice"); account != want {
		t.Fatalf("account = %s, want %s", account, want)
	}
	if !strings.HasPrefix(account, "q1") {
		t.Fatalf("account %s lacks the q1 prefix", account)
	}
}

// TestOverTheWire checks that what Go's client sends and Go's server receives
// canonicalise the same, including escapes and a handler that rewrites the URL.
func TestOverTheWire(t *testing.T) {
	clock := &fakeClock{now: t0}
	v := newTestVerifier(t, clock)
	type result struct {
		account string
		err     error
	}
	results := make(chan result, 1)
	verify := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			results <- result{err: err}
			return
		}
		account, err := v.Verify(r, hashOf(body), "hello")
		results <- result{account, err}
	})
	srv := httptest.NewServer(http.StripPrefix("/s/hello", verify))
	defer srv.Close()

	for _, target := range []string{
		"/s/hello/greet",
		"/s/hello/a%2Fb/caf%C3%A9/%7euser?q=%7e&b=1&a=2&a=1&empty=&flag",
		"/s/hello/x;y=1/(paren)!?k=v+w&k=v%20w",
	} {
		t.Run(target, func(t *testing.T) {
			body := []byte(`{"n":1}`)
			req := signedRequest(t, testKey("alice"), "hello", http.MethodPost, srv.URL+target, body, t0)
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			r := <-results
			if r.err != nil {
				t.Fatalf("Verify: %v", r.err)
			}
			if r.account != testAccount(t, "alice") {
				t.Fatalf("account = %s", r.account)
			}
		})
	}
}

func TestTamperingBreaksSignature(t *testing.T) {
	body := []byte("payload")
	const url = "http://node.example/v1/blobs?a=1"
	tests := []struct {
		name    string
		service string
		body    []byte
		mutate  func(r *http.Request)
	}{
		{name: "host", mutate: func(r *http.Request) { r.Host = "evil.example" }},
		{name: "host port", mutate: func(r *http.Request) { r.Host = "node.example:8080" }},
		{name: "method", mutate: func(r *http.Request) { r.Method = http.MethodPost }},
		{name: "path", mutate: func(r *http.Request) { r.RequestURI = "/v1/other?a=1" }},
		{name: "escaped slash", mutate: func(r *http.Request) { r.RequestURI = "/v1%2Fblobs?a=1" }},
		{name: "query value", mutate: func(r *http.Request) { r.RequestURI = "/v1/blobs?a=2" }},
		{name: "query added", mutate: func(r *http.Request) { r.RequestURI = "/v1/blobs?a=1&b=2" }},
		{name: "body", body: []byte("payloaD")},
		{name: "timestamp", mutate: func(r *http.Request) {
			r.Header.Set(HeaderTimestamp, strconv.FormatInt(t0.Unix()+1, 10))
		}},
		{name: "nonce", mutate: func(r *http.Request) { r.Header.Set(HeaderNonce, "AAAAAAAAAAAAAAAAAAAAAA") }},
		{name: "service", service: "gateway"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newTestVerifier(t, &fakeClock{now: t0})
			req := received(t, signedRequest(t, testKey("alice"), "blob", http.MethodPut, url, body, t0))
			if tt.mutate != nil {
				tt.mutate(req)
			}
			service, got := "blob", body
			if tt.service != "" {
				service = tt.service
			}
			if tt.body != nil {
				got = tt.body
			}
			_, err := v.Verify(req, hashOf(got), service)
			if !errors.Is(err, ErrBadSignature) || !errors.Is(err, ErrUnauthorized) {
				t.Fatalf("Verify = %v, want ErrBadSignature", err)
			}
			want := fmt.Sprintf("signature does not verify for account %s: the request is not the one that was signed for %q",
				testAccount(t, "alice"), service)
			if !strings.HasPrefix(err.Error(), want) {
				t.Fatalf("message = %q\nwant prefix %q", err, want)
			}
		})
	}
}

func TestReplayRefused(t *testing.T) {
	clock := &fakeClock{now: t0}
	v := newTestVerifier(t, clock)
	body := []byte("x")
	req := signedRequest(t, testKey("alice"), "blob", http.MethodPut, "http://node/v1/blobs", body, t0)
	if _, err := v.Verify(received(t, req), hashOf(body), "blob"); err != nil {
		t.Fatalf("first Verify: %v", err)
	}
	clock.Set(t0.Add(time.Minute))
	_, err := v.Verify(received(t, req), hashOf(body), "blob")
	if !errors.Is(err, ErrNonceReused) || !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("replay: %v, want ErrNonceReused", err)
	}
	want := fmt.Sprintf("nonce already used: account %s sent nonce %q before; sign every request afresh",
		testAccount(t, "alice"), req.Header.Get(HeaderNonce))
	if err.Error() != want {
		t.Fatalf("message = %q\nwant      %q", err, want)
	}

	// Once the window has passed the request is refused for its age, and the
	// nonce is forgotten.
	clock.Set(t0.Add(3 * time.Minute))
	_, err = v.Verify(received(t, req), hashOf(body), "blob")
	if !errors.Is(err, ErrTimestamp) {
		t.Fatalf("late replay: %v, want ErrTimestamp", err)
	}
	fresh := signedRequest(t, testKey("alice"), "blob", http.MethodPut, "http://node/v1/blobs", body, clock.Now())
	if _, err := v.Verify(received(t, fresh), hashOf(body), "blob"); err != nil {
		t.Fatalf("fresh request: %v", err)
	}
	if n := v.nonces.len(); n != 1 {
		t.Fatalf("verifier remembers %d nonces, want 1 (the expired one forgotten)", n)
	}
}

func TestVerifyFailures(t *testing.T) {
	alice, bob := testAccount(t, "alice"), testAccount(t, "bob")
	cosmosAlice, err := AccountAddress("cosmos", testKey("alice").PubKey())
	if err != nil {
		t.Fatal(err)
	}
	body := []byte("b")
	tests := []struct {
		name     string
		signedAt time.Time
		mutate   func(h http.Header)
		kind     error
		want     string
	}{
		{
			name:   "unsigned",
			mutate: func(h http.Header) { clear(h) },
			kind:   ErrNotSigned,
			want:   "request is not signed: it has no X-Q1-Signature header (sign it with a q1 account key)",
		},
		{
			name:     "stale",
			signedAt: t0.Add(-5 * time.Minute),
			kind:     ErrTimestamp,
			want:     "signature timestamp is 5m0s old; the replay window is 2m0s — check this machine's clock",
		},
		{
			name:     "future",
			signedAt: t0.Add(5*time.Minute + 30*time.Second),
			kind:     ErrTimestamp,
			want:     "signature timestamp is 5m30s in the future; the replay window is 2m0s — check this machine's clock",
		},
		{
			name:   "key of another account",
			mutate: func(h http.Header) { h.Set(HeaderAccount, bob) },
			kind:   ErrKeyMismatch,
			want:   "public key does not match account " + bob + ": the key in X-Q1-Pubkey belongs to " + alice,
		},
		{
			name: "signature by another key",
			mutate: func(h http.Header) {
				other := signedRequest(t, testKey("bob"), "blob", http.MethodPut, "http://node/v1/blobs", body, t0)
				h.Set(HeaderSignature, other.Header.Get(HeaderSignature))
			},
			kind: ErrBadSignature,
			want: "signature does not verify for account " + alice,
		},
		{
			name:   "missing one header",
			mutate: func(h http.Header) { h.Del(HeaderNonce) },
			kind:   ErrMalformed,
			want:   "signed request is missing header X-Q1-Nonce",
		},
		{
			name:   "repeated header",
			mutate: func(h http.Header) { h.Add(HeaderTimestamp, h.Get(HeaderTimestamp)) },
			kind:   ErrMalformed,
			want:   "header X-Q1-Timestamp appears 2 times; send it once",
		},
		{
			name:   "account with another prefix",
			mutate: func(h http.Header) { h.Set(HeaderAccount, cosmosAlice) },
			kind:   ErrMalformed,
			want:   `header X-Q1-Account: "` + cosmosAlice + `" is not a Quantum1Net account address: it starts with "cosmos1", but Quantum1Net accounts start with "q11"`,
		},
		{
			name:   "account not bech32",
			mutate: func(h http.Header) { h.Set(HeaderAccount, "alice") },
			kind:   ErrMalformed,
			want:   `header X-Q1-Account: "alice" is not a Quantum1Net account address: decoding bech32 failed: invalid bech32 string length 5`,
		},
		{
			name:   "pubkey not base64",
			mutate: func(h http.Header) { h.Set(HeaderPubKey, "not base64!") },
			kind:   ErrMalformed,
			want:   "header X-Q1-Pubkey: not standard padded base64",
		},
		{
			name:   "pubkey uncompressed length",
			mutate: func(h http.Header) { h.Set(HeaderPubKey, "BAAA") },
			kind:   ErrMalformed,
			want:   "header X-Q1-Pubkey: 3 bytes; want a 33-byte compressed secp256k1 public key (02 or 03 first)",
		},
		{
			name:   "timestamp with leading zero",
			mutate: func(h http.Header) { h.Set(HeaderTimestamp, "0"+h.Get(HeaderTimestamp)) },
			kind:   ErrMalformed,
			want:   `header X-Q1-Timestamp: "01767225600" is not a unix time in whole seconds (decimal digits, no leading zeros)`,
		},
		{
			name:   "timestamp in milliseconds text",
			mutate: func(h http.Header) { h.Set(HeaderTimestamp, "2026-01-01T00:00:00Z") },
			kind:   ErrMalformed,
			want:   `header X-Q1-Timestamp: "2026-01-01T00:00:00Z" is not a unix time in whole seconds (decimal digits, no leading zeros)`,
		},
		{
			name:   "nonce too short",
			mutate: func(h http.Header) { h.Set(HeaderNonce, "abc") },
			kind:   ErrMalformed,
			want:   "header X-Q1-Nonce: nonce is 3 characters; want 16 to 64",
		},
		{
			name:   "nonce alphabet",
			mutate: func(h http.Header) { h.Set(HeaderNonce, "abcdefgh/ijklmnop") },
			kind:   ErrMalformed,
			want:   `header X-Q1-Nonce: nonce "abcdefgh/ijklmnop" has a character outside A-Z a-z 0-9 - _`,
		},
		{
			name:   "signature length",
			mutate: func(h http.Header) { h.Set(HeaderSignature, "AAAA") },
			kind:   ErrMalformed,
			want:   "header X-Q1-Signature: 3 bytes; want a 64-byte R||S secp256k1 signature",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newTestVerifier(t, &fakeClock{now: t0})
			at := tt.signedAt
			if at.IsZero() {
				at = t0
			}
			req := received(t, signedRequest(t, testKey("alice"), "blob", http.MethodPut, "http://node/v1/blobs", body, at))
			if tt.mutate != nil {
				tt.mutate(req.Header)
			}
			_, err := v.Verify(req, hashOf(body), "blob")
			if !errors.Is(err, tt.kind) || !errors.Is(err, ErrUnauthorized) {
				t.Fatalf("Verify = %v, want kind %v", err, tt.kind)
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("message = %q\nwant prefix %q", err, tt.want)
			}
		})
	}
}

func TestMalformedTargetRefused(t *testing.T) {
	v := newTestVerifier(t, &fakeClock{now: t0})
	req := received(t, signedRequest(t, testKey("alice"), "blob", http.MethodGet, "http://node/v1/blobs", nil, t0))
	req.RequestURI = "/v1/blobs?a=%zz"
	_, err := v.Verify(req, hashOf(nil), "blob")
	want := `signed request: query parameter "a=%zz": invalid percent-escape`
	if !errors.Is(err, ErrMalformed) || err.Error() != want {
		t.Fatalf("Verify = %v, want %q", err, want)
	}
}

func TestReplayCacheBounded(t *testing.T) {
	clock := &fakeClock{now: t0}
	v := newTestVerifier(t, clock, WithNonceCapacity(2))
	send := func() error {
		req := signedRequest(t, testKey("alice"), "blob", http.MethodGet, "http://node/x", nil, clock.Now())
		_, err := v.Verify(received(t, req), hashOf(nil), "blob")
		return err
	}
	for i := range 2 {
		if err := send(); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	err := send()
	if !errors.Is(err, ErrReplayCacheFull) || errors.Is(err, ErrUnauthorized) {
		t.Fatalf("third request: %v, want ErrReplayCacheFull and not ErrUnauthorized", err)
	}
	if want := "too many signed requests within the last 2m0s; retry in a few seconds"; err.Error() != want {
		t.Fatalf("message = %q, want %q", err, want)
	}
	clock.Set(t0.Add(2*time.Minute + time.Second))
	if err := send(); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}

func TestNewVerifierRejectsBadOptions(t *testing.T) {
	tests := []struct {
		opt  Option
		want string
	}{
		{WithWindow(500 * time.Millisecond), "replay window 500ms is shorter than one second"},
		{WithNonceCapacity(0), "nonce capacity 0 is not positive"},
		{WithAccountPrefix(""), "account prefix is empty"},
		{WithClock(nil), "clock is nil"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			_, err := NewVerifier(tt.opt)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("NewVerifier = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestAccountPrefixOption(t *testing.T) {
	v := newTestVerifier(t, &fakeClock{now: t0}, WithAccountPrefix("cosmos"))
	req := received(t, signedRequest(t, testKey("alice"), "blob", http.MethodGet, "http://node/x", nil, t0))
	_, err := v.Verify(req, hashOf(nil), "blob")
	if want := `it starts with "q11", but cosmos accounts start with "cosmos1"`; err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("Verify = %v, want it to contain %q", err, want)
	}
}
