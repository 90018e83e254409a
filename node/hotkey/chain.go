package hotkey

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	rpcclient "github.com/cometbft/cometbft/rpc/client"
	"github.com/cosmos/cosmos-sdk/client"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Chain is what a Sender asks of a node: its account, a simulation, a
// broadcast and a committed result. NodeChain is the node's own; tests
// use doubles.
type Chain interface {
	// Account returns an account's number and sequence at the last
	// committed height, and ErrNotGranted when the chain has no account at
	// that address.
	Account(ctx context.Context, addr sdk.AccAddress) (number, sequence uint64, err error)
	// Simulate runs a signed tx against the last committed state and
	// returns the gas it used; a refusal is a *TxError of StageSimulation.
	Simulate(ctx context.Context, tx []byte) (gasUsed uint64, err error)
	// Broadcast submits a tx and returns its hash once CheckTx admitted it
	// to the mempool; a refusal is a *TxError of StageCheck.
	Broadcast(ctx context.Context, tx []byte) (hash string, err error)
	// Committed returns a tx's result in its block; ok is false while the
	// node has no such tx in a block.
	Committed(ctx context.Context, hash string) (res Committed, ok bool, err error)
}

// Committed is a tx's result in its block: code 0 is success; otherwise
// codespace and code name the error and the log says it.
type Committed struct {
	Height             int64
	Codespace          string
	Code               uint32
	Log                string
	GasWanted, GasUsed int64
}

// NodeChain is the Chain of a node's client context: CometBFT's RPC (the
// in-process node's, in q1 start) and the app's ABCI queries.
func NodeChain(c client.Context) Chain { return nodeChain{c} }

type nodeChain struct{ c client.Context }

func (n nodeChain) Account(ctx context.Context, addr sdk.AccAddress) (uint64, uint64, error) {
	res, err := authtypes.NewQueryClient(n.c).Account(ctx, &authtypes.QueryAccountRequest{Address: addr.String()})
	if status.Code(err) == codes.NotFound { // the auth module's answer for an unknown account
		return 0, 0, ErrNotGranted
	}
	if err != nil {
		return 0, 0, fmt.Errorf("read hot key account %s: %w", addr, err)
	}
	var acc sdk.AccountI
	if err := n.c.InterfaceRegistry.UnpackAny(res.Account, &acc); err != nil {
		return 0, 0, fmt.Errorf("read hot key account %s: %w", addr, err)
	}
	return acc.GetAccountNumber(), acc.GetSequence(), nil
}

// Simulate asks the app's /app/simulate query rather than the tx service's
// Simulate, whose gRPC status keeps only the refusal's text: the query's
// answer carries its codespace and code (as the CLI's simulateGas does).
func (n nodeChain) Simulate(ctx context.Context, tx []byte) (uint64, error) {
	node, err := n.c.GetNode()
	if err != nil {
		return 0, err
	}
	res, err := node.ABCIQueryWithOptions(ctx, "/app/simulate", tx, rpcclient.ABCIQueryOptions{})
	if err != nil {
		return 0, fmt.Errorf("simulate: %w", err)
	}
	if !res.Response.IsOK() {
		return 0, &TxError{Stage: StageSimulation, Codespace: res.Response.Codespace, Code: res.Response.Code, Log: res.Response.Log}
	}
	var sim struct {
		GasInfo struct {
			GasUsed uint64 `json:"gas_used,string"`
		} `json:"gas_info"`
	}
	if err := json.Unmarshal(res.Response.Value, &sim); err != nil {
		return 0, fmt.Errorf("read the simulation's result: %w", err)
	}
	return sim.GasInfo.GasUsed, nil
}

func (n nodeChain) Broadcast(ctx context.Context, tx []byte) (string, error) {
	node, err := n.c.GetNode()
	if err != nil {
		return "", err
	}
	res, err := node.BroadcastTxSync(ctx, tx)
	if err != nil {
		// CometBFT answers a few refusals (the tx already in the mempool's
		// cache, a full mempool, a tx too large) with an error rather than
		// a code; the SDK gives them theirs.
		if r := client.CheckCometError(err, tx); r != nil {
			return "", &TxError{Stage: StageCheck, Hash: r.TxHash, Codespace: r.Codespace, Code: r.Code, Log: err.Error()}
		}
		return "", fmt.Errorf("broadcast: %w", err)
	}
	if res.Code != 0 {
		return "", &TxError{Stage: StageCheck, Hash: res.Hash.String(), Codespace: res.Codespace, Code: res.Code, Log: res.Log}
	}
	return res.Hash.String(), nil
}

// Committed searches by hash: a tx not in a block yet is an empty result,
// not an error told apart by its text.
func (n nodeChain) Committed(ctx context.Context, hash string) (Committed, bool, error) {
	node, err := n.c.GetNode()
	if err != nil {
		return Committed{}, false, err
	}
	res, err := node.TxSearch(ctx, fmt.Sprintf("tx.hash='%s'", strings.ToUpper(hash)), false, nil, nil, "")
	if err != nil {
		return Committed{}, false, fmt.Errorf("search tx %s: %w", hash, err)
	}
	if len(res.Txs) == 0 {
		return Committed{}, false, nil
	}
	r := res.Txs[0]
	return Committed{
		Height: r.Height, Codespace: r.TxResult.Codespace, Code: r.TxResult.Code, Log: r.TxResult.Log,
		GasWanted: r.TxResult.GasWanted, GasUsed: r.TxResult.GasUsed,
	}, true, nil
}
