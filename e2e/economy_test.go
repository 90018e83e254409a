package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	sdkmath "cosmossdk.io/math"
	rpcclient "github.com/cometbft/cometbft/rpc/client"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	sdk "github.com/cosmos/cosmos-sdk/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	gogoproto "github.com/cosmos/gogoproto/proto"

	q1client "github.com/quantum1net/q1/client"
	usagetypes "github.com/quantum1net/q1/x/usage/types"
)

// Sharer prices that make rent visible within seconds: 2 QC per MiB-hour of
// memory, so a 64Mi replica burns ~35,600 uqc a second and the minimum
// deposit (1 QC) lasts about half a minute.
const economyPrices = "cpu=400uqc/core-s,memory=2000000uqc/MiB-h,storage=50uqc/GiB-h,requests=10000uqc/1k,egress=5000uqc/GiB"

// economyManifest is a public service whose pricing caps accept those prices.
func economyManifest(t *testing.T, name, memory, extra string) string {
	t.Helper()
	doc := fmt.Sprintf(`apiVersion: q1/v1
name: %s
permissions:
  callers: [{paths: ["/*"], allow: public}]
%s
resources: {cpu: 100m, memory: %s, storage: 4Mi, requestTimeout: 2s}
pricing: {cpuPerCoreSecond: 400uqc, memoryPerMiBHour: 2QC, storagePerGiBHour: 50uqc, per1kRequests: 10000uqc, egressPerGiB: 5000uqc}
`, name, extra, memory)
	p := filepath.Join(t.TempDir(), name+".yaml")
	if err := os.WriteFile(p, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestEconomy closes the loop on a 4-node network: calls are metered,
// reported, charged from the escrow to the sharers (and the protocol share);
// an escrow that runs dry pauses its service (402), a deposit below the
// threshold is refused, one above resumes it with its kv data on the same
// sharer; after the grace a service is deleted and its data goes from the
// sharer's disk. The chain's invariants hold at every height throughout.
func TestEconomy(t *testing.T) {
	tn := startTestnet(t, netOptions{nodes: 4})
	// Collateral above the minimum (1 QC on a devnet): this test follows the
	// money, not audits (TestAuditsHonest and TestAuditsCatchCheaters do).
	// At exactly the minimum, one audit an honest node lost to a loaded
	// machine (a publication or commit past its window, slashed) left it
	// unplaceable, and metered had nowhere to re-place after the kill.
	for _, n := range tn.net.Nodes {
		if out, errOut, code := runQ1(t, "sharer", "register", "--from", "default", "--home", n.Home,
			"--endpoint", n.Gateway, "--cpu", "2", "--memory", "4Gi", "--disk", "20Gi", "--egress", "100Gi",
			"--price", economyPrices, "--collateral", "10QC"); code != 0 {
			t.Fatalf("register %s as a sharer: %s%s", n.Name, out, errOut)
		}
	}
	rpc := tn.clients[0].RPC
	inv := startInvariantWatch(t, rpc)

	// --dry-run shows the placement and the cost, and sends nothing.
	metered := economyManifest(t, "metered", "16Mi", "placement: {replicas: 2}")
	out, errOut, code := tn.q1(t, 0, "service", "deploy", "-f", metered, "--wasm", exampleWasm(t, "hello"),
		"--from", "default", "--deposit", "1000QC", "--dry-run")
	if code != 0 || !strings.Contains(out+errOut, "per hour") || !strings.Contains(out, "Spending ceiling ") {
		t.Fatalf("deploy --dry-run: exit %d:\n%s%s", code, out, errOut)
	}
	if _, errOut, code := tn.q1(t, 0, "service", "status", "metered"); code == 0 || !strings.Contains(errOut, "metered") {
		t.Fatalf("after --dry-run, service metered exists (exit %d): %s", code, errOut)
	}

	const deposit = 1000_000_000 // 1000QC in uqc
	deploy := func(name, manifest, wasm, amount string) {
		t.Helper()
		if out, errOut, code := tn.q1(t, 0, "service", "deploy", "-f", manifest, "--wasm", wasm,
			"--from", "default", "--deposit", amount); code != 0 {
			t.Fatalf("deploy %s: %s%s", name, out, errOut)
		}
	}
	deploy("metered", metered, exampleWasm(t, "hello"), "1000QC")
	budget := "policies: {budget: {lowBalanceBlocks: 50, graceBlocks: 100000}}"
	deploy("dry", economyManifest(t, "dry", "64Mi", "  capabilities: {kv: {quota: 1Mi}}\n"+budget), exampleWasm(t, "counter"), "1QC")
	deploy("brief", economyManifest(t, "brief", "64Mi", "  capabilities: {kv: {quota: 1Mi}}\npolicies: {budget: {lowBalanceBlocks: 10, graceBlocks: 30}}"),
		exampleWasm(t, "counter"), "1QC")
	gws := gateways(tn, -1)
	waitServed(t, 2*time.Minute, "metered", gws)
	waitServed(t, 2*time.Minute, "dry", gws[:1])
	waitServed(t, 2*time.Minute, "brief", gws[:1])

	c := &http.Client{Timeout: 5 * time.Second}
	// dry and brief keep state in their sharer's kv store.
	for _, svc := range []string{"dry", "dry", "dry", "brief"} {
		if code, body, _, err := call(c, gws[0], "POST", svc, "/", ""); err != nil || code != 200 {
			t.Fatalf("POST %s: %d %q %v", svc, code, body, err)
		}
	}

	// N calls through every gateway, then their usage on chain. The calls
	// go once both replicas of metered are acknowledged: a lease the chain
	// closes unacknowledged is never charged, and may not even report what
	// it served (waitServed's polls may have landed on one).
	waitFor(t, 3*time.Minute, "both replicas of metered acknowledged", func() bool {
		acked := 0
		for _, r := range tn.serviceStatus(t, "metered").Replicas {
			if r.Acked {
				acked++
			}
		}
		return acked == 2
	})
	const calls = 120
	for i := range calls {
		if code, body, _, err := call(c, gws[i%len(gws)], "GET", "metered", fmt.Sprintf("/n/%d", i), ""); err != nil || code != 200 {
			t.Fatalf("call %d: %d %q %v", i, code, body, err)
		}
	}
	// waitServed's calls count too: one per gateway.
	want := uint64(calls + len(gws))
	var counted string // what the last look found, for the failure message
	waitForSaying(t, 4*time.Minute, fmt.Sprintf("the usage records of metered to count the %d calls", calls), func() bool {
		var u usagetypes.QueryServiceUsageResponse
		if err := queryAt(rpc, "/q1.usage.v1.Query/ServiceUsage", &usagetypes.QueryServiceUsageRequest{Service: "metered"}, &u, 0); err != nil {
			counted = err.Error()
			return false
		}
		var recs []string
		claimed := uint64(0)
		for _, r := range u.Records {
			recs = append(recs, fmt.Sprintf("epoch %d lease %d on %s: %d requests (%d counted), caps %v", r.Epoch, r.LeaseId, r.Sharer, r.Requests, r.CountedRequests, r.Caps))
			claimed += r.Requests
		}
		counted = fmt.Sprintf("%d requests reported, %d counted, in %d records %q", claimed, u.Total.Requests, len(u.Records), recs)
		return u.Total.Requests >= calls
	}, func() string {
		out, errOut, _ := tn.q1(t, 0, "service", "usage", "metered")
		return "last counted: " + counted + "; q1 service usage metered: " + out + errOut
	})

	// waitServed's polls are usually counted a little later; they are not
	// required (see below), so this waits for them without failing.
	for end := time.Now().Add(time.Minute); time.Now().Before(end); time.Sleep(time.Second) {
		var u usagetypes.QueryServiceUsageResponse
		if queryAt(rpc, "/q1.usage.v1.Query/ServiceUsage", &usagetypes.QueryServiceUsageRequest{Service: "metered"}, &u, 0) == nil && u.Total.Requests >= want {
			break
		}
	}

	// Everything below is read at one height, so the numbers must add up exactly.
	h, err := appHeight(rpc)
	if err != nil {
		t.Fatal(err)
	}
	var eco usagetypes.QueryServiceEconomicsResponse
	var use usagetypes.QueryServiceUsageResponse
	mustQueryAt(t, rpc, "/q1.usage.v1.Query/ServiceEconomics", &usagetypes.QueryServiceEconomicsRequest{Service: "metered"}, &eco, h)
	mustQueryAt(t, rpc, "/q1.usage.v1.Query/ServiceUsage", &usagetypes.QueryServiceUsageRequest{Service: "metered"}, &use, h)
	acct := eco.Account
	// Every call is reported. One the chain does not count is one a lease
	// served before the chain closed it unacknowledged (on a loaded machine
	// a first compile can outlast devnet's ack_timeout_blocks): the record
	// says so, and nothing is charged for it.
	claimed, countedReqs := uint64(0), uint64(0)
	for _, r := range use.Records {
		claimed, countedReqs = claimed+r.Requests, countedReqs+r.CountedRequests
		if r.CountedRequests < r.Requests && !hasCap(r.Caps, usagetypes.CapUnacknowledged) {
			t.Errorf("record of epoch %d lease %d counts %d of its %d requests, with no cap saying why: %+v", r.Epoch, r.LeaseId, r.CountedRequests, r.Requests, r.Caps)
		}
	}
	// Every one of the N calls is counted; of waitServed's polls, those a
	// lease closed unacknowledged served may be reported uncounted, or
	// not at all.
	if countedReqs < calls || countedReqs > want || use.Total.Requests != countedReqs {
		t.Errorf("usage records report %d requests and count %d (want the %d calls, and at most %d with waitServed's); the total says %d, at height %d", claimed, countedReqs, calls, want, use.Total.Requests, h)
	}
	if countedReqs < want {
		t.Logf("%d of the %d calls (waitServed's polls) were not counted: served by leases the chain closed unacknowledged", want-countedReqs, want)
	}
	charged, share, toSharers := sdkmath.ZeroInt(), sdkmath.ZeroInt(), sdkmath.ZeroInt()
	for _, r := range use.Records {
		if !r.ToSharer.Add(r.ProtocolShare).Equal(r.Charged) {
			t.Errorf("record %+v: to_sharer + protocol_share != charged", r)
		}
		charged, share, toSharers = charged.Add(r.Charged), share.Add(r.ProtocolShare), toSharers.Add(r.ToSharer)
	}
	if !charged.Equal(acct.UsageCharged) || !charged.IsPositive() || !share.IsPositive() {
		t.Errorf("usage records charge %s (protocol share %s); the escrow account says usage_charged %s", charged, share, acct.UsageCharged)
	}
	if !acct.RentCharged.IsPositive() {
		t.Errorf("no rent charged to metered at height %d: %+v", h, acct)
	}
	spent := sdkmath.NewInt(deposit).Sub(eco.Balance)
	if !spent.Equal(acct.UsageCharged.Add(acct.RentCharged)) {
		t.Errorf("the escrow fell by %s uqc but usage %s + rent %s were charged", spent, acct.UsageCharged, acct.RentCharged)
	}
	// What left the escrow is what the sharers earned, protocol share included.
	earned, earnedShare := sdkmath.ZeroInt(), sdkmath.ZeroInt()
	for _, n := range tn.net.Nodes {
		var e usagetypes.QuerySharerEarningsResponse
		mustQueryAt(t, rpc, "/q1.usage.v1.Query/SharerEarnings", &usagetypes.QuerySharerEarningsRequest{Sharer: n.Address, By: "service"}, &e, h)
		for _, s := range e.Sums {
			if s.Service == "metered" {
				earned, earnedShare = earned.Add(s.Usage).Add(s.Rent), earnedShare.Add(s.ProtocolShare)
			}
		}
	}
	if !earned.Equal(spent) || !earnedShare.Equal(acct.ProtocolShare) {
		t.Errorf("sharers earned %s (protocol share %s) from metered; its escrow paid %s (protocol share %s)", earned, earnedShare, spent, acct.ProtocolShare)
	}
	t.Logf("height %d: %d calls; usage %s uqc (protocol share %s), rent %s uqc; escrow %s of %d", h, use.Total.Requests,
		acct.UsageCharged, share, acct.RentCharged, eco.Balance, deposit)

	// The same through the CLI and the API, for people and scripts.
	if out, errOut, code := tn.q1(t, 0, "service", "usage", "metered", "--by", "sharer"); code != 0 || !strings.Contains(out, "q11") {
		t.Errorf("q1 service usage metered --by sharer: exit %d:\n%s%s", code, out, errOut)
	}
	if out, errOut, code := tn.q1(t, 1, "sharer", "earnings", "--by", "service", "-o", "json"); code != 0 || !strings.Contains(out, `"sharer"`) {
		t.Errorf("q1 sharer earnings -o json: exit %d:\n%s%s", code, out, errOut)
	}
	node2 := nodeAPI(tn.net.Nodes[2].HTTP)
	if _, err := node2.ServiceUsage(bg(), "metered", q1client.UsageFilter{}); err != nil {
		t.Errorf("GET /v1/services/metered/usage: %v", err)
	}
	if _, err := node2.ServiceEconomics(bg(), "metered"); err != nil {
		t.Errorf("GET /v1/services/metered/economics: %v", err)
	}
	if _, err := node2.SharerEarnings(bg(), tn.net.Nodes[0].Address, ""); err != nil {
		t.Errorf("GET /v1/sharers/%s/earnings: %v", tn.net.Nodes[0].Address, err)
	}

	// dry runs out of money: paused, callers get 402.
	var dry usagetypes.QueryServiceEconomicsResponse
	waitFor(t, 3*time.Minute, "dry's escrow to run dry", func() bool {
		return queryAt(rpc, "/q1.usage.v1.Query/ServiceEconomics", &usagetypes.QueryServiceEconomicsRequest{Service: "dry"}, &dry, 0) == nil && dry.Depleted
	})
	waitFor(t, time.Minute, "calls to dry to get 402", func() bool {
		code, _, _, _ := call(c, gws[1], "GET", "dry", "/", "")
		return code == http.StatusPaymentRequired
	})
	code, body, _, _ := call(c, gws[1], "GET", "dry", "/", "")
	if code != 402 || !strings.Contains(body, "service dry is paused") {
		t.Errorf("a call to paused dry: %d %q", code, body)
	}
	out, errOut, _ = tn.q1(t, 0, "service", "status", "dry")
	if !strings.Contains(out+errOut, "paused") {
		t.Errorf("q1 service status dry does not say paused:\n%s%s", out, errOut)
	}
	need := dry.DepositToResume
	if !need.IsPositive() {
		t.Fatalf("dry is depleted but needs %s to resume", need)
	}
	// A deposit below the threshold is refused, and says how much is needed.
	// The threshold shrinks while the paused service waits: what it keeps
	// back for usage reports still inside the report window is released as
	// the window passes. So the deposit tried is one uqc, below any
	// threshold (lowBalanceBlocks of a positive burn is more than that).
	small := sdkmath.OneInt()
	_, errOut, code = tn.q1(t, 0, "service", "fund", "dry", small.String()+"uqc", "--from", "default")
	if code == 0 || !strings.Contains(errOut, "resume") || !strings.Contains(errOut, "deposit at least") {
		t.Errorf("a deposit of %suqc (below %suqc) to resume dry: exit %d: %s", small, need, code, errOut)
	}
	// One above it resumes dry, on the same sharer, with its counter.
	if out, errOut, code := tn.q1(t, 0, "service", "fund", "dry", "5QC", "--from", "default"); code != 0 {
		t.Fatalf("fund dry: %s%s", out, errOut)
	}
	waitFor(t, 2*time.Minute, "dry to answer again after the deposit", func() bool {
		code, _, _, _ := call(c, gws[1], "GET", "dry", "/", "")
		return code == 200
	})
	if code, body, _, err := call(c, gws[1], "GET", "dry", "/", ""); err != nil || code != 200 || body != "3\n" {
		t.Errorf("dry's counter after resuming: %d %q %v, want 3 (its kv data kept through the pause)", code, body, err)
	}

	// brief ran dry too, and its grace (30 blocks) passed: deleted, and its
	// kv store is gone from every node.
	waitFor(t, 3*time.Minute, "brief to be deleted after its grace", func() bool {
		code, _, _, _ := call(c, gws[0], "GET", "brief", "/", "")
		return code == http.StatusNotFound
	})
	waitFor(t, time.Minute, "brief's kv store to leave the sharers' disks", func() bool {
		for _, n := range tn.net.Nodes {
			if _, err := os.Stat(filepath.Join(n.Home, "data", "kv", "brief")); err == nil {
				return false
			}
		}
		return true
	})

	randomEconomy(t, tn, gws)

	// An update and a sharer going offline, still under the invariant watch:
	// metered moves to echo's code (which logs), and a node holding one of
	// its replicas is killed; the chain marks it offline and stops paying it.
	update := economyManifest(t, "metered", "16Mi", "  capabilities: {log: true}\nplacement: {replicas: 2}")
	if out, errOut, code := tn.q1(t, 0, "service", "propose", "-f", update, "--wasm", exampleWasm(t, "echo"), "--from", "default"); code != 0 {
		t.Fatalf("propose an update of metered: %s%s", out, errOut)
	}
	// The random economy may have scaled metered to one replica, on node0;
	// the update asks for two, so one comes off node0 once it is active.
	victim := -1
	waitFor(t, 3*time.Minute, "a replica of metered off node0 to kill", func() bool {
		for _, r := range tn.serviceStatus(t, "metered").Replicas {
			for i, n := range tn.net.Nodes {
				if i > 0 && n.Address == r.Sharer { // node0 answers the test's queries
					victim = i
				}
			}
		}
		return victim >= 0
	})
	if err := tn.sup.Kill(victim); err != nil {
		t.Fatal(err)
	}
	dead := tn.net.Nodes[victim].Address
	var seen string // what the last look found, for the failure message
	waitForSaying(t, 3*time.Minute, "the chain to mark the killed sharer offline and metered to serve its new code on two replicas", func() bool {
		out, errOut, code := tn.q1(t, 0, "sharer", "status", dead, "-o", "json")
		if code != 0 || !strings.Contains(out, `"status": "offline"`) {
			seen = fmt.Sprintf("sharer status %s (node%d): exit %d: %s%s", dead, victim, code, out, errOut)
			return false
		}
		s := tn.serviceStatus(t, "metered")
		live := 0
		var replicas []string
		for _, r := range s.Replicas {
			if r.Sharer != dead && r.State == "serving" {
				live++
			}
			replicas = append(replicas, fmt.Sprintf("lease %d on %s: %s %s %s acked=%v", r.Lease, r.Sharer, r.State, r.Version, r.Reason, r.Acked))
		}
		code, body, by, err := call(c, gws[0], "GET", "metered", "/after", "")
		pending := "none"
		if s.Pending != nil {
			pending = fmt.Sprintf("%+v", *s.Pending)
		}
		seen = fmt.Sprintf("%s is offline; metered at height %d: version %d, pending proposal %s, %d live replicas %q; GET /after: %d %q served by %s %v",
			dead, s.Height, s.Version, pending, live, replicas, code, body, by, err)
		if live < 2 { // why no sharer takes the replica the dead one held
			out, errOut, _ := tn.q1(t, 0, "service", "placement", "metered")
			seen += "; q1 service placement metered: " + out + errOut
		}
		return live == 2 && code == 200 && strings.HasPrefix(body, "GET /after")
	}, func() string { return "last seen: " + seen })
	h, err = appHeight(rpc)
	if err != nil {
		t.Fatal(err)
	}
	mustQueryAt(t, rpc, "/q1.usage.v1.Query/ServiceEconomics", &usagetypes.QueryServiceEconomicsRequest{Service: "metered"}, &eco, h)
	for _, l := range eco.Leases {
		if l.Sharer == dead {
			out, errOut, _ := tn.q1(t, 0, "service", "status", "metered")
			t.Errorf("height %d: the offline sharer %s still has a rent meter on metered: %+v; q1 service status metered: %s%s", h, dead, l, out, errOut)
		}
	}

	inv.stop(t)
}

// hasCap reports whether caps holds one of the given kind.
func hasCap(caps []usagetypes.Cap, kind string) bool {
	for _, c := range caps {
		if c.Kind == kind {
			return true
		}
	}
	return false
}

// queryAt runs a gRPC query of the app through CometBFT's ABCI query at a
// height (0: the latest).
func queryAt(rpc *rpchttp.HTTP, path string, req, res gogoproto.Message, height int64) error {
	bz, err := gogoproto.Marshal(req)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := rpc.ABCIQueryWithOptions(ctx, path, bz, rpcclientOpts(height))
	if err != nil {
		return err
	}
	if !r.Response.IsOK() {
		return fmt.Errorf("%s at height %d: %s", path, height, r.Response.Log)
	}
	return gogoproto.Unmarshal(r.Response.Value, res)
}

func mustQueryAt(t *testing.T, rpc *rpchttp.HTTP, path string, req, res gogoproto.Message, height int64) {
	t.Helper()
	if err := queryAt(rpc, path, req, res, height); err != nil {
		t.Fatal(err)
	}
}

// invariantWatch audits every committed height while a test runs: the
// usage module's invariants (escrows and collateral equal their module
// accounts, no negative escrow, only open acknowledged leases paid, every
// uqc that left an escrow reached a sharer or the fee collector) and a
// total supply that never changes (nothing in these tests burns).
type invariantWatch struct {
	done    chan struct{}
	wg      sync.WaitGroup
	mu      sync.Mutex
	broken  []string
	checked int
}

func startInvariantWatch(t *testing.T, rpc *rpchttp.HTTP) *invariantWatch {
	t.Helper()
	w := &invariantWatch{done: make(chan struct{})}
	var supply0 banktypes.QuerySupplyOfResponse
	mustQueryAt(t, rpc, "/cosmos.bank.v1beta1.Query/SupplyOf", &banktypes.QuerySupplyOfRequest{Denom: "uqc"}, &supply0, 0)
	supply := supply0.Amount.Amount
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		var next int64
		for {
			select {
			case <-w.done:
				return
			case <-time.After(50 * time.Millisecond):
			}
			top, err := appHeight(rpc)
			if err != nil {
				continue
			}
			if next == 0 {
				next = top
			}
			for ; next <= top; next++ {
				var res usagetypes.QueryInvariantsResponse
				if err := queryAt(rpc, "/q1.usage.v1.Query/Invariants", &usagetypes.QueryInvariantsRequest{}, &res, next); err != nil {
					w.fail(fmt.Sprintf("height %d: invariants query: %v", next, err))
					continue
				}
				for _, b := range res.Broken {
					w.fail(fmt.Sprintf("height %d: %s", next, b))
				}
				// The supply changes only by what is burned (the collateral
				// slashed for a failed or forfeited audit): bank burn events.
				var s banktypes.QuerySupplyOfResponse
				if err := queryAt(rpc, "/cosmos.bank.v1beta1.Query/SupplyOf", &banktypes.QuerySupplyOfRequest{Denom: "uqc"}, &s, next); err == nil &&
					!s.Amount.Amount.Equal(supply) {
					burned, err := burnedAt(rpc, next)
					switch {
					case err != nil:
						w.fail(fmt.Sprintf("height %d: total supply %s, was %s; burn events: %v", next, s.Amount, supply, err))
					case !supply.Sub(burned).Equal(s.Amount.Amount):
						w.fail(fmt.Sprintf("height %d: total supply %s, was %s, and %s uqc was burned", next, s.Amount, supply, burned))
					}
					supply = s.Amount.Amount
				}
				w.mu.Lock()
				w.checked++
				w.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() { w.halt() })
	return w
}

func (w *invariantWatch) fail(s string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.broken) < 20 {
		w.broken = append(w.broken, s)
	}
}

func (w *invariantWatch) halt() {
	select {
	case <-w.done:
	default:
		close(w.done)
	}
	w.wg.Wait()
}

// stop ends the watch and fails t with whatever broke.
func (w *invariantWatch) stop(t *testing.T) {
	t.Helper()
	w.halt()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.checked == 0 {
		t.Error("the invariant watch checked no height")
	}
	for _, b := range w.broken {
		t.Error(b)
	}
	t.Logf("invariants and total supply checked at %d heights", w.checked)
}

// burnedAt sums the uqc of the bank burn events of the block at height.
func burnedAt(rpc *rpchttp.HTTP, height int64) (sdkmath.Int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := rpc.BlockResults(ctx, &height)
	if err != nil {
		return sdkmath.Int{}, err
	}
	events := res.FinalizeBlockEvents
	for _, tx := range res.TxsResults {
		events = append(events, tx.Events...)
	}
	sum := sdkmath.ZeroInt()
	for _, ev := range events {
		if ev.Type != banktypes.EventTypeCoinBurn {
			continue
		}
		for _, a := range ev.Attributes {
			if a.Key != sdk.AttributeKeyAmount {
				continue
			}
			coins, err := sdk.ParseCoinsNormalized(a.Value)
			if err != nil {
				return sdkmath.Int{}, fmt.Errorf("burn event amount %q: %w", a.Value, err)
			}
			sum = sum.Add(coins.AmountOf("uqc"))
		}
	}
	return sum, nil
}

// appHeight is the last height the node's app committed (CometBFT's own
// latest height may be one ahead of what the app can answer for).
func appHeight(rpc *rpchttp.HTTP) (int64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	info, err := rpc.ABCIInfo(ctx)
	if err != nil {
		return 0, err
	}
	return info.Response.LastBlockHeight, nil
}

func rpcclientOpts(height int64) rpcclient.ABCIQueryOptions {
	return rpcclient.ABCIQueryOptions{Height: height}
}

// randomEconomy runs a seeded random sequence of what owners and callers do
// — deploy, call, fund, withdraw, scale, pause, resume — while the invariant
// watch audits every height. Operations the chain refuses (a withdrawal of
// more than is not owed, resuming what is not paused) are part of the mix:
// a refusal must come with a message and change nothing. Q1_ECONOMY_SEED
// replays a sequence.
func randomEconomy(t *testing.T, tn *testnet, gws []string) {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("Q1_ECONOMY_SEED"); v != "" {
		fmt.Sscan(v, &seed)
	}
	t.Logf("random economy: Q1_ECONOMY_SEED=%d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	c := &http.Client{Timeout: 5 * time.Second}
	services := []string{"metered", "dry"}
	for i := range 3 {
		name := fmt.Sprintf("rnd%d", i)
		memory := []string{"16Mi", "32Mi", "64Mi"}[rng.IntN(3)]
		if out, errOut, code := tn.q1(t, 0, "service", "deploy", "-f", economyManifest(t, name, memory, "placement: {replicas: 1, replicasMax: 2}"),
			"--wasm", exampleWasm(t, "hello"), "--from", "default", "--deposit", fmt.Sprintf("%dQC", 1+rng.IntN(5))); code != 0 {
			t.Fatalf("deploy %s: %s%s", name, out, errOut)
		}
		services = append(services, name)
	}
	ops := map[string]int{}
	for range 24 {
		name := services[rng.IntN(len(services))]
		op := rng.IntN(6)
		if op >= 3 { // withdraw, scale, pause, resume: the new services only, so metered keeps serving for what follows
			name = services[2+rng.IntN(len(services)-2)]
		}
		var args []string
		switch op {
		case 0, 1:
			for range 1 + rng.IntN(20) {
				call(c, gws[rng.IntN(len(gws))], "GET", name, "/r", "")
			}
			ops["call"]++
			continue
		case 2:
			args = []string{"fund", name, fmt.Sprintf("%duqc", 1+rng.IntN(3_000_000))}
		case 3:
			args = []string{"withdraw", name, fmt.Sprintf("%duqc", 1+rng.IntN(2_000_000))}
		case 4:
			args = []string{"scale", name, fmt.Sprint(1 + rng.IntN(2))}
		case 5:
			args = []string{[]string{"pause", "resume"}[rng.IntN(2)], name}
		}
		out, errOut, code := tn.q1(t, 0, append([]string{"service"}, append(args, "--from", "default")...)...)
		switch {
		case code == 0:
			ops[args[0]]++
		case code == 1 && strings.TrimSpace(errOut) != "":
			ops[args[0]+" refused"]++
		default:
			t.Errorf("q1 service %s: exit %d without a reason:\n%s%s", strings.Join(args, " "), code, out, errOut)
		}
	}
	t.Logf("random economy: %v", ops)
}
