package kvraft

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
)

// linInput is one client operation of the history.
type linInput struct {
	op    string // "put", "get", "cas"
	key   string
	value string // put, cas: the value written (unique in the history)
	// cas: the value the client read before (so the version it expects);
	// "" means it read the key as absent.
	expect string
}

// linOutput is what the operation returned.
type linOutput struct {
	value   string // get: the value read ("" = absent)
	ok      bool   // cas: swapped
	unknown bool   // a write whose outcome is unknown (timeout, closed host)
}

// Every written value is unique, so "the key is at the version read" is the
// same as "the key holds the value read": the model needs no versions.
var kvModel = porcupine.Model{
	Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[string][]porcupine.Operation{}
		var keys []string
		for _, op := range history {
			k := op.Input.(linInput).key
			if _, ok := byKey[k]; !ok {
				keys = append(keys, k)
			}
			byKey[k] = append(byKey[k], op)
		}
		out := make([][]porcupine.Operation, 0, len(keys))
		for _, k := range keys {
			out = append(out, byKey[k])
		}
		return out
	},
	Init: func() any { return "" },
	Step: func(state, input, output any) (bool, any) {
		s, in, out := state.(string), input.(linInput), output.(linOutput)
		switch in.op {
		case "put":
			return true, in.value
		case "get":
			return out.value == s, s
		case "cas":
			if out.unknown {
				if s == in.expect {
					return true, in.value
				}
				return true, s
			}
			if out.ok {
				return s == in.expect, in.value
			}
			return s != in.expect, s
		}
		return false, s
	},
	Equal: func(a, b any) bool { return a == b },
	DescribeOperation: func(input, output any) string {
		in, out := input.(linInput), output.(linOutput)
		switch {
		case in.op == "get":
			return fmt.Sprintf("get(%s) -> %q", in.key, out.value)
		case out.unknown:
			return fmt.Sprintf("%s(%s, %q, expect %q) -> ?", in.op, in.key, in.value, in.expect)
		}
		return fmt.Sprintf("%s(%s, %q, expect %q) -> %v", in.op, in.key, in.value, in.expect, out.ok)
	},
}

// TestLinearizability runs concurrent clients against every host while a
// nemesis cuts a node off, drops a fifth of all batches or restarts a
// host, then checks the history with porcupine.
func TestLinearizability(t *testing.T) {
	run, clients := 15*time.Second, 6
	if testing.Short() {
		run, clients = 4*time.Second, 4
	}
	c := newCluster(t, func(cfg *Config) { cfg.SnapshotEvery = 50 }, 1, 2, 3)
	c.create("lin", 0, 1, 2, 3)
	c.leader("lin", 1, 2, 3)
	keys := []string{"a", "b", "c"}
	start := time.Now()
	now := func() int64 { return int64(time.Since(start)) }
	stop := make(chan struct{})

	var mu sync.Mutex
	var history []porcupine.Operation
	var okWrites, unknowns, reads int
	record := func(op porcupine.Operation) {
		mu.Lock()
		defer mu.Unlock()
		history = append(history, op)
		switch out := op.Output.(linOutput); {
		case out.unknown:
			unknowns++
		case op.Input.(linInput).op == "get":
			reads++
		case op.Input.(linInput).op == "put" || out.ok:
			okWrites++
		}
	}

	var wg sync.WaitGroup
	for cl := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(cl), 7))
			for seq := 0; ; seq++ {
				select {
				case <-stop:
					return
				default:
				}
				id := uint64(rng.IntN(3) + 1)
				c.mu.Lock()
				h, down := c.hosts[id], c.closed[id]
				c.mu.Unlock()
				if down {
					time.Sleep(5 * time.Millisecond)
					continue
				}
				g := h.Group("lin")
				key := keys[rng.IntN(len(keys))]
				value := fmt.Sprintf("c%d-%d", cl, seq)
				ctx := ctxFor(t, time.Second)
				switch r := rng.IntN(3); r {
				case 0: // put
					call := now()
					_, err := g.Put(ctx, key, []byte(value))
					op := porcupine.Operation{ClientId: cl, Input: linInput{op: "put", key: key, value: value}, Call: call, Return: now()}
					if err != nil {
						op.Output, op.Return = linOutput{unknown: true}, math.MaxInt64
					} else {
						op.Output = linOutput{}
					}
					record(op)
				default: // get, then (r == 2) cas on what was read
					call := now()
					it, found, err := g.Get(ctx, key)
					if err != nil {
						continue // a failed read has no effect
					}
					read := ""
					if found {
						read = string(it.Value)
					}
					record(porcupine.Operation{ClientId: cl, Input: linInput{op: "get", key: key}, Output: linOutput{value: read}, Call: call, Return: now()})
					if r != 2 {
						continue
					}
					call = now()
					_, err = g.CompareAndSwap(ctxFor(t, time.Second), key, it.Version, []byte(value))
					op := porcupine.Operation{ClientId: cl, Input: linInput{op: "cas", key: key, value: value, expect: read}, Call: call, Return: now()}
					switch {
					case err == nil:
						op.Output = linOutput{ok: true}
					case errors.Is(err, ErrConflict):
						op.Output = linOutput{ok: false}
					default:
						op.Output, op.Return = linOutput{unknown: true}, math.MaxInt64
					}
					record(op)
				}
			}
		}()
	}

	// The nemesis: partitions one node or restarts one host, then heals.
	rng := rand.New(rand.NewPCG(99, 1))
	events := 0
	for time.Since(start) < run {
		time.Sleep(time.Duration(200+rng.IntN(400)) * time.Millisecond)
		id := uint64(rng.IntN(3) + 1)
		switch rng.IntN(3) {
		case 0:
			c.net.Partition(id)
			time.Sleep(time.Duration(200+rng.IntN(600)) * time.Millisecond)
			c.net.Heal()
		case 1:
			c.net.SetDropRate(0.2)
			time.Sleep(time.Duration(200+rng.IntN(600)) * time.Millisecond)
			c.net.Heal()
		default:
			c.stop(id)
			time.Sleep(time.Duration(100+rng.IntN(400)) * time.Millisecond)
			c.open(id)
		}
		events++
	}
	close(stop)
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	t.Logf("history: %d operations (%d writes confirmed, %d reads, %d writes of unknown outcome), %d nemesis events in %v",
		len(history), okWrites, reads, unknowns, events, time.Since(start).Round(time.Millisecond))
	if okWrites == 0 || reads == 0 {
		t.Fatalf("the clients made no progress: %d writes confirmed, %d reads", okWrites, reads)
	}
	res, info := porcupine.CheckOperationsVerbose(kvModel, history, 60*time.Second)
	if res == porcupine.Unknown {
		t.Fatalf("porcupine did not finish checking %d operations in 60 s: shorten the run", len(history))
	}
	if res != porcupine.Ok {
		path := filepath.Join(t.TempDir(), "history.html")
		if err := porcupine.VisualizePath(kvModel, info, path); err == nil {
			t.Logf("visualization: %s", path)
		}
		t.Fatalf("history is not linearizable: %s", res)
	}
}
