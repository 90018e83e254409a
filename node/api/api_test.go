package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"cosmossdk.io/math"

	"github.com/quantum1net/q1/client"
	usagetypes "github.com/quantum1net/q1/x/usage/types"
)

// fakeChain answers from fixed data, the way the real one maps its errors.
type fakeChain struct{}

func (fakeChain) Status(context.Context) (*client.Status, error) {
	return &client.Status{ChainID: "q1-test", Height: 42, Validators: []client.Validator{}}, nil
}

func (fakeChain) Account(_ context.Context, addr string) (*client.Account, error) {
	if addr != "q11good" {
		return nil, fmt.Errorf("%w: %q is not a q1… account address", client.ErrBadRequest, addr)
	}
	return &client.Account{Address: addr, Balance: "25000000", BalanceQC: "25QC", Exists: true}, nil
}

func (fakeChain) Supply(context.Context) (*client.Supply, error) {
	return nil, fmt.Errorf("%w: the node is catching up", client.ErrUnavailable)
}

func (fakeChain) Tx(_ context.Context, hash string) (*client.Tx, error) {
	return nil, fmt.Errorf("%w: no committed tx %s", client.ErrNotFound, hash)
}

func (fakeChain) Services(context.Context) (*client.Services, error) {
	return &client.Services{Height: 42, Services: []client.ServiceSummary{{Name: "hello", Status: "active"}}}, nil
}

func (fakeChain) Service(_ context.Context, name string) (*client.Service, error) {
	return nil, fmt.Errorf("%w: no service named %s", client.ErrNotFound, name)
}

func (fakeChain) History(_ context.Context, name string) (*client.History, error) {
	return &client.History{Service: name, Versions: []client.Version{}}, nil
}

func (fakeChain) Proposal(_ context.Context, id uint64) (*client.Proposal, error) {
	return &client.Proposal{ID: id, Kind: "update"}, nil
}

func (fakeChain) Blocks(_ context.Context, n int) (*client.Blocks, error) {
	if n > 100 {
		return nil, fmt.Errorf("%w: limit must be between 1 and 100, got %d", client.ErrBadRequest, n)
	}
	return &client.Blocks{Height: 42, Blocks: []client.Block{}}, nil
}

func (fakeChain) Block(_ context.Context, h int64) (*client.BlockDetail, error) {
	return nil, fmt.Errorf("%w: no block %d (the chain is at 42)", client.ErrNotFound, h)
}

func (fakeChain) Sharers(context.Context) (*client.Sharers, error) {
	return &client.Sharers{Height: 42, Sharers: []client.Sharer{{Address: "q11sharer", Status: "active"}}}, nil
}

func (fakeChain) Sharer(_ context.Context, addr string) (*client.SharerStatus, error) {
	switch addr {
	case "q11sharer":
		return &client.SharerStatus{Sharer: client.Sharer{Address: addr, Status: "offline"}, Leases: []client.Lease{}}, nil
	case "q11nobody":
		return nil, fmt.Errorf("%w: %s is not a sharer", client.ErrNotFound, addr)
	}
	return nil, fmt.Errorf("%w: sharer %q is not a q1… account address", client.ErrBadRequest, addr)
}

// Leases echoes its filters in the one lease it returns.
func (fakeChain) Leases(_ context.Context, sharer, service string, limit int) (*client.Leases, error) {
	if limit > 1000 {
		return nil, fmt.Errorf("%w: limit must be between 1 and 1000, got %d", client.ErrBadRequest, limit)
	}
	return &client.Leases{Height: 42, Leases: []client.Lease{{ID: uint64(limit), Sharer: sharer, Service: service}}}, nil
}

func (fakeChain) Placement(_ context.Context, name string) (*client.Placement, error) {
	if name != "hello" {
		return nil, fmt.Errorf("%w: no service named %s", client.ErrNotFound, name)
	}
	return &client.Placement{Service: name, Wanted: 2, Placed: 1, Explanation: "1 sharer: 1 chosen"}, nil
}

func (fakeChain) Epoch(context.Context) (*client.Epoch, error) {
	return &client.Epoch{Number: 7, StartHeight: 140, BlocksPerEpoch: 20, Height: 150}, nil
}

// ServiceUsage echoes its grouping and filters in the one sum it returns.
func (fakeChain) ServiceUsage(_ context.Context, req *usagetypes.QueryServiceUsageRequest) (*usagetypes.QueryServiceUsageResponse, error) {
	name, by := req.Service, req.By
	if name != "hello" {
		return nil, fmt.Errorf("%w: service %s does not exist", client.ErrNotFound, name)
	}
	if by != "" && by != "sharer" && by != "epoch" {
		return nil, fmt.Errorf("%w: by %q: use sharer, epoch or nothing", client.ErrBadRequest, by)
	}
	z := math.ZeroInt()
	out := &usagetypes.QueryServiceUsageResponse{Service: name, Total: usagetypes.UsageSum{Requests: 7, Charged: math.NewInt(70), ToSharer: z, ProtocolShare: z}}
	if by == "" {
		out.Records = []usagetypes.UsageRecord{{Service: name, Sharer: "q11a", Epoch: 4, LeaseId: 9, Requests: 7, Fuel: 900,
			ReceiptsRoot: bytes.Repeat([]byte{0xab}, 32), Receipts: 8, AuditState: "failed", AuditId: 3,
			Charged: z, ToSharer: z, ProtocolShare: z, Refunded: math.NewInt(70)}}
	}
	if by != "" {
		out.Sums = []usagetypes.UsageSum{{Sharer: by + "/" + req.Sharer, Epoch: req.Epoch, Charged: z, ToSharer: z, ProtocolShare: z}}
	}
	return out, nil
}

// WithPrunedRecords adds one pruned record (epoch 1, lease 5), as if read
// back from the event index.
func (fakeChain) WithPrunedRecords(_ context.Context, req *usagetypes.QueryServiceUsageRequest, res *usagetypes.QueryServiceUsageResponse) (int, error) {
	z := math.ZeroInt()
	res.Records = append([]usagetypes.UsageRecord{{Service: req.Service, Sharer: "q11a", Epoch: 1, LeaseId: 5, Requests: 3,
		Charged: z, ToSharer: z, ProtocolShare: z, Refunded: z}}, res.Records...)
	return 1, nil
}

// WithPrunedEarnings adds one pruned epoch's sum (epoch 1).
func (fakeChain) WithPrunedEarnings(_ context.Context, by string, res *usagetypes.QuerySharerEarningsResponse) (int, error) {
	if by != "epoch" {
		return 0, nil
	}
	res.Sums = append([]usagetypes.Earnings{usagetypes.NewEarnings(res.Sharer, "", 1)}, res.Sums...)
	return 1, nil
}

func (fakeChain) Audits(_ context.Context, service, sharer, auditor string) (*usagetypes.QueryAuditsResponse, error) {
	a := testAudit()
	a.Service = service + sharer + auditor
	return &usagetypes.QueryAuditsResponse{Audits: []usagetypes.Audit{a}}, nil
}

func (fakeChain) AuditsOf(_ context.Context, records []usagetypes.UsageRecord) ([]usagetypes.Audit, error) {
	var out []usagetypes.Audit
	for _, r := range records {
		if r.AuditId == 3 {
			out = append(out, testAudit())
		}
	}
	return out, nil
}

func testAudit() usagetypes.Audit {
	z := math.ZeroInt()
	return usagetypes.Audit{Id: 3, Service: "hello", Sharer: "q11a", Epoch: 4, LeaseId: 9, State: "failed", Phase: "resolved",
		Auditors: []string{"q11b", "q11c"},
		Votes: []usagetypes.AuditVote{
			{Auditor: "q11b", Verdict: usagetypes.Verdict_VERDICT_FAIL, Detail: "sample 2 (instance 0): receipt 2 of instance 0: fuel claimed 200, re-executed 160", Fee: z},
			{Auditor: "q11c", Verdict: usagetypes.Verdict_VERDICT_FAIL, Detail: "sample 2 (instance 0): receipt 2 of instance 0: fuel claimed 200, re-executed 160", Fee: z}},
		Charged: z, ToSharer: z, ProtocolShare: z, Refunded: math.NewInt(70), Slashed: math.NewInt(210), AuditorFees: z}
}

func (fakeChain) ServiceEconomics(_ context.Context, name string) (*usagetypes.QueryServiceEconomicsResponse, error) {
	if name != "hello" {
		return nil, fmt.Errorf("%w: service %s does not exist", client.ErrNotFound, name)
	}
	z, zd := math.ZeroInt(), math.LegacyZeroDec()
	return &usagetypes.QueryServiceEconomicsResponse{Service: name, Status: "active", Balance: math.NewInt(1000), Owed: zd, Available: zd,
		BurnPerHour: math.LegacyNewDec(3600), HoursLeft: zd, Low: true, DepositToResume: z, Account: usagetypes.NewServiceAccount(name)}, nil
}

func (fakeChain) SharerEarnings(_ context.Context, addr, by string) (*usagetypes.QuerySharerEarningsResponse, error) {
	if addr != "q11sharer" {
		return nil, fmt.Errorf("%w: sharer %q is not a q1… account address", client.ErrBadRequest, addr)
	}
	return &usagetypes.QuerySharerEarningsResponse{Sharer: addr, Total: usagetypes.NewEarnings(addr, by, 0), Received: math.NewInt(95)}, nil
}

func (fakeChain) ValidatorSet(context.Context) (*client.Validators, error) {
	return &client.Validators{Height: 42, BondedTokens: "1000", Validators: []client.Validator{{Moniker: "node0", Status: "bonded", Tokens: "1000"}}}, nil
}

func (fakeChain) SharerLiveness(_ context.Context, addr string) (*client.SharerLiveness, error) {
	return &client.SharerLiveness{Sharer: addr, Events: []client.LivenessEvent{{Kind: "offline", Height: 40}}}, nil
}

func TestAPI(t *testing.T) {
	srv := httptest.NewServer(New(fakeChain{}))
	defer srv.Close()
	for _, tc := range []struct {
		path   string
		status int
		body   string // a JSON field that must be present, as "key=value", or the error
	}{
		{"/v1/status", 200, "chain_id=q1-test"},
		{"/v1/accounts/q11good", 200, "balance_qc=25QC"},
		{"/v1/accounts/nope", 400, `error=bad request: "nope" is not a q1… account address`},
		{"/v1/supply", 503, "error=unavailable: the node is catching up"},
		{"/v1/txs/ABCD", 404, "error=not found: no committed tx ABCD"},
		{"/v1/services/ghost", 404, "error=not found: no service named ghost"},
		{"/v1/proposals/x", 400, `error=bad request: proposal id "x" is not a number`},
		{"/v1/proposals/7", 200, "kind=update"},
		{"/v1/nothing", 404, "error=no API endpoint GET /v1/nothing"},
		{"/v1/blocks", 200, "height=42"},
		{"/v1/blocks?limit=500", 400, "error=bad request: limit must be between 1 and 100, got 500"},
		{"/v1/blocks?limit=ten", 400, `error=bad request: limit "ten" is not a number`},
		{"/v1/blocks/99", 404, "error=not found: no block 99 (the chain is at 42)"},
		{"/v1/sharers", 200, "height=42"},
		{"/v1/validators", 200, "bonded_tokens=1000"},
		{"/v1/sharers/q11sharer/liveness", 200, "sharer=q11sharer"},
		{"/v1/sharers/q11sharer", 200, "status=offline"},
		{"/v1/sharers/q11nobody", 404, "error=not found: q11nobody is not a sharer"},
		{"/v1/sharers/nope", 400, `error=bad request: sharer "nope" is not a q1… account address`},
		{"/v1/leases?sharer=q11sharer&service=hello", 200, "height=42"},
		{"/v1/leases?limit=5000", 400, "error=bad request: limit must be between 1 and 1000, got 5000"},
		{"/v1/leases?limit=0", 400, `error=bad request: limit "0" is not a positive number`},
		{"/v1/leases?limit=many", 400, `error=bad request: limit "many" is not a positive number`},
		{"/v1/services/hello/placement", 200, "explanation=1 sharer: 1 chosen"},
		{"/v1/services/ghost/placement", 404, "error=not found: no service named ghost"},
		{"/v1/epoch", 200, "blocks_per_epoch=20"},
		{"/v1/services/hello/usage", 200, "service=hello"},
		{"/v1/services/hello/usage?epoch=last", 400, `error=bad request: epoch "last" is not a number`},
		{"/v1/services/hello/usage?by=lease", 400, `error=bad request: by "lease": use sharer, epoch or nothing`},
		{"/v1/services/ghost/usage", 404, "error=not found: service ghost does not exist"},
		{"/v1/services/hello/economics", 200, "burn_per_hour=3600.000000000000000000"},
		{"/v1/services/hello/economics", 200, "low=true"},
		{"/v1/services/ghost/economics", 404, "error=not found: service ghost does not exist"},
		{"/v1/sharers/q11sharer/earnings", 200, "received=95"},
		{"/v1/sharers/nope/earnings", 400, `error=bad request: sharer "nope" is not a q1… account address`},
	} {
		t.Run(tc.path, func(t *testing.T) {
			resp, err := http.Get(srv.URL + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			var body map[string]any
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Fatal(err)
			}
			key, want, _ := strings.Cut(tc.body, "=")
			if got := fmt.Sprint(body[key]); got != want {
				t.Errorf("%s = %q, want %q", key, got, want)
			}
		})
	}
}

// TestEconomyJSON: the economy endpoints answer the query responses in the
// chain's proto JSON: proto field names, every field present (zeros and
// false too), 64-bit integers as strings.
func TestEconomyJSON(t *testing.T) {
	srv := httptest.NewServer(New(fakeChain{}))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/v1/services/hello/usage?by=epoch&sharer=q11a&epoch=4")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Service string           `json:"service"`
		Records []any            `json:"records"`
		Sums    []map[string]any `json:"sums"`
		Total   map[string]any   `json:"total"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if body.Records == nil || len(body.Sums) != 1 || body.Sums[0]["sharer"] != "epoch/q11a" || body.Sums[0]["epoch"] != "4" {
		t.Errorf("usage: %+v", body)
	}
	if body.Total["requests"] != "7" || body.Total["charged"] != "70" || body.Total["caps"] != "0" {
		t.Errorf("total: %v", body.Total)
	}
}

// TestUsageAuditsJSON: usage records carry their root and audit state, and
// the answer names their audits with every auditor's verdict; a service's
// and a sharer's audits have their own endpoints.
func TestUsageAuditsJSON(t *testing.T) {
	srv := httptest.NewServer(New(fakeChain{}))
	defer srv.Close()
	var body struct {
		Records []map[string]any `json:"records"`
		Audits  []struct {
			ID    string `json:"id"`
			State string `json:"state"`
			Votes []struct {
				Auditor, Verdict, Detail string
			} `json:"votes"`
		} `json:"audits"`
	}
	getJSON(t, srv.URL+"/v1/services/hello/usage", &body)
	if len(body.Records) != 1 || len(body.Audits) != 1 {
		t.Fatalf("%d records, %d audits; want 1 and 1", len(body.Records), len(body.Audits))
	}
	r := body.Records[0]
	if r["receipts_root"] != "q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=" || r["receipts"] != "8" || r["fuel"] != "900" ||
		r["audit_state"] != "failed" || r["audit_id"] != "3" || r["refunded"] != "70" {
		t.Errorf("record: %v", r)
	}
	a := body.Audits[0]
	if a.ID != "3" || a.State != "failed" || len(a.Votes) != 2 || a.Votes[0].Verdict != "VERDICT_FAIL" || a.Votes[0].Detail == "" {
		t.Errorf("audit: %+v", a)
	}
	for _, tc := range []struct{ path, service string }{
		{"/v1/services/hello/audits", "hello"},
		{"/v1/sharers/q11a/audits", "q11a"},
		{"/v1/sharers/q11a/audits?as=auditor", "q11a"},
	} {
		var res struct {
			Audits []struct{ Service string } `json:"audits"`
		}
		getJSON(t, srv.URL+tc.path, &res)
		if len(res.Audits) != 1 || res.Audits[0].Service != tc.service {
			t.Errorf("%s: %+v", tc.path, res)
		}
	}
	resp, err := http.Get(srv.URL + "/v1/sharers/q11a/audits?as=owner")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("as=owner: %d, want 400", resp.StatusCode)
	}
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", url, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

// TestLeasesFilters checks that GET /v1/leases hands its query parameters
// to the chain as they were given (0: the chain's default limit).
func TestLeasesFilters(t *testing.T) {
	srv := httptest.NewServer(New(fakeChain{}))
	defer srv.Close()
	for _, tc := range []struct {
		query string
		want  client.Lease
	}{
		{"", client.Lease{}},
		{"?sharer=q11a", client.Lease{Sharer: "q11a"}},
		{"?service=hello&limit=7", client.Lease{ID: 7, Service: "hello"}},
		{"?sharer=q11a&service=hello", client.Lease{Sharer: "q11a", Service: "hello"}},
	} {
		t.Run(tc.query, func(t *testing.T) {
			resp, err := http.Get(srv.URL + "/v1/leases" + tc.query)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var got client.Leases
			if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
				t.Fatal(err)
			}
			if len(got.Leases) != 1 {
				t.Fatalf("%d leases, want 1", len(got.Leases))
			}
			l := got.Leases[0]
			if l.ID != tc.want.ID || l.Sharer != tc.want.Sharer || l.Service != tc.want.Service {
				t.Errorf("the chain was asked for (sharer %q, service %q, limit %d), want (%q, %q, %d)",
					l.Sharer, l.Service, l.ID, tc.want.Sharer, tc.want.Service, tc.want.ID)
			}
		})
	}
}

// TestUsagePrunedRecords: ?pruned=true lists the records pruned from the
// chain's state, read back from the event index, before the others; the
// client's UsageFilter.Pruned asks for them.
func TestUsagePrunedRecords(t *testing.T) {
	srv := httptest.NewServer(New(fakeChain{}))
	defer srv.Close()
	c := client.New(srv.URL)
	for _, pruned := range []bool{false, true} {
		res, err := c.ServiceUsage(context.Background(), "hello", client.UsageFilter{Pruned: pruned})
		if err != nil {
			t.Fatal(err)
		}
		want := 1
		if pruned {
			want = 2
		}
		if len(res.Records) != want || (pruned && (res.Records[0].Epoch != 1 || res.Records[0].LeaseId != 5)) {
			t.Errorf("pruned=%v: records %+v, want %d", pruned, res.Records, want)
		}
	}
}
