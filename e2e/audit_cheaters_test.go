package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	sdkmath "cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"
	gogoproto "github.com/cosmos/gogoproto/proto"

	"github.com/quantum1net/q1/app"
	q1client "github.com/quantum1net/q1/client"
	"github.com/quantum1net/q1/core/receipt"
	"github.com/quantum1net/q1/internal/devnet"
	"github.com/quantum1net/q1/internal/loadgen"
	"github.com/quantum1net/q1/node/receipts"
	"github.com/quantum1net/q1/node/runtime"
	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
	usagetypes "github.com/quantum1net/q1/x/usage/types"
)

// The test doubles below cheat from the test process, with public
// protocol pieces only (core/receipt, node/runtime, hand-signed txs with
// the cheater's own account key, a fake HTTP endpoint): nothing in the q1
// binary can be switched into cheating.

// step is one step of an instance's history as a node keeps it.
type step struct {
	r             receipt.Receipt
	request, tape []byte
}

// cheatEntry is what the double reports for one lease: its receipts (the
// tree's leaves in order), the tree, and what it serves to auditors.
type cheatEntry struct {
	service string
	lease   uint64
	steps   []step
	tree    *receipt.Tree
	// withhold: the endpoint answers 404 for this lease's histories.
	withhold bool
}

func (e *cheatEntry) build(t *testing.T) {
	t.Helper()
	leaves := make([]receipt.Sum, len(e.steps))
	for i, s := range e.steps {
		leaves[i] = s.r.Leaf()
	}
	tr, err := receipt.Build(leaves)
	if err != nil {
		t.Fatal(err)
	}
	e.tree = tr
}

func (e *cheatEntry) usageEntry() usagetypes.UsageEntry {
	r := e.tree.Root()
	return usagetypes.UsageEntry{LeaseId: e.lease, Requests: r.Requests, Fuel: r.Fuel, EgressBytes: r.Egress,
		ReceiptsRoot: append([]byte(nil), r.Hash[:]...), Receipts: r.Leaves}
}

// samples are the receipts, with proofs, covering a's draws (as
// node/audit.Samples does from a node's store).
func (e *cheatEntry) samples(a usagetypes.Audit) ([]usagetypes.Sample, error) {
	var idx []uint64
	for _, d := range a.Draws {
		i := d.Index
		if d.Weighted {
			var err error
			if i, err = e.tree.AtFuel(d.Point); err != nil {
				return nil, err
			}
		}
		idx = append(idx, i)
	}
	slices.Sort(idx)
	idx = slices.Compact(idx)
	var out []usagetypes.Sample
	for _, i := range idx {
		p, err := e.tree.Proof(i)
		if err != nil {
			return nil, err
		}
		out = append(out, usagetypes.Sample{Index: i, Receipt: e.steps[i].r.Marshal(), Proof: receipt.MarshalProof(p)})
	}
	return out, nil
}

// history is what the double serves for instance up to index upto: the
// steps it kept, in order.
func (e *cheatEntry) history(instance, upto uint64) []q1client.AuditItem {
	var out []q1client.AuditItem
	for _, s := range e.steps {
		if s.r.Instance == instance && s.r.Index <= upto {
			out = append(out, q1client.AuditItem{Receipt: s.r.Marshal(), Request: s.request, Tape: s.tape})
		}
	}
	return out
}

// rechain sets each receipt's Prev to the hash of the one before it on its
// instance, as a cheater that edits receipts must.
func rechain(steps []step) {
	var prev receipt.Hash
	for i := range steps {
		if steps[i].r.Index == 0 {
			prev = receipt.Hash{}
		}
		steps[i].r.Prev = prev
		prev = steps[i].r.Hash()
	}
}

// honestSteps runs wasm on the real runtime, in the test process, as the
// replica of lease would in epoch: a start-up and n requests on one
// instance, with the limits a node gives a 32Mi, 2 s service.
func honestSteps(t *testing.T, rt *runtime.Runtime, service string, wasm []byte, lease, epoch uint64, n int) []step {
	t.Helper()
	store, err := receipts.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	store.SetEpoch(epoch)
	spec := runtime.ServiceSpec{Name: service, Wasm: wasm, Instances: 1, LeaseID: lease, Receipts: store,
		Epoch:  func() uint64 { return epoch },
		Limits: runtime.Limits{MemoryBytes: 16 << 20, RequestTimeout: 2 * time.Second, MaxRequestBytes: 4 << 20, MaxResponseBytes: 16 << 20}}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	svc, err := rt.Load(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if _, err := svc.Handle(ctx, &runtime.Request{Method: "GET", Path: fmt.Sprintf("/n/%d", i), Host: service + ".q1.example"}); err != nil {
			t.Fatal(err)
		}
	}
	svc.Close(ctx)
	items, err := store.History(lease, epoch, 0, uint64(n))
	if err != nil {
		t.Fatal(err)
	}
	out := make([]step, len(items))
	for i, it := range items {
		r, err := receipt.Unmarshal(it.Receipt)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = step{r: r, request: it.Request, tape: it.Tape}
	}
	return out
}

// double is a cheating sharer (or auditor) driven by the test: an account
// whose key the test holds, a client home with that key, and a fake
// endpoint.
type double struct {
	name string
	acct *loadgen.Account
	home string
	lc   *loadgen.Client
	mu   sync.Mutex // one tx at a time
	srv  *httptest.Server

	emu     sync.Mutex
	entries map[uint64]*cheatEntry // by lease
	served  map[uint64]int         // histories served, by lease
}

func newDouble(t *testing.T, tn *testnet, name string, acct *loadgen.Account) *double {
	t.Helper()
	d := &double{name: name, acct: acct, lc: tn.clients[0], entries: map[uint64]*cheatEntry{}, served: map[uint64]int{}}
	d.home = filepath.Join(t.TempDir(), name)
	if err := os.MkdirAll(filepath.Join(d.home, "config"), 0o700); err != nil {
		t.Fatal(err)
	}
	n := tn.net.Nodes[0]
	if err := devnet.WriteClientConfig(d.home, devnet.ClientConfig{ChainID: tn.net.ChainID, DefaultKey: name, Node: n.RPC, API: n.HTTP}); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := runQ1(t, "keys", "import-hex", name, hex.EncodeToString(acct.Key.Key), "--home", d.home); code != 0 {
		t.Fatalf("keys import-hex %s: %s", name, errOut)
	}
	d.srv = httptest.NewServer(http.HandlerFunc(d.serve))
	t.Cleanup(d.srv.Close)
	return d
}

// serve answers GET /_q1/v1/audit/{lease}/{epoch}/{instance}?upto=K from the
// double's entries (to anyone: a double needs no access control), or 404.
func (d *double) serve(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/_q1/v1/audit/")
	parts := strings.Split(rest, "/")
	if !ok || len(parts) != 3 {
		http.NotFound(w, r)
		return
	}
	var ids [3]uint64
	for i, p := range parts {
		v, err := strconv.ParseUint(p, 10, 64)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		ids[i] = v
	}
	upto, _ := strconv.ParseUint(r.URL.Query().Get("upto"), 10, 64)
	d.emu.Lock()
	e := d.entries[ids[0]]
	d.served[ids[0]]++
	d.emu.Unlock()
	if e == nil || e.withhold {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(q1client.AuditHistory{Lease: ids[0], Epoch: ids[1], Instance: ids[2], Items: e.history(ids[2], upto)})
}

// send signs msgs with the double's own account key and waits for the
// block; it returns the tx's result code and log.
func (d *double) send(t *testing.T, gas uint64, msgs ...sdk.Msg) (uint32, string) {
	t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.lc.Sync(d.acct); err != nil {
		return 1, err.Error()
	}
	tx, err := d.lc.Sign(d.acct, gas, "", msgs...)
	if err != nil {
		return 1, err.Error()
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sub, err := d.lc.Broadcast(ctx, tx)
	if err != nil {
		return 1, err.Error()
	}
	if sub.Code != 0 {
		return sub.Code, sub.Log
	}
	res, err := d.lc.WaitCommitted(ctx, sub.Hash)
	if err != nil {
		return 1, err.Error()
	}
	return res.TxResult.Code, res.TxResult.Log
}

// openAudits lists the open audits of the double as audited sharer, or as
// auditor.
func (d *double) openAudits(rpcq func(path string, req, res gogoproto.Message) error, auditor bool) []usagetypes.Audit {
	req := &usagetypes.QueryAuditsRequest{OpenOnly: true}
	if auditor {
		req.Auditor = d.acct.Address.String()
	} else {
		req.Sharer = d.acct.Address.String()
	}
	var res usagetypes.QueryAuditsResponse
	if rpcq("/q1.usage.v1.Query/Audits", req, &res) != nil {
		return nil
	}
	return res.Audits
}

// TestAuditsCatchCheaters puts test doubles on a 4-node devnet whose
// nodes are honest sharers: mallory, a sharer holding the only replica of
// three services, reports for each an entry built from receipt trees it
// crafted, and answers the audit protocol itself with its own key; liar, a
// sharer holding nothing, votes FAIL on honest entries it is drawn to
// audit. Mallory's three entries are caught: inflated fuel fails on
// re-execution, a tree whose requests were dropped is forfeited (its
// histories do not chain), withheld histories are forfeited; each is
// refunded to its escrow and mallory's collateral slashed. The liar is
// outvoted: the honest entries are proven, it gets no fee and a miss.
func TestAuditsCatchCheaters(t *testing.T) {
	began := time.Now()
	accts := loadgen.NewAccounts(2, 4242)
	params := app.DevnetParams()
	// The doubles send no heartbeats: they stay active (eligible auditors,
	// holders of their leases) anyway; mallory acknowledges by hand.
	params.Sharers.OfflineAfterEpochs = sharerstypes.MaxOfflineAfterEpochs
	params.Sharers.AckTimeoutBlocks = sharerstypes.MaxAckTimeoutBlocks
	tn := startTestnet(t, netOptions{nodes: 4, blockTime: 200 * time.Millisecond, params: &params, accounts: accts,
		funding: sdkmath.NewInt(1_000_000_000)})
	rpc := tn.clients[0].RPC
	t.Cleanup(func() {
		if t.Failed() {
			tn.auditLogs()
		}
	})
	honest := registerAuditSharers(t, tn)
	mallory, liar := newDouble(t, tn, "mallory", accts[0]), newDouble(t, tn, "liar", accts[1])
	for _, d := range []struct {
		d    *double
		pool string
	}{{mallory, "cheat"}, {liar, "liar"}} {
		if out, errOut, code := runQ1(t, "sharer", "register", "--from", d.d.name, "--home", d.d.home, "--endpoint", d.d.srv.URL,
			"--cpu", "2", "--memory", "4Gi", "--disk", "20Gi", "--egress", "100Gi", "--price", auditPrices,
			"--attr", "pool="+d.pool, "--collateral", "10QC"); code != 0 {
			t.Fatalf("register %s as a sharer: %s%s", d.d.name, out, errOut)
		}
	}
	inv := startInvariantWatch(t, rpc)
	wasmPath := exampleWasm(t, "hello")
	wasm, err := os.ReadFile(wasmPath)
	if err != nil {
		t.Fatal(err)
	}
	deploy := func(name, pool string, replicas int) {
		t.Helper()
		if out, errOut, code := tn.q1(t, 0, "service", "deploy", "-f", auditManifest(t, name, pool, replicas), "--wasm", wasmPath,
			"--from", "default", "--deposit", "100QC"); code != 0 {
			t.Fatalf("deploy %s: %s%s", name, out, errOut)
		}
	}
	deploy("audited", "honest", 3)
	cheats := []string{"inflated", "dropped", "withheld"}
	for _, s := range cheats {
		deploy(s, "cheat", 1)
	}
	gws := gateways(tn, -1)
	waitServed(t, 3*time.Minute, "audited", gws)
	tr := startTraffic("audited", gws)
	defer tr.stop()

	// mallory acknowledges her three leases by hand.
	leases := map[string]uint64{}
	var lastAck int64
	for _, s := range cheats {
		var pl q1client.Placement
		waitFor(t, 2*time.Minute, s+"'s lease on mallory", func() bool {
			out, _, code := tn.q1(t, 0, "service", "placement", s, "-o", "json")
			return code == 0 && jsonUnmarshal(out, &pl) == nil && len(pl.Leases) == 1 && pl.Leases[0].Sharer == mallory.acct.Address.String()
		})
		id := pl.Leases[0].ID
		leases[s] = id
		code, log := mallory.send(t, 200_000, &sharerstypes.MsgAckLease{Sharer: mallory.acct.Address.String(), LeaseId: id})
		if code != 0 {
			t.Fatalf("mallory's ack of lease %d: code %d: %s", id, code, log)
		}
		l := chainLease(t, rpc, id, 0)
		if !l.IsAcked() {
			t.Fatalf("lease %d not acknowledged: %+v", id, l)
		}
		lastAck = max(lastAck, l.AckedHeight)
	}
	rt, err := runtime.New(filepath.Join(t.TempDir(), "cache"))
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(context.Background())
	// Compile the module once first: the receipts below are then made in
	// moments, well inside the report window of their epoch.
	honestSteps(t, rt, "warm-up", wasm, 1, 1, 1)
	// An epoch after the acks: every lease served all of it. Its receipts
	// are made now (their seeds name it), reported once it ended.
	epoch := max(epochAt(t, rpc, lastAck).Number, epochAt(t, rpc, 0).Number) + 1
	const requests = 20
	entries := map[string]*cheatEntry{}
	for _, s := range cheats {
		e := &cheatEntry{service: s, lease: leases[s], steps: honestSteps(t, rt, s, wasm, leases[s], epoch, requests)}
		switch s {
		case "inflated":
			// Every request claims 50 million more fuel than it used, the
			// receipts chained anew so that the history checks.
			for i := range e.steps {
				if e.steps[i].r.IsRequest() {
					e.steps[i].r.Fuel += 50_000_000
				}
			}
			rechain(e.steps)
		case "dropped":
			// The first request is left out of the tree (and of what is kept):
			// the receipts after it still name it as their Prev.
			e.steps = slices.Delete(e.steps, 1, 2)
		case "withheld":
			e.withhold = true
		}
		e.build(t)
		entries[s] = e
		mallory.emu.Lock()
		mallory.entries[e.lease] = e
		mallory.emu.Unlock()
		t.Logf("%s: lease %d, epoch %d: root %+v", s, e.lease, epoch, e.tree.Root())
	}

	// The doubles answer the protocol from now on: mallory publishes the
	// samples of her audits; liar commits and reveals FAIL on the honest
	// entries it is drawn for (nothing on mallory's).
	query := func(path string, req, res gogoproto.Message) error { return queryAt(rpc, path, req, res, 0) }
	ctx, stopDoubles := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { stopDoubles(); wg.Wait() }()
	published := map[uint64]bool{}
	type lie struct {
		salt []byte
		rh   receipt.Hash
	}
	lies := map[uint64]*lie{}
	var lmu sync.Mutex
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			for _, a := range mallory.openAudits(query, false) {
				mallory.emu.Lock()
				e := mallory.entries[a.LeaseId]
				mallory.emu.Unlock()
				if e == nil || a.Phase != "publish" || a.PublishedHeight != 0 || published[a.Id] {
					continue
				}
				samples, err := e.samples(a)
				if err != nil {
					t.Errorf("mallory's samples of audit %d: %v", a.Id, err)
					continue
				}
				if code, log := mallory.send(t, 4_000_000, &usagetypes.MsgPublishSamples{Sharer: mallory.acct.Address.String(), AuditId: a.Id, Samples: samples}); code != 0 {
					t.Logf("mallory's samples of audit %d refused (%d): %s", a.Id, code, log)
					continue
				}
				published[a.Id] = true
			}
			h, _ := appHeight(rpc)
			for _, a := range liar.openAudits(query, true) {
				if !slices.Contains(honest, a.Sharer) {
					continue
				}
				i := slices.Index(a.Auditors, liar.acct.Address.String())
				if i < 0 || i >= len(a.Votes) {
					continue
				}
				v := a.Votes[i]
				lmu.Lock()
				l := lies[a.Id]
				lmu.Unlock()
				switch {
				case a.Phase == "commit" && v.CommittedHeight == 0 && l == nil:
					l = &lie{salt: make([]byte, 32)}
					rand.Read(l.salt)
					rand.Read(l.rh[:])
					c, err := receipt.Commitment(a.Id, liar.acct.Address.String(), uint32(usagetypes.Verdict_VERDICT_FAIL), l.rh, l.salt)
					if err != nil {
						t.Errorf("liar's commitment: %v", err)
						continue
					}
					if code, log := liar.send(t, 400_000, &usagetypes.MsgAuditCommit{Auditor: liar.acct.Address.String(), AuditId: a.Id, Commitment: c[:]}); code != 0 {
						t.Logf("liar's commit on audit %d refused (%d): %s", a.Id, code, log)
						continue
					}
					lmu.Lock()
					lies[a.Id] = l
					lmu.Unlock()
				case (a.Phase == "reveal" || a.Phase == "commit" && h >= a.CommitDeadline) && v.CommittedHeight > 0 && v.RevealedHeight == 0 && l != nil:
					if code, log := liar.send(t, 400_000, &usagetypes.MsgAuditReveal{Auditor: liar.acct.Address.String(), AuditId: a.Id,
						Verdict: usagetypes.Verdict_VERDICT_FAIL, ResultHash: l.rh[:], Salt: l.salt, Detail: "a lie"}); code != 0 {
						t.Logf("liar's reveal on audit %d refused (%d): %s", a.Id, code, log)
					}
				}
			}
			select {
			case <-ctx.Done():
			case <-time.After(300 * time.Millisecond):
			}
		}
	}()

	// mallory's report of the epoch, once it ended: one entry per lease.
	waitEpochEnded(t, rpc, epoch)
	var report []usagetypes.UsageEntry
	for _, s := range cheats {
		report = append(report, entries[s].usageEntry())
	}
	slices.SortFunc(report, func(a, b usagetypes.UsageEntry) int { return int(a.LeaseId) - int(b.LeaseId) })
	mallory.mu.Lock()
	res, resp := sendReport(t, mallory.lc, mallory.acct, epoch, report...)
	mallory.mu.Unlock()
	if len(resp.Refused) != 0 {
		t.Fatalf("mallory's report refused entries: %+v", resp.Refused)
	}
	t.Logf("mallory's report of epoch %d at height %d charged %s uqc", epoch, res.Height, resp.Charged)
	p := usageParams(t, rpc)

	// Each of mallory's entries: held, drawn, caught, refunded, slashed.
	caught := func(service, want string, check func(a usagetypes.Audit)) {
		t.Helper()
		lease := leases[service]
		rec, ok := serviceRecord(t, rpc, service, epoch, lease, res.Height)
		if !ok || !rec.Charged.IsPositive() || rec.AuditState != statePending {
			t.Fatalf("%s: the record of lease %d epoch %d at its report: %+v (found %v); want charged and pending", service, lease, epoch, rec, ok)
		}
		charged := rec.Charged
		waitForSaying(t, 2*time.Minute, service+"'s entry to be drawn", func() bool {
			rec, _ = serviceRecord(t, rpc, service, epoch, lease, 0)
			return rec.AuditId != 0
		}, func() string { return fmt.Sprintf("%+v", rec) })
		a := waitAuditResolved(t, rpc, rec.AuditId, 4*time.Minute)
		before := chainSharer(t, rpc, mallory.acct.Address.String(), a.ResolvedHeight-1).Collateral
		after := chainSharer(t, rpc, mallory.acct.Address.String(), a.ResolvedHeight).Collateral
		rec, _ = serviceRecord(t, rpc, service, epoch, lease, a.ResolvedHeight)
		var eb, ea usagetypes.QueryServiceEconomicsResponse
		mustQueryAt(t, rpc, "/q1.usage.v1.Query/ServiceEconomics", &usagetypes.QueryServiceEconomicsRequest{Service: service}, &eb, a.ResolvedHeight-1)
		mustQueryAt(t, rpc, "/q1.usage.v1.Query/ServiceEconomics", &usagetypes.QueryServiceEconomicsRequest{Service: service}, &ea, a.ResolvedHeight)
		ev := resolvedEvent(t, rpc, a.Id, a.ResolvedHeight)
		var votes []string
		for i, v := range a.Votes {
			votes = append(votes, fmt.Sprintf("%s: %s %q fee %s missed %v", a.Auditors[i], v.Verdict, v.Detail, v.Fee, v.Missed))
		}
		t.Logf("%s: audit %d %s at height %d (%s): charged %s, refunded %s, slashed %s (collateral %s → %s), auditor fees %s\n  %s",
			service, a.Id, a.State, a.ResolvedHeight, a.Resolution, charged, a.Refunded, a.Slashed, before, after, a.AuditorFees, strings.Join(votes, "\n  "))
		slash := wantSlash(p, charged, before)
		switch {
		case a.State != want || rec.AuditState != want || ev["state"] != want:
			t.Errorf("%s: audit %d is %s (record %s, event %s), want %s", service, a.Id, a.State, rec.AuditState, ev["state"], want)
		case !a.Charged.Equal(charged) || !a.Refunded.Equal(charged) || !rec.Refunded.Equal(charged) || !rec.Charged.IsZero() || ev["refunded"] != charged.String():
			t.Errorf("%s: audit %d charged %s refunded %s, record %+v; want %s refunded", service, a.Id, a.Charged, a.Refunded, rec, charged)
		case !a.Slashed.Equal(slash) || ev["slashed"] != slash.String() || before.Sub(after).LT(slash):
			t.Errorf("%s: audit %d slashed %s (event %s), collateral %s → %s; want %s", service, a.Id, a.Slashed, ev["slashed"], before, after, slash)
		case slash.LT(charged.MulRaw(2)):
			t.Errorf("%s: slashed %s, less than twice the charge %s", service, slash, charged)
		case !ea.Balance.Sub(eb.Balance).Add(ea.Account.RentCharged.Sub(eb.Account.RentCharged)).Equal(charged):
			t.Errorf("%s: the escrow went %s → %s (rent %s → %s) at the resolution; want %s back", service, eb.Balance, ea.Balance,
				eb.Account.RentCharged, ea.Account.RentCharged, charged)
		}
		check(a)
	}
	majority := func(a usagetypes.Audit, verdict usagetypes.Verdict, detail string) {
		t.Helper()
		var n int
		for i, v := range a.Votes {
			if v.Verdict != verdict {
				continue
			}
			n++
			if !slices.Contains(honest, a.Auditors[i]) {
				continue
			}
			if !strings.Contains(v.Detail, detail) {
				t.Errorf("audit %d: %s revealed %s %q, want a detail saying %q", a.Id, a.Auditors[i], v.Verdict, v.Detail, detail)
			}
			if a.AuditorFees.IsPositive() && !v.Fee.IsPositive() {
				t.Errorf("audit %d: %s in the majority was paid nothing", a.Id, a.Auditors[i])
			}
		}
		if n*2 <= len(a.Votes) {
			t.Errorf("audit %d: %d of %d auditors revealed %s", a.Id, n, len(a.Votes), verdict)
		}
	}
	caught("inflated", stateFailed, func(a usagetypes.Audit) {
		if a.PublishedHeight == 0 {
			t.Errorf("inflated: audit %d never published", a.Id)
		}
		majority(a, usagetypes.Verdict_VERDICT_FAIL, "fuel claimed")
	})
	caught("dropped", stateForfeited, func(a usagetypes.Audit) {
		if a.PublishedHeight == 0 {
			t.Errorf("dropped: audit %d never published", a.Id)
		}
		// The history served skips the dropped request: a sample past it
		// is found either not chained to its start-up (step 1 is receipt
		// 2), or, the last sample, cut short.
		majority(a, usagetypes.Verdict_VERDICT_UNAVAILABLE, "")
		for i, v := range a.Votes {
			if slices.Contains(honest, a.Auditors[i]) && v.RevealedHeight > 0 &&
				!strings.Contains(v.Detail, fmt.Sprintf("step 1 is lease %d instance 0 index 2, want lease %d instance 0 index 1", a.LeaseId, a.LeaseId)) &&
				!strings.Contains(v.Detail, "history cut short") {
				t.Errorf("dropped: audit %d: %s revealed %q: not the gap", a.Id, a.Auditors[i], v.Detail)
			}
		}
	})
	caught("withheld", stateForfeited, func(a usagetypes.Audit) {
		if a.PublishedHeight == 0 {
			t.Errorf("withheld: audit %d never published (it should be caught by the auditors, not the publish deadline)", a.Id)
		}
		majority(a, usagetypes.Verdict_VERDICT_UNAVAILABLE, "history not served")
	})
	st := auditStats(t, rpc, mallory.acct.Address.String())
	if st.AuditsFailed < 1 || st.AuditsForfeited < 2 || st.AuditsPassed != 0 {
		t.Errorf("mallory's audit stats: %+v; want 1 failed, 2 forfeited, none passed", st)
	}

	// The liar: poll until an honest entry it voted FAIL on resolves.
	var outvoted usagetypes.Audit
	waitForSaying(t, 5*time.Minute, "an honest audit with the liar's FAIL and two PASS to resolve", func() bool {
		lmu.Lock()
		ids := make([]uint64, 0, len(lies))
		for id := range lies {
			ids = append(ids, id)
		}
		lmu.Unlock()
		for _, id := range ids {
			a := chainAudit(t, rpc, id, 0)
			i := slices.Index(a.Auditors, liar.acct.Address.String())
			passes := 0
			for _, v := range a.Votes {
				if v.Verdict == usagetypes.Verdict_VERDICT_PASS {
					passes++
				}
			}
			// Outvoted, not merely tied: two honest PASS against its FAIL.
			if a.Phase == "resolved" && i >= 0 && a.Votes[i].Verdict == usagetypes.Verdict_VERDICT_FAIL && passes >= 2 {
				outvoted = a
				return true
			}
		}
		return false
	}, func() string { return fmt.Sprintf("%d lies committed", len(lies)) })
	i := slices.Index(outvoted.Auditors, liar.acct.Address.String())
	lv := outvoted.Votes[i]
	t.Logf("the liar on audit %d (%s's entry): %s, fee %s, missed %v; the audit is %s (%s)", outvoted.Id, outvoted.Sharer, lv.Verdict, lv.Fee, lv.Missed,
		outvoted.State, outvoted.Resolution)
	if outvoted.State != stateProven || !lv.Missed || !lv.Fee.IsZero() {
		t.Errorf("audit %d with the liar's FAIL: state %s; liar fee %s missed %v; want proven, no fee, a miss", outvoted.Id, outvoted.State, lv.Fee, lv.Missed)
	}
	if ls := auditStats(t, rpc, liar.acct.Address.String()); ls.AuditsMissed < 1 {
		t.Errorf("the liar's audit stats count no miss: %+v", ls)
	}
	var lst q1client.SharerStatus
	out, errOut, code := tn.q1(t, 0, "sharer", "status", liar.acct.Address.String(), "-o", "json")
	if code != 0 || jsonUnmarshal(out, &lst) != nil || lst.Audits == nil || lst.Audits.Missed < 1 {
		t.Errorf("q1 sharer status liar -o json: exit %d, %s%s: want a miss counted", code, out, errOut)
	}
	var mst q1client.SharerStatus
	out, errOut, code = tn.q1(t, 0, "sharer", "status", mallory.acct.Address.String(), "-o", "json")
	if code != 0 || jsonUnmarshal(out, &mst) != nil || mst.Audits == nil || mst.Audits.Failed < 1 || mst.Audits.Forfeited < 2 {
		t.Errorf("q1 sharer status mallory -o json: exit %d, %s%s: want 1 failed, 2 forfeited", code, out, errOut)
	}
	// Honest entries stay proven, whatever the liar says.
	var use usagetypes.QueryServiceUsageResponse
	mustQueryAt(t, rpc, "/q1.usage.v1.Query/ServiceUsage", &usagetypes.QueryServiceUsageRequest{Service: "audited"}, &use, 0)
	for _, r := range use.Records {
		if r.AuditState == stateFailed || r.AuditState == stateForfeited {
			t.Errorf("an honest record of audited is %s: %+v", r.AuditState, r)
		}
	}
	stopDoubles()
	wg.Wait()
	tr.stop()
	inv.stop(t)
	t.Logf("TestAuditsCatchCheaters ran %s", time.Since(began).Round(time.Second))
}

// auditLogs prints the audit lines of every node's log, for a failed test.
func (tn *testnet) auditLogs() {
	for i, n := range tn.net.Nodes {
		b, err := os.ReadFile(tn.sup.LogPath(i))
		if err != nil {
			continue
		}
		if dir := os.Getenv("Q1_E2E_KEEP_LOGS"); dir != "" {
			os.WriteFile(filepath.Join(dir, tn.t.Name()+"-"+n.Name+".log"), b, 0o644)
		}
		var lines []string
		for _, l := range strings.Split(string(b), "\n") {
			if strings.Contains(l, "audit") {
				lines = append(lines, l)
			}
		}
		if len(lines) > 150 {
			lines = lines[len(lines)-150:]
		}
		tn.t.Logf("=== audit lines of %s's log ===\n%s", n.Name, strings.Join(lines, "\n"))
	}
}
