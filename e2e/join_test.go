package e2e

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/quantum1net/q1/internal/devnet"
)

// TestJoinAndValidate brings a fifth machine into a running 4-node network
// with `q1 init --join`, lets it block-sync, makes it a validator with
// `q1 validator join`, and takes it out again with `q1 validator leave`,
// while the chain keeps producing blocks.
func TestJoinAndValidate(t *testing.T) {
	tn := startTestnet(t, netOptions{nodes: 4})
	home := filepath.Join(tn.dir, "node4")

	// A wrong genesis hash is refused before anything is written.
	_, errOut, code := runQ1(t, "init", "node4", "--join", tn.net.Nodes[0].HTTP, "--home", home,
		"--genesis-hash", "sha256:0000000000000000000000000000000000000000000000000000000000000000")
	if code != 1 || !strings.Contains(errOut, "genesis hash mismatch: the node at "+tn.net.Nodes[0].HTTP+" serves sha256:") {
		t.Fatalf("init --join with a wrong hash: exit %d, stderr %q", code, errOut)
	}

	out, errOut, code := runQ1(t, "init", "node4", "--join", tn.net.Nodes[1].HTTP, "--home", home, "--block-time", "100ms")
	if code != 0 {
		t.Fatalf("init --join: exit %d: %s", code, errOut)
	}
	hash := regexp.MustCompile(`genesis hash (sha256:[0-9a-f]{64})`).FindStringSubmatch(out)
	if hash == nil {
		t.Fatalf("init --join did not print the genesis hash:\n%s", out)
	}
	// The hash checks out when given.
	other := filepath.Join(tn.dir, "node4-check")
	if _, errOut, code := runQ1(t, "init", "x", "--join", tn.net.Nodes[2].HTTP, "--home", other, "--genesis-hash", hash[1]); code != 0 {
		t.Fatalf("init --join with the right hash: exit %d: %s", code, errOut)
	}

	p := freePorts(t, 5)
	joined := devnet.Node{
		Name: "node4", Home: home,
		RPC:     fmt.Sprintf("tcp://127.0.0.1:%d", p[0]),
		HTTP:    fmt.Sprintf("http://127.0.0.1:%d", p[3]),
		Gateway: fmt.Sprintf("http://127.0.0.1:%d", p[4]),
	}
	sup := devnet.NewSupervisor(q1Bin, &devnet.Network{ChainID: tn.net.ChainID, Nodes: []devnet.Node{joined}})
	sup.ExtraArgs = []string{"--rpc.laddr", joined.RPC, "--p2p.laddr", fmt.Sprintf("tcp://127.0.0.1:%d", p[1]),
		"--grpc.address", fmt.Sprintf("127.0.0.1:%d", p[2])}
	if err := sup.Start(0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sup.StopAll(10 * time.Second) })

	// It block-syncs to where the network is.
	target := tn.maxHeight()
	ctx, cancel := contextWithTimeout(2 * time.Minute)
	defer cancel()
	if err := sup.WaitForHeight(ctx, 0, target, nil); err != nil {
		t.Fatal(err)
	}
	t.Logf("joined node synced to height %d", target)

	q1 := func(args ...string) (string, string, int) {
		return runQ1(t, append(args, "--home", home, "--node", joined.RPC)...)
	}
	addr, _, _ := runQ1(t, "keys", "show", "default", "-a", "--home", home)
	addr = strings.TrimSpace(addr)
	if _, errOut, code := runQ1(t, "wallet", "send", "--from", "default", addr, "300000QC", "--home", tn.net.Nodes[0].Home); code != 0 {
		t.Fatalf("fund the joined node: %s", errOut)
	}
	// The joined node follows the chain: wait until it has seen the funding.
	waitFor(t, time.Minute, "the joined node to see its funds", func() bool {
		out, _, code := q1("wallet", "balance", "default", "-o", "json")
		return code == 0 && strings.Contains(out, `"balance_qc": "300000QC"`)
	})
	if _, errOut, code := q1("validator", "status"); code != 1 || !strings.Contains(errOut, "this node is not a validator") {
		t.Fatalf("validator status before joining: exit %d: %s", code, errOut)
	}
	if out, errOut, code := q1("validator", "join", "--from", "default", "--stake", "200000QC"); code != 0 {
		t.Fatalf("validator join: exit %d: %s%s", code, out, errOut)
	}
	waitValidator(t, q1, func(v validatorStatus) bool { return v.Status == "bonded" && v.VotingPower > 0 })
	st, err := nodeAPI(tn.net.Nodes[0].HTTP).Status(bg())
	apiFatal(t, "GET /v1/status", err)
	found := false
	for _, v := range st.Validators {
		found = found || (v.Moniker == "node4" && v.Status == "bonded" && v.VotingPower == 200000)
	}
	if !found {
		t.Fatalf("GET /v1/status does not list node4 as a bonded validator with power 200000: %+v", st.Validators)
	}
	h := tn.maxHeight()
	tn.waitAllHeight(h+5, time.Minute)

	if out, errOut, code := q1("validator", "leave", "--from", "default"); code != 0 {
		t.Fatalf("validator leave: exit %d: %s%s", code, out, errOut)
	}
	waitValidator(t, q1, func(v validatorStatus) bool { return v.Status != "bonded" && v.VotingPower == 0 })
	h = tn.maxHeight()
	tn.waitAllHeight(h+5, time.Minute)
	t.Logf("node4 joined the active set and left it; the chain is at %d", tn.maxHeight())
}

type validatorStatus struct {
	Status      string `json:"status"`
	VotingPower int64  `json:"voting_power"`
	Jailed      bool   `json:"jailed"`
	Tombstoned  bool   `json:"tombstoned"`
	Tokens      string `json:"tokens"`
}

// waitValidator polls `q1 validator status -o json` until ok holds.
func waitValidator(t *testing.T, q1 func(...string) (string, string, int), ok func(validatorStatus) bool) validatorStatus {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	var last string
	for time.Now().Before(deadline) {
		out, errOut, code := q1("validator", "status", "-o", "json")
		last = out + errOut
		var v validatorStatus
		if code == 0 && json.Unmarshal([]byte(out), &v) == nil && ok(v) {
			return v
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("validator status never reached the expected state; last: %s", last)
	return validatorStatus{}
}
