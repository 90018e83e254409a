package blob

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/quantum1net/q1/client/blobhash"
)

// References is what the collector needs from the chain: every wasm hash a
// live service runs or a pending proposal would run.
type References interface {
	ReferencedWasm(ctx context.Context) (map[string]bool, error)
}

// Collector runs Store.GC every interval: it removes blobs no service
// references once they are older than minAge (so an upload waiting for its
// create tx is kept).
type Collector struct {
	store    *Store
	chain    References
	log      *slog.Logger
	interval time.Duration
	minAge   time.Duration

	cancel context.CancelFunc
	done   chan struct{}
}

// StartCollector starts collecting store's unreferenced blobs; Close stops it.
func StartCollector(store *Store, chain References, log *slog.Logger, interval, minAge time.Duration) *Collector {
	ctx, cancel := context.WithCancel(context.Background())
	g := &Collector{store: store, chain: chain, log: log, interval: interval, minAge: minAge, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(g.done)
		g.run(ctx)
	}()
	return g
}

// Close stops the collector and waits for a collection under way.
func (g *Collector) Close() error {
	g.cancel()
	<-g.done
	return nil
}

func (g *Collector) run(ctx context.Context) {
	tick := time.NewTicker(g.interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if err := g.once(ctx, time.Now()); err != nil && ctx.Err() == nil {
			g.log.Warn("blob collection skipped", "err", err)
		}
	}
}

func (g *Collector) once(ctx context.Context, now time.Time) error {
	refs, err := g.chain.ReferencedWasm(ctx)
	if err != nil {
		return fmt.Errorf("read referenced wasm: %w", err)
	}
	removed, err := g.store.GC(ctx, func(h blobhash.Hash) bool { return refs[h.String()] }, g.minAge, now)
	if len(removed) > 0 {
		g.log.Info("collected unreferenced blobs", "count", len(removed))
	}
	return err
}
