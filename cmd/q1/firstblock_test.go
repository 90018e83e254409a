package main

import (
	"context"
	"strings"
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
