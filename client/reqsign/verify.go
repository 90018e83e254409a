package reqsign

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Defaults of a Verifier.
const (
	// DefaultWindow is how far a signature's timestamp may lie from the
	// verifier's clock, in either direction.
	DefaultWindow = 2 * time.Minute
	// DefaultNonceCapacity bounds the nonces a verifier remembers (about 64
	// bytes each): ~1,000 signed requests a second sustained over a 2-minute
	// window.
	DefaultNonceCapacity = 1 << 18
)

// Verifier checks signed requests. It is safe for concurrent use; one
// Verifier should serve every listener of a node so a nonce accepted by one
// is refused by all.
type Verifier struct {
	prefix string
	window time.Duration
	now    func() time.Time
	nonces *nonceCache
}

// Option configures a Verifier.
type Option func(*verifierConfig)

type verifierConfig struct {
	prefix   string
	window   time.Duration
	now      func() time.Time
	capacity int
}

// WithWindow sets the replay window (default DefaultWindow); it must be at
// least one second.
func WithWindow(d time.Duration) Option { return func(c *verifierConfig) { c.window = d } }

// WithClock sets the clock the timestamp is checked against (default time.Now).
func WithClock(now func() time.Time) Option { return func(c *verifierConfig) { c.now = now } }

// WithNonceCapacity bounds how many nonces are remembered (default
// DefaultNonceCapacity); it must be positive.
func WithNonceCapacity(n int) Option { return func(c *verifierConfig) { c.capacity = n } }

// WithAccountPrefix sets the bech32 prefix accounts must carry (default
// AccountPrefix, "q1").
func WithAccountPrefix(p string) Option { return func(c *verifierConfig) { c.prefix = p } }

// NewVerifier returns a Verifier, or an error naming an invalid option.
func NewVerifier(opts ...Option) (*Verifier, error) {
	c := verifierConfig{prefix: AccountPrefix, window: DefaultWindow, now: time.Now, capacity: DefaultNonceCapacity}
	for _, o := range opts {
		o(&c)
	}
	switch {
	case c.window < time.Second:
		return nil, fmt.Errorf("replay window %s is shorter than one second", c.window)
	case c.capacity <= 0:
		return nil, fmt.Errorf("nonce capacity %d is not positive", c.capacity)
	case c.prefix == "":
		return nil, fmt.Errorf("account prefix is empty")
	case c.now == nil:
		return nil, fmt.Errorf("clock is nil")
	}
	return &Verifier{prefix: c.prefix, window: c.window, now: c.now, nonces: newNonceCache(c.capacity)}, nil
}

// Window returns the replay window.
func (v *Verifier) Window() time.Duration { return v.window }

// Verify checks that req, whose body hashes to bodyHash, was signed for
// service by the account it names, within the replay window, with a nonce
// not used before. It returns the account's bech32 address. On refusal the
// error is a *VerifyError whose message tells the sender what to fix; see the
// Err* kinds. A nonce is spent only by a request whose signature verifies.
func (v *Verifier) Verify(req *http.Request, bodyHash [32]byte, service string) (string, error) {
	sh, err := parseHeaders(req.Header, v.prefix)
	if err != nil {
		return "", err
	}
	now := v.now()
	age := now.Sub(time.Unix(sh.timestamp, 0))
	if age > v.window {
		return "", refuse(ErrTimestamp, fmt.Sprintf(
			"signature timestamp is %s old; the replay window is %s — check this machine's clock",
			age.Truncate(time.Second), v.window))
	}
	if age < -v.window {
		return "", refuse(ErrTimestamp, fmt.Sprintf(
			"signature timestamp is %s in the future; the replay window is %s — check this machine's clock",
			(-age).Truncate(time.Second), v.window))
	}
	account, err := AccountAddress(v.prefix, sh.pubKey)
	if err != nil {
		return "", refuse(ErrMalformed, fmt.Sprintf("header %s: %v", HeaderPubKey, err))
	}
	if !sameAddress(sh.pubKey, sh.account) {
		return "", refuse(ErrKeyMismatch, fmt.Sprintf(
			"public key does not match account %s: the key in %s belongs to %s",
			req.Header.Get(HeaderAccount), HeaderPubKey, account))
	}
	path, query := serverTarget(req)
	msg, err := Request{
		Service:   service,
		Host:      req.Host,
		Method:    req.Method,
		Path:      path,
		Query:     query,
		BodyHash:  bodyHash,
		Timestamp: sh.timestamp,
		Nonce:     sh.nonce,
	}.StringToSign()
	if err != nil {
		return "", refuse(ErrMalformed, fmt.Sprintf("signed request: %v", err))
	}
	if !sh.pubKey.VerifySignature(msg, sh.signature) {
		return "", refuse(ErrBadSignature, fmt.Sprintf(
			"signature does not verify for account %s: the request is not the one that was signed for %q "+
				"(host, method, path, query, body, timestamp or nonce differ) or another key signed it",
			account, service))
	}
	expires := sh.timestamp + int64((v.window+time.Second-1)/time.Second)
	switch v.nonces.add(account, sh.nonce, expires, now.Unix()) {
	case nonceSeen:
		return "", refuse(ErrNonceReused, fmt.Sprintf(
			"nonce already used: account %s sent nonce %q before; sign every request afresh", account, sh.nonce))
	case nonceFull:
		return "", refuse(ErrReplayCacheFull, fmt.Sprintf(
			"too many signed requests within the last %s; retry in a few seconds", v.window))
	}
	return account, nil
}

// serverTarget returns the raw path and query of a request a server
// received, from the request target exactly as sent (RequestURI), so
// handlers that rewrite req.URL (http.StripPrefix) do not change what is
// verified. It falls back to req.URL for requests built in process.
func serverTarget(req *http.Request) (path, query string) {
	uri := req.RequestURI
	if uri == "" {
		return clientTarget(req)
	}
	if !strings.HasPrefix(uri, "/") { // absolute form: "http://host/path?q"
		if u, err := url.ParseRequestURI(uri); err == nil {
			return u.EscapedPath(), u.RawQuery
		}
	}
	path, query, _ = strings.Cut(uri, "?")
	return path, query
}
