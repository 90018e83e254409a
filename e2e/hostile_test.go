package e2e

import (
	"encoding/json"
	"errors"
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

	"github.com/quantum1net/q1/app"
	q1client "github.com/quantum1net/q1/client"
)

// writeDraft writes a service manifest draft (owners and code filled in by
// the CLI) with the given name, resources and capabilities.
func writeDraft(t *testing.T, name, resources, capabilities string) string {
	t.Helper()
	doc := fmt.Sprintf(`apiVersion: q1/v1
name: %s
permissions:
  callers: [{paths: ["/*"], allow: public}]
  logViewers: public
%s
resources: %s
pricing: {cpuPerCoreSecond: 500uqc, memoryPerMiBHour: 2uqc, storagePerGiBHour: 50uqc, per1kRequests: 10uqc, egressPerGiB: 5000uqc}
`, name, capabilities, resources)
	p := filepath.Join(t.TempDir(), name+".yaml")
	if err := os.WriteFile(p, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestHostileServices runs misbehaving services through a live node — an
// infinite loop, a memory bomb, a 1 GiB response, a panic, bytes that are
// not wasm, a module using a capability it was not granted — while a second
// service on the same node answers every one of a concurrent stream of calls.
func TestHostileServices(t *testing.T) {
	// As in TestFairness: a cold compile of a Go module on a loaded machine
	// can outlast the devnet's acknowledgement timeout, which
	// closes the lease and (on one node) can leave the service unplaced.
	params := app.DevnetParams()
	params.Sharers.AckTimeoutBlocks = 1200
	tn := startTestnet(t, netOptions{nodes: 1, params: &params})
	tn.registerSharers(t)
	deploy := func(name, manifest, wasm string, extra ...string) {
		t.Helper()
		args := append([]string{"service", "deploy", "-f", manifest, "--wasm", wasm, "--from", "default", "--deposit", "100QC"}, extra...)
		if out, errOut, code := tn.q1(t, 0, args...); code != 0 {
			t.Fatalf("deploy %s: %s%s", name, out, errOut)
		}
	}
	deploy("steady", writeDraft(t, "steady", "{memory: 32Mi}", ""), exampleWasm(t, "hello"))
	hostileWasm := buildWasm(t, "node/runtime/testdata/hostile")
	deploy("hostile", writeDraft(t, "hostile", "{memory: 64Mi, requestTimeout: 1s}", ""), hostileWasm)
	// The same module with a long timeout, for the requests that must end
	// by a limit other than time however loaded the machine is.
	deploy("hostile-slow", writeDraft(t, "hostile-slow", "{memory: 64Mi, requestTimeout: 60s}", ""), hostileWasm)
	junk := filepath.Join(t.TempDir(), "junk.wasm")
	if err := os.WriteFile(junk, []byte("#!/bin/sh\necho this is not wasm\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// 40 bytes declaring 255 million exports: wazero would reserve gigabytes
	// by that number before noticing there are none.
	bomb := filepath.Join(t.TempDir(), "bomb.wasm")
	if err := os.WriteFile(bomb, []byte("\x00asm\x01\x00\x00\x00\x01\x06\x01`\x01\x7f\x01\x7f\x03\x02\x01\x00\a\x05\xf9\xf9\xf9\xf9\x00\f\x00\v\v \x01@"), 0o644); err != nil {
		t.Fatal(err)
	}
	const bombWhy = "the module declares more than a node accepts (docs/guest-abi.md, Limits), at byte offset 22 (0x16): section 7 declares 255753465 exports in the 0 bytes that follow"
	// The CLI refuses modules no node would run before sending anything...
	for _, bad := range []struct{ name, wasm, want string }{
		{"junk", junk, junk + ": not a WebAssembly module: invalid magic number"},
		{"bomb", bomb, bomb + ": " + bombWhy},
		{"greedy", exampleWasm(t, "counter"), "module imports q1.kv_get but the manifest grants no kv capability (permissions.capabilities.kv)"},
	} {
		out, errOut, code := tn.q1(t, 0, "service", "deploy", "-f", writeDraft(t, bad.name, "{memory: 32Mi}", ""), "--wasm", bad.wasm,
			"--from", "default", "--deposit", "100QC")
		if code != 1 || !strings.Contains(errOut, bad.want) || !strings.Contains(errOut, "nothing was sent") {
			t.Fatalf("deploy %s: exit %d, want 1 and %q:\n%s%s", bad.name, code, bad.want, out, errOut)
		}
	}
	// ...and nodes refuse them too when a deployer skips that check.
	deploy("junk", writeDraft(t, "junk", "{memory: 32Mi}", ""), junk, "--skip-wasm-check")
	deploy("bomb", writeDraft(t, "bomb", "{memory: 32Mi}", ""), bomb, "--skip-wasm-check")
	// --wait-serving waits for the replica and reports why it cannot start.
	out, errOut, code := tn.q1(t, 0, "service", "deploy", "-f", writeDraft(t, "greedy", "{memory: 32Mi}", ""), "--wasm", exampleWasm(t, "counter"),
		"--from", "default", "--deposit", "100QC", "--skip-wasm-check", "--wait-serving", "2m")
	if want := "the replica of greedy on " + tn.net.Nodes[0].Address + " failed to start: "; code != 1 || !strings.Contains(errOut, want) ||
		!strings.Contains(errOut, "grants no kv capability") {
		t.Fatalf("deploy greedy --wait-serving: exit %d, want 1 and %q:\n%s%s", code, want, out, errOut)
	}

	gw := tn.net.Nodes[0].Gateway
	waitServed(t, 2*time.Minute, "steady", []string{gw})
	for _, name := range []string{"hostile", "hostile-slow"} {
		waitFor(t, 2*time.Minute, name+" to serve", func() bool {
			code, _, _, err := call(&http.Client{Timeout: 5 * time.Second}, gw, "GET", name, "/ok", "")
			return err == nil && code == 200
		})
	}

	// Modules that cannot run say why in q1 service status.
	for name, want := range map[string]string{
		"junk":   "invalid module: not a WebAssembly module: invalid magic number",
		"bomb":   "invalid module: " + bombWhy,
		"greedy": "module imports q1.kv_get but the manifest grants no kv capability (permissions.capabilities.kv)",
	} {
		// One read decides: the line of a failed replica gives its reason.
		// (Reading twice raced the lease's ack timeout: the reason could be
		// there in the first read and gone, with its lease, in the second.)
		var out string
		deadline := time.Now().Add(2 * time.Minute)
		for !failedBecause(out, want) {
			if time.Now().After(deadline) {
				t.Fatalf("q1 service status %s does not show why it cannot start (%q); last read:\n%s", name, want, out)
			}
			time.Sleep(500 * time.Millisecond)
			o, errOut, _ := tn.q1(t, 0, "service", "status", name)
			out = o + errOut
		}
	}

	var served, failed atomic.Int64
	var lastFailure atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &http.Client{Timeout: 10 * time.Second}
			for {
				select {
				case <-stop:
					return
				default:
				}
				code, body, _, err := call(c, gw, "GET", "steady", "/still-here", "")
				if err != nil || code != 200 || body != "hello from Quantum1Net: /still-here\n" {
					failed.Add(1)
					lastFailure.Store(fmt.Sprintf("%d %q %v", code, body, err))
					continue
				}
				served.Add(1)
			}
		}()
	}

	c := &http.Client{Timeout: 30 * time.Second}
	// An endless loop is stopped by whichever limit it reaches first: its
	// fuel (half its timeout's worth of CPU at the node's calibration) on
	// an idle machine, the 1 s wall-clock timeout on one too loaded to give
	// it half a core. Either way the request fails alone, saying which.
	code, body, _, err := call(c, gw, "GET", "hostile", "/loop", "")
	byFuel := code == 500 && strings.Contains(body, "request ran out of fuel: used its limit of ")
	byTime := code == 504 && strings.Contains(body, "request exceeded the service's 1s timeout; the instance was stopped and replaced")
	if err != nil || !byFuel && !byTime {
		t.Errorf("hostile /loop: %d %q (%v); want 500 out of fuel or 504 timeout", code, body, err)
	}
	for _, hc := range []struct {
		service, path string
		status        int
		want          string
	}{
		{"hostile-slow", "/membomb", 500, "instance ran out of memory (limit 32 MiB per instance)"},
		{"hostile-slow", "/bigresponse", 500, "response exceeds the service's 16 MiB limit"},
		{"hostile", "/panic", 500, "guest failed: panic: boom; the instance was replaced"},
	} {
		code, body, _, err := call(c, gw, "GET", hc.service, hc.path, "")
		if err != nil || code != hc.status || !strings.Contains(body, hc.want) {
			t.Errorf("%s %s: %d %q (%v); want %d with %q", hc.service, hc.path, code, body, err, hc.status, hc.want)
		}
		// The misbehaving service recovers too.
		if code, body, _, _ := call(c, gw, "GET", hc.service, "/ok", ""); code != 200 || body != "ok" {
			t.Errorf("after %s: GET /ok = %d %q", hc.path, code, body)
		}
	}
	waitFor(t, time.Minute, "the steady stream to keep going", func() bool { return served.Load() >= 50 })
	close(stop)
	wg.Wait()
	t.Logf("steady served %d calls during the hostile ones, %d failed", served.Load(), failed.Load())
	if failed.Load() > 0 {
		t.Fatalf("%d calls to the steady service failed; last: %v", failed.Load(), lastFailure.Load())
	}
}

// TestServiceLogs: a service's log lines are read from the nodes running it
// by the viewers its manifest allows, can be followed, outlive a restart of
// the node; a service that may not log is told apart.
func TestServiceLogs(t *testing.T) {
	// As in TestHostileServices: a cold compile on a loaded machine can
	// outlast the devnet's acknowledgement timeout, and the node
	// restarts below.
	params := app.DevnetParams()
	params.Sharers.AckTimeoutBlocks = 1200
	tn := startTestnet(t, netOptions{nodes: 1, params: &params})
	tn.registerSharers(t)
	// echo wants two replicas; one node runs one.
	if out, errOut, code := tn.q1(t, 0, "service", "deploy", "-f", "../examples/echo/service.yaml",
		"--wasm", exampleWasm(t, "echo"), "--from", "default", "--deposit", "100QC", "--force"); code != 0 {
		t.Fatalf("deploy: %s%s", out, errOut)
	}
	// Before any call, there is no line, and q1 service logs says why (once
	// a replica is placed: before that it fails with no_replica_placed).
	var empty struct {
		Empty struct{ Code, Message string } `json:"empty"`
	}
	waitFor(t, 2*time.Minute, "q1 service logs to say why echo has no lines", func() bool {
		out, errOut, code := tn.q1(t, 0, "service", "logs", "echo", "-o", "json")
		return code == 0 && out == "" && json.Unmarshal([]byte(errOut), &empty) == nil &&
			(empty.Empty.Code == "not_serving_yet" || empty.Empty.Code == "nothing_logged_yet")
	})
	if !strings.HasPrefix(empty.Empty.Message, "service echo has") {
		t.Fatalf("empty logs: %+v", empty)
	}
	gw := tn.net.Nodes[0].Gateway
	waitServed(t, 2*time.Minute, "echo", []string{gw})
	c := &http.Client{Timeout: 5 * time.Second}
	for _, p := range []string{"/one", "/two", "/three"} {
		if code, _, _, err := call(c, gw, "POST", "echo", p, "hi"); err != nil || code != 200 {
			t.Fatalf("POST %s: %d %v", p, code, err)
		}
	}

	// logViewers is owners: an unsigned request and a stranger are refused.
	_, err := nodeAPI(tn.net.Nodes[0].HTTP).Logs(bg(), "echo", q1client.LogsOptions{})
	var refused *q1client.APIError
	if want := "the logs of echo are for its owners and listed viewers: sign the request (q1 service logs --from KEY)"; !errors.As(err, &refused) ||
		refused.StatusCode != 401 || !strings.Contains(refused.Message, want) {
		t.Fatalf("unsigned logs: %v, want 401 and %q", err, want)
	}
	if _, errOut, code := runQ1(t, "keys", "add", "stranger", "--home", tn.net.Nodes[0].Home); code != 0 {
		t.Fatal(errOut)
	}
	_, errOut, code := tn.q1(t, 0, "service", "logs", "echo", "--from", "stranger")
	if code != 1 || !strings.Contains(errOut, "may not read the logs of echo (permissions.logViewers)") {
		t.Fatalf("a stranger's logs: exit %d: %s", code, errOut)
	}
	var out string
	waitFor(t, 30*time.Second, "three log lines", func() bool {
		// Without --from the home's default key (the deployer, an owner) signs.
		out, errOut, code = tn.q1(t, 0, "service", "logs", "echo")
		return code == 0 && strings.Contains(out, "path=/three")
	})
	for _, p := range []string{"path=/one", "path=/two", "path=/three"} {
		if !strings.Contains(out, p) {
			t.Errorf("logs lack %s:\n%s", p, out)
		}
	}

	// -f follows: a new call shows up while the command runs.
	cmd := exec.Command(q1Bin, "service", "logs", "echo", "-f", "--from", "default", "--home", tn.net.Nodes[0].Home)
	var buf lockedBuffer
	cmd.Stdout = &buf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	waitFor(t, 30*time.Second, "the followed stream to start", func() bool { return strings.Contains(buf.String(), "path=/three") })
	if code, _, _, err := call(c, gw, "GET", "echo", "/four", ""); err != nil || code != 200 {
		t.Fatalf("GET /four: %d %v", code, err)
	}
	waitFor(t, 30*time.Second, "the new line to be followed", func() bool { return strings.Contains(buf.String(), "path=/four") })
	_ = cmd.Process.Kill()
	_ = cmd.Wait()

	// The node keeps the lines on disk: killed (SIGKILL) and started again,
	// it serves every earlier line, in order, and numbers new ones after them.
	if err := tn.sup.Kill(0); err != nil {
		t.Fatal(err)
	}
	if err := tn.sup.Start(0); err != nil {
		t.Fatal(err)
	}
	tn.waitAllHeight(tn.maxHeight()+1, 3*time.Minute)
	before := []string{"path=/one", "path=/two", "path=/three", "path=/four"}
	var entries []q1client.LogEntry
	waitFor(t, 3*time.Minute, "the lines from before the restart", func() bool {
		out, _, code = tn.q1(t, 0, "service", "logs", "echo", "-o", "json")
		entries = logEntries(t, out)
		return code == 0 && inOrder(entries, before...)
	})
	waitFor(t, 2*time.Minute, "echo to serve again", func() bool {
		code, _, _, err := call(c, gw, "GET", "echo", "/five", "")
		return err == nil && code == 200
	})
	waitFor(t, time.Minute, "a line after the restart", func() bool {
		out, _, code = tn.q1(t, 0, "service", "logs", "echo", "-o", "json")
		entries = logEntries(t, out)
		return code == 0 && inOrder(entries, append(before, "path=/five")...)
	})
	for i := 1; i < len(entries); i++ {
		if entries[i].Seq <= entries[i-1].Seq || entries[i].Time.Before(entries[i-1].Time) {
			t.Fatalf("after the restart the lines are not numbered and timed in order:\n%s", out)
		}
	}

	// A service whose manifest grants no log capability has no lines: the
	// CLI says so, and exits 1.
	if out, errOut, code := tn.q1(t, 0, "service", "deploy", "-f", "../examples/hello/service.yaml",
		"--wasm", exampleWasm(t, "hello"), "--from", "default", "--deposit", "100QC", "--force"); code != 0 {
		t.Fatalf("deploy hello: %s%s", out, errOut)
	}
	const noLog = "service hello has no log lines to show: its manifest does not grant the log capability (permissions.capabilities.log)"
	if out, errOut, code := tn.q1(t, 0, "service", "logs", "hello"); code != 1 || out != "" || !strings.Contains(errOut, noLog) {
		t.Fatalf("logs of hello: exit %d, stdout %q, stderr %q; want 1 and %q", code, out, errOut, noLog)
	}
	out, errOut, code = tn.q1(t, 0, "service", "logs", "hello", "-o", "json")
	var refusal struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if code != 1 || out != "" || jsonUnmarshal(errOut, &refusal) != nil || refusal.Error.Code != "no_log_capability" ||
		!strings.HasPrefix(refusal.Error.Message, noLog) {
		t.Fatalf("logs of hello -o json: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// logEntries reads q1 service logs -o json.
func logEntries(t *testing.T, out string) []q1client.LogEntry {
	t.Helper()
	var es []q1client.LogEntry
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var e q1client.LogEntry
		if err := jsonUnmarshal(line, &e); err != nil {
			t.Fatalf("q1 service logs -o json printed %q: %v", line, err)
		}
		es = append(es, e)
	}
	return es
}

// inOrder reports whether the entries hold a line containing each of
// wants, in that order.
func inOrder(es []q1client.LogEntry, wants ...string) bool {
	i := 0
	for _, e := range es {
		if i < len(wants) && strings.Contains(e.Message, wants[i]) {
			i++
		}
	}
	return i == len(wants)
}

// lockedBuffer is a bytes.Buffer safe to write from a process and read from a test.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestServiceCallRules: a manifest's caller rules are enforced by the
// gateway: public paths for anyone, reserved paths only for requests signed
// by the listed accounts (q1 service call --from), refusals with reasons.
func TestServiceCallRules(t *testing.T) {
	tn := startTestnet(t, netOptions{nodes: 1})
	tn.registerSharers(t)
	home := tn.net.Nodes[0].Home
	admin := tn.net.Nodes[0].Address
	if _, errOut, code := runQ1(t, "keys", "add", "mallory", "--home", home); code != 0 {
		t.Fatal(errOut)
	}
	manifest := writeDraft(t, "guarded", "{memory: 32Mi}", "  capabilities: {log: true}")
	doc, err := os.ReadFile(manifest)
	if err != nil {
		t.Fatal(err)
	}
	doc = []byte(strings.Replace(string(doc), `  callers: [{paths: ["/*"], allow: public}]`,
		`  callers: [{paths: ["/admin/*"], allow: [`+admin+`]}, {paths: ["/*"], allow: public}]`, 1))
	if err := os.WriteFile(manifest, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := tn.q1(t, 0, "service", "deploy", "-f", manifest, "--wasm", exampleWasm(t, "echo"),
		"--from", "default", "--deposit", "100QC", "--wait-serving", "2m")
	if code != 0 || !strings.Contains(out, "replica 0 serving on "+tn.net.Nodes[0].Address) ||
		!strings.Contains(errOut, "waiting for 1 replica(s) of guarded to be placed and warm") {
		t.Fatalf("deploy --wait-serving: exit %d:\n%s%s", code, out, errOut)
	}
	waitServed(t, 2*time.Minute, "guarded", []string{tn.net.Nodes[0].Gateway})

	out, errOut, code = tn.q1(t, 0, "service", "call", "guarded", "/hello")
	if code != 0 || !strings.HasPrefix(out, "GET /hello\n") {
		t.Fatalf("public path: exit %d: %s%s", code, out, errOut)
	}
	out, errOut, code = tn.q1(t, 0, "service", "call", "guarded", "/admin/stats")
	if code != 1 || !strings.Contains(out+errOut, "401") {
		t.Fatalf("reserved path unsigned: exit %d: %s%s", code, out, errOut)
	}
	out, errOut, code = tn.q1(t, 0, "service", "call", "guarded", "/admin/stats", "--from", "mallory")
	if code != 1 || !strings.Contains(out+errOut, "403") {
		t.Fatalf("reserved path signed by a stranger: exit %d: %s%s", code, out, errOut)
	}
	out, errOut, code = tn.q1(t, 0, "service", "call", "guarded", "/admin/stats?x=1", "--from", "default", "-X", "POST", "-d", "secret")
	if code != 0 || !strings.HasPrefix(out, "POST /admin/stats?x=1\n") || !strings.HasSuffix(out, "\nsecret") {
		t.Fatalf("reserved path signed by the admin: exit %d: %s%s", code, out, errOut)
	}
}

// failedBecause reports whether q1 service status output lists a replica
// that failed with a reason containing want, on one line.
func failedBecause(out, want string) bool {
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, ": failed: ") && strings.Contains(line, want) {
			return true
		}
	}
	return false
}
