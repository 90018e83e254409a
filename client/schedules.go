package client

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"time"

	"github.com/quantum1net/q1/core/manifest"
)

// ScheduleRun is one run of a scheduled request: the tick it ran for, when
// it started, how long it took, the status the service answered (0 when it
// failed before answering, Error saying why) and the sharer whose node ran
// it.
type ScheduleRun struct {
	Tick       time.Time `json:"tick"`
	Started    time.Time `json:"started"`
	DurationMs int64     `json:"duration_ms"`
	Status     int       `json:"status"`
	Error      string    `json:"error,omitempty"`
	Node       string    `json:"node"`
	// Rank is the runner's place in the tick's order (0: the chosen
	// replica, 1 and 2: fallbacks that ran because the ones before did not).
	Rank int `json:"rank"`
	// Running is set while the request runs (Status and DurationMs are
	// not known yet).
	Running bool `json:"running,omitempty"`
}

// ScheduleState is what is known of one schedule of a service: its last run
// and the ticks missed because no replica ran them.
type ScheduleState struct {
	Index int    `json:"index"`
	Cron  string `json:"cron"`
	Path  string `json:"path"`
	// Next is the next tick after the time of the answer.
	Next    time.Time    `json:"next"`
	LastRun *ScheduleRun `json:"last_run,omitempty"`
	// Missed counts the ticks no replica ran, from the first run any node
	// recorded (see docs/architecture.md "Scheduled jobs"); MissedAtLeast
	// says the count was capped. LastMissed is the latest of them.
	Missed        uint64     `json:"missed"`
	MissedAtLeast bool       `json:"missed_at_least,omitempty"`
	LastMissed    *time.Time `json:"last_missed,omitempty"`
	// Runs counts the runs recorded.
	Runs uint64 `json:"runs"`
}

// ServiceSchedules is GET /v1/services/{name}/schedules: the schedules of
// the service's manifest with what the replicas' nodes recorded, merged;
// Unreachable lists the sharers whose nodes did not answer (their records
// are missing from the merge).
type ServiceSchedules struct {
	Service     string          `json:"service"`
	Schedules   []ScheduleState `json:"schedules"`
	Unreachable []string        `json:"unreachable,omitempty"`
}

// Schedules is GET /v1/services/{name}/schedules.
func (c *Client) Schedules(ctx context.Context, service string) (*ServiceSchedules, error) {
	return get[ServiceSchedules](ctx, &c.conn, "/v1/services/"+url.PathEscape(service)+"/schedules", nil)
}

// Schedules is GET /_q1/v1/services/{name}/schedules: what this node
// recorded of the service's schedules (runs it made or learned of).
func (g *Gateway) Schedules(ctx context.Context, service string) ([]ScheduleState, error) {
	v, err := get[[]ScheduleState](ctx, &g.conn, "/v1/services/"+url.PathEscape(service)+"/schedules", nil)
	if err != nil {
		return nil, err
	}
	return *v, nil
}

// RunIsLater reports whether run a is later than b (by tick, then start); a
// nil b is earliest, a nil a never later.
func RunIsLater(a, b *ScheduleRun) bool {
	switch {
	case a == nil:
		return false
	case b == nil:
		return true
	case !a.Tick.Equal(b.Tick):
		return a.Tick.After(b.Tick)
	default:
		return a.Started.After(b.Started)
	}
}

// MergeSchedules merges several nodes' records of a service's schedules:
// for each schedule of the first list (matched by index, cron and path),
// the record with the latest run, which carries the counts of runs and
// missed ticks forward. The first list's Next is kept.
func MergeSchedules(lists ...[]ScheduleState) []ScheduleState {
	if len(lists) == 0 {
		return nil
	}
	out := slices.Clone(lists[0])
	for _, l := range lists[1:] {
		for _, st := range l {
			for i := range out {
				if out[i].Index == st.Index && out[i].Cron == st.Cron && out[i].Path == st.Path && RunIsLater(st.LastRun, out[i].LastRun) {
					next := out[i].Next
					out[i] = st
					out[i].Next = next
				}
			}
		}
	}
	return out
}

// MaxMissedPerRun bounds how many missed ticks one run enumerates; past
// it the count is marked "at least" (node/schedule).
const MaxMissedPerRun = 10_000

// MaxClockSkew is how far another node's clock may run ahead of this
// one's before its record of a run counts as implausible.
const MaxClockSkew = 30 * time.Second

// PlausibleSchedule checks another node's record of schedule sc against what
// honest node could have recorded by now: a last run at a tick of the
// schedule, not after now, started at or after its tick (give or take
// MaxClockSkew), and no more missed ticks than its runs could have counted
// (each run counts at most MaxMissedPerRun). A replica's node can still
// claim a run it did not make (only its usage report would show that); it
// cannot stop the others from running later ticks or show a run from the
// future.
func PlausibleSchedule(sc manifest.Schedule, st ScheduleState, now time.Time) error {
	if st.Missed > st.Runs*MaxMissedPerRun {
		return fmt.Errorf("schedule record of %q: counts %d missed ticks in %d runs (at most %d)",
			sc.Cron, st.Missed, st.Runs, st.Runs*MaxMissedPerRun)
	}
	if st.LastRun == nil {
		return nil
	}
	run, limit := st.LastRun, now.Add(MaxClockSkew)
	// A tick is run at or after it by every rank, and asked about later
	// still: one after this node's clock cannot have run (a fallback
	// asking at T+30 s must not learn that T+60 s ran, and skip it).
	if run.Tick.After(now) {
		return fmt.Errorf("schedule record of %q: its last run's tick %s is after this node's clock (%s)",
			sc.Cron, run.Tick.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	c, err := manifest.ParseCron(sc.Cron)
	if err != nil {
		return fmt.Errorf("schedule record of %q: %w", sc.Cron, err)
	}
	if !c.Next(run.Tick.Add(-time.Second)).Equal(run.Tick) {
		return fmt.Errorf("schedule record of %q: its last run's tick %s is no tick of %q",
			sc.Cron, run.Tick.UTC().Format(time.RFC3339), sc.Cron)
	}
	if run.Started.After(limit) || run.Started.Before(run.Tick.Add(-MaxClockSkew)) {
		return fmt.Errorf("schedule record of %q: its last run started %s, after this node's clock (%s) or before its tick %s",
			sc.Cron, run.Started.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339), run.Tick.UTC().Format(time.RFC3339))
	}
	return nil
}

// PlausibleStates drops the records of another node that name no
// schedule of m or fail PlausibleSchedule: the merge would show them otherwise.
func PlausibleStates(m *manifest.Manifest, states []ScheduleState, now time.Time) []ScheduleState {
	out := states[:0:0]
	for _, st := range states {
		if st.Index < 0 || st.Index >= len(m.Schedules) || PlausibleSchedule(m.Schedules[st.Index], st, now) != nil {
			continue
		}
		out = append(out, st)
	}
	return out
}
