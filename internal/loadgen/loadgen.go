// Package loadgen signs and submits transactions at speed, for the
// end-to-end tests and the benchmark command: keys held in memory, sequences
// tracked locally, txs broadcast over CometBFT's RPC like any client would.
package loadgen

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	sdkmath "cosmossdk.io/math"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"
	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/quantum1net/q1/app"
	"github.com/quantum1net/q1/internal/txsign"
)

// Account is a key held in memory with its on-chain number and the next
// sequence to sign with.
type Account struct {
	Key      *secp256k1.PrivKey
	Address  sdk.AccAddress
	Number   uint64
	Sequence uint64
}

// NewAccounts derives n keys deterministically from seed, so a test can
// fund them in a genesis and sign with them later.
func NewAccounts(n int, seed int64) []*Account {
	out := make([]*Account, n)
	for i := range out {
		var b [16]byte
		binary.BigEndian.PutUint64(b[:8], uint64(seed))
		binary.BigEndian.PutUint64(b[8:], uint64(i))
		secret := sha256.Sum256(b[:])
		key := secp256k1.GenPrivKeyFromSecret(secret[:])
		out[i] = &Account{Key: key, Address: sdk.AccAddress(key.PubKey().Address())}
	}
	return out
}

// Client signs and submits txs to one node.
type Client struct {
	RPC      *rpchttp.HTTP
	ctx      client.Context
	enc      app.EncodingConfig
	chainID  string
	GasPrice sdkmath.LegacyDec
}

// NewClient returns a client of the node whose CometBFT RPC is at rpcAddr
// (tcp://host:port or http://host:port).
func NewClient(rpcAddr, chainID string) (*Client, error) {
	rpc, err := rpchttp.New(strings.Replace(rpcAddr, "tcp://", "http://", 1), "/websocket")
	if err != nil {
		return nil, fmt.Errorf("rpc client for %s: %w", rpcAddr, err)
	}
	enc := app.NewTemp().EncodingConfig()
	ctx := client.Context{}.
		WithClient(rpc).
		WithChainID(chainID).
		WithCodec(enc.Codec).
		WithInterfaceRegistry(enc.InterfaceRegistry).
		WithTxConfig(enc.TxConfig).
		WithAccountRetriever(authtypes.AccountRetriever{})
	return &Client{RPC: rpc, ctx: ctx, enc: enc, chainID: chainID, GasPrice: sdkmath.LegacyNewDecWithPrec(1, 2)}, nil
}

// Context returns an SDK client context reading through this client's node.
func (c *Client) Context() client.Context { return c.ctx }

// Sync reads an account's number and sequence from the chain.
func (c *Client) Sync(a *Account) error {
	num, seq, err := authtypes.AccountRetriever{}.GetAccountNumberSequence(c.ctx, a.Address)
	if err != nil {
		return fmt.Errorf("read account %s: %w", a.Address, err)
	}
	a.Number, a.Sequence = num, seq
	return nil
}

// SendGas is the gas limit of a plain bank send signed by this package.
const SendGas = 100_000

// Fee returns the fee this client offers for gas.
func (c *Client) Fee(gas uint64) sdkmath.Int {
	return c.GasPrice.MulInt(sdkmath.NewIntFromUint64(gas)).Ceil().TruncateInt()
}

// Sign builds and signs a tx of msgs from a with its current sequence, and
// advances the sequence.
func (c *Client) Sign(a *Account, gas uint64, memo string, msgs ...sdk.Msg) ([]byte, error) {
	bz, err := txsign.Sign(c.enc.TxConfig, a.Key, txsign.Tx{
		ChainID:       c.chainID,
		AccountNumber: a.Number,
		Sequence:      a.Sequence,
		Gas:           gas,
		Fee:           sdk.NewCoins(sdk.NewCoin(app.BondDenom, c.Fee(gas))),
		Memo:          memo,
		Msgs:          msgs,
	})
	if err != nil {
		return nil, err
	}
	a.Sequence++
	return bz, nil
}

// SignSend signs a bank send of amount uqc from a to to.
func (c *Client) SignSend(a *Account, to sdk.AccAddress, amount sdkmath.Int) ([]byte, error) {
	msg := banktypes.NewMsgSend(a.Address, to, sdk.NewCoins(sdk.NewCoin(app.BondDenom, amount)))
	return c.Sign(a, SendGas, "", msg)
}

// Submitted is the node's answer to a broadcast: CheckTx's verdict.
type Submitted struct {
	Hash string
	Code uint32
	Log  string
}

// Broadcast submits tx bytes and returns CheckTx's verdict.
func (c *Client) Broadcast(ctx context.Context, tx []byte) (Submitted, error) {
	res, err := c.RPC.BroadcastTxSync(ctx, tx)
	if err != nil {
		return Submitted{}, err
	}
	return Submitted{Hash: res.Hash.String(), Code: res.Code, Log: res.Log}, nil
}

// TxHash is the hash CometBFT gives tx bytes.
func TxHash(tx []byte) string {
	h := sha256.Sum256(tx)
	return strings.ToUpper(hex.EncodeToString(h[:]))
}

// WaitCommitted polls until the tx is in a block or ctx ends.
func (c *Client) WaitCommitted(ctx context.Context, hash string) (*coretypes.ResultTx, error) {
	raw, err := hex.DecodeString(hash)
	if err != nil {
		return nil, err
	}
	for {
		res, err := c.RPC.Tx(ctx, raw, false)
		if err == nil {
			return res, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("tx %s not committed: %w", hash, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}
