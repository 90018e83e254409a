package gateway

import (
	"net/http"
	"net/textproto"
	"strings"
)

// Response headers the gateway sets. A service cannot set them: the gateway
// removes them from every service response first.
const (
	// HeaderServedBy names the sharer node whose runtime produced the
	// response (or whose gateway refused the request).
	HeaderServedBy = "X-Q1-Served-By"
	// HeaderVia lists, for a forwarded request, the nodes it passed through
	// in order, comma-separated: the entry node, then the serving node.
	HeaderVia = "X-Q1-Via"
	// HeaderError carries a short code (the Code* constants) on every
	// response the gateway itself made, so programs can tell a gateway
	// refusal from a service's own answer with the same status.
	HeaderError = "X-Q1-Error"
	// HeaderProof is the serving node's HMAC over a forwarded request's
	// challenge and its answer (see the package documentation).
	HeaderProof = "X-Q1-Proof"
	// HeaderNotRun is set, on a proven answer to a forwarded request, when
	// the serving node did not start the request; its value says why.
	HeaderNotRun = "X-Q1-Not-Run"
)

// Request headers a forwarding node adds (the hop). A request that carries
// any X-Q1-Hop-* header is a forwarded request and must carry all of them.
const (
	HeaderHopFrom      = "X-Q1-Hop-From"      // forwarding node's sharer address
	HeaderHopTo        = "X-Q1-Hop-To"        // sharer address of the node asked to serve
	HeaderHopService   = "X-Q1-Hop-Service"   // the service
	HeaderHopRoute     = "X-Q1-Hop-Route"     // "host" or "path": how the caller named the service
	HeaderHopClient    = "X-Q1-Hop-Client"    // the caller's IP address as the entry node saw it
	HeaderHopChallenge = "X-Q1-Hop-Challenge" // 32 random bytes, unpadded base64url
	HeaderHopAuth      = "X-Q1-Hop-Auth"      // forwarding node's HMAC over the hop and the request
)

const hopPrefix = "X-Q1-Hop-"

// HeaderSchedule marks a scheduled request (manifest schedules): the node
// running the schedule sets it to the schedule's index. The gateway removes
// it from every caller's request (cleanHeader), so a guest that sees it
// knows the network sent the request, not a caller.
const HeaderSchedule = "X-Q1-Schedule"

// Codes in HeaderError.
const (
	CodeNotFound        = "not-found"        // no such service, or not a service address (404)
	CodeBadRequest      = "bad-request"      // malformed request target or body (400)
	CodeUnauthorized    = "unauthorized"     // signature missing or refused (401)
	CodePaymentRequired = "payment-required" // service paused for lack of money (402)
	CodeForbidden       = "forbidden"        // caller not allowed, or a hop not proven (403)
	CodeTooLarge        = "too-large"        // request body over the limit (413)
	CodeMisdirected     = "misdirected"      // forwarded to a node that is not the addressee (421)
	CodeRateLimited     = "rate-limited"     // per-caller rate limit (429)
	CodeServiceError    = "service-error"    // the service failed: trap, memory, oversized response (500)
	CodeBadGateway      = "bad-gateway"      // every replica tried failed, or one misbehaved (502)
	CodeUnavailable     = "unavailable"      // no replica placed or none running (503)
	CodeBusy            = "busy"             // the service or node is at a limit: slots, queue, bodies (503, Retry-After)
	CodeTimeout         = "timeout"          // the service or the serving node took too long (504)
	CodeClientGone      = "client-gone"      // the caller left before the service ran (499)
)

// hopByHop are the fields that describe one connection, not the request
// (RFC 9110 §7.6.1), as net/http/httputil.ReverseProxy removes them.
var hopByHop = []string{
	"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade",
}

// gatewayResponseHeaders are removed from service answers.
var gatewayResponseHeaders = []string{HeaderServedBy, HeaderVia, HeaderError, HeaderProof, HeaderNotRun}

// cleanHeader returns a copy of h without hop-by-hop fields (including
// those named in Connection), without the X-Q1-Hop-* fields and
// HeaderSchedule, and without the named extra fields.
func cleanHeader(h http.Header, extra ...string) http.Header {
	out := h.Clone()
	if out == nil {
		out = make(http.Header)
	}
	for _, v := range out.Values("Connection") {
		for _, name := range strings.Split(v, ",") {
			if name = textproto.TrimString(name); name != "" {
				out.Del(name)
			}
		}
	}
	for _, name := range hopByHop {
		out.Del(name)
	}
	for name := range out {
		if strings.HasPrefix(name, hopPrefix) {
			delete(out, name)
		}
	}
	out.Del(HeaderSchedule)
	for _, name := range extra {
		out.Del(name)
	}
	return out
}

// isHop reports whether h carries any X-Q1-Hop-* field.
func isHop(h http.Header) bool {
	for name := range h {
		if strings.HasPrefix(textproto.CanonicalMIMEHeaderKey(name), hopPrefix) {
			return true
		}
	}
	return false
}

// isSigned reports whether h carries any of reqsign's signature fields: such
// a request is verified even on a public path, so a service that sees
// X-Q1-Account can trust it.
func isSigned(h http.Header, names []string) bool {
	for _, name := range names {
		if len(h.Values(name)) > 0 {
			return true
		}
	}
	return false
}
