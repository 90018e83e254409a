package e2e

import (
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/quantum1net/q1/internal/devnet"
)

// TestDevnetCommand runs the README's first command as a user does, from the
// checkout: `q1 devnet` starts four nodes, registers them as sharers, builds
// and deploys the examples, prints their URLs; Ctrl-C stops it cleanly; run
// again, it resumes the same network with the services still there.
func TestDevnetCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 4-node network with q1 devnet")
	}
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "net")
	base := freePortRange(t, 40)
	c := &http.Client{Timeout: 5 * time.Second}

	run := func(round string, during func(out, errOut *lockedBuffer, nw *devnet.Network), wantOut ...string) {
		t.Helper()
		cmd := exec.Command(q1Bin, "devnet", "--dir", dir, "--base-port", fmt.Sprint(base))
		cmd.Dir = ".." // the checkout: q1 devnet builds ./examples from there
		var out, errOut lockedBuffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		defer func() {
			if cmd.ProcessState == nil {
				cmd.Process.Signal(syscall.SIGINT)
				select {
				case <-exited:
				case <-time.After(time.Minute):
					cmd.Process.Kill()
				}
			}
		}()
		waitFor(t, 5*time.Minute, round+": q1 devnet to say the network is up", func() bool {
			select {
			case err := <-exited:
				t.Fatalf("%s: q1 devnet exited early (%v):\n%s%s", round, err, out.String(), errOut.String())
			default:
			}
			return strings.Contains(out.String(), "Ctrl-C stops the network")
		})
		for _, want := range wantOut {
			if all := errOut.String() + out.String(); !strings.Contains(all, want) {
				t.Errorf("%s: q1 devnet's output lacks %q:\n%s", round, want, all)
			}
		}
		nw, err := devnet.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(nw.Nodes) != 4 {
			t.Fatalf("devnet.json lists %d nodes, want 4", len(nw.Nodes))
		}
		// The examples answer through every node's gateway.
		for _, n := range nw.Nodes {
			code, body, _, err := call(c, n.Gateway, "GET", "hello", "/readme", "")
			if err != nil || code != 200 || body != "hello from Quantum1Net: /readme\n" {
				t.Errorf("%s: hello through %s: %d %q %v", round, n.Name, code, body, err)
			}
			if code, body, _, err := call(c, n.Gateway, "POST", "echo", "/x", "hi"); err != nil || code != 200 || !strings.HasPrefix(body, "POST /x\n") {
				t.Errorf("%s: echo through %s: %d %q %v", round, n.Name, code, body, err)
			}
		}
		if during != nil {
			during(&out, &errOut, nw)
			select {
			case err := <-exited:
				t.Fatalf("%s: q1 devnet exited (%v):\n%s", round, err, errOut.String())
			default:
			}
		}
		// Ctrl-C stops every node and the command exits 0.
		if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-exited:
			if err != nil {
				t.Fatalf("%s: q1 devnet after Ctrl-C: %v\n%s", round, err, errOut.String())
			}
		case <-time.After(2 * time.Minute):
			t.Fatalf("%s: q1 devnet did not stop within 2 minutes of Ctrl-C", round)
		}
		if !strings.Contains(errOut.String(), "All nodes stopped.") {
			t.Errorf("%s: no \"All nodes stopped.\" in:\n%s", round, errOut.String())
		}
		for _, n := range nw.Nodes {
			if conn, err := net.DialTimeout("tcp", devnet.HostPort(n.HTTP), time.Second); err == nil {
				conn.Close()
				t.Errorf("%s: %s still listens on %s after q1 devnet stopped", round, n.Name, n.HTTP)
			}
		}
	}
	run("first start", func(_, errOut *lockedBuffer, nw *devnet.Network) { killAndRestart(t, dir, errOut, nw) }, "Creating a 4-node network", "is up: 4 validators",
		"  hello    http://hello.localhost:", "  counter  http://counter.localhost:", "  echo     http://echo.localhost:",
		"\nDashboard: http://127.0.0.1:")
	run("resume", nil, "Resuming the 4-node network", "is up: 4 validators", "  hello    http://hello.localhost:")
}

// killAndRestart kills node2 of the running `q1 devnet` in dir with
// SIGKILL, as a user trying failover would: the devnet says which node died
// and where its log is, keeps the other nodes (and the services, through
// every live gateway) running, and `q1 devnet restart node2` brings it back
// to follow the chain again.
func killAndRestart(t *testing.T, dir string, errOut *lockedBuffer, nw *devnet.Network) {
	t.Helper()
	status := func() []devnet.NodeState {
		t.Helper()
		out, errText, code := runQ1(t, "devnet", "status", "--dir", dir, "-o", "json")
		var st []devnet.NodeState
		if code != 0 || jsonUnmarshal(out, &st) != nil {
			t.Fatalf("q1 devnet status -o json: exit %d, %s%s", code, out, errText)
		}
		return st
	}
	states := status()
	if len(states) != 4 || !states[2].Running || states[2].Pid == 0 {
		t.Fatalf("q1 devnet status: %+v", states)
	}
	victim := nw.Nodes[2]
	before, err := devnet.Height(t.Context(), victim)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(states[2].Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, time.Minute, "q1 devnet to report node2's death", func() bool {
		return strings.Contains(errOut.String(), "node node2 exited (signal: killed); its log: "+filepath.Join(victim.Home, "node.log"))
	})
	if hint := "Bring node2 back with: "; !strings.Contains(errOut.String(), hint) ||
		!strings.Contains(errOut.String(), " devnet restart node2 --dir "+dir) {
		t.Errorf("no restart hint after node2 died:\n%s", errOut.String())
	}
	// The others go on: blocks, and the services through node0's gateway
	// (the chain re-places node2's replicas, or the gateway fails over).
	h0, err := devnet.Height(t.Context(), nw.Nodes[0])
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Timeout: 5 * time.Second}
	waitFor(t, 3*time.Minute, "blocks and hello through node0 while node2 is down", func() bool {
		h, err := devnet.Height(t.Context(), nw.Nodes[0])
		code, _, _, cerr := call(c, nw.Nodes[0].Gateway, "GET", "hello", "/", "")
		return err == nil && h > h0+3 && cerr == nil && code == 200
	})
	st := status()
	if st[2].Running || st[2].Exit != "signal: killed" || !st[0].Running {
		t.Errorf("q1 devnet status after the kill: %+v", st)
	}
	if out, errText, code := runQ1(t, "devnet", "restart", "node2", "--dir", dir); code != 0 || !strings.Contains(out, "node2") || !strings.Contains(out, "running") {
		t.Errorf("q1 devnet restart node2: exit %d\n%s%s", code, out, errText)
	}
	waitFor(t, 3*time.Minute, "node2 to follow the chain again after its restart", func() bool {
		h, err := devnet.Height(t.Context(), victim)
		return err == nil && h > before+5
	})
	// A name that is not a node is refused with the names that are.
	if _, errText, code := runQ1(t, "devnet", "restart", "node9", "--dir", dir); code == 0 || !strings.Contains(errText, `no node named "node9"; this network has node0, node1, node2, node3`) {
		t.Errorf("q1 devnet restart node9: exit %d, %q", code, errText)
	}
}

// freePortRange finds a base port such that base … base+n-1 are free on
// loopback right now, away from the ranges the OS hands out for port 0.
func freePortRange(t *testing.T, n int) int {
	t.Helper()
	for range 200 {
		base := 20000 + 10*rand.IntN(1200) // 20000–31990, below Linux's ephemeral ports
		var lns []net.Listener
		ok := true
		for p := base; p < base+n; p++ {
			ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
			if err != nil {
				ok = false
				break
			}
			lns = append(lns, ln)
		}
		for _, ln := range lns {
			ln.Close()
		}
		if ok {
			return base
		}
	}
	t.Fatal("found no free range of ports")
	return 0
}
