package node

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
	"github.com/quantum1net/q1/internal/txsign"
)

// hotSender sends msgs on behalf of a sharer with the node's hot key: each
// tx is an x/authz MsgExec whose fee the sharer pays through its x/feegrant
// allowance, so the node never races the sharer's own transactions for a
// sequence number. One sender per node; it serialises its txs.
type hotSender struct {
	key      HotKey
	sharer   sdk.AccAddress
	ctx      client.Context
	gasPrice sdkmath.LegacyDec

	mu       sync.Mutex
	synced   bool
	num, seq uint64
}

func newHotSender(key HotKey, sharer sdk.AccAddress, c client.Context) *hotSender {
	return &hotSender{key: key, sharer: sharer, ctx: c, gasPrice: sdkmath.LegacyNewDecWithPrec(1, 2)}
}

// errNotGranted means the chain does not know the hot key yet: the sharer
// has not granted it (q1 sharer register does).
var errNotGranted = errors.New("the hot key has no account on chain: the sharer has not granted it (q1 sharer register)")

func (s *hotSender) sync() error {
	num, seq, err := authtypes.AccountRetriever{}.GetAccountNumberSequence(s.ctx, s.key.Address())
	if err != nil {
		if status.Code(err) == codes.NotFound { // the auth module's answer for an unknown account
			return errNotGranted
		}
		return fmt.Errorf("read hot key account: %w", err)
	}
	s.num, s.seq, s.synced = num, seq, true
	return nil
}

// Exec submits msgs (whose signer is the sharer) wrapped in MsgExec and
// returns the tx hash once CheckTx accepted it.
func (s *hotSender) Exec(ctx context.Context, msgs ...sdk.Msg) (string, error) {
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

func (s *hotSender) try(ctx context.Context, msgs []sdk.Msg) (hash, log string, err error) {
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
	tx.Fee = sdk.NewCoins(sdk.NewCoin(app.BondDenom, s.gasPrice.MulInt64(int64(tx.Gas)).Ceil().TruncateInt()))
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
