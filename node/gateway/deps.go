package gateway

import (
	"context"
	"net/http"
	"time"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"

	"github.com/quantum1net/q1/client/reqsign"
	"github.com/quantum1net/q1/core/manifest"
)

// Deps are the parts of the node the gateway works with. Every field is
// required; New names the one that is missing.
type Deps struct {
	// Self is this node's sharer address (bech32, "q1..."): the name it
	// serves under, proves its answers as, and compares Replica.Sharer with.
	Self string
	// Runtime runs requests on this node's replicas.
	Runtime Runtime
	// Chain is this node's view of committed chain state.
	Chain Chain
	// Verifier checks callers' request signatures. Pass the node's one
	// *reqsign.Verifier, shared with its other listeners, so a nonce spent on
	// one is spent on all.
	Verifier Verifier
	// NodeKey is this node's hot key, whose public key its sharer
	// registered on chain. The gateway uses it only for key agreement with
	// other nodes (see the package documentation), never to sign.
	NodeKey *secp256k1.PrivKey
	// NodeKeys looks up the hot keys other sharers registered on chain.
	NodeKeys NodeKeys
	// Meter is told about every request for a known service.
	Meter Meter
}

// Runtime runs a request on a replica held by this node.
type Runtime interface {
	// Handle serves req on this node's replica of service. A failure should
	// satisfy RuntimeError so the gateway can answer with the right status;
	// any other error is answered with 500.
	Handle(ctx context.Context, service string, req *Request) (*Response, error)
}

// RuntimeError is a failed request as the runtime reports it. The runtime's
// *Error satisfies it through a FailureKind method returning its Kind.
type RuntimeError interface {
	error
	// FailureKind is one of the Kind* constants; an unknown kind is
	// answered with 500.
	FailureKind() string
}

// Kinds of runtime failure the gateway tells apart (RuntimeError.FailureKind).
// All but KindNotLoaded are the runtime's own ErrorKind values.
const (
	// KindNotLoaded: this node holds no running replica of the service; the
	// request never started. The gateway tries another replica, whatever the
	// method.
	KindNotLoaded = "not_loaded"
	// KindUnavailable: the service was closing; the request may have
	// started. Retried elsewhere only for idempotent methods, else 503.
	KindUnavailable = "unavailable"
	// KindTimeout: the request ran past the service's timeout (504).
	KindTimeout = "timeout"
	// KindTrap: the guest trapped, panicked or exited (500).
	KindTrap = "trap"
	// KindFuel: the guest used its request's whole fuel limit (500).
	KindFuel = "fuel"
	// KindMemory: the guest ran out of memory (500).
	KindMemory = "memory"
	// KindResponseTooLarge: the response exceeded the limit (500).
	KindResponseTooLarge = "response_too_large"
	// KindBadResponse: the guest returned no valid response (500).
	KindBadResponse = "bad_response"
	// KindRequestTooLarge: the encoded request exceeded the runtime's limit (413).
	KindRequestTooLarge = "request_too_large"
	// KindBadRequest: the request was malformed (400).
	KindBadRequest = "bad_request"
	// KindCanceled: the caller left before the guest ran (499, unread).
	KindCanceled = "canceled"
	// KindBusy: the request never ran because the service or the node was
	// at its limit (no instance or guest slot free in time, or too many
	// requests waiting): 503 with Retry-After, not retried elsewhere.
	KindBusy = "busy"
)

// Request is a call for a service, as the gateway hands it to the runtime.
type Request struct {
	// Method is the HTTP method as sent.
	Method string
	// Path is the path and query the service sees, percent-encoded as sent,
	// always starting with "/": the request target with any "/s/{service}"
	// prefix removed.
	Path string
	// Host is the Host header the caller sent.
	Host string
	// Header is the caller's header without hop-by-hop fields and without
	// the gateway's own X-Q1-Hop-* fields. When it holds X-Q1-Account, the
	// request was signed by that account and the signature verified.
	Header http.Header
	// Body is the whole request body.
	Body []byte
	// Caller is the account that signed the request, "" when unsigned.
	Caller string
	// ClientIP is the caller's address as the entry node saw it.
	ClientIP string
	// Time is the request's recorded time, which the guest's clock reads
	// and its receipt records: set by a forwarding gateway to the time it
	// signed, zero for the runtime to take its own.
	Time time.Time
	// Via and ViaSig name the sharer whose gateway forwarded the request
	// and carry its signature over receipt.ForwardDigest; empty when the
	// request entered here. The runtime puts them in the receipt.
	Via    string
	ViaSig []byte
}

// Response is a service's answer.
type Response struct {
	// Status is the HTTP status, 200 to 599; others are answered with 500.
	Status int
	// Header is sent to the caller without hop-by-hop fields and without
	// the gateway's X-Q1-* response fields, which the gateway sets itself.
	Header http.Header
	// Body is the whole response body.
	Body []byte
}

// Chain is the gateway's view of committed chain state. Calls must be cheap
// (served from memory): the gateway makes them on every request.
type Chain interface {
	// Status says whether service exists and whether it is paused.
	Status(service string) ServiceState
	// Manifest returns the active manifest of service.
	Manifest(service string) (*manifest.Manifest, bool)
	// Replicas lists the nodes holding a lease on service.
	Replicas(service string) []Replica
}

// ServiceState is a service's standing on chain.
type ServiceState struct {
	// Exists is false for a name no service holds.
	Exists bool
	// Paused is true while the service's escrow is empty (or an operator
	// paused it); callers get 402 with Reason.
	Paused bool
	// Reason says why the service is paused, for the caller.
	Reason string
	// Unavailable, when set, says why the node could not read the service's
	// state from the chain just now; callers get 503, not a verdict.
	Unavailable string
}

// Replica is one lease of a service.
type Replica struct {
	// Sharer is the address of the sharer node holding the lease.
	Sharer string
	// Endpoint is the sharer node's gateway base URL, e.g.
	// "http://203.0.113.7:8081" (scheme and host only).
	Endpoint string
	// Local is true for this node's own lease.
	Local bool
}

// Verifier checks a caller's request signature; *reqsign.Verifier is one.
// It returns the signing account, or an error matching reqsign's kinds.
type Verifier interface {
	Verify(req *http.Request, bodyHash [32]byte, service string) (account string, err error)
}

var _ Verifier = (*reqsign.Verifier)(nil)

// NodeKeys looks up the node (hot) key a sharer registered on chain.
type NodeKeys interface {
	// PubKey returns the 33-byte compressed secp256k1 public key of
	// sharer's node, or an error saying why there is none (unknown sharer,
	// no key registered). It is called on every forwarded request and
	// must be cheap (served from memory).
	PubKey(sharer string) ([]byte, error)
}

// Meter is told once about every request for a known service, refused or
// served, after the response is written.
type Meter interface {
	// Observe reports one request: local is true when this node's runtime
	// ran it, status is what the caller got, d the time from arrival to the
	// last byte written, and the body sizes.
	Observe(service string, local bool, status int, d time.Duration, reqBytes, respBytes int64)
}
