package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"time"

	coretypes "github.com/cometbft/cometbft/rpc/core/types"
	"github.com/cosmos/cosmos-sdk/client"
)

// waitForTx polls the node until the tx with hash is in a block.
func waitForTx(ctx context.Context, c client.Context, stderr io.Writer, hash string, wait time.Duration) (*coretypes.ResultTx, error) {
	raw, err := hex.DecodeString(hash)
	if err != nil {
		return nil, err
	}
	progress := newProgress(stderr, fmt.Sprintf("tx %s broadcast; waiting for it to be committed", shortHash(hash)))
	defer progress.done()
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	// Search by hash rather than Tx(hash): a tx not committed yet is an
	// empty result, not an error to tell apart by its text.
	query := fmt.Sprintf("tx.hash='%X'", raw)
	for {
		res, err := c.Client.TxSearch(ctx, query, false, nil, nil, "")
		switch {
		case err == nil && len(res.Txs) > 0:
			return res.Txs[0], nil
		case err != nil && ctx.Err() == nil:
			// The node may be restarting; keep asking until the deadline.
			progress.note("node: " + err.Error())
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("tx %s was broadcast but not committed within %s; check later with: q1 query tx %s", hash, wait, hash)
		case <-tick.C:
			progress.tick()
		}
	}
}

func shortHash(h string) string {
	if len(h) > 12 {
		return h[:12] + "…"
	}
	return h
}
