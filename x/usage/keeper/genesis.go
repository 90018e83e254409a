package keeper

import (
	"context"
	"fmt"
	"time"

	"cosmossdk.io/collections"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/quantum1net/q1/x/usage/types"
)

// InitGenesis loads gs into the store after checking it (gs.Validate).
func (k *Keeper) InitGenesis(ctx context.Context, gs *types.GenesisState) error {
	if err := gs.Validate(); err != nil {
		return fmt.Errorf("usage genesis: %w", err)
	}
	if err := k.Params.Set(ctx, gs.Params); err != nil {
		return fmt.Errorf("write params: %w", err)
	}
	for _, r := range gs.Reports {
		_, bz, err := k.account("sharer", r.Sharer)
		if err != nil {
			return err
		}
		if err := k.setReport(ctx, bz, r); err != nil {
			return err
		}
	}
	for _, m := range gs.Meters {
		if err := k.Meters.Set(ctx, m.LeaseId, m); err != nil {
			return fmt.Errorf("write meter of lease %d: %w", m.LeaseId, err)
		}
		if err := k.OpenMeters.Set(ctx, collections.Join(m.Service, m.LeaseId)); err != nil {
			return fmt.Errorf("index meter of lease %d: %w", m.LeaseId, err)
		}
	}
	for _, a := range gs.Accounts {
		if err := k.setAccount(ctx, a); err != nil {
			return err
		}
		for _, q := range []struct {
			set collections.KeySet[collections.Pair[int64, string]]
			key int64 // 0: not indexed
		}{{k.DryQueue, unixNano(a.DryTime)}, {k.LowQueue, unixNano(a.LowTime)}, {k.GraceQueue, a.GraceDeadline}} {
			if q.key == 0 {
				continue
			}
			if err := q.set.Set(ctx, collections.Join(q.key, a.Service)); err != nil {
				return fmt.Errorf("index service %s: %w", a.Service, err)
			}
		}
		if a.ReleaseEpoch != 0 {
			if err := k.ReleaseQueue.Set(ctx, collections.Join(a.ReleaseEpoch, a.Service)); err != nil {
				return fmt.Errorf("index release of service %s: %w", a.Service, err)
			}
		}
	}
	for _, r := range gs.Records {
		if err := k.setNewRecord(ctx, r); err != nil {
			return err
		}
		// A held entry waits for its draw, sample_delay_blocks after the
		// report (a draw height already passed draws in the first block).
		if r.AuditState == types.AuditPending {
			key := collections.Join3(r.Height+int64(gs.Params.SampleDelayBlocks), r.LeaseId, r.Epoch)
			if err := k.DrawQueue.Set(ctx, key, r.Service); err != nil {
				return fmt.Errorf("queue the draw of lease %d for epoch %d: %w", r.LeaseId, r.Epoch, err)
			}
		}
	}
	for _, a := range gs.Audits {
		if err := k.putAudit(ctx, &a, true); err != nil {
			return err
		}
		if a.Phase == types.PhaseResolved {
			continue
		}
		next := a.PublishDeadline
		if a.PublishedHeight != 0 {
			next = a.RevealDeadline
		}
		if err := k.AuditQueue.Set(ctx, collections.Join(next, a.Id)); err != nil {
			return fmt.Errorf("queue audit %d: %w", a.Id, err)
		}
	}
	// The sequence holds the last id handed out; next_audit_id is the next.
	if gs.NextAuditId > 1 {
		if err := k.AuditSeq.Set(ctx, gs.NextAuditId-1); err != nil {
			return fmt.Errorf("write audit sequence: %w", err)
		}
	}
	for _, st := range gs.AuditStats {
		_, bz, err := k.account("sharer", st.Sharer)
		if err != nil {
			return err
		}
		if err := k.AuditStats.Set(ctx, bz, st); err != nil {
			return fmt.Errorf("write audit counters of %s: %w", st.Sharer, err)
		}
	}
	for _, e := range gs.Earnings {
		_, bz, err := k.account("sharer", e.Sharer)
		if err != nil {
			return err
		}
		if err := k.Earnings.Set(ctx, collections.Join3(bz, e.Service, e.Epoch), e); err != nil {
			return fmt.Errorf("write earnings of %s: %w", e.Sharer, err)
		}
		if err := k.EarningsByEpoch.Set(ctx, collections.Join3(e.Epoch, bz, e.Service)); err != nil {
			return fmt.Errorf("index earnings of %s: %w", e.Sharer, err)
		}
	}
	return k.initRetention(ctx, gs)
}

// ExportGenesis returns the module's state: params, reports by (sharer,
// epoch), rent meters, service accounts, usage records, earnings, audits,
// the next audit id and the audit counters. The indexes (the draw queue
// from the pending records, the audit queue and audit indexes from the
// audits) are rebuilt on import; mempool marks are not state.
func (k *Keeper) ExportGenesis(ctx context.Context) (*types.GenesisState, error) {
	p, err := k.GetParams(ctx)
	if err != nil {
		return nil, err
	}
	gs := &types.GenesisState{Params: p}
	err = k.Reports.Walk(ctx, nil, func(_ collections.Pair[sdk.AccAddress, uint64], r types.Report) (bool, error) {
		gs.Reports = append(gs.Reports, r)
		return false, nil
	})
	if err != nil {
		return nil, fmt.Errorf("export reports: %w", err)
	}
	if err := k.Meters.Walk(ctx, nil, func(_ uint64, m types.LeaseMeter) (bool, error) {
		gs.Meters = append(gs.Meters, m)
		return false, nil
	}); err != nil {
		return nil, fmt.Errorf("export meters: %w", err)
	}
	if err := k.Accounts.Walk(ctx, nil, func(_ string, a types.ServiceAccount) (bool, error) {
		gs.Accounts = append(gs.Accounts, a)
		return false, nil
	}); err != nil {
		return nil, fmt.Errorf("export accounts: %w", err)
	}
	if err := k.Records.Walk(ctx, nil, func(_ collections.Triple[string, uint64, uint64], r types.UsageRecord) (bool, error) {
		gs.Records = append(gs.Records, r)
		return false, nil
	}); err != nil {
		return nil, fmt.Errorf("export usage records: %w", err)
	}
	if err := k.Earnings.Walk(ctx, nil, func(_ collections.Triple[sdk.AccAddress, string, uint64], e types.Earnings) (bool, error) {
		gs.Earnings = append(gs.Earnings, e)
		return false, nil
	}); err != nil {
		return nil, fmt.Errorf("export earnings: %w", err)
	}
	if err := k.Audits.Walk(ctx, nil, func(_ uint64, a types.Audit) (bool, error) {
		gs.Audits = append(gs.Audits, a)
		return false, nil
	}); err != nil {
		return nil, fmt.Errorf("export audits: %w", err)
	}
	last, err := k.AuditSeq.Peek(ctx)
	if err != nil {
		return nil, fmt.Errorf("export audit sequence: %w", err)
	}
	gs.NextAuditId = last + 1
	if err := k.AuditStats.Walk(ctx, nil, func(_ sdk.AccAddress, st types.AuditStats) (bool, error) {
		gs.AuditStats = append(gs.AuditStats, st)
		return false, nil
	}); err != nil {
		return nil, fmt.Errorf("export audit counters: %w", err)
	}
	if err := k.exportRetention(ctx, gs); err != nil {
		return nil, err
	}
	return gs, nil
}

// unixNano is t in unix nanoseconds, the key of the time queues; 0 for
// none.
func unixNano(t *time.Time) int64 {
	if t == nil {
		return 0
	}
	return t.UnixNano()
}
