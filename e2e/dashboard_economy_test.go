package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quantum1net/q1/node/dashboard"
)

// TestDashboardEconomyShapes runs the pages that read the economy endpoints
// (usage, economics, earnings) against a fake API answering the shapes those
// endpoints are specified with, so the charts are checked before the
// endpoints are merged: one chart point per usage record, one bar per
// earnings tally, burn rate and time left in the services list.
func TestDashboardEconomyShapes(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("no %s on this machine (apt-get install chromium; .ci/run installs it)", chromiumPath)
	}
	const sharerA, sharerB = "q11fzvkcrdnw5ulw4w6jm0yfdwnmqgrqpaxx68st5", "q1156g6d928fwezc3wl7hawyz6cgqmm09yj69e3zk"
	var records []map[string]any
	for epoch := 1; epoch <= 6; epoch++ {
		for i, sh := range []string{sharerA, sharerB} {
			records = append(records, map[string]any{
				"service": "echo", "sharer": sh, "epoch": strconv.Itoa(epoch), "lease_id": strconv.Itoa(4 + i),
				"requests": strconv.Itoa((10 - 3*i) * epoch), "cpu_millis": "120", "egress_bytes": "2048",
				"counted_requests": strconv.Itoa((10 - 3*i) * epoch), "counted_cpu_millis": "120", "counted_egress_bytes": "2048",
				"charged": strconv.Itoa(1000 * epoch), "to_sharer": strconv.Itoa(900 * epoch), "protocol_share": strconv.Itoa(100 * epoch),
			})
		}
	}
	// Two records the chain capped: a forged claim cut to its lease's
	// bound, and a charge cut to the lease's fair share.
	records[len(records)-1]["caps"] = []map[string]any{
		{"kind": "lease_reserved", "component": "requests", "before": "1000000000000000", "after": "60000", "detail": "lease 5 reserves 100m CPU and served 1m0s of epoch 6"},
		{"kind": "lease_reserved", "component": "cpu", "before": "18446744073709551615", "after": "6000", "detail": "lease 5 reserves 100m CPU and served 1m0s of epoch 6"},
	}
	records[2]["caps"] = []map[string]any{
		{"kind": "fair_share", "component": "usage", "before": "912.500000000000000000", "after": "100.000000000000000000", "detail": "the service's spending ceiling"},
	}
	tally := func(service string, epoch int) map[string]any {
		return map[string]any{"service": service, "epoch": strconv.Itoa(epoch), "usage": "5000", "rent": "1000", "protocol_share": "600", "records": "2"}
	}
	var byEpoch, byService []map[string]any
	for e := 1; e <= 5; e++ {
		byEpoch = append(byEpoch, tally("", e))
	}
	byService = append(byService, tally("echo", 0), tally("hello", 0))
	manifest := `{"apiVersion":"q1/v1","name":"echo","code":{"abi":"q1-http/v1","wasm":"sha256:ab"},"permissions":{"owners":{"accounts":["` + sharerA + `"],"threshold":1},"callers":[{"paths":["/*"],"allow":"public"}],"logViewers":"owners","capabilities":{"log":true}},"placement":{"replicas":2},"resources":{"cpu":"100m","memory":"32Mi"},"pricing":{"cpuPerCoreSecond":"500uqc"}}`
	fixed := map[string]string{
		"GET /v1/status":                  `{"chain_id":"q1-fake","moniker":"fake","height":120,"latest_block_time":"2026-01-01T00:00:00Z"}`,
		"GET /v1/services":                `{"height":120,"services":[{"name":"echo","status":"active","version":1,"replicas":2,"escrow":"100000000"}]}`,
		"GET /v1/services/echo":           `{"name":"echo","status":"active","version":1,"hash":"sha256:cd","creator":"` + sharerA + `","created_height":3,"escrow":"100000000","manifest":` + manifest + `,"height":120}`,
		"GET /v1/services/echo/history":   `{"service":"echo","versions":[{"version":1,"hash":"sha256:cd","origin":"create","proposer":"` + sharerA + `","approvers":["` + sharerA + `"],"proposed_height":3,"activated_height":3,"manifest":` + manifest + `}]}`,
		"GET /v1/services/echo/placement": `{"service":"echo","wanted":2,"placed":0,"explanation":"","leases":[],"height":120}`,
		"GET /v1/services/echo/economics": `{"service":"echo","balance":"100000000","owed":"12.5","available":"99999987.5","burn_per_hour":"250000.0","low":false,"burning":true,"hours_left":"399.99","depleted":false}`,
		"GET /v1/services/echo/logs":      `the logs of echo are for its owners`,
		"GET /v1/auth/session":            `{"error":"not signed in"}`,
		"GET /v1/sharers/" + sharerA:      `{"address":"` + sharerA + `","status":"active","capacity":{"milli_cpu":2000,"memory_bytes":4294967296},"used":{},"free":{},"prices":{},"deny":{},"collateral":"1000000","lease_count":0,"leases":[],"epoch":{"number":7,"blocks_per_epoch":20},"height":120}`,
		"GET /v1/leases":                  `{"height":120,"leases":[]}`,
		"GET /v1/sharers":                 `{"height":120,"sharers":[{"address":"` + sharerA + `","status":"active","capacity":{"milli_cpu":2000},"used":{},"lease_count":0,"collateral":"1000000"}]}`,
		"GET /v1/validators":              `{"height":120,"bonded_tokens":"0","validators":[]}`,
		"GET /v1/supply":                  `{"height":120,"total":"1000","escrows":"100000000"}`,
		"GET /v1/epoch":                   `{"number":5,"blocks_per_epoch":20,"start_height":100,"height":120}`,
		"GET /v1/blocks":                  `{"height":120,"blocks":[{"height":120,"time":"2026-01-01T00:00:10Z","proposer":"x"},{"height":119,"time":"2026-01-01T00:00:09Z","proposer":"x"}]}`,
	}
	mux := http.NewServeMux()
	for pattern, body := range fixed {
		code := http.StatusOK
		if strings.HasSuffix(pattern, "/logs") || strings.HasSuffix(pattern, "/auth/session") {
			code = http.StatusUnauthorized
		}
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(code)
			io.WriteString(w, body)
		})
	}
	writeJSON := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(v)
	}
	mux.HandleFunc("GET /v1/services/echo/usage", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]any{"service": "hello", "records": records, "sums": []any{}})
	})
	mux.HandleFunc("GET /v1/sharers/{address}/earnings", func(w http.ResponseWriter, r *http.Request) {
		tallies := byEpoch
		if r.URL.Query().Get("by") == "service" {
			tallies = byService
		}
		writeJSON(w, map[string]any{"total": map[string]any{"usage": "25000", "rent": "5000", "protocol_share": "3000"}, "sums": tallies})
	})
	mux.HandleFunc("/v1/", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"error":"no API endpoint"}`, http.StatusNotFound)
	})
	mux.Handle("/", dashboard.Handler())
	srv := httptest.NewServer(mux)
	defer srv.Close()

	b := newBrowser(t, srv.URL+"/#/services")
	waitFor(t, 30*time.Second, "burn rate and time left in the services list", func() bool {
		row := b.js(`(document.querySelector('tr[data-service="echo"]') || {}).innerText || ''`)
		return strings.Contains(row, "0.25 QC") && strings.Contains(row, "16 days")
	})
	b.goTo("#/services/echo")
	want := fmt.Sprintf("%d/%d/%d", len(records), len(records), len(records))
	matches(t, "usage chart points (data-points/requests dots/spend dots)", func() string {
		return b.js(`(document.querySelector('[data-k="usage-chart"]') || {dataset: {}}).dataset.points || 'none'`) + "/" +
			strconv.Itoa(b.count(`[data-k="usage-chart"] .pt`)) + "/" + strconv.Itoa(b.count(`[data-k="spend-chart"] .pt`))
	}, func() string { return want })
	// Axes read as people expect: whole, distinct ticks for counts; amounts
	// in QC or uqc as their size asks, never in scientific notation.
	yTicks := func(chart string) []string {
		return strings.Split(b.js(`[...document.querySelectorAll('[data-k="`+chart+`"] text.tick[text-anchor="end"]')].map((e) => e.textContent).join('|')`), "|")
	}
	counts := yTicks("usage-chart")
	if len(counts) < 2 || len(counts) != len(slices.Compact(slices.Clone(counts))) {
		t.Errorf("requests axis ticks %q: want distinct ticks", counts)
	}
	for _, tick := range counts {
		if !regexp.MustCompile(`^[0-9][0-9,]*$`).MatchString(tick) {
			t.Errorf("requests axis tick %q is not a whole number", tick)
		}
	}
	for _, tick := range yTicks("spend-chart") {
		if !regexp.MustCompile(`^[0-9][0-9,]*(\.[0-9]+)?$`).MatchString(tick) {
			t.Errorf("spend axis tick %q is not a plain amount", tick)
		}
	}
	if label := b.js(`document.querySelector('[data-k="spend-chart"]').getAttribute('aria-label')`); label != "spend (uqc)" && label != "spend (QC)" {
		t.Errorf("spend axis label %q, want its unit", label)
	}
	// The caps, newest record first, each named with what it changed.
	matches(t, "caps applied", func() string {
		return b.js(`[...document.querySelectorAll('[data-k="usage-caps"] tr[data-record]')].map((r) => r.dataset.record + ': ' + r.cells[4].innerText.replaceAll('\n', '; ')).join(' | ')`)
	}, func() string {
		return "6-5: lease_reserved (requests 1,000,000,000,000,000 → 60,000); lease_reserved (cpu 18,446,744,073,709,551,615 → 6,000) | " +
			"2-4: fair_share (usage 912.5 → 100 uqc)"
	})
	if title := b.js(`document.querySelector('[data-k="usage-caps"] tr[data-record="6-5"] .cap').title`); !strings.Contains(title, "reserves 100m CPU") {
		t.Errorf("a cap's title is %q, want its detail", title)
	}
	b.screenshot("sample-service-usage")
	b.goTo("#/sharers/" + sharerA)
	matches(t, "earnings bars and total", func() string {
		return strconv.Itoa(b.count(`[data-k="earnings-chart"] .pt`)) + " " + b.value(`[data-k="earned-total"]`)
	}, func() string { return strconv.Itoa(len(byEpoch)) + " 0.027 QC" })
	b.screenshot("sample-sharer-earnings")
	// Earned this day: every tally's epoch is within the last day of
	// 20-block epochs at one block per second.
	b.goTo("#/")
	matches(t, "earned this day (uqc)", func() string { return b.value(`[data-k="earned-today"]`) }, func() string {
		return strconv.Itoa(len(byEpoch) * (5000 + 1000 - 600))
	})
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range b.problems {
		t.Errorf("browser console: %s", p)
	}
}
