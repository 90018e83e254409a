package bench

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func sampleResult() *ChainResult {
	cfg := DefaultChainConfig()
	cfg.Depths = []int{4, 16}
	step := func(depth int, perSec float64, p50 time.Duration) Step {
		return Step{
			Depth:      depth,
			Throughput: Throughput{FromHeight: 10, ToHeight: 50, Elapsed: 20 * time.Second, Blocks: 40, Txs: int(perSec * 20), OK: int(perSec * 20), PerSecond: perSec},
			Latency:    Latencies{Count: 100, P50: p50, P90: 2 * p50, P99: 3 * p50, Max: 4 * p50},
			NodeCPU:    1.25, DriverCPU: 0.2,
		}
	}
	q1 := EngineResult{Engine: "q1", Workload: "bank send", TxBytes: 304, LoadAvg: "1.00 2.00 3.00",
		Steps: []Step{step(4, 800, 300*time.Millisecond), step(16, 900, 450*time.Millisecond)}}
	q1.Steps[1].Refusals = map[string]int{"mempool full": 3}
	kv := EngineResult{Engine: "kvstore", Workload: "kvstore write", TxBytes: 304,
		Steps: []Step{step(4, 2000, 200*time.Millisecond), step(16, 4500, 400*time.Millisecond)}}
	return &ChainResult{Config: cfg, Machine: Machine{OS: "linux", Arch: "amd64", CPUs: 2},
		Q1: q1, KVStore: kv, Ratio: Ratio(900, 4500)}
}

func TestWriteTable(t *testing.T) {
	var b bytes.Buffer
	if err := sampleResult().WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"Chain benchmark: 1 node(s), 100 senders, closed loop at depth 4, 16",
		"q1: bank send, 304 B per tx; load average before it: 1.00 2.00 3.00",
		"Best q1: 900 tx/s at depth 16 (p50 450ms, p99 1.35s).",
		"Best kvstore: 4500 tx/s at depth 16",
		"q1 / kvstore: 0.20 (q1 commits 20% of what CometBFT",
		"Goal of 2000 sends/s on one node: NOT met.",
		"Note (q1): depth 16: 3 broadcasts refused and retried: mempool full",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	var bestRows int
	for _, line := range strings.Split(out, "\n") {
		if strings.HasSuffix(strings.TrimSpace(line), "best") {
			bestRows++
		}
	}
	if bestRows != 2 {
		t.Errorf("%d rows marked best, want one per engine:\n%s", bestRows, out)
	}
}

func TestWriteTableOneEngine(t *testing.T) {
	r := sampleResult()
	r.KVStore, r.Ratio = EngineResult{}, 0
	var b bytes.Buffer
	if err := r.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	if out := b.String(); strings.Contains(out, "kvstore") || strings.Contains(out, "q1 / kvstore") {
		t.Errorf("a run without kvstore mentions it:\n%s", out)
	}
}

func TestWriteJSON(t *testing.T) {
	var b bytes.Buffer
	if err := sampleResult().WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Depths []int   `json:"depths"`
		Ratio  float64 `json:"ratio"`
		Q1     struct {
			BestDepth   int     `json:"best_depth"`
			TxPerSecond float64 `json:"tx_per_second"`
			Steps       []struct {
				Depth    int            `json:"depth"`
				P99MS    float64        `json:"p99_ms"`
				Refusals map[string]int `json:"refusals"`
			} `json:"steps"`
		} `json:"q1"`
	}
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, b.String())
	}
	if got.Ratio != 0.2 || got.Q1.BestDepth != 16 || got.Q1.TxPerSecond != 900 || len(got.Q1.Steps) != 2 ||
		got.Q1.Steps[1].P99MS != 1350 || got.Q1.Steps[1].Refusals["mempool full"] != 3 {
		t.Errorf("JSON = %s", b.String())
	}
}

func TestBestStep(t *testing.T) {
	tests := []struct {
		name   string
		rates  []float64
		blocks []int // per step; MinSteadyBlocks if missing
		want   int   // depth of the best
	}{
		{"no steps", nil, nil, 0},
		{"the highest rate", []float64{100, 300, 200}, nil, 2},
		{"the first of equals", []float64{300, 300}, nil, 1},
		{"all zero still picks one", []float64{0, 0}, nil, 1},
		{"a rate over too few blocks does not count", []float64{100, 300, 200}, []int{20, 2, 10}, 3},
		{"unless no step has enough", []float64{100, 300}, []int{2, 3}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e EngineResult
			for i, r := range tt.rates {
				blocks := MinSteadyBlocks
				if i < len(tt.blocks) {
					blocks = tt.blocks[i]
				}
				e.Steps = append(e.Steps, Step{Depth: i + 1, Throughput: Throughput{PerSecond: r, Blocks: blocks}})
			}
			if got := e.Best().Depth; got != tt.want {
				t.Errorf("Best().Depth = %d, want %d", got, tt.want)
			}
		})
	}
}
