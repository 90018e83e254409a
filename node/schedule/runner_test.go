package schedule

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	q1client "github.com/quantum1net/q1/client"
	"github.com/quantum1net/q1/core/manifest"
	"github.com/quantum1net/q1/node/gateway"
)

const testWasm = "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"

func cronManifest(t *testing.T, schedules string) *manifest.Manifest {
	t.Helper()
	m, err := manifest.Parse([]byte(`apiVersion: q1/v1
name: svc
code: {wasm: `+testWasm+`}
permissions: {owners: {accounts: [q11qyqszqgpqyqszqgpqyqszqgpqyqszqgpjtw6m7]}}
resources: {memory: 32Mi, requestTimeout: 1s}
pricing: {cpuPerCoreSecond: 1uqc, memoryPerMiBHour: 1uqc, storagePerGiBHour: 1uqc, per1kRequests: 1uqc, egressPerGiB: 1uqc}
schedules: `+schedules+"\n"), manifest.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// clock is a settable clock shared by the simulated nodes.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.now = t }

// cluster simulates the nodes holding a service's replicas: one chain view,
// each node's runner and store, peers answering from each other's stores
// unless down.
type cluster struct {
	t     *testing.T
	clock *clock
	m     *manifest.Manifest
	cands []Candidate
	nodes map[string]*simNode // by endpoint
	mu    sync.Mutex
	runs  []simRun
}

type simNode struct {
	c      *cluster
	cand   Candidate
	store  *Store
	runner *Runner
	down   bool
}

type simRun struct {
	sharer string
	req    *gateway.Request
}

func (c *cluster) Manifest(string) (*manifest.Manifest, bool) { return c.m, true }
func (c *cluster) Candidates(string) ([]Candidate, error)     { return c.cands, nil }

func (c *cluster) States(_ context.Context, endpoint, service string) ([]q1client.ScheduleState, error) {
	n := c.nodes[endpoint]
	if n == nil || n.down {
		return nil, errors.New("connection refused")
	}
	return n.store.States(service, c.m, c.clock.Now()), nil
}

func (n *simNode) Serving(string) (uint64, bool) { return n.cand.Lease, !n.down }
func (n *simNode) Handle(_ context.Context, _ string, req *gateway.Request) (*gateway.Response, error) {
	n.c.mu.Lock()
	defer n.c.mu.Unlock()
	n.c.runs = append(n.c.runs, simRun{n.cand.Sharer, req})
	return &gateway.Response{Status: 204}, nil
}

func newCluster(t *testing.T, m *manifest.Manifest, n int, start time.Time) *cluster {
	c := &cluster{t: t, clock: &clock{now: start}, m: m, cands: cands(n), nodes: map[string]*simNode{}}
	for _, cand := range c.cands {
		sn := &simNode{c: c, cand: cand}
		sn.store, _ = OpenStore("")
		sn.runner = &Runner{cfg: Config{
			Chain: c, Local: sn, Peers: c, Store: sn.store,
			Services: func() []string { return []string{"svc"} },
			Self:     func() string { return cand.Sharer },
			Now:      c.clock.Now,
		}, done: map[string]time.Time{}}
		sn.runner.cfg.Log = discard
		sn.runner.ctx, sn.runner.cancel = context.WithCancel(context.Background())
		c.nodes[cand.Endpoint] = sn
	}
	return c
}

// stepAll steps every node that is up, at every second from the clock's
// time to until, and waits for the runs.
func (c *cluster) stepAll(until time.Time) {
	for now := c.clock.Now(); !now.After(until); now = now.Add(time.Second) {
		c.clock.set(now)
		for _, cand := range c.cands {
			if n := c.nodes[cand.Endpoint]; !n.down {
				n.runner.Step()
				n.runner.wg.Wait()
			}
		}
	}
}

func (c *cluster) node(lease uint64) *simNode {
	for _, n := range c.nodes {
		if n.cand.Lease == lease {
			return n
		}
	}
	return nil
}

func (c *cluster) takeRuns() []simRun {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.runs
	c.runs = nil
	return r
}

// TestExactlyOneRunnerPerTick: three replicas, ten ticks of an every-minute
// schedule: each tick runs once, on the replica Order chose, with the
// schedule header, and every node's merged view shows it.
func TestExactlyOneRunnerPerTick(t *testing.T) {
	m := cronManifest(t, `[{cron: "* * * * *", path: /tick}]`)
	t0 := time.Date(2026, 12, 7, 20, 0, 0, 0, time.UTC)
	c := newCluster(t, m, 3, t0.Add(-time.Second))
	for i := range 10 {
		tick := t0.Add(time.Duration(i) * time.Minute)
		c.stepAll(tick.Add(59 * time.Second))
		runs := c.takeRuns()
		if len(runs) != 1 {
			t.Fatalf("tick %s ran %d times", tick, len(runs))
		}
		want := Order("svc", 0, tick, c.cands)[0].Sharer
		if runs[0].sharer != want {
			t.Errorf("tick %s ran on %s, want %s", tick, runs[0].sharer, want)
		}
		r := runs[0].req
		if r.Method != http.MethodPost || r.Path != "/tick" || r.Header.Get(gateway.HeaderSchedule) != "0" {
			t.Errorf("request %s %s %v", r.Method, r.Path, r.Header)
		}
	}
	var lists [][]q1client.ScheduleState
	for _, n := range c.nodes {
		lists = append(lists, n.store.States("svc", m, c.clock.Now()))
	}
	merged := Merge(lists...)
	last := merged[0].LastRun
	if last == nil || !last.Tick.Equal(t0.Add(9*time.Minute)) || last.Status != 204 || last.Running || merged[0].Missed != 0 || merged[0].Runs != 10 {
		t.Fatalf("merged state %+v, last run %+v", merged[0], last)
	}
}

// TestFallbackWhenChosenIsDown: the chosen replica's node is down (the chain
// has not noticed yet): the second runs the tick FallbackDelay later, after
// asking the first; with the first two down, the third runs it.
func TestFallbackWhenChosenIsDown(t *testing.T) {
	m := cronManifest(t, `[{cron: "*/5 * * * *", path: /tick}]`)
	tick := time.Date(2026, 12, 7, 20, 5, 0, 0, time.UTC)
	for down := 1; down <= 2; down++ {
		c := newCluster(t, m, 3, tick.Add(-time.Second))
		order := Order("svc", 0, tick, c.cands)
		for k := range down {
			c.node(order[k].Lease).down = true
		}
		c.stepAll(tick.Add(time.Duration(down)*FallbackDelay - time.Second))
		if runs := c.takeRuns(); len(runs) != 0 {
			t.Fatalf("%d down: ran before the fallback's window: %+v", down, runs)
		}
		c.stepAll(tick.Add(4 * time.Minute))
		runs := c.takeRuns()
		if len(runs) != 1 || runs[0].sharer != order[down].Sharer {
			t.Fatalf("%d down: runs %+v, want one on %s", down, runs, order[down].Sharer)
		}
		st, _ := c.node(order[down].Lease).store.Last("svc", 0, m.Schedules[0])
		if st.LastRun.Rank != down {
			t.Errorf("recorded rank %d, want %d", st.LastRun.Rank, down)
		}
	}
}

// TestSlowChosenIsNotRunTwice: the chosen replica started the tick (its
// record says running); the fallback asks it and does not run the tick.
func TestSlowChosenIsNotRunTwice(t *testing.T) {
	m := cronManifest(t, `[{cron: "*/5 * * * *", path: /tick}]`)
	tick := time.Date(2026, 12, 7, 20, 5, 0, 0, time.UTC)
	c := newCluster(t, m, 2, tick)
	order := Order("svc", 0, tick, c.cands)
	first := c.node(order[0].Lease)
	first.store.begin("svc", 0, m.Schedules[0], q1client.ScheduleRun{Tick: tick, Started: tick, Node: first.cand.Sharer}, nil, false)
	first.down = false
	second := c.node(order[1].Lease)
	c.clock.set(tick.Add(FallbackDelay + time.Second))
	second.runner.Step()
	second.runner.wg.Wait()
	if runs := c.takeRuns(); len(runs) != 0 {
		t.Fatalf("the fallback ran a tick the chosen one had started: %+v", runs)
	}
}

// TestMissedTicksRecorded: every replica is down for three ticks; the next
// runner counts them as missed, and the count is carried forward by the
// merged record.
func TestMissedTicksRecorded(t *testing.T) {
	m := cronManifest(t, `[{cron: "* * * * *", path: /tick}]`)
	t0 := time.Date(2026, 12, 7, 20, 0, 0, 0, time.UTC)
	c := newCluster(t, m, 3, t0.Add(-time.Second))
	c.stepAll(t0.Add(59 * time.Second)) // tick 0 runs
	if n := len(c.takeRuns()); n != 1 {
		t.Fatalf("first tick ran %d times", n)
	}
	for _, n := range c.nodes {
		n.down = true
	}
	c.stepAll(t0.Add(3*time.Minute + 59*time.Second)) // ticks 1, 2, 3: nobody
	for _, n := range c.nodes {
		n.down = false
	}
	c.stepAll(t0.Add(4*time.Minute + 59*time.Second)) // tick 4
	if n := len(c.takeRuns()); n != 1 {
		t.Fatalf("tick 4 ran %d times", n)
	}
	var lists [][]q1client.ScheduleState
	for _, n := range c.nodes {
		lists = append(lists, n.store.States("svc", m, c.clock.Now()))
	}
	st := Merge(lists...)[0]
	if st.Missed != 3 || st.LastMissed == nil || !st.LastMissed.Equal(t0.Add(3*time.Minute)) || st.Runs != 2 {
		t.Fatalf("merged state %+v", st)
	}
	// And the count goes on: two more down, then a run.
	for _, n := range c.nodes {
		n.down = true
	}
	c.stepAll(t0.Add(6*time.Minute + 59*time.Second))
	for _, n := range c.nodes {
		n.down = false
	}
	c.stepAll(t0.Add(7*time.Minute + 59*time.Second))
	lists = nil
	for _, n := range c.nodes {
		lists = append(lists, n.store.States("svc", m, c.clock.Now()))
	}
	if st := Merge(lists...)[0]; st.Missed != 5 || st.Runs != 3 {
		t.Fatalf("after a second outage: %+v", st)
	}
}

// TestStoreSurvivesRestart: the records are saved and read back, and a
// changed schedule starts a fresh record.
func TestStoreSurvivesRestart(t *testing.T) {
	m := cronManifest(t, `[{cron: "@hourly", path: /tick}]`)
	path := t.TempDir() + "/schedules.json"
	s, err := OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	tick := time.Date(2026, 12, 7, 20, 0, 0, 0, time.UTC)
	s.begin("svc", 0, m.Schedules[0], q1client.ScheduleRun{Tick: tick, Started: tick, Node: "a"}, []time.Time{tick.Add(-time.Hour)}, false)
	if err := s.finish("svc", 0, m.Schedules[0], tick, 200, "", 12*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	s2, err := OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	st, ok := s2.Last("svc", 0, m.Schedules[0])
	if !ok || st.LastRun.Status != 200 || st.LastRun.DurationMs != 12 || st.Missed != 1 {
		t.Fatalf("after restart: %+v %+v", st, st.LastRun)
	}
	if _, ok := s2.Last("svc", 0, manifest.Schedule{Cron: "@daily", Path: "/tick"}); ok {
		t.Error("a changed schedule kept the old record")
	}
}

type failing struct{ lease uint64 }

func (f failing) Serving(string) (uint64, bool) { return f.lease, true }
func (f failing) Handle(context.Context, string, *gateway.Request) (*gateway.Response, error) {
	return nil, errors.New("service svc ran out of fuel")
}

// TestFailedRunRecorded: a run the runtime stopped is recorded with its
// error and no status, not as running and not as a success.
func TestFailedRunRecorded(t *testing.T) {
	m := cronManifest(t, `[{cron: "@hourly", path: /tick}]`)
	tick := time.Date(2026, 12, 7, 20, 0, 0, 0, time.UTC)
	store, _ := OpenStore("")
	clk := &clock{now: tick.Add(time.Second)}
	r := &Runner{cfg: Config{
		Chain: viewOf{m, []Candidate{{Lease: 1, Sharer: "self"}}}, Local: failing{1}, Store: store,
		Services: func() []string { return []string{"svc"} }, Self: func() string { return "self" },
		Log: discard, Now: clk.Now,
	}, done: map[string]time.Time{}}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	r.Step()
	r.wg.Wait()
	st, ok := store.Last("svc", 0, m.Schedules[0])
	if !ok || st.LastRun.Running || st.LastRun.Status != 0 || st.LastRun.Error != "service svc ran out of fuel" || st.Runs != 1 {
		t.Fatalf("recorded %+v %+v", st, st.LastRun)
	}
}

// TestHostileRecordIsRefused: a replica's node answers with a record that
// claims a run in the year 9999 (or at a time that is no tick of the
// schedule, or more missed ticks than its runs could have counted). The
// honest nodes refuse to learn it, go on running later ticks, and the
// merged view does not show it.
func TestHostileRecordIsRefused(t *testing.T) {
	m := cronManifest(t, `[{cron: "* * * * *", path: /tick}]`)
	sc := m.Schedules[0]
	t0 := time.Date(2026, 12, 7, 20, 0, 0, 0, time.UTC)
	now := t0.Add(30 * time.Second)
	forged := []struct {
		name string
		st   q1client.ScheduleState
		want string
	}{
		{"a tick in the future", q1client.ScheduleState{Index: 0, Cron: sc.Cron, Path: sc.Path, Runs: 1,
			LastRun: &q1client.ScheduleRun{Tick: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), Started: now}},
			"its last run's tick 9999-01-01T00:00:00Z is after this node's clock (2026-12-07T20:00:30Z)"},
		{"the next tick, not reached yet", q1client.ScheduleState{Index: 0, Cron: sc.Cron, Path: sc.Path, Runs: 1,
			LastRun: &q1client.ScheduleRun{Tick: t0.Add(time.Minute), Started: now}},
			"its last run's tick 2026-12-07T20:01:00Z is after this node's clock (2026-12-07T20:00:30Z)"},
		{"no tick of the schedule", q1client.ScheduleState{Index: 0, Cron: sc.Cron, Path: sc.Path, Runs: 1,
			LastRun: &q1client.ScheduleRun{Tick: t0.Add(-7 * time.Second), Started: t0}},
			`its last run's tick 2026-12-07T19:59:53Z is no tick of "* * * * *"`},
		{"started long after its tick", q1client.ScheduleState{Index: 0, Cron: sc.Cron, Path: sc.Path, Runs: 1,
			LastRun: &q1client.ScheduleRun{Tick: t0, Started: t0.Add(time.Hour)}},
			"its last run started 2026-12-07T21:00:00Z, after this node's clock"},
		{"more missed ticks than its runs counted", q1client.ScheduleState{Index: 0, Cron: sc.Cron, Path: sc.Path, Runs: 2, Missed: 1 << 40,
			LastRun: &q1client.ScheduleRun{Tick: t0, Started: t0}},
			"counts 1099511627776 missed ticks in 2 runs (at most 20000)"},
	}
	for _, f := range forged {
		t.Run(f.name, func(t *testing.T) {
			err := Plausible(sc, f.st, now)
			if err == nil || !strings.Contains(err.Error(), f.want) {
				t.Fatalf("Plausible = %v, want it to contain %q", err, f.want)
			}
			s, _ := OpenStore("")
			if s.Learn("svc", 0, sc, f.st, now) {
				t.Fatal("the store learned the forged record")
			}
		})
	}

	// End to end through the runners: the hostile node ranks first for
	// every tick, never runs any, and answers with the year-9999 record.
	c := newCluster(t, m, 3, t0.Add(-time.Second))
	hostile := c.node(Order("svc", 0, t0, c.cands)[0].Lease)
	hostile.store.begin("svc", 0, sc, *forged[0].st.LastRun, nil, false)
	hostile.runner.cfg.Services = func() []string { return nil }
	c.stepAll(t0.Add(3*time.Minute + 59*time.Second))
	runs := c.takeRuns()
	if len(runs) != 4 {
		t.Fatalf("4 ticks ran %d times with a hostile replica answering: %+v", len(runs), runs)
	}
	for _, r := range runs {
		if r.sharer == hostile.cand.Sharer {
			t.Fatalf("the hostile node's runner ran: %+v", runs)
		}
	}
	for _, n := range c.nodes {
		if n == hostile {
			continue
		}
		res, _ := Gather(context.Background(), c, c, n.store, n.cand.Sharer, "svc")
		if st := res.Schedules[0]; st.LastRun == nil || st.LastRun.Tick.Year() == 9999 {
			t.Fatalf("%s's merged view shows %+v", n.cand.Sharer, st.LastRun)
		}
	}
}

// TestOnlyAnOwnRunStopsTheFallback: the replica ranked first for a tick
// answers that the tick ran on another node (a record it could have
// learned, or made up): the fallback does not take its word and runs it.
func TestOnlyAnOwnRunStopsTheFallback(t *testing.T) {
	m := cronManifest(t, `[{cron: "*/5 * * * *", path: /tick}]`)
	tick := time.Date(2026, 12, 7, 20, 5, 0, 0, time.UTC)
	c := newCluster(t, m, 3, tick.Add(-time.Second))
	order := Order("svc", 0, tick, c.cands)
	first := c.node(order[0].Lease)
	first.runner.cfg.Services = func() []string { return nil } // it runs nothing itself
	first.store.begin("svc", 0, m.Schedules[0], q1client.ScheduleRun{Tick: tick, Started: tick, Node: order[2].Sharer}, nil, false)
	c.stepAll(tick.Add(4 * time.Minute))
	runs := c.takeRuns()
	if len(runs) != 1 || runs[0].sharer != order[1].Sharer {
		t.Fatalf("runs %+v, want one on %s (the first fallback)", runs, order[1].Sharer)
	}
}
