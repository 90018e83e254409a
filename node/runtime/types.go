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
	// Instances is the number of warm instances alive now.
	Instances int
	// InstancesReplaced counts instances discarded after a trap, timeout or
	// memory failure.
	InstancesReplaced uint64
	// KVBytes is the size of the service's stored keys and values (0 without kv).
	KVBytes int64
}
