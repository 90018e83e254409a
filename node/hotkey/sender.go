package hotkey

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	sdkmath "cosmossdk.io/math"
	"github.com/cosmos/cosmos-sdk/client"
	sdk "github.com/cosmos/cosmos-sdk/types"
	txtypes "github.com/cosmos/cosmos-sdk/types/tx"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	"github.com/cosmos/cosmos-sdk/x/authz"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/quantum1net/q1/app"
	"github.com/quantum1net/q1/client/hotkeyfile"
	"github.com/quantum1net/q1/internal/txsign"
)

// Sender sends msgs on behalf of a sharer with the node's hot key: each
// tx is an x/authz MsgExec whose fee the sharer pays through its x/feegrant
// allowance, so the node never races the sharer's own transactions for a
// sequence number. One sender per node; it serialises its txs.
type Sender struct {
	key      hotkeyfile.Key
	sharer   sdk.AccAddress
	ctx      client.Context
	gasPrice sdkmath.LegacyDec

	mu       sync.Mutex
	synced   bool
	num, seq uint64
}

// NewSender returns a sender for key, which must name its sharer, through
// c (the node's client context). It pays minGasPrices (the node's
// minimum-gas-prices, in app.toml) in uqc per unit of gas, so that an
// operator who raises them keeps its node's txs above its own floor.
func NewSender(key hotkeyfile.Key, c client.Context, minGasPrices sdk.DecCoins) (*Sender, error) {
	sharer, err := sdk.AccAddressFromBech32(key.Sharer)
	if err != nil {
		return nil, fmt.Errorf("hot key file names sharer %q: %w", key.Sharer, err)
	}
	return &Sender{key: key, sharer: sharer, ctx: c, gasPrice: minGasPrices.AmountOf(app.BondDenom)}, nil
}

// GasPrice is what the sender pays per unit of gas, in uqc.
func (s *Sender) GasPrice() sdkmath.LegacyDec { return s.gasPrice }

// ErrNotGranted means the chain does not know the hot key yet: the sharer
// has not granted it (q1 sharer register does).
var ErrNotGranted = errors.New("the hot key has no account on chain: the sharer has not granted it (q1 sharer register)")

func (s *Sender) sync() error {
	num, seq, err := authtypes.AccountRetriever{}.GetAccountNumberSequence(s.ctx, s.key.Address())
	if err != nil {
		if status.Code(err) == codes.NotFound { // the auth module's answer for an unknown account
			return ErrNotGranted
		}
		return fmt.Errorf("read hot key account: %w", err)
	}
	s.num, s.seq, s.synced = num, seq, true
	return nil
}

// Exec submits msgs (whose signer is the sharer) wrapped in MsgExec and
// returns the tx hash once CheckTx accepted it.
func (s *Sender) Exec(ctx context.Context, msgs ...sdk.Msg) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for attempt := 0; ; attempt++ {
		if !s.synced {
			if err := s.sync(); err != nil {
				return "", err
			}
		}
		hash, log, err := s.try(ctx, msgs)
		if err == nil {
			s.seq++
			return hash, nil
		}
		if attempt == 0 && strings.Contains(log, "sequence") {
			s.synced = false // another tx used the sequence (e.g. before a restart): read it again
			continue
		}
		return "", err
	}
}

func (s *Sender) try(ctx context.Context, msgs []sdk.Msg) (hash, log string, err error) {
	exec := authz.NewMsgExec(s.key.Address(), msgs)
	cfg := s.ctx.TxConfig
	tx := txsign.Tx{
		ChainID:       s.ctx.ChainID,
		AccountNumber: s.num,
		Sequence:      s.seq,
		FeeGranter:    s.sharer,
		Msgs:          []sdk.Msg{&exec},
	}
	// Simulate for the gas, then sign for real with a margin.
	probe, err := txsign.Sign(cfg, s.key.Key, tx)
	if err != nil {
		return "", "", err
	}
	sim, err := txtypes.NewServiceClient(s.ctx).Simulate(ctx, &txtypes.SimulateRequest{TxBytes: probe})
	if err != nil {
		return "", err.Error(), fmt.Errorf("simulate: %w", err)
	}
	tx.Gas = sim.GasInfo.GasUsed*13/10 + 10_000
	tx.Fee = s.fee(tx.Gas)
	bz, err := txsign.Sign(cfg, s.key.Key, tx)
	if err != nil {
		return "", "", err
	}
	res, err := s.ctx.BroadcastTxSync(bz)
	if err != nil {
		return "", "", fmt.Errorf("broadcast: %w", err)
	}
	if res.Code != 0 {
		return "", res.RawLog, fmt.Errorf("refused: %s", res.RawLog)
	}
	return res.TxHash, "", nil
}

// fee is what a tx of gas pays: gas times the gas price, rounded up, so it
// is never below the node's floor.
func (s *Sender) fee(gas uint64) sdk.Coins {
	return sdk.NewCoins(sdk.NewCoin(app.BondDenom, s.gasPrice.MulInt64(int64(gas)).Ceil().TruncateInt()))
}
