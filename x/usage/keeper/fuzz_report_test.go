package keeper_test

import (
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"github.com/quantum1net/q1/x/usage/types"
)

// FuzzReportBound feeds reports with arbitrary claims for leases with
// arbitrary reservations over an epoch of arbitrary length: no report
// ever pays a lease more than what it could have done in the time it
// served (core/limits at its prices), money is neither created nor
// destroyed, and the module's invariants hold.
func FuzzReportBound(f *testing.F) {
	f.Add([]byte{1, 10, 0, 0, 0, 0, 0, 0, 1, 244, 255, 255, 255, 255, 255, 255, 255, 255})
	f.Add(make([]byte, 64))
	f.Fuzz(func(t *testing.T, in []byte) {
		next := func() uint64 {
			var b [8]byte
			n := copy(b[:], in)
			in = in[n:]
			return binary.LittleEndian.Uint64(b[:])
		}
		fx := newFixture(t)
		fx.sharerWith("s1", next()|1, next()%2*next())
		leases := 1 + next()%6
		fx.service("svc", int64(next()%1_000_000_000_000), svcOpts{replicas: uint32(1 + next()%4)})
		milli := map[uint64]uint64{}
		var entries []types.UsageEntry
		for id := uint64(1); id <= leases; id++ {
			fx.acked(id, "s1", "svc", usagePrices, 0)
			l := fx.sharers.leases[id]
			l.Resources.MilliCpu = next() % 64_000
			fx.sharers.leases[id] = l
			milli[id] = l.Resources.MilliCpu
			entries = append(entries, types.UsageEntry{LeaseId: id, Requests: next(), Fuel: next(), EgressBytes: next()})
		}
		fx.startEpochNow()
		epoch := time.Duration(1+next()%3600) * time.Second
		fx.wait(10, epoch/10)
		e := fx.endEpoch()
		before := fx.total()
		if _, err := fx.reportResp("s1", e, entries...); err != nil {
			t.Fatalf("report refused: %v", err)
		}
		for id := uint64(1); id <= leases; id++ {
			r := fx.record("svc", e, id)
			served := 10 * (epoch / 10)
			if bound := leaseBound(milli[id], served); r.Charged.GT(bound) {
				t.Fatalf("lease %d (%dm over %s) charged %s, above its bound %s: %s", id, milli[id], served, r.Charged, bound, fmt.Sprint(r.Caps))
			}
		}
		if !fx.total().Equal(before) {
			t.Fatalf("money created or destroyed: %s → %s", before, fx.total())
		}
		fx.audit()
	})
}
