package e2e

import (
	"context"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	sdkmath "cosmossdk.io/math"

	"github.com/quantum1net/q1/internal/loadgen"
)

// transferLoad sends a steady stream of small transfers from senders to
// recipients through whichever nodes are up, and remembers every tx a node
// accepted.
type transferLoad struct {
	tn         *testnet
	senders    []*loadgen.Account
	recipients []*loadgen.Account
	rng        *rand.Rand
	interval   time.Duration

	mu       sync.Mutex
	accepted map[string]bool // hash → accepted by some node's CheckTx
	refused  map[string]int  // CheckTx refusals by reason, e.g. on a node just restarted
	stop     chan struct{}
	done     chan struct{}
}

func newTransferLoad(tn *testnet, senders, recipients []*loadgen.Account, seed uint64) *transferLoad {
	return &transferLoad{
		tn: tn, senders: senders, recipients: recipients,
		rng:      rand.New(rand.NewPCG(seed, seed^0x5eed)),
		interval: 20 * time.Millisecond,
		accepted: map[string]bool{},
		refused:  map[string]int{},
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
}

// start begins sending; it syncs every sender's sequence first.
func (l *transferLoad) start() {
	for _, s := range l.senders {
		l.resync(s)
	}
	go l.run()
}

func (l *transferLoad) run() {
	defer close(l.done)
	tick := time.NewTicker(l.interval)
	defer tick.Stop()
	next := 0
	for {
		select {
		case <-l.stop:
			return
		case <-tick.C:
		}
		s := l.senders[next%len(l.senders)]
		next++
		to := l.recipients[l.rng.IntN(len(l.recipients))]
		amount := sdkmath.NewInt(int64(1 + l.rng.IntN(1000)))
		node := l.liveNode()
		if node < 0 {
			continue
		}
		tx, err := l.tn.clients[node].SignSend(s, to.Address, amount)
		if err != nil {
			l.tn.t.Errorf("sign: %v", err)
			return
		}
		l.submit(s, tx, node)
	}
}

// submit broadcasts tx to node, or to another live node if that one fails.
func (l *transferLoad) submit(s *loadgen.Account, tx []byte, first int) {
	for try := 0; try < len(l.tn.clients); try++ {
		node := (first + try) % len(l.tn.clients)
		if !l.tn.sup.Running(node) {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		res, err := l.tn.clients[node].Broadcast(ctx, tx)
		cancel()
		if err != nil {
			continue // node down or restarting: try another
		}
		if res.Code == 0 {
			l.mu.Lock()
			l.accepted[res.Hash] = true
			l.mu.Unlock()
			return
		}
		// A node that has just restarted checks txs against its last
		// committed state (and, until its first new block, as if at genesis),
		// so refusals happen around restarts; the sequence tells what to do.
		l.mu.Lock()
		l.refused[refusalKind(res.Log)]++
		l.mu.Unlock()
		l.resync(s)
		return
	}
	// No node took it; its sequence may or may not be used: ask the chain.
	l.resync(s)
}

func (l *transferLoad) resync(s *loadgen.Account) {
	for try := 0; try < 50; try++ {
		node := l.liveNode()
		if node >= 0 && l.tn.clients[node].Sync(s) == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (l *transferLoad) liveNode() int {
	n := len(l.tn.clients)
	start := l.rng.IntN(n)
	for i := 0; i < n; i++ {
		if node := (start + i) % n; l.tn.sup.Running(node) {
			return node
		}
	}
	return -1
}

// halt stops sending and returns the hashes nodes accepted.
func (l *transferLoad) halt() map[string]bool {
	close(l.stop)
	<-l.done
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.refused) > 0 {
		l.tn.t.Logf("CheckTx refusals: %v", l.refused)
	}
	return l.accepted
}

func refusalKind(log string) string {
	for _, k := range []string{"sequence mismatch", "signature verification failed", "already exists in cache", "mempool is full"} {
		if strings.Contains(log, k) {
			return k
		}
	}
	return log
}

// acceptedCount is how many transfers nodes have accepted so far.
func (l *transferLoad) acceptedCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.accepted)
}
