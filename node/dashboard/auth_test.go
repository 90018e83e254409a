package dashboard

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"

	"github.com/quantum1net/q1/client"
	"github.com/quantum1net/q1/client/reqsign"
	"github.com/quantum1net/q1/client/signin"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// testNode is the CometBFT id of the node the tests' Auth belongs to.
const testNode = "0123456789abcdef0123456789abcdef01234567"

func mustAuth(t testing.TB, opts ...AuthOption) *Auth {
	t.Helper()
	a, err := NewAuth("q1-test", testNode, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func newTestAuth(t testing.TB) (*Auth, *clock) {
	c := &clock{t: time.Date(2026, 1, 2, 15, 0, 0, 0, time.UTC)}
	return mustAuth(t, WithClock(c.now), WithTTLs(5*time.Minute, time.Hour)), c
}

func signer(seed string) reqsign.KeySigner {
	return reqsign.KeySigner{Key: secp256k1.GenPrivKeyFromSecret([]byte(seed))}
}

func address(t *testing.T, s reqsign.KeySigner) string {
	a, err := reqsign.AccountAddress(reqsign.AccountPrefix, s.Key.PubKey())
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestSignInOpensASession(t *testing.T) {
	a, _ := newTestAuth(t)
	alice := signer("alice")
	c, _, err := a.Challenge("192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	token, err := signin.Sign(c, alice)
	if err != nil {
		t.Fatal(err)
	}
	id, s, err := a.SignIn(token)
	if err != nil {
		t.Fatalf("sign in: %v", err)
	}
	if s.Account != address(t, alice) {
		t.Fatalf("session for %s, want %s", s.Account, address(t, alice))
	}
	r := httptest.NewRequest("GET", "/v1/services/x/logs", nil)
	r.AddCookie(&http.Cookie{Name: SessionCookie, Value: id})
	if got := a.Account(r); got != s.Account {
		t.Fatalf("Account(cookie) = %q, want %q", got, s.Account)
	}
	r = httptest.NewRequest("GET", "/", nil)
	r.AddCookie(&http.Cookie{Name: SessionCookie, Value: "forged"})
	if got := a.Account(r); got != "" {
		t.Fatalf("a forged cookie names %q", got)
	}
}

func TestSignInRefusals(t *testing.T) {
	alice, mallory := signer("alice"), signer("mallory")
	for _, tc := range []struct {
		name  string
		token func(t *testing.T, a *Auth, c *clock) string
		err   error
		msg   string
	}{
		{"bad signature", func(t *testing.T, a *Auth, _ *clock) string {
			ch, _, _ := a.Challenge("192.0.2.1")
			tok := mustDecode(t, mustSign(t, ch, alice))
			tok.Signature[5] ^= 0xff
			return signin.EncodeToken(tok)
		}, signin.ErrBadSignature, "the signature is not " + address(t, alice) + "'s signature of challenge q1-dashboard-"},
		{"signature of another challenge", func(t *testing.T, a *Auth, _ *clock) string {
			ch1, _, _ := a.Challenge("192.0.2.1")
			ch2, _, _ := a.Challenge("192.0.2.1")
			tok := mustDecode(t, mustSign(t, ch1, alice))
			tok.Challenge = ch2
			return signin.EncodeToken(tok)
		}, signin.ErrBadSignature, "sign exactly the challenge shown with `q1 dashboard sign`"},
		{"reused challenge", func(t *testing.T, a *Auth, _ *clock) string {
			ch, _, _ := a.Challenge("192.0.2.1")
			tok := mustSign(t, ch, alice)
			if _, _, err := a.SignIn(tok); err != nil {
				t.Fatalf("first use: %v", err)
			}
			return tok
		}, ErrChallengeUsed, "was already used to sign in; each challenge works once, get a new one"},
		{"expired challenge", func(t *testing.T, a *Auth, c *clock) string {
			ch, _, _ := a.Challenge("192.0.2.1")
			tok := mustSign(t, ch, alice)
			c.t = c.t.Add(5*time.Minute + time.Second)
			return tok
		}, ErrChallengeExpired, "expired at 15:05:00 UTC (challenges last 5m0s); get a new challenge and sign it"},
		{"wrong address", func(t *testing.T, a *Auth, _ *clock) string {
			ch, _, _ := a.Challenge("192.0.2.1")
			tok := mustDecode(t, mustSign(t, ch, mallory))
			tok.Address = address(t, alice)
			return signin.EncodeToken(tok)
		}, signin.ErrWrongAddress, "the token names " + address(t, alice) + " but its public key belongs to " + address(t, mallory)},
		{"challenge never issued", func(t *testing.T, a *Auth, _ *clock) string {
			return mustSign(t, "q1-dashboard-q1-test-"+testNode+"-00000000000000000000000000000000", alice)
		}, ErrUnknownChallenge, "this node did not issue q1-dashboard-q1-test-" + testNode + "-00000000000000000000000000000000"},
		{"not a token", func(*testing.T, *Auth, *clock) string { return "hello" }, signin.ErrBadToken, `a token starts with "q1token."`},
		{"cut token", func(t *testing.T, a *Auth, _ *clock) string {
			ch, _, _ := a.Challenge("192.0.2.1")
			tok := mustSign(t, ch, alice)
			return tok[:len(tok)-10]
		}, signin.ErrBadToken, "it is cut or changed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, c := newTestAuth(t)
			tok := tc.token(t, a, c)
			_, _, err := a.SignIn(tok)
			if !errors.Is(err, tc.err) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("SignIn: %v\nwant %v containing %q", err, tc.err, tc.msg)
			}
		})
	}
}

func TestSessionsExpire(t *testing.T) {
	a, c := newTestAuth(t)
	ch, _, _ := a.Challenge("192.0.2.1")
	id, _, err := a.SignIn(mustSign(t, ch, signer("alice")))
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(&http.Cookie{Name: SessionCookie, Value: id})
	c.t = c.t.Add(time.Hour + time.Second)
	if got := a.Account(r); got != "" {
		t.Fatalf("an expired session still names %q", got)
	}
}

// TestChallengeFloodLocksOutOnlyTheFlooder: one address asking for
// challenges in a loop gets refused once it has its share waiting, and
// everyone else still signs in.
func TestChallengeFloodLocksOutOnlyTheFlooder(t *testing.T) {
	c := &clock{t: time.Unix(0, 0)}
	a := mustAuth(t, WithClock(c.now), WithMaxPerClient(3))
	for i := range 3 {
		if _, _, err := a.Challenge("198.51.100.7"); err != nil {
			t.Fatalf("challenge %d: %v", i, err)
		}
	}
	for range 10_000 {
		_, _, err := a.Challenge("198.51.100.7")
		if !errors.Is(err, ErrTooManyChallenges) || !strings.Contains(err.Error(), "3 sign-ins from your address are waiting; sign one of them, or wait until they expire (5m0s)") {
			t.Fatalf("flooder's 4th challenge: %v", err)
		}
	}
	ch, _, err := a.Challenge("192.0.2.1")
	if err != nil {
		t.Fatalf("someone else's challenge during the flood: %v", err)
	}
	if _, _, err := a.SignIn(mustSign(t, ch, signer("alice"))); err != nil {
		t.Fatalf("someone else's sign-in during the flood: %v", err)
	}
	c.t = c.t.Add(6 * time.Minute) // the flooder's challenges expire
	if _, _, err := a.Challenge("198.51.100.7"); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
}

// TestChallengesFromManyAddressesEvictTheOldest: when the node holds its
// maximum, a new challenge pushes out the oldest waiting one instead of
// refusing everybody.
func TestChallengesFromManyAddressesEvictTheOldest(t *testing.T) {
	c := &clock{t: time.Unix(0, 0)}
	a := mustAuth(t, WithClock(c.now), WithMaxChallenges(2))
	first, _, _ := a.Challenge("192.0.2.1")
	a.Challenge("192.0.2.2")
	third, _, err := a.Challenge("192.0.2.3")
	if err != nil {
		t.Fatalf("third challenge with the node full: %v", err)
	}
	if _, _, err := a.SignIn(mustSign(t, first, signer("alice"))); !errors.Is(err, ErrUnknownChallenge) {
		t.Fatalf("the evicted challenge: %v", err)
	}
	if _, _, err := a.SignIn(mustSign(t, third, signer("alice"))); err != nil {
		t.Fatalf("the newest challenge: %v", err)
	}
	if _, _, err := a.Challenge("192.0.2.1"); err != nil {
		t.Fatalf("the evicted client asks again: %v", err)
	}
}

func TestClientNetwork(t *testing.T) {
	for addr, want := range map[string]string{
		"192.0.2.1:5555":             "192.0.2.1",
		"[::ffff:192.0.2.1]:5555":    "192.0.2.1",
		"[2001:db8:1:2:3::4]:443":    "2001:db8:1:2::/64",
		"[2001:db8:1:2:ffff::1]:443": "2001:db8:1:2::/64",
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = addr
		if got := ClientNetwork(r); got != want {
			t.Errorf("ClientNetwork(%s) = %q, want %q", addr, got, want)
		}
	}
}

// TestNewAuthChecksItsIssuer: a chain id that could carry other text is refused.
func TestNewAuthChecksItsIssuer(t *testing.T) {
	if _, err := NewAuth("q1 test; rm -rf", testNode); err == nil || err.Error() != `dashboard sign-in: "q1 test; rm -rf" is not a chain id` {
		t.Fatalf("NewAuth took a chain id with spaces: %v", err)
	}
	if _, err := NewAuth("q1-test", "ABC"); err == nil || err.Error() != `dashboard sign-in: node id "ABC" is not 40 lowercase hex digits` {
		t.Fatalf("NewAuth took a bad node id: %v", err)
	}
}

// TestHTTPSignIn goes through the endpoints as the page does: challenge,
// token, cookie, session, sign-out.
func TestHTTPSignIn(t *testing.T) {
	a, _ := newTestAuth(t)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/auth/challenge", a.ServeChallenge)
	mux.HandleFunc("POST /v1/auth/session", a.ServeSignIn)
	mux.HandleFunc("GET /v1/auth/session", a.ServeSession)
	mux.HandleFunc("DELETE /v1/auth/session", a.ServeSignOut)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	res, err := http.Get(srv.URL + "/v1/auth/challenge")
	if err != nil {
		t.Fatal(err)
	}
	var ch struct{ Challenge, Command string }
	json.NewDecoder(res.Body).Decode(&ch)
	res.Body.Close()
	if !strings.HasPrefix(ch.Command, "q1 dashboard sign "+ch.Challenge) {
		t.Fatalf("challenge answer: %+v", ch)
	}
	tok := mustSign(t, ch.Challenge, signer("alice"))

	res, _ = http.Post(srv.URL+"/v1/auth/session", "text/plain", strings.NewReader(tok))
	if res.StatusCode != http.StatusUnsupportedMediaType {
		t.Fatalf("a form-like post: %d", res.StatusCode)
	}
	res, _ = http.Post(srv.URL+"/v1/auth/session", "application/json", strings.NewReader(`{"token":"`+tok+`"}`))
	if res.StatusCode != 200 {
		t.Fatalf("sign in: %d", res.StatusCode)
	}
	var cookie *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == SessionCookie {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode || cookie.Path != "/v1/" || cookie.MaxAge != 3600 {
		t.Fatalf("session cookie: %+v", cookie)
	}
	res, _ = http.Post(srv.URL+"/v1/auth/session", "application/json", strings.NewReader(`{"token":"`+tok+`"}`))
	var e struct{ Error string }
	json.NewDecoder(res.Body).Decode(&e)
	if res.StatusCode != 401 || !strings.Contains(e.Error, "already used") {
		t.Fatalf("reuse over HTTP: %d %q", res.StatusCode, e.Error)
	}

	req, _ := http.NewRequest("GET", srv.URL+"/v1/auth/session", nil)
	req.AddCookie(cookie)
	res, _ = http.DefaultClient.Do(req)
	var s client.Session
	json.NewDecoder(res.Body).Decode(&s)
	if res.StatusCode != 200 || s.Account != address(t, signer("alice")) {
		t.Fatalf("session: %d %+v", res.StatusCode, s)
	}
	req, _ = http.NewRequest("DELETE", srv.URL+"/v1/auth/session", nil)
	req.AddCookie(cookie)
	http.DefaultClient.Do(req)
	req, _ = http.NewRequest("GET", srv.URL+"/v1/auth/session", nil)
	req.AddCookie(cookie)
	res, _ = http.DefaultClient.Do(req)
	if res.StatusCode != 401 {
		t.Fatalf("after sign-out: %d", res.StatusCode)
	}
}

func mustSign(t *testing.T, challenge string, s reqsign.Signer) string {
	t.Helper()
	tok, err := signin.Sign(challenge, s)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func mustDecode(t *testing.T, s string) signin.Token {
	t.Helper()
	tok, err := signin.DecodeToken(s)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestSessionsAreBounded(t *testing.T) {
	c := &clock{t: time.Unix(0, 0)}
	a := mustAuth(t, WithClock(c.now), WithMaxSessions(1))
	ch1, _, _ := a.Challenge("192.0.2.1")
	ch2, _, _ := a.Challenge("192.0.2.1")
	if _, _, err := a.SignIn(mustSign(t, ch1, signer("alice"))); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.SignIn(mustSign(t, ch2, signer("bob"))); !errors.Is(err, ErrTooManySessions) {
		t.Fatalf("second session: %v", err)
	}
}

// FuzzSignIn feeds the sign-in whatever a browser could post: it never
// panics and never opens a session without a valid signature.
func FuzzSignIn(f *testing.F) {
	a := mustAuth(f)
	ch, _, _ := a.Challenge("192.0.2.1")
	good := mustSignF(f, ch)
	f.Add(good)
	f.Add("q1token.")
	f.Add("q1token.e30")
	f.Add(good[:len(good)/2])
	f.Fuzz(func(t *testing.T, token string) {
		b := mustAuth(t)
		_, _, err := b.SignIn(token)
		if err == nil {
			t.Fatalf("a session from a challenge this Auth never issued: %q", token)
		}
	})
}

func mustSignF(f *testing.F, challenge string) string {
	tok, err := signin.Sign(challenge, signer("alice"))
	if err != nil {
		f.Fatal(err)
	}
	return tok
}
