package gateway

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/quantum1net/q1/client/reqsign"
)

var signatureHeaders = []string{
	reqsign.HeaderAccount, reqsign.HeaderPubKey, reqsign.HeaderTimestamp,
	reqsign.HeaderNonce, reqsign.HeaderSignature,
}

// callerSignature is the caller's X-Q1-Signature value, "" when unsigned.
func callerSignature(r *http.Request) string { return r.Header.Get(reqsign.HeaderSignature) }

// authorize applies the manifest's caller rule for the request path. A
// signed request is verified even on a public path, so the account a
// service sees in X-Q1-Account is always one that signed; every node that
// runs or forwards a request verifies it itself.
func (g *Gateway) authorize(c *call) *reply {
	rule, ok := c.m.CallerRule(c.path)
	if !ok {
		return failf(http.StatusForbidden, CodeForbidden,
			"no caller rule of service %s covers path %s, so the manifest lets nobody call it", c.service, clip(c.path))
	}
	signed := isSigned(c.r.Header, signatureHeaders)
	if rule.Public && !signed {
		return nil
	}
	if signed && !c.ownHost {
		// The signature covers the Host; accepting it on a host that is
		// not this gateway's would let a request signed for another node
		// be replayed here.
		return failf(http.StatusMisdirectedRequest, CodeMisdirected,
			"signed requests must name this gateway in their Host (%s, or {service}.%s); %s is not one of its names",
			strings.Join(g.cfg.BaseHosts, ", "), g.cfg.BaseHosts[0], clip(c.r.Host))
	}
	if signed && c.hop == nil {
		// The port too: a signature made for another node on this host
		// name is refused before it is verified, so it spends no nonce.
		// A forwarded request carries the entry node's Host, which that
		// node checked; the hop's tag covers it.
		if rep := g.checkPort(c.r); rep != nil {
			return rep
		}
	}
	account, err := g.deps.Verifier.Verify(c.r, c.bodyHash, c.service)
	switch {
	case errors.Is(err, reqsign.ErrReplayCacheFull):
		rep := failf(http.StatusServiceUnavailable, CodeUnavailable, "%v", err)
		rep.header.Set("Retry-After", "5")
		return rep
	case errors.Is(err, reqsign.ErrNotSigned):
		return failf(http.StatusUnauthorized, CodeUnauthorized,
			"path %s of service %s is open only to the accounts its manifest allows: sign the request "+
				"with one of their keys (headers X-Q1-Account, X-Q1-Pubkey, X-Q1-Timestamp, X-Q1-Nonce, X-Q1-Signature)",
			clip(c.path), c.service)
	case err != nil:
		return failf(http.StatusUnauthorized, CodeUnauthorized, "signature refused: %v", err)
	}
	c.caller = account
	if !rule.Allows(account) {
		return failf(http.StatusForbidden, CodeForbidden,
			"account %s may not call path %s of service %s: its manifest allows %d listed account(s) there",
			account, clip(c.path), c.service, len(rule.Allow))
	}
	return nil
}

// rateLimit applies the manifest's per-caller rate: per signing account,
// else per client address.
func (g *Gateway) rateLimit(c *call) *reply {
	rate := c.m.Policies.RateLimit.PerCaller
	if rate == nil {
		return nil
	}
	who := "address " + c.client
	if c.caller != "" {
		who = "account " + c.caller
	}
	ok, wait := g.lim.allow(c.service+"\x00"+who, *rate)
	if ok {
		return nil
	}
	after := retryAfter(wait)
	rep := failf(http.StatusTooManyRequests, CodeRateLimited,
		"rate limit: service %s allows %s per caller, and %s has used it up; retry in %d s",
		c.service, rate.String(), who, after)
	rep.header.Set("Retry-After", strconv.FormatInt(after, 10))
	return rep
}

// checkPort refuses a request whose Host port is not one this gateway is
// reached at (Config.Ports, else the port of the listener it arrived on).
func (g *Gateway) checkPort(r *http.Request) *reply {
	allowed := make([]string, len(g.cfg.Ports))
	for i, p := range g.cfg.Ports {
		allowed[i] = ":" + p
	}
	if err := reqsign.CheckHost(r, allowed...); err != nil {
		return failf(http.StatusMisdirectedRequest, CodeMisdirected, "%v", err)
	}
	return nil
}
