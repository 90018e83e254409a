// Package e2e tests Quantum1Net as users run it: the real q1 binary, nodes
// as separate OS processes on localhost, real HTTP and RPC between them.
package e2e

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sdkmath "cosmossdk.io/math"

	"github.com/quantum1net/q1/app"
	"github.com/quantum1net/q1/internal/devnet"
	"github.com/quantum1net/q1/internal/loadgen"
)

// q1Bin is the q1 binary built once for every test in the package.
var q1Bin string

func TestMain(m *testing.M) {
	app.SetSDKConfig()
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "q1-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	q1Bin = filepath.Join(dir, "q1")
	build := exec.Command("go", "build", "-o", q1Bin, "./cmd/q1")
	build.Dir = ".."
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build q1:", err)
		return 1
	}
	return m.Run()
}

// netOptions describe a test network.
type netOptions struct {
	nodes     int
	blockTime time.Duration
	params    *app.ChainParams
	accounts  []*loadgen.Account
	funding   sdkmath.Int
	// minGasPrice and clientGasPrice are the nodes' minimum-gas-prices and
	// what the CLI offers (devnet's defaults when empty).
	minGasPrice, clientGasPrice string
}

// testnet is a running multi-process network owned by one test.
type testnet struct {
	t       *testing.T
	dir     string
	net     *devnet.Network
	sup     *devnet.Supervisor
	clients []*loadgen.Client
}

// freePorts finds n ports free on loopback right now.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var lns []net.Listener
	ports := make([]int, n)
	for i := range ports {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("find a free port: %v", err)
		}
		lns = append(lns, ln)
		ports[i] = ln.Addr().(*net.TCPAddr).Port
	}
	for _, ln := range lns {
		ln.Close()
	}
	return ports
}

// startTestnet generates a network in a temp dir, starts every node as a
// process and waits until all have committed a block. Everything stops when
// the test ends.
func startTestnet(t *testing.T, o netOptions) *testnet {
	t.Helper()
	if testing.Short() {
		t.Skip("multi-process test skipped in -short mode")
	}
	if o.nodes == 0 {
		o.nodes = 4
	}
	if o.blockTime == 0 {
		o.blockTime = 100 * time.Millisecond
	}
	if o.funding.IsNil() {
		o.funding = sdkmath.NewInt(1_000_000_000_000)
	}
	dir := t.TempDir()
	ports := freePorts(t, 5*o.nodes)
	homes := make([]string, o.nodes)
	for i := range homes {
		homes[i] = filepath.Join(dir, fmt.Sprintf("node%d", i))
	}
	var extra []devnet.Funding
	for _, a := range o.accounts {
		extra = append(extra, devnet.Funding{Address: a.Address, Amount: o.funding})
	}
	net, err := devnet.Generate(context.Background(), devnet.Options{
		ChainID: "q1-test",
		Homes:   homes,
		Ports: func(i int) devnet.Ports {
			p := ports[5*i:]
			return devnet.Ports{RPC: p[0], P2P: p[1], GRPC: p[2], HTTP: p[3], Gateway: p[4]}
		},
		BlockTime:      o.blockTime,
		Params:         o.params,
		ExtraAccounts:  extra,
		MinGasPrice:    o.minGasPrice,
		ClientGasPrice: o.clientGasPrice,
	})
	if err != nil {
		t.Fatalf("generate network: %v", err)
	}
	tn := &testnet{t: t, dir: dir, net: net, sup: devnet.NewSupervisor(q1Bin, net)}
	t.Cleanup(func() {
		tn.sup.StopAll(10 * time.Second)
		if t.Failed() {
			tn.dumpLogs()
		}
	})
	for i := range net.Nodes {
		if err := tn.sup.Start(i); err != nil {
			t.Fatal(err)
		}
		c, err := loadgen.NewClient(net.Nodes[i].RPC, net.ChainID)
		if err != nil {
			t.Fatal(err)
		}
		tn.clients = append(tn.clients, c)
	}
	tn.waitAllHeight(2, 2*time.Minute)
	return tn
}

// waitAllHeight waits until every running node has reached height h.
func (tn *testnet) waitAllHeight(h int64, within time.Duration) {
	tn.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	for i := range tn.net.Nodes {
		if !tn.sup.Running(i) {
			continue
		}
		if err := tn.sup.WaitForHeight(ctx, i, h, nil); err != nil {
			tn.t.Fatal(err)
		}
	}
}

// height returns node i's latest height, or an error if it does not answer.
func (tn *testnet) height(i int) (int64, error) {
	return devnet.Height(context.Background(), tn.net.Nodes[i])
}

// maxHeight is the highest height any running node reports.
func (tn *testnet) maxHeight() int64 {
	var best int64
	for i := range tn.net.Nodes {
		if h, err := tn.height(i); err == nil && h > best {
			best = h
		}
	}
	return best
}

// dumpLogs prints the tail of every node's log, for a failed test.
func (tn *testnet) dumpLogs() {
	for i, n := range tn.net.Nodes {
		b, err := os.ReadFile(tn.sup.LogPath(i))
		if err != nil {
			continue
		}
		lines := strings.Split(string(b), "\n")
		if len(lines) > 40 {
			lines = lines[len(lines)-40:]
		}
		tn.t.Logf("=== last lines of %s's log ===\n%s", n.Name, strings.Join(lines, "\n"))
	}
}

// runQ1 runs the q1 binary with args and returns stdout, stderr and the exit code.
func runQ1(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(q1Bin, args...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run q1 %v: %v", args, err)
	}
	return out.String(), errb.String(), code
}

func contextWithTimeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}
