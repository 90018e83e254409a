package api

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"cosmossdk.io/math"

	"github.com/quantum1net/q1/client"
	usagetypes "github.com/quantum1net/q1/x/usage/types"
)

// TestTypedClient reads every endpoint of the API through client.Client:
// what the server writes, the client reads back into the same types, and
// refusals come back as *client.APIError with the server's message.
func TestTypedClient(t *testing.T) {
	srv := httptest.NewServer(New(fakeChain{}))
	defer srv.Close()
	c := client.New(srv.URL)
	ctx := context.Background()
	check := func(what string, ok bool, got any, err error) {
		t.Helper()
		if err != nil || !ok {
			t.Errorf("%s = %+v, %v", what, got, err)
		}
	}
	st, err := c.Status(ctx)
	check("Status", err == nil && st.ChainID == "q1-test" && st.Height == 42, st, err)
	acc, err := c.Account(ctx, "q11good")
	check("Account", err == nil && acc.BalanceQC == "25QC" && acc.Exists, acc, err)
	svcs, err := c.Services(ctx)
	check("Services", err == nil && len(svcs.Services) == 1 && svcs.Services[0].Name == "hello", svcs, err)
	hist, err := c.History(ctx, "hello")
	check("History", err == nil && hist.Service == "hello", hist, err)
	prop, err := c.Proposal(ctx, 7)
	check("Proposal", err == nil && prop.ID == 7 && prop.Kind == "update", prop, err)
	blocks, err := c.Blocks(ctx, 10)
	check("Blocks", err == nil && blocks.Height == 42, blocks, err)
	sharers, err := c.Sharers(ctx)
	check("Sharers", err == nil && len(sharers.Sharers) == 1, sharers, err)
	sh, err := c.Sharer(ctx, "q11sharer")
	check("Sharer", err == nil && sh.Status == "offline" && sh.Address == "q11sharer", sh, err)
	live, err := c.SharerLiveness(ctx, "q11sharer")
	check("SharerLiveness", err == nil && len(live.Events) == 1 && live.Events[0].Height == 40, live, err)
	leases, err := c.Leases(ctx, client.LeaseFilter{Sharer: "q11a", Service: "hello", Limit: 3})
	check("Leases", err == nil && len(leases.Leases) == 1 && leases.Leases[0] == client.Lease{ID: 3, Sharer: "q11a", Service: "hello"}, leases, err)
	pl, err := c.Placement(ctx, "hello")
	check("Placement", err == nil && pl.Wanted == 2 && pl.Explanation == "1 sharer: 1 chosen", pl, err)
	ep, err := c.Epoch(ctx)
	check("Epoch", err == nil && ep.Number == 7 && ep.BlocksPerEpoch == 20, ep, err)
	vals, err := c.Validators(ctx)
	check("Validators", err == nil && vals.BondedTokens == "1000" && vals.Validators[0].Moniker == "node0", vals, err)

	// The economy: the chain's proto JSON, read back into the same messages.
	epoch := uint64(4)
	usage, err := c.ServiceUsage(ctx, "hello", client.UsageFilter{By: "epoch", Sharer: "q11a", Epoch: &epoch})
	check("ServiceUsage", err == nil && usage.Service == "hello" && usage.Total.Requests == 7 && usage.Total.Charged.Equal(math.NewInt(70)) &&
		len(usage.Sums) == 1 && usage.Sums[0].Sharer == "epoch/q11a" && usage.Sums[0].Epoch == 4, usage, err)
	recs, audits, err := c.ServiceUsageAudits(ctx, "hello", client.UsageFilter{})
	check("ServiceUsageAudits", err == nil && len(recs.Records) == 1 && recs.Records[0].AuditState == "failed" && len(recs.Records[0].ReceiptsRoot) == 32 &&
		len(audits) == 1 && audits[0].Id == 3 && audits[0].Votes[1].Verdict == usagetypes.Verdict_VERDICT_FAIL && audits[0].Slashed.Equal(math.NewInt(210)), audits, err)
	svcAudits, err := c.Audits(ctx, "hello")
	check("Audits", err == nil && len(svcAudits.Audits) == 1 && svcAudits.Audits[0].Service == "hello", svcAudits, err)
	want, _ := fakeChain{}.ServiceEconomics(ctx, "hello")
	econ, err := c.ServiceEconomics(ctx, "hello")
	check("ServiceEconomics", err == nil && econ.String() == want.String(), econ, err)
	earn, err := c.SharerEarnings(ctx, "q11sharer", "service")
	check("SharerEarnings", err == nil && earn.Sharer == "q11sharer" && earn.Received.Equal(math.NewInt(95)), earn, err)

	// Refusals, typed.
	for _, tc := range []struct {
		name     string
		err      error
		status   int
		message  string
		sentinel error
	}{
		{"Account", errOf(c.Account(ctx, "nope")), 400, `bad request: "nope" is not a q1… account address`, client.ErrBadRequest},
		{"Supply", errOf(c.Supply(ctx)), 503, "unavailable: the node is catching up", client.ErrUnavailable},
		{"Tx", errOf(c.Tx(ctx, "ABCD")), 404, "not found: no committed tx ABCD", client.ErrNotFound},
		{"Service", errOf(c.Service(ctx, "ghost")), 404, "not found: no service named ghost", client.ErrNotFound},
		{"Block", errOf(c.Block(ctx, 99)), 404, "not found: no block 99 (the chain is at 42)", client.ErrNotFound},
		{"Blocks", errOf(c.Blocks(ctx, 500)), 400, "bad request: limit must be between 1 and 100, got 500", client.ErrBadRequest},
		{"Sharer", errOf(c.Sharer(ctx, "q11nobody")), 404, "not found: q11nobody is not a sharer", client.ErrNotFound},
		{"ServiceUsage", errOf(c.ServiceUsage(ctx, "hello", client.UsageFilter{By: "lease"})), 400, `bad request: by "lease": use sharer, epoch or nothing`, client.ErrBadRequest},
		{"ServiceEconomics", errOf(c.ServiceEconomics(ctx, "ghost")), 404, "not found: service ghost does not exist", client.ErrNotFound},
		{"SharerEarnings", errOf(c.SharerEarnings(ctx, "nope", "")), 400, `bad request: sharer "nope" is not a q1… account address`, client.ErrBadRequest},
	} {
		var ae *client.APIError
		if !errors.As(tc.err, &ae) || ae.StatusCode != tc.status || ae.Message != tc.message || !errors.Is(tc.err, tc.sentinel) {
			t.Errorf("%s: %v, want HTTP %d %q matching %v", tc.name, tc.err, tc.status, tc.message, tc.sentinel)
		}
	}
}

func errOf[T any](_ T, err error) error { return err }

// TestTypedClientEconomyFieldsRoundTrip: every field of the economy answers
// survives the trip through the API's proto JSON and the client.
func TestTypedClientEconomyFieldsRoundTrip(t *testing.T) {
	srv := httptest.NewServer(New(fullEconomy{}))
	defer srv.Close()
	c := client.New(srv.URL)
	ctx := context.Background()
	wantUsage, _ := fullEconomy{}.ServiceUsage(ctx, nil)
	gotUsage, err := c.ServiceUsage(ctx, "hello", client.UsageFilter{})
	if err != nil || gotUsage.String() != wantUsage.String() {
		t.Errorf("usage:\n got %v (%v)\nwant %v", gotUsage, err, wantUsage)
	}
	wantEcon, _ := fullEconomy{}.ServiceEconomics(ctx, "")
	gotEcon, err := c.ServiceEconomics(ctx, "hello")
	if err != nil || gotEcon.String() != wantEcon.String() {
		t.Errorf("economics:\n got %v (%v)\nwant %v", gotEcon, err, wantEcon)
	}
	wantEarn, _ := fullEconomy{}.SharerEarnings(ctx, "", "")
	gotEarn, err := c.SharerEarnings(ctx, "q11s", "epoch")
	if err != nil || gotEarn.String() != wantEarn.String() {
		t.Errorf("earnings:\n got %v (%v)\nwant %v", gotEarn, err, wantEarn)
	}
}

// fullEconomy answers economy queries with every field set.
type fullEconomy struct{ fakeChain }

func (fullEconomy) ServiceUsage(context.Context, *usagetypes.QueryServiceUsageRequest) (*usagetypes.QueryServiceUsageResponse, error) {
	n := math.NewInt
	sum := usagetypes.UsageSum{Sharer: "q11s", Epoch: 3, Records: 2, Requests: 1 << 60, CpuMillis: 5, EgressBytes: 6,
		Charged: n(7), ToSharer: n(6), ProtocolShare: n(1), Caps: 1}
	return &usagetypes.QueryServiceUsageResponse{
		Service: "hello",
		Records: []usagetypes.UsageRecord{{Service: "hello", Sharer: "q11s", Epoch: 3, LeaseId: 9, Requests: 1 << 60, CpuMillis: 5,
			EgressBytes: 6, CountedCpuMillis: 4, CountedEgressBytes: 5, Charged: n(7), ToSharer: n(6), ProtocolShare: n(1),
			Caps: []usagetypes.Cap{{Kind: "price", Component: "cpu", Before: "9", After: "7", Detail: "the lease's price"}}, Height: 77}},
		Sums:  []usagetypes.UsageSum{sum},
		Total: sum,
	}, nil
}

func (fullEconomy) ServiceEconomics(context.Context, string) (*usagetypes.QueryServiceEconomicsResponse, error) {
	n, d := math.NewInt, math.LegacyNewDecWithPrec
	settled := time.Date(2026, 1, 2, 3, 4, 5, 600_000_000, time.UTC)
	return &usagetypes.QueryServiceEconomicsResponse{Service: "hello", Status: "paused", Balance: n(1000), Owed: d(15, 1), Available: d(9985, 1),
		BurnPerHour: d(36, 0), HoursLeft: d(2775, 2), BlocksLeft: 1 << 40, Low: true, LowBalanceBlocks: 1000, DryTime: &settled,
		Depleted: true, DepletedHeight: 80, GraceDeadline: 1080, DepositToResume: n(500),
		Account: usagetypes.ServiceAccount{Service: "hello", BurnPerHour: d(36, 0), DryTime: &settled, LowTime: &settled, Low: true,
			DepletedHeight: 80, GraceDeadline: 1080, DepletedBurnPerHour: d(36, 0), RentCharged: n(11), UsageCharged: n(12),
			ProtocolShare: n(2), WrittenOff: n(1)},
		Leases: []usagetypes.LeaseMeter{{LeaseId: 9, Service: "hello", Sharer: "q11s", ListRatePerHour: d(40, 0), RatePerHour: d(36, 0),
			SettledTime: settled, Carry: d(3, 3)}},
	}, nil
}

func (fullEconomy) SharerEarnings(context.Context, string, string) (*usagetypes.QuerySharerEarningsResponse, error) {
	n := math.NewInt
	e := usagetypes.Earnings{Sharer: "q11s", Service: "hello", Epoch: 3, Usage: n(5), Rent: n(4), ProtocolShare: n(1)}
	return &usagetypes.QuerySharerEarningsResponse{Sharer: "q11s", Total: e, Received: n(8), Sums: []usagetypes.Earnings{e}}, nil
}
