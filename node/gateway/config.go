package gateway

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/quantum1net/q1/client/reqsign"
)

// Defaults of Config.
const (
	// DefaultMaxRequestBytes is the largest request body accepted (4 MiB).
	DefaultMaxRequestBytes = 4 << 20
	// DefaultMaxResponseBytes is the largest response body a forwarding
	// node relays or a local run may return (16 MiB).
	DefaultMaxResponseBytes = 16 << 20
	// DefaultForwardSlack is added to a service's request timeout to bound
	// a forwarded attempt when Config.ForwardTimeout is zero.
	DefaultForwardSlack = 2 * time.Second
	// DefaultMaxAttempts is how many replicas one request may try.
	DefaultMaxAttempts = 3
	// DefaultMaxBodyBytesPerService caps the request bodies of one service
	// the gateway holds at once (16 MiB).
	DefaultMaxBodyBytesPerService = 16 << 20
	// DefaultMaxBodyBytes caps the request bodies the gateway holds at once,
	// all services together (64 MiB).
	DefaultMaxBodyBytes = 64 << 20
	// DefaultBodyReadTimeout bounds reading one request body.
	DefaultBodyReadTimeout = 30 * time.Second
)

// Config is the gateway's configuration. The zero value of every field but
// BaseHosts means its default.
type Config struct {
	// BaseHosts are the host names the gateway answers on, lowercase, without
	// port: "localhost", "gw.example.org". A service's own origin is
	// {service}.{base host}. At least one is required.
	BaseHosts []string
	// Ports are the ports callers address the gateway on, as they write
	// them in Host ("8080"; an entry "80" or "443" also matches a Host
	// without a port). A signed request must name one of them: its
	// signature covers the Host, port included, so without this a request
	// signed for one node could be replayed to another node on the same
	// host name. Empty means the port of the listener each request arrives
	// on, which is right unless a proxy or a port mapping sits in front.
	Ports []string
	// MaxRequestBytes bounds a request body (413 above it).
	MaxRequestBytes int64
	// MaxResponseBytes bounds a response body this gateway returns.
	MaxResponseBytes int64
	// ForwardTimeout bounds one forwarded attempt, from sending to the last
	// byte of the answer. Zero means the service's request timeout plus
	// DefaultForwardSlack.
	ForwardTimeout time.Duration
	// MaxAttempts bounds how many replicas one request tries.
	MaxAttempts int
	// MaxCallers bounds the rate-limit buckets kept (DefaultMaxCallers).
	MaxCallers int
	// MaxBodyBytesPerService caps the request bodies of one service held at
	// once, from the first byte read to the answer written, whether the
	// request runs here or is forwarded. A body that would take a service
	// over it is refused with 503 and Retry-After before it is read (when
	// its Content-Length says so) or as soon as it crosses the cap.
	MaxBodyBytesPerService int64
	// MaxBodyBytes is the same cap for all services together.
	MaxBodyBytes int64
	// BodyReadTimeout bounds reading one request body (408 past it), so
	// slow clients cannot hold a body's budget for long.
	BodyReadTimeout time.Duration
}

// Validate reports every invalid field of c, each naming the field.
func (c Config) Validate() error {
	var errs []error
	if len(c.BaseHosts) == 0 {
		errs = append(errs, errors.New("gateway config: BaseHosts is empty; name at least one host, e.g. \"localhost\""))
	}
	for i, h := range c.BaseHosts {
		if err := checkBaseHost(h); err != nil {
			errs = append(errs, fmt.Errorf("gateway config: BaseHosts[%d]: %w", i, err))
		}
	}
	for i, p := range c.Ports {
		if _, port, err := reqsign.SplitHost(":" + p); err != nil || port == "" || strings.ContainsAny(p, ":[]") {
			errs = append(errs, fmt.Errorf("gateway config: Ports[%d] is %q; want a port number from 1 to 65535, e.g. \"8080\"", i, p))
		}
	}
	for _, f := range []struct {
		name string
		v    int64
	}{
		{"MaxRequestBytes", c.MaxRequestBytes},
		{"MaxResponseBytes", c.MaxResponseBytes},
		{"ForwardTimeout", int64(c.ForwardTimeout)},
		{"MaxAttempts", int64(c.MaxAttempts)},
		{"MaxCallers", int64(c.MaxCallers)},
		{"MaxBodyBytesPerService", c.MaxBodyBytesPerService},
		{"MaxBodyBytes", c.MaxBodyBytes},
		{"BodyReadTimeout", int64(c.BodyReadTimeout)},
	} {
		if f.v < 0 {
			errs = append(errs, fmt.Errorf("gateway config: %s is negative (%d); use 0 for the default", f.name, f.v))
		}
	}
	return errors.Join(errs...)
}

func checkBaseHost(h string) error {
	switch {
	case h == "":
		return errors.New("host is empty")
	case h != strings.ToLower(h):
		return fmt.Errorf("host %q must be lowercase", h)
	case strings.HasPrefix(h, ".") || strings.HasSuffix(h, "."):
		return fmt.Errorf("host %q must not start or end with '.'", h)
	case strings.ContainsAny(h, ":/@[] \t"):
		return fmt.Errorf("host %q must be a bare host name, without scheme, port or path", h)
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.MaxRequestBytes == 0 {
		c.MaxRequestBytes = DefaultMaxRequestBytes
	}
	if c.MaxResponseBytes == 0 {
		c.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	if c.MaxCallers == 0 {
		c.MaxCallers = DefaultMaxCallers
	}
	if c.MaxBodyBytesPerService == 0 {
		c.MaxBodyBytesPerService = DefaultMaxBodyBytesPerService
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.BodyReadTimeout == 0 {
		c.BodyReadTimeout = DefaultBodyReadTimeout
	}
	return c
}

// Option configures optional parts of a Gateway.
type Option func(*options)

type options struct {
	log         *slog.Logger
	now         func() time.Time
	transport   http.RoundTripper
	backoffBase time.Duration
	backoffMax  time.Duration
}

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithClock sets the clock of backoffs, rate limits and latency (default
// time.Now).
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithTransport sets the transport forwarded requests use (default: a
// dedicated http.Transport with a 3 s dial timeout and keep-alives).
func WithTransport(t http.RoundTripper) Option { return func(o *options) { o.transport = t } }

// WithBackoff sets how long a failed node is avoided: base after one
// failure, doubling with each further one, at most max (defaults
// DefaultBackoffBase and DefaultBackoffMax).
func WithBackoff(base, max time.Duration) Option {
	return func(o *options) { o.backoffBase, o.backoffMax = base, max }
}
