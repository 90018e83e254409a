package sched

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	sdkmath "cosmossdk.io/math"
)

// placeFullSort is Place as it was before the top-k walk: every qualifying
// sharer weighed and the whole list sorted by compareRank, then walked in
// order. It is the reference the top-k walk must match exactly.
func placeFullSort(req Request, candidates []Sharer, p Params) (Result, error) {
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
	takeFullSort := func(es []entry) {
		if pl.need == 0 {
			return
		}
		for k := range es {
			es[k].weight = w.weight(es[k].addr)
		}
		slices.SortFunc(es, func(a, b entry) int { return compareRank(&a, &b) })
		for k := range es {
			if pl.need == 0 {
				return
			}
			pl.consider(&es[k])
		}
	}
	takeFullSort(entries[:split])
	takeFullSort(entries[split:])
	return pl.finish(entries), nil
}

// spreadScenario is a placement problem where spread refuses long runs of
// sharers: most sharers share one region, prices are often equal, and
// several replicas are wanted, so the walk needs many batches.
func spreadScenario(rng *rand.Rand, n int) scenario {
	sc := randomScenario(rng, n)
	sc.req.Spread = "region"
	sc.req.Replicas = 1 + rng.IntN(5)
	sc.req.RequireAttributes = nil
	rare := []string{"eu", "us", "asia", "af", "oc"}
	for i := range sc.cands {
		s := &sc.cands[i]
		s.Online = true
		s.Free = Resources{MilliCPU: 4000, MemoryBytes: 1 << 40, StorageBytes: 1 << 40}
		region := "eu"
		if rng.IntN(20) == 0 {
			region = rare[rng.IntN(len(rare))]
		}
		s.Attributes = []Attribute{{"region", region}}
		if rng.IntN(2) == 0 {
			s.Prices = sc.cands[0].Prices
		}
	}
	return sc
}

// TestTopKMatchesFullSort compares Place with placeFullSort on many random
// problems, including shuffled candidates and equal prices: every Result,
// with its reasons and counts, must be identical.
func TestTopKMatchesFullSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 17))
	for i := range 3000 {
		var sc scenario
		switch i % 3 {
		case 0:
			sc = randomScenario(rng, rng.IntN(60))
		case 1:
			sc = randomScenario(rng, rng.IntN(400))
			for k := range sc.cands {
				sc.cands[k].Prices = sc.cands[0].Prices // one band: the equal-price case
			}
		default:
			sc = spreadScenario(rng, 1+rng.IntN(300))
		}
		rng.Shuffle(len(sc.cands), func(a, b int) { sc.cands[a], sc.cands[b] = sc.cands[b], sc.cands[a] })
		want, werr := placeFullSort(sc.req, slices.Clone(sc.cands), sc.params)
		got, gerr := Place(sc.req, sc.cands, sc.params)
		if fmt.Sprint(werr) != fmt.Sprint(gerr) {
			t.Fatalf("scenario %d: error %v, full sort %v", i, gerr, werr)
		}
		if g, w := render(got), render(want); g != w {
			t.Fatalf("scenario %d: top-k and full sort differ\n got: %s\nwant: %s", i, g, w)
		}
	}
}

// TestTopK checks topK against a full sort directly, batch after batch.
func TestTopK(t *testing.T) {
	rng := rand.New(rand.NewPCG(18, 19))
	for i := range 500 {
		n := rng.IntN(100)
		es := make([]entry, n)
		w := newWeigher(fmt.Sprintf("svc-%d", i))
		for k := range es {
			es[k] = entry{idx: k, addr: fmt.Sprintf("q1s%04d", k), preferred: rng.IntN(10) == 0, inBand: rng.IntN(3) != 0}
			es[k].cost = mul64(uint64(rng.IntN(5)), 1)
			es[k].weight = w.weight(es[k].addr)
			if rng.IntN(4) == 0 {
				es[k].weight[0], es[k].weight[1] = 0, 0 // long common prefixes
			}
		}
		sorted := slices.Clone(es)
		slices.SortFunc(sorted, func(a, b entry) int { return compareRank(&a, &b) })
		var after *entry
		pos := 0
		for pos < n {
			k := 1 + rng.IntN(8)
			batch := topK(es, k, after, nil)
			if want := min(k, n-pos); len(batch) != want {
				t.Fatalf("case %d: batch of %d, want %d", i, len(batch), want)
			}
			for _, b := range batch {
				if es[b].addr != sorted[pos].addr {
					t.Fatalf("case %d: position %d is %s, want %s", i, pos, es[b].addr, sorted[pos].addr)
				}
				pos++
			}
			after = &es[batch[len(batch)-1]]
		}
		if batch := topK(es, 3, after, nil); len(batch) != 0 {
			t.Fatalf("case %d: %d entries after the last", i, len(batch))
		}
	}
}

// TestRadixSort compares radixSort with slices.Sort, including keys that
// share most of their bytes.
func TestRadixSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(20, 21))
	for i := range 300 {
		keys := make([]uint64, rng.IntN(2000))
		for k := range keys {
			switch i % 3 {
			case 0:
				keys[k] = rng.Uint64()
			case 1:
				keys[k] = uint64(rng.IntN(50)) << (8 * uint(rng.IntN(8)))
			default:
				keys[k] = addressKey(fmt.Sprintf("q1%038d", rng.IntN(1000)))
			}
		}
		want := slices.Sorted(slices.Values(keys))
		radixSort(keys)
		if !slices.Equal(keys, want) {
			t.Fatalf("case %d: radixSort disagrees with slices.Sort", i)
		}
	}
}

// TestCollateralCoversWords checks the word comparison against the big
// integer one on the edges: nil, zero, negative, equal, and beyond 2^64.
func TestCollateralCoversWords(t *testing.T) {
	huge := sdkmath.NewIntFromUint64(1 << 63).MulRaw(4)
	values := []sdkmath.Int{
		{}, sdkmath.ZeroInt(), sdkmath.NewInt(-5), sdkmath.OneInt(), sdkmath.NewInt(799_999_999),
		sdkmath.NewInt(800_000_000), sdkmath.NewInt(800_000_001), sdkmath.NewIntFromUint64(1<<64 - 1), huge, huge.AddRaw(1),
	}
	for _, min := range values {
		req := testRequest(func(r *Request) { r.MinCollateral = min })
		p, err := prepare(&req)
		if err != nil {
			t.Fatal(err)
		}
		for _, have := range values {
			if got, want := p.collateralCovers(have), collateralCovers(have, min); got != want {
				t.Errorf("have %v, min %v: %t, want %t", have, min, got, want)
			}
		}
	}
}
