package gateway

import (
	"container/list"
	"math"
	"sync"
	"time"

	"github.com/quantum1net/q1/core/manifest"
)

// DefaultMaxCallers bounds how many callers' rate-limit buckets a gateway
// keeps (about 150 bytes each).
const DefaultMaxCallers = 1 << 16

// limiter is a token bucket per (service, caller): a bucket holds up to
// Count tokens and refills at Count per Per, and each request takes one.
// Memory is bounded: buckets are kept in least-recently-used order, those
// idle long enough to have refilled completely are dropped (a fresh bucket
// is the same thing), and past max callers the least recently used is
// dropped even if not full, which at worst gives that caller a fresh burst.
type limiter struct {
	now  func() time.Time
	max  int
	mu   sync.Mutex
	byID map[string]*list.Element
	lru  *list.List // of *bucket, most recently used first
}

type bucket struct {
	key    string
	tokens float64
	last   time.Time
	per    time.Duration
}

func newLimiter(now func() time.Time, max int) *limiter {
	return &limiter{now: now, max: max, byID: make(map[string]*list.Element), lru: list.New()}
}

// allow takes a token for key under rate, or says how long until one is
// available.
func (l *limiter) allow(key string, rate manifest.Rate) (bool, time.Duration) {
	if rate.Count == 0 || rate.Per <= 0 {
		return false, rate.Per
	}
	now := l.now()
	capacity := float64(rate.Count)
	perSecond := capacity / rate.Per.Seconds()
	l.mu.Lock()
	defer l.mu.Unlock()
	var b *bucket
	if e, ok := l.byID[key]; ok {
		b = e.Value.(*bucket)
		l.lru.MoveToFront(e)
		if elapsed := now.Sub(b.last); elapsed > 0 {
			b.tokens = math.Min(capacity, b.tokens+elapsed.Seconds()*perSecond)
		}
		b.tokens = math.Min(b.tokens, capacity) // the manifest may have lowered the rate
	} else {
		b = &bucket{key: key, tokens: capacity}
		l.byID[key] = l.lru.PushFront(b)
	}
	b.last, b.per = now, rate.Per
	l.evict(now)
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) / perSecond * float64(time.Second))
	return false, wait
}

// evict drops buckets from the idle end that have refilled, and any beyond
// max. Callers hold mu.
func (l *limiter) evict(now time.Time) {
	for e := l.lru.Back(); e != nil; e = l.lru.Back() {
		b := e.Value.(*bucket)
		if l.lru.Len() <= l.max && now.Sub(b.last) < b.per {
			return
		}
		l.lru.Remove(e)
		delete(l.byID, b.key)
	}
}

func (l *limiter) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lru.Len()
}

// retryAfter is the Retry-After value for a wait: whole seconds, at least 1.
func retryAfter(wait time.Duration) int64 {
	s := int64((wait + time.Second - 1) / time.Second)
	return max(s, 1)
}
