// Package agent is the node's sharer side: it follows committed heights,
// has the replica manager run exactly the replicas of the leases the chain
// gave this node's sharer, acknowledges each lease once its replica serves,
// reports usage once per epoch (which is also the sharer's heartbeat), and
// deletes the local data of services that left.
package agent

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/quantum1net/q1/client/hotkeyfile"
	"github.com/quantum1net/q1/core/manifest"
	"github.com/quantum1net/q1/node/gateway"
	"github.com/quantum1net/q1/node/hotkey"
	"github.com/quantum1net/q1/node/replicas"
	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
	usagetypes "github.com/quantum1net/q1/x/usage/types"
)

// Chain is what the agent reads of committed state (chainview.View).
type Chain interface {
	// Sync reads the last committed height.
	Sync(ctx context.Context) (int64, error)
	Leases(ctx context.Context, sharer string) ([]sharerstypes.Lease, error)
	Manifest(service string) (*manifest.Manifest, bool)
	// Status is a service's state; Unavailable set means the chain did not answer.
	Status(service string) gateway.ServiceState
	Epoch(ctx context.Context) (uint64, error)
	// EndedEpoch is ended epoch n with its start and end heights.
	EndedEpoch(ctx context.Context, n uint64) (sharerstypes.EpochInfo, error)
	// Lease is a lease, open or closed; found is false when the chain has
	// no lease of that id.
	Lease(ctx context.Context, id uint64) (l sharerstypes.Lease, found bool, err error)
	Reported(ctx context.Context, sharer string, epoch uint64) (bool, error)
}

// Replicas is what the agent needs of the replica manager.
type Replicas interface {
	Reconcile(desired []replicas.Desired)
	// Serving returns the lease whose replica of service serves here.
	Serving(service string) (lease uint64, ok bool)
	DataServices() ([]string, error)
	RemoveData(service string) error
	// SetEpoch tells the replicas the chain's current epoch: instances
	// restart when it changes, so receipts never span epochs.
	SetEpoch(epoch uint64)
}

// Sender sends msgs signed by the sharer inside MsgExec (hotkey.Sender).
// Exec returns once a block committed them with code 0; a refusal is a
// *hotkey.TxError that errors.Is matches against the registered error it
// names.
type Sender interface {
	Exec(ctx context.Context, msgs ...sdk.Msg) (hotkey.Result, error)
}

// NewSender makes the sender of a hot key that names its sharer.
type NewSender func(hotkeyfile.Key) (Sender, error)

// Secrets re-wraps a service's secrets for its lease-holders that have
// none (secrets.Store).
type Secrets interface {
	Rewrap(ctx context.Context, service string, holders []string, send func(context.Context, ...sdk.Msg) error) (int, error)
}

// Option configures an Agent.
type Option func(*Agent)

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(a *Agent) { a.log = l } }

// WithSecrets makes the agent wrap the secrets of the services it holds
// leases of for the other lease-holders that have no wrap, after each
// reconcile (default: it does not).
func WithSecrets(s Secrets, holders func(service string) []string) Option {
	return func(a *Agent) { a.secrets, a.holders = s, holders }
}

// WithPollInterval sets how often the agent asks for the committed height
// (default 100ms).
func WithPollInterval(d time.Duration) Option { return func(a *Agent) { a.poll = d } }

// WithBlocks makes the agent act as soon as a block is committed: a value
// on blocks (the node's CometBFT new-block events) starts a step at once,
// so a lease placed by a block reaches the replica manager without waiting
// for the next poll. Polling goes on, every second, in case an event is
// missed.
func WithBlocks(blocks <-chan struct{}) Option {
	return func(a *Agent) {
		a.blocks = blocks
		a.poll = max(a.poll, time.Second)
	}
}

// Agent works for the sharer named in the node's hot key file, once there
// is one. New starts it; Close stops it.
type Agent struct {
	keys      *hotkey.Source
	chain     Chain
	replicas  Replicas
	meter     *Meter
	newSender NewSender
	log       *slog.Logger
	poll      time.Duration
	blocks    <-chan struct{} // new committed blocks (nil: poll only)
	secrets   Secrets
	holders   func(service string) []string

	cancel context.CancelFunc
	done   chan struct{}
	// rewrapping is set while a rewrap runs (on a goroutine of its own,
	// so that a service's secrets never hold up the agent's step: its
	// acknowledgements and its report); rewraps waits for it at Close.
	rewrapping atomic.Bool
	rewraps    sync.WaitGroup

	mu     sync.Mutex
	sharer string
	sender Sender
	acked  map[uint64]bool

	// Touched by the agent's goroutine only.
	height   int64
	dataGC   int64  // the height data of services no longer here was last collected
	reported uint64 // the last epoch whose report the chain accepted
	// settled holds the earlier epochs (within reportLookback) backfill is
	// done with: reported, refused by the chain, or with nothing to report.
	settled map[uint64]bool
}

// New starts an agent for the sharer keys names, once it names one: it
// reads chain, runs replicas, counts usage in meter, and sends txs through
// the sender newSender makes of the hot key.
func New(keys *hotkey.Source, chain Chain, reps Replicas, meter *Meter, newSender NewSender, opts ...Option) *Agent {
	a := &Agent{
		keys: keys, chain: chain, replicas: reps, meter: meter, newSender: newSender,
		log: slog.New(slog.DiscardHandler), poll: 100 * time.Millisecond,
		acked: map[uint64]bool{}, done: make(chan struct{}),
	}
	for _, o := range opts {
		o(a)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a.cancel = cancel
	go func() {
		defer close(a.done)
		a.run(ctx)
	}()
	return a
}

// Close stops the agent and waits until it has saved its usage counts.
func (a *Agent) Close() error {
	a.cancel()
	<-a.done
	a.rewraps.Wait()
	return nil
}

// sharerName returns the sharer the agent works for, "" until it has a sender.
func (a *Agent) sharerName() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.sharer
}

// run follows the chain until ctx ends.
func (a *Agent) run(ctx context.Context) {
	tick := time.NewTicker(a.poll)
	defer tick.Stop()
	flush := time.NewTicker(time.Second)
	defer flush.Stop()
	defer a.flushMeter()
	for {
		select {
		case <-ctx.Done():
			return
		case <-flush.C:
			a.flushMeter()
		case <-tick.C:
			a.step(ctx)
		case <-a.blocks:
			a.step(ctx)
		}
	}
}

func (a *Agent) flushMeter() {
	if err := a.meter.Flush(); err != nil {
		a.log.Warn("save usage counts", "err", err)
	}
}

// queryTimeout bounds the agent's reads of one step. Its txs are bounded
// by the sender (its attempts, and its wait for each block).
const queryTimeout = 5 * time.Second

// step acts on a new committed height, if there is one.
func (a *Agent) step(ctx context.Context) {
	qctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	h, err := a.chain.Sync(qctx)
	if err != nil || h <= a.height {
		return
	}
	a.height = h
	if err := a.loadKey(); err != nil {
		a.log.Warn("hot key", "err", err)
		return
	}
	sharer := a.sharerName()
	if sharer == "" {
		return
	}
	leases := a.reconcile(qctx, sharer)
	a.acknowledge(ctx, sharer, leases)
	if a.secrets != nil && a.rewrapping.CompareAndSwap(false, true) {
		a.rewraps.Add(1)
		go func() {
			defer a.rewraps.Done()
			defer a.rewrapping.Store(false)
			a.rewrap(ctx, leases)
		}()
	}
	a.report(ctx, sharer)
}

// rewrap gives the other lease-holders of this node's services the
// secrets they have no wrap of (only services granting secrets).
func (a *Agent) rewrap(ctx context.Context, leases []sharerstypes.Lease) {
	if a.secrets == nil {
		return
	}
	seen := map[string]bool{}
	for _, l := range leases {
		if seen[l.Service] {
			continue
		}
		seen[l.Service] = true
		m, ok := a.chain.Manifest(l.Service)
		if !ok || m.Permissions.Capabilities.Secrets == nil {
			continue
		}
		send := func(ctx context.Context, msgs ...sdk.Msg) error {
			_, err := a.currentSender().Exec(ctx, msgs...)
			return err
		}
		if _, err := a.secrets.Rewrap(ctx, l.Service, a.holders(l.Service), send); err != nil {
			a.log.Warn("wrap secrets for other replicas", "service", l.Service, "err", err)
		}
	}
}

// loadKey picks up the hot key once `q1 sharer register` recorded the
// sharer in it, and makes its sender.
func (a *Agent) loadKey() error {
	if a.sharerName() != "" {
		return nil
	}
	k, err := a.keys.Load()
	if err != nil || k.Sharer == "" {
		return err
	}
	s, err := a.newSender(k)
	if err != nil {
		return err
	}
	a.mu.Lock()
	a.sharer, a.sender = k.Sharer, s
	a.mu.Unlock()
	a.log.Info("serving as sharer", "sharer", k.Sharer, "hot_key", k.Address().String())
	return nil
}

// reconcile runs exactly the replicas of this sharer's open leases, and
// returns those leases.
func (a *Agent) reconcile(ctx context.Context, sharer string) []sharerstypes.Lease {
	leases, err := a.chain.Leases(ctx, sharer)
	if err != nil {
		a.log.Warn("read leases", "err", err)
		return nil
	}
	desired := make([]replicas.Desired, 0, len(leases))
	for _, l := range leases {
		m, ok := a.chain.Manifest(l.Service)
		if !ok {
			continue
		}
		desired = append(desired, replicas.Desired{LeaseID: l.Id, Service: l.Service, Manifest: m, MeterVersion: l.MeterVersion})
	}
	// The epoch first, so replicas loading now start in it.
	if epoch, err := a.chain.Epoch(ctx); err == nil {
		a.replicas.SetEpoch(epoch)
	}
	a.replicas.Reconcile(desired)
	if a.height-a.dataGC >= dataGCBlocks {
		a.dataGC = a.height
		a.collectData(desired)
	}
	return leases
}

// dataGCBlocks is how often, in blocks, the agent looks for replica-local
// data (kv stores) of services this node no longer runs.
const dataGCBlocks = 10

// collectData deletes the kv stores of services this node holds no lease
// of, unless the service is paused: a paused service's sharers keep its data
// through the grace period, so that a deposit resumes it with its data on the
// same sharers. Once the chain deletes the service (after the grace, or by
// its owners), or it runs elsewhere, the data here is stale and goes.
func (a *Agent) collectData(desired []replicas.Desired) {
	here := map[string]bool{}
	for _, d := range desired {
		here[d.Service] = true
	}
	names, err := a.replicas.DataServices()
	if err != nil {
		a.log.Warn("list kv stores", "err", err)
		return
	}
	for _, name := range names {
		if here[name] {
			continue
		}
		st := a.chain.Status(name)
		if !staleData(st.Unavailable == "", st.Exists, st.Paused) {
			continue
		}
		if err := a.replicas.RemoveData(name); err != nil {
			a.log.Warn("delete kv store", "service", name, "err", err)
			continue
		}
		reason := "it runs on other sharers"
		if !st.Exists {
			reason = "the service was deleted"
		}
		a.log.Info("deleted kv store", "service", name, "reason", reason)
	}
}

// staleData says whether a service's local data may go when this node holds
// no lease of it: only when the chain answered, and the service is deleted
// (or unknown) or running without a pause.
func staleData(known, exists, paused bool) bool {
	return known && (!exists || !paused)
}

// acknowledge acknowledges the leases whose replica serves here and that
// the chain has not seen acknowledged yet. A lease counts as acknowledged
// once a block committed its acknowledgement; one whose acknowledgement
// failed is tried again at the next height, while the chain still lists
// it open and unacknowledged.
func (a *Agent) acknowledge(ctx context.Context, sharer string, leases []sharerstypes.Lease) {
	for _, l := range leases {
		if ctx.Err() != nil {
			return
		}
		if l.AckedHeight > 0 || a.wasAcked(l.Id) {
			continue
		}
		if lease, ok := a.replicas.Serving(l.Service); !ok || lease != l.Id {
			continue
		}
		err := a.ack(ctx, sharer, l)
		if err == nil || ctx.Err() != nil {
			continue
		}
		a.log.Warn("lease acknowledgement failed; trying again at the next height while the lease awaits it",
			append([]any{"service", l.Service, "lease", l.Id}, hotkey.LogAttrs(err)...)...)
		if te := (*hotkey.TxError)(nil); !errors.As(err, &te) {
			// Not the chain's verdict on this lease: the node did not
			// answer, or the tx was not committed in time. The others
			// would wait as long; they go at the next height.
			return
		}
	}
}

func (a *Agent) wasAcked(lease uint64) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.acked[lease]
}

// ack acknowledges a lease whose replica is warm, and returns once a block
// has committed the acknowledgement (or the chain says it has one).
func (a *Agent) ack(ctx context.Context, sharer string, l sharerstypes.Lease) error {
	s := a.currentSender()
	if s == nil {
		return errors.New("no hot key yet")
	}
	res, err := s.Exec(ctx, &sharerstypes.MsgAckLease{Sharer: sharer, LeaseId: l.Id})
	switch {
	case errors.Is(err, sharerstypes.ErrAlreadyAcked):
		a.log.Info("lease already acknowledged", "service", l.Service, "lease", l.Id)
	case err != nil:
		return err
	default:
		a.log.Info("lease acknowledged", "service", l.Service, "lease", l.Id, "tx", res.Hash, "height", res.Height,
			"gas_wanted", res.GasWanted, "gas_used", res.GasUsed, "attempts", res.Attempts)
	}
	a.mu.Lock()
	a.acked[l.Id] = true
	a.mu.Unlock()
	return nil
}

// Sender is the hot key's sender, nil until the node is a sharer: the
// audit worker sends through it too (a sender sends one tx at a time).
func (a *Agent) Sender() Sender { return a.currentSender() }

func (a *Agent) currentSender() Sender {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.sender
}

// reportLookback is how many ended epochs back the agent looks for usage
// it holds and never reported. The chain takes reports
// params.report_window_epochs back (3 by default); an older one is refused
// once, and that epoch settled.
const reportLookback = 8

// report sends the usage report of the epoch that just ended, once the
// chain has none, and counts it sent once a block committed it. That report
// is the sharer's heartbeat, so it goes first; then backfill reports the
// earlier epochs whose usage this node holds and never reported.
func (a *Agent) report(ctx context.Context, sharer string) {
	qctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	current, err := a.chain.Epoch(qctx)
	if err != nil {
		return
	}
	a.meter.SetEpoch(current)
	if current == 0 {
		return
	}
	if current-1 > a.reported {
		if !a.reportEpoch(ctx, qctx, sharer, current-1, false) {
			return
		}
		a.reported = current - 1
	}
	a.backfill(ctx, qctx, sharer, current)
}

// backfill reports, oldest first, each epoch within reportLookback before
// the one that just ended whose usage this node holds and whose report the
// chain lacks: the epoch a node was stopped in, or one whose every attempt
// failed. Reporting only the epoch that just ended billed that usage to no
// one. An epoch the chain refuses (too old, or any other rule) is settled,
// logged, and never holds up another; a failure that is not the chain's
// answer (the node's RPC down, out of gas after retries) is tried again at
// the next height.
func (a *Agent) backfill(ctx, qctx context.Context, sharer string, current uint64) {
	first := current - min(current, reportLookback)
	if a.settled == nil {
		a.settled = map[uint64]bool{}
	}
	for e := range a.settled {
		if e < first {
			delete(a.settled, e)
		}
	}
	for e := first; e+1 < current; e++ {
		if a.settled[e] {
			continue
		}
		if entries, err := a.meter.Entries(e); err != nil || len(entries) == 0 {
			a.settled[e] = err == nil
			continue
		}
		if !a.reportEpoch(ctx, qctx, sharer, e, true) {
			return
		}
		a.settled[e] = true
	}
}

// reportEpoch reports ended epoch n unless the chain has its report, and
// says whether n is settled: on chain now or before, too old, or (an
// earlier epoch's, backfilling) refused by one of the chain's rules, which
// would refuse it again. The heartbeat's refusals are tried again at the
// next height, as they always were.
func (a *Agent) reportEpoch(ctx, qctx context.Context, sharer string, epoch uint64, backfilling bool) bool {
	if done, _ := a.chain.Reported(qctx, sharer, epoch); done {
		a.meter.Reported(epoch) // accepted before (e.g. before a restart)
		return true
	}
	entries, err := a.entries(qctx, sharer, epoch)
	if err != nil {
		a.log.Warn("usage report not sent: could not tell which leases were open during the epoch; trying again at the next height",
			"epoch", epoch, "err", err)
		return false
	}
	msg := &usagetypes.MsgUsageReport{Sharer: sharer, Epoch: epoch, Entries: entries}
	res, err := a.currentSender().Exec(ctx, msg)
	var refused *hotkey.TxError
	switch {
	case errors.Is(err, usagetypes.ErrDuplicateReport):
		a.log.Info("usage report already on chain", "epoch", epoch)
	case errors.Is(err, usagetypes.ErrReportTooOld):
		a.log.Warn("usage not reported in time: the chain no longer takes reports of this epoch, and its usage is not billed",
			"epoch", epoch, "leases", len(entries))
	case err != nil && backfilling && errors.As(err, &refused) && chainRule(refused.Codespace):
		a.log.Warn("usage report of an earlier epoch refused by the chain; its usage is not billed",
			append([]any{"epoch", epoch, "leases", len(entries)}, hotkey.LogAttrs(err)...)...)
	case err != nil:
		if ctx.Err() == nil {
			a.log.Warn("usage report failed; trying again at the next height",
				append([]any{"epoch", epoch, "leases", len(entries)}, hotkey.LogAttrs(err)...)...)
		}
		return false
	default:
		a.log.Info("usage reported", "epoch", epoch, "leases", len(entries), "tx", res.Hash, "height", res.Height,
			"gas_wanted", res.GasWanted, "gas_used", res.GasUsed, "attempts", res.Attempts)
	}
	a.meter.Reported(epoch)
	a.flushMeter()
	return true
}

// chainRule says whether a refusal in codespace is one of this chain's
// module rules, which the same report would meet again, rather than the
// SDK's fees, gas or sequence, which the hot sender retries and a later
// attempt may pass.
func chainRule(codespace string) bool {
	return codespace == usagetypes.ModuleName || codespace == sharerstypes.ModuleName
}

// entries returns the entries of ended epoch n, from its receipt trees
// (Meter.Entries), for the leases of sharer that were open during it, as
// the chain judges a report's entries: placed by the epoch's end and not
// closed before its start. What a replica served for any other lease
// (after its lease closed, say, or in an epoch its lease had not begun) is
// dropped: the chain would charge it nothing and record the entry as
// refused, so sending it only costs gas.
func (a *Agent) entries(ctx context.Context, sharer string, n uint64) ([]usagetypes.UsageEntry, error) {
	proven, err := a.meter.Entries(n)
	if err != nil || len(proven) == 0 {
		return proven, err
	}
	ep, err := a.chain.EndedEpoch(ctx, n)
	if err != nil {
		return nil, err
	}
	out := proven[:0]
	for _, e := range proven {
		l, found, err := a.chain.Lease(ctx, e.LeaseId)
		if err != nil {
			return nil, err
		}
		why := ""
		switch {
		case !found:
			why = "the chain has no such lease"
		case l.Sharer != sharer:
			why = "the lease is held by " + l.Sharer
		case !openDuring(l, ep):
			why = "the lease was not open during the epoch"
		}
		if why != "" {
			a.log.Debug("usage dropped from the report", "epoch", n, "lease", e.LeaseId, "requests", e.Requests,
				"why", why, "placed_height", l.PlacedHeight, "closed_height", l.ClosedHeight,
				"epoch_start", ep.StartHeight, "epoch_end", ep.EndHeight)
			continue
		}
		if counted, _ := a.meter.Counted(n, e.LeaseId); counted > e.Requests {
			a.log.Info("requests served without a kept receipt are not billed", "epoch", n, "lease", e.LeaseId,
				"counted", counted, "in_receipts", e.Requests)
		}
		out = append(out, e)
	}
	return out, nil
}

// openDuring says whether lease l was open during epoch e: placed by its
// end, and open still or closed no earlier than its start (x/usage's rule
// for a report's entries).
func openDuring(l sharerstypes.Lease, e sharerstypes.EpochInfo) bool {
	return l.PlacedHeight <= e.EndHeight && (l.ClosedHeight == 0 || l.ClosedHeight >= e.StartHeight)
}
