package keeper_test

import (
	"context"
	"slices"

	errorsmod "cosmossdk.io/errors"

	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
)

// fakeSharers is x/sharers as the usage module sees it: sharers, leases, an
// epoch clock the test moves, and the heartbeats recorded.
type fakeSharers struct {
	sharers    map[string]sharerstypes.Sharer
	leases     map[uint64]sharerstypes.Lease
	epoch      sharerstypes.EpochInfo   // current
	ended      []sharerstypes.EpochInfo // by number
	heartbeats []string
}

func newFakeSharers() *fakeSharers {
	return &fakeSharers{
		sharers: map[string]sharerstypes.Sharer{},
		leases:  map[uint64]sharerstypes.Lease{},
		epoch:   sharerstypes.EpochInfo{Number: 0, StartHeight: 1},
	}
}

// advance ends the current epoch at height end.
func (f *fakeSharers) advance(end int64) {
	e := f.epoch
	e.EndHeight = end
	f.ended = append(f.ended, e)
	f.epoch = sharerstypes.EpochInfo{Number: e.Number + 1, StartHeight: end + 1}
}

func (f *fakeSharers) GetSharer(_ context.Context, addr string) (sharerstypes.Sharer, error) {
	s, ok := f.sharers[addr]
	if !ok {
		return sharerstypes.Sharer{}, errorsmod.Wrapf(sharerstypes.ErrSharerNotFound, "%s is not a registered sharer; register it with MsgRegisterSharer", addr)
	}
	return s, nil
}

func (f *fakeSharers) GetLease(_ context.Context, id uint64) (sharerstypes.Lease, error) {
	l, ok := f.leases[id]
	if !ok {
		return sharerstypes.Lease{}, errorsmod.Wrapf(sharerstypes.ErrLeaseNotFound, "lease %d does not exist (or closed long enough ago to be pruned)", id)
	}
	return l, nil
}

func (f *fakeSharers) CurrentEpoch(context.Context) (sharerstypes.EpochInfo, error) {
	return f.epoch, nil
}

func (f *fakeSharers) GetEpoch(_ context.Context, n uint64) (sharerstypes.EpochInfo, bool, error) {
	i := slices.IndexFunc(f.ended, func(e sharerstypes.EpochInfo) bool { return e.Number == n })
	if i < 0 {
		return sharerstypes.EpochInfo{}, false, nil
	}
	return f.ended[i], true, nil
}

func (f *fakeSharers) RecordHeartbeat(_ context.Context, addr string, n uint64) error {
	s := f.sharers[addr]
	s.LastReportedEpoch = max(s.LastReportedEpoch, n)
	f.sharers[addr] = s
	f.heartbeats = append(f.heartbeats, addr)
	return nil
}
