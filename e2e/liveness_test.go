package e2e

import (
	"testing"
	"time"
)

// TestLivenessAndHalt shows BFT's arithmetic on a 4-validator network: with
// one validator down the chain goes on; with two down it halts; when they
// return it resumes, and every node agrees on every block.
func TestLivenessAndHalt(t *testing.T) {
	tn := startTestnet(t, netOptions{nodes: 4})

	// One of four down: the other three hold 75% of the power.
	if err := tn.sup.Kill(3); err != nil {
		t.Fatal(err)
	}
	h := tn.maxHeight()
	tn.waitAllHeight(h+10, 2*time.Minute)
	t.Logf("with node3 down the chain went from %d to at least %d", h, h+10)

	// Two of four down: 50% is not more than two thirds, so no block can commit.
	if err := tn.sup.Kill(2); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second) // let a block already in flight finish
	halted := tn.maxHeight()
	// Watch for a generous while: any new block would be a safety bug, however slow the machine.
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if h := tn.maxHeight(); h > halted {
			t.Fatalf("chain advanced from %d to %d with only half the voting power online", halted, h)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("with node2 and node3 down the chain halted at %d", halted)

	// Both return: the chain resumes and the returning nodes catch up.
	for _, i := range []int{2, 3} {
		if err := tn.sup.Start(i); err != nil {
			t.Fatal(err)
		}
	}
	tn.waitAllHeight(halted+10, 2*time.Minute)
	top := tn.maxHeight()
	tn.waitAllHeight(top, time.Minute)
	checkSameHashes(t, tn, top)
	t.Logf("resumed: all four nodes agree on heights 1..%d", top)
}
