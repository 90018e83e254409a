package app

import (
	"fmt"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/x/auth/ante"

	usageante "github.com/quantum1net/q1/x/usage/ante"
)

// AnteHandlerOptions are the SDK's ante handler options plus what the
// project's own decorators read.
type AnteHandlerOptions struct {
	ante.HandlerOptions
	// UsageKeeper backs the duplicate usage report filter (the usage
	// module's *keeper.Keeper).
	UsageKeeper usageante.Keeper
}

// NewAnteHandler returns the SDK's standard ante chain (fees, fee grants,
// signatures, sequences) followed by the usage report duplicate filter, so
// that the filter sees only transactions whose signatures verified.
func NewAnteHandler(o AnteHandlerOptions) (sdk.AnteHandler, error) {
	if o.UsageKeeper == nil {
		return nil, fmt.Errorf("ante handler: the usage keeper is required for the usage report duplicate filter")
	}
	std, err := ante.NewAnteHandler(o.HandlerOptions)
	if err != nil {
		return nil, err
	}
	dedup := NewUsageReportDedupDecorator(o.UsageKeeper)
	done := func(ctx sdk.Context, _ sdk.Tx, _ bool) (sdk.Context, error) { return ctx, nil }
	return func(ctx sdk.Context, tx sdk.Tx, simulate bool) (sdk.Context, error) {
		ctx, err := std(ctx, tx, simulate)
		if err != nil {
			return ctx, err
		}
		return dedup.AnteHandle(ctx, tx, simulate, done)
	}, nil
}

// NewUsageReportDedupDecorator returns the decorator that refuses, in
// CheckTx, a usage report for a (sharer, epoch) already committed, repeated
// in the tx, or already waiting in the mempool, looking inside authz
// MsgExec too (see x/usage/ante). Blocks are not filtered: the usage msg
// server refuses duplicates there.
func NewUsageReportDedupDecorator(k usageante.Keeper) usageante.DedupDecorator {
	return usageante.NewDedupDecorator(k)
}
