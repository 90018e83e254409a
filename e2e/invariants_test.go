package e2e

import (
	"context"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	sdkmath "cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	govv1 "github.com/cosmos/cosmos-sdk/x/gov/types/v1"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	"github.com/quantum1net/q1/app"
	q1client "github.com/quantum1net/q1/client"
	"github.com/quantum1net/q1/internal/loadgen"
)

// actor submits one tx at a time and waits for its verdict.
type actor struct {
	t  *testing.T
	tn *testnet
}

// do signs msgs with a, submits them to a random node, waits for the block,
// and returns the tx result code and events' proposal id (if any).
func (ac actor) do(rng *rand.Rand, a *loadgen.Account, gas uint64, msgs ...sdk.Msg) (uint32, uint64) {
	ac.t.Helper()
	node := rng.IntN(len(ac.tn.clients))
	c := ac.tn.clients[node]
	// The node may not have committed the block of a's last tx yet (it was
	// sent through another node): wait until its account sequence is at
	// least the one that tx left, or a stale one makes this tx's CheckTx
	// fail with a sequence mismatch.
	want := a.Sequence
	var syncErr error
	waitFor(ac.t, time.Minute, "the node's view of the account to reach sequence "+strconv.FormatUint(want, 10), func() bool {
		syncErr = c.Sync(a)
		return syncErr == nil && a.Sequence >= want
	})
	tx, err := c.Sign(a, gas, "", msgs...)
	if err != nil {
		ac.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := c.Broadcast(ctx, tx)
	if err != nil {
		ac.t.Fatalf("broadcast: %v", err)
	}
	if res.Code != 0 {
		ac.t.Logf("CheckTx refused %T: code %d: %s", msgs[0], res.Code, res.Log)
		a.Sequence--       // Sign advanced it; a tx refused by CheckTx takes no sequence
		return res.Code, 0 // refused by CheckTx: never in a block
	}
	committed, err := c.WaitCommitted(ctx, res.Hash)
	if err != nil {
		ac.t.Fatal(err)
	}
	if committed.TxResult.Code != 0 {
		ac.t.Logf("%T failed in block %d: code %d: %s", msgs[0], committed.Height, committed.TxResult.Code, committed.TxResult.Log)
	}
	var proposalID uint64
	for _, ev := range committed.TxResult.Events {
		for _, attr := range ev.Attributes {
			if ev.Type == "submit_proposal" && attr.Key == "proposal_id" {
				proposalID, _ = strconv.ParseUint(attr.Value, 10, 64)
			}
		}
	}
	return committed.TxResult.Code, proposalID
}

// TestSupplyInvariant runs randomized transfers, delegations, undelegations,
// governance proposals with votes (vetoed ones burn their deposit) and
// cancellations, and failing txs, then checks at every height that the bank's
// total supply is the genesis supply minus the burns counted from events, and
// that GET /v1/supply agrees with the bank.
func TestSupplyInvariant(t *testing.T) {
	seed := crashSeed(t)
	t.Logf("seed %d (Q1_CRASH_SEED=%d replays)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 7))
	params := app.DevnetParams()
	params.VotingPeriod = 3 * time.Second
	params.ExpeditedVotingPeriod = 2 * time.Second
	params.MaxDepositPeriod = 3 * time.Second
	actors := loadgen.NewAccounts(6, 3)
	funding := sdkmath.NewInt(1_000_000_000_000)
	tn := startTestnet(t, netOptions{nodes: 4, accounts: actors, funding: funding, params: &params})
	ac := actor{t: t, tn: tn}

	var validators []string
	for _, n := range tn.net.Nodes {
		validators = append(validators, sdk.ValAddress(mustAcc(t, n.Address)).String())
	}
	uqc := func(v int64) sdk.Coin { return sdk.NewCoin(app.BondDenom, sdkmath.NewInt(v)) }

	// Actors delegate most of their funds so that their votes decide proposals.
	for _, a := range actors {
		v := validators[rng.IntN(len(validators))]
		if code, _ := ac.do(rng, a, 300_000, stakingtypes.NewMsgDelegate(a.Address.String(), v, uqc(500_000_000_000))); code != 0 {
			t.Fatalf("delegate: code %d", code)
		}
	}

	supplyChecks := 0
	checkAPI := func() {
		s := apiSupply(t, tn.net.Nodes[rng.IntN(len(tn.net.Nodes))].HTTP)
		checkSupplyBreakdown(t, s)
		if bank := supplyAt(t, tn, 0, s.Height); bank.String() != s.Total {
			t.Fatalf("GET /v1/supply says total %s at height %d; the bank says %s", s.Total, s.Height, bank)
		}
		supplyChecks++
	}

	proposal := func(a *loadgen.Account) uint64 {
		msg, err := govv1.NewMsgSubmitProposal(nil, sdk.NewCoins(uqc(10_000_000)), a.Address.String(),
			"ipfs://e2e-proposal", "e2e proposal", "a proposal the invariant test votes on", false)
		if err != nil {
			t.Fatal(err)
		}
		code, id := ac.do(rng, a, 1_000_000, msg)
		if code != 0 || id == 0 {
			t.Fatalf("submit proposal: code %d id %d", code, id)
		}
		return id
	}

	// A vetoed proposal burns its deposit; a cancelled one burns half of it.
	vetoed := proposal(actors[0])
	for _, a := range actors {
		ac.do(rng, a, 400_000, govv1.NewMsgVote(a.Address, vetoed, govv1.OptionNoWithVeto, ""))
	}
	cancelled := proposal(actors[1])
	if code, _ := ac.do(rng, actors[1], 1_000_000, govv1.NewMsgCancelProposal(cancelled, actors[1].Address.String())); code != 0 {
		t.Fatalf("cancel proposal: code %d", code)
	}
	checkAPI()

	// Then a random mix.
	var open []uint64
	for step := 0; step < 40; step++ {
		a := actors[rng.IntN(len(actors))]
		b := actors[rng.IntN(len(actors))]
		switch op := rng.IntN(7); op {
		case 0, 1:
			ac.do(rng, a, loadgen.SendGas, banktypes.NewMsgSend(a.Address, b.Address, sdk.NewCoins(uqc(int64(1+rng.IntN(5_000_000))))))
		case 2: // overspend: fails in the block, the fee is still paid
			if code, _ := ac.do(rng, a, loadgen.SendGas, banktypes.NewMsgSend(a.Address, b.Address, sdk.NewCoins(uqc(2_000_000_000_000)))); code == 0 {
				t.Fatal("an overspend succeeded")
			}
		case 3:
			ac.do(rng, a, 300_000, stakingtypes.NewMsgDelegate(a.Address.String(), validators[rng.IntN(len(validators))], uqc(int64(1+rng.IntN(50_000_000)))))
		case 4:
			ac.do(rng, a, 400_000, stakingtypes.NewMsgUndelegate(a.Address.String(), validators[rng.IntN(len(validators))], uqc(int64(1+rng.IntN(5_000_000)))))
		case 5:
			open = append(open, proposal(a))
		case 6:
			if len(open) > 0 {
				id := open[rng.IntN(len(open))]
				opt := []govv1.VoteOption{govv1.OptionYes, govv1.OptionNo, govv1.OptionNoWithVeto, govv1.OptionAbstain}[rng.IntN(4)]
				ac.do(rng, a, 400_000, govv1.NewMsgVote(a.Address, id, opt, ""))
			}
		}
		if step%5 == 0 {
			checkAPI()
		}
	}
	// Let the last voting periods end so their burns happen.
	time.Sleep(params.VotingPeriod)
	top := tn.maxHeight() + 2
	tn.waitAllHeight(top, time.Minute)
	checkAPI()

	rec := readChain(t, tn, 0, top)
	genesis := funding.MulRaw(int64(len(actors))).Add(sdkmath.NewInt(1_000_000_000_000).MulRaw(int64(len(tn.net.Nodes))))
	for h := int64(1); h <= top; h++ {
		want := genesis.Sub(rec.burnedUpTo[h])
		if got := supplyAt(t, tn, rng.IntN(len(tn.clients)), h); !got.Equal(want) {
			t.Fatalf("height %d: bank supply %s, want genesis %s − burned %s = %s", h, got, genesis, rec.burnedUpTo[h], want)
		}
	}
	if rec.burnedUpTo[top].IsZero() {
		t.Fatal("no burn happened: the vetoed and cancelled proposals should have burned deposits")
	}
	t.Logf("supply = genesis − burns at all %d heights (%s uqc burned); /v1/supply checked %d times",
		top, rec.burnedUpTo[top], supplyChecks)
}

func mustAcc(t *testing.T, s string) sdk.AccAddress {
	t.Helper()
	a, err := sdk.AccAddressFromBech32(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// apiSupply fetches GET /v1/supply from a node's HTTP API.
func apiSupply(t *testing.T, base string) q1client.Supply {
	t.Helper()
	s, err := nodeAPI(base).Supply(bg())
	apiFatal(t, "GET "+base+"/v1/supply", err)
	return *s
}

// checkSupplyBreakdown checks that the parts of a supply answer add up.
func checkSupplyBreakdown(t *testing.T, s q1client.Supply) {
	t.Helper()
	n := func(field, v string) sdkmath.Int {
		x, ok := sdkmath.NewIntFromString(v)
		if !ok {
			t.Fatalf("/v1/supply %s = %q is not an integer", field, v)
		}
		return x
	}
	total := n("total", s.Total)
	sum := n("accounts", s.Accounts)
	for name, v := range s.Modules {
		sum = sum.Add(n("modules."+name, v))
	}
	if !sum.Equal(total) {
		t.Fatalf("/v1/supply at %d: accounts + modules = %s, total = %s", s.Height, sum, total)
	}
	if got := n("genesis", s.Genesis).Sub(n("burned", s.Burned)); !got.Equal(total) {
		t.Fatalf("/v1/supply at %d: genesis − burned = %s, total = %s", s.Height, got, total)
	}
}
