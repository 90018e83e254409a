package types

import (
	"context"

	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
)

// SharersKeeper is what the module needs from x/sharers: the sharer and its
// leases, the epoch clock, and recording the heartbeat a report is.
type SharersKeeper interface {
	// GetSharer returns the sharer's record, or an error wrapping
	// sharerstypes.ErrSharerNotFound.
	GetSharer(ctx context.Context, addr string) (sharerstypes.Sharer, error)
	// GetLease returns a lease, open or recently closed.
	GetLease(ctx context.Context, id uint64) (sharerstypes.Lease, error)
	// CurrentEpoch returns the epoch in progress.
	CurrentEpoch(ctx context.Context) (sharerstypes.EpochInfo, error)
	// GetEpoch returns a recently ended epoch; ok is false otherwise.
	GetEpoch(ctx context.Context, n uint64) (e sharerstypes.EpochInfo, ok bool, err error)
	// RecordHeartbeat records that the sharer reported epoch n.
	RecordHeartbeat(ctx context.Context, addr string, n uint64) error
}
