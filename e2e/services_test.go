package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	q1client "github.com/quantum1net/q1/client"
)

// exampleWasm builds an example service once per test binary.
var (
	wasmOnce  sync.Map // name → *sync.Once
	wasmPaths sync.Map // name → path
)

func exampleWasm(t *testing.T, name string) string {
	t.Helper()
	once, _ := wasmOnce.LoadOrStore(name, &sync.Once{})
	once.(*sync.Once).Do(func() {
		out := filepath.Join(filepath.Dir(q1Bin), name+".wasm")
		cmd := exec.Command("go", "build", "-buildmode=c-shared", "-o", out, "./examples/"+name)
		cmd.Dir = ".."
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("build examples/%s: %v\n%s", name, err, b)
		}
		wasmPaths.Store(name, out)
	})
	p, ok := wasmPaths.Load(name)
	if !ok {
		t.Fatalf("examples/%s did not build", name)
	}
	return p.(string)
}

// account creates a key in the node's keyring, funds it from default and
// returns its address.
func (n *singleNode) account(t *testing.T, name, funds string) string {
	t.Helper()
	if _, errOut, code := runQ1(t, "keys", "add", name, "--home", n.home); code != 0 {
		t.Fatalf("keys add %s: %s", name, errOut)
	}
	out, _, _ := runQ1(t, "keys", "show", name, "-a", "--home", n.home)
	addr := strings.TrimSpace(out)
	if _, errOut, code := n.q1(t, "wallet", "send", "--from", "default", addr, funds); code != 0 {
		t.Fatalf("fund %s: %s", name, errOut)
	}
	return addr
}

// serviceStatus reads a service through the CLI as JSON.
func (n *singleNode) serviceStatus(t *testing.T, name string) q1client.Service {
	t.Helper()
	out, errOut, code := n.q1(t, "service", "status", name, "-o", "json")
	if code != 0 {
		t.Fatalf("service status %s: %s", name, errOut)
	}
	var s q1client.Service
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("service status -o json: %v\n%s", err, out)
	}
	return s
}

// refuse runs a q1 command that must fail and compares its stderr with a golden file.
func (n *singleNode) refuse(t *testing.T, golden string, args ...string) {
	t.Helper()
	_, errOut, code := n.q1(t, args...)
	if code != 1 {
		t.Fatalf("q1 %v: exit %d, want 1 (stderr %q)", args, code, errOut)
	}
	goldenCheck(t, "services/"+golden, errOut, n.replacer)
}

// TestServiceGovernance walks a 2-of-2 service through the manifest's
// rules with the real CLI: every refusal's message against a golden file,
// and nothing changed by a refused action.
func TestServiceGovernance(t *testing.T) {
	n := startSingleNode(t)
	wasm := exampleWasm(t, "hello")
	a := strings.TrimSpace(first(runQ1(t, "keys", "show", "default", "-a", "--home", n.home)))
	b := n.account(t, "bob", "1000QC")
	c := n.account(t, "carol", "1000QC")
	d := n.account(t, "dave", "1000QC")
	n.replacer = strings.NewReplacer(n.home, "$HOME", n.rpc, "$NODE", n.http, "$API", wasm, "$WASM",
		a, "$A", b, "$B", c, "$C", d, "$D")

	dir := t.TempDir()
	writeManifest := func(file, memory, callers string) string {
		p := filepath.Join(dir, file)
		doc := fmt.Sprintf(`apiVersion: q1/v1
name: gov
permissions:
  owners: {accounts: [%s, %s], threshold: 2}
  operators: [%s]
  callers:
    - {paths: ["%s"], allow: public}
policies:
  update: {noticeBlocks: 300, frozen: [permissions.callers]}
resources: {memory: %s}
placement: {replicas: 1, replicasMax: 3}
pricing: {cpuPerCoreSecond: 500uqc, memoryPerMiBHour: 2uqc, storagePerGiBHour: 50uqc, per1kRequests: 10uqc, egressPerGiB: 5000uqc}
`, a, b, d, callers, memory)
		if err := os.WriteFile(p, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	v1 := writeManifest("v1.yaml", "32Mi", "/*")
	v2 := writeManifest("v2.yaml", "64Mi", "/*")
	frozen := writeManifest("frozen.yaml", "32Mi", "/api/*")

	// The node is no sharer: nothing can be placed, and --force deploys anyway.
	if out, errOut, code := n.q1(t, "service", "deploy", "-f", v1, "--wasm", wasm, "--from", "default", "--deposit", "100QC"); code != 1 ||
		!strings.Contains(errOut, "only 0 of 1 replica(s) of gov can be placed now: no sharers") {
		t.Fatalf("deploy without sharers: exit %d, want 1 and the placement refusal:\n%s%s", code, out, errOut)
	}
	if out, errOut, code := n.q1(t, "service", "deploy", "-f", v1, "--wasm", wasm, "--from", "default", "--deposit", "100QC", "--force"); code != 0 {
		t.Fatalf("deploy: %s%s", out, errOut)
	}
	base := n.serviceStatus(t, "gov")
	if base.Version != 1 || base.Escrow != "100000000" || base.Status != "active" {
		t.Fatalf("after deploy: %+v", base)
	}

	// Only owners propose.
	n.refuse(t, "propose-non-owner", "service", "propose", "-f", v2, "--wasm", wasm, "--from", "carol")
	// A frozen field cannot change, and the refusal names it.
	n.refuse(t, "propose-frozen", "service", "propose", "-f", frozen, "--wasm", wasm, "--from", "default")

	if out, errOut, code := n.q1(t, "service", "propose", "-f", v2, "--wasm", wasm, "--from", "default"); code != 0 {
		t.Fatalf("propose: %s%s", out, errOut)
	}
	s := n.serviceStatus(t, "gov")
	p := s.Pending
	if p == nil || p.Kind != "update" || len(p.Approvals) != 1 || p.Threshold != 2 {
		t.Fatalf("pending proposal after propose: %+v", p)
	}
	n.replacer = strings.NewReplacer(n.home, "$HOME", n.rpc, "$NODE", n.http, "$API", wasm, "$WASM",
		a, "$A", b, "$B", c, "$C", d, "$D", p.Hash, "$PROPOSAL_HASH")
	// One pending proposal at a time.
	n.refuse(t, "second-proposal", "service", "withdraw", "gov", "1QC", "--from", "bob")
	// Approvals: not by outsiders, not twice, not with another hash.
	pin := []string{"--proposal", fmt.Sprint(p.ID), "--hash", p.Hash}
	n.refuse(t, "approve-non-owner", append([]string{"service", "approve", "gov", "--from", "carol"}, pin...)...)
	n.refuse(t, "approve-twice", append([]string{"service", "approve", "gov", "--from", "default"}, pin...)...)
	n.refuse(t, "approve-wrong-hash", "service", "approve", "gov", "--proposal", fmt.Sprint(p.ID),
		"--hash", "sha256:"+strings.Repeat("ab", 32), "--from", "bob")

	if out, errOut, code := n.q1(t, "service", "approve", "gov", "--proposal", fmt.Sprint(p.ID), "--hash", p.Hash, "--from", "bob"); code != 0 {
		t.Fatalf("approve: %s%s", out, errOut)
	}
	// 300 blocks of notice (30 s here, more on a loaded machine): still
	// pending after the refusals above, for anyone to see.
	s = n.serviceStatus(t, "gov")
	if s.Version != 1 || s.Pending == nil || s.Pending.ApprovedHeight == 0 || s.Pending.ActivationHeight != p.ProposedHeight+300 {
		t.Fatalf("an approved update is pending until its notice passes: %+v", s.Pending)
	}
	// It activates at exactly proposed + notice, visible to anyone until then.
	waitFor(t, 3*time.Minute, "version 2 to activate", func() bool { return n.serviceStatus(t, "gov").Version == 2 })
	hist, err := nodeAPI(n.http).History(bg(), "gov")
	apiFatal(t, "GET /v1/services/gov/history", err)
	if len(hist.Versions) != 2 || hist.Versions[1].ActivatedHeight != p.ActivationHeight ||
		strings.Join(hist.Versions[1].Approvers, ",") != a+","+b {
		t.Fatalf("history: %+v", hist.Versions)
	}
	n.refuse(t, "approve-activated", "service", "approve", "gov", "--proposal", fmt.Sprint(p.ID), "--hash", p.Hash, "--from", "bob")

	// A withdrawal below threshold moves nothing until the second owner approves.
	if _, errOut, code := n.q1(t, "service", "withdraw", "gov", "30QC", "--from", "default"); code != 0 {
		t.Fatalf("withdraw proposal: %s", errOut)
	}
	if s := n.serviceStatus(t, "gov"); s.Escrow != "100000000" || s.Pending == nil || s.Pending.Kind != "withdraw" {
		t.Fatalf("a withdrawal below threshold changed the escrow or is not pending: %+v", s)
	}
	// Cancelled proposals cannot be approved.
	wp := n.serviceStatus(t, "gov").Pending
	if _, errOut, code := n.q1(t, "service", "cancel", "gov", "--from", "bob"); code != 0 {
		t.Fatalf("cancel: %s", errOut)
	}
	n.refuse(t, "approve-cancelled", "service", "approve", "gov", "--proposal", fmt.Sprint(wp.ID), "--hash", wp.Hash, "--from", "bob")
	if _, errOut, code := n.q1(t, "service", "withdraw", "gov", "30QC", "--from", "default", "--to", c); code != 0 {
		t.Fatalf("withdraw proposal: %s", errOut)
	}
	wp = n.serviceStatus(t, "gov").Pending
	if _, errOut, code := n.q1(t, "service", "approve", "gov", "--from", "bob", "--hash", wp.Hash); code != 0 {
		t.Fatalf("approve withdrawal: %s", errOut)
	}
	if s := n.serviceStatus(t, "gov"); s.Escrow != "70000000" {
		t.Fatalf("after an approved withdrawal of 30QC the escrow is %s uqc", s.Escrow)
	}

	// Operators fund, pause, resume and scale within replicasMax; they never move money.
	n.refuse(t, "operator-withdraw", "service", "withdraw", "gov", "1QC", "--from", "dave")
	n.refuse(t, "scale-beyond-max", "service", "scale", "gov", "4", "--from", "dave")
	for _, args := range [][]string{
		{"service", "scale", "gov", "3", "--from", "dave"},
		{"service", "pause", "gov", "--from", "dave"},
		{"service", "resume", "gov", "--from", "dave"},
		{"service", "fund", "gov", "5QC", "--from", "dave"},
	} {
		if _, errOut, code := n.q1(t, args...); code != 0 {
			t.Fatalf("operator %v: %s", args[1:3], errOut)
		}
	}
	n.refuse(t, "pause-outsider", "service", "pause", "gov", "--from", "carol")
	if s := n.serviceStatus(t, "gov"); s.Escrow != "75000000" || s.Status != "active" || s.Version != 3 {
		t.Fatalf("after the operator's actions: %+v", s)
	}

	// Deleting needs both owners; a deleted name is never reused.
	if _, errOut, code := n.q1(t, "service", "delete", "gov", "--from", "default"); code != 0 {
		t.Fatalf("delete proposal: %s", errOut)
	}
	if s := n.serviceStatus(t, "gov"); s.Status != "active" {
		t.Fatalf("a delete below threshold deleted the service: %+v", s)
	}
	if _, errOut, code := n.q1(t, "service", "approve", "gov", "--from", "bob", "--hash", n.serviceStatus(t, "gov").Pending.Hash); code != 0 {
		t.Fatalf("approve delete: %s", errOut)
	}
	if s := n.serviceStatus(t, "gov"); s.Status != "deleted" {
		t.Fatalf("after the approved delete: %+v", s)
	}
	// The deletion kept back what usage reports still inside the report
	// window may charge; the rest is refunded when the window closes.
	waitFor(t, 2*time.Minute, "the deleted service's escrow to be released", func() bool {
		return n.serviceStatus(t, "gov").Escrow == "0"
	})
	n.refuse(t, "recreate-deleted", "service", "deploy", "-f", v1, "--wasm", wasm, "--from", "default", "--deposit", "100QC", "--force")
	hist, err = nodeAPI(n.http).History(bg(), "gov")
	apiFatal(t, "GET /v1/services/gov/history", err)
	if len(hist.Versions) != 3 {
		t.Fatalf("a deleted service keeps its history: %d versions", len(hist.Versions))
	}
}

func first(a string, _ ...any) string { return a }

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", within, what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
