package keeper

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	gomath "math"
	"slices"
	"strconv"
	"strings"

	"cosmossdk.io/collections"
	"cosmossdk.io/core/address"
	"cosmossdk.io/math"
	storetypes "cosmossdk.io/store/types"
	"github.com/cosmos/cosmos-sdk/codec"
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
	// covered and short stand in for a sharer's collateral (see
	// collateralFor); minCollateral is the request's minimum.
	covered, short math.Int
	minCollateral  uint64
	// arena holds the decoded entries' attribute and deny lists.
	arena arena
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
//
// The walk is the cost of placement: with equal prices the band is every
// sharer, and each must be read (the rendezvous weight that ranks first
// can be any sharer's, and sched gives every one its reason). So each read
// is kept cheap: the store is walked raw, the price comes from the key, and
// arena.decode turns a value into a sched.Sharer with one allocation.
func (k *Keeper) candidates(ctx context.Context, req *sched.Request, bandPermille uint32, excluded []string) (pool, error) {
	stats, err := k.Stats.Get(ctx)
	if err != nil {
		return pool{}, fmt.Errorf("read sharer stats: %w", err)
	}
	pl := newPool(req, int(stats.Placeable))
	pl.offline, pl.draining = int(stats.Offline), int(stats.Draining)
	cut := newPriceCut(req.Resources.MilliCPU, bandPermille)
	walked := 0
	err = k.walkCandidates(ctx, nil, func(key []byte, price uint64, value []byte) (bool, error) {
		if cut.beyond(price) {
			resume, err := k.candidateKey(key)
			if err != nil {
				return true, err
			}
			pl.resume = &resume
			return true, nil
		}
		walked++
		s, ok, err := pl.addRaw(k.cdc, value, excluded)
		if err != nil || !ok || !cut.mayLower(price) {
			return false, err
		}
		if reason, err := sched.Check(*req, s); err == nil && reason == sched.ReasonNone {
			cut.lower(sched.HourlyCost(req.Resources, s.Prices))
		}
		return false, nil
	})
	if err != nil {
		return pool{}, err
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

// newPool returns an empty pool for req with room for n sharers.
func newPool(req *sched.Request, n int) pool {
	pl := pool{
		sharers: make([]sched.Sharer, 0, n),
		covered: math.ZeroInt(), short: math.ZeroInt(),
		arena: arena{attrs: make([]sched.Attribute, 0, n)},
	}
	if m := req.MinCollateral; !m.IsNil() && m.IsPositive() {
		// A minimum beyond 2^64 covers no sharer: the index saturates
		// collateral at 2^64-1.
		pl.covered, pl.minCollateral = m, gomath.MaxUint64
		if m.IsUint64() {
			pl.minCollateral = m.Uint64()
		}
	}
	return pl
}

// collateralFor returns what the pool gives sched as the collateral of a
// sharer with collateral uqc. sched reads collateral only to compare it with
// the request's minimum (sched.ReasonCollateral), so rather than allocate an
// Int per sharer, the pool passes the minimum itself for a sharer that meets
// it and zero for one that does not (zero is below any positive minimum);
// every comparison, and so every result, is the same as with the exact
// amount. With no minimum every sharer meets it.
func (pl *pool) collateralFor(uqc uint64) math.Int {
	if pl.minCollateral == 0 || (uqc >= pl.minCollateral && pl.covered.IsUint64()) {
		return pl.covered
	}
	return pl.short
}

// walkCandidates calls fn with the raw key, the CPU price and the raw value
// of each capacity index entry from start (the encoded key, or the first
// entry when nil), cheapest first, until fn returns true or an error.
// Reading the store directly spares decoding every key and a generic decode
// of every value: placement reads thousands of entries per service.
func (k *Keeper) walkCandidates(ctx context.Context, start []byte, fn func(key []byte, price uint64, value []byte) (bool, error)) error {
	prefix := types.CandidatesKey.Bytes()
	if start == nil {
		start = prefix
	}
	it, err := k.storeService.OpenKVStore(ctx).Iterator(start, storetypes.PrefixEndBytes(prefix))
	if err != nil {
		return fmt.Errorf("iterate capacity index: %w", err)
	}
	defer it.Close()
	for ; it.Valid(); it.Next() {
		key := it.Key()
		if len(key) < len(prefix)+8 {
			return fmt.Errorf("capacity index key %x is too short", key)
		}
		price := binary.BigEndian.Uint64(key[len(prefix):])
		stop, err := fn(key, price, it.Value())
		if err != nil || stop {
			return err
		}
	}
	return nil
}

// candidateKey decodes a raw capacity index key.
func (k *Keeper) candidateKey(key []byte) (collections.Pair[uint64, sdk.AccAddress], error) {
	n, pair, err := k.Candidates.KeyCodec().Decode(key[len(types.CandidatesKey):])
	if err == nil && n != len(key)-len(types.CandidatesKey) {
		err = fmt.Errorf("%d bytes left over", len(key)-len(types.CandidatesKey)-n)
	}
	if err != nil {
		return pair, fmt.Errorf("read capacity index key %x: %w", key, err)
	}
	return pair, nil
}

// addRaw decodes a capacity index value and adds it as add does.
func (pl *pool) addRaw(cdc codec.BinaryCodec, value []byte, excluded []string) (sched.Sharer, bool, error) {
	s, collateral, err := pl.decodeValue(cdc, value)
	if err != nil {
		return sched.Sharer{}, false, err
	}
	return pl.push(s, collateral, excluded)
}

// decodeValue decodes a capacity index value with the arena, or with the
// generic decoder when the arena does not read it.
func (pl *pool) decodeValue(cdc codec.BinaryCodec, value []byte) (sched.Sharer, uint64, error) {
	if s, collateral, ok := pl.arena.decode(value); ok {
		return s, collateral, nil
	}
	var c types.Candidate
	if err := cdc.Unmarshal(value, &c); err != nil {
		return sched.Sharer{}, 0, fmt.Errorf("read capacity index: %w", err)
	}
	return schedSharer(&c), c.CollateralUqc, nil
}

// push appends s, with collateral as collateralFor gives it, unless it is
// excluded (counting it).
func (pl *pool) push(s sched.Sharer, collateral uint64, excluded []string) (sched.Sharer, bool, error) {
	if slices.Contains(excluded, s.Address) {
		pl.excluded++
		return sched.Sharer{}, false, nil
	}
	s.Collateral = pl.collateralFor(collateral)
	pl.sharers = append(pl.sharers, s)
	return s, true, nil
}

// add appends candidate c unless it is excluded (counting it), and returns
// it for sched.
func (pl *pool) add(c *types.Candidate, excluded []string) (sched.Sharer, bool) {
	s, ok, _ := pl.push(schedSharer(c), c.CollateralUqc, excluded)
	return s, ok
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
	start, err := collections.EncodeKeyWithPrefix(types.CandidatesKey, k.Candidates.KeyCodec(), *pl.resume)
	if err != nil {
		return fmt.Errorf("walk capacity index: %w", err)
	}
	err = k.walkCandidates(ctx, start, func(_ []byte, _ uint64, value []byte) (bool, error) {
		pl.reads++
		s, collateral, err := pl.decodeValue(k.cdc, value)
		if err != nil || slices.Contains(pl.added, s.Address) {
			return err != nil, err
		}
		pl.aboveBand--
		_, _, err = pl.push(s, collateral, excluded)
		return false, err
	})
	if err != nil {
		return err
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

// arena decodes capacity index values (types.Candidate) into sched.Sharers
// with few allocations: one string holds each value's text, and the
// attribute lists are cut from a shared slab (full slice expressions, so
// appending to one never touches another). Deny lists, rare, are allocated.
type arena struct {
	attrs []sched.Attribute
}

// decode reads a Candidate in protobuf wire format into a sched.Sharer (its
// Collateral left unset) and the saturated collateral. It reads what
// gogoproto writes for Candidate, field by field, skipping unknown fields;
// on anything else (a wrong wire type, a truncated value, a field repeated
// where it may not be) it reports !ok and the caller uses the generic
// decoder, so what placement sees never depends on which decoder ran. A test
// checks both agree on random candidates.
func (a *arena) decode(value []byte) (s sched.Sharer, collateral uint64, ok bool) {
	text := string(value)
	s.Online = true
	attrStart := len(a.attrs)
	var services, owners []string
	var seen uint8 // fields 2, 5 and 6 seen: a second one would merge
	r := wire{b: value}
	for r.more() {
		field, typ := r.tag()
		if typ == wireBytes && (field == 2 || field == 5 || field == 6) {
			if seen&(1<<field) != 0 {
				r.bad = true
				break
			}
			seen |= 1 << field
		}
		switch {
		case field == 1 && typ == wireBytes:
			from, to := r.bytes()
			s.Address = text[from:to]
		case field == 2 && typ == wireBytes:
			from, to := r.bytes()
			s.Free = a.resources(value[from:to], &r)
		case field == 3 && typ == wireBytes:
			from, to := r.bytes()
			a.attrs = append(a.attrs, a.attribute(text, from, to, &r))
		case field == 4 && typ == wireVarint:
			collateral = r.varint()
		case field == 5 && typ == wireBytes:
			from, to := r.bytes()
			s.Prices = prices(value[from:to], &r)
		case field == 6 && typ == wireBytes:
			from, to := r.bytes()
			services, owners = a.deny(text, from, to, services, owners, &r)
		default:
			r.skipUnknown(field, typ, 6)
		}
	}
	if r.bad {
		a.attrs = a.attrs[:attrStart]
		return sched.Sharer{}, 0, false
	}
	if n := len(a.attrs); n > attrStart {
		s.Attributes = a.attrs[attrStart:n:n]
	}
	s.Deny = sched.DenyList{Services: services, Owners: owners}
	return s, collateral, true
}

// resources reads a Resources message; errors are recorded in outer.
func (a *arena) resources(b []byte, outer *wire) sched.Resources {
	var out sched.Resources
	r := wire{b: b}
	for r.more() {
		field, typ := r.tag()
		switch {
		case typ != wireVarint:
			r.skipUnknown(field, typ, 3)
		case field == 1:
			out.MilliCPU = r.varint()
		case field == 2:
			out.MemoryBytes = r.varint()
		case field == 3:
			out.StorageBytes = r.varint()
		default:
			r.varint()
		}
	}
	outer.bad = outer.bad || r.bad
	return out
}

// prices reads a Prices message; errors are recorded in outer.
func prices(b []byte, outer *wire) sched.Prices {
	var out sched.Prices
	r := wire{b: b}
	for r.more() {
		field, typ := r.tag()
		if typ != wireVarint {
			r.skipUnknown(field, typ, 5)
			continue
		}
		v := r.varint()
		switch field {
		case 1:
			out.CPUPerCoreSecond = v
		case 2:
			out.MemoryPerMiBHour = v
		case 3:
			out.StoragePerGiBHour = v
		case 4:
			out.Per1kRequests = v
		case 5:
			out.EgressPerGiB = v
		}
	}
	outer.bad = outer.bad || r.bad
	return out
}

// attribute reads the Attribute message at text[from:to].
func (a *arena) attribute(text string, from, to int, outer *wire) sched.Attribute {
	var out sched.Attribute
	r := wire{b: outer.b[:to], off: from}
	for r.more() {
		field, typ := r.tag()
		switch {
		case typ != wireBytes:
			r.skipUnknown(field, typ, 2)
		case field == 1:
			f, t := r.bytes()
			out.Key = text[f:t]
		case field == 2:
			f, t := r.bytes()
			out.Value = text[f:t]
		default:
			r.bytes()
		}
	}
	outer.bad = outer.bad || r.bad
	return out
}

// deny reads the DenyList message at text[from:to].
func (a *arena) deny(text string, from, to int, services, owners []string, outer *wire) ([]string, []string) {
	r := wire{b: outer.b[:to], off: from}
	for r.more() {
		field, typ := r.tag()
		switch {
		case typ != wireBytes:
			r.skipUnknown(field, typ, 2)
		case field == 1:
			f, t := r.bytes()
			services = append(services, text[f:t])
		case field == 2:
			f, t := r.bytes()
			owners = append(owners, text[f:t])
		default:
			r.bytes()
		}
	}
	outer.bad = outer.bad || r.bad
	return services, owners
}

// Protobuf wire types decode handles.
const (
	wireVarint = 0
	wireI64    = 1
	wireBytes  = 2
	wireI32    = 5
)

// wire reads protobuf fields from b[off:]; a malformed field sets bad and
// ends the read.
type wire struct {
	b   []byte
	off int
	bad bool
}

func (r *wire) more() bool { return !r.bad && r.off < len(r.b) }

func (r *wire) varint() uint64 {
	v, n := binary.Uvarint(r.b[r.off:])
	if n <= 0 {
		r.bad, r.off = true, len(r.b)
		return 0
	}
	r.off += n
	return v
}

func (r *wire) tag() (field uint64, typ int) {
	t := r.varint()
	if t>>3 == 0 || t>>3 >= 1<<29 { // beyond protobuf's field numbers: let gogoproto judge
		r.bad, r.off = true, len(r.b)
	}
	return t >> 3, int(t & 7)
}

// bytes reads a length-delimited field and returns where it lies in b.
func (r *wire) bytes() (from, to int) {
	n := r.varint()
	if r.bad || n > uint64(len(r.b)-r.off) {
		r.bad, r.off = true, len(r.b)
		return 0, 0
	}
	from = r.off
	r.off += int(n)
	return from, r.off
}

// skipUnknown passes over a field the message does not have; a field it has
// (numbered up to known) with another wire type is malformed, as gogoproto
// finds it.
func (r *wire) skipUnknown(field uint64, typ int, known uint64) {
	if field <= known {
		r.bad, r.off = true, len(r.b)
		return
	}
	r.skip(typ)
}

// skip passes over a field of wire type typ; groups and unknown types are
// malformed here.
func (r *wire) skip(typ int) {
	switch typ {
	case wireVarint:
		r.varint()
	case wireBytes:
		r.bytes()
	case wireI64, wireI32:
		n := 8
		if typ == wireI32 {
			n = 4
		}
		if len(r.b)-r.off < n {
			r.bad, r.off = true, len(r.b)
			return
		}
		r.off += n
	default:
		r.bad, r.off = true, len(r.b)
	}
}
