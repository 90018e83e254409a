package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	sdkmath "cosmossdk.io/math"
	"github.com/spf13/cobra"

	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
	usagetypes "github.com/quantum1net/q1/x/usage/types"
)

func usageFixture() *usagetypes.QueryServiceUsageResponse {

	rec := usagetypes.UsageRecord{Service: "hello", Sharer: "q1sharer", Epoch: 3, LeaseId: 7, Requests: 3000, CountedRequests: 3000, CpuMillis: 8000,
		CountedCpuMillis: 4000, CountedEgressBytes: 1024, Charged: sdkmath.NewInt(2_000_000), ToSharer: sdkmath.NewInt(1_900_000),
		ProtocolShare: sdkmath.NewInt(100_000),
		Caps:          []usagetypes.Cap{{Kind: usagetypes.CapPhysicalCPU, Component: "cpu", Before: "8000", After: "4000", Detail: "sharer offers 1000 millicores"}}}
	sum := usagetypes.UsageSum{Sharer: "q1sharer", Records: 1, Requests: 3000, CpuMillis: 4000, EgressBytes: 1024,
		Charged: rec.Charged, ToSharer: rec.ToSharer, ProtocolShare: rec.ProtocolShare, Caps: 1}
	return &usagetypes.QueryServiceUsageResponse{Service: "hello", Records: []usagetypes.UsageRecord{rec}, Sums: []usagetypes.UsageSum{sum}, Total: sum}
}

func TestPrintUsage(t *testing.T) {
	for _, tc := range []struct {
		by   string
		want []string
	}{
		{"", []string{"EPOCH  LEASE  SHARER", "3      7      q1sharer  3000      4.000s  1024 B  2QC", "Total: 3000 requests, 4.000s CPU, 1024 B egress in 1 records; charged 2QC (1.9QC to sharers, 0.1QC protocol share)",
			"epoch 3 lease 7: physical_cpu (cpu 8000 → 4000): sharer offers 1000 millicores"}},
		{"sharer", []string{"SHARER    RECORDS", "q1sharer  1        3000"}},
	} {
		var b bytes.Buffer
		printUsage(&b, tc.by, usageFixture())
		for _, w := range tc.want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("by %q: output does not contain %q:\n%s", tc.by, w, b.String())
			}
		}
	}
}

func TestPrintEarnings(t *testing.T) {
	e := usagetypes.NewEarnings("q1sharer", "hello", 0)
	e.Usage, e.Rent, e.ProtocolShare = sdkmath.NewInt(2_000_000), sdkmath.NewInt(1_000_000), sdkmath.NewInt(150_000)
	res := &usagetypes.QuerySharerEarningsResponse{Sharer: "q1sharer", Total: e, Received: sdkmath.NewInt(2_850_000), Sums: []usagetypes.Earnings{e}}
	var b bytes.Buffer
	printEarnings(&b, "service", res, -1)
	for _, w := range []string{"Sharer q1sharer earned 2.85QC: usage 2QC, rent 1QC, less the protocol share 0.15QC", "SERVICE  USAGE", "hello    2QC    1QC   0.15QC          2.85QC"} {
		if !strings.Contains(b.String(), w) {
			t.Errorf("output does not contain %q:\n%s", w, b.String())
		}
	}
}

func TestPrintEconomics(t *testing.T) {
	zd := sdkmath.LegacyZeroDec()
	base := usagetypes.QueryServiceEconomicsResponse{Balance: sdkmath.NewInt(360_000_000), Owed: sdkmath.LegacyNewDec(1000),
		Available: sdkmath.LegacyNewDec(359_999_000), BurnPerHour: sdkmath.LegacyNewDec(3_600_000), HoursLeft: sdkmath.LegacyNewDec(100),
		BlocksLeft: 360_000, LowBalanceBlocks: 1000, DepositToResume: sdkmath.ZeroInt()}
	low := base
	low.Low = true
	dry := base
	dry.Depleted, dry.DepletedHeight, dry.GraceDeadline, dry.DepositToResume, dry.BurnPerHour = true, 500, 1500, sdkmath.NewInt(1_000_000), zd
	idle := base
	idle.BurnPerHour = zd
	for _, tc := range []struct {
		name string
		e    usagetypes.QueryServiceEconomicsResponse
		want string
	}{
		{"burning", base, "escrow 360QC, owed 0.001QC, available 359.999QC; burn 3.6QC an hour, about 100 hours (360000 blocks) left\n"},
		{"low", low, "; LOW: under 1000 blocks of burn"},
		{"depleted", dry, "; ran dry at height 500: deposit 1QC before height 1500 to resume it (deleted then)"},
		{"idle", idle, "; no rent burning"},
	} {
		var b bytes.Buffer
		printEconomics(&b, &tc.e)
		if !strings.Contains(b.String(), tc.want) {
			t.Errorf("%s: %q does not contain %q", tc.name, b.String(), tc.want)
		}
	}
}

func TestPrintPreview(t *testing.T) {
	p := &sharerstypes.QueryPlacementPreviewResponse{Service: "hello", Wanted: 2, Explanation: "3 sharers: 2 chosen",
		Chosen: []sharerstypes.PreviewChoice{{Sharer: "q1s1", Prices: sharerstypes.Prices{MemoryPerMibHour: 2},
			RentPerHour: sdkmath.LegacyNewDec(128), CpuPerHour: sdkmath.LegacyNewDec(900_000)}},
		RentPerHour: sdkmath.LegacyNewDec(128), MaxCpuPerHour: sdkmath.LegacyNewDec(900_000)}
	var b bytes.Buffer
	printPreview(&b, p)
	for _, w := range []string{"Service hello would be placed on 1 of 2 replicas: 3 sharers: 2 chosen", "q1s1",
		"Cost per hour: 0.000128QC of rent (memory and storage, from acknowledgement), up to 0.9QC more for CPU"} {
		if !strings.Contains(b.String(), w) {
			t.Errorf("output does not contain %q:\n%s", w, b.String())
		}
	}
}

// TestProtoJSONOutput: -o json is the chain's proto JSON, as the API's.
func TestProtoJSONOutput(t *testing.T) {
	cmd := &cobra.Command{}
	var b bytes.Buffer
	cmd.SetOut(&b)
	if err := printProtoJSON(cmd, usageFixture()); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatalf("%v:\n%s", err, b.String())
	}
	total := got["total"].(map[string]any)
	if total["charged"] != "2000000" || total["requests"] != "3000" || got["service"] != "hello" {
		t.Errorf("json: %s", b.String())
	}
}

// TestPrintPruned: past params.retention_epochs the output says which
// epochs are pruned and that the totals include them (issue #16).
func TestPrintPruned(t *testing.T) {
	res := usageFixture()
	res.PrunedBelow = 40
	res.Pruned = usagetypes.UsageSum{Records: 12, Requests: 5000, Charged: sdkmath.NewInt(3_000_000), ToSharer: sdkmath.ZeroInt(), ProtocolShare: sdkmath.ZeroInt()}
	var b bytes.Buffer
	printUsage(&b, "epoch", res)
	printUsagePruned(&b, &usagetypes.QueryServiceUsageRequest{Service: "hello", By: "epoch"}, res, -1)
	for _, w := range []string{"<40 (pruned)  12", "Epochs before 40 are pruned from the chain's state (params.retention_epochs): their 12 records", "the total above includes: 5000 requests"} {
		if !strings.Contains(b.String(), w) {
			t.Errorf("output does not contain %q:\n%s", w, b.String())
		}
	}
	b.Reset()
	printUsagePruned(&b, &usagetypes.QueryServiceUsageRequest{Service: "hello", HasEpoch: true, Epoch: 7}, res, 0)
	if w := "Epoch 7 is pruned from the chain's state (every epoch before 40 is, params.retention_epochs), and this node's event index holds no record of it"; !strings.Contains(b.String(), w) {
		t.Errorf("output does not contain %q:\n%s", w, b.String())
	}
	for _, c := range []struct {
		req    usagetypes.QueryServiceUsageRequest
		listed int
		want   string
	}{
		{usagetypes.QueryServiceUsageRequest{Service: "hello", HasEpoch: true, Epoch: 7}, 3, "its 3 records above were read back from this node's event index"},
		{usagetypes.QueryServiceUsageRequest{Service: "hello"}, 12, "their 12 records are listed, read back from this node's event index"},
		{usagetypes.QueryServiceUsageRequest{Service: "hello"}, 5, "5 of their 12 records are listed, read back from this node's event index, which lacks the blocks that pruned the rest"},
	} {
		b.Reset()
		printUsagePruned(&b, &c.req, res, c.listed)
		if !strings.Contains(b.String(), c.want) {
			t.Errorf("listed %d: output does not contain %q:\n%s", c.listed, c.want, b.String())
		}
	}

	e := usagetypes.NewEarnings("q1sharer", "hello", 0)
	e.Usage, e.Rent, e.ProtocolShare = sdkmath.NewInt(2_000_000), sdkmath.NewInt(1_000_000), sdkmath.NewInt(150_000)
	p := usagetypes.NewEarnings("q1sharer", "", 0)
	p.Usage = sdkmath.NewInt(1_000_000)
	er := &usagetypes.QuerySharerEarningsResponse{Sharer: "q1sharer", Total: e, Received: sdkmath.NewInt(2_850_000), PrunedBelow: 40, Pruned: p,
		Sums: []usagetypes.Earnings{usagetypes.NewEarnings("q1sharer", "", 41)}}
	b.Reset()
	printEarnings(&b, "epoch", er, -1)
	for _, w := range []string{"<40 (pruned)  1QC", "Epochs before 40 are pruned from the chain's state (params.retention_epochs): the chain keeps what they earned as running totals, usage 1QC"} {
		if !strings.Contains(b.String(), w) {
			t.Errorf("output does not contain %q:\n%s", w, b.String())
		}
	}
	// --pruned: the pruned epochs' rows, read back from the event index,
	// are summed by epoch in place of the one line.
	old := usagetypes.NewEarnings("q1sharer", "", 12)
	old.Usage = sdkmath.NewInt(600_000)
	er.Sums = append([]usagetypes.Earnings{old}, er.Sums...)
	b.Reset()
	printEarnings(&b, "epoch", er, 2)
	for _, w := range []string{"\n12     0.6QC", "this node's event index holds 2 of their earnings rows, summed by epoch above (usage and rent 0.6QC of 1QC"} {
		if !strings.Contains(b.String(), w) {
			t.Errorf("output does not contain %q:\n%s", w, b.String())
		}
	}
	if strings.Contains(b.String(), "(pruned)") {
		t.Errorf("the one pruned line is printed beside the rows:\n%s", b.String())
	}
	er.Sums[0].Usage = sdkmath.NewInt(1_000_000)
	b.Reset()
	printEarnings(&b, "epoch", er, 3)
	if w := "their 3 earnings rows, summed by epoch above, were read back from this node's event index"; !strings.Contains(b.String(), w) {
		t.Errorf("output does not contain %q:\n%s", w, b.String())
	}
}
