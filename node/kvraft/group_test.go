package kvraft

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestGroupProposeAndRead(t *testing.T) {
	c := newCluster(t, nil, 1, 2, 3)
	c.create("svc", 1000, 1, 2, 3)
	lead := c.leader("svc", 1, 2, 3)
	follower := lead%3 + 1

	// A write through a follower is forwarded to the leader and returns
	// once applied on the follower too.
	v, err := c.group(follower, "svc").Put(ctxFor(t, 10*time.Second), "n", []byte("1"))
	if err != nil {
		t.Fatal(err)
	}
	if it, ok := c.group(follower, "svc").LocalGet("n"); !ok || string(it.Value) != "1" || it.Version != v {
		t.Fatalf("after put via node %d its copy has %+v %v", follower, it, ok)
	}
	for id := uint64(1); id <= 3; id++ {
		it, ok, err := c.group(id, "svc").Get(ctxFor(t, 10*time.Second), "n")
		if err != nil || !ok || string(it.Value) != "1" {
			t.Fatalf("get via node %d: %+v %v %v", id, it, ok, err)
		}
	}
	// Compare-and-swap: the right version wins, a stale one is refused.
	g := c.group(lead, "svc")
	v2, err := g.CompareAndSwap(ctxFor(t, 10*time.Second), "n", v, []byte("2"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.group(follower, "svc").CompareAndSwap(ctxFor(t, 10*time.Second), "n", v, []byte("3"))
	if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), fmt.Sprintf("expected version %d, the key is at version %d", v, v2)) {
		t.Fatalf("stale cas: %v", err)
	}
	// A transaction and the quota, through the log.
	if _, err := g.Txn(ctxFor(t, 10*time.Second), map[string]uint64{"n": v2}, []Write{{Key: "m", Value: []byte("x")}}); err != nil {
		t.Fatal(err)
	}
	_, err = g.Put(ctxFor(t, 10*time.Second), "big", make([]byte, 2000))
	if !errors.Is(err, ErrQuota) || !strings.Contains(err.Error(), `kv put "big": quota exceeded`) {
		t.Fatalf("put over quota: %v", err)
	}
	if _, err := g.Propose(ctxFor(t, time.Second), Command{Op: 0, Key: "n"}); err == nil ||
		err.Error() != `kvraft group "svc": propose: unknown command op(0)` {
		t.Fatalf("propose op 0: %v", err)
	}
	kvs, err := c.group(follower, "svc").List(ctxFor(t, 10*time.Second), "", "", 0)
	if err != nil || len(kvs) != 2 || kvs[0].Key != "m" || kvs[1].Key != "n" {
		t.Fatalf("list: %+v %v", kvs, err)
	}
}

func TestGroupLeaderCrashAndRecovery(t *testing.T) {
	c := newCluster(t, nil, 1, 2, 3)
	c.create("svc", 0, 1, 2, 3)
	lead := c.leader("svc", 1, 2, 3)
	if _, err := c.group(lead, "svc").Put(ctxFor(t, 10*time.Second), "before", []byte("1")); err != nil {
		t.Fatal(err)
	}
	c.stop(lead)
	var rest []uint64
	for id := uint64(1); id <= 3; id++ {
		if id != lead {
			rest = append(rest, id)
		}
	}
	newLead := c.leader("svc", rest...)
	for i := range 5 {
		if _, err := c.group(rest[i%2], "svc").Put(ctxFor(t, 10*time.Second), fmt.Sprint("after", i), []byte("2")); err != nil {
			t.Fatalf("put with node %d down (leader now %d): %v", lead, newLead, err)
		}
	}
	// The old leader comes back from its directory and catches up.
	c.open(lead)
	g := c.group(lead, "svc")
	// It replays its own log first: the write it had committed is back.
	eventually(t, 30*time.Second, func() error {
		if it, ok := g.LocalGet("before"); !ok || string(it.Value) != "1" {
			return fmt.Errorf("reopened node %d lacks a committed write: %+v %v", lead, it, ok)
		}
		return nil
	})
	eventually(t, 30*time.Second, func() error {
		if _, ok := g.LocalGet("after4"); !ok {
			return fmt.Errorf("node %d has not caught up (applied %d)", lead, g.Applied())
		}
		return nil
	})
	it, ok, err := g.Get(ctxFor(t, 10*time.Second), "after3")
	if err != nil || !ok {
		t.Fatalf("linearizable get on the reopened node: %+v %v %v", it, ok, err)
	}
}

func TestGroupMinorityPartition(t *testing.T) {
	c := newCluster(t, nil, 1, 2, 3)
	c.create("svc", 0, 1, 2, 3)
	lead := c.leader("svc", 1, 2, 3)
	if _, err := c.group(lead, "svc").Put(ctxFor(t, 10*time.Second), "k", []byte("0")); err != nil {
		t.Fatal(err)
	}
	// Cut the leader off: it is the minority.
	c.net.Partition(lead)
	var rest []uint64
	for id := uint64(1); id <= 3; id++ {
		if id != lead {
			rest = append(rest, id)
		}
	}
	for i := range 3 {
		eventually(t, 30*time.Second, func() error {
			_, err := c.group(rest[i%2], "svc").Put(ctxFor(t, 2*time.Second), "k", []byte(fmt.Sprint(i+1)))
			return err
		})
	}
	old := c.group(lead, "svc")
	_, err := old.Put(ctxFor(t, time.Second), "k", []byte("lost"))
	if !errors.Is(err, ErrNoQuorum) {
		t.Fatalf("put on the cut-off node: %v, want ErrNoQuorum", err)
	}
	want := `kvraft group "svc": put failed: no quorum: 1 of 3 members reachable (a majority is 2); the store is unavailable, not inconsistent`
	if !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("message:\n got %s\nwant prefix %s", err, want)
	}
	if _, _, err := old.Get(ctxFor(t, time.Second), "k"); !errors.Is(err, ErrNoQuorum) {
		t.Fatalf("get on the cut-off node: %v, want ErrNoQuorum", err)
	}
	c.net.Heal()
	// Back in the majority, it reads the majority's value; its own
	// write, never committed, is gone.
	eventually(t, 30*time.Second, func() error {
		it, _, err := old.Get(ctxFor(t, 2*time.Second), "k")
		if err != nil {
			return err
		}
		if string(it.Value) != "3" {
			return fmt.Errorf("k = %q on node %d, want 3", it.Value, lead)
		}
		return nil
	})
}

func TestGroupMembershipChange(t *testing.T) {
	c := newCluster(t, func(cfg *Config) {
		cfg.SnapshotEvery = 5
		cfg.ElectionTicks = 50 // a wide window for the pending-change check below
	}, 1, 2, 3, 4)
	c.create("svc", 0, 1, 2, 3)
	lead := c.leader("svc", 1, 2, 3)
	g := c.group(lead, "svc")
	for i := range 20 {
		if _, err := g.Put(ctxFor(t, 10*time.Second), fmt.Sprint("k", i), []byte(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.host(4).CreateGroup("svc", GroupOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := c.group((lead%3)+1, "svc").AddLearner(ctxFor(t, time.Second), 4); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("add learner on a follower: %v, want ErrNotLeader", err)
	}
	// With the leader cut off, the change cannot commit: a second change
	// meanwhile is refused.
	c.net.Partition(lead)
	done := make(chan error, 1)
	go func() { done <- g.AddLearner(ctxFor(t, 60*time.Second), 4) }()
	eventually(t, 10*time.Second, func() error {
		g.mu.Lock()
		defer g.mu.Unlock()
		if !g.confInFlight {
			return fmt.Errorf("the leader has not proposed adding learner 4 yet")
		}
		return nil
	})
	eventually(t, 10*time.Second, func() error {
		err := g.Remove(ctxFor(t, time.Second), 3)
		if !errors.Is(err, ErrChangePending) {
			return fmt.Errorf("second change: %v, want ErrChangePending", err)
		}
		if !strings.Contains(err.Error(), `kvraft group "svc": remove 3 refused: kvraft: a membership change is pending (one change at a time`) {
			return fmt.Errorf("message: %v", err)
		}
		return nil
	})
	c.net.Heal()
	if err := <-done; err != nil {
		// The leader may have stepped down before its change committed;
		// then the change is retried on whoever leads now.
		eventually(t, 30*time.Second, func() error {
			g := c.group(c.leader("svc", 1, 2, 3), "svc")
			if _, l := g.Members(); len(l) == 1 {
				return nil
			}
			return g.AddLearner(ctxFor(t, 5*time.Second), 4)
		})
	}
	// The learner catches up from a snapshot: the log was compacted.
	g4 := c.group(4, "svc")
	eventually(t, 30*time.Second, func() error {
		if _, ok := g4.LocalGet("k19"); !ok {
			return fmt.Errorf("learner 4 has not caught up (applied %d)", g4.Applied())
		}
		return nil
	})
	g4.mu.Lock()
	installed := g4.installed
	g4.mu.Unlock()
	if installed == 0 {
		t.Fatalf("learner 4 caught up without a snapshot; the log should have been compacted")
	}
	eventually(t, 30*time.Second, func() error { return c.group(c.leader("svc", 1, 2, 3), "svc").Promote(ctxFor(t, 5*time.Second), 4) })
	// Remove the leader itself: the rest elect and keep every write.
	lead = c.leader("svc", 1, 2, 3, 4)
	eventually(t, 30*time.Second, func() error {
		return c.group(c.leader("svc", 1, 2, 3, 4), "svc").Remove(ctxFor(t, 5*time.Second), lead)
	})
	var rest []uint64
	for _, id := range []uint64{1, 2, 3, 4} {
		if id != lead {
			rest = append(rest, id)
		}
	}
	// The removed member's node drops the group and its data.
	removed := c.group(lead, "svc")
	if err := c.host(lead).DeleteGroup("svc"); err != nil {
		t.Fatal(err)
	}
	if _, err := removed.Put(ctxFor(t, time.Second), "x", nil); !errors.Is(err, ErrGroupDeleted) ||
		err.Error() != fmt.Sprintf(`kvraft group "svc": put: kvraft: group deleted on node %d`, lead) {
		t.Fatalf("put on a deleted group: %v", err)
	}
	c.stop(lead)
	if c.open(lead).Group("svc") != nil {
		t.Fatalf("node %d reopened with the group it deleted", lead)
	}
	newLead := c.leader("svc", rest...)
	if v, _ := c.group(newLead, "svc").Members(); len(v) != 3 {
		t.Fatalf("voters after the removal: %v", v)
	}
	if _, err := g4.Put(ctxFor(t, 10*time.Second), "k20", []byte("20")); err != nil {
		t.Fatal(err)
	}
	for _, id := range rest {
		for i := range 21 {
			it, ok, err := c.group(id, "svc").Get(ctxFor(t, 10*time.Second), fmt.Sprint("k", i))
			if err != nil || !ok || string(it.Value) != fmt.Sprint(i) {
				t.Fatalf("node %d k%d = %q %v %v", id, i, it.Value, ok, err)
			}
		}
	}
}

// TestGroupsShareTheHostGoroutine checks the point of the design: groups
// add no goroutines, whatever their number.
func TestGroupsShareTheHostGoroutine(t *testing.T) {
	c := newCluster(t, nil, 1)
	base := runtime.NumGoroutine()
	for i := range 100 {
		c.create(fmt.Sprint("svc-", i), 0, 1)
	}
	for i := range 100 {
		c.leader(fmt.Sprint("svc-", i), 1)
	}
	if _, err := c.group(1, "svc-42").Put(ctxFor(t, 10*time.Second), "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if n := runtime.NumGoroutine(); n > base+2 {
		t.Fatalf("100 groups took the process from %d to %d goroutines", base, n)
	}
}

// TestGroupStopsOnStorageError checks that a group whose log cannot be
// written stops, and that a waiting write says why instead of timing out.
func TestGroupStopsOnStorageError(t *testing.T) {
	c := newCluster(t, nil, 1)
	c.create("svc", 0, 1)
	c.leader("svc", 1)
	g := c.group(1, "svc")
	if _, err := g.Put(ctxFor(t, 10*time.Second), "a", []byte("1")); err != nil {
		t.Fatal(err)
	}
	c.host(1).db.Close() // every later write fails
	_, err := g.Put(ctxFor(t, 30*time.Second), "b", []byte("2"))
	if err == nil || !strings.Contains(err.Error(), `kvraft group "svc": put: the group stopped on node 1 after a storage error (the write may still commit): kvraft group "svc": persist the raft log: leveldb: closed`) {
		t.Fatalf("put after the database closed: %v", err)
	}
	if _, _, err := g.Get(ctxFor(t, 30*time.Second), "a"); err == nil || !strings.Contains(err.Error(), "stopped on node 1 after a storage error") {
		t.Fatalf("get on a stopped group: %v", err)
	}
}
