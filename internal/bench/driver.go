package bench

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	errorsmod "cosmossdk.io/errors"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	"github.com/cosmos/cosmos-sdk/client"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	"golang.org/x/sync/errgroup"
)

// driver runs the senders: each keeps at most `depth` of its txs submitted
// but not yet committed (a closed loop), optionally paced so that all
// senders together submit no more than `rate` txs per second. Sender i
// talks to node i mod len(nodes) over CometBFT's RPC (broadcast_tx_sync).
//
// Each of a sender's `depth` in-flight places is a slot with a number
// (0 … depth-1) that the workload may tie to an account: a slot is taken
// for a tx and given back when the tx is seen committed, so a slot never
// has two txs in flight.
type driver struct {
	nodes []*rpchttp.HTTP
	work  workload
	depth int
	rate  float64

	free []chan int // per sender: the slots not in use

	mu        sync.Mutex
	pending   map[[32]byte]pendingTx // submitted, not yet seen committed
	known     map[[32]byte]struct{}  // every tx ever submitted
	winStart  time.Time
	winEnd    time.Time
	latencies []time.Duration
	refusals  map[string]int
	examples  map[string]string // reason → first message

	start     time.Time
	paced     atomic.Int64
	submitted atomic.Int64
	committed atomic.Int64 // awaited txs seen committed
	// late counts the driver's txs seen committed after it stopped
	// awaiting them (untracked while stopping: whether the node took the
	// tx was unknown); unmeasured counts awaited txs committed that were
	// submitted outside the measurement window, so have no latency.
	late       atomic.Int64
	unmeasured atomic.Int64
}

type pendingTx struct {
	sender, slot int
	submitted    time.Time
}

// maxSubmitAttempts bounds how often one tx is resubmitted after a
// retryable refusal (mempool full, RPC error) before the run gives up.
const maxSubmitAttempts = 200

func newDriver(nodes []*rpchttp.HTTP, work workload, senders, depth int, rate float64) *driver {
	d := &driver{
		nodes:    nodes,
		work:     work,
		depth:    depth,
		rate:     rate,
		free:     make([]chan int, senders),
		pending:  make(map[[32]byte]pendingTx),
		known:    make(map[[32]byte]struct{}),
		refusals: make(map[string]int),
		examples: make(map[string]string),
	}
	for i := range d.free {
		d.free[i] = make(chan int, depth)
		for slot := range depth {
			d.free[i] <- slot
		}
	}
	return d
}

// run submits until ctx ends; it returns the first sender's fatal error.
func (d *driver) run(ctx context.Context) error {
	d.start = time.Now()
	g, ctx := errgroup.WithContext(ctx)
	for i := range d.free {
		g.Go(func() error { return d.runSender(ctx, i) })
	}
	return g.Wait()
}

func (d *driver) runSender(ctx context.Context, i int) error {
	node := d.nodes[i%len(d.nodes)]
	for {
		var slot int
		select {
		case slot = <-d.free[i]:
		case <-ctx.Done():
			return nil
		}
		if !d.pace(ctx) {
			return nil
		}
		tx, err := d.work.next(i, slot)
		if err != nil {
			return fmt.Errorf("sender %d: %w", i, err)
		}
		if err := d.submit(ctx, node, i, slot, tx); err != nil {
			return err
		}
	}
}

// pace waits for this tx's turn under the rate cap; false if ctx ended.
func (d *driver) pace(ctx context.Context) bool {
	if d.rate <= 0 {
		return ctx.Err() == nil
	}
	k := d.paced.Add(1)
	due := d.start.Add(time.Duration(float64(k) / d.rate * float64(time.Second)))
	wait := time.Until(due)
	if wait <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// submit broadcasts tx until the node's mempool takes it. The tx is tracked
// from before the first attempt, so its latency counts the retries and a
// commit seen before the RPC answers is not missed.
func (d *driver) submit(ctx context.Context, node *rpchttp.HTTP, sender, slot int, tx []byte) error {
	hash := sha256.Sum256(tx)
	d.track(hash, sender, slot, time.Now())
	for attempt := 1; ; attempt++ {
		callCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
		res, err := node.BroadcastTxSync(callCtx, tx)
		cancel()
		refused := broadcastRefusal(err, tx)
		if ctx.Err() != nil {
			// Stopping: whether the node took it is unknown; stop tracking.
			d.untrack(hash)
			return nil //nolint:nilerr // err is the cancellation's; stopping is not a failure
		}
		switch {
		case err == nil && res.Code == 0:
			d.submitted.Add(1)
			return nil
		case err == nil && !isSequenceMismatch(res.Codespace, res.Code):
			d.untrack(hash)
			return fmt.Errorf("sender %d: node %s refused tx %X with code %d (%s): %s",
				sender, node.Remote(), hash, res.Code, res.Codespace, res.Log)
		case err == nil:
			// An earlier tx of this sender that the node has (its
			// broadcast answered "already in cache" on a retry) is not
			// checked yet; this one overtook it. Wait for it.
			err = fmt.Errorf("code %d (%s): %s", res.Code, res.Codespace, res.Log)
			d.refuse("sequence ahead of the node", err)
		case errors.Is(refused, sdkerrors.ErrTxInMempoolCache):
			// An earlier attempt reached the mempool after all.
			d.submitted.Add(1)
			return nil
		default:
			d.refuse(refusalReason(err, refused), err)
		}
		if attempt == maxSubmitAttempts {
			d.untrack(hash)
			return fmt.Errorf("sender %d: node %s did not take tx %X after %d attempts: %w",
				sender, node.Remote(), hash, attempt, err)
		}
		backoff := time.NewTimer(min(time.Duration(attempt)*20*time.Millisecond, time.Second))
		select {
		case <-backoff.C:
		case <-ctx.Done():
			backoff.Stop()
			d.untrack(hash)
			return nil
		}
	}
}

// isSequenceMismatch reports whether a CheckTx refusal is the SDK's
// "account sequence mismatch" (sdk error 32).
func isSequenceMismatch(codespace string, code uint32) bool {
	return codespace == "sdk" && code == 32
}

// broadcastRefusal is the SDK error a broadcast_tx_sync error stands for,
// or nil. CometBFT refuses a tx already in the mempool's cache, a full
// mempool (including one still rechecking after a block: an
// ErrMempoolIsFull with RecheckFull set) and a tx too large with an error,
// not a CheckTx code: over JSON-RPC that is an *RPCError whose only code is
// the generic -32603 and whose Data is the mempool error's text. The SDK's
// client.CheckCometError is the one place that turns that text into a code
// (the hot key's sender uses it too); everything here tests the code.
func broadcastRefusal(err error, tx []byte) error {
	r := client.CheckCometError(err, tx)
	if r == nil {
		return nil
	}
	return errorsmod.ABCIError(r.Codespace, r.Code, err.Error())
}

// refusalReason names why a broadcast did not reach the mempool, for the
// report; refused is its broadcastRefusal.
func refusalReason(err, refused error) string {
	switch {
	case errors.Is(refused, sdkerrors.ErrMempoolIsFull):
		return "mempool full"
	case errors.Is(err, context.DeadlineExceeded):
		// CometBFT's RPC client wraps the HTTP client's error (%w), which
		// wraps the context's.
		return "rpc timeout"
	default:
		return "rpc error"
	}
}

func (d *driver) track(hash [32]byte, sender, slot int, at time.Time) {
	d.mu.Lock()
	d.pending[hash] = pendingTx{sender: sender, slot: slot, submitted: at}
	d.known[hash] = struct{}{}
	d.mu.Unlock()
}

// untrack stops waiting for a tx and frees its slot. Should it commit
// after all, it still counts as the driver's.
func (d *driver) untrack(hash [32]byte) {
	d.mu.Lock()
	p, ok := d.pending[hash]
	delete(d.pending, hash)
	d.mu.Unlock()
	if ok {
		d.free[p.sender] <- p.slot
	}
}

// refuse counts a refused broadcast and keeps the first message of each
// reason, for the report.
func (d *driver) refuse(reason string, err error) {
	d.mu.Lock()
	d.refusals[reason]++
	if _, ok := d.examples[reason]; !ok {
		d.examples[reason] = err.Error()
	}
	d.mu.Unlock()
}

// committedTx is called for every tx of a committed block, seen at `at`.
// It reports whether the tx was one of the driver's. A tx still awaited
// frees its sender's slot and, if it was submitted inside the measurement
// window, has its latency recorded.
func (d *driver) committedTx(hash [32]byte, at time.Time) bool {
	d.mu.Lock()
	_, mine := d.known[hash]
	p, ok := d.pending[hash]
	measured := false
	if ok {
		delete(d.pending, hash)
		measured = !d.winStart.IsZero() && !p.submitted.Before(d.winStart) &&
			(d.winEnd.IsZero() || p.submitted.Before(d.winEnd))
		if measured {
			d.latencies = append(d.latencies, at.Sub(p.submitted))
		}
	}
	d.mu.Unlock()
	switch {
	case ok:
		d.committed.Add(1)
		if !measured {
			d.unmeasured.Add(1)
		}
		d.free[p.sender] <- p.slot
	case mine:
		d.late.Add(1)
	}
	return mine
}

// openWindow starts the measurement window: txs submitted from now on
// have their latency recorded.
func (d *driver) openWindow(at time.Time) {
	d.mu.Lock()
	d.winStart = at
	d.mu.Unlock()
}

// closeWindow ends it: txs submitted from now on are not measured.
func (d *driver) closeWindow(at time.Time) {
	d.mu.Lock()
	d.winEnd = at
	d.mu.Unlock()
}

// inFlight is how many txs were submitted and not yet seen committed.
func (d *driver) inFlight() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.pending)
}

// results returns the window's latencies, the refusals by reason and an
// example message of each.
func (d *driver) results() ([]time.Duration, map[string]int, map[string]string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]time.Duration(nil), d.latencies...), maps.Clone(d.refusals), maps.Clone(d.examples)
}
