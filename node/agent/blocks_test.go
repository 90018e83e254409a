package agent

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// syncCounter is a chain that counts the agent's Syncs and has no new height.
type syncCounter struct {
	fakeChain
	syncs atomic.Int32
}

func (c *syncCounter) Sync(context.Context) (int64, error) {
	c.syncs.Add(1)
	return 0, nil
}

// TestBlockEventStartsAStep: with WithBlocks, a committed block makes the
// agent read the chain at once, not at its next poll (an hour away here).
func TestBlockEventStartsAStep(t *testing.T) {
	chain := &syncCounter{}
	a, _ := testAgent(t, chain, fakeReplicas{}, &fakeSender{})
	blocks := make(chan struct{}, 1)
	a.poll = time.Hour
	WithBlocks(blocks)(a)
	if a.poll != time.Hour {
		t.Fatalf("WithBlocks shortened the poll to %s", a.poll)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); a.run(ctx) }()
	defer func() { cancel(); <-done }()
	for i := int32(1); i <= 3; i++ {
		blocks <- struct{}{}
		deadline := time.Now().Add(time.Minute)
		for chain.syncs.Load() < i {
			if time.Now().After(deadline) {
				t.Fatalf("block %d: the agent did not read the chain", i)
			}
			time.Sleep(time.Millisecond)
		}
	}
	b := &Agent{poll: 100 * time.Millisecond}
	WithBlocks(blocks)(b)
	if b.poll != time.Second {
		t.Fatalf("with block events the fallback poll is %s, want 1s", b.poll)
	}
}
