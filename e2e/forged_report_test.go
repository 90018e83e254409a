package e2e

import (
	"bytes"
	"cmp"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	sdkmath "cosmossdk.io/math"
	abci "github.com/cometbft/cometbft/abci/types"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	gogoproto "github.com/cosmos/gogoproto/proto"

	q1client "github.com/quantum1net/q1/client"
	"github.com/quantum1net/q1/core/limits"
	"github.com/quantum1net/q1/internal/devnet"
	"github.com/quantum1net/q1/internal/loadgen"
	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
	usagetypes "github.com/quantum1net/q1/x/usage/types"
)

// The forged claim of issue #17: 10^15 requests, and the largest CPU time
// and egress a uint64 holds.
const (
	forgedRequests = 1_000_000_000_000_000
	forgedMax      = math.MaxUint64
)

// reportGas is the gas limit of a hand-signed usage report.
const reportGas = 600_000

// TestForgedReport replays the attack of issue #17 against real processes.
// Before, a second sharer registered with a fake endpoint, acknowledged its
// lease of a service holding 100 QC by hand without running the module,
// sent a hand-signed MsgUsageReport claiming 10^15 requests, and took the
// whole escrow in one transaction. Now the escrow falls by at most what
// that lease could physically have done in the epoch (core/limits), well
// under 1 QC; `q1 service usage`, the API and the dashboard show the caps;
// and a report naming a lease that does not exist and another sharer's
// lease beside its own is accepted with those two entries refused alone.
func TestForgedReport(t *testing.T) {
	began := time.Now()
	n := startNodeWithSharerParams(t, func(p *sharerstypes.Params) {
		p.EpochBlocks = 100
		// mallory sends no heartbeat before her forged report, and
		// acknowledges by hand with the CLI, which a loaded machine slows.
		p.OfflineAfterEpochs = sharerstypes.MaxOfflineAfterEpochs
		p.AckTimeoutBlocks = sharerstypes.MaxAckTimeoutBlocks
	})
	lc, err := loadgen.NewClient(n.rpc, "q1-local")
	if err != nil {
		t.Fatal(err)
	}
	rpc := lc.RPC
	inv := startInvariantWatch(t, rpc)
	wasm := exampleWasm(t, "hello")
	me := strings.TrimSpace(first(runQ1(t, "keys", "show", "default", "-a", "--home", n.home)))

	// The node's own sharer holds a lease of "honest": the other sharer's
	// lease mallory will name as hers.
	if out, errOut, code := n.q1(t, append(registerArgs("default", endpointMe), "--attr", "pool=honest")...); code != 0 {
		t.Fatalf("register the node as a sharer: %s%s", out, errOut)
	}
	deployForged(t, n, "honest", "honest", wasm, "10QC")

	// mallory: a sharer with a fake endpoint whose module nobody runs.
	mhome, mallory := forgerHome(t, n, "mallory", "10QC", 1717)
	if out, errOut, code := runQ1(t, append(registerArgs("mallory", "https://mallory.q1.example"), "--attr", "pool=forged", "--home", mhome)...); code != 0 {
		t.Fatalf("register mallory as a sharer: %s%s", out, errOut)
	}
	// One replica of a service holding 100 QC, placed on mallory only.
	const deposit = 100_000_000
	deployForged(t, n, "victim", "forged", wasm, "100QC")
	victimLease := leaseOf(t, n, "victim", mallory.Address.String())
	honestLease := leaseOf(t, n, "honest", me)

	// mallory acknowledges the lease by hand, without running the module.
	out, errOut, code := runQ1(t, "tx", "sharers", "ack", fmt.Sprint(victimLease), "--from", "mallory", "--home", mhome, "-y", "-o", "json")
	var sent struct {
		Code   uint32 `json:"code"`
		TxHash string `json:"txhash"`
		RawLog string `json:"raw_log"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &sent) != nil || sent.Code != 0 {
		t.Fatalf("q1 tx sharers ack %d: exit %d\n%s%s", victimLease, code, out, errOut)
	}
	if res := committed(t, lc, sent.TxHash); res.TxResult.Code != 0 {
		t.Fatalf("mallory's ack failed in its block: %s", res.TxResult.Log)
	}
	lease := chainLease(t, rpc, victimLease, 0)
	if !lease.IsAcked() || lease.Sharer != mallory.Address.String() {
		t.Fatalf("after mallory's ack, lease %d: %+v", victimLease, lease)
	}
	ackEpoch := epochAt(t, rpc, lease.AckedHeight).Number

	// The first epoch that begins after the ack ends: the lease served all
	// of it, so its bound is its reserved CPU over the whole epoch.
	e, dur := waitEpochEnded(t, rpc, ackEpoch+1)
	if lease.AckedHeight >= e.StartHeight {
		t.Fatalf("lease %d acknowledged at height %d, not before epoch %d began at %d", victimLease, lease.AckedHeight, e.Number, e.StartHeight)
	}
	most, counted, bound := leaseBound(lease, chainSharer(t, rpc, mallory.Address.String(), 0), dur)
	t.Logf("epoch %d lasted %s: lease %d (%dm CPU) could have done %d CPU ms, %d requests, %d egress bytes; bound %s uqc",
		e.Number, dur, victimLease, lease.Resources.MilliCpu, most.CPUMillis, most.Requests, most.EgressBytes, bound)
	if !bound.IsPositive() || bound.GTE(sdkmath.NewInt(1_000_000)) {
		t.Fatalf("the bound of lease %d over %s is %s uqc: want more than 0 and well under 1 QC", victimLease, dur, bound)
	}

	// The forged report, signed with mallory's own key (no hot key).
	// Its receipts root is made up: an audit (devnets audit every charged
	// entry) finds no tree behind it.
	forgedRoot := bytes.Repeat([]byte{0xf0}, 32)
	forged := usagetypes.UsageEntry{LeaseId: victimLease, Requests: forgedRequests, Fuel: forgedMax, EgressBytes: forgedMax,
		Receipts: forgedRequests, ReceiptsRoot: forgedRoot}
	res, resp := sendReport(t, lc, mallory, e.Number, forged)
	h := res.Height
	var before, after usagetypes.QueryServiceEconomicsResponse
	mustQueryAt(t, rpc, "/q1.usage.v1.Query/ServiceEconomics", &usagetypes.QueryServiceEconomicsRequest{Service: "victim"}, &before, h-1)
	mustQueryAt(t, rpc, "/q1.usage.v1.Query/ServiceEconomics", &usagetypes.QueryServiceEconomicsRequest{Service: "victim"}, &after, h)
	fall := before.Balance.Sub(after.Balance)
	usage := after.Account.UsageCharged.Sub(before.Account.UsageCharged)
	rent := after.Account.RentCharged.Sub(before.Account.RentCharged)
	t.Logf("height %d: the forged report charged %s uqc (bound %s); the escrow fell %s → %s (%s uqc: usage %s, rent settled %s)",
		h, resp.Charged, bound, before.Balance, after.Balance, fall, usage, rent)
	switch {
	case len(resp.Refused) != 0:
		t.Errorf("the forged report's only entry was refused: %+v", resp.Refused)
	case !resp.Charged.Equal(bound):
		t.Errorf("the forged report charged %s uqc; its lease's bound is %s", resp.Charged, bound)
	case !usage.Equal(resp.Charged):
		t.Errorf("the escrow's usage charged moved by %s uqc at height %d; the report says it charged %s", usage, h, resp.Charged)
	case !fall.Equal(usage.Add(rent)):
		t.Errorf("the escrow fell by %s uqc at height %d: not its usage %s + rent %s", fall, h, usage, rent)
	case fall.Sub(rent).GT(bound):
		t.Errorf("the escrow fell by %s uqc (rent %s) at height %d, more than the bound %s", fall, rent, h, bound)
	case fall.GTE(sdkmath.NewInt(1_000_000)), after.Balance.LT(sdkmath.NewInt(deposit - 1_000_000)):
		t.Errorf("the escrow fell by %s uqc to %s: 1 QC or more", fall, after.Balance)
	}
	var use usagetypes.QueryServiceUsageResponse
	mustQueryAt(t, rpc, "/q1.usage.v1.Query/ServiceUsage", &usagetypes.QueryServiceUsageRequest{Service: "victim", HasEpoch: true, Epoch: e.Number}, &use, h)
	if len(use.Records) != 1 {
		t.Fatalf("victim's records of epoch %d: %+v", e.Number, use.Records)
	}
	rec := use.Records[0]
	if rec.Sharer != mallory.Address.String() || rec.LeaseId != victimLease || !rec.Charged.Equal(resp.Charged) ||
		rec.CountedRequests != most.Requests || rec.CountedCpuMillis != most.CPUMillis || rec.CountedEgressBytes != counted.EgressBytes {
		t.Errorf("the forged report's record: %+v; want lease %d of %s counted at its bound %+v, charged %s", rec, victimLease, mallory.Address, counted, resp.Charged)
	}
	wantCaps := []string{"lease_reserved cpu", "lease_reserved requests", "lease_reserved egress", "lease_egress_share egress"}
	if got := capNames(rec.Caps); !slices.Equal(got, wantCaps) {
		t.Errorf("the forged report's caps: %v, want %v", got, wantCaps)
	}
	// The charge is held, not paid: the devnet audits every charged entry,
	// mallory publishes no samples for a root with no tree behind it, so
	// the entry is forfeited at the publish deadline: the charge goes back
	// to the escrow and mallory's collateral is slashed.
	if rec.AuditState != statePending || !rec.Refunded.IsZero() {
		t.Errorf("the forged record at its report: audit state %q refunded %s; want pending, nothing refunded", rec.AuditState, rec.Refunded)
	}
	checkForgedForfeited(t, rpc, mallory.Address.String(), e.Number, victimLease, resp.Charged, h)

	// The next epoch: a report naming another sharer's lease and a lease
	// that does not exist beside its own is accepted, the two refused alone.
	e2, dur2 := waitEpochEnded(t, rpc, e.Number+1)
	const missing = 1_000_000
	entries := []usagetypes.UsageEntry{
		{LeaseId: honestLease, Requests: forgedRequests, Fuel: forgedMax, EgressBytes: forgedMax, Receipts: forgedRequests, ReceiptsRoot: forgedRoot},
		forged,
		{LeaseId: missing, Requests: forgedRequests, Fuel: forgedMax, EgressBytes: forgedMax, Receipts: forgedRequests, ReceiptsRoot: forgedRoot},
	}
	slices.SortFunc(entries, func(a, b usagetypes.UsageEntry) int { return cmp.Compare(a.LeaseId, b.LeaseId) })
	res2, resp2 := sendReport(t, lc, mallory, e2.Number, entries...)
	refused := map[uint64]string{}
	for _, r := range resp2.Refused {
		refused[r.LeaseId] = r.Reason
	}
	if len(resp2.Refused) != 2 || !strings.Contains(refused[honestLease], "is held by "+me) || !strings.Contains(refused[missing], "does not exist") {
		t.Errorf("the report of epoch %d refused %+v; want lease %d (held by %s) and lease %d (none)", e2.Number, resp2.Refused, honestLease, me, missing)
	}
	if got := eventAttr(res2.TxResult.Events, "q1.usage.v1.EventUsageReported", "refused"); got != "2" {
		t.Errorf("EventUsageReported says refused %q, want 2", got)
	}
	_, _, bound2 := leaseBound(lease, chainSharer(t, rpc, mallory.Address.String(), 0), dur2)
	var use2 usagetypes.QueryServiceUsageResponse
	mustQueryAt(t, rpc, "/q1.usage.v1.Query/ServiceUsage", &usagetypes.QueryServiceUsageRequest{Service: "victim", HasEpoch: true, Epoch: e2.Number}, &use2, res2.Height)
	if len(use2.Records) != 1 || use2.Records[0].LeaseId != victimLease || !use2.Records[0].Charged.Equal(resp2.Charged) || resp2.Charged.GT(bound2) {
		t.Errorf("victim's records of epoch %d: %+v; the report charged %s (bound %s)", e2.Number, use2.Records, resp2.Charged, bound2)
	}
	for _, svc := range []string{"honest", "victim"} {
		var all usagetypes.QueryServiceUsageResponse
		mustQueryAt(t, rpc, "/q1.usage.v1.Query/ServiceUsage", &usagetypes.QueryServiceUsageRequest{Service: svc}, &all, res2.Height)
		for _, r := range all.Records {
			if r.LeaseId != victimLease && r.Sharer == mallory.Address.String() {
				t.Errorf("a record of %s for lease %d in mallory's name: %+v", svc, r.LeaseId, r)
			}
		}
	}
	if honest := chainLease(t, rpc, honestLease, res2.Height); honest.Sharer != me {
		t.Errorf("lease %d is now held by %s", honestLease, honest.Sharer)
	}
	t.Logf("epoch %d: charged %s uqc (bound %s); refused %+v", e2.Number, resp2.Charged, bound2, resp2.Refused)

	// What people see: q1 service usage, the API, the dashboard.
	// The forged fuel bills at params.fuel_per_core_second: the cpu cap's
	// "before" is that fuel in CPU milliseconds.
	forgedCPU := usageParams(t, rpc).CPUMillis(forgedMax)
	capLine := fmt.Sprintf("lease_reserved (requests %d → %d)", uint64(forgedRequests), most.Requests)
	out, errOut, code = n.q1(t, "service", "usage", "victim")
	if code != 0 || !strings.Contains(out, fmt.Sprintf("epoch %d lease %d: %s", e.Number, victimLease, capLine)) ||
		!strings.Contains(out, fmt.Sprintf("lease_reserved (cpu %d → %d)", forgedCPU, most.CPUMillis)) {
		t.Errorf("q1 service usage victim does not name the caps (%q): exit %d\n%s%s", capLine, code, out, errOut)
	}
	var cliUse usageJSON
	q1JSON(t, n, &cliUse, "service", "usage", "victim", "-o", "json")
	checkUsageJSON(t, "q1 service usage victim -o json", cliUse, e.Number, victimLease, most, counted, forgedCPU)
	var apiUse usageJSON
	wireJSON(t, n.http+"/v1/services/victim/usage", &apiUse)
	checkUsageJSON(t, "GET /v1/services/victim/usage", apiUse, e.Number, victimLease, most, counted, forgedCPU)
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Logf("no %s on this machine: the dashboard's page is not checked", chromiumPath)
	} else {
		b := newBrowser(t, n.http+"/")
		b.goTo("#/services/victim")
		row := fmt.Sprintf(`[data-k="usage-caps"] tr[data-record="%d-%d"]`, e.Number, victimLease)
		want := fmt.Sprintf("lease_reserved (requests %s → %s)", grouped(forgedRequests), grouped(most.Requests))
		var shown string
		waitForSaying(t, time.Minute, "the dashboard's service page to show the forged record's caps", func() bool {
			shown = b.js(`(document.querySelector('` + row + `') || {}).innerText || ''`)
			return strings.Contains(shown, want) && strings.Contains(shown, fmt.Sprintf("lease_reserved (cpu %s → %s)", grouped(forgedCPU), grouped(most.CPUMillis)))
		}, func() string { return fmt.Sprintf("the row shows %q, want %q", shown, want) })
		b.screenshot("forged-report-caps")
		b.mu.Lock()
		for _, p := range b.problems {
			t.Errorf("browser console: %s", p)
		}
		b.mu.Unlock()
	}

	inv.stop(t)
	t.Logf("TestForgedReport ran %s", time.Since(began).Round(time.Second))
}

// forgedManifest writes a one-replica manifest placed only on sharers with
// the attribute pool=POOL, priced as examples/hello.
func forgedManifest(t *testing.T, name, pool string) string {
	t.Helper()
	doc := fmt.Sprintf(`apiVersion: q1/v1
name: %s
permissions:
  callers: [{paths: ["/*"], allow: public}]
resources: {cpu: 100m, memory: 32Mi, requestTimeout: 2s}
placement: {replicas: 1, requireAttributes: {pool: %s}}
pricing: {cpuPerCoreSecond: 500uqc, memoryPerMiBHour: 1000uqc, storagePerGiBHour: 50uqc, per1kRequests: 1000uqc, egressPerGiB: 5000uqc}
`, name, pool)
	p := filepath.Join(t.TempDir(), name+".yaml")
	if err := os.WriteFile(p, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func deployForged(t *testing.T, n *singleNode, name, pool, wasm, deposit string) {
	t.Helper()
	if out, errOut, code := n.q1(t, "service", "deploy", "-f", forgedManifest(t, name, pool), "--wasm", wasm,
		"--from", "default", "--deposit", deposit); code != 0 {
		t.Fatalf("deploy %s: %s%s", name, out, errOut)
	}
}

// forgerHome makes a client home for a sharer whose key the test also
// holds in memory (to sign by hand): the key derived from seed, imported
// into the home's keyring as name and funded from the node's default key.
func forgerHome(t *testing.T, n *singleNode, name, funds string, seed int64) (string, *loadgen.Account) {
	t.Helper()
	acct := loadgen.NewAccounts(1, seed)[0]
	home := filepath.Join(t.TempDir(), name)
	if err := os.MkdirAll(filepath.Join(home, "config"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := devnet.WriteClientConfig(home, devnet.ClientConfig{ChainID: "q1-local", DefaultKey: name, Node: n.rpc, API: n.http}); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := runQ1(t, "keys", "import-hex", name, hex.EncodeToString(acct.Key.Key), "--home", home); code != 0 {
		t.Fatalf("keys import-hex %s: %s", name, errOut)
	}
	if addr := strings.TrimSpace(first(runQ1(t, "keys", "show", name, "-a", "--home", home))); addr != acct.Address.String() {
		t.Fatalf("the imported key %s is %s, want %s", name, addr, acct.Address)
	}
	if _, errOut, code := n.q1(t, "wallet", "send", "--from", "default", acct.Address.String(), funds); code != 0 {
		t.Fatalf("fund %s: %s", name, errOut)
	}
	return home, acct
}

// leaseOf waits for service's lease on sharer and returns its id.
func leaseOf(t *testing.T, n *singleNode, service, sharer string) uint64 {
	t.Helper()
	var pl q1client.Placement
	waitFor(t, 2*time.Minute, service+"'s lease on "+sharer, func() bool {
		q1JSON(t, n, &pl, "service", "placement", service, "-o", "json")
		return len(pl.Leases) == 1 && pl.Leases[0].Sharer == sharer
	})
	return pl.Leases[0].ID
}

// chainLease reads a lease from the chain at height (0: the latest).
func chainLease(t *testing.T, rpc *rpchttp.HTTP, id uint64, height int64) sharerstypes.Lease {
	t.Helper()
	var res sharerstypes.QueryLeaseResponse
	mustQueryAt(t, rpc, "/q1.sharers.v1.Query/Lease", &sharerstypes.QueryLeaseRequest{Id: id}, &res, height)
	return res.Lease
}

// epochAt is the epoch current at height (0: the latest).
func epochAt(t *testing.T, rpc *rpchttp.HTTP, height int64) sharerstypes.EpochInfo {
	t.Helper()
	var res sharerstypes.QueryEpochResponse
	mustQueryAt(t, rpc, "/q1.sharers.v1.Query/Epoch", &sharerstypes.QueryEpochRequest{}, &res, height)
	return res.Current
}

// waitEpochEnded waits until epoch number has ended and returns it, with
// the block time it lasted, as the chain records it: from its first
// block's time to its last block's, which is when the next one began.
func waitEpochEnded(t *testing.T, rpc *rpchttp.HTTP, number uint64) (sharerstypes.EpochInfo, time.Duration) {
	t.Helper()
	var next sharerstypes.EpochInfo
	waitFor(t, 3*time.Minute, fmt.Sprintf("epoch %d to end", number), func() bool {
		next = epochAt(t, rpc, 0)
		return next.Number > number
	})
	// The state at a height is after its block: the last block of an epoch
	// already shows the next one current, so an epoch is read back at its
	// last block but one.
	for next.Number > number+1 { // more than one epoch went by
		next = epochAt(t, rpc, next.StartHeight-2)
	}
	e := epochAt(t, rpc, next.StartHeight-2)
	if e.Number != number {
		t.Fatalf("the state at height %d shows epoch %d current, want %d", next.StartHeight-2, e.Number, number)
	}
	e.EndHeight, e.EndTime = next.StartHeight-1, next.StartTime
	return e, e.EndTime.Sub(e.StartTime)
}

// leaseBound is what lease could physically have done over d
// (core/limits) and what that costs at its locked prices, in whole uqc.
// leaseBound is what lease l of sharer sh could physically have done over
// d (most: its reserved CPU, the requests and egress that CPU could
// serve), what a claim above it is counted at (counted: egress also at
// most the lease's share of the sharer's egress offer, x/usage's
// lease_egress_share: the offer per hour over d, in the proportion of the
// offered CPU the lease reserves), and the charge of counted at its prices.
func leaseBound(l sharerstypes.Lease, sh sharerstypes.Sharer, d time.Duration) (most, counted limits.Usage, bound sdkmath.Int) {
	most = limits.LeaseUsage(l.Resources.MilliCpu, d)
	counted = most
	if c := sh.Capacity; c.EgressBytesPerHour > 0 && c.MilliCpu > 0 {
		share := new(big.Int).Mul(new(big.Int).SetUint64(c.EgressBytesPerHour), new(big.Int).SetUint64(min(l.Resources.MilliCpu, c.MilliCpu)))
		share.Mul(share, big.NewInt(int64(d)))
		share.Quo(share, new(big.Int).Mul(new(big.Int).SetUint64(c.MilliCpu), big.NewInt(int64(time.Hour))))
		if share.IsUint64() {
			counted.EgressBytes = min(most.EgressBytes, share.Uint64())
		}
	}
	return most, counted, usagetypes.UsageCharges(counted.CPUMillis, counted.Requests, counted.EgressBytes, l.Prices).Total().TruncateInt()
}

// sendReport signs a usage report with the sharer's own key, waits for its
// block and returns the result and the chain's response; the tx must pass.
func sendReport(t *testing.T, lc *loadgen.Client, sharer *loadgen.Account, epoch uint64, entries ...usagetypes.UsageEntry) (*coretypes.ResultTx, *usagetypes.MsgUsageReportResponse) {
	t.Helper()
	if err := lc.Sync(sharer); err != nil {
		t.Fatal(err)
	}
	msg := &usagetypes.MsgUsageReport{Sharer: sharer.Address.String(), Epoch: epoch, Entries: entries}
	tx, err := lc.Sign(sharer, reportGas, "", msg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sub, err := lc.Broadcast(ctx, tx)
	if err != nil {
		t.Fatalf("broadcast the report of epoch %d: %v", epoch, err)
	}
	if sub.Code != 0 {
		t.Fatalf("the report of epoch %d refused at CheckTx (code %d): %s", epoch, sub.Code, sub.Log)
	}
	res := committed(t, lc, sub.Hash)
	if res.TxResult.Code != 0 {
		t.Fatalf("the report of epoch %d failed in block %d (code %d): %s", epoch, res.Height, res.TxResult.Code, res.TxResult.Log)
	}
	var data sdk.TxMsgData
	if err := gogoproto.Unmarshal(res.TxResult.Data, &data); err != nil || len(data.MsgResponses) != 1 {
		t.Fatalf("the report's tx data: %v (%d responses)", err, len(data.MsgResponses))
	}
	var resp usagetypes.MsgUsageReportResponse
	if err := gogoproto.Unmarshal(data.MsgResponses[0].Value, &resp); err != nil {
		t.Fatalf("the report's response: %v", err)
	}
	return res, &resp
}

// committed waits for an admitted tx's block.
func committed(t *testing.T, lc *loadgen.Client, hash string) *coretypes.ResultTx {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := lc.WaitCommitted(ctx, hash)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// eventAttr is the value of attribute key of the first event of type typ,
// unquoted (typed events write their fields as JSON).
func eventAttr(events []abci.Event, typ, key string) string {
	for _, ev := range events {
		if ev.Type != typ {
			continue
		}
		for _, a := range ev.Attributes {
			if a.Key == key {
				return strings.Trim(a.Value, `"`)
			}
		}
	}
	return ""
}

func capNames(caps []usagetypes.Cap) []string {
	out := make([]string, len(caps))
	for i, c := range caps {
		out[i] = c.Kind + " " + c.Component
	}
	return out
}

// usageJSON is the part of a ServiceUsage answer in the chain's proto JSON
// (q1 service usage -o json and the API) these checks read.
type usageJSON struct {
	Records []struct {
		Epoch           string `json:"epoch"`
		LeaseID         string `json:"lease_id"`
		CountedRequests string `json:"counted_requests"`
		Caps            []struct {
			Kind      string `json:"kind"`
			Component string `json:"component"`
			Before    string `json:"before"`
			After     string `json:"after"`
			Detail    string `json:"detail"`
		} `json:"caps"`
	} `json:"records"`
}

// checkUsageJSON checks that the forged report's record shows its
// lease_reserved caps.
func checkUsageJSON(t *testing.T, what string, u usageJSON, epoch, lease uint64, most, counted limits.Usage, forgedCPU uint64) {
	t.Helper()
	for _, r := range u.Records {
		if r.Epoch != fmt.Sprint(epoch) || r.LeaseID != fmt.Sprint(lease) {
			continue
		}
		var got []string
		for _, c := range r.Caps {
			got = append(got, fmt.Sprintf("%s %s %s→%s", c.Kind, c.Component, c.Before, c.After))
			if c.Kind == usagetypes.CapLeaseReserved && !strings.Contains(c.Detail, fmt.Sprintf("lease %d reserves 100m CPU", lease)) {
				t.Errorf("%s: cap detail %q", what, c.Detail)
			}
		}
		want := []string{
			fmt.Sprintf("lease_reserved cpu %d→%d", forgedCPU, most.CPUMillis),
			fmt.Sprintf("lease_reserved requests %d→%d", uint64(forgedRequests), most.Requests),
			fmt.Sprintf("lease_reserved egress %d→%d", uint64(forgedMax), most.EgressBytes),
			fmt.Sprintf("lease_egress_share egress %d→%d", most.EgressBytes, counted.EgressBytes),
		}
		if !slices.Equal(got, want) || r.CountedRequests != fmt.Sprint(most.Requests) {
			t.Errorf("%s: the record of epoch %d lease %d counts %s requests with caps %q; want %d with %q", what, epoch, lease, r.CountedRequests, got, most.Requests, want)
		}
		return
	}
	t.Errorf("%s: no record of epoch %d lease %d", what, epoch, lease)
}

// grouped writes n with thousands separators, as the dashboard does.
func grouped(n uint64) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// wireJSON decodes the JSON body of a GET into v: this test checks the API's
// wire shape itself, so it reads the bytes rather than the typed client's
// decoded view.
func wireJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: decode: %v", url, err)
	}
}

// checkForgedForfeited waits for the audit of the forged entry (lease in
// epoch, reported at height h, charged charged): drawn, never published,
// forfeited; the whole charge back in the escrow (the record and the
// service account corrected) and mallory's collateral slashed
// max(slash_multiplier × charged, min_slash) (all she has, if less). It
// returns the height it resolved at.
func checkForgedForfeited(t *testing.T, rpc *rpchttp.HTTP, mallory string, epoch, lease uint64, charged sdkmath.Int, h int64) int64 {
	t.Helper()
	var rec usagetypes.UsageRecord
	waitForSaying(t, 2*time.Minute, fmt.Sprintf("the forged record of epoch %d to be drawn for audit", epoch), func() bool {
		rec, _ = serviceRecord(t, rpc, "victim", epoch, lease, 0)
		return rec.AuditId != 0
	}, func() string { return fmt.Sprintf("record %+v", rec) })
	a := waitAuditResolved(t, rpc, rec.AuditId, 3*time.Minute)
	p := usageParams(t, rpc)
	before := chainSharer(t, rpc, mallory, a.ResolvedHeight-1).Collateral
	after := chainSharer(t, rpc, mallory, a.ResolvedHeight).Collateral
	slash := wantSlash(p, charged, before)
	rec, _ = serviceRecord(t, rpc, "victim", epoch, lease, a.ResolvedHeight)
	var eb, ea usagetypes.QueryServiceEconomicsResponse
	mustQueryAt(t, rpc, "/q1.usage.v1.Query/ServiceEconomics", &usagetypes.QueryServiceEconomicsRequest{Service: "victim"}, &eb, a.ResolvedHeight-1)
	mustQueryAt(t, rpc, "/q1.usage.v1.Query/ServiceEconomics", &usagetypes.QueryServiceEconomicsRequest{Service: "victim"}, &ea, a.ResolvedHeight)
	t.Logf("audit %d of the forged entry (epoch %d): %s at height %d (%s); refunded %s of %s charged, slashed %s (collateral %s → %s), burned %s; escrow %s → %s",
		a.Id, epoch, a.State, a.ResolvedHeight, a.Resolution, a.Refunded, charged, a.Slashed, before, after, a.Burned, eb.Balance, ea.Balance)
	switch {
	case a.Sharer != mallory || a.LeaseId != lease || a.Epoch != epoch:
		t.Errorf("audit %d is of %s lease %d epoch %d", a.Id, a.Sharer, a.LeaseId, a.Epoch)
	case a.PublishedHeight != 0 || a.State != stateForfeited:
		t.Errorf("audit %d of the forged entry: state %s, published at %d; want forfeited, never published", a.Id, a.State, a.PublishedHeight)
	case !a.Charged.Equal(charged) || !a.Refunded.Equal(charged):
		t.Errorf("audit %d: charged %s refunded %s; want both %s", a.Id, a.Charged, a.Refunded, charged)
	case !a.Slashed.Equal(slash) || !before.Sub(after).Equal(slash):
		t.Errorf("audit %d slashed %s, collateral %s → %s; want %s (max(%s × %s, %s))", a.Id, a.Slashed, before, after, slash, p.SlashMultiplier, charged, p.MinSlash)
	case slash.LT(charged.MulRaw(2)) && slash.LT(before):
		t.Errorf("audit %d slashed %s: less than twice the charge %s", a.Id, slash, charged)
	case rec.AuditState != stateForfeited || !rec.Refunded.Equal(charged) || !rec.Charged.IsZero() || !rec.ToSharer.IsZero():
		t.Errorf("the forged record after audit %d: %+v; want forfeited, %s refunded, nothing charged", a.Id, rec, charged)
	case !ea.Balance.Sub(eb.Balance).Add(ea.Account.RentCharged.Sub(eb.Account.RentCharged)).Equal(charged):
		t.Errorf("the escrow went %s → %s at the audit's resolution (rent settled %s → %s): the %s uqc charge did not come back", eb.Balance, ea.Balance, eb.Account.RentCharged, ea.Account.RentCharged, charged)
	case !eb.Account.UsageCharged.Sub(ea.Account.UsageCharged).Equal(charged):
		t.Errorf("the service account's usage charged went %s → %s at the audit's resolution; want %s less", eb.Account.UsageCharged, ea.Account.UsageCharged, charged)
	}
	return a.ResolvedHeight
}
