package gateway

import (
	"testing"
	"time"
)

func TestBalancerPick(t *testing.T) {
	reps := []Replica{{Sharer: "q1b"}, {Sharer: "q1c"}, {Sharer: "q1self"}, {Sharer: "q1d"}}
	for _, tc := range []struct {
		name    string
		prepare func(b *balancer, clock *fakeClock)
		tried   map[int]bool
		draws   []int // what intn returns, in order
		want    int
		ok      bool
	}{
		{name: "the local replica when healthy", want: 2, ok: true},
		{name: "of two random remote ones, the less loaded",
			prepare: func(b *balancer, _ *fakeClock) {
				b.done("q1b", true, 80*time.Millisecond)
				b.done("q1c", true, 10*time.Millisecond)
			},
			tried: map[int]bool{2: true}, draws: []int{0, 0}, want: 1, ok: true},
		{name: "in-flight requests count against a fast node",
			prepare: func(b *balancer, _ *fakeClock) {
				b.done("q1b", true, 20*time.Millisecond)
				b.done("q1c", true, 10*time.Millisecond)
				for range 3 {
					b.pick([]Replica{{Sharer: "q1c"}}, "q1self", nil)
				}
			},
			tried: map[int]bool{2: true}, draws: []int{0, 0}, want: 0, ok: true},
		{name: "the second draw skips the first",
			tried: map[int]bool{2: true}, draws: []int{1, 1}, want: 1, ok: true},
		{name: "an unhealthy local replica is passed over",
			prepare: func(b *balancer, _ *fakeClock) { b.done("q1self", false, 0) },
			tried:   map[int]bool{0: true, 1: true}, draws: []int{0}, want: 3, ok: true},
		{name: "when every replica backs off, the one whose wait ends first",
			prepare: func(b *balancer, clock *fakeClock) {
				b.done("q1b", false, 0)
				b.done("q1b", false, 0) // 2 s
				b.done("q1c", false, 0) // 1 s
				b.done("q1self", false, 0)
				b.done("q1self", false, 0)
				b.done("q1d", false, 0)
				b.done("q1d", false, 0)
			},
			want: 1, ok: true},
		{name: "none left", tried: map[int]bool{0: true, 1: true, 2: true, 3: true}, ok: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := &fakeClock{now: t0}
			b := newBalancer(clock.Now, time.Second, time.Minute)
			draws := tc.draws
			b.intn = func(n int) int {
				if len(draws) == 0 {
					t.Fatalf("unexpected random draw")
				}
				d := draws[0]
				draws = draws[1:]
				return d % n
			}
			if tc.prepare != nil {
				tc.prepare(b, clock)
			}
			got, ok := b.pick(reps, "q1self", tc.tried)
			if ok != tc.ok || (ok && got != tc.want) {
				t.Errorf("pick = %d, %v; want %d, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestBackoffDoublesUpToMax(t *testing.T) {
	clock := &fakeClock{now: t0}
	b := newBalancer(clock.Now, time.Second, 5*time.Second)
	for i, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second} {
		b.pick([]Replica{{Sharer: "q1x"}}, "q1self", nil)
		b.done("q1x", false, 0)
		if h := b.health("q1x"); h.fails != i+1 || !h.until.Equal(t0.Add(want)) || h.inflight != 0 {
			t.Errorf("after failure %d: %+v; want avoided for %s", i+1, h, want)
		}
	}
	b.done("q1x", true, time.Millisecond)
	if h := b.health("q1x"); h.fails != 0 || !h.until.IsZero() {
		t.Errorf("after a success: %+v; want healthy", h)
	}
}
