package node

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/cosmos/cosmos-sdk/client"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/quantum1net/q1/node/hotkey"
	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
	usagetypes "github.com/quantum1net/q1/x/usage/types"
)

// agent is the node's sharer side: it follows committed heights, runs the
// replicas of the leases the chain gave this sharer, acknowledges them, and
// reports usage once per epoch (which is also the sharer's heartbeat).
type agent struct {
	home      string
	c         client.Context
	view      *chainView
	replicas  *replicaManager
	meter     *meter
	log       *slog.Logger
	gasPrices sdk.DecCoins

	mu     sync.Mutex
	key    hotkey.Key
	sender *hotkey.Sender

	height   int64
	dataGC   int64  // the height data of services no longer here was last collected
	reported uint64 // the last epoch whose report the chain accepted
	acked    map[uint64]bool
}

func newAgent(home string, c client.Context, gasPrices sdk.DecCoins, view *chainView, replicas *replicaManager, m *meter, log *slog.Logger) *agent {
	a := &agent{home: home, c: c, gasPrices: gasPrices, view: view, replicas: replicas, meter: m, log: log, acked: map[uint64]bool{}}
	replicas.ack = a.ack
	return a
}

// Sharer returns the sharer this node works for, "" until it is one.
func (a *agent) Sharer() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.key.Sharer
}

// hotKey returns the node's hot key, if it has one.
func (a *agent) hotKey() (hotkey.Key, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.key, a.key.Key != nil
}

// run follows the chain until ctx ends.
func (a *agent) run(ctx context.Context) {
	tick := time.NewTicker(100 * time.Millisecond)
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
			a.poll(ctx)
		}
	}
}

func (a *agent) flushMeter() {
	if err := a.meter.flush(); err != nil {
		a.log.Warn("save usage counts", "err", err)
	}
}

func (a *agent) poll(ctx context.Context) {
	qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	info, err := a.c.Client.ABCIInfo(qctx)
	if err != nil {
		return
	}
	h := info.Response.LastBlockHeight
	if h <= a.height {
		return
	}
	a.height = h
	a.view.setHeight(h)
	if err := a.loadKey(); err != nil {
		a.log.Warn("hot key", "err", err)
		return
	}
	sharer := a.Sharer()
	if sharer == "" {
		return
	}
	// Replicas load in the background under the agent's own context, not
	// this poll's, which ends when the poll does.
	a.reconcile(ctx, sharer)
	a.report(qctx, sharer)
}

// loadKey picks up the hot key once `q1 sharer register` created it.
func (a *agent) loadKey() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.key.Sharer != "" {
		return nil
	}
	k, err := hotkey.Load(a.home)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	a.key = k
	if k.Sharer != "" {
		s, err := hotkey.NewSender(k, a.c, a.gasPrices)
		if err != nil {
			return err
		}
		a.sender = s
		a.log.Info("serving as sharer", "sharer", k.Sharer, "hot_key", k.Address().String(), "gas_price", s.GasPrice().String()+"uqc")
	}
	return nil
}

// reconcile runs exactly the replicas of this sharer's open leases; ctx
// bounds the replicas' loading, so it must live as long as the node.
func (a *agent) reconcile(ctx context.Context, sharer string) {
	qctx, cancel := queryCtx()
	defer cancel()
	leases, err := a.view.leases(qctx, &sharerstypes.QueryLeasesRequest{Sharer: sharer})
	if err != nil {
		a.log.Warn("read leases", "err", err)
		return
	}
	desired := make([]Desired, 0, len(leases))
	for _, l := range leases {
		m, ok := a.view.Manifest(l.Service)
		if !ok {
			continue
		}
		desired = append(desired, Desired{LeaseID: l.Id, Service: l.Service, Manifest: m, Acked: l.AckedHeight > 0 || a.wasAcked(l.Id)})
	}
	a.replicas.Reconcile(ctx, desired)
	if a.height-a.dataGC >= dataGCBlocks {
		a.dataGC = a.height
		a.collectData(desired)
	}
}

// dataGCBlocks is how often, in blocks, the agent looks for replica-local
// data (kv stores) of services this node no longer runs.
const dataGCBlocks = 10

// collectData deletes the kv stores of services this node holds no lease
// of, unless the service is paused: a paused service's sharers keep its data
// through the grace period, so that a deposit resumes it with its data on the
// same sharers. Once the chain deletes the service (after the grace, or by
// its owners), or it runs elsewhere, the data here is stale and goes.
func (a *agent) collectData(desired []Desired) {
	here := map[string]bool{}
	for _, d := range desired {
		here[d.Service] = true
	}
	dirs, err := os.ReadDir(a.replicas.kvDir)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			a.log.Warn("list kv stores", "err", err)
		}
		return
	}
	for _, d := range dirs {
		name := d.Name()
		if !d.IsDir() || here[name] {
			continue
		}
		e := a.view.service(name)
		if !staleData(e.known, e.state.Exists, e.state.Paused) {
			continue
		}
		if err := a.replicas.RemoveData(name); err != nil {
			a.log.Warn("delete kv store", "service", name, "err", err)
			continue
		}
		reason := "it runs on other sharers"
		if !e.state.Exists {
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

func (a *agent) wasAcked(lease uint64) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.acked[lease]
}

// ack acknowledges a lease whose replica is warm.
func (a *agent) ack(ctx context.Context, lease uint64) error {
	a.mu.Lock()
	s, sharer := a.sender, a.key.Sharer
	a.mu.Unlock()
	if s == nil {
		return errors.New("no hot key yet")
	}
	hash, err := s.Exec(ctx, &sharerstypes.MsgAckLease{Sharer: sharer, LeaseId: lease})
	if err != nil && !strings.Contains(err.Error(), "already acknowledged") {
		return err
	}
	a.mu.Lock()
	a.acked[lease] = true
	a.mu.Unlock()
	a.log.Info("lease acknowledged", "lease", lease, "tx", hash)
	return nil
}

// report sends the usage report of the epoch that just ended, once.
func (a *agent) report(ctx context.Context, sharer string) {
	ep, err := sharerstypes.NewQueryClient(a.c).Epoch(ctx, &sharerstypes.QueryEpochRequest{})
	if err != nil {
		return
	}
	current := ep.Current.Number
	a.meter.setEpoch(current)
	if current == 0 || current-1 <= a.reported {
		return
	}
	epoch := current - 1
	if _, err := usagetypes.NewQueryClient(a.c).Report(ctx, &usagetypes.QueryReportRequest{Sharer: sharer, Epoch: epoch}); err == nil {
		a.reported = epoch // accepted before (e.g. before a restart)
		a.meter.reported(epoch)
		return
	}
	a.mu.Lock()
	s := a.sender
	a.mu.Unlock()
	msg := &usagetypes.MsgUsageReport{Sharer: sharer, Epoch: epoch, Entries: a.meter.entries(epoch)}
	hash, err := s.Exec(ctx, msg)
	if err != nil {
		a.log.Warn("usage report refused; will retry", "epoch", epoch, "err", err)
		return
	}
	a.reported = epoch
	a.meter.reported(epoch)
	a.flushMeter()
	a.log.Info("usage reported", "epoch", epoch, "leases", len(msg.Entries), "tx", hash)
}
