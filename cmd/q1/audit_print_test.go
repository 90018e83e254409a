package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	sdkmath "cosmossdk.io/math"
	"github.com/spf13/cobra"

	q1client "github.com/quantum1net/q1/client"
	usagetypes "github.com/quantum1net/q1/x/usage/types"
)

func auditFixture() (*usagetypes.QueryServiceUsageResponse, []usagetypes.Audit) {
	res := usageFixture()
	r := &res.Records[0]
	r.Fuel, r.Receipts, r.ReceiptsRoot = 900, 3001, bytes.Repeat([]byte{0xab}, 32)
	r.AuditState, r.AuditId, r.Refunded = "failed", 4, sdkmath.NewInt(2_000_000)
	z := sdkmath.ZeroInt()
	detail := "sample 2 (instance 0): receipt 2 of instance 0: fuel claimed 200, re-executed 160"
	a := usagetypes.Audit{Id: 4, Service: "hello", Sharer: "q1sharer", Epoch: 3, LeaseId: 7, State: "failed", Phase: "resolved",
		Auditors: []string{"q1a", "q1b", "q1c"},
		Votes: []usagetypes.AuditVote{
			{Auditor: "q1a", Verdict: usagetypes.Verdict_VERDICT_FAIL, Detail: detail, CommittedHeight: 10, RevealedHeight: 12, Fee: sdkmath.NewInt(50_000)},
			{Auditor: "q1b", Verdict: usagetypes.Verdict_VERDICT_PASS, CommittedHeight: 10, RevealedHeight: 12, Fee: z, Missed: true},
			{Auditor: "q1c", Fee: z, Missed: true}},
		Samples: make([]usagetypes.Sample, 3), Charged: z, ToSharer: z, ProtocolShare: z,
		Refunded: sdkmath.NewInt(2_000_000), Slashed: sdkmath.NewInt(6_000_000), AuditorFees: sdkmath.NewInt(50_000)}
	return res, []usagetypes.Audit{a}
}

func TestPrintUsageAudits(t *testing.T) {
	res, audits := auditFixture()
	var b bytes.Buffer
	printUsage(&b, "", res)
	printAudits(&b, audits)
	for _, w := range []string{
		"RECEIPTS  ROOT              AUDIT",
		"3001      abababababababab  failed #4",
		"Audit #4 of epoch 3 lease 7 (sharer q1sharer): failed, resolved phase; 3 samples published; 2QC refunded to the escrow, 6QC slashed",
		"  q1a: FAIL (sample 2 (instance 0): receipt 2 of instance 0: fuel claimed 200, re-executed 160); paid 0.05QC",
		"  q1b: PASS; counted as a miss",
		"  q1c: no verdict; counted as a miss",
	} {
		if !strings.Contains(b.String(), w) {
			t.Errorf("output does not contain %q:\n%s", w, b.String())
		}
	}
}

// TestUsageJSONShape: q1 service usage -o json is the chain's proto JSON of
// the records, with "audits" beside them, as the node's API answers.
func TestUsageJSONShape(t *testing.T) {
	res, audits := auditFixture()
	cmd := &cobra.Command{}
	var b bytes.Buffer
	cmd.SetOut(&b)
	if err := printUsageJSON(cmd, res, audits); err != nil {
		t.Fatal(err)
	}
	var out struct {
		Records []map[string]any `json:"records"`
		Audits  []map[string]any `json:"audits"`
	}
	if err := json.Unmarshal(b.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	r := out.Records[0]
	if r["audit_state"] != "failed" || r["audit_id"] != "4" || r["receipts"] != "3001" || r["fuel"] != "900" || r["receipts_root"] == "" {
		t.Errorf("record: %v", r)
	}
	a := out.Audits[0]
	votes, _ := a["votes"].([]any)
	if a["id"] != "4" || a["state"] != "failed" || len(votes) != 3 || votes[0].(map[string]any)["verdict"] != "VERDICT_FAIL" {
		t.Errorf("audit: %v", a)
	}
}

func TestPrintSharerAudits(t *testing.T) {
	st := &q1client.SharerStatus{Audits: &q1client.AuditStats{Passed: 5, Failed: 1, Forfeited: 2, Unsampled: 9, Performed: 7, Missed: 3}}
	var b bytes.Buffer
	printSharerStatus(&b, st)
	for _, w := range []string{"audited      5 passed, 1 failed, 2 forfeited (9 entries not sampled)", "as auditor   7 performed, 3 missed"} {
		if !strings.Contains(b.String(), w) {
			t.Errorf("output does not contain %q:\n%s", w, b.String())
		}
	}
	var j bytes.Buffer
	if err := json.NewEncoder(&j).Encode(st); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(j.String(), `"audits":{"passed":5,"failed":1,"forfeited":2,"unsampled":9,"performed":7,"missed":3}`) {
		t.Errorf("JSON: %s", j.String())
	}
}
