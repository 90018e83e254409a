package chainquery

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	abci "github.com/cometbft/cometbft/abci/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/gogoproto/proto"

	q1client "github.com/quantum1net/q1/client"
	usagetypes "github.com/quantum1net/q1/x/usage/types"
)

// MaxPrunedRecords bounds how many pruned records one WithPrunedRecords
// reads back from the event index: a service with a longer history asks
// for one epoch at a time.
const MaxPrunedRecords = 10_000

// prunedPerPage is how many blocks one block_search page returns (CometBFT
// allows at most 100).
const prunedPerPage = 100

// WithPrunedRecords adds to res.Records, in (epoch, lease) order, the
// records of req's service that the chain pruned from its state
// (res.PrunedBelow, params.retention_epochs), read back from the node's
// event index: x/usage emits each pruned record whole (EventRecordPruned)
// in the block that prunes it. req's epoch and sharer filters apply. It
// returns how many it added; fewer than res.Pruned.Records counts when the
// node lacks the blocks that pruned the rest (it started from a state
// sync, or its event index was pruned or turned off).
func (c *Chain) WithPrunedRecords(ctx context.Context, req *usagetypes.QueryServiceUsageRequest, res *usagetypes.QueryServiceUsageResponse) (int, error) {
	if res.PrunedBelow == 0 || (req.HasEpoch && req.Epoch >= res.PrunedBelow) || req.By != "" {
		return 0, nil
	}
	const kind = "q1.usage.v1.EventRecordPruned"
	// Typed events' attribute values are JSON: a string or a uint64 is
	// quoted. An exact match is a prefix seek in CometBFT's kv index;
	// CONTAINS would scan every service's pruned records.
	query := fmt.Sprintf(`%s.service = '"%s"'`, kind, req.Service)
	if req.HasEpoch {
		query += fmt.Sprintf(` AND %s.epoch = '"%d"'`, kind, req.Epoch)
	}
	var found []usagetypes.UsageRecord
	err := c.searchBlockEvents(ctx, query, "pruned records of "+req.Service, func(ev abci.Event) error {
		r, ok := prunedRecord(ev, req)
		if !ok {
			return nil
		}
		if len(found) == MaxPrunedRecords {
			return fmt.Errorf("service %s has more than %d pruned records: ask for one epoch at a time (--epoch)", req.Service, MaxPrunedRecords)
		}
		found = append(found, r)
		return nil
	})
	if err != nil {
		return 0, err
	}
	res.Records = append(found, res.Records...)
	slices.SortStableFunc(res.Records, func(a, b usagetypes.UsageRecord) int {
		return cmp.Or(cmp.Compare(a.Epoch, b.Epoch), cmp.Compare(a.LeaseId, b.LeaseId))
	})
	return len(found), nil
}

// maxPrunedLookups bounds how many searches of the event index run at once
// in this process: each pages through block_search and reads the results
// of every block found, and the node's API answers anyone.
const maxPrunedLookups = 2

var prunedLookups = make(chan struct{}, maxPrunedLookups)

// searchBlockEvents calls fn with each event of every block that
// block_search finds for query, oldest block first; what names the search
// in errors. With maxPrunedLookups searches under way it refuses at once
// (ErrUnavailable).
func (c *Chain) searchBlockEvents(ctx context.Context, query, what string, fn func(abci.Event) error) error {
	select {
	case prunedLookups <- struct{}{}:
		defer func() { <-prunedLookups }()
	default:
		return fmt.Errorf("%w: %d searches of the pruned history are under way on this node; try again shortly", q1client.ErrUnavailable, maxPrunedLookups)
	}
	for page := 1; ; page++ {
		perPage := prunedPerPage
		blocks, err := c.ctx.Client.BlockSearch(ctx, query, &page, &perPage, "asc")
		if err != nil {
			return fmt.Errorf("search the event index for %s: %w", what, err)
		}
		for _, b := range blocks.Blocks {
			h := b.Block.Height
			results, err := c.ctx.Client.BlockResults(ctx, &h)
			if err != nil {
				return fmt.Errorf("read the results of block %d (%s): %w", h, what, err)
			}
			for _, ev := range results.FinalizeBlockEvents {
				if err := fn(ev); err != nil {
					return err
				}
			}
		}
		if len(blocks.Blocks) < perPage || page*perPage >= blocks.TotalCount {
			return nil
		}
	}
}

// WithPrunedEarnings adds to res.Sums (by "epoch" only) a sum for each
// epoch the chain pruned from its state, read back from the node's event
// index (EventEarningsPruned, emitted whole in the block that prunes each
// row), oldest first. It returns how many rows it read; their amounts
// summed fall short of res.Pruned when the node lacks the blocks that
// pruned the rest.
func (c *Chain) WithPrunedEarnings(ctx context.Context, by string, res *usagetypes.QuerySharerEarningsResponse) (int, error) {
	if res.PrunedBelow == 0 || by != "epoch" {
		return 0, nil
	}
	query := fmt.Sprintf(`q1.usage.v1.EventEarningsPruned.sharer = '"%s"'`, res.Sharer)
	var sums []usagetypes.Earnings
	rows := 0
	err := c.searchBlockEvents(ctx, query, "pruned earnings of "+res.Sharer, func(ev abci.Event) error {
		m, ok := parseBlockEvent(ev, "q1.usage.v1.EventEarningsPruned")
		if !ok {
			return nil
		}
		p, ok := m.(*usagetypes.EventEarningsPruned)
		if !ok || p.Earnings.Sharer != res.Sharer {
			return nil
		}
		if rows == MaxPrunedRecords {
			return fmt.Errorf("sharer %s has more than %d pruned earnings rows", res.Sharer, MaxPrunedRecords)
		}
		rows++
		i := slices.IndexFunc(sums, func(e usagetypes.Earnings) bool { return e.Epoch == p.Earnings.Epoch })
		if i < 0 {
			sums, i = append(sums, usagetypes.NewEarnings(res.Sharer, "", p.Earnings.Epoch)), len(sums)
		}
		sums[i].Add(p.Earnings)
		return nil
	})
	if err != nil {
		return 0, err
	}
	slices.SortFunc(sums, func(a, b usagetypes.Earnings) int { return cmp.Compare(a.Epoch, b.Epoch) })
	res.Sums = append(sums, res.Sums...)
	return rows, nil
}

// parseBlockEvent parses a typed event of type kind from a block's results.
func parseBlockEvent(ev abci.Event, kind string) (proto.Message, bool) {
	if ev.Type != kind {
		return nil, false
	}
	// The SDK adds a "mode" attribute (BeginBlock/EndBlock) to a block's
	// events whose value is not JSON; ParseTypedEvent would refuse it.
	ev.Attributes = slices.DeleteFunc(slices.Clone(ev.Attributes), func(a abci.EventAttribute) bool { return a.Key == "mode" })
	m, err := sdk.ParseTypedEvent(ev)
	return m, err == nil
}

// prunedRecord reads an EventRecordPruned of req's service (and epoch and
// sharer when req names them).
func prunedRecord(ev abci.Event, req *usagetypes.QueryServiceUsageRequest) (usagetypes.UsageRecord, bool) {
	m, ok := parseBlockEvent(ev, "q1.usage.v1.EventRecordPruned")
	if !ok {
		return usagetypes.UsageRecord{}, false
	}
	p, ok := m.(*usagetypes.EventRecordPruned)
	if !ok || p.Record.Service != req.Service || (req.HasEpoch && p.Record.Epoch != req.Epoch) ||
		(req.Sharer != "" && p.Record.Sharer != req.Sharer) {
		return usagetypes.UsageRecord{}, false
	}
	return p.Record, true
}
