package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quantum1net/q1/internal/devnet"
)

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

// buildWasm builds a Go package of the repository for wasip1 (reactor).
func buildWasm(t *testing.T, pkg string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), filepath.Base(pkg)+".wasm")
	cmd := exec.Command("go", "build", "-buildmode=c-shared", "-o", out, "./"+pkg)
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", pkg, err, b)
	}
	return out
}

func gateways(tn *testnet, skip int) []string {
	var out []string
	for i, n := range tn.net.Nodes {
		if i != skip {
			out = append(out, n.Gateway)
		}
	}
	return out
}

// TestDeployAndCallEverywhere deploys a freshly built module (no cache is
// warm for it) on a 4-node network, measures the time from starting
// `q1 service deploy` to the first successful call, then calls it through
// every node's gateway, by its own origin and by path.
func TestDeployAndCallEverywhere(t *testing.T) {
	tn := startTestnet(t, netOptions{nodes: 4})
	tn.registerSharers(t)
	wasm := withCustomSection(t, exampleWasm(t, "hello"))

	start := time.Now()
	if out, errOut, code := tn.q1(t, 0, "service", "deploy", "-f", "../examples/hello/service.yaml",
		"--wasm", wasm, "--from", "default", "--deposit", "100QC"); code != 0 {
		t.Fatalf("deploy: %s%s", out, errOut)
	}
	deployed := time.Since(start)
	c := &http.Client{Timeout: 5 * time.Second}
	waitFor(t, 2*time.Minute, "the first successful call", func() bool {
		code, _, _, err := call(c, tn.net.Nodes[0].Gateway, "GET", "hello", "/", "")
		return err == nil && code == 200
	})
	t.Logf("deploy → first successful call: %s (the deploy command itself: %s)", time.Since(start).Round(time.Millisecond), deployed.Round(time.Millisecond))

	waitServed(t, time.Minute, "hello", gateways(tn, -1))
	for _, n := range tn.net.Nodes {
		code, body, servedBy, err := call(c, n.Gateway, "GET", "hello", "/greet?x=1", "")
		if err != nil || code != 200 || body != "hello from Quantum1Net: /greet\n" || servedBy == "" {
			t.Errorf("via %s by path: %d %q served by %q (%v)", n.Name, code, body, servedBy, err)
		}
		req, _ := http.NewRequest("GET", n.Gateway+"/origin", nil)
		req.Host = "hello.localhost:" + strings.TrimPrefix(devnet.HostPort(n.Gateway), "127.0.0.1:")
		resp, err := c.Do(req)
		if err != nil {
			t.Errorf("via %s by origin: %v", n.Name, err)
			continue
		}
		b := make([]byte, 64)
		k, _ := resp.Body.Read(b)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(b[:k]) != "hello from Quantum1Net: /origin\n" {
			t.Errorf("via %s by origin: %d %q", n.Name, resp.StatusCode, b[:k])
		}
	}
	// Every replica runs and is acknowledged on chain.
	waitFor(t, time.Minute, "both replicas serving and acknowledged", func() bool {
		s := tn.serviceStatus(t, "hello")
		ok := len(s.Replicas) == 2
		for _, r := range s.Replicas {
			ok = ok && r.State == "serving" && r.Acked
		}
		return ok
	})
}

// openLoop sends GETs at a fixed rate for d, round-robin over gateways,
// without retries and without waiting for answers before sending the next,
// and counts the 2xx answers.
func openLoop(gws []string, service string, rate int, d time.Duration, during func()) (ok, total int64) {
	c := &http.Client{Timeout: 5 * time.Second}
	var wg sync.WaitGroup
	var okN, totalN atomic.Int64
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	end := time.Now().Add(d)
	fired := false
	for i := 0; time.Now().Before(end); i++ {
		<-tick.C
		if !fired && i == rate { // one second in
			fired = true
			go during()
		}
		wg.Add(1)
		go func(g string) {
			defer wg.Done()
			totalN.Add(1)
			if code, _, _, err := call(c, g, "GET", service, "/", ""); err == nil && code/100 == 2 {
				okN.Add(1)
			}
		}(gws[i%len(gws)])
	}
	wg.Wait()
	return okN.Load(), totalN.Load()
}

// TestFailover kills -9 a node holding one of two replicas while an
// open-loop client calls through the surviving nodes: at least 99% of calls
// succeed, and the chain marks the node offline and re-places the replica.
func TestFailover(t *testing.T) {
	tn := startTestnet(t, netOptions{nodes: 4})
	tn.registerSharers(t)
	if out, errOut, code := tn.q1(t, 0, "service", "deploy", "-f", "../examples/hello/service.yaml",
		"--wasm", exampleWasm(t, "hello"), "--from", "default", "--deposit", "100QC"); code != 0 {
		t.Fatalf("deploy: %s%s", out, errOut)
	}
	waitServed(t, 2*time.Minute, "hello", gateways(tn, -1))
	var holders []string
	waitFor(t, time.Minute, "two acknowledged replicas", func() bool {
		holders = nil
		for _, r := range tn.serviceStatus(t, "hello").Replicas {
			if r.Acked && r.State == "serving" {
				holders = append(holders, r.Sharer)
			}
		}
		return len(holders) == 2
	})
	victim := -1
	for i, n := range tn.net.Nodes {
		if i != 0 && (n.Address == holders[0] || n.Address == holders[1]) {
			victim = i
			break
		}
	}
	if victim < 0 {
		t.Fatalf("no replica holder other than node0 among %v", holders)
	}
	survivors := gateways(tn, victim)
	ok, total := openLoop(survivors, "hello", 50, 10*time.Second, func() {
		if err := tn.sup.Kill(victim); err != nil {
			t.Error(err)
		}
	})
	t.Logf("killed %s (a replica holder): %d of %d calls through the survivors succeeded", tn.net.Nodes[victim].Name, ok, total)
	if ok*100 < total*99 {
		t.Fatalf("only %d of %d calls (%.1f%%) succeeded; want at least 99%%", ok, total, 100*float64(ok)/float64(total))
	}

	dead := tn.net.Nodes[victim].Address
	waitFor(t, 3*time.Minute, "the chain to mark the node offline and re-place its replica", func() bool {
		out, _, code := tn.q1(t, 0, "sharer", "status", dead, "-o", "json")
		if code != 0 || !strings.Contains(out, `"status": "offline"`) {
			return false
		}
		s := tn.serviceStatus(t, "hello")
		live := 0
		for _, r := range s.Replicas {
			if r.Sharer != dead && r.State == "serving" {
				live++
			}
		}
		return live == 2
	})
}

// TestUpdateSwitch updates a running service to new code through the
// manifest flow while clients call it through every node: every call
// succeeds, each replica serves the old code until the new one is warm, and
// all of them serve the new version within a few blocks.
func TestUpdateSwitch(t *testing.T) {
	tn := startTestnet(t, netOptions{nodes: 4})
	tn.registerSharers(t)
	if out, errOut, code := tn.q1(t, 0, "service", "deploy", "-f", "../examples/hello/service.yaml",
		"--wasm", exampleWasm(t, "hello"), "--from", "default", "--deposit", "100QC"); code != 0 {
		t.Fatalf("deploy: %s%s", out, errOut)
	}
	gws := gateways(tn, -1)
	waitServed(t, 2*time.Minute, "hello", gws)

	var failures, oldSeen, newSeen atomic.Int64
	var lastFailure atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, g := range gws {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &http.Client{Timeout: 5 * time.Second}
			for {
				select {
				case <-stop:
					return
				default:
				}
				code, body, _, err := call(c, g, "GET", "hello", "/v", "")
				switch {
				case err != nil || code != 200:
					failures.Add(1)
					lastFailure.Store(fmt.Sprintf("%d %q %v", code, body, err))
				case strings.HasPrefix(body, "hello from Quantum1Net"):
					oldSeen.Add(1)
				case strings.HasPrefix(body, "GET /v"):
					newSeen.Add(1)
				}
			}
		}()
	}
	// The new version: the same service, with the echo example's code,
	// which logs: the CLI refuses it under hello's manifest, which grants no
	// log capability, and sends it under one that does.
	out, errOut, code := tn.q1(t, 0, "service", "propose", "-f", "../examples/hello/service.yaml",
		"--wasm", exampleWasm(t, "echo"), "--from", "default")
	if want := "module imports q1.log but the manifest grants no log capability (permissions.capabilities.log)"; code != 1 || !strings.Contains(errOut, want) {
		t.Fatalf("propose echo's code without the log capability: exit %d, want 1 and %q:\n%s%s", code, want, out, errOut)
	}
	doc, err := os.ReadFile("../examples/hello/service.yaml")
	if err != nil {
		t.Fatal(err)
	}
	logging := filepath.Join(t.TempDir(), "hello.yaml")
	doc = []byte(strings.Replace(string(doc), "  logViewers: public\n", "  logViewers: public\n  capabilities: {log: true}\n", 1))
	if err := os.WriteFile(logging, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, errOut, code := tn.q1(t, 0, "service", "propose", "-f", logging,
		"--wasm", exampleWasm(t, "echo"), "--from", "default"); code != 0 {
		t.Fatalf("propose: %s%s", out, errOut)
	}
	activated := tn.maxHeight()
	c := &http.Client{Timeout: 5 * time.Second}
	waitFor(t, 2*time.Minute, "every gateway to serve the new version", func() bool {
		for _, g := range gws {
			if _, body, _, err := call(c, g, "GET", "hello", "/v", ""); err != nil || !strings.HasPrefix(body, "GET /v") {
				return false
			}
		}
		return true
	})
	switched := tn.maxHeight()
	time.Sleep(time.Second) // keep calling on the new version a little
	close(stop)
	wg.Wait()
	t.Logf("update activated near height %d; every replica served it by %d; %d calls on the old code, %d on the new, %d failed",
		activated, switched, oldSeen.Load(), newSeen.Load(), failures.Load())
	if failures.Load() > 0 {
		t.Fatalf("%d calls failed during the switch; last: %v", failures.Load(), lastFailure.Load())
	}
	if oldSeen.Load() == 0 || newSeen.Load() == 0 {
		t.Fatalf("the stream did not see both versions (old %d, new %d)", oldSeen.Load(), newSeen.Load())
	}
}
