package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestFairness is the "hostile load" attack on a live one-node network: a
// service whose every request spins until its timeout is kept at its limit
// by six callers, while a well-behaved service on the same node must keep
// answering (at least 99% of calls) and a service deployed meanwhile must
// start. It asserts success rates, never times.
func TestFairness(t *testing.T) {
	tn := startTestnet(t, netOptions{nodes: 1})
	tn.registerSharers(t)
	deploy := func(name, manifest, wasm string) {
		t.Helper()
		if out, errOut, code := tn.q1(t, 0, "service", "deploy", "-f", manifest, "--wasm", wasm,
			"--from", "default", "--deposit", "100QC"); code != 0 {
			t.Fatalf("deploy %s: %s%s", name, out, errOut)
		}
	}
	deploy("steady", writeDraft(t, "steady", "{memory: 32Mi}", ""), exampleWasm(t, "hello"))
	deploy("runaway", writeDraft(t, "runaway", "{memory: 64Mi, requestTimeout: 60s}", ""), buildWasm(t, "node/runtime/testdata/hostile"))
	gw := tn.net.Nodes[0].Gateway
	waitServed(t, 2*time.Minute, "steady", []string{gw})
	waitFor(t, 2*time.Minute, "runaway to serve", func() bool {
		code, _, _, err := call(&http.Client{Timeout: 5 * time.Second}, gw, "GET", "runaway", "/ok", "")
		return err == nil && code == 200
	})

	// Six callers keep the runaway service at its limit, retrying at once.
	stop := make(chan struct{})
	var attackers sync.WaitGroup
	var runawayStatuses sync.Map
	for range 6 {
		attackers.Add(1)
		go func() {
			defer attackers.Done()
			c := &http.Client{Timeout: 2 * time.Minute}
			for {
				select {
				case <-stop:
					return
				default:
				}
				code, _, _, _ := call(c, gw, "GET", "runaway", "/loop", "")
				n, _ := runawayStatuses.LoadOrStore(code, new(atomic.Int64))
				n.(*atomic.Int64).Add(1)
			}
		}()
	}
	defer func() {
		close(stop)
		// The spinning calls end at their timeout; the callers are not waited
		// for beyond that, the network's shutdown ends them.
	}()
	// Saturated: the runaway itself now answers 503 with a reason.
	waitFor(t, 2*time.Minute, "the runaway service to be at its limit", func() bool {
		code, body, _, err := call(&http.Client{Timeout: 30 * time.Second}, gw, "GET", "runaway", "/ok", "")
		return err == nil && code == 503 && strings.Contains(body, "service runaway is at its concurrency limit on this node")
	})

	// The well-behaved service keeps answering.
	var ok, failed atomic.Int64
	var lastFailure atomic.Value
	var wg sync.WaitGroup
	done := make(chan struct{})
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &http.Client{Timeout: 30 * time.Second}
			for {
				select {
				case <-done:
					return
				default:
				}
				code, body, _, err := call(c, gw, "GET", "steady", "/fair", "")
				if err != nil || code != 200 || body != "hello from Quantum1Net: /fair\n" {
					failed.Add(1)
					lastFailure.Store(fmt.Sprintf("%d %q %v", code, body, err))
					continue
				}
				ok.Add(1)
			}
		}()
	}
	// A service deployed during the attack starts and serves.
	deploy("late", writeDraft(t, "late", "{memory: 32Mi}", ""), exampleWasm(t, "hello"))
	waitServed(t, 3*time.Minute, "late", []string{gw})
	waitFor(t, 3*time.Minute, "400 calls to the steady service", func() bool { return ok.Load()+failed.Load() >= 400 })
	close(done)
	wg.Wait()

	statuses := map[any]int64{}
	runawayStatuses.Range(func(k, v any) bool { statuses[k] = v.(*atomic.Int64).Load(); return true })
	total := ok.Load() + failed.Load()
	rate := 100 * float64(ok.Load()) / float64(total)
	t.Logf("steady: %d of %d calls answered (%.2f%%) beside the saturated runaway (its statuses: %v)", ok.Load(), total, rate, statuses)
	if rate < 99 {
		t.Fatalf("steady answered %.2f%% of %d calls beside a saturated service, want at least 99%%; last failure: %v",
			rate, total, lastFailure.Load())
	}
}
