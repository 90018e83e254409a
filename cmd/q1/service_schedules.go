package main

import (
	"context"
	"fmt"
	"io"
	"time"

	q1client "github.com/quantum1net/q1/client"
	"github.com/quantum1net/q1/core/manifest"
)

// scheduleStates lists the schedules of the service's manifest with what the
// replicas' nodes recorded of them (GET /_q1/v1/services/{name}/schedules on
// each node's gateway, merged as the node API merges them); nil when the
// manifest has none. A node that does not answer within 3 seconds adds
// nothing, nor does a record that fails client.PlausibleSchedule.
func scheduleStates(ctx context.Context, s *q1client.Service, now time.Time) []q1client.ScheduleState {
	m, err := manifest.ParseCanonical(s.Manifest)
	if err != nil || len(m.Schedules) == 0 {
		return nil
	}
	base := make([]q1client.ScheduleState, len(m.Schedules))
	for i, sc := range m.Schedules {
		base[i] = q1client.ScheduleState{Index: i, Cron: sc.Cron, Path: sc.Path}
		if c, err := manifest.ParseCron(sc.Cron); err == nil {
			base[i].Next = c.Next(now)
		}
	}
	lists := [][]q1client.ScheduleState{base}
	seen := map[string]bool{}
	for _, r := range s.Replicas {
		if r.Endpoint == "" || seen[r.Endpoint] {
			continue
		}
		seen[r.Endpoint] = true
		states, err := q1client.NewGateway(r.Endpoint, q1client.WithTimeout(3*time.Second)).Schedules(ctx, s.Name)
		if err == nil {
			lists = append(lists, q1client.PlausibleStates(m, states, now))
		}
	}
	return q1client.MergeSchedules(lists...)
}

// printSchedules writes each schedule's last run, missed ticks and next tick.
func printSchedules(w io.Writer, states []q1client.ScheduleState) {
	if len(states) == 0 {
		return
	}
	fmt.Fprintln(w, "  schedules (UTC):")
	for _, st := range states {
		fmt.Fprintf(w, "    [%d] %q POST %s: ", st.Index, st.Cron, st.Path)
		if r := st.LastRun; r == nil {
			fmt.Fprint(w, "not run yet")
		} else {
			fmt.Fprintf(w, "last run %s on %s: ", r.Tick.UTC().Format(time.RFC3339), r.Node)
			switch {
			case r.Running:
				fmt.Fprint(w, "running")
			case r.Error != "":
				fmt.Fprintf(w, "failed (%s) in %dms", r.Error, r.DurationMs)
			default:
				fmt.Fprintf(w, "%d in %dms", r.Status, r.DurationMs)
			}
			if r.Rank > 0 {
				fmt.Fprintf(w, " (fallback %d)", r.Rank)
			}
			fmt.Fprintf(w, "; %d run(s)", st.Runs)
		}
		if st.Missed > 0 {
			more := ""
			if st.MissedAtLeast {
				more = "at least "
			}
			fmt.Fprintf(w, "; %s%d tick(s) missed", more, st.Missed)
			if st.LastMissed != nil {
				fmt.Fprintf(w, ", last %s", st.LastMissed.UTC().Format(time.RFC3339))
			}
		}
		if !st.Next.IsZero() {
			fmt.Fprintf(w, "; next %s", st.Next.UTC().Format(time.RFC3339))
		}
		fmt.Fprintln(w)
	}
}
