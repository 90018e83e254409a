package runtime

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quantum1net/q1/core/receipt"
)

// startupSink records, at each instance start-up of epoch, how many
// instances of the service were open then.
type startupSink struct {
	lease, epoch uint64
	svc          atomic.Pointer[Service]

	mu   sync.Mutex
	open []int
}

func (s *startupSink) Receipt(r receipt.Receipt, _, _ []byte) {
	svc := s.svc.Load()
	if svc == nil || r.Index != 0 || r.Seed != receipt.SeedFor(s.lease, s.epoch, r.Instance, 0) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.open = append(s.open, svc.Stats().Instances)
}

// TestNewEpochWarmsBeforeRetiring: at an epoch change the new epoch's
// instances start while the whole old pool is still open (and serving), and
// once NewEpoch returns the pool is the new epoch's: a request then runs
// at once, even when no instance could start (the runtime's start-ups are
// all taken). Restarting the pool at the change instead left calls waiting
// on instantiations, which under load outlast the slot wait (503, "stayed
// busy").
func TestNewEpochWarmsBeforeRetiring(t *testing.T) {
	// The slot wait only bounds how long the broken behaviour takes to fail.
	rt := newTestRuntime(t, WithSlotWait(200*time.Millisecond))
	const pool = 2
	sink := &startupSink{lease: 3, epoch: 1}
	svc := load(t, rt, ServiceSpec{Name: "hello", Wasm: helloWasm(t), Instances: pool, LeaseID: 3, Receipts: sink})
	sink.svc.Store(svc)
	get(t, svc, "/")

	svc.NewEpoch(1)
	sink.mu.Lock()
	open := append([]int(nil), sink.open...)
	sink.mu.Unlock()
	if len(open) != pool {
		t.Fatalf("%d instances of epoch 1 started by the time NewEpoch returned, want %d", len(open), pool)
	}
	for i, n := range open {
		if n < pool+i {
			t.Errorf("epoch 1's instance %d started with %d instances open: the old pool (%d) was retired before the new one was warm", i, n, pool)
		}
	}

	// No instance can start now; the new epoch's pool serves anyway.
	for range cap(rt.startups) {
		rt.startups <- struct{}{}
	}
	defer func() {
		for range cap(rt.startups) {
			<-rt.startups
		}
	}()
	for i := range 2 * pool {
		_, err := svc.Handle(context.Background(), &Request{Method: "GET", Path: "/", Host: "hello.localhost"})
		var rerr *Error
		if errors.As(err, &rerr) && rerr.Kind == KindBusy {
			t.Fatalf("call %d after NewEpoch: %v (it waited for the pool to restart)", i, err)
		}
		if err != nil {
			t.Fatalf("call %d after NewEpoch: %v", i, err)
		}
	}
	if st := svc.Stats(); st.Instances != pool {
		t.Errorf("%d instances open after the switch, want %d (the old ones retired)", st.Instances, pool)
	}
}
