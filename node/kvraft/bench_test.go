package kvraft

import (
	"fmt"
	"io"
	"log"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"syscall"
	"testing"
	"time"
)

func cpuTime(t testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func heapMiB() float64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return float64(ms.HeapAlloc) / (1 << 20)
}

// BenchmarkIdleGroups measures what 200 idle groups on each of 3 hosts
// cost one process, with the production timing (100 ms ticks, heartbeat
// every 2 ticks, election after 10): goroutines, heap and CPU per second.
//
//	go test ./node/kvraft -run '^$' -bench IdleGroups -benchtime 1x -v
func BenchmarkIdleGroups(b *testing.B) {
	const groups, idle = 200, 10 * time.Second
	for range b.N {
		goroutines0, heap0 := runtime.NumGoroutine(), heapMiB()
		c := newCluster(b, func(cfg *Config) {
			cfg.TickInterval, cfg.ElectionTicks, cfg.HeartbeatTicks = 100*time.Millisecond, 10, 2
			cfg.Logger = log.New(io.Discard, "", 0)
		}, 1, 2, 3)
		for i := range groups {
			c.create(fmt.Sprintf("svc-%03d", i), 0, 1, 2, 3)
		}
		leaders := map[uint64]int{}
		for i := range groups {
			leaders[c.leader(fmt.Sprintf("svc-%03d", i), 1, 2, 3)]++
		}
		// Let the first elections' traffic settle, then measure.
		time.Sleep(2 * time.Second)
		s0 := [3]HostStats{c.host(1).Stats(), c.host(2).Stats(), c.host(3).Stats()}
		cpu0, t0 := cpuTime(b), time.Now()
		time.Sleep(idle)
		cpu1, t1 := cpuTime(b), time.Now()
		secs := t1.Sub(t0).Seconds()
		var batches, msgs, bytes uint64
		for i, id := range []uint64{1, 2, 3} {
			s := c.host(id).Stats()
			batches += s.Batches - s0[i].Batches
			msgs += s.Messages - s0[i].Messages
			bytes += s.Bytes - s0[i].Bytes
		}
		goroutines, heap := runtime.NumGoroutine()-goroutines0, heapMiB()-heap0
		cpuPerSec := float64(cpu1-cpu0) / float64(time.Millisecond) / secs
		b.ReportMetric(float64(goroutines), "goroutines")
		b.ReportMetric(heap, "heap-MiB")
		b.ReportMetric(cpuPerSec, "cpu-ms/s")
		b.ReportMetric(float64(batches)/secs, "batches/s")
		b.ReportMetric(float64(msgs)/secs, "raft-msgs/s")
		b.Logf("3 hosts x %d idle groups (leaders per host %v), %.1f s idle: %d goroutines, %.1f MiB heap, "+
			"%.1f ms CPU per second (%.2f%% of one core; %.3f ms per group-replica), %.0f batches/s carrying %.0f raft messages/s (%.0f B/s)",
			groups, leaders, secs, goroutines, heap, cpuPerSec, cpuPerSec/10, cpuPerSec/(3*groups), float64(batches)/secs, float64(msgs)/secs, float64(bytes)/secs)
	}
}

// BenchmarkPut measures committed writes on 3 hosts with fsync on: one
// client writing in a loop, and 16 clients at once.
//
//	go test ./node/kvraft -run '^$' -bench Put -benchtime 2000x -v
func BenchmarkPut(b *testing.B) {
	for _, clients := range []int{1, 16} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			c := newCluster(b, func(cfg *Config) {
				cfg.NoSync = false
				cfg.Logger = log.New(io.Discard, "", 0)
				cfg.Dir = filepath.Join(b.TempDir(), fmt.Sprint(cfg.NodeID))
			}, 1, 2, 3)
			c.create("svc", 0, 1, 2, 3)
			g := c.group(c.leader("svc", 1, 2, 3), "svc")
			lat := make([]time.Duration, b.N)
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for cl := range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := cl; i < b.N; i += clients {
						t0 := time.Now()
						if _, err := g.Put(ctxFor(b, 10*time.Second), fmt.Sprint("k", i%100), []byte("value")); err != nil {
							b.Error(err)
							return
						}
						lat[i] = time.Since(t0)
					}
				}()
			}
			wg.Wait()
			el := time.Since(start)
			b.StopTimer()
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			b.ReportMetric(float64(b.N)/el.Seconds(), "writes/s")
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}

// BenchmarkGet measures linearizable reads on 3 hosts: through the leader
// (a ReadIndex heartbeat round to a majority) and through a follower (a
// round trip to the leader on top), one client and 16.
//
//	go test ./node/kvraft -run '^$' -bench Get -benchtime 2000x -v
func BenchmarkGet(b *testing.B) {
	for _, tc := range []struct {
		on      string
		clients int
	}{{"leader", 1}, {"follower", 1}, {"leader", 16}} {
		b.Run(fmt.Sprintf("on=%s/clients=%d", tc.on, tc.clients), func(b *testing.B) {
			c := newCluster(b, func(cfg *Config) {
				cfg.NoSync = false
				cfg.Logger = log.New(io.Discard, "", 0)
			}, 1, 2, 3)
			c.create("svc", 0, 1, 2, 3)
			lead := c.leader("svc", 1, 2, 3)
			id := lead
			if tc.on == "follower" {
				id = lead%3 + 1
			}
			g := c.group(id, "svc")
			if _, err := g.Put(ctxFor(b, 10*time.Second), "k", []byte("value")); err != nil {
				b.Fatal(err)
			}
			lat := make([]time.Duration, b.N)
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for cl := range tc.clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := cl; i < b.N; i += tc.clients {
						t0 := time.Now()
						if _, _, err := g.Get(ctxFor(b, 10*time.Second), "k"); err != nil {
							b.Error(err)
							return
						}
						lat[i] = time.Since(t0)
					}
				}()
			}
			wg.Wait()
			el := time.Since(start)
			b.StopTimer()
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			b.ReportMetric(float64(b.N)/el.Seconds(), "reads/s")
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}

// BenchmarkCatchUp measures how long a new learner takes to catch up with
// a store of 16 MiB (1,024 values of 16 KiB) from a compacted log, so by
// snapshot: from AddLearner until it has applied the last write.
//
//	go test ./node/kvraft -run '^$' -bench CatchUp -benchtime 1x -v
func BenchmarkCatchUp(b *testing.B) {
	const values, size = 1024, 16 << 10
	for range b.N {
		b.StopTimer()
		c := newCluster(b, func(cfg *Config) {
			cfg.SnapshotEvery = 100
			cfg.Logger = log.New(io.Discard, "", 0)
		}, 1, 2, 3, 4)
		c.create("svc", 0, 1, 2, 3)
		g := c.group(c.leader("svc", 1, 2, 3), "svc")
		var wg sync.WaitGroup
		for cl := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := cl; i < values; i += 16 {
					if _, err := g.Put(ctxFor(b, 30*time.Second), fmt.Sprintf("k%04d", i), make([]byte, size)); err != nil {
						b.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		if _, err := g.Put(ctxFor(b, 30*time.Second), "last", []byte("x")); err != nil {
			b.Fatal(err)
		}
		if _, err := c.host(4).CreateGroup("svc", GroupOptions{}); err != nil {
			b.Fatal(err)
		}
		g4 := c.group(4, "svc")
		b.StartTimer()
		t0 := time.Now()
		if err := g.AddLearner(ctxFor(b, 30*time.Second), 4); err != nil {
			b.Fatal(err)
		}
		eventually(b, 120*time.Second, func() error {
			if _, ok := g4.LocalGet("last"); !ok {
				return fmt.Errorf("learner 4 has not caught up (applied %d)", g4.Applied())
			}
			return nil
		})
		el := time.Since(t0)
		b.StopTimer()
		g4.mu.Lock()
		installed := g4.installed
		g4.mu.Unlock()
		b.ReportMetric(el.Seconds(), "catch-up-s")
		b.ReportMetric(float64(values*size)/(1<<20)/el.Seconds(), "MiB/s")
		b.Logf("a learner caught up with %d MiB in %v (%d snapshot(s) installed)", values*size>>20, el.Round(time.Millisecond), installed)
	}
}
