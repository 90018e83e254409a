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

// topK returns the indices of the k best entries of es under compareRank
// that rank strictly after after (all of them when after is nil), best first,
// reusing out. It keeps a bounded heap whose root is the worst of the best
// found so far, so it costs O(n log k) comparisons and never orders the
// entries it does not return. compareRank is a total order over the distinct
// addresses es holds, so the result does not depend on the order of es: it
// is exactly the k entries a full sort would list next after after, in that
// order.
func topK(es []entry, k int, after *entry, out []int) []int {
	h := out[:0]
	for i := range es {
		e := &es[i]
		if after != nil && compareRank(e, after) <= 0 {
			continue
		}
		if len(h) < k {
			h = append(h, i)
			worstUp(es, h, len(h)-1)
			continue
		}
		if compareRank(e, &es[h[0]]) < 0 {
			h[0] = i
			worstDown(es, h, 0)
		}
	}
	// Move the worst to the back, one at a time: h ends up best first.
	for n := len(h) - 1; n > 0; n-- {
		h[0], h[n] = h[n], h[0]
		worstDown(es, h[:n], 0)
	}
	return h
}

// worstUp and worstDown keep h a max-heap under compareRank: the worst-ranked
// entry at the root.
func worstUp(es []entry, h []int, i int) {
	for i > 0 {
		parent := (i - 1) / 2
		if compareRank(&es[h[i]], &es[h[parent]]) <= 0 {
			return
		}
		h[i], h[parent] = h[parent], h[i]
		i = parent
	}
}

func worstDown(es []entry, h []int, i int) {
	for {
		worst := i
		l, r := 2*i+1, 2*i+2
		if l < len(h) && compareRank(&es[h[l]], &es[h[worst]]) > 0 {
			worst = l
		}
		if r < len(h) && compareRank(&es[h[r]], &es[h[worst]]) > 0 {
			worst = r
		}
		if worst == i {
			return
		}
		h[i], h[worst] = h[worst], h[i]
		i = worst
	}
}
