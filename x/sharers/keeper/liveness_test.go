package keeper_test

import (
	"context"
	"slices"
	"testing"

	"github.com/quantum1net/q1/x/sharers/types"
)

// runTo ends blocks until the block at height h has ended. At the first
// block of each epoch, every sharer in reporters reports the epoch that just
// ended, as a healthy node does.
func (f *fixture) runTo(h int64, reporters ...string) {
	f.t.Helper()
	for f.ctx.BlockHeight() <= h {
		cur, err := f.k.CurrentEpoch(f.ctx)
		if err != nil {
			f.t.Fatal(err)
		}
		if cur.Number > 0 && f.ctx.BlockHeight() == cur.StartHeight {
			for _, r := range reporters {
				f.heartbeat(r, cur.Number-1)
			}
		}
		f.endBlock()
	}
}

func TestEpochs(t *testing.T) {
	f := newFixture(t) // 10-block epochs from height 1
	f.runTo(9)
	if cur, _ := f.k.CurrentEpoch(f.ctx); cur.Number != 0 || cur.StartHeight != 1 {
		t.Fatalf("at height 10 the current epoch is %+v, want 0 from height 1", cur)
	}
	f.runTo(10)
	if ev := event[*types.EventEpochEnded](f); len(ev) != 1 || ev[0].Epoch != 0 || ev[0].StartHeight != 1 || ev[0].EndHeight != 10 {
		t.Fatalf("EventEpochEnded: %v", ev)
	}
	cur, _ := f.k.CurrentEpoch(f.ctx)
	if cur.Number != 1 || cur.StartHeight != 11 {
		t.Fatalf("current epoch %+v, want 1 from height 11", cur)
	}
	e0, ok, err := f.k.GetEpoch(f.ctx, 0)
	if err != nil || !ok || e0.EndHeight != 10 || !e0.EndTime.Equal(genesisTime.Add(9e9)) {
		t.Fatalf("epoch 0: %+v %t %v", e0, ok, err)
	}
	if _, ok, _ := f.k.GetEpoch(f.ctx, 1); ok {
		t.Error("the current epoch is returned as ended")
	}
	resp, err := f.query.Epoch(f.ctx, &types.QueryEpochRequest{})
	if err != nil || resp.Current.Number != 1 || resp.EpochBlocks != 10 {
		t.Errorf("Epoch query: %+v %v", resp, err)
	}
}

func TestOfflineSharerReplacedInSameBlock(t *testing.T) {
	f := newFixture(t)
	all := []string{"s1", "s2", "s3", "s4"}
	f.mustRegister(offer{}, all...)
	f.create(spec{name: "hello", replicas: 2})
	f.endBlock()
	silent := f.holders("hello")[0]
	var reporters []string
	for _, s := range all {
		if s != silent {
			reporters = append(reporters, s)
		}
	}

	// Registered in epoch 0, the silent sharer misses epochs 0, 1 and 2:
	// their reports were due by the ends of epochs 1, 2 and 3. At the start
	// of epoch 5 it has missed 3 and goes offline.
	f.runTo(49, reporters...)
	if s := f.sharer(silent); s.Status != types.SharerActive {
		t.Fatalf("%s is %s before missing 3 epochs", silent, s.Status.Label())
	}
	f.runTo(50, reporters...)
	if s := f.sharer(silent); s.Status != types.SharerOffline || s.Leases != 0 || s.OfflineHeight != 50 {
		t.Fatalf("%s after missing 3 epochs: %+v", silent, s)
	}
	off := event[*types.EventSharerOffline](f)
	if len(off) != 1 || off[0].Sharer != f.addr(silent) || off[0].Epoch != 5 || off[0].LeasesClosed != 1 {
		t.Fatalf("EventSharerOffline: %v", off)
	}
	closed := event[*types.EventLeaseClosed](f)
	if len(closed) != 1 || closed[0].Reason != types.CloseSharerOffline {
		t.Fatalf("EventLeaseClosed: %v", closed)
	}
	// Re-placed in the same block, on a sharer still reporting.
	if got := f.holders("hello"); len(got) != 2 || slices.Contains(got, silent) {
		t.Fatalf("hello after %s went offline: %v", silent, got)
	}
	if ev := event[*types.EventLeaseCreated](f); len(ev) != 1 {
		t.Fatalf("%d leases created in the block the sharer went offline, want 1", len(ev))
	}
	for _, r := range reporters {
		if s := f.sharer(r); s.Status != types.SharerActive {
			t.Errorf("reporting sharer %s is %s", r, s.Status.Label())
		}
	}

	// A late report of an epoch the next sweep would count as missed again
	// (at the start of epoch 6, a last report at or before epoch 1) is
	// recorded but does not bring it back: it would flap offline at once.
	f.heartbeat(silent, 1)
	if s := f.sharer(silent); s.Status != types.SharerOffline || s.LastReportedEpoch != 1 {
		t.Fatalf("after a late report of epoch 1: %+v", s)
	}
	if ev := event[*types.EventSharerOnline](f); len(ev) != 0 {
		t.Fatalf("EventSharerOnline after a late report of epoch 1: %v", ev)
	}

	// Reporting again brings it back, its capacity open to placement.
	f.heartbeat(silent, 4)
	if s := f.sharer(silent); s.Status != types.SharerActive || s.LastReportedEpoch != 4 {
		t.Fatalf("after reporting: %+v", s)
	}
	if ev := event[*types.EventSharerOnline](f); len(ev) != 1 || ev[0].Epoch != 5 {
		t.Fatalf("EventSharerOnline: %v", ev)
	}
	f.checkInvariants()
}

func TestOfflineSharersCountedInExplanation(t *testing.T) {
	f := newFixture(t)
	f.mustRegister(offer{}, "s1", "s2")
	f.runTo(50, "s1")
	f.create(spec{name: "hello", replicas: 2})
	f.endBlock()
	if want := "2 sharers: 1 chosen, 1 offline"; f.placement("hello").State.Explanation != want {
		t.Errorf("explanation %q, want %q", f.placement("hello").State.Explanation, want)
	}
	f.checkInvariants()
}

func TestHeartbeatRefused(t *testing.T) {
	f := newFixture(t)
	err := f.tx(func(ctx context.Context) error { return f.k.RecordHeartbeat(ctx, f.addr("nobody"), 0) })
	wantErr(t, err, "is not a registered sharer")
	f.mustRegister(offer{}, "s1")
	noErr(t, f.deregister("s1"))
	err = f.tx(func(ctx context.Context) error { return f.k.RecordHeartbeat(ctx, f.addr("s1"), 0) })
	wantErr(t, err, "deregistered; register it again before reporting")
}
