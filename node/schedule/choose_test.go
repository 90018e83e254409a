package schedule

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func cands(n int) []Candidate {
	out := make([]Candidate, n)
	for i := range out {
		out[i] = Candidate{Lease: uint64(100 + i), Sharer: "sharer" + string(rune('a'+i)), Endpoint: "http://node" + string(rune('a'+i))}
	}
	return out
}

// TestOrderSameEverywhere: every node computes the same order from the same
// leases, whatever order the chain listed them in; the input is untouched.
func TestOrderSameEverywhere(t *testing.T) {
	tick := time.Date(2026, 12, 7, 20, 0, 0, 0, time.UTC)
	base := cands(5)
	want := Order("svc", 0, tick, base)
	rng := rand.New(rand.NewPCG(1, 2))
	for range 100 {
		shuffled := slices.Clone(base)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		before := slices.Clone(shuffled)
		got := Order("svc", 0, tick.In(time.FixedZone("elsewhere", -7*3600)), shuffled)
		if !slices.Equal(got, want) {
			t.Fatalf("order differs for input %v: %v, want %v", shuffled, got, want)
		}
		if !slices.Equal(shuffled, before) {
			t.Fatal("Order changed its input")
		}
	}
	// Exactly one first, each candidate once.
	if len(want) != 5 {
		t.Fatal(want)
	}
	seen := map[uint64]bool{}
	for _, c := range want {
		if seen[c.Lease] {
			t.Fatalf("lease %d ranked twice", c.Lease)
		}
		seen[c.Lease] = true
	}
}

// TestOrderSpreads: the chosen replica changes from tick to tick and
// between schedules and services, so no replica carries every tick.
func TestOrderSpreads(t *testing.T) {
	tick := time.Date(2026, 12, 7, 20, 0, 0, 0, time.UTC)
	cs := cands(3)
	first := map[uint64]int{}
	for i := range 300 {
		first[Order("svc", 0, tick.Add(time.Duration(i)*time.Minute), cs)[0].Lease]++
	}
	for _, c := range cs {
		if first[c.Lease] < 60 {
			t.Errorf("lease %d chosen %d times of 300", c.Lease, first[c.Lease])
		}
	}
	same := 0
	for i := range 100 {
		at := tick.Add(time.Duration(i) * time.Minute)
		if Order("svc", 0, at, cs)[0] == Order("svc", 1, at, cs)[0] {
			same++
		}
	}
	if same > 60 {
		t.Errorf("schedules 0 and 1 chose the same replica %d times of 100", same)
	}
}

func TestWindows(t *testing.T) {
	tick := time.Date(2026, 12, 7, 20, 0, 0, 0, time.UTC)
	for k := range MaxRank + 1 {
		from, until := Window(tick, k)
		if !from.Equal(tick.Add(time.Duration(k)*FallbackDelay)) || until.Sub(from) != FallbackDelay {
			t.Errorf("rank %d: %s–%s", k, from, until)
		}
	}
	// The last fallback ends before the next tick of the fastest schedule.
	if _, until := Window(tick, MaxRank); until.Sub(tick) > time.Minute {
		t.Errorf("the last window ends %s after the tick, past the next one", until.Sub(tick))
	}
}

var discard = slogDiscard()
