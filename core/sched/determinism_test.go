package sched

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"

	sdkmath "cosmossdk.io/math"
)

// scenario is a random placement problem.
type scenario struct {
	req    Request
	cands  []Sharer
	params Params
}

// randomScenario builds a placement problem where every exclusion reason,
// the band, widening and spread conflicts all occur now and then.
func randomScenario(rng *rand.Rand, n int) scenario {
	regions := []string{"eu", "us", "asia"}
	req := testRequest(func(r *Request) {
		r.Service = fmt.Sprintf("svc-%d", rng.IntN(1000))
		r.Replicas = rng.IntN(7)
		r.Resources = Resources{
			MilliCPU:     uint64(rng.IntN(4)) * 250,
			MemoryBytes:  uint64(1+rng.IntN(4)) * 32 * mi,
			StorageBytes: uint64(rng.IntN(3)) * 100 * mi,
		}
		if rng.IntN(2) == 0 {
			r.Spread = "region"
		}
		if rng.IntN(4) == 0 {
			r.RequireAttributes = []Attribute{{"tier", "gold"}}
		}
	})
	cands := make([]Sharer, n)
	for i := range cands {
		cands[i] = testSharer(fmt.Sprintf("q1s%04d", i), func(s *Sharer) {
			s.Online = rng.IntN(10) != 0
			s.Free = Resources{
				MilliCPU:     uint64(rng.IntN(4000)),
				MemoryBytes:  uint64(rng.IntN(200)) * mi,
				StorageBytes: uint64(rng.IntN(1000)) * mi,
			}
			s.Attributes = nil
			if rng.IntN(8) != 0 {
				s.Attributes = append(s.Attributes, Attribute{"region", regions[rng.IntN(len(regions))]})
			}
			if rng.IntN(2) == 0 {
				s.Attributes = append(s.Attributes, Attribute{"tier", "gold"})
			}
			s.Collateral = sdkmath.NewInt(int64(rng.IntN(3)) * 800_000_000)
			s.Prices = Prices{
				CPUPerCoreSecond:  uint64(400 + rng.IntN(700)),
				MemoryPerMiBHour:  uint64(1 + rng.IntN(5)),
				StoragePerGiBHour: uint64(40 + rng.IntN(70)),
				Per1kRequests:     uint64(5 + rng.IntN(20)),
				EgressPerGiB:      uint64(4000 + rng.IntN(7000)),
			}
			if rng.IntN(20) == 0 {
				s.Deny.Owners = []string{"q1owner"}
			}
		})
	}
	// A few repeated addresses, current replicas and preferred sharers.
	if n > 2 && rng.IntN(5) == 0 {
		cands[n-1].Address = cands[rng.IntN(n-1)].Address
	}
	for range rng.IntN(3) {
		if n == 0 {
			break
		}
		s := cands[rng.IntN(n)]
		if !slices.ContainsFunc(req.Current, func(r Replica) bool { return r.Sharer == s.Address }) {
			req.Current = append(req.Current, Replica{Sharer: s.Address, Attributes: s.Attributes, Prices: s.Prices})
		}
	}
	for range rng.IntN(3) {
		if n > 0 {
			req.Preferred = append(req.Preferred, cands[rng.IntN(n)].Address)
		}
	}
	return scenario{req: req, cands: cands, params: Params{BandPermille: uint32(rng.IntN(400))}}
}

func TestPlaceIgnoresCandidateOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 20 {
		sc := randomScenario(rng, 10+rng.IntN(200))
		want := render(mustPlace(t, sc.req, sc.cands, sc.params))
		shuffles := 50
		if i == 0 {
			shuffles = 1000
		}
		for range shuffles {
			cands := slices.Clone(sc.cands)
			rng.Shuffle(len(cands), func(a, b int) { cands[a], cands[b] = cands[b], cands[a] })
			if got := render(mustPlace(t, sc.req, cands, sc.params)); got != want {
				t.Fatalf("scenario %d: a shuffle changed the result\n got: %s\nwant: %s", i, got, want)
			}
		}
	}
}

func TestPlaceProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 500 {
		sc := randomScenario(rng, rng.IntN(80))
		res := mustPlace(t, sc.req, sc.cands, sc.params)
		name := fmt.Sprintf("scenario %d (%s)", i, res.Explain())

		need := max(0, sc.req.Replicas-len(sc.req.Current))
		if len(res.Chosen) > need || len(res.Chosen)+res.Unplaced != need {
			t.Fatalf("%s: chose %d with %d unplaced, want %d in all", name, len(res.Chosen), res.Unplaced, need)
		}
		total := len(res.Chosen)
		for _, rc := range res.Exclusions() {
			total += rc.Count
		}
		if total != len(sc.cands) || res.Candidates != len(sc.cands) {
			t.Fatalf("%s: counts add up to %d of %d candidates", name, total, len(sc.cands))
		}
		if res.Unplaced > 0 && res.Excluded(ReasonNotNeeded)+res.Excluded(ReasonOutsideBand) > 0 {
			t.Fatalf("%s: replicas unplaced while qualifying sharers were left", name)
		}

		seen := map[string]bool{}
		values := map[string]bool{}
		for _, r := range sc.req.Current {
			seen[r.Sharer] = true
			if v, ok := attribute(r.Attributes, "region"); ok {
				values[v] = true
			}
		}
		for _, c := range res.Chosen {
			if seen[c.Sharer] {
				t.Fatalf("%s: %s chosen twice or already placed", name, c.Sharer)
			}
			seen[c.Sharer] = true
			var s Sharer
			for _, cand := range sc.cands {
				if cand.Address == c.Sharer {
					s = cand
				}
			}
			if r, err := Check(sc.req, s); err != nil || r != ReasonNone {
				t.Fatalf("%s: chose %s which fails Check: %v %v", name, c.Sharer, r, err)
			}
			if s.Free.MemoryBytes < sc.req.Resources.MemoryBytes || s.Free.MilliCPU < sc.req.Resources.MilliCPU ||
				s.Free.StorageBytes < sc.req.Resources.StorageBytes {
				t.Fatalf("%s: chose %s without capacity", name, c.Sharer)
			}
			if c.Prices != s.Prices {
				t.Fatalf("%s: %s locks %+v, want its prices %+v", name, c.Sharer, c.Prices, s.Prices)
			}
			if sc.req.Spread == "region" {
				v, _ := attribute(s.Attributes, "region")
				if values[v] {
					t.Fatalf("%s: region %q used twice", name, v)
				}
				values[v] = true
			}
		}
		if got, want := chosenAddrs(res), referencePlace(sc); !slices.Equal(got, want) {
			t.Fatalf("%s: chose %v, reference chose %v", name, got, want)
		}
	}
}

// referencePlace is a plain restatement of the algorithm: exact rational
// costs, a full stable sort, a greedy walk. Place must agree with it.
func referencePlace(sc scenario) []string {
	req := sc.req
	count := map[string]int{}
	for _, s := range sc.cands {
		count[s.Address]++
	}
	type ref struct {
		s            Sharer
		cost         *big.Rat
		pref, inBand bool
		weight       string
	}
	var qual []ref
	for _, s := range sc.cands {
		if r, _ := Check(req, s); r != ReasonNone || count[s.Address] > 1 {
			continue
		}
		q := ref{s: s, pref: slices.Contains(req.Preferred, s.Address), weight: weightHex(req.Service, s.Address)}
		q.cost = new(big.Rat).SetFrac64(0, 1)
		add := func(amount, price uint64, num, den int64) {
			x := new(big.Rat).SetInt(new(big.Int).Mul(new(big.Int).SetUint64(amount), new(big.Int).SetUint64(price)))
			q.cost.Add(q.cost, x.Mul(x, big.NewRat(num, den)))
		}
		add(req.Resources.MemoryBytes, s.Prices.MemoryPerMiBHour, 1, mi)
		add(req.Resources.StorageBytes, s.Prices.StoragePerGiBHour, 1, gi)
		add(req.Resources.MilliCPU, s.Prices.CPUPerCoreSecond, 3600, 1000)
		qual = append(qual, q)
	}
	if len(qual) == 0 {
		return nil
	}
	cheapest := qual[0].cost
	for _, q := range qual {
		if q.cost.Cmp(cheapest) < 0 {
			cheapest = q.cost
		}
	}
	limit := new(big.Rat).Mul(cheapest, big.NewRat(1000+int64(sc.params.BandPermille), 1000))
	for i := range qual {
		qual[i].inBand = qual[i].cost.Cmp(limit) <= 0
	}
	sort.SliceStable(qual, func(i, j int) bool {
		a, b := qual[i], qual[j]
		switch {
		case a.pref != b.pref:
			return a.pref
		case a.inBand != b.inBand:
			return a.inBand
		case !a.inBand && a.cost.Cmp(b.cost) != 0:
			return a.cost.Cmp(b.cost) < 0
		case a.weight != b.weight:
			return a.weight > b.weight
		}
		return a.s.Address < b.s.Address
	})
	used := map[string]bool{}
	for _, r := range req.Current {
		if v, ok := attribute(r.Attributes, "region"); ok {
			used[v] = true
		}
	}
	var out []string
	for _, q := range qual {
		if len(out) >= req.Replicas-len(req.Current) {
			break
		}
		if req.Spread == "region" {
			v, _ := attribute(q.s.Attributes, "region")
			if used[v] {
				continue
			}
			used[v] = true
		}
		out = append(out, q.s.Address)
	}
	return out
}
