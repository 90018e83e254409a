package e2e

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/quantum1net/q1/app"
	q1client "github.com/quantum1net/q1/client"
)

// TestScheduledJobs deploys examples/ticker (a schedule every minute) on a
// one-node devnet and waits until q1 service status shows a run of the
// schedule by the node's sharer, with status 200: the guest counted it, a
// caller forging X-Q1-Schedule is refused, the node API's merged view
// agrees, and the run is in the service's logs. A minute tick is real time:
// the manifest's interval floor is not a network parameter
// (docs/architecture.md "Scheduled jobs").
func TestScheduledJobs(t *testing.T) {
	params := app.DevnetParams()
	params.Sharers.AckTimeoutBlocks = 1200 // a cold compile on a loaded machine
	tn := startTestnet(t, netOptions{nodes: 1, params: &params})
	tn.registerSharers(t)
	me := strings.TrimSpace(first(tn.q1(t, 0, "keys", "show", "default", "-a")))
	if out, errOut, code := tn.q1(t, 0, "service", "deploy", "-f", "../examples/ticker/service.yaml",
		"--wasm", exampleWasm(t, "ticker"), "--from", "default", "--deposit", "100QC"); code != 0 {
		t.Fatalf("deploy: %s%s", out, errOut)
	}
	gw := tn.net.Nodes[0].Gateway
	waitServed(t, 2*time.Minute, "ticker", []string{gw})

	// A caller cannot pass for the schedule.
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := gateway(gw, c).Call(bg(), q1client.CallRequest{Service: "ticker", Method: "POST", Path: "/tasks/tick",
		Header: http.Header{"X-Q1-Schedule": {"0"}}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a caller's POST /tasks/tick with X-Q1-Schedule: %d %s", resp.StatusCode, b)
	}

	var s q1client.Service
	waitFor(t, 3*time.Minute, "q1 service status to show a run of the schedule", func() bool {
		s = tn.serviceStatus(t, "ticker")
		return len(s.Schedules) == 1 && s.Schedules[0].LastRun != nil && !s.Schedules[0].LastRun.Running
	})
	st := s.Schedules[0]
	if r := st.LastRun; r.Status != 200 || r.Node != me || r.Rank != 0 || r.Tick.Second() != 0 || st.Cron != "* * * * *" || st.Path != "/tasks/tick" {
		t.Fatalf("schedule state %+v, last run %+v (want 200 on %s)", st, r, me)
	}
	out, errOut, code := tn.q1(t, 0, "service", "status", "ticker")
	if code != 0 || !strings.Contains(out, `[0] "* * * * *" POST /tasks/tick: last run `) || !strings.Contains(out, " on "+me+": 200 in ") {
		t.Fatalf("q1 service status ticker: %s%s", out, errOut)
	}
	if code, body, _, err := call(c, gw, "GET", "ticker", "/", ""); err != nil || code != 200 || body == "ticks: 0\n" {
		t.Fatalf("GET /: %d %q %v", code, body, err)
	}
	merged, err := nodeAPI(tn.net.Nodes[0].HTTP).Schedules(bg(), "ticker")
	apiFatal(t, "GET /v1/services/ticker/schedules", err)
	if len(merged.Schedules) != 1 || merged.Schedules[0].LastRun == nil || merged.Schedules[0].LastRun.Node != me {
		t.Fatalf("the node API's schedules: %+v", merged)
	}
	waitFor(t, 30*time.Second, "the run in the service's logs", func() bool {
		out, _, code := tn.q1(t, 0, "service", "logs", "ticker")
		return code == 0 && strings.Contains(out, "schedule 0 (* * * * *) POST /tasks/tick for tick ") && strings.Contains(out, "msg=tick")
	})
}
