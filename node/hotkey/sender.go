package hotkey

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	sdkmath "cosmossdk.io/math"
	"github.com/cosmos/cosmos-sdk/client"
	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	"github.com/cosmos/cosmos-sdk/x/authz"

	"github.com/quantum1net/q1/app"
	"github.com/quantum1net/q1/client/hotkeyfile"
	"github.com/quantum1net/q1/core/address"
	"github.com/quantum1net/q1/internal/txsign"
)

// Defaults of Config.
const (
	// DefaultAttempts bounds the tries of one Exec: out of gas and a wrong
	// sequence are tried again, with more gas or a fresh sequence.
	DefaultAttempts = 4
	// DefaultCommitTimeout bounds the wait for one broadcast tx's block.
	DefaultCommitTimeout = 30 * time.Second
	// DefaultPollInterval is how often the sender asks whether its tx is
	// in a block.
	DefaultPollInterval = 100 * time.Millisecond
)

// probeGas prices the fee of the simulation's tx. The fee must not be
// zero: with a zero fee the ante handler skips the transfer to the fee
// collector, and the simulation misses the ~17,000 gas it costs (measured
// on a devnet node: 73,593 gas for a bank send simulated without a fee,
// 90,935 with 1uqc, 91,085 with 2QC). The amount barely changes the gas.
const probeGas = 200_000

// Config is how a Sender pays and how hard it tries.
type Config struct {
	// GasPrices are the node's minimum-gas-prices (app.toml): the sender
	// pays their uqc part per unit of gas, so that an operator who raises
	// them keeps its node's txs above its own floor.
	GasPrices sdk.DecCoins
	// GasAdjustment multiplies the simulated gas; zero means
	// app.DefaultGasAdjustment. Each out-of-gas failure of an Exec
	// multiplies it by 1.5 for the next attempt.
	GasAdjustment sdkmath.LegacyDec
	// Attempts bounds the tries of one Exec (DefaultAttempts if zero).
	Attempts int
	// CommitTimeout bounds the wait for one tx's block, and each of the
	// node's answers before it (DefaultCommitTimeout if zero).
	CommitTimeout time.Duration
	// PollInterval is how often the sender looks for its tx in a block
	// (DefaultPollInterval if zero).
	PollInterval time.Duration
	// FirstAttemptGas, when positive, caps the gas of every Exec's first
	// attempt at this fraction of the simulated gas. It exists for tests,
	// which set it below 1 to make that attempt run out of gas in its block
	// (q1 start's hidden --hot-key-first-gas); never set it otherwise.
	FirstAttemptGas sdkmath.LegacyDec
	// Logger receives a line for each attempt that is tried again
	// (default: discard).
	Logger *slog.Logger
}

// oogGrowth multiplies the gas adjustment after each out-of-gas failure.
var oogGrowth = sdkmath.LegacyNewDecWithPrec(15, 1)

// Sender sends msgs on behalf of a sharer with the node's hot key: each
// tx is an x/authz MsgExec whose fee the sharer pays through its x/feegrant
// allowance, so the node never races the sharer's own transactions for a
// sequence number. One sender per node; it sends one tx at a time and
// judges each by its committed result.
type Sender struct {
	key     hotkeyfile.Key
	sharer  sdk.AccAddress
	chain   Chain
	txc     client.TxConfig
	chainID string
	cfg     Config
	price   sdkmath.LegacyDec
	log     *slog.Logger

	mu       sync.Mutex
	synced   bool
	num, seq uint64
}

// NewSender returns a sender for key, which must name its sharer, signing
// with txc for chain chainID and sending through chain.
func NewSender(key hotkeyfile.Key, chain Chain, txc client.TxConfig, chainID string, cfg Config) (*Sender, error) {
	sharer, err := address.ParseAccount(key.Sharer)
	if err != nil {
		return nil, fmt.Errorf("the hot key file names a sharer that is not an account: %w", err)
	}
	if cfg.GasAdjustment.IsNil() || !cfg.GasAdjustment.IsPositive() {
		cfg.GasAdjustment = sdkmath.LegacyMustNewDecFromStr(app.DefaultGasAdjustment)
	}
	if cfg.Attempts <= 0 {
		cfg.Attempts = DefaultAttempts
	}
	if cfg.CommitTimeout <= 0 {
		cfg.CommitTimeout = DefaultCommitTimeout
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Sender{
		key: key, sharer: sharer, chain: chain, txc: txc, chainID: chainID, cfg: cfg,
		price: cfg.GasPrices.AmountOf(app.BondDenom), log: log,
	}, nil
}

// GasPrice is what the sender pays per unit of gas, in uqc.
func (s *Sender) GasPrice() sdkmath.LegacyDec { return s.price }

// Result is a tx the chain committed with code 0.
type Result struct {
	Hash               string
	Height             int64
	GasWanted, GasUsed int64
	// Attempts is how many txs it took (1 unless one ran out of gas or
	// met a wrong sequence).
	Attempts int
}

// Exec submits msgs (whose signer is the sharer) wrapped in one MsgExec
// and returns once a block committed it with code 0. Gas is simulated and
// multiplied by the adjustment; a tx that runs out of gas (in CheckTx or
// in its block) is sent again with a larger margin, and one that meets a
// wrong sequence after reading the account again, up to Config.Attempts
// txs in all. Any other refusal is returned at once as a
// *TxError, which errors.Is matches against the registered error its
// codespace and code name; a tx not seen in a block within
// Config.CommitTimeout is ErrNotCommitted. Exec sends one tx at a time.
func (s *Sender) Exec(ctx context.Context, msgs ...sdk.Msg) (Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	exec := authz.NewMsgExec(s.key.Address(), msgs)
	var (
		last     error
		outOfGas int    // out-of-gas failures so far
		lastGas  uint64 // the gas of the last attempt that ran out
	)
	for attempt := 1; attempt <= s.cfg.Attempts; attempt++ {
		if err := ctx.Err(); err != nil {
			return Result{}, err
		}
		if !s.synced {
			cctx, cancel := context.WithTimeout(ctx, s.cfg.CommitTimeout)
			num, seq, err := s.chain.Account(cctx, s.key.Address())
			cancel()
			if err != nil {
				return Result{}, err
			}
			s.num, s.seq, s.synced = num, seq, true
		}
		res, gas, err := s.try(ctx, &exec, attempt, outOfGas, lastGas)
		if err == nil {
			s.seq++
			res.Attempts = attempt
			return res, nil
		}
		if te := (*TxError)(nil); !errors.As(err, &te) || te.Stage == StageBlock {
			// The tx reached a block (its ante handler may or may not have
			// taken the sequence), or nobody knows where it went (not
			// committed in time, a broadcast without an answer): read the
			// account again before the next tx.
			s.synced = false
		}
		switch {
		case errors.Is(err, sdkerrors.ErrOutOfGas):
			outOfGas++
			lastGas = gas
		case errors.Is(err, sdkerrors.ErrWrongSequence):
			s.synced = false
		default:
			return Result{}, err
		}
		last = err
		if attempt < s.cfg.Attempts {
			s.log.Warn("hot key tx refused; trying again", append(LogAttrs(err), "attempt", attempt, "msgs", msgNames(msgs))...)
		}
	}
	return Result{}, fmt.Errorf("gave up after %d attempts: %w", s.cfg.Attempts, last)
}

// try sends exec once: simulate for the gas, sign, broadcast, wait for the
// block. It returns the gas the tx asked for.
func (s *Sender) try(ctx context.Context, exec *authz.MsgExec, attempt, outOfGas int, lastGas uint64) (Result, uint64, error) {
	tx := txsign.Tx{
		ChainID:       s.chainID,
		AccountNumber: s.num,
		Sequence:      s.seq,
		FeeGranter:    s.sharer,
		Msgs:          []sdk.Msg{exec},
		Fee:           s.fee(probeGas),
	}
	probe, err := txsign.Sign(s.txc, s.key.Key, tx)
	if err != nil {
		return Result{}, 0, fmt.Errorf("sign: %w", err)
	}
	cctx, cancel := context.WithTimeout(ctx, s.cfg.CommitTimeout)
	defer cancel()
	sim, err := s.chain.Simulate(cctx, probe)
	if err != nil {
		return Result{}, 0, err
	}
	tx.Gas = s.gas(sim, attempt, outOfGas, lastGas)
	tx.Fee = s.fee(tx.Gas)
	bz, err := txsign.Sign(s.txc, s.key.Key, tx)
	if err != nil {
		return Result{}, tx.Gas, fmt.Errorf("sign: %w", err)
	}
	hash, err := s.chain.Broadcast(cctx, bz)
	var te *TxError
	switch {
	case errors.As(err, &te) && errors.Is(err, sdkerrors.ErrTxInMempoolCache) && te.Hash != "":
		// These very bytes are in the mempool already (an earlier attempt
		// whose block did not come in time): wait for them.
		hash = te.Hash
	case err != nil:
		return Result{}, tx.Gas, err
	}
	c, err := s.wait(ctx, hash)
	if err != nil {
		return Result{}, tx.Gas, err
	}
	if c.Code != 0 {
		return Result{}, tx.Gas, &TxError{Stage: StageBlock, Hash: hash, Height: c.Height,
			Codespace: c.Codespace, Code: c.Code, Log: c.Log, GasWanted: c.GasWanted, GasUsed: c.GasUsed}
	}
	return Result{Hash: hash, Height: c.Height, GasWanted: c.GasWanted, GasUsed: c.GasUsed}, tx.Gas, nil
}

// gas is what an attempt asks for: the simulated gas times the adjustment,
// times 1.5 for each out-of-gas failure so far, and never less than 1.5
// times what last ran out; a first attempt is capped by FirstAttemptGas.
func (s *Sender) gas(simulated uint64, attempt, outOfGas int, lastGas uint64) uint64 {
	adj := s.cfg.GasAdjustment
	for range outOfGas {
		adj = adj.Mul(oogGrowth)
	}
	g := adj.MulInt(sdkmath.NewIntFromUint64(simulated)).Ceil().TruncateInt().Uint64()
	if outOfGas > 0 {
		g = max(g, oogGrowth.MulInt(sdkmath.NewIntFromUint64(lastGas)).Ceil().TruncateInt().Uint64())
	}
	if f := s.cfg.FirstAttemptGas; attempt == 1 && !f.IsNil() && f.IsPositive() {
		g = min(g, f.MulInt(sdkmath.NewIntFromUint64(simulated)).TruncateInt().Uint64())
	}
	return max(g, 1)
}

// wait polls for hash's block until it comes, CommitTimeout passes or ctx
// ends.
func (s *Sender) wait(ctx context.Context, hash string) (Committed, error) {
	wctx, cancel := context.WithTimeout(ctx, s.cfg.CommitTimeout)
	defer cancel()
	tick := time.NewTicker(s.cfg.PollInterval)
	defer tick.Stop()
	var lastErr error
	for {
		c, ok, err := s.chain.Committed(wctx, hash)
		if err == nil && ok {
			return c, nil
		}
		if err != nil {
			lastErr = err // the node may be busy: ask again until the deadline
		}
		select {
		case <-wctx.Done():
			if ctx.Err() != nil {
				return Committed{}, fmt.Errorf("tx %s broadcast, then stopped waiting for its block: %w (%w)", hash, ErrNotCommitted, ctx.Err())
			}
			if lastErr != nil {
				return Committed{}, fmt.Errorf("tx %s passed CheckTx but was not seen in a block within %s: %w (last error: %v)", hash, s.cfg.CommitTimeout, ErrNotCommitted, lastErr)
			}
			return Committed{}, fmt.Errorf("tx %s passed CheckTx but was not seen in a block within %s: %w", hash, s.cfg.CommitTimeout, ErrNotCommitted)
		case <-tick.C:
		}
	}
}

// fee is what a tx of gas pays: gas times the gas price, rounded up, so it
// is never below the node's floor.
func (s *Sender) fee(gas uint64) sdk.Coins {
	return sdk.NewCoins(sdk.NewCoin(app.BondDenom, s.price.MulInt(sdkmath.NewIntFromUint64(gas)).Ceil().TruncateInt()))
}

// msgNames are the type URLs of msgs, for log lines.
func msgNames(msgs []sdk.Msg) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = sdk.MsgTypeURL(m)
	}
	return out
}
