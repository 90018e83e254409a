package kvraft

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// cluster is a set of hosts in one process on a MemNetwork.
type cluster struct {
	t      testing.TB
	net    *MemNetwork
	root   string
	tweak  func(*Config)
	mu     sync.Mutex
	hosts  map[uint64]*Host
	closed map[uint64]bool
}

func testConfig(id uint64, dir string, tr Transport) Config {
	return Config{NodeID: id, Dir: dir, Transport: tr, TickInterval: 20 * time.Millisecond,
		ElectionTicks: 10, HeartbeatTicks: 2, NoSync: true,
		Logger: log.New(os.Stderr, fmt.Sprintf("node %d: ", id), log.Lmicroseconds)}
}

func newCluster(t testing.TB, tweak func(*Config), ids ...uint64) *cluster {
	c := &cluster{t: t, net: NewMemNetwork(), root: t.TempDir(), tweak: tweak, hosts: map[uint64]*Host{}, closed: map[uint64]bool{}}
	for _, id := range ids {
		c.open(id)
	}
	t.Cleanup(func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		for id, h := range c.hosts {
			if !c.closed[id] {
				h.Close()
			}
		}
	})
	return c
}

// open opens (or reopens) node id's host on its directory.
func (c *cluster) open(id uint64) *Host {
	cfg := testConfig(id, filepath.Join(c.root, fmt.Sprint(id)), c.net.Transport(id))
	if c.tweak != nil {
		c.tweak(&cfg)
	}
	h, err := Open(cfg)
	if err != nil {
		c.t.Fatalf("open node %d: %v", id, err)
	}
	c.net.Attach(h)
	c.mu.Lock()
	c.hosts[id], c.closed[id] = h, false
	c.mu.Unlock()
	return h
}

// stop closes node id's host, as a crash would (no data is flushed that a
// Ready had not persisted already).
func (c *cluster) stop(id uint64) {
	c.mu.Lock()
	h := c.hosts[id]
	c.closed[id] = true
	c.mu.Unlock()
	if err := h.Close(); err != nil {
		c.t.Fatalf("close node %d: %v", id, err)
	}
}

func (c *cluster) host(id uint64) *Host {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hosts[id]
}

func (c *cluster) group(id uint64, name string) *Group {
	g := c.host(id).Group(name)
	if g == nil {
		c.t.Fatalf("node %d has no group %q", id, name)
	}
	return g
}

// create creates group name on ids, all founding members.
func (c *cluster) create(name string, quota int64, ids ...uint64) {
	for _, id := range ids {
		if _, err := c.host(id).CreateGroup(name, GroupOptions{Peers: ids, Quota: quota}); err != nil {
			c.t.Fatal(err)
		}
	}
}

// leader waits until one of ids leads group name and every other open
// member knows it.
func (c *cluster) leader(name string, ids ...uint64) uint64 {
	var lead uint64
	eventually(c.t, 30*time.Second, func() error {
		lead = 0
		for _, id := range ids {
			if c.group(id, name).IsLeader() {
				lead = id
			}
		}
		if lead == 0 {
			return fmt.Errorf("no leader of %q among %v", name, ids)
		}
		for _, id := range ids {
			if l := c.group(id, name).Leader(); l != lead {
				g := c.group(id, name)
				g.mu.Lock()
				st := g.rn.Status()
				g.mu.Unlock()
				lg := c.group(lead, name)
				lg.mu.Lock()
				lst := lg.rn.Status()
				lg.mu.Unlock()
				return fmt.Errorf("node %d thinks the leader is %d, not %d (%s) (leader: %s)", id, l, lead, st.String(), lst.String())
			}
		}
		return nil
	})
	return lead
}

// eventually polls f until it returns nil, failing the test at the deadline.
func eventually(t testing.TB, within time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %v", within, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func ctxFor(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
