package schedule

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	q1client "github.com/quantum1net/q1/client"
	"github.com/quantum1net/q1/core/manifest"
)

type viewOf struct {
	m     *manifest.Manifest
	cands []Candidate
}

func (v viewOf) Manifest(name string) (*manifest.Manifest, bool) { return v.m, name == "svc" }
func (v viewOf) Candidates(string) ([]Candidate, error)          { return v.cands, nil }

type peerMap map[string][]q1client.ScheduleState

func (p peerMap) States(_ context.Context, endpoint, _ string) ([]q1client.ScheduleState, error) {
	if s, ok := p[endpoint]; ok {
		return s, nil
	}
	return nil, errors.New("connection refused")
}

func writeTestJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// TestGatherHandler: GET /v1/services/{name}/schedules merges this node's
// records with the other replicas' nodes' (the latest run wins) and names
// the nodes that did not answer; an unknown service is a 404, a bad name a
// 400, both as JSON errors the client decodes.
func TestGatherHandler(t *testing.T) {
	m := cronManifest(t, `[{cron: "@hourly", path: /tick}]`)
	tick := time.Date(2026, 12, 7, 20, 0, 0, 0, time.UTC)
	store, _ := OpenStore("")
	store.begin("svc", 0, m.Schedules[0], q1client.ScheduleRun{Tick: tick.Add(-time.Hour), Node: "self"}, nil, false)
	peers := peerMap{"http://b": {{Index: 0, Cron: "@hourly", Path: "/tick", Runs: 2, LastRun: &q1client.ScheduleRun{Tick: tick, Started: tick, Status: 200, Node: "b"}}}}
	view := viewOf{m, []Candidate{{Lease: 1, Sharer: "self", Endpoint: "http://a"}, {Lease: 2, Sharer: "b", Endpoint: "http://b"}, {Lease: 3, Sharer: "c", Endpoint: "http://c"}}}
	mux := http.NewServeMux()
	mux.Handle("GET /v1/services/{name}/schedules", GatherHandler(view, peers, store, func() string { return "self" }, writeTestJSON))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c := q1client.New(srv.URL)
	res, err := c.Schedules(context.Background(), "svc")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Schedules) != 1 || res.Schedules[0].LastRun == nil || res.Schedules[0].LastRun.Node != "b" || res.Schedules[0].Runs != 2 ||
		len(res.Unreachable) != 1 || res.Unreachable[0] != "c" || res.Schedules[0].Next.IsZero() {
		t.Fatalf("got %+v", res)
	}
	var apiErr *q1client.APIError
	if _, err := c.Schedules(context.Background(), "ghost"); !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusNotFound {
		t.Errorf("unknown service: %v", err)
	}
	if _, err := c.Schedules(context.Background(), "Not_A_Name"); !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusBadRequest {
		t.Errorf("bad name: %v", err)
	}
}
