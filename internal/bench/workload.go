package bench

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	sdkmath "cosmossdk.io/math"

	"github.com/quantum1net/q1/internal/loadgen"
)

// workload makes the txs each sender submits. next(i, slot) is only
// called from sender i's goroutine, for a slot (0 … depth-1) that has no
// tx in flight.
type workload interface {
	next(sender, slot int) ([]byte, error)
}

// bankWorkload is a stream of 1uqc bank sends. Sender i's slot j signs
// with its own account, accounts[i*slots+j], and pays the next account;
// so an account never has two txs in flight, as with people who each send
// one payment at a time, and a tx that fails cannot strand later ones.
// Txs are signed before the load starts, so the node under test does not
// share the CPU with the signing a real client would do on its own machine;
// an account that runs past its pre-signed txs signs on demand.
type bankWorkload struct {
	signer   *loadgen.Client
	accounts []*loadgen.Account
	slots    int
	queues   [][][]byte
	pos      []int
	// signedLate counts txs signed during the load because an account ran out.
	signedLate atomic.Int64
}

// newBankWorkload pre-signs perAccount(j) sends for the account of every
// sender's slot j, using every CPU. The accounts' numbers and sequences
// must be current, and there must be slots accounts per sender.
func newBankWorkload(signer *loadgen.Client, accounts []*loadgen.Account, slots int, perAccount func(slot int) int) (*bankWorkload, error) {
	w := &bankWorkload{
		signer:   signer,
		accounts: accounts,
		slots:    slots,
		queues:   make([][][]byte, len(accounts)),
		pos:      make([]int, len(accounts)),
	}
	var (
		wg       sync.WaitGroup
		firstErr error
		errOnce  sync.Once
		nextAcct atomic.Int64
	)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				a := int(nextAcct.Add(1) - 1)
				if a >= len(accounts) {
					return
				}
				n := perAccount(a % slots)
				q := make([][]byte, 0, n)
				for range n {
					tx, err := w.sign(a)
					if err != nil {
						errOnce.Do(func() { firstErr = err })
						return
					}
					q = append(q, tx)
				}
				w.queues[a] = q
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, fmt.Errorf("pre-sign bank sends: %w", firstErr)
	}
	return w, nil
}

func (w *bankWorkload) sign(a int) ([]byte, error) {
	to := w.accounts[(a+1)%len(w.accounts)].Address
	tx, err := w.signer.SignSend(w.accounts[a], to, sdkmath.OneInt())
	if err != nil {
		return nil, fmt.Errorf("sign send from %s: %w", w.accounts[a].Address, err)
	}
	return tx, nil
}

func (w *bankWorkload) next(sender, slot int) ([]byte, error) {
	if slot >= w.slots {
		return nil, fmt.Errorf("slot %d of sender %d has no account (%d per sender)", slot, sender, w.slots)
	}
	a := sender*w.slots + slot
	if w.pos[a] < len(w.queues[a]) {
		tx := w.queues[a][w.pos[a]]
		w.queues[a][w.pos[a]] = nil
		w.pos[a]++
		return tx, nil
	}
	w.signedLate.Add(1)
	return w.sign(a)
}

// kvWorkload is a stream of kvstore txs "key=value" of a fixed size, every
// key unique, so each is a new write like a bank send.
type kvWorkload struct {
	size int
	seq  []int
}

func newKVWorkload(senders, size int) *kvWorkload {
	return &kvWorkload{size: size, seq: make([]int, senders)}
}

func (w *kvWorkload) next(i, _ int) ([]byte, error) {
	tx := kvTx(i, w.seq[i], w.size)
	w.seq[i]++
	return tx, nil
}

// kvTx is sender's n-th kvstore tx: "s<sender>-<n>=vvv…" padded to size
// bytes (longer if the key alone needs more). kvstore accepts a tx with
// exactly one '=' that neither starts nor ends it.
func kvTx(sender, n, size int) []byte {
	key := fmt.Sprintf("s%d-%d=", sender, n)
	return []byte(key + strings.Repeat("v", max(size-len(key), 1)))
}
