package bench

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestDriverAccounting(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	hash := func(s string) [32]byte { return sha256.Sum256([]byte(s)) }

	d := newDriver(nil, nil, 2, 3, 0)
	submit := func(name string, sender int, ms int) {
		slot := <-d.free[sender] // as runSender does before submitting
		d.track(hash(name), sender, slot, at(ms))
	}
	submit("before", 0, 0)
	d.openWindow(at(100))
	submit("in1", 0, 150)
	submit("in2", 1, 200)
	submit("lost", 1, 250)
	d.closeWindow(at(300))
	submit("after", 0, 350)

	steps := []struct {
		name      string
		do        func() bool
		wantMine  bool
		wantSlots [2]int
	}{
		{"a tx from before the window frees its slot", func() bool { return d.committedTx(hash("before"), at(400)) }, true, [2]int{2, 2}},
		{"a stranger's tx is not ours", func() bool { return d.committedTx(hash("other"), at(400)) }, false, [2]int{2, 2}},
		{"a tx of the window", func() bool { return d.committedTx(hash("in1"), at(650)) }, true, [2]int{1, 2}},
		{"another", func() bool { return d.committedTx(hash("in2"), at(1200)) }, true, [2]int{1, 1}},
		{"a tx after the window", func() bool { return d.committedTx(hash("after"), at(1400)) }, true, [2]int{0, 1}},
		{"giving up on a tx frees its slot", func() bool { d.untrack(hash("lost")); return true }, true, [2]int{0, 0}},
		{"a given-up tx that commits after all is still ours", func() bool { return d.committedTx(hash("lost"), at(2000)) }, true, [2]int{0, 0}},
		{"a tx seen twice frees its slot once", func() bool { return d.committedTx(hash("in1"), at(2000)) }, true, [2]int{0, 0}},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if got := s.do(); got != s.wantMine {
				t.Errorf("mine = %v, want %v", got, s.wantMine)
			}
			if got := [2]int{3 - len(d.free[0]), 3 - len(d.free[1])}; got != s.wantSlots {
				t.Errorf("slots in use = %v, want %v", got, s.wantSlots)
			}
		})
	}

	lat, _, _ := d.results()
	want := []time.Duration{500 * time.Millisecond, 1000 * time.Millisecond}
	if fmt.Sprint(lat) != fmt.Sprint(want) {
		t.Errorf("latencies = %v, want %v (only txs submitted in the window)", lat, want)
	}
	if n := d.committed.Load(); n != 4 {
		t.Errorf("committed = %d, want 4", n)
	}
	if n := d.inFlight(); n != 0 {
		t.Errorf("in flight = %d, want 0", n)
	}
}

func TestDriverPace(t *testing.T) {
	t.Run("no cap never waits", func(t *testing.T) {
		d := newDriver(nil, nil, 1, 1, 0)
		d.start = time.Now().Add(time.Hour)
		if !d.pace(context.Background()) {
			t.Error("pace = false, want true")
		}
	})
	t.Run("a stopped run stops waiting", func(t *testing.T) {
		d := newDriver(nil, nil, 1, 1, 0.001) // one tx per 1000s
		d.start = time.Now()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if d.pace(ctx) {
			t.Error("pace = true after the context ended, want false")
		}
	})
	t.Run("a tx whose turn has passed goes at once", func(t *testing.T) {
		d := newDriver(nil, nil, 1, 1, 10)
		d.start = time.Now().Add(-time.Hour)
		if !d.pace(context.Background()) {
			t.Error("pace = false, want true")
		}
	})
}

func TestRefusalReason(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{errors.New("error in json rpc client: mempool is full: number of txs 20000 (max: 20000)"), "mempool full"},
		{errors.New("mempool is still rechecking after a new committed block, so it is considered as full"), "mempool full"},
		{fmt.Errorf("post failed: %w", context.DeadlineExceeded), "rpc timeout"},
		{errors.New("connection refused"), "rpc error"},
	}
	for _, tt := range tests {
		t.Run(tt.want+": "+tt.err.Error(), func(t *testing.T) {
			if got := refusalReason(tt.err); got != tt.want {
				t.Errorf("refusalReason = %q, want %q", got, tt.want)
			}
		})
	}
}
