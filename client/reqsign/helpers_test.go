package reqsign

import (
	"bytes"
	"crypto/sha256"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
)

// t0 is the fixed "now" of the tests: 2026-01-01T00:00:00Z.
var t0 = time.Unix(1767225600, 0)

func testKey(name string) *secp256k1.PrivKey {
	return secp256k1.GenPrivKeyFromSecret([]byte(name))
}

func testAccount(t *testing.T, name string) string {
	t.Helper()
	addr, err := AccountAddress(AccountPrefix, testKey(name).PubKey())
	if err != nil {
		t.Fatal(err)
	}
	return addr
}

// fakeClock is a settable clock for a Verifier.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

func newTestVerifier(t *testing.T, clock *fakeClock, opts ...Option) *Verifier {
	t.Helper()
	v, err := NewVerifier(append([]Option{WithClock(clock.Now)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// signedRequest builds a client request and signs it with key for service at
// the given time.
func signedRequest(t testing.TB, key *secp256k1.PrivKey, service, method, url string, body []byte, at time.Time) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if err := SignRequest(req, body, KeySigner{Key: key}, service, at); err != nil {
		t.Fatal(err)
	}
	return req
}

// received returns the request a server sees for the client request req: the
// same headers, Host and request target.
func received(t *testing.T, req *http.Request) *http.Request {
	t.Helper()
	srv, err := http.NewRequest(req.Method, req.URL.String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	srv.RequestURI = req.URL.RequestURI()
	srv.Host = req.Host
	if srv.Host == "" {
		srv.Host = req.URL.Host
	}
	srv.Header = req.Header.Clone()
	return srv
}

func hashOf(b []byte) [32]byte { return sha256.Sum256(b) }
