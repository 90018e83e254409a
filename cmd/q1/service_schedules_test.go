package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	q1client "github.com/quantum1net/q1/client"
	"github.com/quantum1net/q1/core/manifest"
)

// TestServiceStatusSchedules: q1 service status merges the replicas' nodes'
// records of each schedule (the latest run wins, an unreachable node adds
// nothing, nor does a record from the future) and prints the last run with its node, status and duration, the
// missed ticks and the next tick.
func TestServiceStatusSchedules(t *testing.T) {
	m, err := manifest.Parse([]byte(`apiVersion: q1/v1
name: ticker
code: {wasm: sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824}
permissions: {owners: {accounts: [q11qyqszqgpqyqszqgpqyqszqgpqyqszqgpjtw6m7]}}
resources: {memory: 32Mi}
pricing: {cpuPerCoreSecond: 1uqc, memoryPerMiBHour: 1uqc, storagePerGiBHour: 1uqc, per1kRequests: 1uqc, egressPerGiB: 1uqc}
schedules: [{cron: "* * * * *", path: /tasks/tick}, {cron: "@daily", path: /tasks/report}]
`), manifest.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 12, 7, 20, 1, 0, 0, time.UTC)
	missed := t0.Add(-time.Minute)
	node := func(states []q1client.ScheduleState) *httptest.Server {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/_q1/v1/services/ticker/schedules" {
				http.NotFound(w, r)
				return
			}
			_ = json.NewEncoder(w).Encode(states)
		}))
		t.Cleanup(srv.Close)
		return srv
	}
	older := node([]q1client.ScheduleState{{Index: 0, Cron: "* * * * *", Path: "/tasks/tick", Runs: 1,
		LastRun: &q1client.ScheduleRun{Tick: t0.Add(-2 * time.Minute), Started: t0.Add(-2 * time.Minute), Status: 200, Node: "q11old", DurationMs: 3}}})
	newer := node([]q1client.ScheduleState{{Index: 0, Cron: "* * * * *", Path: "/tasks/tick", Runs: 2, Missed: 1, LastMissed: &missed,
		LastRun: &q1client.ScheduleRun{Tick: t0, Started: t0.Add(time.Second), Status: 204, Node: "q11new", DurationMs: 12, Rank: 1}}})
	// A hostile node's record from the future is left out (schedule.Plausible).
	forged := node([]q1client.ScheduleState{{Index: 0, Cron: "* * * * *", Path: "/tasks/tick", Runs: 1,
		LastRun: &q1client.ScheduleRun{Tick: t0.AddDate(10, 0, 0), Started: t0.AddDate(10, 0, 0), Status: 200, Node: "q11liar"}}})
	s := &q1client.Service{Name: "ticker", Manifest: m.Canonical(), Replicas: []q1client.Replica{
		{Endpoint: older.URL}, {Endpoint: newer.URL}, {Endpoint: "http://127.0.0.1:1"}, {Endpoint: forged.URL},
	}}
	states := scheduleStates(context.Background(), s, t0.Add(10*time.Second))
	var b strings.Builder
	printSchedules(&b, states)
	want := `  schedules (UTC):
    [0] "* * * * *" POST /tasks/tick: last run 2026-12-07T20:01:00Z on q11new: 204 in 12ms (fallback 1); 2 run(s); 1 tick(s) missed, last 2026-12-07T20:00:00Z; next 2026-12-07T20:02:00Z
    [1] "@daily" POST /tasks/report: not run yet; next 2026-12-08T00:00:00Z
`
	if b.String() != want {
		t.Errorf("printed:\n%s\nwant:\n%s", b.String(), want)
	}
	js, _ := json.Marshal(states)
	if !strings.Contains(string(js), `"last_run":{"tick":"2026-12-07T20:01:00Z","started":"2026-12-07T20:01:01Z","duration_ms":12,"status":204,"node":"q11new","rank":1}`) {
		t.Errorf("-o json: %s", js)
	}
}
