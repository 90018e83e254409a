package sched

import (
	"bytes"
	"crypto/sha256"
	"strings"
)

// entry is one qualifying sharer (or, when scaling down, one current replica)
// with the keys it is ranked by.
type entry struct {
	idx       int    // index into the candidates (or Current)
	addr      string // sharer address, the final tiebreak
	preferred bool
	inBand    bool
	cost      u256     // scaled hourly cost
	weight    [32]byte // rendezvous weight; set only once the entry is ranked
}

// compareRank orders entries best first, as a total order over distinct
// addresses:
//
//  1. preferred sharers before the others;
//  2. sharers in the band before those outside it;
//  3. outside the band, cheaper first;
//  4. higher rendezvous weight first;
//  5. lower address first.
func compareRank(a, b *entry) int {
	if a.preferred != b.preferred {
		if a.preferred {
			return -1
		}
		return 1
	}
	if a.inBand != b.inBand {
		if a.inBand {
			return -1
		}
		return 1
	}
	if !a.inBand {
		if c := a.cost.cmp(b.cost); c != 0 {
			return c
		}
	}
	if c := bytes.Compare(b.weight[:], a.weight[:]); c != 0 {
		return c
	}
	return strings.Compare(a.addr, b.addr)
}

// weigher computes rendezvous weights, sha256(service || 0x00 || address),
// reusing one buffer.
type weigher struct {
	buf    []byte
	prefix int
}

func newWeigher(service string) weigher {
	buf := make([]byte, 0, len(service)+1+64)
	buf = append(buf, service...)
	buf = append(buf, 0)
	return weigher{buf: buf, prefix: len(buf)}
}

// weight returns the rendezvous weight of the sharer at addr.
func (w *weigher) weight(addr string) [32]byte {
	w.buf = append(w.buf[:w.prefix], addr...)
	return sha256.Sum256(w.buf)
}

// rankHeap is a binary min-heap of entries under compareRank. Popping it
// yields entries in rank order; since compareRank is total, that order does
// not depend on the order entries were pushed. Building it is O(n) and each
// pop O(log n), so placing a few replicas among many sharers never sorts them
// all.
type rankHeap []entry

// init establishes the heap order.
func (h rankHeap) init() {
	for i := len(h)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
}

// pop removes and returns the best-ranked entry; the heap must not be empty.
func (h *rankHeap) pop() entry {
	old := *h
	n := len(old) - 1
	old[0], old[n] = old[n], old[0]
	*h = old[:n]
	h.down(0)
	return old[n]
}

func (h rankHeap) down(i int) {
	for {
		best := i
		l, r := 2*i+1, 2*i+2
		if l < len(h) && compareRank(&h[l], &h[best]) < 0 {
			best = l
		}
		if r < len(h) && compareRank(&h[r], &h[best]) < 0 {
			best = r
		}
		if best == i {
			return
		}
		h[i], h[best] = h[best], h[i]
		i = best
	}
}
