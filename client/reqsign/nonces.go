package reqsign

import (
	"container/heap"
	"crypto/sha256"
	"sync"
)

// nonceCache remembers accepted (account, nonce) pairs until the request they
// came with could no longer pass the timestamp check, and never more than
// capacity of them. Keys are a truncated SHA-256 so an entry costs the same
// whatever the nonce length.
type nonceCache struct {
	mu       sync.Mutex
	capacity int
	seen     map[nonceKey]struct{}
	byExpiry expiryHeap
}

type nonceKey [16]byte

type nonceEntry struct {
	expires int64 // unix seconds after which the entry may be forgotten
	key     nonceKey
}

func newNonceCache(capacity int) *nonceCache {
	return &nonceCache{capacity: capacity, seen: make(map[nonceKey]struct{})}
}

func keyOf(account, nonce string) nonceKey {
	h := sha256.New()
	h.Write([]byte(account))
	h.Write([]byte{0})
	h.Write([]byte(nonce))
	var k nonceKey
	copy(k[:], h.Sum(nil))
	return k
}

type addResult int

const (
	nonceAdded addResult = iota
	nonceSeen
	nonceFull
)

// add forgets entries that expired before now (unix seconds), then records
// the pair until expires unless it is already recorded or the cache is full.
func (c *nonceCache) add(account, nonce string, expires, now int64) addResult {
	k := keyOf(account, nonce)
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.byExpiry) > 0 && c.byExpiry[0].expires < now {
		e := heap.Pop(&c.byExpiry).(nonceEntry)
		delete(c.seen, e.key)
	}
	if _, ok := c.seen[k]; ok {
		return nonceSeen
	}
	if len(c.seen) >= c.capacity {
		return nonceFull
	}
	c.seen[k] = struct{}{}
	heap.Push(&c.byExpiry, nonceEntry{expires: expires, key: k})
	return nonceAdded
}

func (c *nonceCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen)
}

// expiryHeap is a min-heap of entries by expiry (container/heap).
type expiryHeap []nonceEntry

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].expires < h[j].expires }
func (h expiryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *expiryHeap) Push(x any)        { *h = append(*h, x.(nonceEntry)) }
func (h *expiryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}
