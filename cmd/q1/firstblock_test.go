package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"
	"github.com/cosmos/cosmos-sdk/client"
)

// heightsNode answers ABCIInfo with the next of its heights, then the last
// one forever. Other methods are not used (and would panic).
type heightsNode struct {
	client.CometRPC
	heights []int64
	calls   int
}

func (n *heightsNode) ABCIInfo(context.Context) (*coretypes.ResultABCIInfo, error) {
	h := n.heights[min(n.calls, len(n.heights)-1)]
	n.calls++
	return &coretypes.ResultABCIInfo{Response: abci.ResponseInfo{LastBlockHeight: h}}, nil
}

func TestWaitFirstBlock(t *testing.T) {
	node := &heightsNode{heights: []int64{0, 0, 0, 1}}
	c := client.Context{}.WithClient(node).WithNodeURI("tcp://127.0.0.1:26657")
	var out strings.Builder
	if err := waitFirstBlock(context.Background(), c, &out, time.Millisecond, time.Hour); err != nil {
		t.Fatal(err)
	}
	if node.calls != 4 || out.String() != "waiting for the node's first block (it has just started)…\nThe node has committed its first block.\n" {
		t.Fatalf("%d calls; output %q", node.calls, out.String())
	}

	// A node with blocks: no wait, no output.
	node = &heightsNode{heights: []int64{7}}
	out.Reset()
	if err := waitFirstBlock(context.Background(), c.WithClient(node), &out, time.Millisecond, time.Hour); err != nil || node.calls != 1 || out.Len() != 0 {
		t.Fatalf("err %v, %d calls, output %q", err, node.calls, out.String())
	}

	// A node that never gets there: a bounded wait and an explanation.
	node = &heightsNode{heights: []int64{0}}
	err := waitFirstBlock(context.Background(), c.WithClient(node), &out, time.Millisecond, 0)
	want := "the node at tcp://127.0.0.1:26657 has not committed its first block after 0s: is the network's validator running (with more than one, are two thirds of them up)? See q1 status --node tcp://127.0.0.1:26657"
	if err == nil || err.Error() != want {
		t.Fatalf("err %v, want %q", err, want)
	}
}

// fakeFreshNode is a CometBFT RPC endpoint of a node that has just started:
// it answers status, and abci_info with height 0 for its first zeros
// calls, then 1; any other method (the query itself) fails.
type fakeFreshNode struct {
	mu    sync.Mutex
	zeros int
	infos int
}

func (n *fakeFreshNode) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ID     json.RawMessage `json:"id"`
		Method string          `json:"method"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	result := `null`
	errJSON := ``
	switch req.Method {
	case "status":
		result = `{"node_info":{"network":"q1-fresh","protocol_version":{"p2p":"8","block":"11","app":"0"}},"sync_info":{"latest_block_height":"0"},"validator_info":{}}`
	case "abci_info":
		n.mu.Lock()
		h := "0"
		if n.infos >= n.zeros {
			h = "1"
		}
		n.infos++
		n.mu.Unlock()
		result = `{"response":{"last_block_height":"` + h + `"}}`
	default:
		errJSON = `,"error":{"code":-32603,"message":"not in this fake","data":"` + req.Method + `"}`
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"result":%s%s}`, req.ID, result, errJSON)
}

// TestQueriesWaitForFirstBlock: a query, a deploy's checks and a balance
// sent to a node without a block yet wait for its first block (saying so)
// instead of failing with "please wait for first block".
func TestQueriesWaitForFirstBlock(t *testing.T) {
	dir := t.TempDir()
	manifestPath := filepath.Join(dir, "service.yaml")
	if err := os.WriteFile(manifestPath, []byte("apiVersion: q1/v1\nname: tiny\nresources: {memory: 32Mi}\n"+
		"pricing: {cpuPerCoreSecond: 500uqc, memoryPerMiBHour: 1000uqc, storagePerGiBHour: 50uqc, per1kRequests: 1000uqc, egressPerGiB: 5000uqc}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"service", "status", "hello"},
		{"service", "placement", "hello"},
		{"wallet", "balance", "q11qyqszqgpqyqszqgpqyqszqgpqyqszqgpjtw6m7"},
		{"service", "deploy", "-f", manifestPath, "--dry-run"},
		{"service", "logs", "hello"},
	} {
		t.Run(strings.Join(args[:2], " "), func(t *testing.T) {
			node := &fakeFreshNode{zeros: 2}
			srv := httptest.NewServer(node)
			defer srv.Close()
			_, errOut, code := runCLI(t, append(args, "--node", srv.URL, "--home", t.TempDir())...)
			node.mu.Lock()
			infos := node.infos
			node.mu.Unlock()
			// The query after the wait fails: the fake answers nothing else.
			if code == 0 || infos < 3 || !strings.Contains(errOut, "waiting for the node's first block (it has just started)") ||
				!strings.Contains(errOut, "The node has committed its first block.") || strings.Contains(errOut, "please wait for first block") {
				t.Fatalf("q1 %s: exit %d, %d abci_info calls, stderr:\n%s", strings.Join(args, " "), code, infos, errOut)
			}
		})
	}
}
