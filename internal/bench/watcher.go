package bench

import (
	"context"
	"crypto/sha256"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
)

// pollInterval is how often the watcher asks for the next block. It bounds
// how late a commit is noticed, so it adds at most this much to a latency.
const pollInterval = 10 * time.Millisecond

// stallTimeout is how long the chain may go without a new block before the
// run is abandoned.
const stallTimeout = time.Minute

// watcher follows one node's committed blocks by polling /block for the
// next height, and tells the driver which of its txs each block holds. It
// reads only blocks while the load runs; results (/block_results, with
// their events) are read afterwards, so that encoding them does not take
// the node's CPU during the measurement.
type watcher struct {
	rpc  *rpchttp.HTTP
	onTx func(hash [32]byte, at time.Time) bool

	mu     sync.Mutex
	blocks map[int64]Block
	mine   map[int64][]bool // by height: which of the block's txs were the driver's
	latest atomic.Int64
}

func newWatcher(rpc *rpchttp.HTTP, onTx func([32]byte, time.Time) bool) *watcher {
	return &watcher{rpc: rpc, onTx: onTx, blocks: map[int64]Block{}, mine: map[int64][]bool{}}
}

// run follows blocks from height `from` until ctx ends.
func (w *watcher) run(ctx context.Context, from int64) error {
	next := from
	lastNew := time.Now()
	for {
		res, err := w.rpc.Block(ctx, &next)
		if ctx.Err() != nil {
			return nil //nolint:nilerr // err is the cancellation's; stopping is not a failure
		}
		if err != nil {
			// Most often: the height is not committed yet.
			if time.Since(lastNew) > stallTimeout {
				return fmt.Errorf("node %s committed no block %d within %s: %w", w.rpc.Remote(), next, stallTimeout, err)
			}
			select {
			case <-time.After(pollInterval):
				continue
			case <-ctx.Done():
				return nil
			}
		}
		at := time.Now()
		lastNew = at
		txs := res.Block.Txs
		mine := make([]bool, len(txs))
		for i, tx := range txs {
			mine[i] = w.onTx(sha256.Sum256(tx), at)
		}
		b := Block{Height: next, Time: res.Block.Time, Txs: len(txs), OK: -1}
		w.mu.Lock()
		w.blocks[next] = b
		w.mine[next] = mine
		w.mu.Unlock()
		w.latest.Store(next)
		next++
	}
}

// readResults reads the results of blocks from+1 … to and counts, in each,
// the driver's txs that succeeded and failed.
func (w *watcher) readResults(ctx context.Context, from, to int64) error {
	for h := from + 1; h <= to; h++ {
		res, err := w.rpc.BlockResults(ctx, &h)
		if err != nil {
			return fmt.Errorf("read the results of block %d from %s: %w", h, w.rpc.Remote(), err)
		}
		w.mu.Lock()
		b, mine := w.blocks[h], w.mine[h]
		w.mu.Unlock()
		if len(res.TxsResults) != len(mine) {
			return fmt.Errorf("block %d holds %d txs but has %d results", h, len(mine), len(res.TxsResults))
		}
		b.OK, b.Failed = 0, 0
		for i, r := range res.TxsResults {
			switch {
			case !mine[i]:
			case r.Code == 0:
				b.OK++
			default:
				b.Failed++
			}
		}
		w.mu.Lock()
		w.blocks[h] = b
		w.mu.Unlock()
	}
	return nil
}

// snapshot returns every block seen so far.
func (w *watcher) snapshot() []Block {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]Block, 0, len(w.blocks))
	for _, b := range w.blocks {
		out = append(out, b)
	}
	return out
}
