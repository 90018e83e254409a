package e2e

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/quantum1net/q1/internal/devnet"
)

// reHeight matches block heights, which differ from run to run.
var reHeight = regexp.MustCompile(`height \d+`)

var updateGolden = flag.Bool("update-golden", false, "rewrite golden files")

// singleNode is a `q1 init --single-node` home started with `q1 start` on
// free ports given through the SDK's own listen flags.
type singleNode struct {
	home, rpc, http, gateway string
	sup                      *devnet.Supervisor
	// replacer turns run-specific strings (home, node, addresses) into
	// stable names in golden files.
	replacer *strings.Replacer
}

func startSingleNode(t *testing.T) *singleNode {
	t.Helper()
	if testing.Short() {
		t.Skip("multi-process test skipped in -short mode")
	}
	home := filepath.Join(t.TempDir(), "node")
	if out, errOut, code := runQ1(t, "init", "--single-node", "--home", home, "--block-time", "100ms"); code != 0 {
		t.Fatalf("q1 init --single-node: exit %d\n%s%s", code, out, errOut)
	}
	p := freePorts(t, 5)
	n := &singleNode{
		home:    home,
		rpc:     fmt.Sprintf("tcp://127.0.0.1:%d", p[0]),
		http:    fmt.Sprintf("http://127.0.0.1:%d", p[3]),
		gateway: fmt.Sprintf("http://127.0.0.1:%d", p[4]),
	}
	// The node runs on free ports: point the home's client config at them,
	// as a user who moved the ports would.
	if err := devnet.WriteClientConfig(home, devnet.ClientConfig{
		ChainID: "q1-local", DefaultKey: devnet.DefaultKeyName, Node: n.rpc, API: n.http,
		Gateway: fmt.Sprintf("http://127.0.0.1:%d", p[4]),
	}); err != nil {
		t.Fatal(err)
	}
	net := &devnet.Network{ChainID: "q1-local", Nodes: []devnet.Node{{
		Name: "single", Home: home, RPC: n.rpc, HTTP: n.http,
		Gateway: fmt.Sprintf("http://127.0.0.1:%d", p[4]),
	}}}
	n.sup = devnet.NewSupervisor(q1Bin, net)
	n.sup.ExtraArgs = []string{
		"--rpc.laddr", n.rpc,
		"--p2p.laddr", fmt.Sprintf("tcp://127.0.0.1:%d", p[1]),
		"--grpc.address", fmt.Sprintf("127.0.0.1:%d", p[2]),
	}
	if err := n.sup.Start(0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.sup.StopAll(10 * time.Second) })
	ctx, cancel := contextWithTimeout(2 * time.Minute)
	defer cancel()
	if err := n.sup.WaitForHeight(ctx, 0, 2, nil); err != nil {
		t.Fatal(err)
	}
	return n
}

// q1 runs the CLI against this node.
func (n *singleNode) q1(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	return runQ1(t, append(args, "--home", n.home, "--node", n.rpc)...)
}

// TestCLI exercises the wallet and the SDK's commands on a one-node network
// made by `q1 init --single-node`, and checks every refusal's message
// against a golden file.
func TestCLI(t *testing.T) {
	n := startSingleNode(t)

	out, errOut, code := runQ1(t, "keys", "show", "default", "-a", "--home", n.home)
	if code != 0 {
		t.Fatalf("keys show: exit %d: %s", code, errOut)
	}
	me := strings.TrimSpace(out)
	if _, _, code := runQ1(t, "keys", "add", "bob", "--home", n.home, "--keyring-backend", "test"); code != 0 {
		t.Fatal("keys add bob failed")
	}
	out, _, _ = runQ1(t, "keys", "show", "bob", "-o", "json", "--home", n.home, "--keyring-backend", "test")
	var bobKey struct {
		Address string `json:"address"`
	}
	if err := json.Unmarshal([]byte(out), &bobKey); err != nil || !strings.HasPrefix(bobKey.Address, "q11") {
		t.Fatalf("keys show -o json: %q (%v)", out, err)
	}
	bob := bobKey.Address

	// A transfer succeeds, waits for its block and says where it landed.
	out, errOut, code = n.q1(t, "wallet", "send", "--from", "default", bob, "25QC")
	if code != 0 {
		t.Fatalf("wallet send: exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "Sent 25QC to "+bob) || !strings.Contains(out, "height ") {
		t.Fatalf("wallet send printed:\n%s", out)
	}
	out, _, code = n.q1(t, "wallet", "balance", "bob", "-o", "json")
	var bal struct {
		Balance   string `json:"balance"`
		BalanceQC string `json:"balance_qc"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &bal) != nil || bal.Balance != "25000000" || bal.BalanceQC != "25QC" {
		t.Fatalf("wallet balance bob -o json: exit %d: %s", code, out)
	}
	// A key name is an account wherever an address is: bob by name.
	out, errOut, code = n.q1(t, "wallet", "send", "--from", "default", "bob", "1QC")
	if code != 0 || !strings.Contains(out, "Sent 1QC to "+bob) {
		t.Fatalf("wallet send to a key name: exit %d:\n%s%s", code, out, errOut)
	}
	out, _, code = n.q1(t, "wallet", "balance", "bob", "-o", "json")
	if code != 0 || json.Unmarshal([]byte(out), &bal) != nil || bal.Balance != "26000000" {
		t.Fatalf("wallet balance bob after a send by name: exit %d: %s", code, out)
	}
	// The SDK's own query tree, with -o json.
	out, _, code = n.q1(t, "query", "bank", "balances", bob, "-o", "json")
	var balances struct {
		Balances []struct{ Denom, Amount string } `json:"balances"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &balances) != nil || len(balances.Balances) != 1 ||
		balances.Balances[0].Amount != "26000000" || balances.Balances[0].Denom != "uqc" {
		t.Fatalf("query bank balances: exit %d: %s", code, out)
	}
	// The API sees the same balance.
	acct, err := nodeAPI(n.http).Account(bg(), bob)
	apiFatal(t, "GET /v1/accounts/"+bob, err)
	if acct.Balance != "26000000" {
		t.Fatalf("GET /v1/accounts/%s: balance %s", bob, acct.Balance)
	}

	cases := []struct {
		name string
		args []string
	}{
		{"overspend", []string{"wallet", "send", "--from", "bob", me, "30QC"}},
		{"malformed-address", []string{"wallet", "send", "--from", "default", "q1xyz", "1QC"}},
		{"foreign-address", []string{"wallet", "send", "--from", "default", "cosmos1qyqszqgpqyqszqgpqyqszqgpqyqszqgpjnp7du", "1QC"}},
		{"unknown-key", []string{"wallet", "send", "--from", "carol", bob, "1QC"}},
		{"zero-amount", []string{"wallet", "send", "--from", "default", bob, "0QC"}},
		{"overflowing-amount", []string{"wallet", "send", "--from", "default", bob, "99999999999999999999999999QC"}},
		{"unknown-unit", []string{"wallet", "send", "--from", "default", bob, "5XQ"}},
		{"too-many-decimals", []string{"wallet", "send", "--from", "default", bob, "0.0000001QC"}},
		{"wrong-chain-id", []string{"wallet", "send", "--from", "default", bob, "1QC", "--chain-id", "q1-elsewhere"}},
		{"balance-unknown-key", []string{"wallet", "balance", "carol"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut, code := n.q1(t, tc.args...)
			if code != 1 {
				t.Errorf("exit code %d, want 1", code)
			}
			golden(t, tc.name, normalize(errOut, n.home, n.rpc, me, bob))
		})
	}
	// A node that does not answer.
	t.Run("node-down", func(t *testing.T) {
		dead := fmt.Sprintf("tcp://127.0.0.1:%d", freePorts(t, 1)[0])
		_, errOut, code := runQ1(t, "wallet", "send", "--from", "default", bob, "1QC", "--home", n.home, "--node", dead)
		if code != 1 {
			t.Errorf("exit code %d, want 1", code)
		}
		golden(t, "node-down", normalize(errOut, n.home, dead, me, bob))
	})
}

// normalize replaces what differs between runs with stable names.
func normalize(s, home, node, me, bob string) string {
	r := strings.NewReplacer(home, "$HOME", node, "$NODE", me, "$ME", bob, "$BOB")
	return r.Replace(s)
}

// golden compares got with testdata/cli/NAME.golden (rewritten with -update-golden).
func golden(t *testing.T, name, got string) {
	t.Helper()
	goldenCheck(t, name, got, nil)
}

// goldenCheck compares got, after r's replacements, with
// testdata/cli/NAME.golden (rewritten with -update-golden).
func goldenCheck(t *testing.T, name, got string, r *strings.Replacer) {
	t.Helper()
	if r != nil {
		got = r.Replace(got)
	}
	got = reHeight.ReplaceAllString(got, "height N")
	path := filepath.Join("testdata", "cli", name+".golden")
	if *updateGolden {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update-golden to create it): %v", err)
	}
	if got != string(want) {
		t.Errorf("stderr differs from %s\n got: %q\nwant: %q", path, got, want)
	}
}
