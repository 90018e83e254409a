package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	q1client "github.com/quantum1net/q1/client"
)

// devnetLikePrices are what q1 devnet's sharers ask: more than tinyx's
// caps (what docs/manifest.md's smallest manifest once had) allow for memory
// and requests.
const devnetLikePrices = "cpu=400uqc/core-s,memory=500uqc/MiB-h,storage=50uqc/GiB-h,requests=1000uqc/1k,egress=5000uqc/GiB"

// runQ1Terminal runs q1 with a terminal as stdin, on which answer is typed.
func runQ1Terminal(t *testing.T, answer string, args ...string) (string, string, int) {
	t.Helper()
	master, tty, err := openPTY()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer master.Close()
	defer tty.Close()
	go func() { _, _ = io.Copy(io.Discard, master) }() // the terminal's echo
	if _, err := master.Write([]byte(answer)); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(q1Bin, args...)
	var out, errb strings.Builder
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, &out, &errb
	err = cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return out.String(), errb.String(), ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run q1 %v: %v", args, err)
	}
	return out.String(), errb.String(), 0
}

// TestNewcomerDeploy walks issues #15 and #17 as a newcomer meets them, on a
// one-node network whose node is a sharer at devnet prices: a deploy that
// cannot be placed stops before anything is sent and says which price is
// above which cap; a dry run reports a taken name and a deposit beyond the
// balance; propose keeps the module without --wasm; accounts are key names
// too; approving without --hash shows the proposal, asks on a terminal and
// refuses without one; a replaced proposal shows in q1 service status.
func TestNewcomerDeploy(t *testing.T) {
	n := startSingleNode(t)
	wasm := exampleWasm(t, "hello")
	module, err := os.ReadFile(wasm)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(module)
	wasmHash := "sha256:" + hex.EncodeToString(sum[:])
	me := strings.TrimSpace(first(runQ1(t, "keys", "show", "default", "-a", "--home", n.home)))
	bob := n.account(t, "bob", "1000QC")
	if out, errOut, code := n.q1(t, "sharer", "register", "--from", "default", "--endpoint", n.gateway, "--cpu", "2", "--memory", "4Gi",
		"--disk", "20Gi", "--egress", "100Gi", "--price", devnetLikePrices); code != 0 {
		t.Fatalf("sharer register: %s%s", out, errOut)
	}
	dir := t.TempDir()
	write := func(file, doc string) string {
		p := filepath.Join(dir, file)
		if err := os.WriteFile(p, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// A manifest with caps below the sharers' prices (docs/manifest.md's
	// smallest once had them), as a draft: the deploying key owns it.
	tinyDoc := `apiVersion: q1/v1
name: tinyx
resources: {memory: %s}
pricing: {cpuPerCoreSecond: 500uqc, memoryPerMiBHour: 2uqc, storagePerGiBHour: 50uqc, per1kRequests: 10uqc, egressPerGiB: 5000uqc}
`
	tiny := write("tiny.yaml", fmt.Sprintf(tinyDoc, "32Mi"))
	// Bob deploys tinyx: the default key pays its node's hot key's fees.
	balance := func() string {
		out, errOut, code := n.q1(t, "wallet", "balance", "bob", "-o", "json")
		if code != 0 {
			t.Fatalf("wallet balance: %s", errOut)
		}
		return out
	}
	priceLines := []string{
		"1 sharer asks memory 500uqc/MiB-h, above pricing.memoryPerMiBHour 2uqc (498uqc more)",
		"1 sharer asks requests 1000uqc/1k, above pricing.per1kRequests 10uqc (990uqc more)",
	}
	fixLines := []string{"fix: raise pricing.memoryPerMiBHour to at least 500uqc", "fix: raise pricing.per1kRequests to at least 1000uqc"}

	// 1. A deploy that cannot be placed stops before the upload, says why, and spends nothing.
	before := balance()
	out, errOut, code := n.q1(t, "service", "deploy", "-f", tiny, "--wasm", wasm, "--from", "bob", "--deposit", "10QC", "--wait-serving", "30s")
	for _, want := range append([]string{"only 0 of 1 replica(s) of tinyx can be placed now: 1 sharer: 1 above max price",
		"--force", "tinyx was not deployed (1 problem(s)); nothing was uploaded or sent"}, append(priceLines, fixLines...)...) {
		if code != 1 || !strings.Contains(errOut, want) {
			t.Fatalf("deploy tinyx: exit %d, want 1 and %q:\n%s%s", code, want, out, errOut)
		}
	}
	if strings.Contains(errOut, "uploading") {
		t.Fatalf("a refused deploy uploaded the module:\n%s", errOut)
	}
	if _, errOut, code := n.q1(t, "service", "status", "tinyx"); code != 1 || !strings.Contains(errOut, "no service named tinyx") {
		t.Fatalf("after a refused deploy tinyx exists (exit %d): %s", code, errOut)
	}
	if after := balance(); after != before {
		t.Fatalf("a refused deploy spent money: balance %s, then %s", before, after)
	}
	// The dry run says the same.
	out, errOut, code = n.q1(t, "service", "deploy", "-f", tiny, "--wasm", wasm, "--from", "bob", "--deposit", "10QC", "--dry-run")
	if code != 1 || !strings.Contains(out, "Service tinyx would be placed on 0 of 1 replicas: 1 sharer: 1 above max price") ||
		!strings.Contains(errOut, priceLines[0]) || !strings.Contains(errOut, "dry run: the deploy of tinyx would stop with 1 problem(s)") {
		t.Fatalf("deploy --dry-run tinyx: exit %d:\n%s%s", code, out, errOut)
	}
	// Other fields than price: each group names the field, what the sharer
	// has, and the fix.
	out, errOut, code = n.q1(t, "service", "deploy", "-f", write("eu.yaml", `apiVersion: q1/v1
name: eux
resources: {memory: 32Mi}
placement: {requireAttributes: {region: eu}, minCollateral: 1000QC}
pricing: {cpuPerCoreSecond: 500uqc, memoryPerMiBHour: 1000uqc, storagePerGiBHour: 50uqc, per1kRequests: 1000uqc, egressPerGiB: 5000uqc}
`), "--from", "bob", "--deposit", "10QC", "--dry-run")
	for _, want := range []string{
		"1 sharer: placement.requireAttributes wants region=eu; they have no region (1)",
		"fix: remove region from placement.requireAttributes",
	} {
		if code != 1 || !strings.Contains(errOut, want) {
			t.Fatalf("deploy --dry-run eux: exit %d, want 1 and %q:\n%s%s", code, want, out, errOut)
		}
	}
	// --force deploys it anyway, and q1 service placement explains as the deploy did.
	out, errOut, code = n.q1(t, "service", "deploy", "-f", tiny, "--wasm", wasm, "--from", "bob", "--deposit", "10QC", "--force")
	if code != 0 || !strings.Contains(errOut, "warning (--force): only 0 of 1 replica(s) of tinyx can be placed now") {
		t.Fatalf("deploy tinyx --force: exit %d:\n%s%s", code, out, errOut)
	}
	var pl struct {
		q1client.Placement
		AbovePriceCaps []struct {
			Field   string   `json:"field"`
			Cap     uint64   `json:"cap_uqc"`
			Min     uint64   `json:"min_uqc"`
			Sharers []string `json:"sharers"`
			Fix     string   `json:"fix"`
		} `json:"above_price_caps"`
	}
	waitFor(t, 2*time.Minute, "tinyx's placement attempt", func() bool {
		out, _, code := n.q1(t, "service", "placement", "tinyx", "-o", "json")
		return code == 0 && json.Unmarshal([]byte(out), &pl) == nil && pl.PlacedHeight > 0
	})
	if pl.Explanation != "1 sharer: 1 above max price" || len(pl.AbovePriceCaps) != 2 || pl.AbovePriceCaps[0].Field != "pricing.memoryPerMiBHour" ||
		pl.AbovePriceCaps[0].Cap != 2 || pl.AbovePriceCaps[0].Min != 500 || strings.Join(pl.AbovePriceCaps[0].Sharers, ",") != me ||
		"fix: "+pl.AbovePriceCaps[0].Fix != fixLines[0] {
		t.Fatalf("service placement tinyx -o json: %+v", pl)
	}
	out, _, _ = n.q1(t, "service", "placement", "tinyx")
	if !strings.Contains(out, "passed over now, by manifest field:\n    "+priceLines[0]+"\n      "+fixLines[0]+"\n    "+priceLines[1]+"\n      "+fixLines[1]+"\n") {
		t.Fatalf("service placement tinyx printed:\n%s", out)
	}

	// 3. A proposal without --wasm changes the manifest and keeps the module.
	out, errOut, code = n.q1(t, "service", "propose", "-f", write("tiny2.yaml", fmt.Sprintf(tinyDoc, "64Mi")), "--from", "bob")
	if code != 0 || !strings.Contains(errOut, "no --wasm was given: the module stays "+wasmHash) {
		t.Fatalf("propose without --wasm: exit %d:\n%s%s", code, out, errOut)
	}
	s := n.serviceStatus(t, "tinyx")
	var m struct {
		Code struct {
			Wasm string `json:"wasm"`
		} `json:"code"`
		Resources struct {
			Memory string `json:"memory"`
		} `json:"resources"`
		Permissions struct {
			Owners struct {
				Accounts []string `json:"accounts"`
			} `json:"owners"`
		} `json:"permissions"`
	}
	if err := json.Unmarshal(s.Manifest, &m); err != nil || s.Version != 2 || m.Code.Wasm != wasmHash || m.Resources.Memory != "64Mi" ||
		strings.Join(m.Permissions.Owners.Accounts, ",") != bob {
		t.Fatalf("tinyx after a manifest-only update: version %d, manifest %s (%v)", s.Version, s.Manifest, err)
	}

	// 2. A dry run reports every problem: a taken name (paused services'
	// included), a deposit beyond the balance, and placement.
	if _, errOut, code := n.q1(t, "service", "pause", "tinyx", "--from", "bob"); code != 0 {
		t.Fatalf("pause tinyx: %s", errOut)
	}
	out, errOut, code = n.q1(t, "service", "deploy", "-f", tiny, "--dry-run", "--deposit", "2000000QC", "--from", "bob")
	for _, want := range []string{
		"name tinyx is taken by an existing service (paused, created at height ",
		"insufficient funds: bob (" + bob + ") has ",
		"and the deposit alone is 2000000QC",
		"only 0 of 1 replica(s) of tinyx can be placed now",
		"dry run: the deploy of tinyx would stop with 3 problem(s); nothing was uploaded or sent",
		"(module not checked: pass --wasm FILE to check it)",
	} {
		if code != 1 || !strings.Contains(errOut, want) {
			t.Fatalf("dry run of a taken name beyond the balance: exit %d, want 1 and %q:\n%s%s", code, want, out, errOut)
		}
	}

	// 5. Approving without --hash: a 2-of-2 service whose 1 QC withdrawal
	// is replaced by a 99 QC one.
	pairDoc := func(memory string) string {
		return fmt.Sprintf(`apiVersion: q1/v1
name: pair
permissions:
  owners: {accounts: [%s, %s], threshold: 2}
resources: {memory: %s}
pricing: {cpuPerCoreSecond: 500uqc, memoryPerMiBHour: 1000uqc, storagePerGiBHour: 50uqc, per1kRequests: 1000uqc, egressPerGiB: 5000uqc}
`, me, bob, memory)
	}
	pair := write("pair.yaml", pairDoc("32Mi"))
	pair2 := write("pair2.yaml", pairDoc("64Mi"))
	// The money goes to carol, a key with nothing else moving her balance.
	if _, errOut, code := runQ1(t, "keys", "add", "carol", "--home", n.home); code != 0 {
		t.Fatalf("keys add carol: %s", errOut)
	}
	carol := strings.TrimSpace(first(runQ1(t, "keys", "show", "carol", "-a", "--home", n.home)))
	carolHas := func() string {
		out, errOut, code := n.q1(t, "wallet", "balance", "carol", "-o", "json")
		var b struct{ Balance string }
		if code != 0 || json.Unmarshal([]byte(out), &b) != nil {
			t.Fatalf("wallet balance carol: exit %d: %s%s", code, out, errOut)
		}
		return b.Balance
	}
	if out, errOut, code := n.q1(t, "service", "deploy", "-f", pair, "--wasm", wasm, "--from", "default", "--deposit", "200QC"); code != 0 {
		t.Fatalf("deploy pair: %s%s", out, errOut)
	}
	for _, args := range [][]string{
		{"service", "withdraw", "pair", "1QC", "--to", "bob", "--from", "default"}, // a key name as --to
		{"service", "cancel", "pair", "--from", "default"},
		{"service", "withdraw", "pair", "99QC", "--to", "carol", "--from", "default"},
	} {
		if out, errOut, code := n.q1(t, args...); code != 0 {
			t.Fatalf("q1 %v: %s%s", args, out, errOut)
		}
	}
	var st struct {
		q1client.Service
		PendingReplaces *struct {
			ID          uint64 `json:"id"`
			Amount      string `json:"amount"`
			To          string `json:"to"`
			CancelledBy string `json:"cancelled_by"`
		} `json:"pending_replaces"`
	}
	out, errOut, code = n.q1(t, "service", "status", "pair", "-o", "json")
	if code != 0 || json.Unmarshal([]byte(out), &st) != nil || st.Pending == nil || st.PendingReplaces == nil ||
		st.Pending.Amount != "99000000" || st.PendingReplaces.ID != st.Pending.ID-1 || st.PendingReplaces.Amount != "1000000" ||
		st.PendingReplaces.To != bob || st.PendingReplaces.CancelledBy != me {
		t.Fatalf("service status pair -o json: exit %d:\n%s%s", code, out, errOut)
	}
	p := st.Pending
	out, _, _ = n.q1(t, "service", "status", "pair")
	for _, want := range []string{
		fmt.Sprintf("pending proposal %d: withdraw 99QC to %s; 1 of 2 approvals", p.ID, carol),
		fmt.Sprintf("proposed by %s at height %d; hash %s", me, p.ProposedHeight, p.Hash),
		fmt.Sprintf("replaces proposal %d (withdraw 1QC to %s; hash ", p.ID-1, bob),
		"cancelled by " + me + " at height ",
	} {
		if !strings.Contains(out, want) {
			t.Fatalf("service status pair does not say %q:\n%s", want, out)
		}
	}
	// The dashboard's service page shows the pending proposal's id, amount,
	// creation height and whole hash: what an approval names.
	var b *browser
	if _, err := os.Stat(chromiumPath); err == nil {
		b = newBrowser(t, n.http+"/")
		b.goTo("#/services/pair")
		waitFor(t, time.Minute, "the pending proposal on the dashboard", func() bool { return b.value(`[data-k="pending-hash"]`) == p.Hash })
		if id, amount, h := b.value(`[data-k="pending-id"]`), b.value(`[data-k="pending-amount"]`), b.value(`[data-k="pending-height"]`); id != fmt.Sprintf("#%d", p.ID) || amount != "99 QC" ||
			strings.ReplaceAll(h, ",", "") != fmt.Sprint(p.ProposedHeight) {
			t.Fatalf("dashboard's pending proposal: id %q, amount %q, height %q", id, amount, h)
		}
		// ... and the proposal it replaced, as q1 service status does.
		if got, want := b.value(`[data-k="pending-replaces"]`), fmt.Sprintf("#%d: withdraw 1 QC to ", p.ID-1); !strings.HasPrefix(got, want) {
			t.Fatalf("dashboard's replaced proposal: %q, want it to begin %q", got, want)
		}
	} else {
		t.Logf("no %s: the dashboard's proposal display is not checked here", chromiumPath)
	}
	// Without a terminal: refused, naming the command that pins the proposal.
	out, errOut, code = n.q1(t, "service", "approve", "pair", "--from", "bob")
	if code != 1 || !strings.Contains(errOut, fmt.Sprintf("Proposal %d of pair (pending): withdraw 99QC to %s", p.ID, carol)) ||
		!strings.Contains(errOut, "stdin is not a terminal") ||
		!strings.Contains(errOut, fmt.Sprintf("q1 service approve pair --proposal %d --hash %s --from bob", p.ID, p.Hash)) {
		t.Fatalf("approve without --hash and without a terminal: exit %d:\n%s%s", code, out, errOut)
	}
	// On a terminal: shown, and only "y" approves.
	home := []string{"--home", n.home, "--node", n.rpc}
	out, errOut, code = runQ1Terminal(t, "n\n", append([]string{"service", "approve", "pair", "--from", "bob"}, home...)...)
	if code != 1 || !strings.Contains(errOut, "withdraw 99QC to "+carol) || !strings.Contains(errOut, "replaces proposal") ||
		!strings.Contains(errOut, "Approve proposal") || !strings.Contains(errOut, "not approved") {
		t.Fatalf("approve on a terminal, answered n: exit %d:\n%s%s", code, out, errOut)
	}
	if s := n.serviceStatus(t, "pair"); s.Pending == nil || s.Pending.ID != p.ID || len(s.Pending.Approvals) != 1 || carolHas() != "0" {
		t.Fatalf("after refusals to approve: pending %+v, carol has %s uqc", s.Pending, carolHas())
	}
	out, errOut, code = runQ1Terminal(t, "y\n", append([]string{"service", "approve", "pair", "--from", "bob"}, home...)...)
	if code != 0 {
		t.Fatalf("approve on a terminal, answered y: exit %d:\n%s%s", code, out, errOut)
	}
	if has := carolHas(); has != "99000000" {
		t.Fatalf("after approving the 99QC withdrawal, carol has %s uqc", has)
	}
	// An update shows the fields it changes.
	if out, errOut, code := n.q1(t, "service", "propose", "-f", pair2, "--from", "default"); code != 0 {
		t.Fatalf("propose pair v2: %s%s", out, errOut)
	}
	if b != nil {
		waitFor(t, time.Minute, "the update's changes on the dashboard", func() bool {
			return b.value(`[data-k="pending-change"]`) == "resources.memory: 32Mi → 64Mi"
		})
		b.mu.Lock()
		problems := b.problems
		b.mu.Unlock()
		if len(problems) > 0 {
			t.Fatalf("the dashboard's pages had problems:\n%s", strings.Join(problems, "\n"))
		}
	}
	out, errOut, code = runQ1Terminal(t, "y\n", append([]string{"service", "approve", "pair", "--from", "bob"}, home...)...)
	if code != 0 || !strings.Contains(errOut, "update of the manifest\n  changes from version 1:\n    resources.memory: 32Mi → 64Mi\n") {
		t.Fatalf("approve an update on a terminal: exit %d:\n%s%s", code, out, errOut)
	}
	if s := n.serviceStatus(t, "pair"); s.Version != 2 {
		t.Fatalf("pair after the approved update: version %d", s.Version)
	}
}
