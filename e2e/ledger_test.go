package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	sdkmath "cosmossdk.io/math"
	abci "github.com/cometbft/cometbft/abci/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/quantum1net/q1/app"
)

// chainRecord is what a node's blocks say happened, read back block by block.
type chainRecord struct {
	// txCount counts how many times each tx hash appears in the blocks.
	txCount map[string]int
	// txDelta is the uqc each address gained (+) or lost (−) through tx events.
	txDelta map[string]sdkmath.Int
	// blockDelta is the same through events outside any tx (begin/end block).
	blockDelta map[string]sdkmath.Int
	// burned is the uqc burn events destroyed, by height (cumulative).
	burnedUpTo map[int64]sdkmath.Int
}

// readChain scans heights 1..top of node i.
func readChain(t *testing.T, tn *testnet, i int, top int64) *chainRecord {
	t.Helper()
	rpc := tn.clients[i].RPC
	rec := &chainRecord{
		txCount:    map[string]int{},
		txDelta:    map[string]sdkmath.Int{},
		blockDelta: map[string]sdkmath.Int{},
		burnedUpTo: map[int64]sdkmath.Int{},
	}
	burned := sdkmath.ZeroInt()
	ctx := context.Background()
	for h := int64(1); h <= top; h++ {
		b, err := rpc.Block(ctx, &h)
		if err != nil {
			t.Fatalf("read block %d: %v", h, err)
		}
		for _, tx := range b.Block.Txs {
			sum := sha256.Sum256(tx)
			rec.txCount[strings.ToUpper(hex.EncodeToString(sum[:]))]++
		}
		res, err := rpc.BlockResults(ctx, &h)
		if err != nil {
			t.Fatalf("read block results %d: %v", h, err)
		}
		for _, r := range res.TxsResults {
			burned = burned.Add(applyEvents(t, rec.txDelta, r.Events))
		}
		burned = burned.Add(applyEvents(t, rec.blockDelta, res.FinalizeBlockEvents))
		rec.burnedUpTo[h] = burned
	}
	return rec
}

// applyEvents adds coin_received and subtracts coin_spent per address, and
// returns the uqc burned.
func applyEvents(t *testing.T, delta map[string]sdkmath.Int, events []abci.Event) sdkmath.Int {
	burned := sdkmath.ZeroInt()
	for _, ev := range events {
		var who, amount string
		for _, a := range ev.Attributes {
			switch a.Key {
			case "receiver", "spender", "burner":
				who = a.Value
			case "amount":
				amount = a.Value
			}
		}
		if amount == "" {
			continue
		}
		coins, err := sdk.ParseCoinsNormalized(amount)
		if err != nil {
			t.Fatalf("event %s: amount %q: %v", ev.Type, amount, err)
		}
		v := coins.AmountOf(app.BondDenom)
		cur, ok := delta[who]
		if !ok {
			cur = sdkmath.ZeroInt()
		}
		switch ev.Type {
		case "coin_received":
			delta[who] = cur.Add(v)
		case "coin_spent":
			delta[who] = cur.Sub(v)
		case "burn":
			burned = burned.Add(v)
		}
	}
	return burned
}

// balanceAt reads an address's uqc balance at height through node i.
func balanceAt(t *testing.T, tn *testnet, i int, addr string, height int64) sdkmath.Int {
	t.Helper()
	qc := banktypes.NewQueryClient(tn.clients[i].Context().WithHeight(height))
	res, err := qc.Balance(context.Background(), &banktypes.QueryBalanceRequest{Address: addr, Denom: app.BondDenom})
	if err != nil {
		t.Fatalf("balance of %s at %d: %v", addr, height, err)
	}
	return res.Balance.Amount
}

// supplyAt reads the bank's total uqc supply at height through node i.
func supplyAt(t *testing.T, tn *testnet, i int, height int64) sdkmath.Int {
	t.Helper()
	qc := banktypes.NewQueryClient(tn.clients[i].Context().WithHeight(height))
	res, err := qc.SupplyOf(context.Background(), &banktypes.QuerySupplyOfRequest{Denom: app.BondDenom})
	if err != nil {
		t.Fatalf("supply at %d: %v", height, err)
	}
	return res.Amount.Amount
}

// checkSameHashes asserts every node has the same block hash and app hash
// at every height from 1 to top.
func checkSameHashes(t *testing.T, tn *testnet, top int64) {
	t.Helper()
	ctx := context.Background()
	for h := int64(1); h <= top; h++ {
		var wantBlock, wantApp string
		for i := range tn.clients {
			b, err := tn.clients[i].RPC.Block(ctx, &h)
			if err != nil {
				t.Fatalf("node %d block %d: %v", i, h, err)
			}
			block, appHash := b.BlockID.Hash.String(), b.Block.AppHash.String()
			if i == 0 {
				wantBlock, wantApp = block, appHash
				continue
			}
			if block != wantBlock || appHash != wantApp {
				t.Fatalf("height %d: node %d has block %s app hash %s; node 0 has block %s app hash %s",
					h, i, block, appHash, wantBlock, wantApp)
			}
		}
	}
}
