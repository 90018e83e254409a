package keeper

import (
	"context"
	"errors"
	"fmt"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/quantum1net/q1/x/usage/types"
)

// Retention (issue #16): state that does not grow with time.
//
// Every usage record (service, epoch, lease), report (sharer, epoch) and
// earnings row (sharer, service, epoch) is also indexed with its epoch
// first. Once the current epoch is past E + params.retention_epochs, the
// EndBlocker removes the rows of epoch E, at most params.prune_per_block a
// block, reading the epoch indexes from their start: it reads only rows it
// removes (and, when it is blocked, the one record that blocks it), so a
// block's cost is flat whatever the state holds. What a pruned record
// counted is added to PrunedUsage (service, sharer), what a pruned earnings
// row held to PrunedEarnings (sharer, service): the queries' totals are
// those running totals plus the rows still in state, so they equal the sum
// of every row ever written. A report carries nothing the records do not.
// Each pruned record and earnings row is emitted whole (EventRecordPruned,
// EventEarningsPruned) in the block that prunes it: a node's event index
// (CometBFT's block_search) keeps the history, and `q1 service usage
// --pruned` reads it back. Events are not state: they cost the validators
// no IAVL bytes and are not part of the app hash.
//
// A record whose charge is still held (audit pending or sampled) is never
// pruned: the pruner stops at it until the audit resolves (by its deadlines),
// so even a retention that became too short (x/sharers' epoch_blocks cut by
// governance) never loses money held for an audit.

// setReport writes report r of the sharer at raw address bz, with its
// epoch index.
func (k *Keeper) setReport(ctx context.Context, bz sdk.AccAddress, r types.Report) error {
	if err := k.Reports.Set(ctx, collections.Join(bz, r.Epoch), r); err != nil {
		return fmt.Errorf("write report of %s for epoch %d: %w", r.Sharer, r.Epoch, err)
	}
	if err := k.ReportsByEpoch.Set(ctx, collections.Join(r.Epoch, bz)); err != nil {
		return fmt.Errorf("index report of %s for epoch %d: %w", r.Sharer, r.Epoch, err)
	}
	return nil
}

// setNewRecord writes a usage record that was not in state, with its epoch
// index. Later changes (audit states) write Records alone.
func (k *Keeper) setNewRecord(ctx context.Context, r types.UsageRecord) error {
	if err := k.Records.Set(ctx, collections.Join3(r.Service, r.Epoch, r.LeaseId), r); err != nil {
		return fmt.Errorf("write usage record of lease %d for epoch %d: %w", r.LeaseId, r.Epoch, err)
	}
	if err := k.RecordsByEpoch.Set(ctx, collections.Join3(r.Epoch, r.Service, r.LeaseId)); err != nil {
		return fmt.Errorf("index usage record of lease %d for epoch %d: %w", r.LeaseId, r.Epoch, err)
	}
	return nil
}

// checkRetention refuses p when its retention_epochs is below the minimum
// at x/sharers' epoch length (types.Params.ValidateRetention).
func (k *Keeper) checkRetention(ctx context.Context, p types.Params) error {
	sp, err := k.sharers.GetParams(ctx)
	if err != nil {
		return err
	}
	if err := p.ValidateRetention(sp.EpochBlocks); err != nil {
		return errorsmod.Wrap(types.ErrInvalidParams, err.Error())
	}
	return nil
}

// PruneStats says what one block's pruning did.
type PruneStats struct {
	Records, Reports, Earnings int
	// Blocked is set when a held record stopped the records' pruning.
	Blocked bool
	// Below is the epoch the rows below which were due (0: none due).
	Below uint64
}

// Rows is how many rows were removed.
func (s PruneStats) Rows() int { return s.Records + s.Reports + s.Earnings }

// prune removes up to params.prune_per_block rows of epochs below the
// current epoch − params.retention_epochs, records first, then reports,
// then earnings rows, and moves PrunedBelow up once none is left.
func (k *Keeper) prune(ctx context.Context) (PruneStats, error) {
	var st PruneStats
	p, err := k.GetParams(ctx)
	if err != nil {
		return st, err
	}
	cur, err := k.sharers.CurrentEpoch(ctx)
	if err != nil {
		return st, err
	}
	if p.RetentionEpochs == 0 || cur.Number <= p.RetentionEpochs {
		return st, nil
	}
	below := cur.Number - p.RetentionEpochs
	st.Below = below
	budget := int(p.PrunePerBlock)

	// Records: each one's counts move to its (service, sharer) total. The
	// totals touched in this block are summed here first (a slice, in the
	// order met: no map order reaches state) and written once each.
	var recKeys []collections.Triple[uint64, string, uint64]
	rr := new(collections.Range[collections.Triple[uint64, string, uint64]]).EndExclusive(collections.Join3(below, "", uint64(0)))
	if err := k.RecordsByEpoch.Walk(ctx, rr, func(key collections.Triple[uint64, string, uint64]) (bool, error) {
		recKeys = append(recKeys, key)
		return len(recKeys) >= budget, nil
	}); err != nil {
		return st, fmt.Errorf("read the records' epoch index: %w", err)
	}
	type sum struct {
		service string
		sharer  sdk.AccAddress
		s       types.UsageSum
	}
	var sums []sum
	for _, key := range recKeys {
		r, err := k.Records.Get(ctx, collections.Join3(key.K2(), key.K1(), key.K3()))
		if err != nil && !errors.Is(err, collections.ErrNotFound) {
			return st, fmt.Errorf("read usage record of lease %d for epoch %d: %w", key.K3(), key.K1(), err)
		}
		if err == nil {
			if r.AuditState == types.AuditPending || r.AuditState == types.AuditSampled {
				st.Blocked = true
				break
			}
			_, bz, err := k.account("sharer", r.Sharer)
			if err != nil {
				return st, err
			}
			i := -1
			for j := range sums {
				if sums[j].service == r.Service && sums[j].sharer.Equals(bz) {
					i = j
					break
				}
			}
			if i < 0 {
				s, err := k.PrunedUsage.Get(ctx, collections.Join(r.Service, bz))
				if errors.Is(err, collections.ErrNotFound) {
					s, err = newSum(), nil
					s.Sharer = r.Sharer
				}
				if err != nil {
					return st, fmt.Errorf("read pruned usage of %s on %s: %w", r.Sharer, r.Service, err)
				}
				sums, i = append(sums, sum{r.Service, bz, s}), len(sums)
			}
			addRecord(&sums[i].s, r)
			if err := emit(ctx, &types.EventRecordPruned{Service: r.Service, Epoch: r.Epoch, Record: r}); err != nil {
				return st, err
			}
			if err := k.Records.Remove(ctx, collections.Join3(key.K2(), key.K1(), key.K3())); err != nil {
				return st, fmt.Errorf("prune usage record of lease %d for epoch %d: %w", key.K3(), key.K1(), err)
			}
		}
		if err := k.RecordsByEpoch.Remove(ctx, key); err != nil {
			return st, fmt.Errorf("unindex usage record of lease %d for epoch %d: %w", key.K3(), key.K1(), err)
		}
		st.Records++
	}
	for _, s := range sums {
		if err := k.PrunedUsage.Set(ctx, collections.Join(s.service, s.sharer), s.s); err != nil {
			return st, fmt.Errorf("write pruned usage of %s on %s: %w", s.s.Sharer, s.service, err)
		}
	}
	budget -= st.Records

	// Reports: the records hold everything they said.
	if budget > 0 {
		var keys []collections.Pair[uint64, sdk.AccAddress]
		rng := new(collections.Range[collections.Pair[uint64, sdk.AccAddress]]).EndExclusive(collections.Join(below, sdk.AccAddress{}))
		if err := k.ReportsByEpoch.Walk(ctx, rng, func(key collections.Pair[uint64, sdk.AccAddress]) (bool, error) {
			keys = append(keys, key)
			return len(keys) >= budget, nil
		}); err != nil {
			return st, fmt.Errorf("read the reports' epoch index: %w", err)
		}
		for _, key := range keys {
			if err := k.Reports.Remove(ctx, collections.Join(key.K2(), key.K1())); err != nil {
				return st, fmt.Errorf("prune report of %s for epoch %d: %w", key.K2(), key.K1(), err)
			}
			if err := k.ReportsByEpoch.Remove(ctx, key); err != nil {
				return st, fmt.Errorf("unindex report of %s for epoch %d: %w", key.K2(), key.K1(), err)
			}
		}
		st.Reports = len(keys)
		budget -= st.Reports
	}

	// Earnings rows: each one's amounts move to its (sharer, service)
	// total.
	if budget > 0 {
		var keys []collections.Triple[uint64, sdk.AccAddress, string]
		rng := new(collections.Range[collections.Triple[uint64, sdk.AccAddress, string]]).EndExclusive(collections.Join3(below, sdk.AccAddress{}, ""))
		if err := k.EarningsByEpoch.Walk(ctx, rng, func(key collections.Triple[uint64, sdk.AccAddress, string]) (bool, error) {
			keys = append(keys, key)
			return len(keys) >= budget, nil
		}); err != nil {
			return st, fmt.Errorf("read the earnings' epoch index: %w", err)
		}
		for _, key := range keys {
			row := collections.Join3(key.K2(), key.K3(), key.K1())
			e, err := k.Earnings.Get(ctx, row)
			switch {
			case err == nil:
				tk := collections.Join(key.K2(), key.K3())
				t, err := k.PrunedEarnings.Get(ctx, tk)
				if errors.Is(err, collections.ErrNotFound) {
					t, err = types.NewEarnings(e.Sharer, e.Service, 0), nil
				}
				if err != nil {
					return st, fmt.Errorf("read pruned earnings of %s from %s: %w", e.Sharer, e.Service, err)
				}
				t.Add(e)
				if err := emit(ctx, &types.EventEarningsPruned{Sharer: e.Sharer, Epoch: e.Epoch, Earnings: e}); err != nil {
					return st, err
				}
				if err := k.PrunedEarnings.Set(ctx, tk, t); err != nil {
					return st, fmt.Errorf("write pruned earnings of %s from %s: %w", e.Sharer, e.Service, err)
				}
				if err := k.Earnings.Remove(ctx, row); err != nil {
					return st, fmt.Errorf("prune earnings of %s from %s in epoch %d: %w", e.Sharer, e.Service, e.Epoch, err)
				}
			case !errors.Is(err, collections.ErrNotFound):
				return st, fmt.Errorf("read earnings of %s from %s in epoch %d: %w", key.K2(), key.K3(), key.K1(), err)
			}
			if err := k.EarningsByEpoch.Remove(ctx, key); err != nil {
				return st, fmt.Errorf("unindex earnings of %s from %s in epoch %d: %w", key.K2(), key.K3(), key.K1(), err)
			}
		}
		st.Earnings = len(keys)
		budget -= st.Earnings
	}

	// Everything below the cutoff is gone when the budget was not used up
	// (and no held record stopped the records).
	if budget > 0 && !st.Blocked {
		was, err := k.prunedBelow(ctx)
		if err != nil {
			return st, err
		}
		if was < below {
			if err := k.PrunedBelow.Set(ctx, below); err != nil {
				return st, fmt.Errorf("write pruned_below: %w", err)
			}
		}
	}
	return st, nil
}

// Prune runs one block's pruning, as the EndBlocker does (for tests and
// benchmarks).
func (k *Keeper) Prune(ctx context.Context) (PruneStats, error) { return k.prune(ctx) }

// prunedBelow is the epoch below which every row is pruned (0: none).
func (k *Keeper) prunedBelow(ctx context.Context) (uint64, error) {
	v, err := k.PrunedBelow.Get(ctx)
	if errors.Is(err, collections.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read pruned_below: %w", err)
	}
	return v, nil
}

// initRetention imports the running totals and rebuilds nothing else: the
// epoch indexes were written with the rows.
func (k *Keeper) initRetention(ctx context.Context, gs *types.GenesisState) error {
	if err := k.checkRetention(ctx, gs.Params); err != nil {
		return err
	}
	for _, pu := range gs.PrunedUsage {
		_, bz, err := k.account("sharer", pu.Sum.Sharer)
		if err != nil {
			return err
		}
		if err := k.PrunedUsage.Set(ctx, collections.Join(pu.Service, bz), pu.Sum); err != nil {
			return fmt.Errorf("write pruned usage of %s on %s: %w", pu.Sum.Sharer, pu.Service, err)
		}
	}
	for _, e := range gs.PrunedEarnings {
		_, bz, err := k.account("sharer", e.Sharer)
		if err != nil {
			return err
		}
		if err := k.PrunedEarnings.Set(ctx, collections.Join(bz, e.Service), e); err != nil {
			return fmt.Errorf("write pruned earnings of %s from %s: %w", e.Sharer, e.Service, err)
		}
	}
	if gs.PrunedBelow != 0 {
		if err := k.PrunedBelow.Set(ctx, gs.PrunedBelow); err != nil {
			return fmt.Errorf("write pruned_below: %w", err)
		}
	}
	return nil
}

// exportRetention adds the running totals to gs.
func (k *Keeper) exportRetention(ctx context.Context, gs *types.GenesisState) error {
	if err := k.PrunedUsage.Walk(ctx, nil, func(key collections.Pair[string, sdk.AccAddress], s types.UsageSum) (bool, error) {
		gs.PrunedUsage = append(gs.PrunedUsage, types.PrunedUsage{Service: key.K1(), Sum: s})
		return false, nil
	}); err != nil {
		return fmt.Errorf("export pruned usage: %w", err)
	}
	if err := k.PrunedEarnings.Walk(ctx, nil, func(_ collections.Pair[sdk.AccAddress, string], e types.Earnings) (bool, error) {
		gs.PrunedEarnings = append(gs.PrunedEarnings, e)
		return false, nil
	}); err != nil {
		return fmt.Errorf("export pruned earnings: %w", err)
	}
	below, err := k.prunedBelow(ctx)
	if err != nil {
		return err
	}
	gs.PrunedBelow = below
	return nil
}

// MigrateRetention moves the module's state from version 1 to 2: every
// record, report and earnings row is indexed by epoch (so the pruner finds
// the rows written before the upgrade) and the retention params get their
// defaults. It reads the whole history once, at the upgrade.
func (k *Keeper) MigrateRetention(ctx sdk.Context) error {
	p, err := k.GetParams(ctx)
	if err != nil {
		return err
	}
	d := types.DefaultParams()
	if p.RetentionEpochs == 0 {
		p.RetentionEpochs = d.RetentionEpochs
	}
	if p.PrunePerBlock == 0 {
		p.PrunePerBlock = d.PrunePerBlock
	}
	if err := k.checkRetention(ctx, p); err != nil {
		// A window the defaults do not cover (long audits at short
		// epochs): its minimum.
		sp, err := k.sharers.GetParams(ctx)
		if err != nil {
			return err
		}
		p.RetentionEpochs = p.MinRetentionEpochs(sp.EpochBlocks)
	}
	if err := k.Params.Set(ctx, p); err != nil {
		return fmt.Errorf("write params: %w", err)
	}
	// Keys are read first and indexed after: no store is written while
	// it is iterated.
	var recs []collections.Triple[string, uint64, uint64]
	if err := k.Records.Walk(ctx, nil, func(key collections.Triple[string, uint64, uint64], _ types.UsageRecord) (bool, error) {
		recs = append(recs, key)
		return false, nil
	}); err != nil {
		return fmt.Errorf("read usage records: %w", err)
	}
	for _, key := range recs {
		if err := k.RecordsByEpoch.Set(ctx, collections.Join3(key.K2(), key.K1(), key.K3())); err != nil {
			return fmt.Errorf("index usage records by epoch: %w", err)
		}
	}
	var reps []collections.Pair[sdk.AccAddress, uint64]
	if err := k.Reports.Walk(ctx, nil, func(key collections.Pair[sdk.AccAddress, uint64], _ types.Report) (bool, error) {
		reps = append(reps, key)
		return false, nil
	}); err != nil {
		return fmt.Errorf("read reports: %w", err)
	}
	for _, key := range reps {
		if err := k.ReportsByEpoch.Set(ctx, collections.Join(key.K2(), key.K1())); err != nil {
			return fmt.Errorf("index reports by epoch: %w", err)
		}
	}
	var earns []collections.Triple[sdk.AccAddress, string, uint64]
	if err := k.Earnings.Walk(ctx, nil, func(key collections.Triple[sdk.AccAddress, string, uint64], _ types.Earnings) (bool, error) {
		earns = append(earns, key)
		return false, nil
	}); err != nil {
		return fmt.Errorf("read earnings: %w", err)
	}
	for _, key := range earns {
		if err := k.EarningsByEpoch.Set(ctx, collections.Join3(key.K3(), key.K1(), key.K2())); err != nil {
			return fmt.Errorf("index earnings by epoch: %w", err)
		}
	}
	return nil
}
