package e2e

import (
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	sdkmath "cosmossdk.io/math"

	"github.com/quantum1net/q1/internal/loadgen"
)

// crashSeed picks the kill schedule; Q1_CRASH_SEED reproduces a failure.
func crashSeed(t *testing.T) uint64 {
	if s := os.Getenv("Q1_CRASH_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("Q1_CRASH_SEED: %v", err)
		}
		return v
	}
	return uint64(time.Now().UnixNano())
}

// TestCrashSafety kills validators with SIGKILL at random moments under a
// steady load of transfers and restarts them: no committed tx is lost or
// doubled, no balance moves without a tx, and every node agrees on every
// block and app hash.
func TestCrashSafety(t *testing.T) {
	senders := loadgen.NewAccounts(8, 1)
	recipients := loadgen.NewAccounts(16, 2)
	funding := sdkmath.NewInt(1_000_000_000_000)
	tn := startTestnet(t, netOptions{nodes: 4, accounts: senders, funding: funding})

	seed := crashSeed(t)
	t.Logf("kill schedule seed %d (set Q1_CRASH_SEED=%d to replay)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, seed+1))

	load := newTransferLoad(tn, senders, recipients, seed)
	load.start()

	for k := 0; k < 20; k++ {
		time.Sleep(time.Duration(200+rng.IntN(1300)) * time.Millisecond) // a random moment
		victim := rng.IntN(len(tn.net.Nodes))
		if err := tn.sup.Kill(victim); err != nil {
			t.Fatal(err)
		}
		others := tn.maxHeight()
		if err := tn.sup.Start(victim); err != nil {
			t.Fatal(err)
		}
		// Wait until the restarted node has caught up with where the others were.
		tn.waitAllHeight(others, 2*time.Minute)
		t.Logf("kill %d: node%d killed and caught up at height %d (%d transfers accepted so far)",
			k+1, victim, others, load.acceptedCount())
	}
	accepted := load.halt()

	// Let every node settle on one height, then read the chain back.
	top := tn.maxHeight() + 2
	tn.waitAllHeight(top, time.Minute)
	checkSameHashes(t, tn, top)
	rec := readChain(t, tn, 0, top)

	included := 0
	for hash, n := range rec.txCount {
		if n != 1 {
			t.Errorf("tx %s appears %d times in the chain", hash, n)
		}
		if accepted[hash] {
			included++
		}
	}
	if included == 0 {
		t.Fatalf("none of the %d accepted transfers was committed", len(accepted))
	}
	t.Logf("%d of %d accepted transfers committed in %d blocks", included, len(accepted), top)

	// Balances: genesis + what tx events moved == what the chain holds.
	check := func(a *loadgen.Account, start sdkmath.Int) {
		addr := a.Address.String()
		if d, ok := rec.blockDelta[addr]; ok && !d.IsZero() {
			t.Errorf("%s: balance moved by %s outside any tx", addr, d)
		}
		want := start
		if d, ok := rec.txDelta[addr]; ok {
			want = want.Add(d)
		}
		for i := range tn.net.Nodes {
			if got := balanceAt(t, tn, i, addr, top); !got.Equal(want) {
				t.Errorf("node%d: %s holds %s at height %d; genesis plus its txs say %s", i, addr, got, top, want)
			}
		}
	}
	for _, s := range senders {
		check(s, funding)
	}
	for _, r := range recipients {
		check(r, sdkmath.ZeroInt())
	}
}
