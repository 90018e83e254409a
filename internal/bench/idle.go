package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/quantum1net/q1/internal/devnet"
)

// IdleConfig says which idle benchmark to run: what one node costs its
// machine while nothing happens but blocks.
type IdleConfig struct {
	// Binary is the q1 executable the nodes run.
	Binary string
	// BlockTimes are the networks' block times, one run of each engine per
	// block time.
	BlockTimes []time.Duration
	// Warmup is how long a node runs after its second block before the
	// measurement starts; Duration is the measurement window.
	Warmup, Duration time.Duration
	// Dir holds the networks' homes, kept; empty for a temporary one.
	Dir string
}

// DefaultIdleConfig is the run documented in docs/benchmarks.md: the
// devnet's block time and a mainnet-like one.
func DefaultIdleConfig() IdleConfig {
	return IdleConfig{
		BlockTimes: []time.Duration{200 * time.Millisecond, time.Second},
		Warmup:     15 * time.Second,
		Duration:   60 * time.Second,
	}
}

// Validate reports the first setting that cannot work, naming its flag.
func (c IdleConfig) Validate() error {
	switch {
	case c.Binary == "":
		return errors.New("no q1 binary to run the nodes with")
	case len(c.BlockTimes) == 0:
		return errors.New("--block-time needs at least one value")
	case c.Warmup < 0:
		return fmt.Errorf("--warmup must not be negative, got %s", c.Warmup)
	case c.Duration < 10*time.Second:
		return fmt.Errorf("--duration must be at least 10s to average over blocks, got %s", c.Duration)
	}
	for _, bt := range c.BlockTimes {
		if bt < 10*time.Millisecond || bt > 10*time.Second {
			return fmt.Errorf("--block-time must be between 10ms and 10s, got %s", bt)
		}
	}
	return nil
}

// IdleRun is one node measured idle.
type IdleRun struct {
	Engine    string        `json:"engine"`
	BlockTime time.Duration `json:"block_time_ns"`
	// CPU is the node process's CPU time per second of the window, in
	// cores; Blocks is how many blocks it committed in the window.
	CPU    float64 `json:"cpu_cores"`
	Blocks int64   `json:"blocks"`
	// CPUPerBlock is CPU time per committed block.
	CPUPerBlock time.Duration `json:"cpu_per_block_ns"`
	// RSS is the process's resident memory at the end of the window, and
	// Threads its OS threads.
	RSS     int64  `json:"rss_bytes"`
	Threads int    `json:"threads"`
	LoadAvg string `json:"load_avg"`
}

// IdleResult is a whole idle benchmark.
type IdleResult struct {
	Config  IdleConfig `json:"config"`
	Machine Machine    `json:"machine"`
	Runs    []IdleRun  `json:"runs"`
}

// RunIdle measures, for each block time, a one-node kvstore network (the
// floor: CometBFT producing empty blocks) and a one-node q1 network (a
// validator registered as a sharer, whose node also runs the API, the
// gateway and its agents, with no service), one after the other. Progress goes to progress.
func RunIdle(ctx context.Context, cfg IdleConfig, progress io.Writer) (*IdleResult, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	dir := cfg.Dir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "q1-bench-idle-")
		if err != nil {
			return nil, fmt.Errorf("create a directory for the networks: %w", err)
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	res := &IdleResult{Config: cfg, Machine: ThisMachine()}
	for _, bt := range cfg.BlockTimes {
		for _, e := range []engine{kvstoreEngine, q1Engine} {
			run, err := idleRun(ctx, cfg, filepath.Join(dir, fmt.Sprintf("%s-%s", e.name, bt)), e, bt, progress)
			if err != nil {
				return nil, fmt.Errorf("%s at %s blocks: %w", e.name, bt, err)
			}
			res.Runs = append(res.Runs, run)
		}
	}
	return res, nil
}

func idleRun(ctx context.Context, cfg IdleConfig, dir string, e engine, bt time.Duration, progress io.Writer) (IdleRun, error) {
	run := IdleRun{Engine: e.name, BlockTime: bt}
	r := runner{cfg: ChainConfig{Nodes: 1, BlockTime: bt}, dir: dir}
	net, err := r.generate(ctx, e)
	if err != nil {
		return run, err
	}
	procs, err := startNodes(net, cfg.Binary, nodeArgs(e, false))
	if err != nil {
		return run, err
	}
	defer procs.stop(20 * time.Second)
	fmt.Fprintf(progress, "[%s, %s blocks] starting the node…\n", e.name, bt)
	startCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	err = procs.waitForHeight(startCtx, 2)
	cancel()
	if err != nil {
		return run, err
	}
	node := net.Nodes[0]
	if !e.kvstore {
		// A sharer's node, as q1 devnet registers it: its agent reports
		// each epoch and looks for audits.
		fmt.Fprintf(progress, "[%s, %s blocks] registering the node as a sharer…\n", e.name, bt)
		regCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		out, err := exec.CommandContext(regCtx, cfg.Binary, "sharer", "register", "--from", devnet.DefaultKeyName,
			"--home", node.Home, "--endpoint", node.Gateway, "--cpu", "2", "--memory", "4Gi", "--disk", "20Gi", "--egress", "100Gi",
			"--price", "cpu=400uqc/core-s,memory=500uqc/MiB-h,storage=50uqc/GiB-h,requests=1000uqc/1k,egress=5000uqc/GiB").CombinedOutput()
		cancel()
		if err != nil {
			return run, fmt.Errorf("register the node as a sharer: %v\n%s", err, out)
		}
	}
	fmt.Fprintf(progress, "[%s, %s blocks] warming up %s, then measuring %s…\n", e.name, bt, cfg.Warmup, cfg.Duration)
	if err := sleep(ctx, cfg.Warmup); err != nil {
		return run, err
	}
	h0, err := devnet.Height(ctx, node)
	if err != nil {
		return run, err
	}
	c0, err := procs.cpu()
	if err != nil {
		return run, err
	}
	t0 := time.Now()
	if err := sleep(ctx, cfg.Duration); err != nil {
		return run, err
	}
	c1, err := procs.cpu()
	if err != nil {
		return run, err
	}
	window := time.Since(t0)
	h1, err := devnet.Height(ctx, node)
	if err != nil {
		return run, err
	}
	run.CPU = (c1 - c0).Seconds() / window.Seconds()
	run.Blocks = h1 - h0
	if run.Blocks > 0 {
		run.CPUPerBlock = (c1 - c0) / time.Duration(run.Blocks)
	}
	run.RSS, run.Threads = processMemory(procs.sup.Pid(0))
	run.LoadAvg = loadAvg()
	return run, nil
}

// processMemory returns a process's resident bytes and thread count from
// /proc (0, 0 where the OS does not tell).
func processMemory(pid int) (rss int64, threads int) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		n, _ := strconv.ParseInt(f[0], 10, 64)
		switch k {
		case "VmRSS":
			rss = n * 1024
		case "Threads":
			threads = int(n)
		}
	}
	return rss, threads
}

// WriteTable prints the runs, and q1 / kvstore per block time.
func (r *IdleResult) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "BLOCK TIME\tENGINE\tCPU (cores)\tCPU / BLOCK\tBLOCKS\tRSS\tTHREADS\tq1 / kvstore CPU\tLOAD AVG")
	for i, run := range r.Runs {
		ratio := ""
		if run.Engine == q1Engine.name && i > 0 && r.Runs[i-1].Engine == kvstoreEngine.name && r.Runs[i-1].CPU > 0 {
			ratio = fmt.Sprintf("×%.1f", run.CPU/r.Runs[i-1].CPU)
		}
		fmt.Fprintf(tw, "%s\t%s\t%.3f\t%s\t%d\t%d MiB\t%d\t%s\t%s\n", run.BlockTime, run.Engine, run.CPU,
			run.CPUPerBlock.Round(10*time.Microsecond), run.Blocks, run.RSS>>20, run.Threads, ratio, run.LoadAvg)
	}
	return tw.Flush()
}

// WriteJSON prints the result as JSON.
func (r *IdleResult) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
