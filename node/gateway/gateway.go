package gateway

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/quantum1net/q1/core/address"
	"github.com/quantum1net/q1/core/manifest"
)

// Gateway is the HTTP front door of a node's services. It is an
// http.Handler for the node's gateway listener and serves nothing but
// services. It is safe for concurrent use.
type Gateway struct {
	cfg       Config
	deps      Deps
	log       *slog.Logger
	now       func() time.Time
	transport http.RoundTripper
	bal       *balancer
	lim       *limiter
	pairs     *pairKeys
	bodies    *bodyBudget
}

// New returns a Gateway, or an error naming every invalid field of cfg and
// the first missing dependency.
func New(cfg Config, deps Deps, opts ...Option) (*Gateway, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := checkDeps(deps); err != nil {
		return nil, err
	}
	o := options{
		log:         slog.New(slog.DiscardHandler),
		now:         time.Now,
		backoffBase: DefaultBackoffBase,
		backoffMax:  DefaultBackoffMax,
	}
	for _, opt := range opts {
		opt(&o)
	}
	switch {
	case o.log == nil:
		return nil, errors.New("gateway: WithLogger(nil); pass a logger or leave the option out")
	case o.now == nil:
		return nil, errors.New("gateway: WithClock(nil); pass a clock or leave the option out")
	case o.backoffBase <= 0 || o.backoffMax < o.backoffBase:
		return nil, fmt.Errorf("gateway: WithBackoff(%s, %s): base must be positive and max at least base",
			o.backoffBase, o.backoffMax)
	}
	pairs, err := newPairKeys(deps.NodeKey, deps.NodeKeys)
	if err != nil {
		return nil, err
	}
	if o.transport == nil {
		o.transport = newTransport()
	}
	cfg = cfg.withDefaults()
	return &Gateway{
		cfg:       cfg,
		deps:      deps,
		log:       o.log,
		now:       o.now,
		transport: o.transport,
		bal:       newBalancer(o.now, o.backoffBase, o.backoffMax),
		lim:       newLimiter(o.now, cfg.MaxCallers),
		pairs:     pairs,
		bodies:    newBodyBudget(cfg.MaxBodyBytesPerService, cfg.MaxBodyBytes),
	}, nil
}

func checkDeps(d Deps) error {
	if err := address.ValidateAccount(d.Self); err != nil {
		return fmt.Errorf("gateway: Deps.Self must be this node's sharer address: %w", err)
	}
	for _, dep := range []struct {
		name string
		nil_ bool
	}{
		{"Runtime", d.Runtime == nil},
		{"Chain", d.Chain == nil},
		{"Verifier", d.Verifier == nil},
		{"NodeKeys", d.NodeKeys == nil},
		{"Meter", d.Meter == nil},
	} {
		if dep.nil_ {
			return fmt.Errorf("gateway: Deps.%s is nil", dep.name)
		}
	}
	return nil
}

// newTransport is the transport of forwarded requests: keep-alive
// connections to peers, a short dial timeout so an unreachable node is
// found quickly, and no proxy from the environment.
func newTransport() *http.Transport {
	return &http.Transport{
		DialContext:           (&net.Dialer{Timeout: 3 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: 0, // bounded per attempt by the forward timeout
		DisableCompression:    true,
	}
}

// call is one request on its way through the gateway.
type call struct {
	r        *http.Request
	w        http.ResponseWriter
	service  string
	route    string // hopRouteHost or hopRoutePath
	target   string // path and query the service sees
	path     string // decoded path, for caller rules
	client   string // caller's IP address
	ownHost  bool   // the Host is one of this gateway's names (or the entry node's, on a hop)
	hop      *hop   // set when another node forwarded the request here
	hopOK    bool   // the hop's tag checked: answers to it are proven
	m        *manifest.Manifest
	exists   bool // the service exists: the request is metered
	body     []byte
	held     int64 // bytes of the body budget this call holds
	bodyHash [32]byte
	caller   string // account that signed, "" when unsigned
	// via, viaSig and viaTime are a proven hop's forwarding co-signature
	// (cosign.go): the forwarding sharer, its signature and the request's
	// recorded time. Empty when the request entered here.
	via     string
	viaSig  []byte
	viaTime time.Time
}

// ServeHTTP answers a request for a service: see the package documentation.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := g.now()
	// Bound the body's read; readBody lifts the deadline once it has the
	// body, so the request's context is not canceled by it later.
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(g.cfg.BodyReadTimeout))
	c, rep := g.serve(r, w)
	rep.normalize(r.Method)
	if c != nil && c.hopOK {
		g.prove(c, rep)
	}
	rep.write(w, r.Method)
	if c != nil {
		g.bodies.give(c.service, c.held)
	}
	if c != nil && c.exists {
		g.deps.Meter.Observe(c.service, rep.local, rep.status, g.now().Sub(start),
			int64(len(c.body)), int64(len(rep.body)))
	}
}

// serve routes r and produces the whole answer.
func (g *Gateway) serve(r *http.Request, w http.ResponseWriter) (*call, *reply) {
	if isHop(r.Header) {
		return g.serveHop(r, w)
	}
	rt := parseRoute(r.Host, requestTarget(r), g.cfg.BaseHosts)
	switch rt.kind {
	case routeRoot:
		return nil, g.rootPage(r)
	case routeNone:
		return nil, failf(http.StatusNotFound, CodeNotFound, "%s", rt.reason)
	}
	c := &call{r: r, w: w, service: rt.service, route: hopRouteHost, target: rt.target, client: clientIP(r), ownHost: rt.ownHost}
	if rt.byPath {
		c.route = hopRoutePath
	}
	if rep := g.admit(c); rep != nil {
		return c, rep
	}
	return c, g.dispatch(c)
}

// serveHop serves a request another node forwarded here: it runs on this
// node's replica or not at all.
func (g *Gateway) serveHop(r *http.Request, w http.ResponseWriter) (*call, *reply) {
	hp, err := parseHop(r.Header)
	if err != nil {
		return nil, failf(http.StatusBadRequest, CodeBadRequest, "%v", err)
	}
	if hp.to != g.deps.Self {
		return nil, failf(http.StatusMisdirectedRequest, CodeMisdirected,
			"forwarded request is addressed to node %s, but this is node %s", hp.to, g.deps.Self)
	}
	target := requestTarget(r)
	c := &call{r: r, w: w, service: hp.service, route: hp.route, target: target, client: hp.client, hop: hp, ownHost: true}
	if hp.route == hopRoutePath {
		rt := parseServicePath(target)
		if rt.kind != routeService || rt.service != hp.service {
			return nil, failf(http.StatusBadRequest, CodeBadRequest,
				"forwarded request for service %s has target %s, which does not name it", hp.service, clip(target))
		}
		c.target = rt.target
	} else if !strings.HasPrefix(target, "/") {
		return nil, failf(http.StatusBadRequest, CodeBadRequest, "request target %q is not a path", clip(target))
	}
	if rep := g.admit(c); rep != nil {
		return c, rep
	}
	out := g.runLocal(c)
	if out.reply != nil {
		return c, out.reply
	}
	rep := failf(http.StatusServiceUnavailable, CodeUnavailable,
		"node %s cannot run service %s: %s; a forwarded request is never forwarded again",
		g.deps.Self, c.service, out.failure)
	rep.notRun = out.notRun
	rep.servedBy = g.deps.Self
	return c, rep
}

// admit runs every check before a request may run: the service exists and
// is not paused, the body fits, a forwarded request's hop is proven, the
// caller is allowed, and the rate limit has room.
func (g *Gateway) admit(c *call) *reply {
	if c.hop != nil {
		// Check the hop first, so every later answer to it is proven and
		// the forwarding node can trust even a refusal.
		if rep := g.readBody(c); rep != nil {
			return rep
		}
		if rep := g.checkHop(c); rep != nil {
			return rep
		}
		if rep := g.checkCosign(c); rep != nil {
			return rep
		}
	}
	st := g.deps.Chain.Status(c.service)
	if st.Unavailable != "" {
		rep := failf(http.StatusServiceUnavailable, CodeUnavailable,
			"this node cannot read the state of service %s from the chain just now (%s); retry in a few seconds", c.service, st.Unavailable)
		rep.header.Set("Retry-After", "2")
		return rep
	}
	if !st.Exists {
		return failf(http.StatusNotFound, CodeNotFound, "no service named %q on this network", c.service)
	}
	c.exists = true
	if st.Paused {
		reason := strings.TrimSuffix(st.Reason, ".")
		if reason == "" {
			reason = "its escrow is empty"
		}
		return failf(http.StatusPaymentRequired, CodePaymentRequired,
			"service %s is paused: %s. It resumes when its owner or an operator deposits QCoin into its escrow.",
			c.service, reason)
	}
	m, ok := g.deps.Chain.Manifest(c.service)
	if !ok {
		return failf(http.StatusServiceUnavailable, CodeUnavailable,
			"this node does not know the manifest of service %s yet; retry in a few seconds", c.service)
	}
	c.m = m
	if c.hop == nil {
		if rep := g.readBody(c); rep != nil {
			return rep
		}
	}
	p, err := decodedPath(c.target)
	if err != nil {
		return failf(http.StatusBadRequest, CodeBadRequest, "%v", err)
	}
	c.path = p
	if rep := g.authorize(c); rep != nil {
		return rep
	}
	return g.rateLimit(c)
}

// readBody reads the whole request body, refusing one over the size limit
// (413), one that would take its service or the node over the bodies held
// at once (503, before reading it when its length is declared), and one
// that arrives too slowly (408).
func (g *Gateway) readBody(c *call) *reply {
	limit := g.cfg.MaxRequestBytes
	tooLarge := func() *reply {
		return failf(http.StatusRequestEntityTooLarge, CodeTooLarge,
			"request body is larger than this gateway's limit of %d bytes", limit)
	}
	if c.r.ContentLength > limit {
		return tooLarge()
	}
	busy := func(why string) *reply {
		return busyReply("%s; retry", why)
	}
	src := io.LimitReader(c.r.Body, limit+1)
	var br *budgetReader
	if n := c.r.ContentLength; n > 0 {
		if n > g.cfg.MaxBodyBytesPerService || n > g.cfg.MaxBodyBytes {
			return failf(http.StatusRequestEntityTooLarge, CodeTooLarge,
				"request body of %d bytes is larger than this node accepts in transit for one service (%d bytes)",
				n, min(g.cfg.MaxBodyBytesPerService, g.cfg.MaxBodyBytes))
		}
		if why := g.bodies.take(c.service, n); why != "" {
			return busy(why)
		}
		c.held = n
	} else if n < 0 {
		br = &budgetReader{r: src, budget: g.bodies, c: c}
		src = br
	}
	body, err := io.ReadAll(src)
	_ = http.NewResponseController(c.w).SetReadDeadline(time.Time{})
	switch {
	case br != nil && br.refusal != "":
		return busy(br.refusal)
	case err != nil && errors.Is(err, os.ErrDeadlineExceeded):
		return failf(http.StatusRequestTimeout, CodeBadRequest,
			"reading the request body took longer than this gateway's %s limit", g.cfg.BodyReadTimeout)
	case err != nil:
		return failf(http.StatusBadRequest, CodeBadRequest, "reading the request body failed: %v", err)
	}
	if int64(len(body)) > limit {
		return tooLarge()
	}
	c.body = body
	c.bodyHash = sha256.Sum256(body)
	return nil
}

// checkHop verifies the forwarding node's tag over the hop and the request
// it carries.
func (g *Gateway) checkHop(c *call) *reply {
	msg := c.hop.message(c.r.Method, c.r.Host, requestTarget(c.r), c.bodyHash, callerSignature(c.r))
	if err := g.pairs.check(c.hop.from, msg, c.hop.tag); err != nil {
		return failf(http.StatusForbidden, CodeForbidden,
			"forwarded request is not proven to come from node %s: %v", c.hop.from, err)
	}
	c.hopOK = true
	return nil
}

// prove tags rep for the node that forwarded the request here.
func (g *Gateway) prove(c *call, rep *reply) {
	msg := proofMessage(g.deps.Self, c.hop.challenge, c.service, rep.status, rep.notRun, sha256.Sum256(rep.body))
	tag, err := g.pairs.mac(c.hop.from, msg)
	if err != nil { // checkHop just used the same key: only a key change on chain gets here
		g.log.Warn("cannot prove answer to forwarding node", "service", c.service, "from", c.hop.from, "err", err)
		return
	}
	rep.header.Set(HeaderProof, base64.StdEncoding.EncodeToString(tag))
	rep.servedBy = g.deps.Self
}

// rootPage tells whoever opens the gateway's own address how to call a
// service; any other method gets 404.
func (g *Gateway) rootPage(r *http.Request) *reply {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return failf(http.StatusNotFound, CodeNotFound,
			"this gateway serves only services, at /s/{service}/{path} or on http://{service}.{gateway host}/")
	}
	host := r.Host
	if host == "" {
		host = g.cfg.BaseHosts[0]
	}
	origin := host
	if !isBaseHost(hostName(host), g.cfg.BaseHosts) {
		origin = g.cfg.BaseHosts[0]
		if _, port, err := net.SplitHostPort(host); err == nil {
			origin = net.JoinHostPort(origin, port)
		}
	}
	return textReply(http.StatusOK, "Quantum1Net gateway\n\n"+
		"This address serves Quantum1Net services and nothing else. Call a service\n"+
		"on its own origin:\n\n    http://{service}.%s/{path}\n\n"+
		"or by path:\n\n    http://%s/s/{service}/{path}\n\n"+
		"Paths a service keeps for some accounts need a request signed with an\n"+
		"allowed account key (X-Q1-Account, X-Q1-Pubkey, X-Q1-Timestamp,\n"+
		"X-Q1-Nonce and X-Q1-Signature headers).", origin, host)
}

func isBaseHost(h string, bases []string) bool {
	for _, b := range bases {
		if h == b {
			return true
		}
	}
	return false
}

// clientIP is the caller's address without port.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if host == "" || strings.ContainsAny(host, " \t,") {
		return "unknown"
	}
	return host
}
