package chainquery

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	abci "github.com/cometbft/cometbft/abci/types"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"
	sdk "github.com/cosmos/cosmos-sdk/types"

	q1client "github.com/quantum1net/q1/client"
)

// maxBlocks bounds one GET /v1/blocks.
const maxBlocks = 100

// Blocks returns the latest n blocks, newest first.
func (c *Chain) Blocks(ctx context.Context, n int) (*q1client.Blocks, error) {
	if n <= 0 || n > maxBlocks {
		return nil, fmt.Errorf("%w: limit must be between 1 and %d, got %d", q1client.ErrBadRequest, maxBlocks, n)
	}
	top, err := c.LatestHeight(ctx)
	if err != nil {
		return nil, err
	}
	out := &q1client.Blocks{Height: top, Blocks: []q1client.Block{}}
	if top == 0 {
		return out, nil
	}
	min := max(1, top-int64(n)+1)
	info, err := c.ctx.Client.BlockchainInfo(ctx, min, top)
	if err != nil {
		return nil, fmt.Errorf("read blocks %d–%d: %w", min, top, err)
	}
	for _, m := range info.BlockMetas {
		b := q1client.Block{
			Height:    m.Header.Height,
			Time:      m.Header.Time.UTC(),
			Hash:      m.BlockID.Hash.String(),
			AppHash:   m.Header.AppHash.String(),
			Proposer:  sdk.ConsAddress(m.Header.ProposerAddress).String(),
			NumTxs:    m.NumTxs,
			SizeBytes: m.BlockSize,
			TxHashes:  []string{},
		}
		if m.NumTxs > 0 {
			h := m.Header.Height
			blk, err := c.ctx.Client.Block(ctx, &h)
			if err == nil {
				for _, tx := range blk.Block.Txs {
					b.TxHashes = append(b.TxHashes, txHash(tx))
				}
			}
		}
		out.Blocks = append(out.Blocks, b)
	}
	return out, nil
}

// Block returns one block with its txs and block events.
func (c *Chain) Block(ctx context.Context, height int64) (*q1client.BlockDetail, error) {
	top, err := c.LatestHeight(ctx)
	if err != nil {
		return nil, err
	}
	if height < 1 || height > top {
		return nil, fmt.Errorf("%w: no block %d (the chain is at %d)", q1client.ErrNotFound, height, top)
	}
	blk, err := c.ctx.Client.Block(ctx, &height)
	if err != nil {
		return nil, fmt.Errorf("read block %d: %w", height, err)
	}
	res, err := c.ctx.Client.BlockResults(ctx, &height)
	if err != nil {
		return nil, fmt.Errorf("read block %d results: %w", height, err)
	}
	out := &q1client.BlockDetail{
		Block:  blockSummary(blk),
		Txs:    []q1client.Tx{},
		Events: events(res.FinalizeBlockEvents),
	}
	for _, raw := range blk.Block.Txs {
		tx, err := c.Tx(ctx, txHash(raw))
		if err != nil {
			return nil, err
		}
		out.Txs = append(out.Txs, *tx)
	}
	return out, nil
}

func blockSummary(b *coretypes.ResultBlock) q1client.Block {
	out := q1client.Block{
		Height:   b.Block.Height,
		Time:     b.Block.Time.UTC(),
		Hash:     b.BlockID.Hash.String(),
		AppHash:  b.Block.AppHash.String(),
		Proposer: sdk.ConsAddress(b.Block.ProposerAddress).String(),
		NumTxs:   len(b.Block.Txs),
		TxHashes: []string{},
	}
	for _, tx := range b.Block.Txs {
		out.TxHashes = append(out.TxHashes, txHash(tx))
	}
	return out
}

func txHash(tx []byte) string {
	sum := sha256.Sum256(tx)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

func events(evs []abci.Event) []q1client.Event {
	out := []q1client.Event{}
	for _, ev := range evs {
		e := q1client.Event{Type: ev.Type, Attributes: []q1client.Attribute{}}
		for _, a := range ev.Attributes {
			e.Attributes = append(e.Attributes, q1client.Attribute{Key: a.Key, Value: a.Value})
		}
		out = append(out, e)
	}
	return out
}
