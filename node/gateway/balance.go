package gateway

import (
	"math/rand/v2"
	"sync"
	"time"
)

// Defaults of the replica health tracking.
const (
	// DefaultBackoffBase is how long a node that failed once is avoided.
	DefaultBackoffBase = time.Second
	// DefaultBackoffMax caps the doubling backoff of a node that keeps failing.
	DefaultBackoffMax = time.Minute
	// ewmaWeight is the weight of the newest latency sample, in 1/16ths.
	ewmaWeight = 4
	// maxTrackedNodes bounds the health table; idle entries go first.
	maxTrackedNodes = 4096
)

// balancer tracks how each node (by sharer address) has been doing and
// picks the replica for the next attempt: the local one when it is healthy,
// else the better of two random healthy remote ones (power of two choices)
// by latency EWMA × (in-flight + 1), else the node whose backoff ends
// first. Spreading by two random choices avoids the herd that "always the
// fastest" causes when many requests see the same numbers.
type balancer struct {
	now   func() time.Time
	intn  func(n int) int
	base  time.Duration
	max   time.Duration
	mu    sync.Mutex
	nodes map[string]*nodeHealth
}

type nodeHealth struct {
	ewma     time.Duration // latency of successful answers; 0 until the first
	inflight int
	fails    int       // consecutive failures
	until    time.Time // avoided until then when fails > 0
	used     time.Time // last pick or report, for trimming
}

func newBalancer(now func() time.Time, base, max time.Duration) *balancer {
	return &balancer{now: now, intn: rand.IntN, base: base, max: max, nodes: make(map[string]*nodeHealth)}
}

// node returns the entry of sharer, creating it. Callers hold mu.
func (b *balancer) node(sharer string, now time.Time) *nodeHealth {
	n, ok := b.nodes[sharer]
	if !ok {
		b.trim(now)
		n = &nodeHealth{}
		b.nodes[sharer] = n
	}
	n.used = now
	return n
}

// trim forgets healthy idle nodes once the table is full (nodes leave the
// network; their entries must not pile up). Callers hold mu.
func (b *balancer) trim(now time.Time) {
	if len(b.nodes) < maxTrackedNodes {
		return
	}
	for sharer, n := range b.nodes {
		if n.inflight == 0 && !now.Before(n.until) && now.Sub(n.used) > b.max {
			delete(b.nodes, sharer)
		}
	}
	if len(b.nodes) >= maxTrackedNodes { // all busy or recent: drop any idle one
		for sharer, n := range b.nodes {
			if n.inflight == 0 {
				delete(b.nodes, sharer)
				break
			}
		}
	}
}

func (n *nodeHealth) healthy(now time.Time) bool { return n.fails == 0 || !now.Before(n.until) }

func (n *nodeHealth) load() time.Duration {
	return (n.ewma + time.Microsecond) * time.Duration(n.inflight+1)
}

// pick returns the index in reps of the replica to try next, skipping those
// in tried, and counts it in flight; ok is false when none is left. The
// caller reports the outcome with done.
func (b *balancer) pick(reps []Replica, self string, tried map[int]bool) (int, bool) {
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	var healthy []int
	for i, r := range reps {
		if tried[i] {
			continue
		}
		if !b.node(r.Sharer, now).healthy(now) {
			continue
		}
		if r.Local || r.Sharer == self {
			return b.take(reps, i, now), true
		}
		healthy = append(healthy, i)
	}
	switch len(healthy) {
	case 0:
	case 1:
		return b.take(reps, healthy[0], now), true
	default:
		i := b.intn(len(healthy))
		j := b.intn(len(healthy) - 1)
		if j >= i {
			j++
		}
		a, c := healthy[i], healthy[j]
		if b.nodes[reps[c].Sharer].load() < b.nodes[reps[a].Sharer].load() {
			a = c
		}
		return b.take(reps, a, now), true
	}
	// Every untried replica is backing off: probe the one whose wait ends
	// first rather than refuse the caller.
	best := -1
	for i, r := range reps {
		if !tried[i] && (best < 0 || b.nodes[r.Sharer].until.Before(b.nodes[reps[best].Sharer].until)) {
			best = i
		}
	}
	if best < 0 {
		return 0, false
	}
	return b.take(reps, best, now), true
}

func (b *balancer) take(reps []Replica, i int, now time.Time) int {
	b.node(reps[i].Sharer, now).inflight++
	return i
}

// done reports how an attempt on sharer ended. A success resets the
// node's backoff and feeds its latency EWMA; a failure avoids the node for
// base × 2^(consecutive failures − 1), at most max.
func (b *balancer) done(sharer string, ok bool, latency time.Duration) {
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	n := b.node(sharer, now)
	if n.inflight > 0 {
		n.inflight--
	}
	if ok {
		n.fails, n.until = 0, time.Time{}
		if n.ewma == 0 {
			n.ewma = latency
		} else {
			n.ewma += (latency - n.ewma) * ewmaWeight / 16
		}
		return
	}
	n.fails++
	wait := b.base
	for i := 1; i < n.fails && wait < b.max; i++ {
		wait *= 2
	}
	n.until = now.Add(min(wait, b.max))
}

// health is a snapshot of one node's standing, for tests and logs.
type health struct {
	fails    int
	until    time.Time
	inflight int
}

func (b *balancer) health(sharer string) health {
	b.mu.Lock()
	defer b.mu.Unlock()
	n, ok := b.nodes[sharer]
	if !ok {
		return health{}
	}
	return health{fails: n.fails, until: n.until, inflight: n.inflight}
}
