package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// GoalSendsPerSecond is the throughput the chain aims for on one node.
const GoalSendsPerSecond = 2000

// WriteTable prints the result as a table for people.
func (r *ChainResult) WriteTable(w io.Writer) error {
	c := r.Config
	loop := fmt.Sprintf("%d senders, closed loop at depth %s (txs in flight per sender)", c.Senders, joinInts(c.Depths))
	if c.Rate > 0 {
		loop += fmt.Sprintf(", capped at %g tx/s", c.Rate)
	}
	fmt.Fprintf(w, "Chain benchmark: %d node(s), %s; per depth %s warm-up + %s window; block time %s\n",
		c.Nodes, loop, c.Warmup, c.Duration, c.BlockTime)
	if len(c.CometSettings) > 0 {
		fmt.Fprintf(w, "config.toml changes: %s\n", joinSettings(c.CometSettings))
	}
	m := r.Machine
	fmt.Fprintf(w, "Machine: %s/%s, %d CPUs", m.OS, m.Arch, m.CPUs)
	if m.CPUModel != "" {
		fmt.Fprintf(w, " (%s)", m.CPUModel)
	}
	fmt.Fprintln(w)
	for _, e := range r.engines() {
		fmt.Fprintf(w, "  %s: %s, %d B per tx; load average before it: %s\n", e.Engine, e.Workload, e.TxBytes, orDash(e.LoadAvg))
	}
	fmt.Fprintln(w)

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ENGINE\tDEPTH\tTX/S\tP50\tP90\tP99\tBLOCKS\tBLOCK TIME\tTXS/BLOCK\tCPU NODES\tCPU DRIVER\t")
	for _, e := range r.engines() {
		best := e.Best()
		for _, s := range e.Steps {
			t := s.Throughput
			mark := ""
			if s.Depth == best.Depth {
				mark = "best"
			}
			fmt.Fprintf(tw, "%s\t%d\t%.0f\t%s\t%s\t%s\t%d\t%s\t%.0f\t%s\t%s\t%s\n",
				e.Engine, s.Depth, t.PerSecond,
				round(s.Latency.P50), round(s.Latency.P90), round(s.Latency.P99),
				t.Blocks, round(t.AvgBlockTime()), t.AvgTxsPerBlock(), cores(s.NodeCPU), cores(s.DriverCPU), mark)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	for _, e := range r.engines() {
		b := e.Best()
		fmt.Fprintf(w, "Best %s: %.0f tx/s at depth %d (p50 %s, p99 %s).\n",
			e.Engine, b.Throughput.PerSecond, b.Depth, round(b.Latency.P50), round(b.Latency.P99))
	}
	if len(r.Q1.Steps) > 0 && len(r.KVStore.Steps) > 0 {
		fmt.Fprintf(w, "q1 / kvstore: %.2f (q1 commits %.0f%% of what CometBFT with a trivial app commits here).\n",
			r.Ratio, 100*r.Ratio)
	}
	if q := r.Q1.Best(); c.Nodes == 1 && len(r.Q1.Steps) > 0 {
		verdict := "met"
		if q.Throughput.PerSecond < GoalSendsPerSecond {
			verdict = "NOT met"
		}
		fmt.Fprintf(w, "Goal of %d sends/s on one node: %s.\n", GoalSendsPerSecond, verdict)
	}
	for _, e := range r.engines() {
		for _, note := range e.notes() {
			fmt.Fprintf(w, "Note (%s): %s\n", e.Engine, note)
		}
	}
	return nil
}

// engines returns the engines that ran, q1 first.
func (r *ChainResult) engines() []EngineResult {
	var out []EngineResult
	for _, e := range []EngineResult{r.Q1, r.KVStore} {
		if len(e.Steps) > 0 {
			out = append(out, e)
		}
	}
	return out
}

// notes are the caveats a reader of e's numbers must know.
func (e EngineResult) notes() []string {
	var out []string
	for _, s := range e.Steps {
		if len(s.Refusals) > 0 {
			for _, k := range slices.Sorted(maps.Keys(s.Refusals)) {
				note := fmt.Sprintf("depth %d: %d broadcasts refused and retried: %s", s.Depth, s.Refusals[k], k)
				if ex := s.RefusalExamples[k]; ex != "" {
					note += fmt.Sprintf(" (first: %.200s)", ex)
				}
				out = append(out, note)
			}
		}
		if s.Uncommitted > 0 {
			out = append(out, fmt.Sprintf("depth %d: %d submitted txs were never seen committed", s.Depth, s.Uncommitted))
		}
		if s.Throughput.Failed > 0 {
			out = append(out, fmt.Sprintf("depth %d: %d txs were included but failed", s.Depth, s.Throughput.Failed))
		}
		if s.Throughput.Blocks < MinSteadyBlocks {
			out = append(out, fmt.Sprintf("depth %d: only %d blocks in the window, too few for a steady rate "+
				"(not eligible as best); use a longer --duration", s.Depth, s.Throughput.Blocks))
		}
	}
	if e.SignedLate > 0 {
		out = append(out, fmt.Sprintf("%d txs were signed during the load (the pre-signed pool ran out)", e.SignedLate))
	}
	return out
}

// WriteJSON prints the result as one JSON object, durations in
// milliseconds, for scripts.
func (r *ChainResult) WriteJSON(w io.Writer) error {
	c := r.Config
	out := jsonResult{
		Nodes: c.Nodes, Senders: c.Senders, Depths: c.Depths, Rate: c.Rate,
		WarmupMS: ms(c.Warmup), DurationMS: ms(c.Duration), BlockTimeMS: ms(c.BlockTime),
		Machine: r.Machine, Started: r.Started.UTC().Format(time.RFC3339),
		Q1: engineJSON(r.Q1), KVStore: engineJSON(r.KVStore), Ratio: r.Ratio,
	}
	for _, s := range c.CometSettings {
		out.CometSettings = append(out.CometSettings, s.String())
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

type jsonResult struct {
	Nodes         int         `json:"nodes"`
	Senders       int         `json:"senders"`
	Depths        []int       `json:"depths"`
	Rate          float64     `json:"rate_cap"`
	WarmupMS      float64     `json:"warmup_ms"`
	DurationMS    float64     `json:"duration_ms"`
	BlockTimeMS   float64     `json:"block_time_ms"`
	CometSettings []string    `json:"comet_settings,omitempty"`
	Machine       Machine     `json:"machine"`
	Started       string      `json:"started"`
	Q1            *jsonEngine `json:"q1,omitempty"`
	KVStore       *jsonEngine `json:"kvstore,omitempty"`
	Ratio         float64     `json:"ratio,omitempty"`
}

type jsonEngine struct {
	Engine      string     `json:"engine"`
	Workload    string     `json:"workload"`
	TxBytes     int        `json:"tx_bytes"`
	LoadAvg     string     `json:"load_avg,omitempty"`
	SignedLate  int64      `json:"signed_late"`
	BestDepth   int        `json:"best_depth"`
	TxPerSecond float64    `json:"tx_per_second"`
	Steps       []jsonStep `json:"steps"`
}

type jsonStep struct {
	Depth          int            `json:"depth"`
	TxPerSecond    float64        `json:"tx_per_second"`
	FromHeight     int64          `json:"from_height"`
	ToHeight       int64          `json:"to_height"`
	ElapsedMS      float64        `json:"elapsed_ms"`
	Blocks         int            `json:"blocks"`
	Txs            int            `json:"txs"`
	OK             int            `json:"ok"`
	Failed         int            `json:"failed"`
	AvgBlockTimeMS float64        `json:"avg_block_time_ms"`
	AvgTxsPerBlock float64        `json:"avg_txs_per_block"`
	LatencyCount   int            `json:"latency_count"`
	P50MS          float64        `json:"p50_ms"`
	P90MS          float64        `json:"p90_ms"`
	P99MS          float64        `json:"p99_ms"`
	MaxMS          float64        `json:"max_ms"`
	Submitted      int64          `json:"submitted"`
	Refusals       map[string]int `json:"refusals,omitempty"`
	Uncommitted    int            `json:"uncommitted"`
	NodeCPUCores   float64        `json:"node_cpu_cores"`
	DriverCPUCores float64        `json:"driver_cpu_cores"`
}

// engineJSON returns e for JSON, nil if it did not run.
func engineJSON(e EngineResult) *jsonEngine {
	if len(e.Steps) == 0 {
		return nil
	}
	best := e.Best()
	out := &jsonEngine{
		Engine: e.Engine, Workload: e.Workload, TxBytes: e.TxBytes, LoadAvg: e.LoadAvg,
		SignedLate: e.SignedLate, BestDepth: best.Depth, TxPerSecond: best.Throughput.PerSecond,
	}
	for _, s := range e.Steps {
		t, l := s.Throughput, s.Latency
		out.Steps = append(out.Steps, jsonStep{
			Depth: s.Depth, TxPerSecond: t.PerSecond, FromHeight: t.FromHeight, ToHeight: t.ToHeight,
			ElapsedMS: ms(t.Elapsed), Blocks: t.Blocks, Txs: t.Txs, OK: t.OK, Failed: t.Failed,
			AvgBlockTimeMS: ms(t.AvgBlockTime()), AvgTxsPerBlock: t.AvgTxsPerBlock(),
			LatencyCount: l.Count, P50MS: ms(l.P50), P90MS: ms(l.P90), P99MS: ms(l.P99), MaxMS: ms(l.Max),
			Submitted: s.Submitted, Refusals: s.Refusals, Uncommitted: s.Uncommitted,
			NodeCPUCores: s.NodeCPU, DriverCPUCores: s.DriverCPU,
		})
	}
	return out
}

// cores formats a CPU use in cores, "-" when unknown.
func cores(c float64) string {
	if c <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", c)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func joinInts(v []int) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = strconv.Itoa(x)
	}
	return strings.Join(parts, ", ")
}

func joinSettings(s []Setting) string {
	parts := make([]string, len(s))
	for i, x := range s {
		parts[i] = x.String()
	}
	return strings.Join(parts, ", ")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
