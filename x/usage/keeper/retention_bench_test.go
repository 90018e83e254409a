package keeper_test

import (
	"testing"
	"time"

	"cosmossdk.io/math"
	storetypes "cosmossdk.io/store/types"

	"github.com/quantum1net/q1/x/usage/types"
)

// State growth (issue #16, docs/benchmarks.md "State growth"): the bytes
// the module's records, reports and earnings (and, with retention, their
// epoch indexes and running totals) hold in its store after K epochs of L
// leases, without pruning (what main kept: every row forever) and with
// it. Run with
//
//	go test ./x/usage/keeper -run '^$' -bench 'StateGrowth|PruneBlock' -benchtime 1x

// prefixBytes sums len(key)+len(value) of the module store's entries per
// first key byte (the collection's prefix).
func (f *fixture) prefixBytes() map[byte]int {
	out := map[byte]int{}
	it := f.ctx.KVStore(f.key).Iterator(nil, nil)
	defer it.Close()
	for ; it.Valid(); it.Next() {
		out[it.Key()[0]] += len(it.Key()) + len(it.Value())
	}
	return out
}

// historyBytes is the bytes of the rows that grow with epochs: reports,
// records and earnings, their epoch indexes and the running totals.
func historyBytes(by map[byte]int) int {
	n := 0
	for _, p := range []byte{1, 9, 10, 29, 30, 31, 32, 33, 34} {
		n += by[p]
	}
	return n
}

// growth runs epochs epochs of sharers × services leases with retention
// epochs of retention and returns the history bytes after each epoch.
func growth(b *testing.B, sharers, services, epochs int, retention uint64) []int {
	t := &testing.T{}
	e := newEconomy(t, sharers, services)
	e.t = t
	if err := e.setParams(func(p *types.Params) {
		p.RetentionEpochs = retention
		p.PrunePerBlock = 256
		p.AuditProbability = math.LegacyZeroDec()
	}); err != nil {
		b.Fatal(err)
	}
	out := make([]int, 0, epochs)
	for range epochs {
		e.epoch(4)
		out = append(out, historyBytes(e.prefixBytes()))
	}
	if t.Failed() {
		b.Fatal("the economy fixture failed")
	}
	return out
}

// BenchmarkStateGrowth reports bytes of history state per lease: what one
// epoch adds (the slope over the last half of the run, past the window) without pruning and
// with a 10-epoch retention, per day at mainnet's 10-minute epochs (144 a
// day), and what is held at the end.
func BenchmarkStateGrowth(b *testing.B) {
	const sharers, services, epochs = 5, 5, 40
	const leases = sharers * services
	for b.Loop() {
		before := growth(b, sharers, services, epochs, 1_000_000)
		after := growth(b, sharers, services, epochs, 10)
		// The slope between the means of the third and the last quarter
		// of the run (rent rows come and go with whole uqc, so single
		// epochs jitter), per epoch and lease.
		slope := func(v []int) float64 {
			q := len(v) / 4
			mean := func(w []int) float64 {
				n := 0
				for _, x := range w {
					n += x
				}
				return float64(n) / float64(len(w))
			}
			return (mean(v[3*q:]) - mean(v[2*q:3*q])) / float64(q) / leases
		}
		b.ReportMetric(slope(before), "B/lease/epoch-before")
		b.ReportMetric(slope(after), "B/lease/epoch-after")
		b.ReportMetric(slope(before)*144, "B/lease/day-before")
		b.ReportMetric(slope(after)*144, "B/lease/day-after")
		b.ReportMetric(float64(before[len(before)-1])/leases, "B/lease-held-before")
		b.ReportMetric(float64(after[len(after)-1])/leases, "B/lease-held-after")
	}
}

// BenchmarkPruneBlock measures one EndBlocker that prunes
// params.prune_per_block (256) rows against one with nothing due, in the
// same run: their gas (the store reads and writes, deterministic) and
// their time.
func BenchmarkPruneBlock(b *testing.B) {
	t := &testing.T{}
	e := newEconomy(t, 10, 10)
	e.t = t
	if err := e.setParams(func(p *types.Params) {
		p.RetentionEpochs, p.PrunePerBlock, p.AuditProbability = 1_000_000, 256, math.LegacyZeroDec()
	}); err != nil {
		b.Fatal(err)
	}
	for range 30 { // 30 epochs of 100 records, 10 reports, 100 earnings rows
		e.epoch(2)
	}
	e.wait(3, time.Second)
	e.endBlock()
	e.commit()
	block := func(ctx storetypes.GasMeter) (storetypes.Gas, time.Duration, int) {
		cache, _ := e.ctx.WithGasMeter(ctx).CacheContext() // never written: every run prunes the same rows
		start := time.Now()
		st, err := e.k.Prune(cache)
		d := time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		return ctx.GasConsumed(), d, st.Rows()
	}
	var idleGas, pruneGas storetypes.Gas
	var idleT, pruneT time.Duration
	var rows int
	for b.Loop() {
		g, d, n := block(storetypes.NewInfiniteGasMeter())
		if n != 0 {
			b.Fatalf("idle block pruned %d rows", n)
		}
		idleGas, idleT = g, idleT+d
		if err := e.setParams(func(p *types.Params) { p.RetentionEpochs = 5 }); err != nil {
			b.Fatal(err)
		}
		pruneGas, d, rows = block(storetypes.NewInfiniteGasMeter())
		pruneT += d
		if err := e.setParams(func(p *types.Params) { p.RetentionEpochs = 1_000_000 }); err != nil {
			b.Fatal(err)
		}
	}
	if rows != 256 {
		b.Fatalf("a pruning block removed %d rows, want 256", rows)
	}
	b.ReportMetric(float64(idleGas), "gas-idle")
	b.ReportMetric(float64(pruneGas), "gas-prune256")
	b.ReportMetric(float64(pruneGas)/float64(idleGas), "gas-ratio")
	b.ReportMetric(float64(pruneT)/float64(idleT), "time-ratio")
	b.ReportMetric(float64(pruneT.Nanoseconds())/float64(b.N)/256, "ns/row")
}
