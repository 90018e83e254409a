// Package chainquery reads committed chain state through a node's RPC (the
// SDK's query services and CometBFT's), into the wire types of client: the
// node's HTTP API answers with it and the CLI reads the chain with it. It
// is the one way Quantum1Net's code reads committed state: LatestHeight is
// the app's last committed height (ABCI Info, never CometBFT's block store,
// which can be one ahead), and At pins queries to a height, so an answer
// that combines several reads takes them at one height and its numbers agree.
package chainquery

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	sdkmath "cosmossdk.io/math"
	"github.com/cosmos/cosmos-sdk/client"
	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	grpctypes "github.com/cosmos/cosmos-sdk/types/grpc"
	"github.com/cosmos/cosmos-sdk/types/query"
	authtx "github.com/cosmos/cosmos-sdk/x/auth/tx"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	distrtypes "github.com/cosmos/cosmos-sdk/x/distribution/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/quantum1net/q1/app"
	q1client "github.com/quantum1net/q1/client"
	"github.com/quantum1net/q1/core/qc"
	servicestypes "github.com/quantum1net/q1/x/services/types"
)

// Chain answers the API's questions from a node's client context.
type Chain struct {
	ctx           client.Context
	genesisSupply sdkmath.Int
}

// New returns a Chain reading through clientCtx (which must have an RPC
// client, as the one `q1 start` hands its services has). genesisSupply is
// the uqc supply the genesis created, the baseline of burns.
func New(clientCtx client.Context, genesisSupply sdkmath.Int) *Chain {
	return &Chain{ctx: clientCtx, genesisSupply: genesisSupply}
}

// at returns a client context and a Go context that query state at height.
func (c *Chain) at(ctx context.Context, height int64) (client.Context, context.Context) {
	return At(ctx, c.ctx, height)
}

// At returns a client context and a Go context whose queries read state
// at height.
func At(ctx context.Context, c client.Context, height int64) (client.Context, context.Context) {
	ctx = metadata.AppendToOutgoingContext(ctx, grpctypes.GRPCBlockHeightHeader, strconv.FormatInt(height, 10))
	return c.WithHeight(height), ctx
}

// LatestHeight returns the last height the app has committed.
func (c *Chain) LatestHeight(ctx context.Context) (int64, error) { return LatestHeight(ctx, c.ctx) }

// LatestHeight returns the last height the app behind c has committed.
// (CometBFT's status can report a block it has stored but the app not yet
// committed; ABCI Info asks the app itself.)
func LatestHeight(ctx context.Context, c client.Context) (int64, error) {
	info, err := c.Client.ABCIInfo(ctx)
	if err != nil {
		return 0, fmt.Errorf("node status: %w", err)
	}
	return info.Response.LastBlockHeight, nil
}

// Status returns the chain's status and its validators.
func (c *Chain) Status(ctx context.Context) (*q1client.Status, error) {
	st, err := c.ctx.Client.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("node status: %w", err)
	}
	out := &q1client.Status{
		ChainID:         st.NodeInfo.Network,
		NodeID:          string(st.NodeInfo.ID()),
		Moniker:         st.NodeInfo.Moniker,
		Height:          st.SyncInfo.LatestBlockHeight,
		LatestBlockTime: st.SyncInfo.LatestBlockTime.UTC(),
		LatestBlockHash: st.SyncInfo.LatestBlockHash.String(),
		AppHash:         st.SyncInfo.LatestAppHash.String(),
		CatchingUp:      st.SyncInfo.CatchingUp,
		Validators:      []q1client.Validator{},
	}
	if out.Height == 0 {
		return out, nil
	}
	// CometBFT's block store can be one block ahead of the app: read the
	// validators at the app's last committed height, which every query can.
	appHeight, err := c.LatestHeight(ctx)
	if err != nil {
		return nil, err
	}
	vals, err := c.Validators(ctx, min(out.Height, appHeight))
	if err != nil {
		return nil, err
	}
	out.Validators = vals
	return out, nil
}

// ValidatorSet is GET /v1/validators: the validators at the last committed
// height and the stake bonded with them.
func (c *Chain) ValidatorSet(ctx context.Context) (*q1client.Validators, error) {
	height, err := c.LatestHeight(ctx)
	if err != nil {
		return nil, err
	}
	vals, err := c.Validators(ctx, height)
	if err != nil {
		return nil, err
	}
	bonded := sdkmath.ZeroInt()
	for _, v := range vals {
		if v.Status == "bonded" {
			if t, ok := sdkmath.NewIntFromString(v.Tokens); ok {
				bonded = bonded.Add(t)
			}
		}
	}
	return &q1client.Validators{Height: height, Validators: vals, BondedTokens: bonded.String()}, nil
}

// Validators lists every validator the staking module knows at height,
// bonded first, then by tokens.
func (c *Chain) Validators(ctx context.Context, height int64) ([]q1client.Validator, error) {
	cctx, gctx := c.at(ctx, height)
	res, err := stakingtypes.NewQueryClient(cctx).Validators(gctx, &stakingtypes.QueryValidatorsRequest{
		Pagination: &query.PageRequest{Limit: 1000},
	})
	if err != nil {
		return nil, fmt.Errorf("query validators: %w", err)
	}
	out := make([]q1client.Validator, 0, len(res.Validators))
	for _, v := range res.Validators {
		if err := v.UnpackInterfaces(c.ctx.InterfaceRegistry); err != nil {
			return nil, err
		}
		valAddr, err := sdk.ValAddressFromBech32(v.OperatorAddress)
		if err != nil {
			return nil, err
		}
		var consAddr string
		if pk, ok := v.ConsensusPubkey.GetCachedValue().(cryptotypes.PubKey); ok {
			consAddr = sdk.ConsAddress(pk.Address()).String()
		}
		var power int64
		if v.IsBonded() {
			power = v.ConsensusPower(sdk.DefaultPowerReduction)
		}
		out = append(out, q1client.Validator{
			Operator:         v.OperatorAddress,
			Account:          sdk.AccAddress(valAddr).String(),
			ConsensusAddress: consAddr,
			Moniker:          v.Description.Moniker,
			Status:           strings.ToLower(strings.TrimPrefix(v.Status.String(), "BOND_STATUS_")),
			Jailed:           v.Jailed,
			Tokens:           v.Tokens.String(),
			VotingPower:      power,
		})
	}
	sortValidators(out)
	return out, nil
}

// Account returns an account's uqc balance and sequence at the latest height.
func (c *Chain) Account(ctx context.Context, address string) (*q1client.Account, error) {
	addr, err := accountParam("account", address)
	if err != nil {
		return nil, err
	}
	height, err := c.LatestHeight(ctx)
	if err != nil {
		return nil, err
	}
	cctx, gctx := c.at(ctx, height)
	bal, err := banktypes.NewQueryClient(cctx).Balance(gctx, &banktypes.QueryBalanceRequest{Address: addr, Denom: app.BondDenom})
	if err != nil {
		return nil, fmt.Errorf("query balance: %w", err)
	}
	out := &q1client.Account{
		Address:   addr,
		Balance:   bal.Balance.Amount.String(),
		BalanceQC: qc.Format(bal.Balance.Amount),
		Height:    height,
	}
	acc, err := authtypes.NewQueryClient(cctx).Account(gctx, &authtypes.QueryAccountRequest{Address: addr})
	switch {
	case status.Code(err) == codes.NotFound:
		return out, nil
	case err != nil:
		return nil, fmt.Errorf("query account: %w", err)
	}
	var a sdk.AccountI
	if err := c.ctx.InterfaceRegistry.UnpackAny(acc.Account, &a); err != nil {
		return nil, fmt.Errorf("decode account: %w", err)
	}
	out.Exists = true
	out.AccountNumber = a.GetAccountNumber()
	out.Sequence = a.GetSequence()
	return out, nil
}

// Funded reports whether an account holds any uqc: the bar for storing
// blobs on a node.
func (c *Chain) Funded(ctx context.Context, account string) (bool, error) {
	a, err := c.Account(ctx, account)
	if err != nil {
		return false, err
	}
	return a.Balance != "0", nil
}

// Supply returns where every uqc sits, read at one height.
func (c *Chain) Supply(ctx context.Context) (*q1client.Supply, error) {
	height, err := c.LatestHeight(ctx)
	if err != nil {
		return nil, err
	}
	return c.SupplyAt(ctx, height)
}

// SupplyAt is Supply at a given height.
func (c *Chain) SupplyAt(ctx context.Context, height int64) (*q1client.Supply, error) {
	cctx, gctx := c.at(ctx, height)
	bank := banktypes.NewQueryClient(cctx)
	total, err := bank.SupplyOf(gctx, &banktypes.QuerySupplyOfRequest{Denom: app.BondDenom})
	if err != nil {
		return nil, fmt.Errorf("query supply: %w", err)
	}
	out := &q1client.Supply{
		Height:  height,
		Denom:   app.BondDenom,
		Total:   total.Amount.Amount.String(),
		Genesis: c.genesisSupply.String(),
		Burned:  c.genesisSupply.Sub(total.Amount.Amount).String(),
		Modules: map[string]string{},
	}
	modules := sdkmath.ZeroInt()
	balances := map[string]sdkmath.Int{}
	for _, name := range app.ModuleAccountNames() {
		res, err := bank.Balance(gctx, &banktypes.QueryBalanceRequest{
			Address: authtypes.NewModuleAddress(name).String(), Denom: app.BondDenom,
		})
		if err != nil {
			return nil, fmt.Errorf("query %s module balance: %w", name, err)
		}
		balances[name] = res.Balance.Amount
		out.Modules[name] = res.Balance.Amount.String()
		modules = modules.Add(res.Balance.Amount)
	}
	pool, err := distrtypes.NewQueryClient(cctx).CommunityPool(gctx, &distrtypes.QueryCommunityPoolRequest{})
	if err != nil {
		return nil, fmt.Errorf("query community pool: %w", err)
	}
	community := pool.Pool.AmountOf(app.BondDenom).TruncateInt()
	out.Accounts = total.Amount.Amount.Sub(modules).String()
	out.Staked = balances[stakingtypes.BondedPoolName].Add(balances[stakingtypes.NotBondedPoolName]).String()
	out.FeeCollector = balances[authtypes.FeeCollectorName].String()
	out.CommunityPool = community.String()
	out.RewardsPending = balances[distrtypes.ModuleName].Sub(community).String()
	out.GovDeposits = balances[govtypes.ModuleName].String()
	out.Escrows = balances[servicestypes.ModuleName].String()
	return out, nil
}

// Tx returns a committed tx by its hex hash.
func (c *Chain) Tx(ctx context.Context, hash string) (*q1client.Tx, error) {
	if _, err := hex.DecodeString(hash); err != nil || len(hash) != 64 {
		return nil, fmt.Errorf("%w: %q is not a tx hash (64 hex digits)", q1client.ErrBadRequest, hash)
	}
	// Search by hash: a missing tx is an empty result, not an error told
	// apart by its text.
	found, err := authtx.QueryTxsByEvents(c.ctx.WithCmdContext(ctx), 1, 1, fmt.Sprintf("tx.hash='%s'", strings.ToUpper(hash)), "")
	if err != nil {
		return nil, fmt.Errorf("query tx: %w", err)
	}
	if len(found.Txs) == 0 {
		return nil, fmt.Errorf("%w: no committed tx %s", q1client.ErrNotFound, strings.ToUpper(hash))
	}
	res := found.Txs[0]
	out := &q1client.Tx{
		Hash:      res.TxHash,
		Height:    res.Height,
		Timestamp: res.Timestamp,
		Code:      res.Code,
		Codespace: res.Codespace,
		GasWanted: res.GasWanted,
		GasUsed:   res.GasUsed,
		Messages:  []json.RawMessage{},
	}
	if res.Code != 0 {
		out.Log = res.RawLog
	}
	if tx, ok := res.Tx.GetCachedValue().(sdk.Tx); ok {
		for _, m := range tx.GetMsgs() {
			b, err := c.ctx.Codec.MarshalInterfaceJSON(m)
			if err != nil {
				return nil, fmt.Errorf("encode msg: %w", err)
			}
			out.Messages = append(out.Messages, b)
		}
		if ft, ok := tx.(sdk.FeeTx); ok {
			out.Fee = ft.GetFee().String()
		}
		if mt, ok := tx.(interface{ GetMemo() string }); ok {
			out.Memo = mt.GetMemo()
		}
	}
	out.Events = events(res.Events)
	return out, nil
}
