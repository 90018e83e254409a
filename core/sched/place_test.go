package sched

import (
	"fmt"
	"slices"
	"testing"
)

func TestSpreadNode(t *testing.T) {
	all := addrs(5)
	cands := make([]Sharer, len(all))
	for i, a := range all {
		cands[i] = testSharer(a)
	}
	ranked := byWeight("hello", all)

	t.Run("distinct sharers in weight order", func(t *testing.T) {
		res := mustPlace(t, testRequest(func(r *Request) { r.Replicas = 3 }), cands, DefaultParams())
		if got, want := chosenAddrs(res), ranked[:3]; !slices.Equal(got, want) {
			t.Errorf("chose %v, want %v", got, want)
		}
		if want := "5 sharers: 3 chosen, 2 not needed"; res.Explain() != want {
			t.Errorf("Explain() = %q, want %q", res.Explain(), want)
		}
	})
	t.Run("current replicas count and are not chosen again", func(t *testing.T) {
		req := testRequest(func(r *Request) {
			r.Replicas = 3
			r.Current = []Replica{{Sharer: ranked[0]}}
		})
		res := mustPlace(t, req, cands, DefaultParams())
		if got, want := chosenAddrs(res), ranked[1:3]; !slices.Equal(got, want) {
			t.Errorf("chose %v, want %v", got, want)
		}
		if want := "5 sharers: 2 chosen, 2 not needed, 1 already placed"; res.Explain() != want {
			t.Errorf("Explain() = %q, want %q", res.Explain(), want)
		}
	})
	t.Run("more replicas than sharers", func(t *testing.T) {
		res := mustPlace(t, testRequest(func(r *Request) { r.Replicas = 7 }), cands, DefaultParams())
		if len(res.Chosen) != 5 || res.Unplaced != 2 {
			t.Errorf("chose %d with %d unplaced, want 5 and 2", len(res.Chosen), res.Unplaced)
		}
	})
	t.Run("already satisfied", func(t *testing.T) {
		req := testRequest(func(r *Request) {
			r.Replicas = 1
			r.Current = []Replica{{Sharer: "q1elsewhere"}, {Sharer: "q1other"}}
		})
		res := mustPlace(t, req, cands, DefaultParams())
		if len(res.Chosen) != 0 || res.Unplaced != 0 {
			t.Errorf("chose %v with %d unplaced, want nothing", chosenAddrs(res), res.Unplaced)
		}
		if want := "5 sharers: 5 not needed"; res.Explain() != want {
			t.Errorf("Explain() = %q, want %q", res.Explain(), want)
		}
	})
}

func TestSpreadByAttribute(t *testing.T) {
	regions := map[string]string{
		"q1e1": "eu", "q1e2": "eu", "q1e3": "eu",
		"q1u1": "us", "q1u2": "us",
		"q1a1": "asia",
	}
	var cands []Sharer
	for _, a := range []string{"q1a1", "q1e1", "q1e2", "q1e3", "q1u1", "q1u2"} {
		cands = append(cands, testSharer(a, withRegion(regions[a])))
	}
	regionOf := func(res Result) []string {
		var out []string
		for _, c := range res.Chosen {
			out = append(out, regions[c.Sharer])
		}
		return out
	}
	spread := func(n int) func(*Request) {
		return func(r *Request) { r.Spread = "region"; r.Replicas = n }
	}

	t.Run("one replica per region, best of each", func(t *testing.T) {
		res := mustPlace(t, testRequest(spread(3)), cands, DefaultParams())
		got := regionOf(res)
		if slices.Sort(got); !slices.Equal(got, []string{"asia", "eu", "us"}) {
			t.Fatalf("regions %v, want one each of asia, eu, us", got)
		}
		bestEU := byWeight("hello", []string{"q1e1", "q1e2", "q1e3"})[0]
		if !slices.Contains(chosenAddrs(res), bestEU) {
			t.Errorf("chose %v, want the highest-weight eu sharer %s", chosenAddrs(res), bestEU)
		}
	})
	t.Run("more replicas than regions", func(t *testing.T) {
		res := mustPlace(t, testRequest(spread(4)), cands, DefaultParams())
		if len(res.Chosen) != 3 || res.Unplaced != 1 {
			t.Fatalf("chose %v with %d unplaced, want 3 and 1", chosenAddrs(res), res.Unplaced)
		}
		if want := "6 sharers: 3 chosen, 3 conflicted with spread"; res.Explain() != want {
			t.Errorf("Explain() = %q, want %q", res.Explain(), want)
		}
	})
	t.Run("current replica holds its region", func(t *testing.T) {
		req := testRequest(spread(2), func(r *Request) {
			r.Current = []Replica{{Sharer: "q1gone", Attributes: []Attribute{{"region", "eu"}}}}
		})
		res := mustPlace(t, req, cands, DefaultParams())
		if got := regionOf(res); len(got) != 1 || got[0] == "eu" {
			t.Errorf("regions %v, want one sharer outside eu", got)
		}
		if want := "6 sharers: 1 chosen, 3 conflicted with spread, 2 not needed"; res.Explain() != want {
			t.Errorf("Explain() = %q, want %q", res.Explain(), want)
		}
	})
	t.Run("sharer without the attribute is excluded", func(t *testing.T) {
		bare := testSharer("q1bare", func(s *Sharer) { s.Attributes = nil })
		res := mustPlace(t, testRequest(spread(1)), []Sharer{bare}, DefaultParams())
		if len(res.Chosen) != 0 || res.Excluded(ReasonAttributes) != 1 {
			t.Errorf("Explain() = %q, want q1bare excluded for a missing attribute", res.Explain())
		}
	})
}

// bandRequest reserves only 100 MiB of memory, so a sharer's cost is 100 ×
// its memory price.
func bandRequest(replicas int) Request {
	return testRequest(func(r *Request) {
		r.Resources = Resources{MemoryBytes: 100 * mi}
		r.Replicas = replicas
		r.MaxPrices = NoPriceCaps()
	})
}

func TestPriceBand(t *testing.T) {
	cands := []Sharer{
		testSharer("q1a", withMemoryPrice(10)), // cost 1000, the cheapest
		testSharer("q1b", withMemoryPrice(10)),
		testSharer("q1c", withMemoryPrice(12)), // 1200: exactly +20%, in the band
		testSharer("q1d", withMemoryPrice(13)), // 1300: outside
		testSharer("q1e", withMemoryPrice(20)),
		testSharer("q1f", withMemoryPrice(13)),
	}
	band := byWeight("hello", []string{"q1a", "q1b", "q1c"})
	tied := byWeight("hello", []string{"q1d", "q1f"})

	tests := []struct {
		name     string
		replicas int
		params   Params
		want     []string
		explain  string
	}{
		{"band only", 3, DefaultParams(), band,
			"6 sharers: 3 chosen, 3 outside price band"},
		{"fewer than the band", 1, DefaultParams(), band[:1],
			"6 sharers: 1 chosen, 3 outside price band, 2 not needed"},
		{"widen cheapest first, equal costs by weight", 5, DefaultParams(), append(slices.Clone(band), tied...),
			"6 sharers: 5 chosen, 1 outside price band"},
		{"widen to everything", 6, DefaultParams(), append(append(slices.Clone(band), tied...), "q1e"),
			"6 sharers: 6 chosen"},
		{"zero band is the cheapest cost only", 2, Params{BandPermille: 0},
			byWeight("hello", []string{"q1a", "q1b"}), "6 sharers: 2 chosen, 4 outside price band"},
		{"wide band ranks everything by weight", 6, Params{BandPermille: 1000},
			byWeight("hello", addrsOf(cands)), "6 sharers: 6 chosen"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := mustPlace(t, bandRequest(tt.replicas), cands, tt.params)
			if got := chosenAddrs(res); !slices.Equal(got, tt.want) {
				t.Errorf("chose %v, want %v", got, tt.want)
			}
			if res.Explain() != tt.explain {
				t.Errorf("Explain() = %q, want %q", res.Explain(), tt.explain)
			}
		})
	}

	t.Run("choices report band and cost", func(t *testing.T) {
		res := mustPlace(t, bandRequest(4), cands, DefaultParams())
		for i, c := range res.Chosen {
			if wantIn := i < 3; c.InBand != wantIn {
				t.Errorf("choice %d (%s) InBand = %t, want %t", i, c.Sharer, c.InBand, wantIn)
			}
		}
		if got := res.Chosen[3].HourlyCost.String(); got != "1300.000000000000000000" {
			t.Errorf("HourlyCost of %s = %s, want 1300", res.Chosen[3].Sharer, got)
		}
	})
}

func addrsOf(cands []Sharer) []string {
	out := make([]string, len(cands))
	for i, s := range cands {
		out[i] = s.Address
	}
	return out
}

func TestBandWidensPastSpreadConflicts(t *testing.T) {
	// The band is all in eu; a second region can only come from outside it.
	cands := []Sharer{
		testSharer("q1eu1", withMemoryPrice(10)),
		testSharer("q1eu2", withMemoryPrice(10)),
		testSharer("q1us1", withMemoryPrice(50), withRegion("us")),
	}
	req := bandRequest(2)
	req.Spread = "region"
	res := mustPlace(t, req, cands, DefaultParams())
	got := chosenAddrs(res)
	if len(got) != 2 || got[1] != "q1us1" {
		t.Fatalf("chose %v, want an eu sharer then q1us1", got)
	}
	if want := "3 sharers: 2 chosen, 1 conflicted with spread"; res.Explain() != want {
		t.Errorf("Explain() = %q, want %q", res.Explain(), want)
	}
}

func TestPreferredSharers(t *testing.T) {
	cands := []Sharer{
		testSharer("q1a", withMemoryPrice(10)),
		testSharer("q1b", withMemoryPrice(10)),
		testSharer("q1dear", withMemoryPrice(30)),
		testSharer("q1down", func(s *Sharer) { s.Online = false }),
	}
	t.Run("taken first even outside the band", func(t *testing.T) {
		req := bandRequest(2)
		req.Preferred = []string{"q1dear", "q1dear"}
		res := mustPlace(t, req, cands, DefaultParams())
		got := chosenAddrs(res)
		if len(got) != 2 || got[0] != "q1dear" {
			t.Fatalf("chose %v, want q1dear first", got)
		}
		if !res.Chosen[0].Preferred || res.Chosen[0].InBand || res.Chosen[1].Preferred {
			t.Errorf("choices %+v: want only the first preferred and outside the band", res.Chosen)
		}
	})
	t.Run("only when they qualify", func(t *testing.T) {
		req := bandRequest(1)
		req.Preferred = []string{"q1down", "q1unknown"}
		res := mustPlace(t, req, cands, DefaultParams())
		if got := chosenAddrs(res); len(got) != 1 || got[0] == "q1down" {
			t.Errorf("chose %v, want a band sharer instead of the offline preferred one", got)
		}
	})
	t.Run("unneeded preferred sharer is not needed", func(t *testing.T) {
		req := bandRequest(1)
		req.Preferred = []string{"q1a", "q1dear"}
		res := mustPlace(t, req, cands, DefaultParams())
		if got := chosenAddrs(res); len(got) != 1 || got[0] != "q1a" {
			t.Errorf("chose %v, want q1a (preferred and in the band)", got)
		}
		if want := "4 sharers: 1 chosen, 2 not needed, 1 offline"; res.Explain() != want {
			t.Errorf("Explain() = %q, want %q", res.Explain(), want)
		}
	})
}

func TestCompareRankTies(t *testing.T) {
	same := [32]byte{1, 2, 3}
	a := entry{addr: "q1a", inBand: true, weight: same}
	b := entry{addr: "q1b", inBand: true, weight: same}
	if compareRank(&a, &b) >= 0 || compareRank(&b, &a) <= 0 {
		t.Errorf("equal weights: want the lower address first")
	}
	if compareRank(&a, &a) != 0 {
		t.Errorf("an entry must compare equal to itself")
	}
	// Outside the band cost decides before weight; inside it, cost is ignored.
	cheap := entry{addr: "q1z", cost: u256{1}, weight: [32]byte{0}}
	dear := entry{addr: "q1y", cost: u256{2}, weight: [32]byte{0xff}}
	if compareRank(&cheap, &dear) >= 0 {
		t.Errorf("outside the band: want the cheaper first")
	}
	cheap.inBand, dear.inBand = true, true
	if compareRank(&dear, &cheap) >= 0 {
		t.Errorf("inside the band: want the higher weight first whatever the cost")
	}
}

func TestRendezvousStability(t *testing.T) {
	all := addrs(20)
	cands := make([]Sharer, len(all))
	for i, a := range all {
		cands[i] = testSharer(a)
	}
	for svc := range 50 {
		req := testRequest(func(r *Request) { r.Service = fmt.Sprintf("svc-%d", svc); r.Replicas = 2 })
		base := chosenAddrs(mustPlace(t, req, cands, DefaultParams()))

		// Removing a sharer that was not chosen changes nothing.
		fewer := slices.DeleteFunc(slices.Clone(cands), func(s Sharer) bool {
			return s.Address == firstNotIn(all, base)
		})
		if got := chosenAddrs(mustPlace(t, req, fewer, DefaultParams())); !slices.Equal(got, base) {
			t.Errorf("%s: removing an unchosen sharer moved placement from %v to %v", req.Service, base, got)
		}

		// Adding a sharer displaces at most one choice: the newcomer's.
		more := append(slices.Clone(cands), testSharer("q1new"))
		got := chosenAddrs(mustPlace(t, req, more, DefaultParams()))
		kept := 0
		for _, a := range got {
			if slices.Contains(base, a) {
				kept++
			}
		}
		if kept < len(base)-1 || (kept == len(base)-1 && !slices.Contains(got, "q1new")) {
			t.Errorf("%s: adding q1new moved placement from %v to %v", req.Service, base, got)
		}
	}
}

func firstNotIn(all, chosen []string) string {
	for _, a := range all {
		if !slices.Contains(chosen, a) {
			return a
		}
	}
	return ""
}

func TestServicesSpreadOverEqualSharers(t *testing.T) {
	all := addrs(10)
	cands := make([]Sharer, len(all))
	for i, a := range all {
		cands[i] = testSharer(a)
	}
	load := make([]int, len(all))
	for svc := range 200 {
		req := testRequest(func(r *Request) { r.Service = fmt.Sprintf("svc-%d", svc) })
		res := mustPlace(t, req, cands, DefaultParams())
		load[slices.Index(all, res.Chosen[0].Sharer)]++
	}
	for i, n := range load {
		if n == 0 {
			t.Errorf("sharer %s got no service of 200 (loads %v): ranking does not spread", all[i], load)
		}
	}
}
