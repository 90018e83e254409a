package schedule

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	q1client "github.com/quantum1net/q1/client"
	"github.com/quantum1net/q1/core/manifest"
	"github.com/quantum1net/q1/node/gateway"
	"github.com/quantum1net/q1/node/runtime"
)

// Chain is what the runner reads of the chain (node/chainview.View).
type Chain interface {
	// Manifest is the service's manifest in force.
	Manifest(service string) (*manifest.Manifest, bool)
	// Candidates are the replicas that may run the service's schedules
	// (see Candidate); an error means the chain did not answer.
	Candidates(service string) ([]Candidate, error)
}

// Local is this node's replica manager (node/replicas.Manager): the
// services it serves, and the gateway's way of running a request, which
// meters it for its lease and writes its receipt.
type Local interface {
	Serving(service string) (lease uint64, ok bool)
	Handle(ctx context.Context, service string, req *gateway.Request) (*gateway.Response, error)
}

// Peers asks another replica's node what it recorded of a service's
// schedules (GET /_q1/v1/services/{name}/schedules on its gateway).
type Peers interface {
	States(ctx context.Context, endpoint, service string) ([]q1client.ScheduleState, error)
}

// Config configures a Runner.
type Config struct {
	Chain Chain
	Local Local
	Peers Peers
	Store *Store
	// Services lists the services whose replicas this node serves.
	Services func() []string
	// Self is this node's sharer address ("" before it registers).
	Self func() string
	// Logs returns the sink of the service's log lines (nil: none).
	Logs func(service string) runtime.LogSink
	Log  *slog.Logger
	// Now and Poll are for tests: the clock (default time.Now) and how
	// often due ticks are looked for (default 1 s).
	Now  func() time.Time
	Poll time.Duration
}

// MaxMissedCounted is client.MaxMissedPerRun.
const MaxMissedCounted = q1client.MaxMissedPerRun

// peerTimeout bounds each question to another node.
const peerTimeout = 3 * time.Second

// Runner runs the schedules of the services this node serves.
type Runner struct {
	cfg    Config
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu   sync.Mutex
	done map[string]time.Time // recKey → the last tick decided here (run, left to another, or run by another)
}

// Start starts a runner; Close stops it.
func Start(cfg Config) *Runner {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Self == nil {
		cfg.Self = func() string { return "" }
	}
	r := &Runner{cfg: cfg, done: map[string]time.Time{}}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		t := time.NewTicker(cfg.Poll)
		defer t.Stop()
		for {
			r.Step()
			select {
			case <-r.ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return r
}

// Close stops looking for ticks and waits for the runs under way.
func (r *Runner) Close() error {
	r.cancel()
	r.wg.Wait()
	return nil
}

// Step looks once for due ticks of every schedule of every served service
// and starts their runs. The loop calls it every Poll; tests call it.
func (r *Runner) Step() {
	for _, svc := range r.cfg.Services() {
		if r.ctx.Err() != nil {
			return
		}
		lease, ok := r.cfg.Local.Serving(svc)
		if !ok {
			continue
		}
		m, ok := r.cfg.Chain.Manifest(svc)
		if !ok || len(m.Schedules) == 0 {
			continue
		}
		for i, sc := range m.Schedules {
			r.consider(svc, m, lease, i, sc)
		}
	}
}

// dueTick returns the tick of c whose fallback windows contain now, if any.
func dueTick(c manifest.Cron, now time.Time) (time.Time, bool) {
	span := time.Duration(MaxRank+1) * FallbackDelay
	t := c.Next(now.Add(-span - time.Second))
	if t.IsZero() || t.After(now) {
		return time.Time{}, false
	}
	return t, true
}

func (r *Runner) decided(key string, tick time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	last, ok := r.done[key]
	return ok && !last.Before(tick)
}

func (r *Runner) decide(key string, tick time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.done[key] = tick
}

func (r *Runner) consider(svc string, m *manifest.Manifest, lease uint64, index int, sc manifest.Schedule) {
	c, err := manifest.ParseCron(sc.Cron)
	if err != nil {
		return // the chain accepted it under other rules: nothing to run
	}
	now := r.cfg.Now()
	tick, ok := dueTick(c, now)
	key := recKey(svc, index)
	if !ok || r.decided(key, tick) {
		return
	}
	if last, ok := r.cfg.Store.Last(svc, index, sc); ok && !last.LastRun.Tick.Before(tick) {
		r.decide(key, tick) // run here before a restart, or learned from another node
		return
	}
	cands, err := r.cfg.Chain.Candidates(svc)
	if err != nil {
		return // ask again at the next step
	}
	order := Order(svc, index, tick, cands)
	rank := RankOf(order, lease)
	if rank < 0 || rank > MaxRank {
		r.decide(key, tick)
		return
	}
	from, until := Window(tick, rank)
	switch {
	case now.Before(from):
		return
	case !now.Before(until):
		r.decide(key, tick) // too late for this rank: the next one's
		return
	}
	r.decide(key, tick)
	// Ask those ranked before whether they ran it, and learn every
	// replica's record when this node's own has a gap, for the count of
	// missed ticks.
	ask := order[:rank]
	if last, ok := r.cfg.Store.Last(svc, index, sc); !ok || !c.Next(last.LastRun.Tick).Equal(tick) {
		ask = order
	}
	if r.ask(svc, index, sc, lease, ask, tick) {
		return
	}
	var missed []time.Time
	atLeast := false
	if last, ok := r.cfg.Store.Last(svc, index, sc); ok {
		for t := c.Next(last.LastRun.Tick); !t.IsZero() && t.Before(tick); t = c.Next(t) {
			if len(missed) == MaxMissedCounted {
				atLeast = true
				break
			}
			missed = append(missed, t)
		}
	}
	run := q1client.ScheduleRun{Tick: tick, Started: r.cfg.Now(), Node: r.cfg.Self(), Rank: rank}
	r.cfg.Store.begin(svc, index, sc, run, missed, atLeast)
	timeout := m.Resources.RequestTimeout + 5*time.Second
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		r.run(svc, m.Hash(), index, sc, tick, rank, len(missed), timeout)
	}()
}

// ask asks the nodes of order (but this node's lease) for their records,
// learning each; it reports whether one of them ran tick (or a later one).
func (r *Runner) ask(svc string, index int, sc manifest.Schedule, self uint64, order []Candidate, tick time.Time) bool {
	if r.cfg.Peers == nil {
		return false
	}
	type answer struct {
		states []q1client.ScheduleState
		err    error
	}
	answers := make([]answer, len(order))
	var wg sync.WaitGroup
	for i, c := range order {
		if c.Lease == self || c.Endpoint == "" {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(r.ctx, peerTimeout)
			defer cancel()
			answers[i].states, answers[i].err = r.cfg.Peers.States(ctx, c.Endpoint, svc)
		}()
	}
	wg.Wait()
	ran, now := false, r.cfg.Now()
	for i, a := range answers {
		if a.err != nil {
			r.cfg.Log.Debug("schedule: ask a replica", "service", svc, "sharer", order[i].Sharer, "err", a.err)
			continue
		}
		for _, st := range a.states {
			if st.Index != index {
				continue
			}
			if err := Plausible(sc, st, now); err != nil {
				r.cfg.Log.Warn("schedule: a replica's record is refused", "service", svc, "sharer", order[i].Sharer, "err", err)
				continue
			}
			r.cfg.Store.Learn(svc, index, sc, st, now)
			// Only a node's own run of this very tick stops the fallback:
			// a record it learned from another node (or one it says is
			// someone else's) could launder a hostile replica's claim.
			if st.LastRun != nil && st.LastRun.Tick.Equal(tick) && st.LastRun.Node == order[i].Sharer && i < RankOfOrZero(order, self) {
				ran = true
			}
		}
	}
	return ran
}

// RankOfOrZero is RankOf, with len(order) for a lease not in it.
func RankOfOrZero(order []Candidate, lease uint64) int {
	if k := RankOf(order, lease); k >= 0 {
		return k
	}
	return len(order)
}

func (r *Runner) run(svc, version string, index int, sc manifest.Schedule, tick time.Time, rank, missed int, timeout time.Duration) {
	ctx, cancel := context.WithTimeout(r.ctx, timeout)
	defer cancel()
	start := r.cfg.Now()
	res, err := r.cfg.Local.Handle(ctx, svc, &gateway.Request{
		Method: http.MethodPost,
		Path:   sc.Path,
		Header: http.Header{gateway.HeaderSchedule: {strconv.Itoa(index)}},
		Body:   []byte{},
	})
	took := r.cfg.Now().Sub(start)
	// A run the runtime stopped (trap, fuel, timeout, no replica) has no
	// status: the record says why instead.
	status, errText := 0, ""
	if err == nil {
		status = res.Status
	} else {
		errText = err.Error()
	}
	if err := r.cfg.Store.finish(svc, index, sc, tick, status, errText, took); err != nil {
		r.cfg.Log.Warn("schedule: save records", "err", err)
	}
	msg := fmt.Sprintf("schedule %d (%s) POST %s for tick %s: ", index, sc.Cron, sc.Path, tick.UTC().Format(time.RFC3339))
	if errText != "" {
		msg += "failed: " + errText
	} else {
		msg += strconv.Itoa(status)
	}
	msg += fmt.Sprintf(" in %dms", took.Milliseconds())
	if rank > 0 {
		msg += fmt.Sprintf(" (fallback %d: the replicas ranked before did not run it)", rank)
	}
	if missed > 0 {
		msg += fmt.Sprintf("; %d earlier tick(s) missed: no replica ran them", missed)
	}
	level := slog.LevelInfo
	if errText != "" || status >= 500 {
		level = slog.LevelWarn
	}
	if r.cfg.Logs != nil {
		if sink := r.cfg.Logs(svc); sink != nil {
			sink.WriteLog(runtime.LogLine{Time: r.cfg.Now(), Service: svc, Version: version, Level: level, Stream: "schedule", Message: msg})
		}
	}
	r.cfg.Log.Log(context.Background(), level, msg, "service", svc)
}
