package runtime

import (
	"crypto/sha256"
	"encoding/binary"

	"github.com/tetratelabs/wazero/sys"

	"github.com/quantum1net/q1/core/receipt"
)

// What a guest reads besides its request is a function of its receipt's
// recorded inputs, so that an auditor re-executing the request sees the
// same values (docs/guest-abi.md §8):
//
//   - the monotonic clock starts at 0 when the instance starts and
//     advances only by clockStep at each read of either clock and by the
//     length of each sleep, so it never goes back within an instance;
//   - the wall clock is the step's recorded time plus how far the
//     monotonic clock advanced since the step began;
//   - sleeps advance the clocks and return at once;
//   - random bytes are the SHA-256 counter stream of the step's seed.

// clockStep is how far the clocks advance at each read: 1 µs.
const clockStep = 1000

// fakeClock is an instance's clocks.
type fakeClock struct {
	mono      int64 // ns since the instance started
	stepStart int64 // mono when the current step began
	t0        int64 // the current step's recorded time, Unix ns
}

// begin starts a step recorded at t0.
func (c *fakeClock) begin(t0 int64) { c.t0, c.stepStart = t0, c.mono }

// nanotime reads the monotonic clock.
func (c *fakeClock) nanotime() int64 {
	v := c.mono
	c.mono += clockStep
	return v
}

// walltime reads the wall clock.
func (c *fakeClock) walltime() (sec int64, nsec int32) {
	v := c.t0 + (c.mono - c.stepStart)
	c.mono += clockStep
	return v / 1e9, int32(v % 1e9)
}

// sleep advances the clocks by ns.
func (c *fakeClock) sleep(ns int64) {
	if ns > 0 {
		c.mono += ns
	}
}

// seededRand is the random stream of one step: block i of it is
// SHA-256("q1/rand/v1" ‖ seed ‖ i as 8 bytes big-endian).
type seededRand struct {
	seed  receipt.Hash
	block uint64
	buf   [sha256.Size]byte
	off   int // bytes of buf already used
}

func (r *seededRand) reseed(seed receipt.Hash) {
	r.seed, r.block, r.off = seed, 0, sha256.Size
}

func (r *seededRand) Read(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if r.off == sha256.Size {
			var in [10 + receipt.HashSize + 8]byte
			copy(in[:], "q1/rand/v1")
			copy(in[10:], r.seed[:])
			binary.BigEndian.PutUint64(in[10+receipt.HashSize:], r.block)
			r.buf = sha256.Sum256(in[:])
			r.block++
			r.off = 0
		}
		k := copy(p, r.buf[r.off:])
		r.off += k
		p = p[k:]
	}
	return n, nil
}

// walltimeCharged and nanotimeCharged are the clocks as a guest reads
// them, each read charged to in's fuel.
func (c *fakeClock) walltimeCharged(in *instance) sys.Walltime {
	return func() (int64, int32) {
		in.deduct(wasiCallFuel)
		return c.walltime()
	}
}

func (c *fakeClock) nanotimeCharged(in *instance) sys.Nanotime {
	return func() int64 {
		in.deduct(wasiCallFuel)
		return c.nanotime()
	}
}

// randCharged is the instance's random stream as random_get reads it,
// each read charged to its fuel.
type randCharged struct{ in *instance }

func (r randCharged) Read(p []byte) (int, error) {
	r.in.deduct(wasiCallFuel + randByteFuel*uint64(len(p)))
	return r.in.rand.Read(p)
}
