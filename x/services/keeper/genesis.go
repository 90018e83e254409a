package keeper

import (
	"context"
	"fmt"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"

	"github.com/quantum1net/q1/x/services/types"
)

// InitGenesis loads gs into the store, after checking it (gs.Validate) and
// that the module account holds exactly the sum of the escrows; bank's
// genesis must run first. The activation queue is rebuilt from the approved
// pending updates.
func (k *Keeper) InitGenesis(ctx context.Context, gs *types.GenesisState) error {
	if err := gs.Validate(); err != nil {
		return fmt.Errorf("services genesis: %w", err)
	}
	if err := k.Params.Set(ctx, gs.Params); err != nil {
		return fmt.Errorf("write params: %w", err)
	}
	for _, s := range gs.Services {
		if err := k.Services.Set(ctx, s.Name, s); err != nil {
			return fmt.Errorf("write service %s: %w", s.Name, err)
		}
	}
	for _, v := range gs.Versions {
		if err := k.Versions.Set(ctx, collections.Join(v.Service, v.Number), v); err != nil {
			return fmt.Errorf("write version %d of service %s: %w", v.Number, v.Service, err)
		}
	}
	for _, s := range gs.Specs {
		if err := k.Specs.Set(ctx, collections.Join(s.Service, s.Version), s.Spec); err != nil {
			return fmt.Errorf("write the spec of version %d of service %s: %w", s.Version, s.Service, err)
		}
	}
	for _, p := range gs.Proposals {
		if err := k.Proposals.Set(ctx, p.Id, p); err != nil {
			return fmt.Errorf("write proposal %d: %w", p.Id, err)
		}
		if p.Kind == types.KindUpdate && p.Status == types.ProposalPending && p.ApprovedHeight != 0 {
			if err := k.ActivationQueue.Set(ctx, collections.Join(p.ActivationHeight, p.Id)); err != nil {
				return fmt.Errorf("schedule proposal %d: %w", p.Id, err)
			}
		}
	}
	sum := math.ZeroInt()
	for _, e := range gs.Escrows {
		if err := k.Escrows.Set(ctx, e.Service, e); err != nil {
			return fmt.Errorf("write escrow of service %s: %w", e.Service, err)
		}
		sum = sum.Add(e.Balance)
	}
	for _, s := range gs.Secrets {
		if err := k.Secrets.Set(ctx, collections.Join(s.Service, s.Key), s); err != nil {
			return fmt.Errorf("write secret %s of service %s: %w", s.Key, s.Service, err)
		}
	}
	if err := k.NextProposalID.Set(ctx, gs.NextProposalId); err != nil {
		return fmt.Errorf("write next proposal id: %w", err)
	}
	held := k.bank.GetBalance(ctx, k.moduleAddr, gs.Params.Denom).Amount
	if !held.Equal(sum) {
		return fmt.Errorf("services genesis: the %s module account holds %s%s but the escrows add up to %s%s; bank balances and escrow records must agree",
			types.ModuleName, held, gs.Params.Denom, sum, gs.Params.Denom)
	}
	return nil
}

// ExportGenesis returns the module's whole state: services in name order,
// versions and their specs by service and number, proposals by id.
func (k *Keeper) ExportGenesis(ctx context.Context) (*types.GenesisState, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, fmt.Errorf("read params: %w", err)
	}
	gs := &types.GenesisState{Params: params}
	if gs.Services, err = values(ctx, k.Services); err != nil {
		return nil, fmt.Errorf("export services: %w", err)
	}
	if gs.Versions, err = values(ctx, k.Versions); err != nil {
		return nil, fmt.Errorf("export versions: %w", err)
	}
	err = k.Specs.Walk(ctx, nil, func(key collections.Pair[string, uint64], s types.ServiceSpec) (bool, error) {
		gs.Specs = append(gs.Specs, types.VersionSpec{Service: key.K1(), Version: key.K2(), Spec: s})
		return false, nil
	})
	if err != nil {
		return nil, fmt.Errorf("export specs: %w", err)
	}
	if gs.Proposals, err = values(ctx, k.Proposals); err != nil {
		return nil, fmt.Errorf("export proposals: %w", err)
	}
	if gs.Escrows, err = values(ctx, k.Escrows); err != nil {
		return nil, fmt.Errorf("export escrows: %w", err)
	}
	if gs.Secrets, err = values(ctx, k.Secrets); err != nil {
		return nil, fmt.Errorf("export secrets: %w", err)
	}
	next, err := k.NextProposalID.Peek(ctx)
	if err != nil {
		return nil, fmt.Errorf("read next proposal id: %w", err)
	}
	gs.NextProposalId = max(next, 1)
	return gs, nil
}

// values lists a map's values in key order.
func values[K, V any](ctx context.Context, m collections.Map[K, V]) ([]V, error) {
	var out []V
	err := m.Walk(ctx, nil, func(_ K, v V) (bool, error) {
		out = append(out, v)
		return false, nil
	})
	return out, err
}
