package keeper_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/quantum1net/q1/x/usage/types"
)

// TestLeaseOpenDuringEpochBoundaries: a lease closed in the block just
// before an epoch began was not open during it, nor was one placed in the
// block just after it ended: their entries are charged nothing with a
// not_open cap saying so. One closed in the epoch's first block, or placed
// in its last, was open: no such cap.
func TestLeaseOpenDuringEpochBoundaries(t *testing.T) {
	f := newFixture(t)
	f.service("hello", 1_000_000, svcOpts{})
	f.sharer("s1")
	f.lease(1, "s1", 5, 10) // closed at 10; epoch 1 is heights 11-20
	f.lease(2, "s1", 5, 11) // closed in epoch 1's first block
	f.lease(3, "s1", 20, 0) // placed in epoch 1's last block
	f.lease(4, "s1", 21, 0) // placed in the block after it
	f.threeEpochs()
	noErr(t, f.report("s1", 1,
		types.UsageEntry{LeaseId: 1, Requests: 1}, types.UsageEntry{LeaseId: 2, Requests: 1},
		types.UsageEntry{LeaseId: 3, Requests: 1}, types.UsageEntry{LeaseId: 4, Requests: 1}))
	for lease, want := range map[uint64]string{
		1: "lease 1 was not open during epoch 1 (heights 11-20): placed at height 5, closed at height 10",
		4: "lease 4 was not open during epoch 1 (heights 11-20): placed at height 21",
	} {
		r := f.record("hello", 1, lease)
		if !slices.Equal(capKinds(r), []string{types.CapNotOpen}) || !strings.Contains(r.Caps[0].Detail, want) {
			t.Errorf("lease %d caps %+v, want not_open saying %q", lease, r.Caps, want)
		}
	}
	for _, lease := range []uint64{2, 3} {
		if r := f.record("hello", 1, lease); slices.Contains(capKinds(r), types.CapNotOpen) {
			t.Errorf("lease %d was open during epoch 1 but got %+v", lease, r.Caps)
		}
	}
}
