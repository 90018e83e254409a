package runtime

import (
	"net/http"
	"time"
)

// Request is an HTTP request for a service.
type Request struct {
	// Method is the HTTP method; it must not be empty.
	Method string
	// Path is the path with its query, as in an HTTP request line
	// ("/greet?name=ada"); it must start with "/".
	Path string
	// Host is the host the caller addressed.
	Host string
	// Header is passed to the guest as is.
	Header http.Header
	// Body is the whole request body.
	Body []byte

	// Time is the request's recorded time: the guest's wall clock starts at
	// it (docs/guest-abi.md §8) and the receipt records it. Zero means the
	// time the guest starts running for the request. A gateway that
	// forwarded the request passes the time it signed.
	Time time.Time
	// Via is the sharer account whose gateway forwarded the request to this
	// node, and ViaSig its hot key's signature over
	// receipt.ForwardDigest(lease, request hash, Time); both empty when the
	// request entered through this node's own gateway. The runtime copies
	// them into the receipt unchecked: the forwarding hop checks them.
	Via    string
	ViaSig []byte
}

// Response is a service's answer to a Request.
type Response struct {
	// Status is the HTTP status code, 100 to 999.
	Status int
	// Header is the guest's header without framing and hop-by-hop fields
	// (Content-Length, Transfer-Encoding, Connection, ...): the gateway frames
	// the body itself.
	Header http.Header
	// Body is the whole response body.
	Body []byte
	// Usage is what serving the request consumed.
	Usage Usage
}

// Usage is what one request consumed, for metering.
type Usage struct {
	// CPU is the thread CPU time spent in the guest and in the host functions
	// it called. Time spent waiting (for egress, a timer, a free instance)
	// is not counted.
	CPU time.Duration
	// EgressBytes counts the encoded egress requests the guest sent and the
	// responses it received.
	EgressBytes int64
	// Fuel is the fuel the guest used (docs/guest-abi.md §10): a
	// deterministic count of the work the module did, the same on every
	// node for the same request history. It is what the request is billed
	// by and what its receipt records; CPU stays for local accounting.
	Fuel uint64
}

// Stats is a snapshot of a service's counters since it was loaded.
type Stats struct {
	// Requests counts calls to Handle, successful or not.
	Requests uint64
	// Errors counts failed requests by kind; kinds that never happened are absent.
	Errors map[ErrorKind]uint64
	// CPU is the total Usage.CPU of every request.
	CPU time.Duration
	// EgressBytes is the total Usage.EgressBytes of every request.
	EgressBytes int64
	// Fuel is the total Usage.Fuel of every request.
	Fuel uint64
	// Instances is the number of warm instances alive now.
	Instances int
	// InstancesReplaced counts instances discarded after a trap, timeout or
	// memory failure.
	InstancesReplaced uint64
	// KVBytes is the size of the service's stored keys and values (0 without kv).
	KVBytes int64
}
