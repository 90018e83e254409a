package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/quantum1net/q1/core/qc"
	"github.com/quantum1net/q1/internal/devnet"
)

func devnetCmd() *cobra.Command {
	var (
		nodes     int
		dir       string
		basePort  int
		blockTime time.Duration
		chainID   string
		restart   string
	)
	cmd := &cobra.Command{
		Use:   "devnet",
		Short: "Start a local multi-node network (4 validators by default)",
		Long: `Start a local Quantum1Net network: N validators, each a separate 'q1 start'
process with its own home in DIR/nodeI and a funded "default" account key
(test keyring, unencrypted). It waits until blocks are produced, prints every
node's addresses, and writes DIR/devnet.json for scripts.

Node i listens on BASE+10i (CometBFT RPC), +1 (P2P), +2 (gRPC), +3 (HTTP API)
and +4 (gateway). Each node's output goes to DIR/nodeI/node.log.

When one node's process dies (try kill -9 on it to watch failover), the
others keep running; bring it back with 'q1 devnet restart NODE' from another
terminal, or start with --restart on-failure to have it restarted after a
short delay. 'q1 devnet status' lists the nodes and their processes.

Ctrl-C stops every node cleanly. Running q1 devnet again on the same DIR
resumes the same network where it stopped; remove DIR for a fresh one.`,
		Example: `  q1 devnet
  q1 devnet --nodes 3 --dir /tmp/q1net --base-port 36600
  q1 devnet --restart on-failure`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if restart != restartNever && restart != restartOnFailure {
				return fmt.Errorf("--restart must be %q or %q, got %q", restartNever, restartOnFailure, restart)
			}
			return runDevnet(ctx, cmd.OutOrStdout(), cmd.ErrOrStderr(), devnetOptions{
				nodes: nodes, dir: dir, basePort: basePort, blockTime: blockTime, chainID: chainID, restart: restart,
			})
		},
	}
	cmd.Flags().IntVar(&nodes, "nodes", 4, "number of validator nodes")
	cmd.Flags().StringVar(&dir, "dir", ".q1-devnet", "directory holding the nodes' homes")
	cmd.Flags().IntVar(&basePort, "base-port", 26600, "first port; node i uses BASE+10i … BASE+10i+4")
	cmd.Flags().DurationVar(&blockTime, "block-time", 200*time.Millisecond, "target time between blocks")
	cmd.Flags().StringVar(&chainID, "chain-id", "q1-devnet", "chain id of a new network")
	cmd.Flags().StringVar(&restart, "restart", restartNever, "what to do when a node's process dies: never (restart it with 'q1 devnet restart NODE') or on-failure (restart it after a delay)")
	cmd.AddCommand(devnetStatusCmd(), devnetNodeCmd("stop", "Stop one node of a running q1 devnet (the others keep running)"),
		devnetNodeCmd("restart", "Restart one node of a running q1 devnet (start it if it is stopped)"))
	return cmd
}

// Restart policies of q1 devnet.
const (
	restartNever     = "never"
	restartOnFailure = "on-failure"
)

// restartDelay is how long --restart on-failure waits before it starts a
// dead node again: long enough to watch the network fail over.
const restartDelay = 10 * time.Second

type devnetOptions struct {
	nodes     int
	dir       string
	basePort  int
	blockTime time.Duration
	chainID   string
	restart   string
}

func runDevnet(ctx context.Context, stdout, stderr io.Writer, o devnetOptions) error {
	if o.nodes < 1 || o.nodes > 50 {
		return fmt.Errorf("--nodes must be between 1 and 50, got %d", o.nodes)
	}
	if o.basePort < 1024 || o.basePort+10*o.nodes > 65535 {
		return fmt.Errorf("--base-port %d leaves no room for %d nodes (each takes 10 ports below 65536)", o.basePort, o.nodes)
	}
	dir, err := filepath.Abs(o.dir)
	if err != nil {
		return err
	}
	net, err := devnet.Load(dir)
	switch {
	case err == nil:
		fmt.Fprintf(stderr, "Resuming the %d-node network %q in %s\n", len(net.Nodes), net.ChainID, dir)
	case errors.Is(err, fs.ErrNotExist):
		if entries, _ := os.ReadDir(dir); len(entries) > 0 {
			return fmt.Errorf("%s is not empty and holds no %s: choose another --dir or remove it", dir, devnet.ManifestFile)
		}
		fmt.Fprintf(stderr, "Creating a %d-node network %q in %s\n", o.nodes, o.chainID, dir)
		homes := make([]string, o.nodes)
		for i := range homes {
			homes[i] = filepath.Join(dir, fmt.Sprintf("node%d", i))
		}
		net, err = devnet.Generate(ctx, devnet.Options{
			ChainID:        o.chainID,
			Homes:          homes,
			Ports:          devnet.PortsFrom(o.basePort),
			BlockTime:      o.blockTime,
			AccountBalance: localAccountBalance,
			SelfStake:      localSelfStake,
		})
		if err != nil {
			return err
		}
		if err := net.Save(dir); err != nil {
			return err
		}
	default:
		return err
	}

	binary, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find the q1 binary: %w", err)
	}
	sup := devnet.NewSupervisor(binary, net)
	sup.OnExit = func(i int, err error) { nodeDied(ctx, stderr, sup, o, i, err) }
	stopControl, err := sup.ServeControl(ctx, dir)
	if err != nil {
		return err
	}
	defer stopControl()
	defer func() {
		fmt.Fprintln(stderr, "Stopping the nodes…")
		sup.StopAll(15 * time.Second)
		fmt.Fprintln(stderr, "All nodes stopped.")
	}()
	for i := range net.Nodes {
		if err := sup.Start(i); err != nil {
			return err
		}
	}
	if err := waitForBlocks(ctx, stderr, sup); err != nil {
		return err
	}
	if err := registerSharers(ctx, stderr, net); err != nil {
		return err
	}
	services, err := deployExamples(ctx, stderr, dir, net)
	if err != nil {
		return err
	}
	if len(services) > 0 {
		if err := waitServing(ctx, stderr, net.Nodes[0].Gateway, services); err != nil {
			return err
		}
	}
	printDevnet(stdout, dir, net, services, self())

	// Serve until Ctrl-C; a node that dies is reported by nodeDied.
	<-ctx.Done()
	return nil
}

// nodeDied tells the user that node i's process ended without being asked
// to, where its log is and how to bring it back, and restarts it after
// restartDelay under --restart on-failure. The other nodes keep running.
func nodeDied(ctx context.Context, stderr io.Writer, sup *devnet.Supervisor, o devnetOptions, i int, err error) {
	if ctx.Err() != nil {
		return
	}
	n := sup.Net.Nodes[i]
	how := "exited cleanly"
	if err != nil {
		how = err.Error()
	}
	fmt.Fprintf(stderr, "node %s exited (%s); its log: %s\n", n.Name, how, sup.LogPath(i))
	if o.restart != restartOnFailure {
		fmt.Fprintf(stderr, "The other nodes keep running. Bring %s back with: %s devnet restart %s --dir %s\n", n.Name, self().Cmd, n.Name, o.dir)
		return
	}
	fmt.Fprintf(stderr, "The other nodes keep running; restarting %s in %s (--restart %s).\n", n.Name, restartDelay, restartOnFailure)
	time.AfterFunc(restartDelay, func() {
		if ctx.Err() != nil || sup.Running(i) {
			return
		}
		if err := sup.Start(i); err != nil {
			fmt.Fprintf(stderr, "restart node %s: %v\n", n.Name, err)
			return
		}
		fmt.Fprintf(stderr, "node %s restarted.\n", n.Name)
	})
}

// waitForBlocks waits until every node has seen a committed block, showing
// progress, with a generous deadline.
func waitForBlocks(ctx context.Context, stderr io.Writer, sup *devnet.Supervisor) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	p := newProgress(stderr, fmt.Sprintf("waiting for %d nodes to produce blocks", len(sup.Net.Nodes)))
	defer p.done()
	for i := range sup.Net.Nodes {
		if err := sup.WaitForHeight(ctx, i, 2, func(int64) { p.tick() }); err != nil {
			return err
		}
	}
	return nil
}

// dashboardURL is where a node with this HTTP API address serves its dashboard.
func dashboardURL(httpAPI string) string { return strings.TrimRight(httpAPI, "/") + "/" }

// printDevnet is the banner q1 devnet prints once the network is up; its
// commands are written as q1 was started (q1, ./q1, go run ./cmd/q1).
func printDevnet(w io.Writer, dir string, net *devnet.Network, services []string, q1 invocation) {
	fmt.Fprintf(w, "\nQuantum1Net devnet %q is up: %d validators, blocks every ~%s.\n\n",
		net.ChainID, len(net.Nodes), time.Duration(net.BlockTime))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tHTTP API\tGATEWAY\tRPC\tGRPC\tACCOUNT")
	for _, n := range net.Nodes {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", n.Name, n.HTTP, n.Gateway, n.RPC, n.GRPC, n.Address)
	}
	tw.Flush()
	fmt.Fprintf(w, "Each ACCOUNT is its node's \"default\" key: %s to spend, and %s more staked as the node's\n", qc.Format(localAccountBalance.Sub(localSelfStake)), qc.Format(localSelfStake))
	fmt.Fprintf(w, "validator self-delegation (bonded, not spendable).\n")
	first := net.Nodes[0]
	if len(services) > 0 {
		fmt.Fprintf(w, "\nServices (through any node's gateway; here node0's):\n")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, s := range services {
			origin, path := serviceURLs(first.Gateway, s)
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", s, origin, path)
		}
		tw.Flush()
	}
	fmt.Fprintf(w, "\nDashboard: %s  (every node serves one at its HTTP API address)\n", dashboardURL(first.HTTP))
	fmt.Fprintf(w, "\nNetwork file: %s\n", filepath.Join(dir, devnet.ManifestFile))
	fmt.Fprintf(w, "Try:  curl %s/v1/status\n", first.HTTP)
	fmt.Fprintf(w, "      %s wallet balance --home %s\n", q1.Cmd, first.Home)
	fmt.Fprintf(w, "      %s service new myservice --home %s   (your own service: docs/first-service.md)\n", q1.Cmd, first.Home)
	fmt.Fprintf(w, "Logs: %s/nodeI/node.log.  A node that dies is reported here and the others keep running:\n", dir)
	fmt.Fprintf(w, "      %s devnet status and %s devnet restart NODE (with --dir %s) from another terminal.\n", q1.Cmd, q1.Cmd, dir)
	if hint := q1.installHint(); hint != "" {
		fmt.Fprintf(w, "%s.\n", hint)
	}
	fmt.Fprintf(w, "Ctrl-C stops the network; run again to resume it.\n")
}
