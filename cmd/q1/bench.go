package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/quantum1net/q1/internal/bench"
)

// benchCmd is `q1 bench`: performance measurements of this build on this
// machine, documented with their results in docs/benchmarks.md.
func benchCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure Quantum1Net's performance on this machine",
		Long: `Measure Quantum1Net's performance on this machine. Each benchmark builds what it
needs in a temporary directory, runs it, prints what it measured and cleans up.
docs/benchmarks.md records the results and how they were obtained.`,
		// Benchmarks use no node home or client config: skip the root's
		// pre-run, which would create ~/.q1 if it did not exist.
		PersistentPreRunE: func(*cobra.Command, []string) error { return nil },
	}
	cmd.AddCommand(benchChainCmd(), benchIdleCmd(), benchKVStoreNodeCmd())
	return cmd
}

func benchChainCmd() *cobra.Command {
	cfg := bench.DefaultChainConfig()
	var (
		settings []string
		output   string
	)
	cmd := &cobra.Command{
		Use:   "chain",
		Short: "Committed bank sends per second and submit-to-commit latency, against CometBFT's kvstore",
		Long: `Measure the chain: start a network of --nodes q1 validators (each a 'q1 start'
process on localhost, configured as 'q1 devnet' does), fund the load's accounts
in genesis, and drive it with bank sends over CometBFT's RPC (broadcast_tx_sync)
from --senders concurrent senders. Each sender keeps at most DEPTH txs
submitted but not yet committed, each from its own account (a closed loop);
--rate caps the total submission rate. For each --depth in turn, on the same
network: after --warmup, for --duration, it counts the successful txs in the
blocks committed and divides by the time between those blocks' headers, and
records every tx's time from submission until a block holding it was seen on
node 0 (polled every 10ms). The best depth is the network's result.

Then it runs CometBFT's example kvstore application on the same topology,
config.toml and load, with key=value txs the size of a send: the ceiling the
engine is compared with. The two run one after the other, so the ratio holds
on a busy machine where the absolute numbers do not. docs/benchmarks.md
explains the method and records results.

Progress goes to stderr, the result table (or JSON) to stdout.`,
		Example: `  q1 bench chain
  q1 bench chain --nodes 4 --depth 2,4,8 --duration 60s
  q1 bench chain --engine q1 --depth 4 --cpu-profile
  q1 bench chain --rate 500 -o json
  q1 bench chain --comet-set consensus.timeout_commit=500ms --keep`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, s := range settings {
				st, err := bench.ParseSetting(s)
				if err != nil {
					return fmt.Errorf("--comet-set: %w", err)
				}
				cfg.CometSettings = append(cfg.CometSettings, st)
			}
			return runBench(cmd, output, func(ctx context.Context, bin string) (benchResult, error) {
				cfg.Binary = bin
				return bench.RunChain(ctx, cfg, cmd.ErrOrStderr())
			})
		},
	}
	f := cmd.Flags()
	f.IntVar(&cfg.Nodes, "nodes", cfg.Nodes, "validators in each network (1 and 4 are documented)")
	f.IntVar(&cfg.Senders, "senders", cfg.Senders, "concurrent senders, each with its own account")
	f.IntSliceVar(&cfg.Depths, "depth", cfg.Depths, "closed-loop depths to run, one step each: txs each sender may have submitted and not yet committed")
	f.Float64Var(&cfg.Rate, "rate", cfg.Rate, "cap on all senders' submissions, in txs per second (0: none)")
	f.DurationVar(&cfg.Warmup, "warmup", cfg.Warmup, "load before each depth's measurement starts")
	f.DurationVar(&cfg.Duration, "duration", cfg.Duration, "each depth's measurement window")
	f.DurationVar(&cfg.BlockTime, "block-time", cfg.BlockTime, "CometBFT timeout_commit of both networks")
	f.StringArrayVar(&settings, "comet-set", nil, "change both networks' config.toml, KEY=VALUE (repeatable), e.g. mempool.recheck=false")
	f.StringVar(&cfg.Dir, "dir", "", "directory for the networks' homes, kept after the run (default: a temporary one, removed)")
	f.StringSliceVar(&cfg.Engines, "engine", cfg.Engines, "networks to run: q1, kvstore, or both (needed for the ratio)")
	f.BoolVar(&cfg.Keep, "keep", false, "keep the networks' homes and node logs after the run")
	f.BoolVar(&cfg.CPUProfile, "cpu-profile", false, "each q1 node writes a CPU profile to HOME/cpu.prof (implies --keep)")
	f.StringVarP(&output, "output", "o", "text", "output format: text or json")
	return cmd
}

func benchIdleCmd() *cobra.Command {
	cfg := bench.DefaultIdleConfig()
	var output string
	cmd := &cobra.Command{
		Use:   "idle",
		Short: "What an idle node costs its machine (CPU, memory), against CometBFT's kvstore at the same block time",
		Long: `Measure what a node costs while nothing happens but blocks: for each --block-time,
start a one-validator network of CometBFT's example kvstore application (the floor:
consensus producing empty blocks) and then a one-validator q1 network (a 'q1 start'
process as 'q1 devnet' runs it, registered as a sharer: chain, HTTP API, gateway and
the node's agents, with no service), each its own process. After --warmup, for --duration, it reads the
process's CPU time and, at the end, its resident memory and threads from /proc.
The two run one after the other on the same machine, so q1 / kvstore holds where the
absolute figures move with the machine's load. docs/benchmarks.md records results.

Progress goes to stderr, the table (or JSON) to stdout.`,
		Example: `  q1 bench idle
  q1 bench idle --block-time 1s --duration 2m -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBench(cmd, output, func(ctx context.Context, bin string) (benchResult, error) {
				cfg.Binary = bin
				return bench.RunIdle(ctx, cfg, cmd.ErrOrStderr())
			})
		},
	}
	f := cmd.Flags()
	f.DurationSliceVar(&cfg.BlockTimes, "block-time", cfg.BlockTimes, "block times to run, one pair of networks each")
	f.DurationVar(&cfg.Warmup, "warmup", cfg.Warmup, "how long each node runs before the measurement")
	f.DurationVar(&cfg.Duration, "duration", cfg.Duration, "the measurement window")
	f.StringVar(&cfg.Dir, "dir", "", "directory for the networks' homes, kept after the run (default: a temporary one, removed)")
	f.StringVarP(&output, "output", "o", "text", "output format: text or json")
	return cmd
}

// benchResult is what a benchmark prints: a table for people, or JSON.
type benchResult interface {
	WriteTable(io.Writer) error
	WriteJSON(io.Writer) error
}

// runBench runs a benchmark with this q1 binary for its nodes until it
// ends or the user interrupts it, and prints its result as output asks
// (progress and errors on stderr).
func runBench(cmd *cobra.Command, output string, run func(ctx context.Context, binary string) (benchResult, error)) error {
	if output != "text" && output != "json" {
		return fmt.Errorf("--output must be text or json, got %q", output)
	}
	bin, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find the q1 binary to run the nodes with: %w", err)
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := run(ctx, bin)
	if err != nil {
		return err
	}
	if output == "json" {
		return res.WriteJSON(cmd.OutOrStdout())
	}
	fmt.Fprintln(cmd.ErrOrStderr())
	return res.WriteTable(cmd.OutOrStdout())
}

// benchKVStoreNodeCmd runs one node of the benchmark's kvstore network; the
// chain benchmark starts it as a process of its own, as it does 'q1 start'.
func benchKVStoreNodeCmd() *cobra.Command {
	return &cobra.Command{
		Use:    bench.KVStoreNodeCommand + " HOME",
		Short:  "Run CometBFT with its kvstore example app on HOME (used by 'q1 bench chain')",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return bench.RunKVStoreNode(ctx, args[0], cmd.ErrOrStderr())
		},
	}
}
