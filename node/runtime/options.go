package runtime

import (
	"log/slog"
	goruntime "runtime"
	"time"
)

// Option configures a Runtime. Options are applied in order by New.
type Option func(*config)

type config struct {
	logger        *slog.Logger
	maxGuests     int
	maxOvertime   int
	slice         time.Duration
	slotWait      time.Duration
	queue         QueueLimits
	startups      int
	initTimeout   time.Duration
	allowLoopback bool
	interpreter   bool
	// now is the clock start-ups and requests without a recorded time
	// read (tests fix it).
	now func() time.Time
	// unmetered loads modules as uploaded, without fuel (benchmarks
	// measure what metering costs with it).
	unmetered bool
}

// Defaults of the options below.
const (
	// DefaultSlotWait is how long a request may wait for an instance of its
	// service and a guest slot before it is refused as busy.
	DefaultSlotWait = time.Second
	// DefaultTimeSlice is how long a guest keeps a shared slot while another
	// service waits before it is moved to overtime.
	DefaultTimeSlice = 50 * time.Millisecond
	// DefaultInitTimeout bounds an instance's _initialize.
	DefaultInitTimeout = 10 * time.Second
	// DefaultStartups is how many compilations and instantiations run at once.
	DefaultStartups = 2
)

// DefaultQueueLimits caps the requests waiting to run: 64 requests and
// 16 MiB per service, 512 requests and 64 MiB per node.
var DefaultQueueLimits = QueueLimits{PerService: 64, PerServiceBytes: 16 << 20, Node: 512, NodeBytes: 64 << 20}

func defaultConfig() config {
	slots := max(1, goruntime.NumCPU()-1)
	return config{
		logger:      slog.New(slog.DiscardHandler),
		maxGuests:   slots,
		maxOvertime: 2 * max(2, slots),
		slice:       DefaultTimeSlice,
		slotWait:    DefaultSlotWait,
		queue:       DefaultQueueLimits,
		startups:    DefaultStartups,
		initTimeout: DefaultInitTimeout,
		now:         time.Now,
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

// WithMaxConcurrentGuests sets the size of the shared pool of guest slots:
// how many guest calls run at once across every service of the Runtime,
// shared in turns among the services that wait (see WithTimeSlice). The
// default is max(1, NumCPU-1), which leaves a core for consensus. n < 1
// means 1. It also sets the overtime cap to 2*max(2, n); a later
// WithMaxOvertimeGuests overrides that.
func WithMaxConcurrentGuests(n int) Option {
	return func(c *config) {
		c.maxGuests = max(1, n)
		c.maxOvertime = 2 * max(2, c.maxGuests)
	}
}

// WithTimeSlice sets how long a guest may keep a shared slot while a request
// of another service waits (default DefaultTimeSlice). Past it the guest is
// moved to overtime: it keeps running, outside the pool, and its slot goes
// to the waiting service. d <= 0 means the default.
func WithTimeSlice(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.slice = d
		}
	}
}

// WithMaxOvertimeGuests caps how many guests run in overtime at once, node
// wide (default 2*max(2, slots)). Past it no guest is moved out of the pool
// and waiters wait for a slot to free. n < 0 means 0: no overtime, guests
// keep their slot until they return.
func WithMaxOvertimeGuests(n int) Option {
	return func(c *config) { c.maxOvertime = max(0, n) }
}

// WithSlotWait bounds how long a request waits for a free instance of its
// service and a guest slot (default DefaultSlotWait). Past it the request
// fails with KindBusy, which a gateway answers with 503 and Retry-After.
// d <= 0 means the default.
func WithSlotWait(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.slotWait = d
		}
	}
}

// QueueLimits caps the requests waiting to run (for an instance of their
// service or a guest slot): their number and the size of their encoded
// requests, per service and per node. A request over a cap fails at once
// with KindBusy. Zero fields take DefaultQueueLimits' values.
type QueueLimits struct {
	PerService      int
	PerServiceBytes int64
	Node            int
	NodeBytes       int64
}

// WithQueueLimits sets the caps on waiting requests.
func WithQueueLimits(l QueueLimits) Option {
	return func(c *config) {
		d := DefaultQueueLimits
		if l.PerService <= 0 {
			l.PerService = d.PerService
		}
		if l.PerServiceBytes <= 0 {
			l.PerServiceBytes = d.PerServiceBytes
		}
		if l.Node <= 0 {
			l.Node = d.Node
		}
		if l.NodeBytes <= 0 {
			l.NodeBytes = d.NodeBytes
		}
		c.queue = l
	}
}

// WithStartups caps how many compilations and instantiations (with their
// _initialize) run at once (default DefaultStartups). They never use the
// guest slots, so a slow or looping start-up cannot hold up requests of
// other services. n < 1 means 1.
func WithStartups(n int) Option {
	return func(c *config) { c.startups = max(1, n) }
}

// WithInitTimeout bounds each instance's _initialize (default
// DefaultInitTimeout); an instance whose _initialize runs longer fails to
// start, naming the timeout. d <= 0 means the default.
func WithInitTimeout(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.initTimeout = d
		}
	}
}

// WithEgressAllowLoopbackForTests lets egress reach loopback addresses
// (127.0.0.0/8, ::1), so tests can point a service at an httptest server.
// Never use it on a real node: it would let any service with egress reach the
// node's own ports. Private, link-local and other special addresses stay
// refused.
func WithEgressAllowLoopbackForTests() Option {
	return func(c *config) { c.allowLoopback = true }
}

// WithInterpreter runs guests on wazero's interpreter instead of its
// compiler: far slower, but with no machine code generated. Fuel, responses
// and receipts are the same under both (the determinism tests check it), so
// an auditor may re-execute with either.
func WithInterpreter() Option {
	return func(c *config) { c.interpreter = true }
}
