package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	sdkmath "cosmossdk.io/math"
	rpcclient "github.com/cometbft/cometbft/rpc/client"
	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/client/tx"
	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	"github.com/spf13/cobra"
	"github.com/spf13/viper"

	"github.com/quantum1net/q1/app"
	"github.com/quantum1net/q1/core/address"
	"github.com/quantum1net/q1/core/qc"
)

const flagWait = "wait"

// addTxClientFlags adds the flags every tx-sending command of ours takes:
// the SDK's names for node, chain id and keyring, output, and how long to
// wait for the commit.
func addTxClientFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.String(flags.FlagNode, "", "CometBFT RPC address of a node (default: the home's client.toml)")
	f.String(flags.FlagChainID, "", "chain id (default: the home's client.toml)")
	f.String(flags.FlagKeyringBackend, "", "keyring backend (os|file|test; default: the home's client.toml)")
	f.String(flags.FlagKeyringDir, "", "keyring directory (default: the home)")
	f.String(flags.FlagGasPrices, "", "gas price to offer, e.g. "+app.DefaultClientGasPrices+" (default: the home's client.toml)")
	f.StringP(flags.FlagOutput, "o", "text", "output format (text|json)")
	f.Duration(flagWait, time.Minute, "how long to wait for the tx to be committed")
}

func outputJSON(c client.Context) bool { return c.OutputFormat == flags.OutputFormatJSON }

func printJSON(cmd *cobra.Command, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(cmd.OutOrStdout(), string(b))
	return err
}

// parseAddress checks a q11… account address; role says where it came
// from ("recipient", "--refund-to") and starts the message of a bad one.
func parseAddress(s, role string) (sdk.AccAddress, error) {
	addr, err := address.ParseAccount(s)
	if err != nil {
		return nil, fmt.Errorf("%s %w", role, err)
	}
	return addr, nil
}

// resolveAccount turns a key name or an address into an address: the one
// resolver of every command that takes an account (wallet balance and send,
// --to, --refund-to, --sharer, sharer status and earnings).
func resolveAccount(c client.Context, who string) (sdk.AccAddress, error) {
	return resolveAccountAs(c, who, "account")
}

// resolveAccountAs is resolveAccount with role ("recipient", "--to") naming
// where who came from in the message of a bad one. Something shaped like an
// address is read as one without opening the keyring (a file or os keyring
// would ask for its passphrase); anything else is a key name. A malformed
// address that happens to be a key's name still finds the key.
func resolveAccountAs(c client.Context, who, role string) (sdk.AccAddress, error) {
	if looksLikeAddress(who) {
		addr, err := parseAddress(who, role)
		if err == nil {
			return addr, nil
		}
		if c.Keyring != nil {
			if rec, kerr := c.Keyring.Key(who); kerr == nil {
				return rec.GetAddress()
			}
		}
		return nil, err
	}
	if c.Keyring == nil {
		return nil, fmt.Errorf("%s %q is not a q1… address, and there is no keyring to find a key of that name in", role, who)
	}
	rec, err := c.Keyring.Key(who)
	if errors.Is(err, sdkerrors.ErrKeyNotFound) {
		return nil, fmt.Errorf("%s %q is neither a key in the %s keyring at %s nor a q1… address (see: q1 keys list --home %s)",
			role, who, c.Keyring.Backend(), c.KeyringDir, c.HomeDir)
	}
	if err != nil {
		return nil, keyError(c, who, err)
	}
	return rec.GetAddress()
}

// looksLikeAddress reports whether s has the shape of an address rather
// than of a key name: it starts with our prefix (q1), or it is bech32 of
// any network (prefix, the separator 1, at least a checksum's six
// characters after it).
func looksLikeAddress(s string) bool {
	if strings.HasPrefix(s, address.AccountPrefix) {
		return true
	}
	i := strings.LastIndexByte(s, '1')
	if i < 1 || len(s)-i-1 < 6 {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}

func keyError(c client.Context, name string, err error) error {
	if errors.Is(err, sdkerrors.ErrKeyNotFound) {
		return fmt.Errorf("no key named %q in the %s keyring at %s (see: q1 keys list --home %s)",
			name, c.Keyring.Backend(), c.KeyringDir, c.HomeDir)
	}
	return fmt.Errorf("read key %q: %w", name, err)
}

// withSigner sets the context's signing key from a key name.
func withSigner(c client.Context, name string) (client.Context, error) {
	rec, err := c.Keyring.Key(name)
	if err != nil {
		return c, keyError(c, name, err)
	}
	addr, err := rec.GetAddress()
	if err != nil {
		return c, err
	}
	return c.WithFrom(name).WithFromName(name).WithFromAddress(addr), nil
}

// checkNode makes sure a node answers and serves the chain this home is for.
func checkNode(ctx context.Context, c client.Context) error {
	if c.Client == nil {
		return fmt.Errorf("no node to talk to: set --node or \"node\" in %s", clientToml(c))
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	st, err := c.Client.Status(ctx)
	if err != nil {
		return nodeError(c, err)
	}
	if c.ChainID != "" && st.NodeInfo.Network != c.ChainID {
		return fmt.Errorf("wrong chain id: this command is for chain %q, but the node at %s serves %q (check --chain-id or \"chain-id\" in %s)",
			c.ChainID, c.NodeURI, st.NodeInfo.Network, clientToml(c))
	}
	return nil
}

// nodeError explains a failed call to the node at c.NodeURI. A failure to
// reach it (see unreachable) reads "cannot reach a node at URI (connection
// refused): is it running? ..."; anything else is the node's own error,
// prefixed with its address. Both keep err wrapped.
func nodeError(c client.Context, err error) error {
	if reason := unreachable(err); reason != "" {
		return &unreachableError{
			msg: fmt.Sprintf("cannot reach a node at %s (%s): is it running? Set --node or \"node\" in %s",
				c.NodeURI, reason, clientToml(c)),
			err: err,
		}
	}
	return fmt.Errorf("the node at %s: %w", c.NodeURI, err)
}

// unreachableError is a short message for a node that could not be
// reached, wrapping the network error it comes from.
type unreachableError struct {
	msg string
	err error
}

func (e *unreachableError) Error() string { return e.msg }
func (e *unreachableError) Unwrap() error { return e.err }

func clientToml(c client.Context) string { return filepath.Join(c.HomeDir, "config", "client.toml") }

// gasSettings reads the gas price and adjustment from the command's flags
// or the home's client.toml.
func gasSettings(cmd *cobra.Command, c client.Context) (sdk.DecCoins, float64, error) {
	v := viper.New()
	v.SetConfigFile(clientToml(c))
	_ = v.ReadInConfig()
	priceStr, _ := cmd.Flags().GetString(flags.FlagGasPrices)
	if priceStr == "" {
		priceStr = v.GetString("gas-prices")
	}
	if priceStr == "" {
		priceStr = app.DefaultClientGasPrices
	}
	prices, err := sdk.ParseDecCoins(priceStr)
	if err != nil {
		return nil, 0, fmt.Errorf("invalid gas price %q: %w", priceStr, err)
	}
	adj := v.GetFloat64("gas-adjustment")
	if adj < 1 {
		adj, _ = strconv.ParseFloat(app.DefaultGasAdjustment, 64) // a constant that parses
	}
	return prices, adj, nil
}

// txOptions describe a tx for the checks and messages around it.
type txOptions struct {
	// spend is what the msgs take from the signer besides the fee.
	spend sdkmath.Int
	// what names the action in messages ("send 25QC").
	what string
}

// submitTx signs msgs with the context's key, checks the signer can pay,
// broadcasts, and waits until the tx is committed. A tx the chain refuses
// comes back as an error in people's words.
func submitTx(cmd *cobra.Command, c client.Context, o txOptions, msgs ...sdk.Msg) (*txResult, error) {
	ctx := cmd.Context()
	if err := checkNodeReady(ctx, c, cmd.ErrOrStderr()); err != nil {
		return nil, err
	}
	f, prices, err := txFactory(cmd, c)
	if err != nil {
		return nil, err
	}

	balance, err := spendable(ctx, c, c.FromAddress)
	if err != nil {
		return nil, err
	}
	spend := o.spend
	if spend.IsNil() {
		spend = sdkmath.ZeroInt()
	}
	if balance.LT(spend) {
		return nil, fmt.Errorf("insufficient funds: have %s, need %s (to %s)", qc.Format(balance), qc.Format(spend), o.what)
	}

	gas, err := simulateGas(ctx, c, f, msgs...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", o.what, err)
	}
	f = f.WithGas(gas)
	fee := feeFor(prices, gas)
	if balance.LT(spend.Add(fee)) {
		return nil, fmt.Errorf("insufficient funds: have %s, need %s (%s plus a %s fee)",
			qc.Format(balance), qc.Format(spend.Add(fee)), qc.Format(spend), qc.Format(fee))
	}

	txb, err := f.BuildUnsignedTx(msgs...)
	if err != nil {
		return nil, err
	}
	if err := tx.Sign(ctx, f, c.FromName, txb, true); err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	txBytes, err := c.TxConfig.TxEncoder()(txb.GetTx())
	if err != nil {
		return nil, err
	}
	res, err := c.BroadcastTxSync(txBytes)
	if err != nil {
		return nil, nodeError(c, err)
	}
	if res.Code != 0 {
		return nil, fmt.Errorf("the chain refused to %s: %w", o.what, &refusal{res.Codespace, res.Code, res.RawLog})
	}
	wait, _ := cmd.Flags().GetDuration(flagWait)
	committed, err := waitForTx(ctx, c, cmd.ErrOrStderr(), res.TxHash, wait)
	if err != nil {
		return nil, err
	}
	if committed.TxResult.Code != 0 {
		r := committed.TxResult
		return nil, fmt.Errorf("tx %s failed at height %d: %w", res.TxHash, committed.Height, &refusal{r.Codespace, r.Code, r.Log})
	}
	return &txResult{
		Hash:    res.TxHash,
		Height:  committed.Height,
		Code:    committed.TxResult.Code,
		GasUsed: committed.TxResult.GasUsed,
		Fee:     fee,
	}, nil
}

// txFactory is the factory that signs the context's txs, with the gas
// price and adjustment of the command's flags or the home's client.toml and
// the signer's account number and sequence read from the chain.
func txFactory(cmd *cobra.Command, c client.Context) (tx.Factory, sdk.DecCoins, error) {
	prices, adj, err := gasSettings(cmd, c)
	if err != nil {
		return tx.Factory{}, nil, err
	}
	f, err := tx.NewFactoryCLI(c, cmd.Flags())
	if err != nil {
		return tx.Factory{}, nil, err
	}
	f = f.WithChainID(c.ChainID).WithGasAdjustment(adj).WithGasPrices(prices.String()).
		WithSignMode(1) // SIGN_MODE_DIRECT
	f, err = f.Prepare(c)
	if err != nil {
		return tx.Factory{}, nil, fmt.Errorf("read account %s: %w", c.FromAddress, err)
	}
	return f, prices, nil
}

// estimateFee simulates msgs signed by the context's key and returns the fee
// submitTx would pay for them; a refusal comes back as a *refusal.
func estimateFee(cmd *cobra.Command, c client.Context, msgs ...sdk.Msg) (sdkmath.Int, error) {
	f, prices, err := txFactory(cmd, c)
	if err != nil {
		return sdkmath.Int{}, err
	}
	gas, err := simulateGas(cmd.Context(), c, f, msgs...)
	if err != nil {
		return sdkmath.Int{}, err
	}
	return feeFor(prices, gas), nil
}

// simulateGas runs msgs in simulation and returns the gas to ask for: the
// gas used times the factory's adjustment. It asks the node's /app/simulate
// query rather than the tx service's Simulate, whose gRPC status loses the
// refusal's codespace and code; a refusal comes back as a *refusal.
func simulateGas(ctx context.Context, c client.Context, f tx.Factory, msgs ...sdk.Msg) (uint64, error) {
	txBytes, err := f.BuildSimTx(msgs...)
	if err != nil {
		return 0, err
	}
	node, err := c.GetNode()
	if err != nil {
		return 0, err
	}
	res, err := node.ABCIQueryWithOptions(ctx, "/app/simulate", txBytes, rpcclient.ABCIQueryOptions{})
	if err != nil {
		return 0, nodeError(c, err)
	}
	if !res.Response.IsOK() {
		return 0, &refusal{res.Response.Codespace, res.Response.Code, res.Response.Log}
	}
	var sim struct {
		GasInfo struct {
			GasUsed uint64 `json:"gas_used,string"`
		} `json:"gas_info"`
	}
	if err := json.Unmarshal(res.Response.Value, &sim); err != nil {
		return 0, fmt.Errorf("read the simulation's result: %w", err)
	}
	return uint64(f.GasAdjustment() * float64(sim.GasInfo.GasUsed)), nil
}

// feeFor is gas × price, rounded up to a whole uqc.
func feeFor(prices sdk.DecCoins, gas uint64) sdkmath.Int {
	price := prices.AmountOf(app.BondDenom)
	return price.MulInt(sdkmath.NewIntFromUint64(gas)).Ceil().TruncateInt()
}

func spendable(ctx context.Context, c client.Context, addr sdk.AccAddress) (sdkmath.Int, error) {
	res, err := banktypes.NewQueryClient(c).SpendableBalanceByDenom(ctx,
		&banktypes.QuerySpendableBalanceByDenomRequest{Address: addr.String(), Denom: app.BondDenom})
	if err != nil {
		return sdkmath.Int{}, fmt.Errorf("query balance of %s: %w", addr, err)
	}
	return res.Balance.Amount, nil
}
