package keeper_test

import (
	"context"
	"slices"
	"testing"

	"github.com/quantum1net/q1/x/sharers/types"
)

func TestPlacementEndToEnd(t *testing.T) {
	f := newFixture(t)
	f.mustRegister(offer{}, "s1", "s2", "s3", "s4")
	f.create(spec{name: "hello", replicas: 3})
	if got := f.leases("hello"); len(got) != 0 {
		t.Fatalf("leases before EndBlock: %v", got)
	}
	if !f.placement("hello").Queued {
		t.Fatal("a created service is not queued")
	}
	f.endBlock()

	leases := f.leases("hello")
	if len(leases) != 3 {
		t.Fatalf("placed %d leases, want 3: %s", len(leases), f.placement("hello").State.Explanation)
	}
	seen := map[string]bool{}
	for i, l := range leases {
		if l.Replica != uint32(i) {
			t.Errorf("lease %d is replica %d, want %d", l.Id, l.Replica, i)
		}
		if seen[l.Sharer] {
			t.Errorf("two replicas on sharer %s", l.Sharer)
		}
		seen[l.Sharer] = true
		want := types.Resources{MilliCpu: 500, MemoryBytes: 64 << 20, StorageBytes: 128 << 20}
		if l.Resources != want {
			t.Errorf("lease %d reserves %v, want %v", l.Id, l.Resources, want)
		}
		if l.Prices.MemoryPerMibHour != 2 || l.PlacedHeight != startHeight || l.AckDeadline != startHeight+5 || l.AckedHeight != startHeight+1 ||
			l.MeterVersion != types.DefaultMeterVersion {
			t.Errorf("lease %d: %+v", l.Id, l)
		}
		s := f.sharer(f.name(l.Sharer))
		if s.Used != want || s.Leases != 1 {
			t.Errorf("sharer %s uses %v in %d leases, want %v in 1", l.Sharer, s.Used, s.Leases, want)
		}
	}
	st := f.placement("hello").State
	if st.Wanted != 3 || st.Placed != 3 || st.Explanation != "4 sharers: 3 chosen, 1 not needed" {
		t.Errorf("placement state %+v", st)
	}
	placed := event[*types.EventServicePlaced](f)
	if len(placed) != 1 || len(placed[0].NewLeases) != 3 {
		t.Errorf("EventServicePlaced: %v", placed)
	}
	if n := len(event[*types.EventLeaseCreated](f)); n != 3 {
		t.Errorf("%d EventLeaseCreated, want 3", n)
	}
	f.checkInvariants()
}

func TestUnplacedExplainedAndRetried(t *testing.T) {
	f := newFixture(t)
	f.mustRegister(offer{memMiB: 32}, "small1", "small2")
	f.mustRegister(offer{memPrice: 9}, "pricey")
	f.mustRegister(offer{region: "us"}, "faraway")
	f.mustRegister(offer{}, "ok1")
	f.create(spec{name: "hello", replicas: 3, require: "region: eu"})
	f.endBlock()

	want := "5 sharers: 1 chosen, 2 lacked memory, 1 missing attribute, 1 above max price"
	st := f.placement("hello").State
	if st.Wanted != 3 || st.Placed != 1 || st.Explanation != want {
		t.Fatalf("placement state %+v, want 1 of 3 placed and %q", st, want)
	}
	ev := event[*types.EventServiceUnplaced](f)
	if len(ev) != 1 || ev[0].Explanation != want || ev[0].Placed != 1 || ev[0].Wanted != 3 {
		t.Fatalf("EventServiceUnplaced: %v", ev)
	}
	reasons := map[string]uint32{}
	for _, r := range ev[0].Reasons {
		reasons[r.Reason] = r.Count
	}
	if reasons["lacked_memory"] != 2 || reasons["missing_attribute"] != 1 || reasons["above_max_price"] != 1 {
		t.Errorf("reasons %v", ev[0].Reasons)
	}

	// Nothing changes while no capacity appears: no retry, no event.
	f.blocks(3)
	if n := len(event[*types.EventServiceUnplaced](f)); n != 0 {
		t.Errorf("retried without new capacity: %d events", n)
	}
	// A new sharer is capacity: the next EndBlocker retries.
	f.mustRegister(offer{}, "ok2")
	f.endBlock()
	if got := len(f.leases("hello")); got != 2 {
		t.Fatalf("after a sharer registered, %d replicas placed, want 2", got)
	}
	// A sharer that grows is capacity too.
	noErr(t, f.update("small1", f.offerOf("small1", offer{}), false))
	f.endBlock()
	if got := len(f.leases("hello")); got != 3 {
		t.Fatalf("after a sharer grew, %d replicas placed, want 3: %s", got, f.placement("hello").State.Explanation)
	}
	if ev := event[*types.EventServicePlaced](f); len(ev) != 1 || ev[0].Placed != 3 {
		t.Errorf("EventServicePlaced: %v", ev)
	}
	if has, _ := f.k.Unplaced.Has(f.ctx, "hello"); has {
		t.Error("a fully placed service is still marked under-placed")
	}
	f.checkInvariants()
}

func TestRetriesAreBoundedPerBlock(t *testing.T) {
	p := testParams()
	p.MaxRetriesPerBlock = 2
	f := newFixtureWith(t, p)
	for _, name := range []string{"a", "b", "c", "d", "e"} {
		f.create(spec{name: name})
	}
	f.endBlock() // no sharers: all five under-placed
	f.mustRegister(offer{}, "s1")
	placed := func() int {
		n := 0
		for _, name := range []string{"a", "b", "c", "d", "e"} {
			n += len(f.leases(name))
		}
		return n
	}
	for i, want := range []int{2, 4, 5} {
		f.endBlock()
		if got := placed(); got != want {
			t.Fatalf("after retry block %d, %d services placed, want %d", i+1, got, want)
		}
	}
	f.checkInvariants()
}

func TestCapacityNeverOvercommitted(t *testing.T) {
	f := newFixture(t)
	f.mustRegister(offer{cpu: 1000, memMiB: 256}, "s1", "s2")
	for i := range 12 {
		f.create(spec{name: "svc" + string(rune('a'+i)), cpu: "300m", memory: "64Mi", storage: "1Gi"})
	}
	f.endBlock()
	for _, n := range []string{"s1", "s2"} {
		s := f.sharer(n)
		if !s.Used.Within(s.Capacity) || s.Leases != 3 {
			t.Errorf("%s: used %v of %v in %d leases, want 3 leases (cpu bound: 3×300m of 1000m)", n, s.Used, s.Capacity, s.Leases)
		}
	}
	f.checkInvariants()
	// Closing a lease frees exactly what it reserved.
	f.hook(func(ctx context.Context) error { return f.services.pause(ctx, "svca") })
	f.checkInvariants()
}

func TestScaleUpAndDown(t *testing.T) {
	f := newFixture(t)
	f.mustRegister(offer{}, "s1", "s2", "s3", "s4", "s5")
	f.create(spec{name: "hello", replicas: 2})
	f.endBlock()
	before := f.holders("hello")

	f.hook(func(ctx context.Context) error { return f.services.scale(ctx, "hello", 4) })
	f.endBlock()
	after := f.holders("hello")
	if len(after) != 4 || after[0] != before[0] || after[1] != before[1] {
		t.Fatalf("scaling up moved replicas: %v -> %v", before, after)
	}
	f.hook(func(ctx context.Context) error { return f.services.scale(ctx, "hello", 1) })
	f.endBlock()
	leases := f.leases("hello")
	if len(leases) != 1 {
		t.Fatalf("after scaling down to 1, %d leases", len(leases))
	}
	closed := event[*types.EventLeaseClosed](f)
	if len(closed) != 3 {
		t.Fatalf("%d leases closed scaling 4 -> 1, want 3", len(closed))
	}
	for _, c := range closed {
		if c.Reason != types.CloseScaledDown {
			t.Errorf("lease %d closed for %s, want scaled_down", c.LeaseId, c.Reason.Label())
		}
	}
	f.checkInvariants()
}

func TestPauseResumeAndDelete(t *testing.T) {
	f := newFixture(t)
	f.mustRegister(offer{}, "s1", "s2", "s3", "s4", "s5", "s6")
	f.create(spec{name: "hello", replicas: 2})
	f.endBlock()
	held := f.holders("hello")
	slices.Sort(held)

	f.hook(func(ctx context.Context) error { return f.services.pause(ctx, "hello") })
	if got := f.leases("hello"); len(got) != 0 {
		t.Fatalf("a paused service keeps %d leases", len(got))
	}
	for _, c := range event[*types.EventLeaseClosed](f) {
		if c.Reason != types.CloseServicePaused {
			t.Errorf("lease %d closed for %s", c.LeaseId, c.Reason.Label())
		}
	}
	st := f.placement("hello").State
	if len(st.Preferred) != 2 {
		t.Fatalf("preferred after pause: %v", st.Preferred)
	}

	// Others arrive that rank above the old holders; the resume still
	// prefers the sharers that held the service.
	f.mustRegister(offer{memPrice: 1}, "cheap1", "cheap2", "cheap3")
	f.hook(func(ctx context.Context) error { return f.services.resume(ctx, "hello") })
	f.endBlock()
	got := f.holders("hello")
	slices.Sort(got)
	if !slices.Equal(got, held) {
		t.Fatalf("resumed on %v, want the sharers that held it: %v", got, held)
	}
	if st := f.placement("hello").State; len(st.Preferred) != 0 {
		t.Errorf("preferred kept after a full placement: %v", st.Preferred)
	}

	f.hook(func(ctx context.Context) error { return f.services.remove(ctx, "hello") })
	if got := f.leases("hello"); len(got) != 0 {
		t.Fatalf("a deleted service keeps %d leases", len(got))
	}
	if _, err := f.k.Placements.Get(f.ctx, "hello"); err == nil {
		t.Error("a deleted service keeps its placement state")
	}
	f.checkInvariants()
}

func TestNewVersion(t *testing.T) {
	f := newFixture(t)
	f.mustRegister(offer{}, "s1", "s2", "s3")
	f.mustRegister(offer{region: "us"}, "u1", "u2")
	f.create(spec{name: "hello", replicas: 2})
	f.endBlock()
	ids := func() []uint64 {
		var out []uint64
		for _, l := range f.leases("hello") {
			out = append(out, l.Id)
		}
		return out
	}
	before := ids()

	t.Run("new code with the same resources keeps the leases", func(t *testing.T) {
		f.hook(func(ctx context.Context) error {
			return f.services.activate(ctx, f.manifest(spec{name: "hello", replicas: 2, wasm: 1}))
		})
		f.endBlock()
		if got := ids(); !slices.Equal(got, before) {
			t.Fatalf("leases %v -> %v", before, got)
		}
	})
	t.Run("new resources re-place every replica", func(t *testing.T) {
		f.hook(func(ctx context.Context) error {
			return f.services.activate(ctx, f.manifest(spec{name: "hello", replicas: 2, memory: "128Mi"}))
		})
		f.endBlock()
		leases := f.leases("hello")
		if len(leases) != 2 || slices.Contains(before, leases[0].Id) || leases[0].Resources.MemoryBytes != 128<<20 {
			t.Fatalf("leases after a resource change: %+v", leases)
		}
		for _, c := range event[*types.EventLeaseClosed](f) {
			if c.Reason != types.CloseResourcesChanged {
				t.Errorf("lease %d closed for %s", c.LeaseId, c.Reason.Label())
			}
		}
	})
	t.Run("a new required attribute moves the replicas that lack it", func(t *testing.T) {
		f.hook(func(ctx context.Context) error {
			return f.services.activate(ctx, f.manifest(spec{name: "hello", replicas: 2, memory: "128Mi", require: "region: us"}))
		})
		f.endBlock()
		got := f.holders("hello")
		slices.Sort(got)
		if !slices.Equal(got, []string{"u1", "u2"}) {
			t.Fatalf("holders %v, want [u1 u2]", got)
		}
		for _, c := range event[*types.EventLeaseClosed](f) {
			if c.Reason != types.CloseNoLongerQualifies || c.Detail != "missing_attribute" {
				t.Errorf("lease %d closed for %s (%s)", c.LeaseId, c.Reason.Label(), c.Detail)
			}
		}
	})
	f.checkInvariants()
}

func TestDenyList(t *testing.T) {
	f := newFixture(t)
	f.mustRegister(offer{denyServices: []string{"hello"}}, "picky")
	f.mustRegister(offer{denyOwners: []string{"alice"}}, "choosy")
	f.mustRegister(offer{}, "s1")
	f.create(spec{name: "hello", replicas: 3})
	f.endBlock()
	if got := f.holders("hello"); !slices.Equal(got, []string{"s1"}) {
		t.Fatalf("holders %v, want [s1]", got)
	}
	if want := "3 sharers: 1 chosen, 2 refused the service"; f.placement("hello").State.Explanation != want {
		t.Errorf("explanation %q, want %q", f.placement("hello").State.Explanation, want)
	}
	// A sharer that starts refusing a service it hosts gives it up.
	noErr(t, f.update("s1", f.offerOf("s1", offer{denyServices: []string{"hello"}}), false))
	f.endBlock()
	if got := f.leases("hello"); len(got) != 0 {
		t.Fatalf("s1 still hosts hello after denying it: %v", got)
	}
	f.checkInvariants()
}

func TestReadBudgetSpreadsPlacementOverBlocks(t *testing.T) {
	p := testParams()
	p.MaxCandidateReadsPerBlock = 5 // each placement here reads 4 sharers
	f := newFixtureWith(t, p)
	f.mustRegister(offer{}, "s1", "s2", "s3", "s4")
	for _, name := range []string{"a", "b", "c"} {
		f.create(spec{name: name})
	}
	placed := func() (n int) {
		for _, name := range []string{"a", "b", "c"} {
			n += len(f.leases(name))
		}
		return n
	}
	for i, want := range []int{2, 3} {
		f.endBlock()
		if got := placed(); got != want {
			t.Fatalf("after block %d, %d services placed, want %d", i+1, got, want)
		}
	}
	f.checkInvariants()

	t.Run("a single placement beyond the budget still runs", func(t *testing.T) {
		p.MaxCandidateReadsPerBlock = 1
		g := newFixtureWith(t, p)
		g.mustRegister(offer{}, "s1", "s2", "s3")
		g.create(spec{name: "solo", replicas: 2})
		g.endBlock()
		if got := len(g.leases("solo")); got != 2 {
			t.Fatalf("placed %d of 2 replicas", got)
		}
	})
}
