package keeper_test

import (
	"testing"

	"github.com/quantum1net/q1/x/usage/types"
)

// TestLeaseOpenDuringEpochBoundaries: a lease closed in the block just
// before an epoch began was not open during it, nor was one placed in the
// block just after it ended: their entries are refused. One closed in the
// epoch's first block, or placed in its last, was open: accepted.
func TestLeaseOpenDuringEpochBoundaries(t *testing.T) {
	f := newFixture(t)
	f.sharer("s1")
	f.lease(1, "s1", 5, 10) // closed at 10; epoch 1 is heights 11-20
	f.lease(2, "s1", 5, 11) // closed in epoch 1's first block
	f.lease(3, "s1", 20, 0) // placed in epoch 1's last block
	f.lease(4, "s1", 21, 0) // placed in the block after it
	f.threeEpochs()
	wantErr(t, f.report("s1", 1, types.UsageEntry{LeaseId: 1, Requests: 1}),
		"entries[0]: lease 1 was not open during epoch 1 (heights 11-20): placed at height 5, closed at height 10")
	wantErr(t, f.report("s1", 1, types.UsageEntry{LeaseId: 4, Requests: 1}),
		"entries[0]: lease 4 was not open during epoch 1 (heights 11-20): placed at height 21")
	noErr(t, f.report("s1", 1, types.UsageEntry{LeaseId: 2, Requests: 1}, types.UsageEntry{LeaseId: 3, Requests: 1}))
	if _, err := f.k.GetReport(f.ctx, f.addr("s1"), 1); err != nil {
		t.Errorf("the accepted report is not stored: %v", err)
	}
}
