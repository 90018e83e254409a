package keeper

import (
	"bytes"
	"context"
	"fmt"
	gomath "math"
	"slices"
	"strconv"
	"strings"

	"cosmossdk.io/collections"
	"cosmossdk.io/core/address"
	"cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/quantum1net/q1/core/sched"
	"github.com/quantum1net/q1/x/sharers/types"
)

// Reasons a sharer is left out before core/sched sees it. Their keys
// follow sched.Reason.Key's style; they rank after sched's reasons.
const (
	reasonAboveBand = "above_band"
	reasonDraining  = "draining"
	reasonExcluded  = "excluded_after_ack_timeout"
)

// extraReasons are the reasons above with the words explain uses, in the
// order they rank after sched's.
var extraReasons = []struct {
	key, phrase string
	count       func(*pool) int
}{
	{reasonAboveBand, "above the price band", func(p *pool) int { return p.aboveBand }},
	{reasonDraining, "draining", func(p *pool) int { return p.draining }},
	{reasonExcluded, "excluded after an ack timeout", func(p *pool) int { return p.excluded }},
}

// pool is the candidate list placement hands to sched.Place, and what was
// left out of it without being read.
type pool struct {
	sharers []sched.Sharer
	// added are the sharers read out of index order (current and preferred
	// sharers beyond where the walk stopped).
	added []string
	// aboveBand are placeable sharers not read because their CPU price alone
	// puts them above the price band; offline and draining come from the
	// stats; excluded were dropped for this attempt.
	aboveBand, offline, draining, excluded int
	// resume is where the walk of the capacity index stopped; nil once
	// every placeable sharer was read.
	resume *collections.Pair[uint64, sdk.AccAddress]
	// reads counts the capacity index entries and sharer records read.
	reads int
	// lastCollateral lets consecutive sharers with the same collateral
	// share one Int (sched only reads it).
	lastCollateral math.Int
}

// candidates reads the placeable sharers from the capacity index, cheapest
// CPU price first, and stops where no sharer left can be in the price band
// of req. The cut is exact, never a sample:
//
// Every replica reserves some CPU (manifests ask for at least 10m), so a
// sharer's cost (sched.HourlyCost) is at least its CPU term, milliCPU × 3.6
// × its CPU price. While walking, umin is the lowest cost of a sharer
// sched.Check finds qualifying (an upper bound on the cheapest qualifying
// cost). Once the CPU price alone makes a sharer's cost exceed umin × (1000
// + band) / 1000, it and every sharer after it cost more than the band
// allows and than the cheapest: sched.Place would neither rank them in the
// band nor take them while the band supplies every replica. If it does not
// (some replica unplaced, or taken outside the band), the caller reads the
// rest with readRest and places again.
//
// The sharers holding the service's current replicas and its preferred
// sharers are added if the walk did not reach them, so that sched counts
// and ranks them as it would over every sharer.
func (k *Keeper) candidates(ctx context.Context, req *sched.Request, bandPermille uint32, excluded []string) (pool, error) {
	stats, err := k.Stats.Get(ctx)
	if err != nil {
		return pool{}, fmt.Errorf("read sharer stats: %w", err)
	}
	pl := pool{
		sharers:  make([]sched.Sharer, 0, min(int(stats.Placeable), 1024)),
		offline:  int(stats.Offline),
		draining: int(stats.Draining),
	}
	cut := newPriceCut(req.Resources.MilliCPU, bandPermille)
	it, err := k.Candidates.Iterate(ctx, nil)
	if err != nil {
		return pool{}, fmt.Errorf("iterate capacity index: %w", err)
	}
	defer it.Close()
	walked := 0
	for ; it.Valid(); it.Next() {
		// The value carries the key's price: decoding it first spares
		// decoding every key but the one the walk stops at.
		c, err := it.Value()
		if err != nil {
			return pool{}, fmt.Errorf("read capacity index: %w", err)
		}
		price := c.Prices.CpuPerCoreSecond
		if cut.beyond(price) {
			key, err := it.Key()
			if err != nil {
				return pool{}, fmt.Errorf("read capacity index: %w", err)
			}
			pl.resume = &key
			break
		}
		walked++
		s, ok := pl.add(&c, excluded)
		if !ok || !cut.mayLower(price) {
			continue
		}
		if reason, err := sched.Check(*req, s); err == nil && reason == sched.ReasonNone {
			cut.lower(sched.HourlyCost(req.Resources, s.Prices))
		}
	}
	pl.aboveBand = int(stats.Placeable) - walked
	pl.reads = walked
	var extra []string
	for _, r := range req.Current {
		extra = append(extra, r.Sharer)
	}
	extra = append(extra, req.Preferred...)
	for _, addr := range extra {
		if pl.resume == nil || slices.Contains(pl.added, addr) {
			continue
		}
		s, err := k.GetSharer(ctx, addr)
		if err != nil {
			return pool{}, err
		}
		pl.reads++
		if !s.Placeable() || !beyond(s.Prices.CpuPerCoreSecond, addr, *pl.resume, k.addressCodec) {
			continue // counted as offline or draining, or read by the walk
		}
		c := candidateOf(&s)
		pl.aboveBand--
		pl.added = append(pl.added, addr)
		pl.add(&c, excluded)
	}
	return pl, nil
}

// add appends candidate c unless it is excluded (counting it), and returns
// it for sched.
func (pl *pool) add(c *types.Candidate, excluded []string) (sched.Sharer, bool) {
	if slices.Contains(excluded, c.Address) {
		pl.excluded++
		return sched.Sharer{}, false
	}
	s := schedSharer(c)
	if !pl.lastCollateral.IsNil() && pl.lastCollateral.IsUint64() && pl.lastCollateral.Uint64() == c.CollateralUqc {
		s.Collateral = pl.lastCollateral
	}
	pl.lastCollateral = s.Collateral
	pl.sharers = append(pl.sharers, s)
	return s, true
}

// beyond reports whether the index key of a sharer (CPU price, address)
// comes at or after resume, that is, where the walk did not read.
func beyond(price uint64, addr string, resume collections.Pair[uint64, sdk.AccAddress], ac address.Codec) bool {
	if price != resume.K1() {
		return price > resume.K1()
	}
	bz, err := ac.StringToBytes(addr)
	return err == nil && bytes.Compare(bz, resume.K2()) >= 0
}

// readRest reads the placeable sharers the price cut left out.
func (k *Keeper) readRest(ctx context.Context, pl *pool, excluded []string) error {
	if pl.resume == nil {
		return nil
	}
	rng := new(collections.Range[collections.Pair[uint64, sdk.AccAddress]]).StartInclusive(*pl.resume)
	err := k.Candidates.Walk(ctx, rng, func(_ collections.Pair[uint64, sdk.AccAddress], c types.Candidate) (bool, error) {
		pl.reads++
		if !slices.Contains(pl.added, c.Address) {
			pl.aboveBand--
			pl.add(&c, excluded)
		}
		return false, nil
	})
	if err != nil {
		return fmt.Errorf("walk capacity index: %w", err)
	}
	pl.resume = nil
	return nil
}

// priceCut decides where the walk of the capacity index can stop (see
// candidates). Prices are compared as integers; the decimal bounds are
// recomputed only when umin falls.
type priceCut struct {
	unit   math.LegacyDec // milliCPU × 3.6: cost per unit of CPU price
	band   int64
	active bool
	umin   math.LegacyDec
	// stop is the highest CPU price that may still be in the band; below
	// is the CPU price from which the CPU term alone reaches umin.
	stop, below uint64
}

func newPriceCut(milliCPU uint64, bandPermille uint32) priceCut {
	c := priceCut{band: 1000 + int64(bandPermille), stop: gomath.MaxUint64, below: gomath.MaxUint64}
	if milliCPU > 0 && milliCPU <= gomath.MaxInt64 {
		c.active = true
		c.unit = math.LegacyNewDec(int64(milliCPU)).MulInt64(36).QuoInt64(10)
	}
	return c
}

// beyond reports whether a sharer with this CPU price, and every costlier
// one, is above the band.
func (c *priceCut) beyond(price uint64) bool { return c.active && price > c.stop }

// mayLower reports whether a sharer with this CPU price is worth checking
// as a new umin: its CPU term alone is below umin's price level. Skipping
// others only leaves umin higher, which moves the stop later, never earlier.
func (c *priceCut) mayLower(price uint64) bool { return c.active && price < c.below }

// lower records a qualifying sharer's cost; if it is a new umin, the stop
// and below prices fall with it. The stop rounds up (one price step more),
// so rounding never cuts a sharer the band could hold.
func (c *priceCut) lower(cost math.LegacyDec) {
	if !c.active || (!c.umin.IsNil() && cost.GTE(c.umin)) {
		return
	}
	c.umin = cost
	c.stop = priceAt(cost.MulInt64(c.band).QuoInt64(1000).Quo(c.unit), 1)
	c.below = priceAt(cost.Quo(c.unit), 0)
}

// priceAt is the integer part of d plus up, saturated to a uint64.
func priceAt(d math.LegacyDec, up int64) uint64 {
	i := d.TruncateInt().AddRaw(up)
	if !i.IsUint64() {
		return gomath.MaxUint64
	}
	return i.Uint64()
}

// schedSharer converts a capacity index entry for core/sched.
func schedSharer(c *types.Candidate) sched.Sharer {
	return sched.Sharer{
		Address:    c.Address,
		Online:     true,
		Free:       schedResources(c.Free),
		Attributes: schedAttributes(c.Attributes),
		Collateral: math.NewIntFromUint64(c.CollateralUqc),
		Prices:     schedPrices(c.Prices),
		Deny:       sched.DenyList{Services: c.Deny.Services, Owners: c.Deny.Owners},
	}
}

func schedResources(r types.Resources) sched.Resources {
	return sched.Resources{MilliCPU: r.MilliCpu, MemoryBytes: r.MemoryBytes, StorageBytes: r.StorageBytes}
}

func schedPrices(p types.Prices) sched.Prices {
	return sched.Prices{
		CPUPerCoreSecond:  p.CpuPerCoreSecond,
		MemoryPerMiBHour:  p.MemoryPerMibHour,
		StoragePerGiBHour: p.StoragePerGibHour,
		Per1kRequests:     p.Per_1KRequests,
		EgressPerGiB:      p.EgressPerGib,
	}
}

func pricesOf(p sched.Prices) types.Prices {
	return types.Prices{
		CpuPerCoreSecond:  p.CPUPerCoreSecond,
		MemoryPerMibHour:  p.MemoryPerMiBHour,
		StoragePerGibHour: p.StoragePerGiBHour,
		Per_1KRequests:    p.Per1kRequests,
		EgressPerGib:      p.EgressPerGiB,
	}
}

// explanation is the outcome of one placement attempt in words and counts.
type explanation struct {
	text    string
	reasons []types.ReasonCount
}

// explain combines sched's result with the sharers the pool left out into
// one line in sched.Result.Explain's style, such as "12 sharers: 2 chosen,
// 4 lacked memory, 3 above max price, 2 offline, 1 draining", and the counts
// per reason key in reason order.
func explain(res sched.Result, pl pool) explanation {
	type count struct {
		key, phrase string
		n           int
	}
	var counts []count
	for _, rc := range res.Exclusions() {
		counts = append(counts, count{rc.Reason.Key(), rc.Reason.String(), rc.Count})
	}
	add := func(key, phrase string, n int) {
		if n <= 0 {
			return
		}
		i := slices.IndexFunc(counts, func(c count) bool { return c.key == key })
		if i < 0 {
			counts = append(counts, count{key, phrase, n})
			return
		}
		counts[i].n += n
	}
	add(sched.ReasonOffline.Key(), sched.ReasonOffline.String(), pl.offline)
	for _, r := range extraReasons {
		add(r.key, r.phrase, r.count(&pl))
	}
	slices.SortStableFunc(counts, func(a, b count) int { return reasonRank(a.key) - reasonRank(b.key) })

	var out explanation
	total := len(res.Chosen)
	for _, c := range counts {
		total += c.n
		out.reasons = append(out.reasons, types.ReasonCount{Reason: c.key, Count: uint32(c.n)})
	}
	if total == 0 {
		out.text = "no sharers"
		return out
	}
	var b strings.Builder
	b.WriteString(strconv.Itoa(total))
	if total == 1 {
		b.WriteString(" sharer:")
	} else {
		b.WriteString(" sharers:")
	}
	sep := " "
	if n := len(res.Chosen); n > 0 {
		b.WriteString(sep + strconv.Itoa(n) + " chosen")
		sep = ", "
	}
	byCount := slices.Clone(counts)
	slices.SortStableFunc(byCount, func(a, b count) int { return b.n - a.n })
	for _, c := range byCount {
		b.WriteString(sep + strconv.Itoa(c.n) + " " + c.phrase)
		sep = ", "
	}
	out.text = b.String()
	return out
}

// reasonKeys lists every reason key in rank order: sched's reasons in their
// order, then extraReasons.
var reasonKeys = func() []string {
	var keys []string
	for r := sched.ReasonNone; r < sched.Reason(255); r++ {
		if key := r.Key(); key != "reason_"+strconv.Itoa(int(r)) {
			keys = append(keys, key)
		}
	}
	for _, r := range extraReasons {
		keys = append(keys, r.key)
	}
	return keys
}()

// reasonRank orders reason keys for events and queries.
func reasonRank(key string) int {
	if i := slices.Index(reasonKeys, key); i >= 0 {
		return i
	}
	return len(reasonKeys)
}
