package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	sdkmath "cosmossdk.io/math"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"

	q1client "github.com/quantum1net/q1/client"
	"github.com/quantum1net/q1/core/receipt"
	usagetypes "github.com/quantum1net/q1/x/usage/types"
)

// auditPrices make every entry cost enough (1,000 uqc a request) that it is
// charged, held and (on a devnet) audited, and that the auditors' share of
// its protocol share is whole uqc.
const auditPrices = "cpu=400uqc/core-s,memory=2uqc/MiB-h,storage=50uqc/GiB-h,requests=1000000uqc/1k,egress=5000uqc/GiB"

// auditManifest is a public service of replicas replicas placed on sharers
// with the attribute pool=POOL, priced to accept auditPrices.
func auditManifest(t *testing.T, name, pool string, replicas int) string {
	t.Helper()
	doc := fmt.Sprintf(`apiVersion: q1/v1
name: %s
permissions:
  callers: [{paths: ["/*"], allow: public}]
resources: {cpu: 100m, memory: 32Mi, requestTimeout: 2s}
placement: {replicas: %d, requireAttributes: {pool: %s}}
pricing: {cpuPerCoreSecond: 500uqc, memoryPerMiBHour: 10uqc, storagePerGiBHour: 50uqc, per1kRequests: 1000000uqc, egressPerGiB: 5000uqc}
`, name, replicas, pool)
	p := filepath.Join(t.TempDir(), name+".yaml")
	if err := os.WriteFile(p, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// registerAuditSharers registers every node of tn as a sharer of pool
// honest at auditPrices, and returns their addresses in node order.
func registerAuditSharers(t *testing.T, tn *testnet) []string {
	t.Helper()
	var addrs []string
	for i, n := range tn.net.Nodes {
		out, errOut, code := runQ1(t, "sharer", "register", "--from", "default", "--home", n.Home,
			"--endpoint", n.Gateway, "--cpu", "2", "--memory", "4Gi", "--disk", "20Gi", "--egress", "100Gi",
			"--price", auditPrices, "--attr", "pool=honest")
		if code != 0 {
			t.Fatalf("register %s as a sharer: %s%s", n.Name, out, errOut)
		}
		addrs = append(addrs, strings.TrimSpace(first(tn.q1(t, i, "keys", "show", "default", "-a"))))
	}
	return addrs
}

// traffic calls service through every gateway in turn until stopped, so
// that requests entering a node without a replica are forwarded (and
// co-signed by that node's hot key).
type traffic struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	ok     int
	failed int
}

func startTraffic(service string, gws []string) *traffic {
	ctx, cancel := context.WithCancel(context.Background())
	tr := &traffic{cancel: cancel}
	tr.wg.Add(1)
	go func() {
		defer tr.wg.Done()
		c := &http.Client{Timeout: 5 * time.Second}
		for i := 0; ctx.Err() == nil; i++ {
			code, _, _, err := call(c, gws[i%len(gws)], "GET", service, fmt.Sprintf("/n/%d", i), "")
			tr.mu.Lock()
			if err == nil && code == 200 {
				tr.ok++
			} else {
				tr.failed++
			}
			tr.mu.Unlock()
			select {
			case <-ctx.Done():
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	return tr
}

func (tr *traffic) stop() (ok, failed int) {
	tr.cancel()
	tr.wg.Wait()
	return tr.ok, tr.failed
}

// resolvedEvent is the EventAuditResolved of audit id in the block at
// height, as attributes.
func resolvedEvent(t *testing.T, rpc *rpchttp.HTTP, id uint64, height int64) map[string]string {
	t.Helper()
	ctx, cancel := contextWithTimeout(30 * time.Second)
	defer cancel()
	res, err := rpc.BlockResults(ctx, &height)
	if err != nil {
		t.Fatalf("block results at %d: %v", height, err)
	}
	events := res.FinalizeBlockEvents
	for _, tx := range res.TxsResults {
		events = append(events, tx.Events...)
	}
	for _, ev := range events {
		if ev.Type != "q1.usage.v1.EventAuditResolved" {
			continue
		}
		attrs := map[string]string{}
		for _, a := range ev.Attributes {
			attrs[a.Key] = strings.Trim(a.Value, `"`)
		}
		if attrs["audit_id"] == fmt.Sprint(id) {
			return attrs
		}
	}
	t.Fatalf("no EventAuditResolved of audit %d at height %d", id, height)
	return nil
}

// hasForwarded reports whether some published sample of a was forwarded
// by another node's gateway (its receipt names a co-signing Via).
func hasForwarded(a usagetypes.Audit) bool {
	for _, s := range a.Samples {
		if r, err := receipt.Unmarshal(s.Receipt); err == nil && r.Via != "" && len(r.ViaSig) > 0 {
			return true
		}
	}
	return false
}

// TestAuditsHonest runs verifiable metering end to end on a 4-node devnet
// (every charged entry audited): a service with replicas on three sharers,
// called through every gateway (so some requests are forwarded and
// co-signed) over several epochs. Every audit of its entries is proven:
// the sampled receipts are published, the other sharers fetch the
// histories, re-execute them and vote PASS; the held charges are paid to
// the sharers and the auditors paid their fees; nothing fails or is
// forfeited, and `q1 sharer status` counts the audits passed and performed.
func TestAuditsHonest(t *testing.T) {
	began := time.Now()
	tn := startTestnet(t, netOptions{nodes: 4, blockTime: 200 * time.Millisecond})
	sharers := registerAuditSharers(t, tn)
	rpc := tn.clients[0].RPC
	inv := startInvariantWatch(t, rpc)
	if out, errOut, code := tn.q1(t, 0, "service", "deploy", "-f", auditManifest(t, "audited", "honest", 3), "--wasm", exampleWasm(t, "hello"),
		"--from", "default", "--deposit", "100QC"); code != 0 {
		t.Fatalf("deploy audited: %s%s", out, errOut)
	}
	gws := gateways(tn, -1)
	waitServed(t, 3*time.Minute, "audited", gws)
	tr := startTraffic("audited", gws)
	defer tr.stop()

	// Poll until entries of several epochs, of several sharers, are proven,
	// one of them with a forwarded request among its samples; nothing may
	// fail or be forfeited meanwhile.
	const wantEpochs = 3
	proven := map[uint64]usagetypes.Audit{} // by audit id
	var last string
	waitForSaying(t, 8*time.Minute, fmt.Sprintf("entries of %d epochs of audited to be proven", wantEpochs), func() bool {
		var use usagetypes.QueryServiceUsageResponse
		if err := queryAt(rpc, "/q1.usage.v1.Query/ServiceUsage", &usagetypes.QueryServiceUsageRequest{Service: "audited"}, &use, 0); err != nil {
			return false
		}
		states := map[string]int{}
		for _, r := range use.Records {
			states[r.AuditState]++
			switch r.AuditState {
			case stateFailed, stateForfeited:
				a := chainAudit(t, rpc, r.AuditId, 0)
				t.Fatalf("an honest entry was %s: record %+v\naudit %+v", r.AuditState, r, a)
			case stateProven:
				if _, ok := proven[r.AuditId]; !ok {
					proven[r.AuditId] = chainAudit(t, rpc, r.AuditId, 0)
				}
			}
		}
		epochs, by, forwarded := map[uint64]bool{}, map[string]bool{}, false
		for _, a := range proven {
			epochs[a.Epoch], by[a.Sharer] = true, true
			forwarded = forwarded || hasForwarded(a)
		}
		last = fmt.Sprintf("records by state %v; proven audits of epochs %v, sharers %d, a forwarded sample %v", states, epochs, len(by), forwarded)
		return len(epochs) >= wantEpochs && len(by) >= 2 && forwarded
	}, func() string { return last })
	ok, failed := tr.stop()
	t.Logf("%s; %d calls answered, %d not", last, ok, failed)

	// Each proven audit: published, every revealed verdict PASS by a
	// majority of its auditors, the sharer paid the held charge, the PASS
	// voters sharing the auditor fee (a share of the entry's protocol
	// share in whole uqc: an entry charged a few uqc has a protocol share,
	// and so a fee, of 0).
	for _, a := range proven {
		var passes int
		paid := sdkmath.ZeroInt()
		for i, v := range a.Votes {
			switch {
			case v.Verdict == usagetypes.Verdict_VERDICT_PASS:
				passes++
				paid = paid.Add(v.Fee)
			case v.RevealedHeight > 0:
				t.Errorf("audit %d: auditor %s revealed %s (%s) on an honest entry", a.Id, a.Auditors[i], v.Verdict, v.Detail)
			}
		}
		if !paid.Equal(a.AuditorFees) {
			t.Errorf("audit %d: the PASS voters were paid %s in all, the audit's auditor fees are %s", a.Id, paid, a.AuditorFees)
		}
		for i, v := range a.Votes {
			if v.Verdict == usagetypes.Verdict_VERDICT_PASS && a.AuditorFees.GTE(sdkmath.NewInt(int64(passes))) && !v.Fee.IsPositive() {
				t.Errorf("audit %d: auditor %s voted PASS and was paid nothing of the %s in fees", a.Id, a.Auditors[i], a.AuditorFees)
			}
		}
		if a.PublishedHeight == 0 || len(a.Samples) == 0 || passes*2 <= len(a.Auditors) || !a.Refunded.IsZero() || !a.Slashed.IsZero() {
			t.Errorf("proven audit %d: published at %d, %d samples, %d PASS of %d auditors, refunded %s, slashed %s",
				a.Id, a.PublishedHeight, len(a.Samples), passes, len(a.Auditors), a.Refunded, a.Slashed)
		}
		ev := resolvedEvent(t, rpc, a.Id, a.ResolvedHeight)
		if ev["state"] != stateProven || ev["paid"] != a.ToSharer.String() || !a.ToSharer.IsPositive() {
			t.Errorf("audit %d resolved with %v; want proven, %s paid to %s", a.Id, ev, a.ToSharer, a.Sharer)
		}
		t.Logf("audit %d (%s epoch %d lease %d): %d samples, verdicts %d PASS of %d, %s uqc paid to the sharer, %s to auditors",
			a.Id, a.Sharer, a.Epoch, a.LeaseId, len(a.Samples), passes, len(a.Auditors), a.ToSharer, a.AuditorFees)
	}

	// What people see: q1 service usage -o json shows proven records and
	// none failed or forfeited; q1 sharer status counts the audits.
	out, errOut, code := tn.q1(t, 1, "service", "usage", "audited", "-o", "json")
	var cli struct {
		Records []struct {
			Epoch      string `json:"epoch"`
			AuditState string `json:"audit_state"`
			AuditID    string `json:"audit_id"`
		} `json:"records"`
	}
	if code != 0 || jsonUnmarshal(out, &cli) != nil {
		t.Fatalf("q1 service usage audited -o json: exit %d\n%s%s", code, out, errOut)
	}
	var cliProven int
	for _, r := range cli.Records {
		if r.AuditState == stateFailed || r.AuditState == stateForfeited {
			t.Errorf("q1 service usage shows a record %s: %+v", r.AuditState, r)
		}
		if r.AuditState == stateProven {
			cliProven++
		}
	}
	if cliProven < len(proven) {
		t.Errorf("q1 service usage -o json shows %d proven records, the chain showed %d", cliProven, len(proven))
	}
	holders := map[string]bool{}
	for _, a := range proven {
		holders[a.Sharer] = true
	}
	for i, addr := range sharers {
		var st q1client.SharerStatus
		out, errOut, code := tn.q1(t, i, "sharer", "status", "-o", "json")
		if code != 0 || jsonUnmarshal(out, &st) != nil || st.Audits == nil {
			t.Fatalf("q1 sharer status -o json on node %d: exit %d\n%s%s", i, code, out, errOut)
		}
		a := st.Audits
		t.Logf("sharer %s (node %d): %+v", addr, i, *a)
		switch {
		case st.Address != addr:
			t.Errorf("node %d's sharer status is of %s, want %s", i, st.Address, addr)
		case a.Failed != 0 || a.Forfeited != 0:
			t.Errorf("honest sharer %s: %d audits failed, %d forfeited", addr, a.Failed, a.Forfeited)
		case holders[addr] && a.Passed == 0:
			t.Errorf("sharer %s had entries proven but its status counts no audit passed", addr)
		case a.Performed == 0:
			t.Errorf("sharer %s performed no audit", addr)
		}
		if holders[addr] {
			var earn usagetypes.QuerySharerEarningsResponse
			mustQueryAt(t, rpc, "/q1.usage.v1.Query/SharerEarnings", &usagetypes.QuerySharerEarningsRequest{Sharer: addr}, &earn, 0)
			if !earn.Total.Usage.IsPositive() {
				t.Errorf("sharer %s earned no usage: %+v", addr, earn.Total)
			}
		}
	}
	if len(holders) < 2 {
		t.Errorf("entries of only %d sharers were proven", len(holders))
	}
	inv.stop(t)
	t.Logf("TestAuditsHonest ran %s", time.Since(began).Round(time.Second))
}
