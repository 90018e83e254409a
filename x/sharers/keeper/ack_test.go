package keeper_test

import (
	"context"
	"strings"
	"testing"

	"github.com/quantum1net/q1/x/sharers/types"
)

func TestAckLease(t *testing.T) {
	f := newFixture(t)
	f.autoAck = false
	f.mustRegister(offer{}, "s1", "s2")
	f.create(spec{name: "hello"})
	f.endBlock()
	l := f.leases("hello")[0]
	holder := f.name(l.Sharer)
	other := map[string]string{"s1": "s2", "s2": "s1"}[holder]

	wantErr(t, f.ack(other, l.Id), "lease 1 of service hello is held by sharer "+l.Sharer+", not "+f.addr(other))
	wantErr(t, f.ack(holder, 99), "lease 99 does not exist")
	noErr(t, f.ack(holder, l.Id))
	if ev := event[*types.EventLeaseAcked](f); len(ev) != 1 || ev[0].LeaseId != l.Id || ev[0].Sharer != l.Sharer {
		t.Errorf("EventLeaseAcked: %v", ev)
	}
	h, at, ok, err := f.k.AckTime(f.ctx, l.Id)
	if err != nil || !ok || h != startHeight+1 || !at.Equal(genesisTime.Add(1e9)) {
		t.Errorf("AckTime = %d %v %t %v", h, at, ok, err)
	}
	wantErr(t, f.ack(holder, l.Id), "lease 1 of service hello was acknowledged at height 2")

	// An acknowledged lease never times out.
	f.blocks(10)
	if got := f.leases("hello"); len(got) != 1 || got[0].Id != l.Id {
		t.Fatalf("an acknowledged lease was closed: %v", got)
	}
	f.hook(func(ctx context.Context) error { return f.services.pause(ctx, "hello") })
	wantErr(t, f.ack(holder, l.Id), "lease 1 of service hello closed at height 12 (service_paused); nothing to acknowledge")
	f.checkInvariants()
}

func TestAckTimeoutReplacesElsewhere(t *testing.T) {
	f := newFixture(t) // leases must be acknowledged within 5 blocks
	f.autoAck = false
	f.mustRegister(offer{}, "s1", "s2")
	f.create(spec{name: "hello"})
	f.endBlock() // height 1: placed, deadline 6
	first := f.leases("hello")[0]
	slow := f.name(first.Sharer)

	f.runTo(5)
	if got := f.leases("hello"); len(got) != 1 || got[0].Id != first.Id {
		t.Fatalf("lease closed before its deadline: %v", got)
	}
	f.runTo(6)
	closed := event[*types.EventLeaseClosed](f)
	if len(closed) != 1 || closed[0].Reason != types.CloseAckTimeout || closed[0].Acked || closed[0].Detail != "not acknowledged by height 6" {
		t.Fatalf("EventLeaseClosed: %v", closed)
	}
	now := f.leases("hello")
	if len(now) != 1 || now[0].Sharer == first.Sharer {
		t.Fatalf("after %s let the lease time out, hello is on %v", slow, f.holders("hello"))
	}
	if want := "2 sharers: 1 chosen, 1 excluded after an ack timeout"; f.placement("hello").State.Explanation != want {
		t.Errorf("explanation %q, want %q", f.placement("hello").State.Explanation, want)
	}
	if old, _ := f.k.GetLease(f.ctx, first.Id); old.IsAcked() || old.ClosedHeight != 6 {
		t.Errorf("timed-out lease: %+v", old)
	}
	// The exclusion held for that attempt only.
	if st := f.placement("hello").State; len(st.Excluded) != 0 {
		t.Errorf("excluded kept: %v", st.Excluded)
	}
	f.checkInvariants()
}

// TestAckTimeoutOnlySharerRetried: when the only sharer that could hold a
// service let its lease time out, the placement that excludes it leaves
// the service short; the service is retried from the next block without
// the exclusion, rather than waiting for some unrelated capacity change.
func TestAckTimeoutOnlySharerRetried(t *testing.T) {
	f := newFixture(t)
	f.autoAck = false
	f.mustRegister(offer{}, "s1")
	f.create(spec{name: "hello"})
	f.endBlock() // height 1: placed, deadline 6
	first := f.leases("hello")[0]
	f.runTo(6)
	if got := f.leases("hello"); len(got) != 0 {
		t.Fatalf("placed on the excluded sharer in the same attempt: %v", got)
	}
	if want := "1 sharers: 1 excluded after an ack timeout"; !strings.Contains(f.placement("hello").State.Explanation, "excluded after an ack timeout") {
		t.Errorf("explanation %q, want one like %q", f.placement("hello").State.Explanation, want)
	}
	f.runTo(8)
	again := f.leases("hello")
	if len(again) != 1 || again[0].Id == first.Id {
		t.Fatalf("hello not placed again after the exclusion: %v", again)
	}
	f.checkInvariants()
}

func TestClosedLeasesPruned(t *testing.T) {
	f := newFixture(t) // closed lease records are kept 100 blocks
	f.mustRegister(offer{}, "s1")
	f.create(spec{name: "hello"})
	f.endBlock()
	id := f.leases("hello")[0].Id
	f.hook(func(ctx context.Context) error { return f.services.pause(ctx, "hello") })
	closedAt := f.ctx.BlockHeight()
	f.runTo(closedAt + 99)
	if _, err := f.k.GetLease(f.ctx, id); err != nil {
		t.Fatalf("lease pruned early: %v", err)
	}
	f.runTo(closedAt + 100)
	if _, err := f.k.GetLease(f.ctx, id); err == nil {
		t.Fatal("closed lease kept past its retention")
	}
	f.checkInvariants()
}
