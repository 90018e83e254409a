package gateway

import (
	"errors"
	"net/http"
	"strconv"
)

// attempt is how one try on one replica ended: either reply is the answer
// to give, or the replica failed in a way that allows another to be tried
// (failure says how).
type attempt struct {
	reply *reply
	// healthy is false when the node itself failed (unreachable, did not
	// prove itself, holds no running replica); a service's own failure is
	// not the node's.
	healthy bool
	failure string
	// notRun is set when the local runtime did not start the request (a
	// serving node says so in HeaderNotRun).
	notRun string
	// timeout is set when the failure was the forward timeout.
	timeout bool
}

// Values of HeaderNotRun.
const notRunNotLoaded = "not-loaded"

// idempotent reports whether a request with method may be sent twice with
// the effect of once (RFC 9110 §9.2.2), so it may be retried on another
// replica after it may have reached one.
func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete, http.MethodTrace:
		return true
	}
	return false
}

// runLocal runs the request on this node's runtime.
func (g *Gateway) runLocal(c *call) attempt {
	req := &Request{
		Method:   c.r.Method,
		Path:     c.target,
		Host:     c.r.Host,
		Header:   cleanHeader(c.r.Header),
		Body:     c.body,
		Caller:   c.caller,
		ClientIP: c.client,
		Time:     c.viaTime,
		Via:      c.via,
		ViaSig:   c.viaSig,
	}
	resp, err := g.deps.Runtime.Handle(c.r.Context(), c.service, req)
	if err != nil {
		return g.localFailure(c, err)
	}
	if resp == nil {
		return attempt{healthy: true, reply: g.local(failf(http.StatusInternalServerError, CodeServiceError,
			"service %s returned no response", c.service))}
	}
	if resp.Status < 200 || resp.Status > 599 {
		return attempt{healthy: true, reply: g.local(failf(http.StatusInternalServerError, CodeServiceError,
			"service %s answered with status %d; services must answer 200 to 599", c.service, resp.Status))}
	}
	if int64(len(resp.Body)) > g.cfg.MaxResponseBytes {
		return attempt{healthy: true, reply: g.local(failf(http.StatusInternalServerError, CodeServiceError,
			"service %s: response of %d bytes exceeds this gateway's limit of %d bytes",
			c.service, len(resp.Body), g.cfg.MaxResponseBytes))}
	}
	return attempt{healthy: true, reply: g.local(&reply{
		status: resp.Status,
		header: cleanHeader(resp.Header, append([]string{"Content-Length"}, gatewayResponseHeaders...)...),
		body:   resp.Body,
	})}
}

// local marks rep as produced by this node's runtime.
func (g *Gateway) local(rep *reply) *reply {
	rep.local = true
	rep.servedBy = g.deps.Self
	return rep
}

// localFailure maps a runtime error to an answer, or to a failed attempt
// when another replica may serve instead.
func (g *Gateway) localFailure(c *call, err error) attempt {
	var rerr RuntimeError
	kind := ""
	if errors.As(err, &rerr) {
		kind = rerr.FailureKind()
	}
	switch kind {
	case KindNotLoaded:
		return attempt{failure: err.Error(), notRun: notRunNotLoaded}
	case KindUnavailable:
		if idempotent(c.r.Method) {
			return attempt{failure: err.Error()}
		}
		a := failureAnswers[KindUnavailable]
		return attempt{reply: g.local(failf(a.status, a.code,
			"%v; a %s is not retried elsewhere because it may have started", err, c.r.Method))}
	case KindBusy:
		return attempt{healthy: true, reply: g.local(busyReply("%v", err))}
	}
	if a, ok := failureAnswers[kind]; ok {
		return attempt{healthy: true, reply: g.local(failf(a.status, a.code, "%v", err))}
	}
	g.log.Error("runtime failed without a known kind", "service", c.service, "kind", kind, "err", err)
	return attempt{healthy: true, reply: g.local(failf(http.StatusInternalServerError, CodeServiceError,
		"service %s failed on node %s: %v", c.service, g.deps.Self, err))}
}

// statusText is for messages: "502 Bad Gateway".
func statusText(code int) string {
	return strconv.Itoa(code) + " " + http.StatusText(code)
}
