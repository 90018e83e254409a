// Package schedule runs the scheduled requests of the services this node
// holds replicas of (manifest schedules): at each tick of a schedule
// exactly one replica runs it, chosen from the chain's view by every node
// alike (Order), with fallbacks after a delay when the chosen one does not
// run it; the request goes through the replica manager like a gateway's
// (metered, receipted, billed), its result is logged in the service's logs
// and recorded (Store), and the ticks no replica ran are counted as missed.
// docs/architecture.md "Scheduled jobs" argues the choices.
package schedule

import (
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"slices"
	"time"
)

// Candidate is a replica that may run a schedule's ticks, as the chain
// shows it: an open lease of the service that its sharer acknowledged (so
// its replica served), held by a sharer the chain counts active (not
// offline, not deregistered).
type Candidate struct {
	Lease    uint64
	Sharer   string
	Endpoint string // the sharer node's gateway base URL
}

// FallbackDelay is how long after a tick the replica ranked k waits,
// times k, before it runs the tick in place of those ranked before it
// (having asked them whether they ran it).
const FallbackDelay = 15 * time.Second

// MaxRank is the last rank that may run a tick: the chosen replica and two
// fallbacks, the last starting 30 s after the tick, before the next tick of
// an every-minute schedule. A tick none of them ran is missed.
const MaxRank = 2

// Order ranks the candidates for tick of schedule index of service: by
// sha256(service, 0, index, tick in Unix seconds, lease id), ties (which
// would need a hash collision) by lease id. It depends only on its
// arguments, so every node that reads the same leases from the chain ranks
// them alike; the hash spreads the ticks over the replicas and makes the
// order of one tick unpredictable from the previous one's. The input is
// not changed.
func Order(service string, index int, tick time.Time, cands []Candidate) []Candidate {
	type ranked struct {
		c   Candidate
		key [32]byte
	}
	rs := make([]ranked, len(cands))
	for i, c := range cands {
		rs[i] = ranked{c, rankKey(service, index, tick, c.Lease)}
	}
	slices.SortFunc(rs, func(a, b ranked) int {
		if k := slices.Compare(a.key[:], b.key[:]); k != 0 {
			return k
		}
		return cmp.Compare(a.c.Lease, b.c.Lease)
	})
	out := make([]Candidate, len(rs))
	for i, r := range rs {
		out[i] = r.c
	}
	return out
}

func rankKey(service string, index int, tick time.Time, lease uint64) [32]byte {
	b := make([]byte, 0, len(service)+1+8+8+8)
	b = append(b, service...)
	b = append(b, 0)
	b = binary.BigEndian.AppendUint64(b, uint64(index))
	b = binary.BigEndian.AppendUint64(b, uint64(tick.Unix()))
	b = binary.BigEndian.AppendUint64(b, lease)
	return sha256.Sum256(b)
}

// RankOf returns lease's rank in order, or -1.
func RankOf(order []Candidate, lease uint64) int {
	return slices.IndexFunc(order, func(c Candidate) bool { return c.Lease == lease })
}

// Window is when the replica of rank k may start the tick: from
// tick + k×FallbackDelay to the next rank's start. A replica that finds
// itself past its window leaves the tick to the next rank: two replicas run
// one tick only if their clocks disagree by more than FallbackDelay or the
// one asked wrongly says it did not run it.
func Window(tick time.Time, rank int) (from, until time.Time) {
	from = tick.Add(time.Duration(rank) * FallbackDelay)
	return from, from.Add(FallbackDelay)
}
