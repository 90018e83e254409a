// Package bench measures Quantum1Net's performance. Its chain benchmark
// runs a network of q1 nodes, each its own OS process as in production,
// drives it with concurrent bank sends over CometBFT's RPC, and in the same
// run drives CometBFT's example kvstore application on the same topology,
// config and load, as the ceiling the engine could reach: the ratio of the
// two is the number that means something on a shared, noisy machine.
package bench

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"time"

	sdkmath "cosmossdk.io/math"
	"golang.org/x/sync/errgroup"

	"github.com/quantum1net/q1/internal/devnet"
	"github.com/quantum1net/q1/internal/loadgen"
)

// ChainResult is the outcome of a chain benchmark.
type ChainResult struct {
	Config  ChainConfig
	Machine Machine
	Started time.Time
	// Q1 is the q1 network driven with bank sends.
	Q1 EngineResult
	// KVStore is CometBFT's kvstore network driven the same way.
	KVStore EngineResult
	// Ratio is Q1's best committed sends per second over KVStore's best
	// txs per second.
	Ratio float64
}

// EngineResult is what was measured on one network.
type EngineResult struct {
	// Engine names the application: "q1" or "kvstore".
	Engine string
	// Workload says what each tx does.
	Workload string
	// TxBytes is the size of one tx.
	TxBytes int
	// LoadAvg is the machine's load average when this network started.
	LoadAvg string
	// SignedLate is how many txs were signed during the load because the
	// pre-signed ones ran out (which takes the driver's CPU from the nodes).
	SignedLate int64
	// Steps are the measurements, one per closed-loop depth, in order.
	Steps []Step
}

// MinSteadyBlocks is how many blocks a step's window must hold for its
// rate to count as the engine's result: over fewer, a block's irregular
// timing (an extra round, say) swings the rate.
const MinSteadyBlocks = 10

// Best returns the step with the highest committed rate among those whose
// window held at least MinSteadyBlocks blocks, or among all steps if none
// did.
func (e EngineResult) Best() Step {
	var best, bestSteady Step
	for _, s := range e.Steps {
		if s.Throughput.PerSecond > best.Throughput.PerSecond || best.Depth == 0 {
			best = s
		}
		if s.Throughput.Blocks >= MinSteadyBlocks &&
			(s.Throughput.PerSecond > bestSteady.Throughput.PerSecond || bestSteady.Depth == 0) {
			bestSteady = s
		}
	}
	if bestSteady.Depth != 0 {
		return bestSteady
	}
	return best
}

// Step is one measurement: warm-up, window, drain at one depth.
type Step struct {
	// Depth is how many txs each sender could have in flight.
	Depth int
	// Throughput is the committed rate over the measurement window.
	Throughput Throughput
	// Latency is submit-to-commit of the txs submitted in the window.
	Latency Latencies
	// Submitted is how many txs the nodes' mempools took during the step.
	Submitted int64
	// Refusals counts broadcasts that were refused and retried, by reason;
	// RefusalExamples holds the first message of each reason.
	Refusals        map[string]int
	RefusalExamples map[string]string
	// Uncommitted is how many submitted txs were still not seen committed
	// when the step ended (after a drain of up to drainTimeout).
	Uncommitted int
	// NodeCPU is the CPU the nodes' processes used during the window, in
	// cores (CPU seconds per second, all nodes together); DriverCPU is the
	// same for the benchmark's own process (senders and block watcher).
	// Both are 0 where the OS does not tell (they are read on Linux).
	NodeCPU, DriverCPU float64
}

// engine is one kind of network the benchmark runs.
type engine struct {
	name     string
	workload string
	kvstore  bool
}

var (
	q1Engine      = engine{name: "q1", workload: "bank send, 1uqc, signed secp256k1"}
	kvstoreEngine = engine{name: "kvstore", workload: "kvstore write key=value", kvstore: true}
)

const (
	// chainID is the benchmark networks' chain id.
	chainID = "q1-bench"
	// presignRate sizes the pool of bank sends signed before the load: the
	// rate, in txs per second, the pool lasts through warm-up and window.
	presignRate = 3000
	// maxPresigned bounds the pool (~300 bytes a send), for long runs.
	maxPresigned = 250_000
	// drainTimeout bounds the wait, after the window, for the txs still in
	// flight to commit.
	drainTimeout = time.Minute
	// senderFunds is each load account's genesis balance in uqc.
	senderFunds = 1_000_000_000_000
)

// RunChain runs the chain benchmark: first the q1 network, then the
// kvstore network, one after the other on the same machine. It reports
// progress lines to progress as it goes.
func RunChain(ctx context.Context, cfg ChainConfig, progress io.Writer) (*ChainResult, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if progress == nil {
		progress = io.Discard
	}
	dir := cfg.Dir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "q1-bench-")
		if err != nil {
			return nil, fmt.Errorf("create a directory for the networks: %w", err)
		}
		dir = tmp
		if !cfg.Keep && !cfg.CPUProfile {
			defer os.RemoveAll(dir)
		}
	}
	if cfg.Dir != "" || cfg.Keep || cfg.CPUProfile {
		fmt.Fprintf(progress, "Networks, configs and node logs are kept in %s\n", dir)
	}

	res := &ChainResult{Config: cfg, Machine: ThisMachine(), Started: time.Now()}
	accounts := loadgen.NewAccounts(cfg.Senders*slices.Max(cfg.Depths), 1)
	sample, err := sampleSendSize(accounts)
	if err != nil {
		return nil, err
	}
	r := runner{cfg: cfg, dir: dir, progress: progress, accounts: accounts, txBytes: sample}
	if slices.Contains(cfg.Engines, q1Engine.name) {
		if res.Q1, err = r.run(ctx, q1Engine); err != nil {
			return nil, fmt.Errorf("q1 network: %w", err)
		}
	}
	if slices.Contains(cfg.Engines, kvstoreEngine.name) {
		if res.KVStore, err = r.run(ctx, kvstoreEngine); err != nil {
			return nil, fmt.Errorf("kvstore network: %w", err)
		}
	}
	res.Ratio = Ratio(res.Q1.Best().Throughput.PerSecond, res.KVStore.Best().Throughput.PerSecond)
	return res, nil
}

// sampleSendSize signs one bank send like those of the load, to size the
// kvstore txs alike. Signing needs no node.
func sampleSendSize(accounts []*loadgen.Account) (int, error) {
	c, err := loadgen.NewClient("tcp://127.0.0.1:1", chainID)
	if err != nil {
		return 0, err
	}
	a := *accounts[0]
	a.Number, a.Sequence = 1000, 1000 // typical varint sizes
	tx, err := c.SignSend(&a, accounts[len(accounts)-1].Address, sdkmath.OneInt())
	if err != nil {
		return 0, fmt.Errorf("sign a sample send: %w", err)
	}
	return len(tx), nil
}

// runner runs one network at a time with the same settings.
type runner struct {
	cfg      ChainConfig
	dir      string
	progress io.Writer
	accounts []*loadgen.Account
	txBytes  int
}

// generate lays out e's network under dir/e.name, on free ports.
func (r *runner) generate(ctx context.Context, e engine) (*devnet.Network, error) {
	ports, err := freePorts(5 * r.cfg.Nodes)
	if err != nil {
		return nil, err
	}
	homes := make([]string, r.cfg.Nodes)
	for i := range homes {
		homes[i] = filepath.Join(r.dir, e.name, fmt.Sprintf("node%d", i))
	}
	var funded []devnet.Funding
	if !e.kvstore {
		for _, a := range r.accounts {
			funded = append(funded, devnet.Funding{Address: a.Address, Amount: sdkmath.NewInt(senderFunds)})
		}
	}
	net, err := devnet.Generate(ctx, devnet.Options{
		ChainID: chainID,
		Homes:   homes,
		Ports: func(i int) devnet.Ports {
			p := ports[5*i:]
			return devnet.Ports{RPC: p[0], P2P: p[1], GRPC: p[2], HTTP: p[3], Gateway: p[4]}
		},
		BlockTime:     r.cfg.BlockTime,
		ExtraAccounts: funded,
	})
	if err != nil {
		return nil, fmt.Errorf("generate the network: %w", err)
	}
	if e.kvstore {
		if err := writeKVStoreGenesis(net); err != nil {
			return nil, err
		}
	}
	for _, n := range net.Nodes {
		if err := editCometConfig(n.Home, r.cfg.CometSettings); err != nil {
			return nil, err
		}
	}
	return net, nil
}

// nodeArgs is the command line of one node of e.
func nodeArgs(e engine, cpuProfile bool) func(devnet.Node) []string {
	if e.kvstore {
		return func(n devnet.Node) []string { return []string{"bench", KVStoreNodeCommand, n.Home} }
	}
	return func(n devnet.Node) []string {
		args := []string{"start", "--home", n.Home,
			"--http", devnet.HostPort(n.HTTP), "--gateway", devnet.HostPort(n.Gateway)}
		if cpuProfile {
			args = append(args, "--cpu-profile", filepath.Join(n.Home, "cpu.prof"))
		}
		return args
	}
}

// KVStoreNodeCommand is the hidden `q1 bench` subcommand that runs one
// kvstore node (RunKVStoreNode) on the home given as its argument.
const KVStoreNodeCommand = "kvstore-node"

// run measures one network from generation to shutdown: one step per depth.
func (r *runner) run(ctx context.Context, e engine) (EngineResult, error) {
	res := EngineResult{Engine: e.name, Workload: e.workload, LoadAvg: loadAvg(), TxBytes: r.txBytes}
	label := fmt.Sprintf("%s, %d node(s)", e.name, r.cfg.Nodes)
	fmt.Fprintf(r.progress, "[%s] generating the network…\n", label)
	net, err := r.generate(ctx, e)
	if err != nil {
		return res, err
	}
	procs, err := startNodes(net, r.cfg.Binary, nodeArgs(e, r.cfg.CPUProfile))
	if err != nil {
		return res, err
	}
	defer procs.stop(20 * time.Second)
	fmt.Fprintf(r.progress, "[%s] starting the nodes…\n", label)
	startCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	err = procs.waitForHeight(startCtx, 2)
	cancel()
	if err != nil {
		return res, err
	}

	clients, err := rpcClients(net, r.cfg.Senders)
	if err != nil {
		return res, err
	}
	var work workload
	var bank *bankWorkload
	if e.kvstore {
		work = newKVWorkload(r.cfg.Senders, r.txBytes)
	} else {
		if bank, err = r.presign(net, label); err != nil {
			return res, err
		}
		work = bank
	}

	for _, depth := range r.cfg.Depths {
		m := measurement{cfg: r.cfg, label: fmt.Sprintf("%s, depth %d", label, depth), progress: r.progress, procs: procs,
			driver: newDriver(clients, work, r.cfg.Senders, depth, r.cfg.Rate)}
		m.watcher = newWatcher(clients[0], m.driver.committedTx)
		step, err := m.run(ctx)
		if err != nil {
			return res, err
		}
		res.Steps = append(res.Steps, step)
		if step.Uncommitted > 0 && bank != nil {
			// The senders' later txs follow the lost ones' sequences.
			return res, fmt.Errorf("%d bank sends were not committed within %s of the end of the depth-%d step; "+
				"the next step's pre-signed sends would be refused. See the nodes' logs with --keep",
				step.Uncommitted, drainTimeout, depth)
		}
	}
	if bank != nil {
		res.SignedLate = bank.signedLate.Load()
	}
	return res, nil
}

// presign reads every account's number and signs its share of the
// run's sends: at depth d the load spreads over d accounts per sender.
func (r *runner) presign(net *devnet.Network, label string) (*bankWorkload, error) {
	c, err := loadgen.NewClient(net.Nodes[0].RPC, net.ChainID)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(r.progress, "[%s] reading %d accounts…\n", label, len(r.accounts))
	if err := syncAccounts(c, r.accounts); err != nil {
		return nil, err
	}
	rate := float64(presignRate)
	if r.cfg.Rate > 0 {
		rate = min(rate, r.cfg.Rate)
	}
	step := (r.cfg.Warmup + r.cfg.Duration).Seconds()
	planned := func(slot int) float64 {
		n := 0.0
		for _, d := range r.cfg.Depths {
			if slot < d {
				n += rate*step/float64(r.cfg.Senders*d) + 2
			}
		}
		return n
	}
	slots := slices.Max(r.cfg.Depths)
	total := 0.0
	for j := range slots {
		total += planned(j) * float64(r.cfg.Senders)
	}
	scale := min(1, maxPresigned/total)
	perAccount := func(slot int) int { return int(math.Ceil(planned(slot) * scale)) }
	fmt.Fprintf(r.progress, "[%s] signing %.0f sends ahead of the load…\n", label, total*scale)
	began := time.Now()
	w, err := newBankWorkload(c, r.accounts, slots, perAccount)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(r.progress, "[%s] signed them in %s\n", label, time.Since(began).Round(100*time.Millisecond))
	return w, nil
}

// syncAccounts reads every account's number and sequence, a few at a time.
func syncAccounts(c *loadgen.Client, accounts []*loadgen.Account) error {
	var g errgroup.Group
	g.SetLimit(8)
	for _, a := range accounts {
		g.Go(func() error { return c.Sync(a) })
	}
	return g.Wait()
}
