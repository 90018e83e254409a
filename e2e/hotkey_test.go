package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	"github.com/cosmos/cosmos-sdk/x/authz"

	q1client "github.com/quantum1net/q1/client"
	"github.com/quantum1net/q1/client/hotkeyfile"
	"github.com/quantum1net/q1/internal/loadgen"
	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
	usagetypes "github.com/quantum1net/q1/x/usage/types"
)

// TestHotKeyOutOfGasRetried runs a node whose hot key asks, in the first
// attempt of every tx, for 0.9 of the simulated gas (q1 start's hidden
// --hot-key-first-gas): the lease acknowledgement runs out of gas in its
// block, as one did in the field with 1.3 times its simulated gas. The node
// must see that in the committed result, send the acknowledgement again
// with more gas, and keep the lease past its acknowledgement deadline; its
// usage reports, which meet the same fate at first, must reach the chain
// with the usage the node served.
func TestHotKeyOutOfGasRetried(t *testing.T) {
	n := startNodeWithSharerParams(t, func(p *sharerstypes.Params) {
		p.EpochBlocks = 20
		p.AckTimeoutBlocks = 50
	}, "--hot-key-first-gas", "0.9")
	t.Cleanup(func() {
		if t.Failed() {
			dumpComponentLines(t, n.sup.LogPath(0), "agent", "hotkey", "replicas")
		}
	})
	wasm := exampleWasm(t, "hello")
	me := strings.TrimSpace(first(runQ1(t, "keys", "show", "default", "-a", "--home", n.home)))
	if out, errOut, code := n.q1(t, registerArgs("default", endpointMe)...); code != 0 {
		t.Fatalf("sharer register: exit %d\n%s%s", code, out, errOut)
	}
	hk, err := hotkeyfile.Load(n.home)
	if err != nil || hk.Sharer != me {
		t.Fatalf("the hot key file: %+v, %v", hk, err)
	}
	if out, errOut, code := n.q1(t, "service", "deploy", "-f", "../examples/hello/service.yaml", "--wasm", wasm,
		"--from", "default", "--deposit", "100QC", "--force"); code != 0 {
		t.Fatalf("deploy hello: %s%s", out, errOut)
	}

	// The lease is acknowledged, in the end.
	var lease q1client.Lease
	waitFor(t, 5*time.Minute, "hello's lease acknowledged", func() bool {
		ls, err := nodeAPI(n.http).Leases(bg(), q1client.LeaseFilter{Service: "hello"})
		if err != nil || len(ls.Leases) != 1 {
			return false
		}
		lease = ls.Leases[0]
		return lease.Acked
	})

	// The chain holds the story: an acknowledgement of this lease that ran
	// out of gas in its block, then one that succeeded.
	lc, err := loadgen.NewClient(n.rpc, "q1-local")
	if err != nil {
		t.Fatal(err)
	}
	txs := hotKeyTxs(t, lc, hk.Address())
	acks := txs.carrying(func(m sdk.Msg) bool {
		a, ok := m.(*sharerstypes.MsgAckLease)
		return ok && a.LeaseId == lease.ID
	})
	t.Logf("acknowledgements of lease %d:\n%s", lease.ID, acks)
	if len(acks) < 2 || !acks[0].outOfGas() || acks[0].GasUsed <= acks[0].GasWanted || acks[len(acks)-1].Code != 0 {
		t.Fatalf("acknowledgements of lease %d on chain:\n%s\nwant one out of gas in its block (code 11, gas used above gas wanted), the last one code 0", lease.ID, acks)
	}
	for _, a := range acks[1 : len(acks)-1] {
		if !a.outOfGas() {
			t.Fatalf("acknowledgements of lease %d on chain:\n%s\nwant every one but the last out of gas", lease.ID, acks)
		}
	}
	if acks[len(acks)-1].GasWanted <= acks[0].GasWanted {
		t.Errorf("the successful acknowledgement asked for %d gas, no more than the one that ran out (%d)", acks[len(acks)-1].GasWanted, acks[0].GasWanted)
	}
	if acks[len(acks)-1].Height != lease.AckedHeight {
		t.Errorf("the chain acknowledged lease %d at height %d, but the successful tx is at height %d", lease.ID, lease.AckedHeight, acks[len(acks)-1].Height)
	}

	// The lease outlives its acknowledgement deadline: the chain did not
	// close it for want of an acknowledgement and place it again.
	waitFor(t, 3*time.Minute, fmt.Sprintf("height %d, past lease %d's deadline", lease.AckDeadline+2, lease.ID), func() bool {
		ls, err := nodeAPI(n.http).Leases(bg(), q1client.LeaseFilter{Service: "hello"})
		return err == nil && ls.Height > lease.AckDeadline+2
	})
	ls, err := nodeAPI(n.http).Leases(bg(), q1client.LeaseFilter{Service: "hello"})
	apiFatal(t, "GET /v1/leases?service=hello", err)
	if len(ls.Leases) != 1 || ls.Leases[0].ID != lease.ID || ls.Leases[0].Status != "open" || !ls.Leases[0].Acked {
		t.Fatalf("after the acknowledgement deadline, hello's leases are %+v; want lease %d, open and acknowledged", ls.Leases, lease.ID)
	}

	// Usage served through the gateway reaches the chain in a report, past
	// the out-of-gas first attempt too.
	gateway := n.sup.Net.Nodes[0].Gateway
	c := &http.Client{Timeout: 5 * time.Second}
	for i := range 5 {
		if code, body, _, err := call(c, gateway, "GET", "hello", "/", ""); err != nil || code != 200 {
			t.Fatalf("call %d to hello: %d %s %v", i, code, body, err)
		}
	}
	var reported hotTx
	waitFor(t, 5*time.Minute, "a committed report with hello's requests", func() bool {
		for _, tx := range hotKeyTxs(t, lc, hk.Address()) {
			for _, m := range tx.Msgs {
				if r, ok := m.(*usagetypes.MsgUsageReport); ok && tx.Code == 0 && len(r.Entries) > 0 && r.Entries[0].LeaseId == lease.ID && r.Entries[0].Requests > 0 {
					reported = tx
					return true
				}
			}
		}
		return false
	})
	reports := hotKeyTxs(t, lc, hk.Address()).carrying(func(m sdk.Msg) bool { _, ok := m.(*usagetypes.MsgUsageReport); return ok })
	t.Logf("usage reports:\n%s", reports)
	oog := 0
	for _, r := range reports {
		if r.outOfGas() {
			oog++
		}
	}
	if oog == 0 {
		t.Errorf("usage reports on chain:\n%s\nwant some out of gas at first", reports)
	}
	st := sharerStatus(t, n, me)
	if st.Status != "active" || st.LastReportedEpoch == 0 {
		t.Fatalf("sharer after report %s: status %s, last reported epoch %d", reported.Hash, st.Status, st.LastReportedEpoch)
	}
}

// hotTx is one committed tx of a hot key: its result and the msgs its
// MsgExec carried.
type hotTx struct {
	Hash               string
	Sequence           uint64
	Height             int64
	Codespace          string
	Code               uint32
	GasWanted, GasUsed int64
	Msgs               []sdk.Msg
}

func (h hotTx) outOfGas() bool {
	return h.Codespace == sdkerrors.RootCodespace && h.Code == sdkerrors.ErrOutOfGas.ABCICode()
}

func (h hotTx) String() string {
	names := make([]string, len(h.Msgs))
	for i, m := range h.Msgs {
		names[i] = sdk.MsgTypeURL(m)
	}
	return fmt.Sprintf("  seq %d, height %d, tx %s: codespace %q code %d, gas wanted %d used %d, %v",
		h.Sequence, h.Height, h.Hash, h.Codespace, h.Code, h.GasWanted, h.GasUsed, names)
}

type hotTxs []hotTx

func (hs hotTxs) String() string {
	lines := make([]string, len(hs))
	for i, h := range hs {
		lines[i] = h.String()
	}
	return strings.Join(lines, "\n")
}

// carrying returns the txs one of whose msgs matches.
func (hs hotTxs) carrying(match func(sdk.Msg) bool) hotTxs {
	var out hotTxs
	for _, h := range hs {
		for _, m := range h.Msgs {
			if match(m) {
				out = append(out, h)
				break
			}
		}
	}
	return out
}

// hotKeyTxs returns every committed tx of the hot key at addr, by
// sequence: each committed tx, failed or not, took one (its ante handler
// ran), and the chain indexes it under tx.acc_seq.
func hotKeyTxs(t *testing.T, lc *loadgen.Client, addr sdk.AccAddress) hotTxs {
	t.Helper()
	acc := &loadgen.Account{Address: addr}
	if err := lc.Sync(acc); err != nil {
		t.Fatal(err)
	}
	dec := lc.Context().TxConfig.TxDecoder()
	var out hotTxs
	for seq := range acc.Sequence {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		res, err := lc.RPC.TxSearch(ctx, fmt.Sprintf("tx.acc_seq='%s/%d'", addr, seq), false, nil, nil, "")
		cancel()
		if err != nil {
			t.Fatalf("search the hot key's tx of sequence %d: %v", seq, err)
		}
		if len(res.Txs) != 1 {
			t.Fatalf("the hot key's sequence %d: %d committed txs, want 1", seq, len(res.Txs))
		}
		r := res.Txs[0]
		tx, err := dec(r.Tx)
		if err != nil {
			t.Fatalf("decode the hot key's tx %X: %v", r.Hash, err)
		}
		h := hotTx{Hash: r.Hash.String(), Sequence: seq, Height: r.Height, Codespace: r.TxResult.Codespace, Code: r.TxResult.Code,
			GasWanted: r.TxResult.GasWanted, GasUsed: r.TxResult.GasUsed}
		for _, m := range tx.GetMsgs() {
			exec, ok := m.(*authz.MsgExec)
			if !ok {
				t.Fatalf("the hot key's tx %s carries %s, not a MsgExec", h.Hash, sdk.MsgTypeURL(m))
			}
			inner, err := exec.GetMessages()
			if err != nil {
				t.Fatalf("the hot key's tx %s: %v", h.Hash, err)
			}
			h.Msgs = append(h.Msgs, inner...)
		}
		out = append(out, h)
	}
	return out
}

// dumpComponentLines logs the lines of a node's log written by our
// components (slog's component=NAME), for a failed test: the chain's own
// lines drown them in the last lines harness_test.go prints.
func dumpComponentLines(t *testing.T, path string, components ...string) {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Logf("read %s: %v", path, err)
		return
	}
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		for _, c := range components {
			if strings.Contains(l, "component="+c) {
				lines = append(lines, l)
				break
			}
		}
	}
	if len(lines) > 200 {
		lines = lines[len(lines)-200:]
	}
	t.Logf("=== %s: lines of %v ===\n%s", path, components, strings.Join(lines, "\n"))
}
