package dashboard

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"

	"github.com/quantum1net/q1/client/reqsign"
)

// Sign-in for the dashboard, so a browser can read what the chain lets only
// some accounts read (a service's logs). The node issues a one-time
// challenge; the person signs it on their own machine with `q1 dashboard
// sign CHALLENGE --from KEY`, which prints a token; the page posts the token
// and the node answers with a session cookie (HttpOnly, SameSite=Strict,
// Path=/v1/) naming the account for a bounded time. Keys never reach the
// browser; the node keeps challenges and sessions in memory only.

// SessionCookie is the name of the session cookie.
const SessionCookie = "q1_session"

// challengePrefix starts every challenge; signMessagePrefix starts every
// message a token signs, so the signature cannot stand for a transaction
// (whose signed bytes start with a protobuf tag) or a signed request.
//
// A challenge reads q1-dashboard-CHAIN-NODE-NONCE: the chain's id, the
// issuing node's CometBFT id (40 hex digits) and 32 hex digits of
// randomness, so the text a person signs names where they sign in, and
// `q1 dashboard sign` shows it before signing. A challenge is good only on
// the node that issued it (it lives in that node's memory).
const (
	challengePrefix   = "q1-dashboard-"
	signMessagePrefix = "Quantum1Net dashboard sign-in\n"
	tokenPrefix       = "q1token."
	nodeIDLen         = 40
	nonceLen          = 32
)

// Errors a sign-in is refused with; the messages say what to do.
var (
	ErrBadToken          = errors.New("bad token")
	ErrWrongAddress      = errors.New("address does not match public key")
	ErrUnknownChallenge  = errors.New("unknown challenge")
	ErrChallengeExpired  = errors.New("challenge expired")
	ErrChallengeUsed     = errors.New("challenge already used")
	ErrBadSignature      = errors.New("bad signature")
	ErrTooManyChallenges = errors.New("too many challenges")
	ErrTooManySessions   = errors.New("too many sessions")
)

// Token is what `q1 dashboard sign` prints, decoded: who signs, with which
// key, which challenge, and the secp256k1 signature over SignMessage(challenge).
type Token struct {
	Address   string `json:"address"`
	PubKey    []byte `json:"pub_key"`
	Challenge string `json:"challenge"`
	Signature []byte `json:"signature"`
}

// SignMessage is the exact byte string a token's signature covers: the
// chain, the node and the challenge, each on its own line. It is only
// meaningful for a challenge CheckChallenge accepts.
func SignMessage(challenge string) []byte {
	c, _ := ParseChallenge(challenge)
	return []byte(signMessagePrefix + "chain: " + c.Chain + "\nnode: " + c.Node + "\nchallenge: " + challenge)
}

// Challenge is a challenge's parts.
type Challenge struct {
	Chain string // the chain id
	Node  string // the issuing node's CometBFT id
}

// ParseChallenge reads a challenge this package issues, so the CLI never
// signs text a node made up to mean something else, and can say which
// chain and node it signs in to.
func ParseChallenge(s string) (Challenge, error) {
	bad := func(why string) (Challenge, error) {
		return Challenge{}, fmt.Errorf("%q is not a dashboard challenge: %s", s, why)
	}
	rest, ok := strings.CutPrefix(s, challengePrefix)
	if !ok {
		return bad(fmt.Sprintf("copy the whole challenge the sign-in box shows (it starts with %q)", challengePrefix))
	}
	// CHAIN-NODE-NONCE, read from the right: a chain id may hold dashes.
	if len(rest) < 1+1+nodeIDLen+1+nonceLen {
		return bad("it is too short; copy the whole challenge the sign-in box shows")
	}
	nonce, node := rest[len(rest)-nonceLen:], rest[len(rest)-nonceLen-1-nodeIDLen:len(rest)-nonceLen-1]
	chain := rest[:len(rest)-nonceLen-1-nodeIDLen-1]
	if rest[len(rest)-nonceLen-1] != '-' || rest[len(chain)] != '-' || !isHex(nonce) || !isHex(node) {
		return bad(fmt.Sprintf("after %q it must read CHAIN-NODE-NONCE, with the node's 40-hex-digit id and 32 hex digits", challengePrefix))
	}
	if !validChainID(chain) {
		return bad(fmt.Sprintf("%q is not a chain id", chain))
	}
	return Challenge{Chain: chain, Node: node}, nil
}

// CheckChallenge says whether s has the form of a challenge this package
// issues.
func CheckChallenge(s string) error {
	_, err := ParseChallenge(s)
	return err
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil && strings.ToLower(s) == s
}

// validChainID accepts the characters chain ids use (letters, digits, '-',
// '_', '.'), so a challenge never carries text meant for a shell or a
// person's eyes.
func validChainID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// SignChallenge signs challenge with s and returns the token to paste into
// the dashboard.
func SignChallenge(challenge string, s reqsign.Signer) (string, error) {
	if err := CheckChallenge(challenge); err != nil {
		return "", err
	}
	sig, pub, err := s.Sign(SignMessage(challenge))
	if err != nil {
		return "", fmt.Errorf("sign the challenge: %w", err)
	}
	addr, err := reqsign.AccountAddress(reqsign.AccountPrefix, pub)
	if err != nil {
		return "", err
	}
	return EncodeToken(Token{Address: addr, PubKey: pub.Bytes(), Challenge: challenge, Signature: sig}), nil
}

// EncodeToken writes a token as one copyable word.
func EncodeToken(t Token) string {
	b, _ := json.Marshal(t)
	return tokenPrefix + base64.RawURLEncoding.EncodeToString(b)
}

// DecodeToken reads a token EncodeToken wrote.
func DecodeToken(s string) (Token, error) {
	var t Token
	rest, ok := strings.CutPrefix(strings.TrimSpace(s), tokenPrefix)
	if !ok {
		return t, fmt.Errorf("%w: a token starts with %q; paste the whole line `q1 dashboard sign` printed", ErrBadToken, tokenPrefix)
	}
	b, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil {
		return t, fmt.Errorf("%w: it is cut or changed (%v); paste the whole line `q1 dashboard sign` printed", ErrBadToken, err)
	}
	if err := json.Unmarshal(b, &t); err != nil {
		return t, fmt.Errorf("%w: it is cut or changed (%v); paste the whole line `q1 dashboard sign` printed", ErrBadToken, err)
	}
	if t.Address == "" || t.Challenge == "" || len(t.Signature) == 0 {
		return t, fmt.Errorf("%w: it lacks the address, the challenge or the signature", ErrBadToken)
	}
	if len(t.PubKey) != secp256k1.PubKeySize {
		return t, fmt.Errorf("%w: its public key is %d bytes; a secp256k1 account key has %d", ErrBadToken, len(t.PubKey), secp256k1.PubKeySize)
	}
	return t, nil
}

// Auth issues challenges and keeps sessions, in memory.
type Auth struct {
	chain, node                string
	challengeTTL, sessionTTL   time.Duration
	maxChallenges, maxSessions int
	maxPerClient               int
	now                        func() time.Time

	mu         sync.Mutex
	challenges map[string]challengeState
	order      []string       // challenges in the order issued (some may be gone)
	perClient  map[string]int // outstanding challenges per client network
	sessions   map[string]Session
}

type challengeState struct {
	expires time.Time
	client  string
	used    bool
}

// Session is a signed-in account until Expires.
type Session struct {
	Account string    `json:"account"`
	Expires time.Time `json:"expires"`
}

// AuthOption configures an Auth.
type AuthOption func(*Auth)

// WithClock sets the clock (tests).
func WithClock(now func() time.Time) AuthOption { return func(a *Auth) { a.now = now } }

// WithTTLs sets how long a challenge may wait to be signed and how long a
// session lasts (defaults: 5 minutes, 1 hour).
func WithTTLs(challenge, session time.Duration) AuthOption {
	return func(a *Auth) { a.challengeTTL, a.sessionTTL = challenge, session }
}

// WithMaxChallenges bounds the challenges kept at once (default 10,000).
func WithMaxChallenges(n int) AuthOption { return func(a *Auth) { a.maxChallenges = n } }

// WithMaxSessions bounds the sessions kept at once (default 10,000).
func WithMaxSessions(n int) AuthOption { return func(a *Auth) { a.maxSessions = n } }

// WithMaxPerClient bounds the challenges one client network (an IPv4
// address, an IPv6 /64) may have waiting at once (default 16).
func WithMaxPerClient(n int) AuthOption { return func(a *Auth) { a.maxPerClient = n } }

// NewAuth returns an empty Auth for the node with CometBFT id node on chain
// chain; both are named in every challenge and so in the text people sign.
func NewAuth(chain, node string, opts ...AuthOption) (*Auth, error) {
	if !validChainID(chain) {
		return nil, fmt.Errorf("dashboard sign-in: %q is not a chain id", chain)
	}
	if len(node) != nodeIDLen || !isHex(node) {
		return nil, fmt.Errorf("dashboard sign-in: node id %q is not %d lowercase hex digits", node, nodeIDLen)
	}
	a := &Auth{
		chain: chain, node: node,
		challengeTTL: 5 * time.Minute, sessionTTL: time.Hour, maxChallenges: 10_000, maxSessions: 10_000, maxPerClient: 16,
		now:        time.Now,
		challenges: map[string]challengeState{}, perClient: map[string]int{}, sessions: map[string]Session{},
	}
	for _, o := range opts {
		o(a)
	}
	return a, nil
}

// Challenge issues a new one-time challenge to client (its network, see
// ClientNetwork) and says when it expires. One client may have
// WithMaxPerClient challenges waiting; when the node holds its maximum, the
// oldest waiting challenge is forgotten to make room, so a flood from many
// addresses delays others' sign-ins but never refuses them.
func (a *Auth) Challenge(client string) (string, time.Time, error) {
	var b [nonceLen / 2]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", time.Time{}, err
	}
	now := a.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	a.pruneLocked(now)
	if n := a.perClient[client]; n >= a.maxPerClient {
		return "", time.Time{}, fmt.Errorf("%w: %d sign-ins from your address are waiting; sign one of them, or wait until they expire (%s)",
			ErrTooManyChallenges, n, a.challengeTTL)
	}
	for len(a.challenges) >= a.maxChallenges && len(a.order) > 0 {
		a.forgetLocked(a.order[0])
		a.order = a.order[1:]
	}
	c := challengePrefix + a.chain + "-" + a.node + "-" + hex.EncodeToString(b[:])
	exp := now.Add(a.challengeTTL)
	a.challenges[c] = challengeState{expires: exp, client: client}
	a.order = append(a.order, c)
	a.perClient[client]++
	return c, exp, nil
}

// forgetLocked drops challenge c, if it is still kept.
func (a *Auth) forgetLocked(c string) {
	st, ok := a.challenges[c]
	if !ok {
		return
	}
	delete(a.challenges, c)
	if !st.used {
		a.releaseLocked(st.client)
	}
}

// releaseLocked gives client back one of its waiting challenges.
func (a *Auth) releaseLocked(client string) {
	if a.perClient[client]--; a.perClient[client] <= 0 {
		delete(a.perClient, client)
	}
}

// pruneLocked forgets expired challenges (oldest first: they expire in the
// order issued) and sessions. A used challenge is kept until it expires, so
// reusing it says so.
func (a *Auth) pruneLocked(now time.Time) {
	for len(a.order) > 0 {
		st, ok := a.challenges[a.order[0]]
		if ok && !now.After(st.expires) {
			break
		}
		a.forgetLocked(a.order[0])
		a.order = a.order[1:]
	}
	for id, s := range a.sessions {
		if now.After(s.Expires) {
			delete(a.sessions, id)
		}
	}
}

// ClientNetwork is the network a request comes from, for per-client limits:
// its IPv4 address, or the /64 of its IPv6 address (one host usually holds
// a whole /64).
func ClientNetwork(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	ip = ip.Unmap()
	if ip.Is4() {
		return ip.String()
	}
	p, _ := ip.Prefix(64)
	return p.String()
}

// SignIn checks a token and opens a session for its account, returning the
// session id (the cookie's value).
func (a *Auth) SignIn(token string) (string, Session, error) {
	t, err := DecodeToken(token)
	if err != nil {
		return "", Session{}, err
	}
	pub := &secp256k1.PubKey{Key: t.PubKey}
	owner, err := reqsign.AccountAddress(reqsign.AccountPrefix, pub)
	if err != nil {
		return "", Session{}, fmt.Errorf("%w: %v", ErrBadToken, err)
	}
	if owner != t.Address {
		return "", Session{}, fmt.Errorf("%w: the token names %s but its public key belongs to %s; sign with the key of the account you name",
			ErrWrongAddress, t.Address, owner)
	}
	now := a.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	st, ok := a.challenges[t.Challenge]
	switch {
	case !ok:
		return "", Session{}, fmt.Errorf("%w: this node did not issue %s, or has forgotten it (challenges last %s and a restart forgets them); get a new challenge",
			ErrUnknownChallenge, t.Challenge, a.challengeTTL)
	case now.After(st.expires):
		return "", Session{}, fmt.Errorf("%w: %s expired at %s (challenges last %s); get a new challenge and sign it",
			ErrChallengeExpired, t.Challenge, st.expires.UTC().Format("15:04:05 UTC"), a.challengeTTL)
	case st.used:
		return "", Session{}, fmt.Errorf("%w: %s was already used to sign in; each challenge works once, get a new one", ErrChallengeUsed, t.Challenge)
	}
	if !pub.VerifySignature(SignMessage(t.Challenge), t.Signature) {
		return "", Session{}, fmt.Errorf("%w: the signature is not %s's signature of challenge %s; sign exactly the challenge shown with `q1 dashboard sign`",
			ErrBadSignature, t.Address, t.Challenge)
	}
	a.pruneLocked(now)
	if len(a.sessions) >= a.maxSessions {
		return "", Session{}, fmt.Errorf("%w: this node holds %d sessions; try again later", ErrTooManySessions, len(a.sessions))
	}
	st.used = true
	a.challenges[t.Challenge] = st
	a.releaseLocked(st.client)
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", Session{}, err
	}
	id := hex.EncodeToString(b[:])
	s := Session{Account: t.Address, Expires: now.Add(a.sessionTTL)}
	a.sessions[id] = s
	return id, s, nil
}

// Account returns the account r's session cookie names, or "" when r has
// no live session.
func (a *Auth) Account(r *http.Request) string {
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return ""
	}
	s, ok := a.session(c.Value)
	if !ok {
		return ""
	}
	return s.Account
}

func (a *Auth) session(id string) (Session, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	s, ok := a.sessions[id]
	if !ok || a.now().After(s.Expires) {
		return Session{}, false
	}
	return s, true
}

// The sign-in endpoints, to mount on the API's mux:
//
//	GET    /v1/auth/challenge  ServeChallenge: {"challenge", "expires", "command"}
//	POST   /v1/auth/session    ServeSignIn: body {"token"}; sets the cookie, answers the session
//	GET    /v1/auth/session    ServeSession: the session, or 401
//	DELETE /v1/auth/session    ServeSignOut

// ServeChallenge answers its endpoint (see above).
func (a *Auth) ServeChallenge(w http.ResponseWriter, r *http.Request) {
	c, exp, err := a.Challenge(ClientNetwork(r))
	if err != nil {
		w.Header().Set("Retry-After", fmt.Sprint(int(a.challengeTTL/time.Second)))
		writeJSON(w, http.StatusTooManyRequests, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"challenge": c, "expires": exp.UTC(), "chain": a.chain, "node": a.node,
		"command": "q1 dashboard sign " + c + " --from KEY",
	})
}

// ServeSignIn answers its endpoint (see above).
func (a *Auth) ServeSignIn(w http.ResponseWriter, r *http.Request) {
	// A JSON body needs a CORS preflight from other origins, which this
	// node never grants: only its own pages can sign in.
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		writeJSON(w, http.StatusUnsupportedMediaType, map[string]string{"error": `send the token as JSON {"token": "..."} with Content-Type: application/json`})
		return
	}
	var body struct {
		Token string `json:"token"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 16<<10)).Decode(&body); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": `send the token as JSON {"token": "..."}: ` + err.Error()})
		return
	}
	id, s, err := a.SignIn(body.Token)
	if err != nil {
		code := http.StatusUnauthorized
		switch {
		case errors.Is(err, ErrBadToken):
			code = http.StatusBadRequest
		case errors.Is(err, ErrTooManySessions):
			code = http.StatusServiceUnavailable
		}
		writeJSON(w, code, map[string]string{"error": err.Error()})
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: id, Path: "/v1/", Expires: s.Expires, MaxAge: int(a.sessionTTL / time.Second),
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	})
	writeJSON(w, http.StatusOK, s)
}

// ServeSession answers its endpoint (see above).
func (a *Auth) ServeSession(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(SessionCookie)
	if err == nil {
		if s, ok := a.session(c.Value); ok {
			writeJSON(w, http.StatusOK, s)
			return
		}
	}
	writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "not signed in"})
}

// ServeSignOut answers its endpoint (see above).
func (a *Auth) ServeSignOut(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(SessionCookie); err == nil {
		a.mu.Lock()
		delete(a.sessions, c.Value)
		a.mu.Unlock()
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/v1/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	w.WriteHeader(http.StatusNoContent)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
