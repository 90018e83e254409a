package bench

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"

	"github.com/quantum1net/q1/internal/devnet"
)

func TestEditCometConfig(t *testing.T) {
	newHome := func(t *testing.T) string {
		home := t.TempDir()
		if err := os.MkdirAll(filepath.Join(home, "config"), 0o755); err != nil {
			t.Fatal(err)
		}
		cmtcfg.WriteConfigFile(filepath.Join(home, "config", "config.toml"), cmtcfg.DefaultConfig())
		return home
	}
	t.Run("changes the named settings and keeps the rest", func(t *testing.T) {
		home := newHome(t)
		err := editCometConfig(home, []Setting{
			{Key: "mempool.recheck", Value: "false"},
			{Key: "consensus.timeout_commit", Value: "50ms"},
			{Key: "tx_index.indexer", Value: "null"},
		})
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := loadCometConfig(home)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Mempool.Recheck || cfg.Consensus.TimeoutCommit != 50*time.Millisecond || cfg.TxIndex.Indexer != "null" {
			t.Errorf("recheck %v, timeout_commit %s, indexer %q; want false, 50ms, null",
				cfg.Mempool.Recheck, cfg.Consensus.TimeoutCommit, cfg.TxIndex.Indexer)
		}
		if cfg.Mempool.Size != cmtcfg.DefaultMempoolConfig().Size {
			t.Errorf("mempool size %d changed", cfg.Mempool.Size)
		}
	})
	t.Run("an unknown key names the file and an example", func(t *testing.T) {
		home := newHome(t)
		err := editCometConfig(home, []Setting{{Key: "mempool.rechek", Value: "false"}})
		want := `has no setting "mempool.rechek": use a key of CometBFT's config.toml, such as mempool.recheck`
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "config.toml") {
			t.Fatalf("err = %v, want it to contain %q", err, want)
		}
	})
	t.Run("an invalid value is refused", func(t *testing.T) {
		home := newHome(t)
		err := editCometConfig(home, []Setting{{Key: "mempool.size", Value: "-5"}})
		if err == nil || !strings.Contains(err.Error(), "settings make") {
			t.Fatalf("err = %v, want the settings refused", err)
		}
	})
}

// TestKVStoreNodeUnderLoad runs a one-node kvstore network in-process and
// drives it as the benchmark does: every tx the driver submits is seen
// committed by the watcher, and the window's results count them.
func TestKVStoreNodeUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a CometBFT node")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ports, err := freePorts(5)
	if err != nil {
		t.Fatal(err)
	}
	net, err := devnet.Generate(ctx, devnet.Options{
		ChainID: chainID,
		Homes:   []string{filepath.Join(nodeTempDir(t), "node0")},
		Ports: func(int) devnet.Ports {
			return devnet.Ports{RPC: ports[0], P2P: ports[1], GRPC: ports[2], HTTP: ports[3], Gateway: ports[4]}
		},
		BlockTime: 50 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := writeKVStoreGenesis(net); err != nil {
		t.Fatal(err)
	}
	nodeCtx, stopNode := context.WithCancel(ctx)
	nodeDone := make(chan error, 1)
	logf, err := os.Create(filepath.Join(net.Nodes[0].Home, "node.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	go func() { nodeDone <- RunKVStoreNode(nodeCtx, net.Nodes[0].Home, logf) }()
	defer func() {
		stopNode()
		if err := <-nodeDone; err != nil {
			t.Errorf("kvstore node: %v", err)
		}
	}()

	start := waitHeight(ctx, t, net.Nodes[0], 2)
	clients, err := rpcClients(net, 2)
	if err != nil {
		t.Fatal(err)
	}
	d := newDriver(clients, newKVWorkload(2, 300), 2, 4, 0)
	w := newWatcher(clients[0], d.committedTx)
	loadCtx, stopLoad := context.WithCancel(ctx)
	watchCtx, stopWatch := context.WithCancel(ctx)
	loadDone, watchDone := make(chan error, 1), make(chan error, 1)
	go func() { watchDone <- w.run(watchCtx, start) }()
	d.openWindow(time.Now())
	go func() { loadDone <- d.run(loadCtx) }()

	const want = 40
	for d.committed.Load() < want {
		if err := sleep(ctx, 20*time.Millisecond); err != nil {
			t.Fatalf("%d of %d txs committed: %v", d.committed.Load(), want, err)
		}
	}
	d.closeWindow(time.Now())
	stopLoad()
	if err := <-loadDone; err != nil {
		t.Fatalf("driver: %v", err)
	}
	for d.inFlight() > 0 {
		if err := sleep(ctx, 20*time.Millisecond); err != nil {
			t.Fatalf("%d txs still in flight: %v", d.inFlight(), err)
		}
	}
	// The watcher stops before the window's last block is read, so every
	// block it counts below is one whose txs the driver has been told of.
	stopWatch()
	if err := <-watchDone; err != nil {
		t.Fatalf("watcher: %v", err)
	}
	to := w.latest.Load()
	if err := w.readResults(ctx, start, to); err != nil {
		t.Fatal(err)
	}
	tp, err := MeasureThroughput(w.snapshot(), start, to)
	if err != nil {
		t.Fatal(err)
	}
	// A tx in flight when the load stopped is untracked (whether the node
	// took it is unknown) and may still commit: the driver counts it late.
	committed, late, unmeasured := d.committed.Load(), d.late.Load(), d.unmeasured.Load()
	if tp.OK != int(committed+late) || tp.Failed != 0 || tp.Txs != tp.OK {
		t.Errorf("window counts %d ok, %d failed of %d txs; the driver saw %d committed and %d late",
			tp.OK, tp.Failed, tp.Txs, committed, late)
	}
	lat, refusals, _ := d.results()
	if len(lat) != int(committed-unmeasured) {
		t.Errorf("%d latencies for %d awaited txs committed (%d of them submitted after the window closed)",
			len(lat), committed, unmeasured)
	}
	if len(refusals) > 0 {
		t.Errorf("refusals: %v", refusals)
	}
}

// waitHeight polls n until it reports at least h, and returns its height.
func waitHeight(ctx context.Context, t *testing.T, n devnet.Node, h int64) int64 {
	t.Helper()
	for {
		got, err := devnet.Height(ctx, n)
		if err == nil && got >= h {
			return got
		}
		if serr := sleep(ctx, 50*time.Millisecond); serr != nil {
			t.Fatalf("node %s did not reach height %d: %v (last answer: height %d, error %v)", n.Name, h, serr, got, err)
		}
	}
}

// nodeTempDir is t.TempDir for a directory a CometBFT node wrote to: its
// address book may still be saved (a temporary file, then a rename) while
// the test's cleanup removes the tree, which t.TempDir reports as a failure.
// This one retries the removal until it succeeds.
func nodeTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "q1-kvnode-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		deadline := time.Now().Add(30 * time.Second)
		for {
			err := os.RemoveAll(dir)
			if err == nil {
				return
			}
			if time.Now().After(deadline) {
				t.Errorf("remove %s: %v", dir, err)
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
	return dir
}
