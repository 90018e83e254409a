package runtime

import (
	"log/slog"
	goruntime "runtime"
)

// Option configures a Runtime. Options are applied in order by New.
type Option func(*config)

type config struct {
	logger        *slog.Logger
	maxGuests     int
	allowLoopback bool
}

func defaultConfig() config {
	return config{
		logger:    slog.New(slog.DiscardHandler),
		maxGuests: max(1, goruntime.NumCPU()-1),
	}
}

// WithLogger sets the logger for runtime events (instances replaced, stores
// opened). The default discards them.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) {
		if l != nil {
			c.logger = l
		}
	}
}

// WithMaxConcurrentGuests caps how many guest calls (and instantiations and
// compilations) run at once across every service of the Runtime. The default
// is max(1, NumCPU-1), which leaves a core for consensus. n < 1 means 1.
func WithMaxConcurrentGuests(n int) Option {
	return func(c *config) { c.maxGuests = max(1, n) }
}

// WithEgressAllowLoopbackForTests lets egress reach loopback addresses
// (127.0.0.0/8, ::1), so tests can point a service at an httptest server.
// Never use it on a real node: it would let any service with egress reach the
// node's own ports. Private, link-local and other special addresses stay
// refused.
func WithEgressAllowLoopbackForTests() Option {
	return func(c *config) { c.allowLoopback = true }
}
