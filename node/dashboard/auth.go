package dashboard

import (
	"crypto/rand"
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

	"github.com/quantum1net/q1/client"
	"github.com/quantum1net/q1/client/signin"
)

// Sign-in for the dashboard, so a browser can read what the chain lets only
// some accounts read (a service's logs). The node issues a one-time
// challenge; the person signs it on their own machine with `q1 dashboard
// sign CHALLENGE --from KEY`, which prints a token; the page posts the token
// and the node answers with a session cookie (HttpOnly, SameSite=Strict,
// Path=/v1/) naming the account for a bounded time. Keys never reach the
// browser; the node keeps challenges and sessions in memory only. The
// challenge and token formats are client/signin's. A challenge is good only
// on the node that issued it (it lives in that node's memory).

// SessionCookie is the name of the session cookie.
const SessionCookie = "q1_session"

// Errors a sign-in is refused with, besides client/signin's (a bad token, a
// wrong address, a bad signature); the messages say what to do.
var (
	ErrUnknownChallenge  = errors.New("unknown challenge")
	ErrChallengeExpired  = errors.New("challenge expired")
	ErrChallengeUsed     = errors.New("challenge already used")
	ErrTooManyChallenges = errors.New("too many challenges")
	ErrTooManySessions   = errors.New("too many sessions")
)

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
	sessions   map[string]client.Session
}

type challengeState struct {
	expires time.Time
	client  string
	used    bool
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
	if err := signin.CheckIssuer(chain, node); err != nil {
		return nil, fmt.Errorf("dashboard sign-in: %w", err)
	}
	a := &Auth{
		chain: chain, node: node,
		challengeTTL: 5 * time.Minute, sessionTTL: time.Hour, maxChallenges: 10_000, maxSessions: 10_000, maxPerClient: 16,
		now:        time.Now,
		challenges: map[string]challengeState{}, perClient: map[string]int{}, sessions: map[string]client.Session{},
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
	c, err := signin.NewChallenge(a.chain, a.node)
	if err != nil {
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
func (a *Auth) SignIn(token string) (string, client.Session, error) {
	t, err := signin.DecodeToken(token)
	if err != nil {
		return "", client.Session{}, err
	}
	if _, err := t.Account(); err != nil {
		return "", client.Session{}, err
	}
	now := a.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	st, ok := a.challenges[t.Challenge]
	switch {
	case !ok:
		return "", client.Session{}, fmt.Errorf("%w: this node did not issue %s, or has forgotten it (challenges last %s and a restart forgets them); get a new challenge",
			ErrUnknownChallenge, t.Challenge, a.challengeTTL)
	case now.After(st.expires):
		return "", client.Session{}, fmt.Errorf("%w: %s expired at %s (challenges last %s); get a new challenge and sign it",
			ErrChallengeExpired, t.Challenge, st.expires.UTC().Format("15:04:05 UTC"), a.challengeTTL)
	case st.used:
		return "", client.Session{}, fmt.Errorf("%w: %s was already used to sign in; each challenge works once, get a new one", ErrChallengeUsed, t.Challenge)
	}
	if err := t.CheckSignature(); err != nil {
		return "", client.Session{}, err
	}
	a.pruneLocked(now)
	if len(a.sessions) >= a.maxSessions {
		return "", client.Session{}, fmt.Errorf("%w: this node holds %d sessions; try again later", ErrTooManySessions, len(a.sessions))
	}
	st.used = true
	a.challenges[t.Challenge] = st
	a.releaseLocked(st.client)
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", client.Session{}, err
	}
	id := hex.EncodeToString(b[:])
	s := client.Session{Account: t.Address, Expires: now.Add(a.sessionTTL)}
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

func (a *Auth) session(id string) (client.Session, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	s, ok := a.sessions[id]
	if !ok || a.now().After(s.Expires) {
		return client.Session{}, false
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
		writeJSON(w, http.StatusTooManyRequests, client.Error{Error: err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, client.SignInChallenge{
		Challenge: c, Expires: exp.UTC(), Chain: a.chain, Node: a.node,
		Command: "q1 dashboard sign " + c + " --from KEY",
	})
}

// ServeSignIn answers its endpoint (see above).
func (a *Auth) ServeSignIn(w http.ResponseWriter, r *http.Request) {
	// A JSON body needs a CORS preflight from other origins, which this
	// node never grants: only its own pages can sign in.
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		writeJSON(w, http.StatusUnsupportedMediaType, client.Error{Error: `send the token as JSON {"token": "..."} with Content-Type: application/json`})
		return
	}
	var body struct {
		Token string `json:"token"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 16<<10)).Decode(&body); err != nil {
		writeJSON(w, http.StatusBadRequest, client.Error{Error: `send the token as JSON {"token": "..."}: ` + err.Error()})
		return
	}
	id, s, err := a.SignIn(body.Token)
	if err != nil {
		code := http.StatusUnauthorized
		switch {
		case errors.Is(err, signin.ErrBadToken):
			code = http.StatusBadRequest
		case errors.Is(err, ErrTooManySessions):
			code = http.StatusServiceUnavailable
		}
		writeJSON(w, code, client.Error{Error: err.Error()})
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
	writeJSON(w, http.StatusUnauthorized, client.Error{Error: "not signed in"})
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
