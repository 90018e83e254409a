package node

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	goruntime "runtime"
	"sync"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/p2p"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"
	"github.com/cosmos/cosmos-sdk/client"
)

// chainAt is a CometBFT RPC client that only knows its height: enough for
// a node that is no sharer yet, whose agent only follows heights.
type chainAt struct {
	client.CometRPC // nil: any other call panics
	height          int64
}

func (c chainAt) ABCIInfo(context.Context) (*coretypes.ResultABCIInfo, error) {
	return &coretypes.ResultABCIInfo{Response: abci.ResponseInfo{LastBlockHeight: c.height}}, nil
}

// listening collects the addresses the node logs it listens on.
type listening struct {
	slog.Handler
	mu    *sync.Mutex
	addrs map[string]string
}

func (l listening) Handle(ctx context.Context, r slog.Record) error {
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "addr" {
			l.mu.Lock()
			l.addrs[r.Message] = a.Value.String()
			l.mu.Unlock()
		}
		return true
	})
	return nil
}

func (l listening) Enabled(context.Context, slog.Level) bool { return true }
func (l listening) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l listening) WithGroup(string) slog.Handler            { return l }

func (l listening) addr(msg string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.addrs[msg]
}

const testGenesis = `{"app_name":"q1","app_version":"","genesis_time":"2026-01-01T00:00:00Z","chain_id":"q1-test","initial_height":1,
"app_hash":null,"app_state":{"bank":{"supply":[{"denom":"uqc","amount":"1000"}],"balances":[]}},"consensus":{"params":null}}`

// TestRunStopsEverything starts a node's parts, serves a request on each
// listener, cancels, and checks that Run returns and that every goroutine
// it started has ended.
func TestRunStopsEverything(t *testing.T) {
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, "config"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := p2p.LoadOrGenNodeKey(filepath.Join(home, "config", "node_key.json")); err != nil { // as q1 init makes it
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, "config", "genesis.json"), []byte(testGenesis), 0o644); err != nil {
		t.Fatal(err)
	}
	before := goruntime.NumGoroutine()

	logs := listening{Handler: slog.DiscardHandler, mu: &sync.Mutex{}, addrs: map[string]string{}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	cfg := Config{Home: home, P2P: cmtcfg.DefaultP2PConfig(), HTTPAddr: "127.0.0.1:0", GatewayAddr: "127.0.0.1:0"}
	go func() {
		done <- Run(ctx, cfg, client.Context{}.WithClient(chainAt{height: 5}).WithChainID("q1-test"), slog.New(logs))
	}()

	transport := &http.Transport{}
	hc := &http.Client{Transport: transport}
	for _, tc := range []struct{ listener, path string }{
		{"HTTP API listening", "/metrics"},
		{"gateway listening", "/_q1/v1/replicas"},
	} {
		eventually(t, tc.listener, func() bool {
			select {
			case err := <-done:
				t.Fatalf("Run returned before serving: %v", err)
			default:
			}
			return logs.addr(tc.listener) != ""
		})
		resp, err := hc.Get("http://" + logs.addr(tc.listener) + tc.path)
		if err != nil {
			t.Fatalf("GET %s: %v", tc.path, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s", tc.path, resp.Status)
		}
	}
	transport.CloseIdleConnections()

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("Run did not return within 2 minutes of its context ending")
	}
	deadline := time.Now().Add(time.Minute)
	for goruntime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines before Run, %d after it returned:\n%s",
				before, goruntime.NumGoroutine(), buf[:goruntime.Stack(buf, true)])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
