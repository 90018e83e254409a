package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	sdkmath "cosmossdk.io/math"

	"github.com/quantum1net/q1/app"
)

// TestPrunedUsageFromEventIndex (issue #16, state that does not grow): a
// one-node network whose usage records are pruned from state a few epochs
// after they are written. The records of the epochs a service was called
// in are read while the chain still holds them; once they are pruned, the
// chain lists them no more, and `q1 service usage --pruned` (and --epoch
// of a pruned epoch, and the node API's ?pruned=true) lists them again,
// field for field, read back from the node's event index.
func TestPrunedUsageFromEventIndex(t *testing.T) {
	params := app.DevnetParams()
	params.Sharers.AckTimeoutBlocks = 1200
	params.Sharers.OfflineAfterEpochs = 50
	// No audits, and audit windows short enough that the retention's
	// minimum is a few epochs: report window 3 + 1 epoch of audit + 1.
	params.Usage.AuditProbability = sdkmath.LegacyZeroDec()
	params.Usage.SampleDelayBlocks, params.Usage.PublishWindowBlocks = 1, 3
	params.Usage.CommitWindowBlocks, params.Usage.RevealWindowBlocks = 3, 3
	params.Usage.RetentionEpochs = params.Usage.MinRetentionEpochs(params.Sharers.EpochBlocks)
	tn := startTestnet(t, netOptions{nodes: 1, params: &params})
	n := tn.net.Nodes[0]
	q1 := func(args ...string) string {
		t.Helper()
		out, errOut, code := tn.q1(t, 0, args...)
		if code != 0 {
			t.Fatalf("q1 %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
		}
		return out
	}
	q1("sharer", "register", "--from", "default", "--endpoint", n.Gateway,
		"--cpu", "2", "--memory", "4Gi", "--disk", "20Gi", "--egress", "100Gi",
		"--price", "cpu=400uqc/core-s,memory=500uqc/MiB-h,storage=50uqc/GiB-h,requests=1000uqc/1k,egress=5000uqc/GiB")
	manifest := filepath.Join(t.TempDir(), "service.yaml")
	if err := os.WriteFile(manifest, []byte(`apiVersion: q1/v1
name: hello
permissions:
  callers:
    - {paths: ["/*"], allow: public}
resources: {cpu: 100m, memory: 32Mi, requestTimeout: 2s}
placement: {replicas: 1}
pricing: {cpuPerCoreSecond: 500uqc, memoryPerMiBHour: 1000uqc, storagePerGiBHour: 50uqc, per1kRequests: 1000uqc, egressPerGiB: 5000uqc}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	q1("service", "deploy", "-f", manifest, "--wasm", exampleWasm(t, "hello"), "--from", "default",
		"--deposit", "100QC", "--wait-serving", "3m")
	for i := range 5 {
		if got := q1("service", "call", "hello", fmt.Sprintf("/call/%d", i)); got == "" {
			t.Fatalf("call %d answered nothing", i)
		}
	}

	type usage struct {
		Records []struct {
			Epoch           string `json:"epoch"`
			LeaseID         string `json:"lease_id"`
			CountedRequests string `json:"counted_requests"`
			Charged         string `json:"charged"`
			ReceiptsRoot    string `json:"receipts_root"`
		} `json:"records"`
		PrunedBelow string `json:"pruned_below"`
		Pruned      struct {
			Records string `json:"records"`
		} `json:"pruned"`
	}
	read := func(args ...string) usage {
		t.Helper()
		var u usage
		out := q1(append([]string{"service", "usage", "hello", "-o", "json"}, args...)...)
		if err := json.Unmarshal([]byte(out), &u); err != nil {
			t.Fatalf("q1 service usage %s -o json: %v\n%s", strings.Join(args, " "), err, out)
		}
		return u
	}
	num := func(s string) uint64 { v, _ := strconv.ParseUint(s, 10, 64); return v }
	// The records that counted the calls, while the chain holds them.
	var before usage
	waitForSaying(t, 2*time.Minute, "the 5 calls counted in the usage records", func() bool {
		before = read()
		var n uint64
		for _, r := range before.Records {
			n += num(r.CountedRequests)
		}
		return n >= 5
	}, func() string { return fmt.Sprintf("records %+v", before.Records) })
	called := map[string]string{} // epoch/lease → the record's JSON
	var last uint64
	for _, r := range before.Records {
		if num(r.CountedRequests) > 0 {
			b, _ := json.Marshal(r)
			called[r.Epoch+"/"+r.LeaseID] = string(b)
			last = max(last, num(r.Epoch))
		}
	}
	type earnings struct {
		Sums []struct {
			Epoch string `json:"epoch"`
			Usage string `json:"usage"`
		} `json:"sums"`
		PrunedBelow string `json:"pruned_below"`
	}
	readEarnings := func(args ...string) earnings {
		t.Helper()
		var e earnings
		out := q1(append([]string{"sharer", "earnings", "--by", "epoch", "-o", "json"}, args...)...)
		if err := json.Unmarshal([]byte(out), &e); err != nil {
			t.Fatalf("q1 sharer earnings --by epoch %s -o json: %v\n%s", strings.Join(args, " "), err, out)
		}
		return e
	}
	earned := map[string]string{} // epoch → usage earned, while the chain holds the rows
	for _, s := range readEarnings().Sums {
		for key := range called {
			if epoch, _, _ := strings.Cut(key, "/"); epoch == s.Epoch {
				earned[s.Epoch] = s.Usage
			}
		}
	}
	if len(earned) == 0 {
		t.Fatalf("no earnings row for the epochs called in (%v)", called)
	}
	// Pruned: the chain no longer lists them.
	var now usage
	waitForSaying(t, 3*time.Minute, fmt.Sprintf("epoch %d pruned", last), func() bool {
		now = read()
		return num(now.PrunedBelow) > last
	}, func() string { return fmt.Sprintf("pruned below %s", now.PrunedBelow) })
	for _, r := range now.Records {
		if _, ok := called[r.Epoch+"/"+r.LeaseID]; ok {
			t.Fatalf("the chain still lists record %s/%s below pruned_below %s", r.Epoch, r.LeaseID, now.PrunedBelow)
		}
	}
	// --pruned lists them again, as they were.
	check := func(what string, u usage) {
		t.Helper()
		found := 0
		for _, r := range u.Records {
			want, ok := called[r.Epoch+"/"+r.LeaseID]
			if !ok {
				continue
			}
			found++
			if b, _ := json.Marshal(r); string(b) != want {
				t.Errorf("%s: record %s/%s is %s; the chain held %s", what, r.Epoch, r.LeaseID, b, want)
			}
		}
		if found != len(called) {
			t.Errorf("%s lists %d of the %d records that counted the calls", what, found, len(called))
		}
	}
	check("q1 service usage --pruned", read("--pruned"))
	for key := range called {
		epoch, _, _ := strings.Cut(key, "/")
		u := read("--epoch", epoch)
		found := false
		for _, r := range u.Records {
			found = found || r.Epoch+"/"+r.LeaseID == key
		}
		if !found {
			t.Errorf("q1 service usage --epoch %s does not list record %s", epoch, key)
		}
		if out := q1("service", "usage", "hello", "--epoch", epoch); !strings.Contains(out, "read back from this node's event index") {
			t.Errorf("q1 service usage --epoch %s does not say where the records come from:\n%s", epoch, out)
		}
	}
	if out := q1("service", "usage", "hello", "--pruned"); !strings.Contains(out, "are listed, read back from this node's event index") {
		t.Errorf("q1 service usage --pruned does not say where the records come from:\n%s", out)
	}
	// The earnings of the pruned epochs, one by one again.
	got := map[string]string{}
	for _, s := range readEarnings("--pruned").Sums {
		got[s.Epoch] = s.Usage
	}
	for epoch, usage := range earned {
		if got[epoch] != usage {
			t.Errorf("q1 sharer earnings --by epoch --pruned: epoch %s earned %q; the chain held %q", epoch, got[epoch], usage)
		}
	}
	if out := q1("sharer", "earnings", "--by", "epoch", "--pruned"); !strings.Contains(out, "summed by epoch above, were read back from this node's event index") {
		t.Errorf("q1 sharer earnings --by epoch --pruned does not say where the rows come from:\n%s", out)
	}
	// The node's API answers the same.
	resp, err := http.Get(n.HTTP + "/v1/services/hello/usage?pruned=true")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var api usage
	if err := json.NewDecoder(resp.Body).Decode(&api); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /v1/services/hello/usage?pruned=true: %s, %v", resp.Status, err)
	}
	check("GET /v1/services/hello/usage?pruned=true", api)
}
