package bench

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cometbft/cometbft/mempool"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	rpctypes "github.com/cometbft/cometbft/rpc/jsonrpc/types"
)

func TestDriverAccounting(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	hash := func(s string) [32]byte { return sha256.Sum256([]byte(s)) }

	d := newDriver(nil, nil, 2, 3, 0)
	submit := func(name string, sender int, ms int) {
		slot := <-d.free[sender] // as runSender does before submitting
		d.track(hash(name), sender, slot, at(ms))
	}
	submit("before", 0, 0)
	d.openWindow(at(100))
	submit("in1", 0, 150)
	submit("in2", 1, 200)
	submit("lost", 1, 250)
	d.closeWindow(at(300))
	submit("after", 0, 350)

	steps := []struct {
		name      string
		do        func() bool
		wantMine  bool
		wantSlots [2]int
	}{
		{"a tx from before the window frees its slot", func() bool { return d.committedTx(hash("before"), at(400)) }, true, [2]int{2, 2}},
		{"a stranger's tx is not ours", func() bool { return d.committedTx(hash("other"), at(400)) }, false, [2]int{2, 2}},
		{"a tx of the window", func() bool { return d.committedTx(hash("in1"), at(650)) }, true, [2]int{1, 2}},
		{"another", func() bool { return d.committedTx(hash("in2"), at(1200)) }, true, [2]int{1, 1}},
		{"a tx after the window", func() bool { return d.committedTx(hash("after"), at(1400)) }, true, [2]int{0, 1}},
		{"giving up on a tx frees its slot", func() bool { d.untrack(hash("lost")); return true }, true, [2]int{0, 0}},
		{"a given-up tx that commits after all is still ours", func() bool { return d.committedTx(hash("lost"), at(2000)) }, true, [2]int{0, 0}},
		{"a tx seen twice frees its slot once", func() bool { return d.committedTx(hash("in1"), at(2000)) }, true, [2]int{0, 0}},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if got := s.do(); got != s.wantMine {
				t.Errorf("mine = %v, want %v", got, s.wantMine)
			}
			if got := [2]int{3 - len(d.free[0]), 3 - len(d.free[1])}; got != s.wantSlots {
				t.Errorf("slots in use = %v, want %v", got, s.wantSlots)
			}
		})
	}

	lat, _, _ := d.results()
	want := []time.Duration{500 * time.Millisecond, 1000 * time.Millisecond}
	if fmt.Sprint(lat) != fmt.Sprint(want) {
		t.Errorf("latencies = %v, want %v (only txs submitted in the window)", lat, want)
	}
	if n := d.committed.Load(); n != 4 {
		t.Errorf("committed = %d, want 4", n)
	}
	if n := d.inFlight(); n != 0 {
		t.Errorf("in flight = %d, want 0", n)
	}
}

func TestDriverPace(t *testing.T) {
	t.Run("no cap never waits", func(t *testing.T) {
		d := newDriver(nil, nil, 1, 1, 0)
		d.start = time.Now().Add(time.Hour)
		if !d.pace(context.Background()) {
			t.Error("pace = false, want true")
		}
	})
	t.Run("a stopped run stops waiting", func(t *testing.T) {
		d := newDriver(nil, nil, 1, 1, 0.001) // one tx per 1000s
		d.start = time.Now()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if d.pace(ctx) {
			t.Error("pace = true after the context ended, want false")
		}
	})
	t.Run("a tx whose turn has passed goes at once", func(t *testing.T) {
		d := newDriver(nil, nil, 1, 1, 10)
		d.start = time.Now().Add(-time.Hour)
		if !d.pace(context.Background()) {
			t.Error("pace = false, want true")
		}
	})
}

func TestRefusalReason(t *testing.T) {
	// CometBFT's JSON-RPC answers a mempool refusal as an internal error
	// whose data is the mempool error's text.
	rpcErr := func(data string) error {
		return &rpctypes.RPCError{Code: -32603, Message: "Internal error", Data: data}
	}
	tests := []struct {
		err  error
		want string
	}{
		{rpcErr(mempool.ErrMempoolIsFull{NumTxs: 20000, MaxTxs: 20000}.Error()), "mempool full"},
		{rpcErr(mempool.ErrMempoolIsFull{NumTxs: 3, MaxTxs: 20000, RecheckFull: true}.Error()), "mempool full"},
		{fmt.Errorf("post failed: %w", &url.Error{Op: "Post", URL: "http://n", Err: context.DeadlineExceeded}), "rpc timeout"},
		{errors.New("connection refused"), "rpc error"},
		{errors.New("context deadline exceeded"), "rpc error"}, // text alone says nothing
		{rpcErr(mempool.ErrTxInCache.Error()), "rpc error"},    // not a refusal: submit counts it taken
	}
	for _, tt := range tests {
		t.Run(tt.want+": "+tt.err.Error(), func(t *testing.T) {
			if got := refusalReason(tt.err, broadcastRefusal(tt.err, []byte("tx"))); got != tt.want {
				t.Errorf("refusalReason = %q, want %q", got, tt.want)
			}
		})
	}
}

// rpcNode is a CometBFT JSON-RPC endpoint whose broadcast_tx_sync answers
// with answers[i] on the i-th call (the last one after that): an error's
// data, or "" for a tx taken.
func rpcNode(t *testing.T, answers ...string) *rpchttp.HTTP {
	t.Helper()
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			ID json.RawMessage `json:"id"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			t.Error(err)
		}
		a := answers[min(int(calls.Add(1))-1, len(answers)-1)]
		resp := map[string]any{"jsonrpc": "2.0", "id": req.ID}
		if a == "" {
			resp["result"] = map[string]any{"code": 0, "data": "", "log": "", "codespace": "", "hash": "00"}
		} else {
			resp["error"] = map[string]any{"code": -32603, "message": "Internal error", "data": a}
		}
		_ = json.NewEncoder(w).Encode(resp)
	}))
	t.Cleanup(srv.Close)
	node, err := rpchttp.New(srv.URL, "/websocket")
	if err != nil {
		t.Fatal(err)
	}
	return node
}

// TestSubmitReadsCometRefusals: through CometBFT's real RPC client, a tx
// the node already has in its cache counts as taken, and a full mempool is
// a refusal tried again, each told by the SDK code it stands for.
func TestSubmitReadsCometRefusals(t *testing.T) {
	t.Run("already in the cache", func(t *testing.T) {
		d := newDriver(nil, nil, 1, 1, 0)
		node := rpcNode(t, mempool.ErrTxInCache.Error())
		if err := d.submit(context.Background(), node, 0, <-d.free[0], []byte("tx")); err != nil {
			t.Fatal(err)
		}
		if d.submitted.Load() != 1 || len(d.refusals) != 0 {
			t.Errorf("submitted %d, refusals %v; want 1 and none", d.submitted.Load(), d.refusals)
		}
	})
	t.Run("mempool full, then taken", func(t *testing.T) {
		d := newDriver(nil, nil, 1, 1, 0)
		full := mempool.ErrMempoolIsFull{NumTxs: 5000, MaxTxs: 5000}.Error()
		node := rpcNode(t, full, full, "")
		if err := d.submit(context.Background(), node, 0, <-d.free[0], []byte("tx")); err != nil {
			t.Fatal(err)
		}
		if d.submitted.Load() != 1 || d.refusals["mempool full"] != 2 || len(d.refusals) != 1 {
			t.Errorf("submitted %d, refusals %v; want 1 and 2 × mempool full", d.submitted.Load(), d.refusals)
		}
	})
}
