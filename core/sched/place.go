package sched

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// chosen marks a candidate Place took; it is never counted as an exclusion.
const chosen = Reason(255)

// Place chooses sharers for the replicas req still needs (Replicas minus
// len(Current)) among candidates, as described in the package doc. It is a
// pure function: the same request, parameters and set of candidates give the
// same Result in whatever order the candidates come. Candidates are not
// modified. It fails only on a malformed Request (ErrInvalidRequest); a
// malformed candidate is excluded with ReasonInvalid instead, so one bad offer
// never stops placement.
func Place(req Request, candidates []Sharer, p Params) (Result, error) {
	pr, err := prepare(&req)
	if err != nil {
		return Result{}, err
	}
	pl := placement{
		prepared:   pr,
		candidates: candidates,
		reasons:    make([]Reason, len(candidates)),
		used:       slices.Clone(pr.used),
		need:       max(0, req.Replicas-len(req.Current)),
		res:        Result{Candidates: len(candidates)},
	}
	markRepeated(candidates, pl.reasons)
	entries, split := pl.qualify(p.BandPermille)
	w := newWeigher(req.Service)
	pl.take(entries[:split], &w)
	pl.take(entries[split:], &w)
	return pl.finish(entries), nil
}

// placement is the working state of one Place call.
type placement struct {
	prepared
	candidates []Sharer
	reasons    []Reason // per candidate: why excluded, or chosen
	used       []string // spread values taken so far
	need       int      // replicas still to place
	res        Result
}

// qualify checks every candidate not already excluded and returns the
// qualifying ones with their costs, the preferred and in-band ones first:
// entries[:split] all rank before entries[split:].
func (pl *placement) qualify(bandPermille uint32) (entries []entry, split int) {
	entries = make([]entry, 0, len(pl.candidates))
	var cheapest u256
	for i := range pl.candidates {
		s := &pl.candidates[i]
		if pl.reasons[i] == ReasonNone {
			pl.reasons[i] = pl.check(s)
		}
		if pl.reasons[i] != ReasonNone {
			continue
		}
		c := scaledCost(pl.req.Resources, s.Prices)
		if len(entries) == 0 || c.cmp(cheapest) < 0 {
			cheapest = c
		}
		entries = append(entries, entry{idx: i, addr: s.Address, cost: c})
	}
	limit := bandLimit(cheapest, bandPermille)
	for k := range entries {
		e := &entries[k]
		e.preferred = contains(pl.preferred, e.addr)
		e.inBand = inBand(e.cost, limit)
		if e.preferred || e.inBand {
			entries[split], entries[k] = entries[k], entries[split]
			split++
		}
	}
	return entries, split
}

// take weighs es and takes them in rank order, honouring spread, until no
// replica is needed or es runs out. Sharers are weighed only when some
// replica is still needed.
//
// The rank order is walked in consecutive batches: topK picks the best
// batch-size entries ranking after the last one walked, so placing a few
// replicas among n sharers costs O(n log need) and sorts nothing else. A
// batch is as large as the replicas still needed; when spread refused some
// of it, the next batch is twice as large, so even a long run of refusals
// costs O(n log n) at worst. Each entry's fate depends only on the entries
// walked before it, and the batches list exactly the full order's entries in
// that order, so the outcome is the one a full sort would give.
func (pl *placement) take(es []entry, w *weigher) {
	if pl.need == 0 || len(es) == 0 {
		return
	}
	for k := range es {
		es[k].weight = w.weight(es[k].addr)
	}
	var (
		after *entry
		batch []int
		size  = 0
	)
	for pl.need > 0 {
		size = max(pl.need, 2*size)
		batch = topK(es, min(size, len(es)), after, batch)
		if len(batch) == 0 {
			return
		}
		for _, i := range batch {
			if pl.need == 0 {
				return
			}
			pl.consider(&es[i])
		}
		after = &es[batch[len(batch)-1]]
	}
}

// consider takes entry e's sharer unless spread refuses it.
func (pl *placement) consider(e *entry) {
	s := &pl.candidates[e.idx]
	if pl.spreadTaken(s.Attributes, pl.used) {
		pl.reasons[e.idx] = ReasonSpread
		return
	}
	if pl.spreadKey != "" {
		v, _ := attribute(s.Attributes, pl.spreadKey)
		pl.used = append(pl.used, v)
	}
	pl.reasons[e.idx] = chosen
	pl.need--
	pl.res.Chosen = append(pl.res.Chosen, Choice{
		Sharer:     s.Address,
		Prices:     s.Prices,
		HourlyCost: scaledToDec(e.cost),
		Preferred:  e.preferred,
		InBand:     e.inBand,
	})
}

// finish gives the qualifying sharers left untaken their reason and counts
// every exclusion.
func (pl *placement) finish(entries []entry) Result {
	for _, e := range entries {
		if pl.reasons[e.idx] != ReasonNone {
			continue
		}
		if e.preferred || e.inBand {
			pl.reasons[e.idx] = ReasonNotNeeded
		} else {
			pl.reasons[e.idx] = ReasonOutsideBand
		}
	}
	for _, r := range pl.reasons {
		if r != chosen {
			pl.res.excluded[r]++
		}
	}
	pl.res.Unplaced = pl.need
	return pl.res
}

// markRepeated marks every candidate whose address appears more than once as
// ReasonInvalid: with two offers under one address, input order would
// otherwise decide which is used. Candidates already in strictly ascending
// address order cannot repeat one. Otherwise a sort of compact per-address
// keys finds the few candidates whose keys clash, and only those are
// compared by address.
func markRepeated(candidates []Sharer, reasons []Reason) {
	ascending := true
	for i := 1; i < len(candidates) && ascending; i++ {
		ascending = candidates[i-1].Address < candidates[i].Address
	}
	if ascending {
		return
	}
	keys := make([]uint64, len(candidates))
	for i := range candidates {
		keys[i] = addressKey(candidates[i].Address)
	}
	radixSort(keys)
	var clashes []uint64 // sorted, each once
	for k := 1; k < len(keys); k++ {
		if keys[k] == keys[k-1] && (len(clashes) == 0 || clashes[len(clashes)-1] != keys[k]) {
			clashes = append(clashes, keys[k])
		}
	}
	if len(clashes) == 0 {
		return
	}
	var suspects []int
	for i := range candidates {
		if _, ok := slices.BinarySearch(clashes, addressKey(candidates[i].Address)); ok {
			suspects = append(suspects, i)
		}
	}
	slices.SortFunc(suspects, func(a, b int) int {
		if c := strings.Compare(candidates[a].Address, candidates[b].Address); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	for k := 1; k < len(suspects); k++ {
		a, b := suspects[k-1], suspects[k]
		if candidates[a].Address == candidates[b].Address {
			reasons[a], reasons[b] = ReasonInvalid, ReasonInvalid
		}
	}
}

// radixSort sorts keys in ascending order: eight stable counting passes, one
// per byte, least significant first. It is linear in len(keys) for every
// input (a comparison sort of 10,000 keys costs several times more), and a
// pass is skipped when every key has the same byte there.
func radixSort(keys []uint64) {
	if len(keys) < 64 {
		slices.Sort(keys)
		return
	}
	buf := make([]uint64, len(keys))
	src, dst := keys, buf
	for shift := uint(0); shift < 64; shift += 8 {
		var count [257]int
		for _, k := range src {
			count[int(byte(k>>shift))+1]++
		}
		if count[int(byte(src[0]>>shift))+1] == len(src) {
			continue
		}
		for b := 1; b < len(count); b++ {
			count[b] += count[b-1]
		}
		for _, k := range src {
			d := byte(k >> shift)
			dst[count[d]] = k
			count[d]++
		}
		src, dst = dst, src
	}
	if &src[0] != &keys[0] {
		copy(keys, src)
	}
}

// addressKey packs the last 8 bytes of addr into an integer. Equal addresses
// get equal keys; the tail of a bech32 address is mostly its checksum, so
// different addresses rarely do (and when they do, they are compared in full).
func addressKey(addr string) uint64 {
	var k uint64
	for i := max(0, len(addr)-8); i < len(addr); i++ {
		k = k<<8 | uint64(addr[i])
	}
	return k
}

// Replace places again the replicas lost with the sharers in lost: it is Place
// with the surviving replicas as Current, so they keep counting toward
// Replicas and Spread. A lost sharer that is still a qualifying candidate may
// be chosen again; a sharer that went offline is not.
func Replace(req Request, lost []string, candidates []Sharer, p Params) (Result, error) {
	survivors := make([]Replica, 0, len(req.Current))
	for _, r := range req.Current {
		if !slices.Contains(lost, r.Sharer) {
			survivors = append(survivors, r)
		}
	}
	for _, l := range lost {
		if !slices.ContainsFunc(req.Current, func(r Replica) bool { return r.Sharer == l }) {
			return Result{}, fmt.Errorf("sched: %w for service %q: lost sharer %s holds no current replica: pass only sharers listed in Request.Current", ErrInvalidRequest, req.Service, l)
		}
	}
	req.Current = survivors
	return Place(req, candidates, p)
}
