package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/cosmos/cosmos-sdk/client"
)

// firstBlockWait bounds how long a command waits for a node that has not
// committed its first block yet.
const firstBlockWait = 2 * time.Minute

// checkNodeReady is checkNode, then waitFirstBlock: a command sent right
// after `q1 start` (or q1 init, or a new devnet) waits, showing progress,
// until the chain has a block its queries can read, instead of failing
// with the SDK's "please wait for first block: invalid height".
func checkNodeReady(ctx context.Context, c client.Context, w io.Writer) error {
	if err := checkNode(ctx, c); err != nil {
		return err
	}
	return waitFirstBlock(ctx, c, w, 250*time.Millisecond, firstBlockWait)
}

// waitFirstBlock returns once the node's application has committed a
// block, asking every poll, for at most limit.
func waitFirstBlock(ctx context.Context, c client.Context, w io.Writer, poll, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	var p *progress
	for {
		info, err := c.Client.ABCIInfo(ctx)
		if err != nil {
			return nodeError(c, err)
		}
		if info.Response.LastBlockHeight > 0 {
			if p != nil {
				p.done()
				fmt.Fprintln(w, "The node has committed its first block.")
			}
			return nil
		}
		if !time.Now().Before(deadline) {
			return fmt.Errorf("the node at %s has not committed its first block after %s: is the network's validator running "+
				"(with more than one, are two thirds of them up)? See q1 status --node %s", c.NodeURI, limit, c.NodeURI)
		}
		if p == nil {
			p = newProgress(w, "waiting for the node's first block (it has just started)")
		}
		select {
		case <-ctx.Done():
			p.done()
			return ctx.Err()
		case <-time.After(poll):
			p.tick()
		}
	}
}
