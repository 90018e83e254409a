package e2e

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
)

// TestMetrics checks a node's /metrics: Prometheus text that promtool (and
// its linter) accept, with CometBFT's chain metrics in it.
func TestMetrics(t *testing.T) {
	n := startSingleNode(t)
	body, err := nodeAPI(n.http).Metrics(bg())
	apiFatal(t, "GET /metrics", err)
	for _, name := range []string{
		"cometbft_consensus_height", "cometbft_consensus_total_txs", "cometbft_mempool_size",
		"cometbft_consensus_validators", "go_goroutines",
	} {
		if !bytes.Contains(body, []byte("\n"+name)) {
			t.Errorf("/metrics has no %s", name)
		}
	}
	problems, err := promlint.New(bytes.NewReader(body)).Lint()
	if err != nil {
		t.Fatalf("promlint: %v", err)
	}
	for _, p := range problems {
		if !strings.HasPrefix(p.Metric, "cometbft_") && !strings.HasPrefix(p.Metric, "go_") {
			t.Errorf("promlint: %s: %s", p.Metric, p.Text)
		}
	}
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Log("promtool not installed (Debian package prometheus; .ci/run installs it): checked with promlint only")
		return
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(body)
	out, err := cmd.CombinedOutput()
	if err != nil {
		// promtool exits 3 for lint findings and 1 for errors; report ours, accept CometBFT's own names.
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			if line != "" && !strings.HasPrefix(line, "cometbft_") {
				t.Errorf("promtool check metrics: %s", line)
			}
		}
	}
}
