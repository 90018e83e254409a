package hotkey

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	sdkmath "cosmossdk.io/math"
	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/bech32"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	authsigning "github.com/cosmos/cosmos-sdk/x/auth/signing"
	"github.com/cosmos/cosmos-sdk/x/authz"

	"github.com/quantum1net/q1/app"
	"github.com/quantum1net/q1/client/hotkeyfile"
	"github.com/quantum1net/q1/core/address"
	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
)

// TestSenderPaysTheNodesMinimumGasPrice: the fee follows the node's
// configured minimum-gas-prices, so raising them does not stop its reports.
func TestSenderPaysTheNodesMinimumGasPrice(t *testing.T) {
	app.SetSDKConfig()
	sharer := hotkeyfile.Key{Key: secp256k1.GenPrivKey()}
	key := hotkeyfile.Key{Key: secp256k1.GenPrivKey(), Sharer: sharer.Address().String()}
	for _, tc := range []struct {
		prices string
		gas    uint64
		want   string
	}{
		{"0.01uqc", 100_000, "1000uqc"},
		{"0.25uqc", 100_000, "25000uqc"},
		{"0.25uqc,1stake", 100_001, "25001uqc"}, // rounded up, other denoms ignored
		{"", 100_000, ""},
	} {
		prices, err := sdk.ParseDecCoins(tc.prices)
		if err != nil {
			t.Fatal(err)
		}
		s, err := NewSender(key, nil, nil, "", Config{GasPrices: prices})
		if err != nil {
			t.Fatal(err)
		}
		if got := s.fee(tc.gas).String(); got != tc.want {
			t.Errorf("min gas prices %q, gas %d: fee %q, want %q", tc.prices, tc.gas, got, tc.want)
		}
	}
	// The sharer is checked by core/address, as the chain checks it: the
	// SDK's AccAddressFromBech32 would take it in capitals, or with a
	// payload neither 20 nor 32 bytes long.
	odd, err := bech32.ConvertAndEncode(address.AccountPrefix, make([]byte, 25))
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"nobody", strings.ToUpper(key.Sharer), odd} {
		_, err := NewSender(hotkeyfile.Key{Key: key.Key, Sharer: bad}, nil, nil, "", Config{})
		if err == nil || !strings.Contains(err.Error(), `the hot key file names a sharer that is not an account: "`+bad+`" is not a Quantum1Net account address`) {
			t.Errorf("sharer %q: %v", bad, err)
		}
	}
}

// sentTx is what the fake chain saw of a broadcast tx.
type sentTx struct {
	hash     string
	gas      uint64
	fee      sdk.Coins
	sequence uint64
}

// fakeChain is a chain for one account, the hot key's: it simulates a
// fixed gas, admits txs whose sequence is the account's, and commits each
// admitted tx with the code the test's judge gives it. As on a real chain,
// a tx in a block takes its sequence whatever its code (its ante handler
// ran), and CheckTx (and simulation, unless sequenceCheckedIn says
// otherwise) refuse a sequence that is not the account's with code 32.
type fakeChain struct {
	txc client.TxConfig

	mu        sync.Mutex
	number    uint64
	sequence  uint64
	simulated uint64
	// judge gives the committed code (codespace sdk unless the error names
	// another) of the n-th admitted tx, counted from 0; nil: code 0.
	judge func(n int, tx sentTx) *errorsAt
	// commit false keeps admitted txs out of blocks.
	commit bool
	// broadcastErr, if set, is the next broadcast's answer: a node that
	// took the tx and did not say so.
	broadcastErr error
	// sequenceCheckedIn is where a wrong sequence is refused: in
	// simulation (and CheckTx), or only in CheckTx (a simulation that
	// passed before another tx took the sequence).
	sequenceCheckedIn Stage

	accountReads int
	probes       []sentTx
	sent         []sentTx
	results      map[string]Committed
}

type errorsAt struct {
	codespace string
	code      uint32
}

func newFakeChain(t *testing.T) *fakeChain {
	t.Helper()
	app.SetSDKConfig()
	enc := app.MakeEncodingConfig()
	authz.RegisterInterfaces(enc.InterfaceRegistry)
	sharerstypes.RegisterInterfaces(enc.InterfaceRegistry)
	return &fakeChain{txc: enc.TxConfig, number: 7, sequence: 10, simulated: 100_000, commit: true, results: map[string]Committed{}}
}

func (f *fakeChain) decode(bz []byte) (sentTx, error) {
	tx, err := f.txc.TxDecoder()(bz)
	if err != nil {
		return sentTx{}, err
	}
	sigs, err := tx.(authsigning.SigVerifiableTx).GetSignaturesV2()
	if err != nil || len(sigs) != 1 {
		return sentTx{}, fmt.Errorf("signatures %v: %w", sigs, err)
	}
	h := sha256.Sum256(bz)
	ftx := tx.(sdk.FeeTx)
	return sentTx{hash: strings.ToUpper(hex.EncodeToString(h[:])), gas: ftx.GetGas(), fee: ftx.GetFee(), sequence: sigs[0].Sequence}, nil
}

func (f *fakeChain) Account(context.Context, sdk.AccAddress) (uint64, uint64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.accountReads++
	return f.number, f.sequence, nil
}

func (f *fakeChain) wrongSequence(stage Stage, tx sentTx) error {
	if tx.sequence == f.sequence {
		return nil
	}
	return &TxError{Stage: stage, Codespace: sdkerrors.RootCodespace, Code: sdkerrors.ErrWrongSequence.ABCICode(),
		Log: fmt.Sprintf("account sequence mismatch, expected %d, got %d: incorrect account sequence", f.sequence, tx.sequence)}
}

func (f *fakeChain) Simulate(_ context.Context, bz []byte) (uint64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	tx, err := f.decode(bz)
	if err != nil {
		return 0, err
	}
	f.probes = append(f.probes, tx)
	if f.sequenceCheckedIn != StageCheck {
		if err := f.wrongSequence(StageSimulation, tx); err != nil {
			return 0, err
		}
	}
	return f.simulated, nil
}

func (f *fakeChain) Broadcast(_ context.Context, bz []byte) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	tx, err := f.decode(bz)
	if err != nil {
		return "", err
	}
	if err := f.wrongSequence(StageCheck, tx); err != nil {
		var te *TxError
		errors.As(err, &te)
		te.Hash = tx.hash
		return "", te
	}
	n := len(f.sent)
	f.sent = append(f.sent, tx)
	if err := f.broadcastErr; err != nil {
		f.broadcastErr = nil
		f.sequence++ // it reached the mempool, and then a block
		f.results[tx.hash] = Committed{Height: int64(100 + n)}
		return "", err
	}
	if !f.commit {
		return tx.hash, nil
	}
	f.sequence++
	c := Committed{Height: int64(100 + n), GasWanted: int64(tx.gas), GasUsed: int64(tx.gas) / 2}
	if f.judge != nil {
		if e := f.judge(n, tx); e != nil {
			c.Codespace, c.Code, c.Log = e.codespace, e.code, fmt.Sprintf("refused by the test (code %d)", e.code)
			c.GasUsed = int64(tx.gas) + 1
		}
	}
	f.results[tx.hash] = c
	return tx.hash, nil
}

func (f *fakeChain) Committed(_ context.Context, hash string) (Committed, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.results[hash]
	return c, ok, nil
}

// newTestSender returns a sender over f for a fresh hot key and sharer.
func newTestSender(t *testing.T, f *fakeChain, cfg Config) (*Sender, string) {
	t.Helper()
	sharer := sdk.AccAddress(secp256k1.GenPrivKey().PubKey().Address()).String()
	if cfg.GasPrices == nil {
		cfg.GasPrices = sdk.NewDecCoins(sdk.NewDecCoinFromDec(app.BondDenom, sdkmath.LegacyNewDecWithPrec(1, 2))) // 0.01uqc
	}
	s, err := NewSender(hotkeyfile.Key{Key: secp256k1.GenPrivKey(), Sharer: sharer}, f, f.txc, "q1-test", cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s, sharer
}

func ack(sharer string) sdk.Msg { return &sharerstypes.MsgAckLease{Sharer: sharer, LeaseId: 1} }

func outOfGas() *errorsAt {
	return &errorsAt{sdkerrors.RootCodespace, sdkerrors.ErrOutOfGas.ABCICode()}
}

// TestSenderRetriesOutOfGasInTheBlock: a tx that ran out of gas in its
// block (code 11) is sent again with more gas and a fresh sequence, and
// Exec returns only the committed success.
func TestSenderRetriesOutOfGasInTheBlock(t *testing.T) {
	f := newFakeChain(t)
	f.judge = func(n int, _ sentTx) *errorsAt {
		if n == 0 {
			return outOfGas()
		}
		return nil
	}
	s, sharer := newTestSender(t, f, Config{})
	res, err := s.Exec(context.Background(), ack(sharer))
	if err != nil {
		t.Fatalf("Exec: %v", err)
	}
	if len(f.sent) != 2 || res.Attempts != 2 || res.Hash != f.sent[1].hash || res.Height != 101 {
		t.Fatalf("result %+v after txs %+v; want the second tx's", res, f.sent)
	}
	first, second := f.sent[0], f.sent[1]
	if first.gas != 150_000 { // simulated × app.DefaultGasAdjustment (1.5)
		t.Errorf("first attempt asked for %d gas, want 150000", first.gas)
	}
	if second.gas < first.gas*3/2 {
		t.Errorf("second attempt asked for %d gas after %d ran out; want at least 1.5 times more", second.gas, first.gas)
	}
	if first.sequence != 10 || second.sequence != 11 {
		t.Errorf("sequences %d, %d; want 10 then 11 (the failed tx took its sequence)", first.sequence, second.sequence)
	}
	if f.accountReads != 2 {
		t.Errorf("the account was read %d times; want twice (at first, and after the failed block)", f.accountReads)
	}
	if want := sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, int64(second.gas)/100)); !second.fee.Equal(want) {
		t.Errorf("fee %s for %d gas at 0.01uqc; want %s", second.fee, second.gas, want)
	}
	for _, p := range f.probes {
		if p.fee.IsZero() {
			t.Errorf("a simulation ran with a zero fee, which skips the fee transfer's gas: %+v", p)
		}
	}
	// The next tx follows on from the success without reading the account.
	if _, err := s.Exec(context.Background(), ack(sharer)); err != nil || f.sent[2].sequence != 12 || f.accountReads != 2 {
		t.Fatalf("next Exec: %v; sequence %d, account reads %d", err, f.sent[2].sequence, f.accountReads)
	}
}

// TestSenderRetriesWrongSequence: a sequence another tx took (code 32, in
// simulation or CheckTx) makes the sender read its account and try again.
func TestSenderRetriesWrongSequence(t *testing.T) {
	for _, stage := range []Stage{StageSimulation, StageCheck} {
		t.Run(string(stage), func(t *testing.T) {
			f := newFakeChain(t)
			f.sequenceCheckedIn = stage
			s, sharer := newTestSender(t, f, Config{})
			if _, err := s.Exec(context.Background(), ack(sharer)); err != nil {
				t.Fatal(err)
			}
			// A tx the sender does not know of takes sequence 11 (one sent
			// before a restart, say).
			f.mu.Lock()
			f.sequence++
			f.mu.Unlock()
			res, err := s.Exec(context.Background(), ack(sharer))
			if err != nil {
				t.Fatalf("Exec after a wrong sequence: %v", err)
			}
			last := f.sent[len(f.sent)-1]
			if res.Attempts != 2 || last.sequence != 12 || f.accountReads != 2 || len(f.sent) != 2 {
				t.Fatalf("result %+v, txs %+v, account reads %d; want a second attempt with sequence 12 after reading the account",
					res, f.sent, f.accountReads)
			}
		})
	}
}

// TestSenderReturnsOtherRefusalsTyped: a refusal other than out of gas or
// a wrong sequence is returned at once, as the registered error it names.
func TestSenderReturnsOtherRefusalsTyped(t *testing.T) {
	f := newFakeChain(t)
	f.judge = func(int, sentTx) *errorsAt {
		return &errorsAt{sharerstypes.ModuleName, sharerstypes.ErrAlreadyAcked.ABCICode()}
	}
	s, sharer := newTestSender(t, f, Config{})
	_, err := s.Exec(context.Background(), ack(sharer))
	if !errors.Is(err, sharerstypes.ErrAlreadyAcked) || errors.Is(err, sdkerrors.ErrOutOfGas) {
		t.Fatalf("Exec: %v; want sharers' ErrAlreadyAcked", err)
	}
	var te *TxError
	if !errors.As(err, &te) || te.Stage != StageBlock || te.Hash != f.sent[0].hash || te.Height != 100 || len(f.sent) != 1 {
		t.Fatalf("error %#v after %d txs; want the block's refusal of the one tx", te, len(f.sent))
	}
	attrs := fmt.Sprint(LogAttrs(err))
	for _, want := range []string{"stage block", "codespace sharers", "code 18", "tx " + te.Hash, "height 100"} {
		if !strings.Contains(attrs, want) {
			t.Errorf("log attributes %s lack %q", attrs, want)
		}
	}
}

// TestSenderGivesUpAfterAttempts: gas grows with every out-of-gas attempt,
// and Exec gives up after Config.Attempts txs with the last refusal.
func TestSenderGivesUpAfterAttempts(t *testing.T) {
	f := newFakeChain(t)
	f.judge = func(int, sentTx) *errorsAt { return outOfGas() }
	s, sharer := newTestSender(t, f, Config{Attempts: 3})
	_, err := s.Exec(context.Background(), ack(sharer))
	if !errors.Is(err, sdkerrors.ErrOutOfGas) || !strings.Contains(err.Error(), "gave up after 3 attempts") {
		t.Fatalf("Exec: %v; want out of gas after 3 attempts", err)
	}
	if len(f.sent) != 3 {
		t.Fatalf("%d txs sent; want 3", len(f.sent))
	}
	for i := 1; i < len(f.sent); i++ {
		if f.sent[i].gas <= f.sent[i-1].gas {
			t.Errorf("attempt %d asked for %d gas after %d ran out", i+1, f.sent[i].gas, f.sent[i-1].gas)
		}
	}
}

// TestSenderFirstAttemptGas: the test knob caps the first attempt's gas at
// a fraction of the simulation, which then runs out; the second attempt
// has the full margin.
func TestSenderFirstAttemptGas(t *testing.T) {
	f := newFakeChain(t)
	f.judge = func(_ int, tx sentTx) *errorsAt {
		if tx.gas < f.simulated {
			return outOfGas()
		}
		return nil
	}
	s, sharer := newTestSender(t, f, Config{FirstAttemptGas: sdkmath.LegacyNewDecWithPrec(9, 1)})
	res, err := s.Exec(context.Background(), ack(sharer))
	if err != nil || res.Attempts != 2 {
		t.Fatalf("Exec: %+v, %v", res, err)
	}
	if f.sent[0].gas != 90_000 || f.sent[1].gas < 150_000 {
		t.Fatalf("gas %d then %d; want 90000 (capped) then at least 150000", f.sent[0].gas, f.sent[1].gas)
	}
}

// TestSenderNotCommitted: a tx CheckTx admitted but no block shows within
// the commit timeout is ErrNotCommitted, and the sender reads its account
// before the next tx, whose outcome it cannot assume.
func TestSenderNotCommitted(t *testing.T) {
	f := newFakeChain(t)
	f.commit = false
	s, sharer := newTestSender(t, f, Config{CommitTimeout: 50 * time.Millisecond, PollInterval: 5 * time.Millisecond})
	_, err := s.Exec(context.Background(), ack(sharer))
	if !errors.Is(err, ErrNotCommitted) || !strings.Contains(err.Error(), f.sent[0].hash) {
		t.Fatalf("Exec: %v; want ErrNotCommitted naming the tx", err)
	}
	if s.synced {
		t.Fatal("the sender still trusts its sequence after a tx of unknown outcome")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Exec(ctx, ack(sharer)); !errors.Is(err, context.Canceled) {
		t.Fatalf("Exec with a cancelled context: %v", err)
	}
}

// TestSenderBroadcastWithoutAnswer: a broadcast the node did not answer
// is returned as it is, and the sender reads its account before the next
// tx, since the first may have taken its sequence.
func TestSenderBroadcastWithoutAnswer(t *testing.T) {
	f := newFakeChain(t)
	f.broadcastErr = errors.New("post failed: connection reset by peer")
	s, sharer := newTestSender(t, f, Config{})
	if _, err := s.Exec(context.Background(), ack(sharer)); err == nil || !strings.Contains(err.Error(), "connection reset") {
		t.Fatalf("Exec: %v; want the broadcast's error", err)
	}
	if _, err := s.Exec(context.Background(), ack(sharer)); err != nil {
		t.Fatalf("the next Exec: %v", err)
	}
	if f.accountReads != 2 || f.sent[1].sequence != 11 {
		t.Fatalf("account reads %d, second tx's sequence %d; want the account read again and sequence 11", f.accountReads, f.sent[1].sequence)
	}
}
