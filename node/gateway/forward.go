package gateway

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
)

// dispatch runs the request on a replica: the local one when healthy, else
// another node's, trying further replicas while a failure allows it (see
// the package documentation for the retry rules).
func (g *Gateway) dispatch(c *call) *reply {
	reps := g.deps.Chain.Replicas(c.service)
	if len(reps) == 0 {
		return failf(http.StatusServiceUnavailable, CodeUnavailable,
			"service %s has no replica placed on any sharer node right now; the network places it when a "+
				"sharer with room and acceptable prices is available, so retry later", c.service)
	}
	tried := make(map[int]bool, g.cfg.MaxAttempts)
	var failures []string
	allTimeouts := true
	for len(tried) < g.cfg.MaxAttempts {
		if c.r.Context().Err() != nil {
			return failf(499, CodeClientGone, "the caller left before a replica of service %s answered", c.service)
		}
		i, ok := g.bal.pick(reps, g.deps.Self, tried)
		if !ok {
			break
		}
		tried[i] = true
		rp := reps[i]
		start := g.now()
		var out attempt
		if rp.Local || rp.Sharer == g.deps.Self {
			out = g.runLocal(c)
		} else {
			out = g.forward(c, rp)
		}
		g.bal.done(rp.Sharer, out.healthy, g.now().Sub(start))
		if out.reply != nil {
			return out.reply
		}
		// A replica still starting (not loaded) is normal right after a
		// deploy or an update; anything else deserves a warning.
		level := slog.LevelWarn
		if out.notRun != "" {
			level = slog.LevelDebug
		}
		g.log.Log(c.r.Context(), level, "replica failed; trying another", "service", c.service, "sharer", rp.Sharer, "reason", out.failure)
		failures = append(failures, rp.Sharer+": "+out.failure)
		allTimeouts = allTimeouts && out.timeout
	}
	status, code := http.StatusBadGateway, CodeBadGateway
	if allTimeouts {
		status, code = http.StatusGatewayTimeout, CodeTimeout
	}
	return failf(status, code, "no replica of service %s could serve the request (tried %d of %d): %s",
		c.service, len(tried), len(reps), strings.Join(failures, "; "))
}

// forward sends the request one hop to rp's node and checks that the
// answer comes from that sharer.
func (g *Gateway) forward(c *call, rp Replica) attempt {
	ep, err := parseEndpoint(rp.Endpoint)
	if err != nil {
		return attempt{failure: fmt.Sprintf("its endpoint %q is unusable: %v", rp.Endpoint, err)}
	}
	challenge, err := newChallenge()
	if err != nil {
		return attempt{healthy: true, reply: failf(http.StatusInternalServerError, CodeBadGateway, "forward: %v", err)}
	}
	hp := &hop{from: g.deps.Self, to: rp.Sharer, service: c.service, route: c.route, client: c.client, challenge: challenge}
	target := requestTarget(c.r)
	hp.tag, err = g.pairs.mac(rp.Sharer, hp.message(c.r.Method, c.r.Host, target, c.bodyHash, callerSignature(c.r)))
	if err != nil {
		return attempt{failure: err.Error()}
	}

	timeout := g.cfg.ForwardTimeout
	if timeout == 0 {
		timeout = c.m.Resources.RequestTimeout + DefaultForwardSlack
	}
	ctx, cancel := context.WithTimeout(c.r.Context(), timeout)
	defer cancel()
	var reached atomic.Bool // a connection was obtained: bytes may have been sent
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GotConn: func(httptrace.GotConnInfo) { reached.Store(true) },
	})
	out, err := http.NewRequestWithContext(ctx, c.r.Method, ep.Scheme+"://"+ep.Host+"/", bytes.NewReader(c.body))
	if err != nil {
		return attempt{healthy: true, reply: failf(http.StatusBadRequest, CodeBadRequest, "forward: %v", err)}
	}
	out.URL.Opaque = opaqueTarget(target, c.r.Host)
	out.Host = c.r.Host
	out.Header = cleanHeader(c.r.Header, "Expect")
	hp.setHeaders(out.Header)
	g.setCosign(out.Header, c, rp)

	resp, err := g.transport.RoundTrip(out)
	if err != nil {
		return g.forwardFailed(c, rp, err, reached.Load(), errors.Is(ctx.Err(), context.DeadlineExceeded), timeout)
	}
	defer resp.Body.Close()
	// From here the answer has started: whatever happens, no retry.
	body, err := io.ReadAll(io.LimitReader(resp.Body, g.cfg.MaxResponseBytes+1))
	switch {
	case err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded):
		return attempt{reply: failf(http.StatusGatewayTimeout, CodeTimeout,
			"replica %s did not finish its answer within %s; the request is not retried because it ran there",
			rp.Sharer, timeout)}
	case err != nil:
		return attempt{reply: failf(http.StatusBadGateway, CodeBadGateway,
			"replica %s hung up in the middle of its answer (%v); the request is not retried because it ran there",
			rp.Sharer, err)}
	case int64(len(body)) > g.cfg.MaxResponseBytes:
		return attempt{reply: failf(http.StatusBadGateway, CodeBadGateway,
			"replica %s sent a response larger than this gateway's limit of %d bytes", rp.Sharer, g.cfg.MaxResponseBytes)}
	}
	if err := g.checkProof(rp, hp.challenge, c.service, resp, body); err != nil {
		g.log.Warn("replica did not prove itself", "service", c.service, "sharer", rp.Sharer, "endpoint", rp.Endpoint, "err", err)
		return attempt{reply: failf(http.StatusBadGateway, CodeBadGateway,
			"replica %s at %s did not prove it is that sharer: %v", rp.Sharer, rp.Endpoint, err)}
	}
	if nr := resp.Header.Get(HeaderNotRun); nr != "" {
		return attempt{failure: fmt.Sprintf("did not run the request (%s): %s", nr, firstLine(body))}
	}
	return attempt{healthy: true, reply: &reply{
		status:   resp.StatusCode,
		header:   cleanHeader(resp.Header, HeaderServedBy, HeaderVia, HeaderProof, HeaderNotRun),
		body:     body,
		servedBy: rp.Sharer,
		via:      g.deps.Self + ", " + rp.Sharer,
	}}
}

// forwardFailed decides what a transport failure before any answer means:
// a request that never reached the node may go to another replica whatever
// its method; one that may have reached it only if it is idempotent.
func (g *Gateway) forwardFailed(c *call, rp Replica, err error, reached, timedOut bool, timeout time.Duration) attempt {
	if c.r.Context().Err() != nil {
		return attempt{healthy: true, reply: failf(499, CodeClientGone,
			"the caller left before replica %s answered", rp.Sharer)}
	}
	what := err.Error()
	if timedOut {
		what = "no answer within " + timeout.String()
	}
	if !reached {
		return attempt{failure: "unreachable: " + what, timeout: timedOut}
	}
	if idempotent(c.r.Method) {
		return attempt{failure: what, timeout: timedOut}
	}
	status, code := http.StatusBadGateway, CodeBadGateway
	if timedOut {
		status, code = http.StatusGatewayTimeout, CodeTimeout
	}
	return attempt{reply: failf(status, code,
		"replica %s failed after the request reached it (%s); a %s is not retried on another replica because it may have run",
		rp.Sharer, what, c.r.Method)}
}

// checkProof verifies that the answer was tagged by rp's sharer's node for
// this forward's challenge: the status, whether it ran, and the body.
func (g *Gateway) checkProof(rp Replica, challenge, service string, resp *http.Response, body []byte) error {
	if by := resp.Header.Get(HeaderServedBy); by != rp.Sharer {
		if by == "" {
			by = "nobody"
		}
		return fmt.Errorf("its %s answer names %s as its server%s", statusText(resp.StatusCode), by, saying(body))
	}
	proof := resp.Header.Get(HeaderProof)
	if proof == "" {
		return fmt.Errorf("its %s answer carries no %s header%s", statusText(resp.StatusCode), HeaderProof, saying(body))
	}
	tag, err := base64.StdEncoding.Strict().DecodeString(proof)
	if err != nil {
		return fmt.Errorf("its %s header is not standard padded base64", HeaderProof)
	}
	msg := proofMessage(rp.Sharer, challenge, service, resp.StatusCode, resp.Header.Get(HeaderNotRun), sha256.Sum256(body))
	if err := g.pairs.check(rp.Sharer, msg, tag); err != nil {
		return fmt.Errorf("its proof does not verify: %w", err)
	}
	return nil
}

// parseEndpoint checks a replica's gateway base URL: http or https, a host,
// no path beyond "/".
func parseEndpoint(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return nil, errors.New("not a URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("scheme %q; want http or https", u.Scheme)
	case u.Host == "":
		return nil, errors.New("no host")
	case u.Path != "" && u.Path != "/", u.RawQuery != "", u.User != nil, u.Fragment != "":
		return nil, errors.New("want scheme and host only, as in http://203.0.113.7:8081")
	}
	return u, nil
}

// opaqueTarget is the URL.Opaque that makes the transport send target on
// the request line unchanged. A target starting with "//" would read as an
// authority, so it goes in absolute form with the caller's host, which
// also keeps Host unchanged for the serving node.
func opaqueTarget(target, host string) string {
	if strings.HasPrefix(target, "//") {
		return "//" + host + target
	}
	return target
}

// firstLine is the first line of a short text body, for messages.
func firstLine(body []byte) string {
	line, _, _ := bytes.Cut(body, []byte("\n"))
	return clip(strings.TrimSpace(string(line)))
}

func saying(body []byte) string {
	if l := firstLine(body); l != "" {
		return " (it said: " + l + ")"
	}
	return ""
}
