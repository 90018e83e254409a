package e2e

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/x/authz"

	"github.com/quantum1net/q1/app"
	q1client "github.com/quantum1net/q1/client"
	"github.com/quantum1net/q1/client/hotkeyfile"
	"github.com/quantum1net/q1/internal/loadgen"
	"github.com/quantum1net/q1/internal/txsign"
	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
	usagetypes "github.com/quantum1net/q1/x/usage/types"
)

// testSharerReports registers a second sharer from a home of its own (the
// node does not act for it) and sends its usage reports by hand from its
// hot key, as a node would: the chain refuses reports and acks from keys
// the sharers did not grant, epochs not ended or too old, and duplicates
// already in CheckTx.
func testSharerReports(t *testing.T, n *singleNode, me string, meLease uint64) {
	home, carol := sharerHome(t, n, "carol", "100QC")
	var reg struct {
		Sharer q1client.SharerStatus `json:"sharer"`
	}
	out, errOut, code := runQ1(t, append(registerArgs("carol", "https://carol.q1.example"), "--home", home, "-o", "json")...)
	if code != 0 || json.Unmarshal([]byte(out), &reg) != nil || reg.Sharer.Address != carol {
		t.Fatalf("register carol: exit %d\n%s%s", code, out, errOut)
	}
	registered := reg.Sharer.Epoch.Number
	// New capacity: hello gets its second replica on carol.
	waitFor(t, time.Minute, "hello's second replica", func() bool {
		var pl q1client.Placement
		q1JSON(t, n, &pl, "service", "placement", "hello", "-o", "json")
		return len(pl.Leases) == 2 && pl.Leases[1].Sharer == carol
	})

	hk, err := hotkeyfile.Load(home)
	if err != nil || hk.Sharer != carol {
		t.Fatalf("carol's hot key: %+v %v", hk, err)
	}
	lc, err := loadgen.NewClient(n.rpc, "q1-local")
	if err != nil {
		t.Fatal(err)
	}
	hot := &loadgen.Account{Key: hk.Key, Address: hk.Address()}
	stranger := loadgen.NewAccounts(1, 4242)[0]
	if _, errOut, code := n.q1(t, "wallet", "send", "--from", "default", stranger.Address.String(), "1QC"); code != 0 {
		t.Fatalf("fund the stranger: %s", errOut)
	}
	for _, a := range []*loadgen.Account{hot, stranger} {
		if err := lc.Sync(a); err != nil {
			t.Fatal(err)
		}
	}
	r := strings.NewReplacer(carol, "$CAROL", hot.Address.String(), "$HOT_CAROL", stranger.Address.String(), "$STRANGER", me, "$ME")
	x := execer{lc: lc}
	report := func(epoch uint64) *usagetypes.MsgUsageReport {
		return &usagetypes.MsgUsageReport{Sharer: carol, Epoch: epoch}
	}
	carolAddr := sdk.MustAccAddressFromBech32(carol)

	// Keys the sharer did not grant: the tx is admitted (CheckTx cannot run
	// authz) and its msg fails in the block.
	ep := epochNow(t, n)
	x.fails(t, "report-ungranted-key", r, x.exec(t, stranger, nil, report(max(ep.Number, 1)-1)))
	x.fails(t, "ack-ungranted-key", r, x.exec(t, stranger, nil, &sharerstypes.MsgAckLease{Sharer: me, LeaseId: meLease}))

	// The epoch under way cannot be reported yet. Start well inside it, so
	// it cannot end before the tx is in a block.
	waitFor(t, time.Minute, "an epoch with 15 blocks to go", func() bool {
		ep = epochNow(t, n)
		return ep.StartHeight+int64(ep.BlocksPerEpoch)-ep.Height >= 15
	})
	x.fails(t, "report-epoch-not-ended", r, x.exec(t, hot, carolAddr, report(ep.Number)))

	// An epoch more than report_window_epochs (3) behind is too old.
	waitFor(t, 3*time.Minute, "epoch 4", func() bool { ep = epochNow(t, n); return ep.Number >= 4 && ep.Number > registered })
	x.fails(t, "report-too-old", r, x.exec(t, hot, carolAddr, report(ep.Number-4)))

	// A report goes through once; a copy is refused in CheckTx, whether the
	// first still waits in the mempool or is committed.
	ended := ep.Number - 1
	first := x.exec(t, hot, carolAddr, report(ended))
	if first.Code != 0 {
		t.Fatalf("carol's report of epoch %d refused at CheckTx: %s", ended, first.Log)
	}
	copy1 := x.exec(t, hot, carolAddr, report(ended))
	if copy1.Code != usagetypes.ErrDuplicateReport.ABCICode() ||
		!(strings.Contains(copy1.Log, "is already waiting in the mempool") || strings.Contains(copy1.Log, "already reported epoch")) {
		t.Fatalf("a copy of a report in the mempool: code %d, log %q", copy1.Code, copy1.Log)
	}
	if code, log := x.committed(t, first); code != 0 {
		t.Fatalf("carol's report of epoch %d failed in the block: %s", ended, log)
	}
	copy2 := x.exec(t, hot, carolAddr, report(ended))
	if copy2.Code == 0 {
		t.Fatal("a copy of a committed report passed CheckTx")
	}
	goldenCheck(t, "sharers/report-duplicate", normalizeEpochs(copy2.Log)+"\n", r)
	st, err := nodeAPI(n.http).Sharer(bg(), carol)
	apiFatal(t, "GET /v1/sharers/"+carol, err)
	if st.LastReportedEpoch != ended {
		t.Fatalf("carol's last reported epoch is %d, want %d", st.LastReportedEpoch, ended)
	}
}

// execer signs and broadcasts authz MsgExec txs with a key held in memory,
// as a node's hot key sends its reports and acks.
type execer struct {
	lc *loadgen.Client
}

// execGas is the gas limit of one MsgExec carrying a report or an ack.
const execGas = 400_000

// exec sends msgs inside a MsgExec signed by signer (the grantee), its fee
// paid by feeGranter's allowance when set, and returns CheckTx's verdict.
func (x execer) exec(t *testing.T, signer *loadgen.Account, feeGranter sdk.AccAddress, msgs ...sdk.Msg) loadgen.Submitted {
	t.Helper()
	msg := authz.NewMsgExec(signer.Address, msgs)
	tx, err := txsign.Sign(x.lc.Context().TxConfig, signer.Key, txsign.Tx{
		ChainID:       "q1-local",
		AccountNumber: signer.Number,
		Sequence:      signer.Sequence,
		Gas:           execGas,
		Fee:           sdk.NewCoins(sdk.NewCoin(app.BondDenom, x.lc.Fee(execGas))),
		FeeGranter:    feeGranter,
		Msgs:          []sdk.Msg{&msg},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := x.lc.Broadcast(ctx, tx)
	if err != nil {
		t.Fatalf("broadcast: %v", err)
	}
	if res.Code == 0 {
		signer.Sequence++
	}
	return res
}

// committed waits for an admitted tx's block and returns its code and log.
func (x execer) committed(t *testing.T, s loadgen.Submitted) (uint32, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := x.lc.WaitCommitted(ctx, s.Hash)
	if err != nil {
		t.Fatal(err)
	}
	return res.TxResult.Code, res.TxResult.Log
}

// fails checks that a tx CheckTx admitted failed in its block, and compares
// the chain's log with testdata/cli/sharers/GOLDEN.golden.
func (x execer) fails(t *testing.T, golden string, r *strings.Replacer, s loadgen.Submitted) {
	t.Helper()
	if s.Code != 0 {
		t.Fatalf("%s: refused at CheckTx (code %d): %s", golden, s.Code, s.Log)
	}
	code, log := x.committed(t, s)
	if code == 0 {
		t.Fatalf("%s: the tx succeeded", golden)
	}
	goldenCheck(t, "sharers/"+golden, normalizeEpochs(log)+"\n", r)
}

// The epoch numbers in the chain's messages, which differ from run to run:
// in its words, and in the text of a msg authz failed to execute.
var (
	reEpochNumber = regexp.MustCompile(`\b(epoch|epochs|is|to) \d+\b`)
	reReportMsg   = regexp.MustCompile(`(message sharer:"[^"]*")( epoch:\d+)? :`)
)

func normalizeEpochs(s string) string {
	s = reReportMsg.ReplaceAllString(s, "$1 epoch:# :")
	return reEpochNumber.ReplaceAllString(s, "$1 #")
}

// epochNow is GET /v1/epoch.
func epochNow(t *testing.T, n *singleNode) q1client.Epoch {
	t.Helper()
	ep, err := nodeAPI(n.http).Epoch(bg())
	apiFatal(t, "GET /v1/epoch", err)
	return *ep
}
