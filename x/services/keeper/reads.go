package keeper

import (
	"context"
	"errors"
	"fmt"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	"github.com/quantum1net/q1/x/services/types"
)

// GetService returns the record of service name, deleted or not, or an error
// wrapping types.ErrServiceNotFound.
func (k *Keeper) GetService(ctx context.Context, name string) (types.Service, error) {
	s, err := k.Services.Get(ctx, name)
	if errors.Is(err, collections.ErrNotFound) {
		return types.Service{}, errorsmod.Wrapf(types.ErrServiceNotFound, "service %s does not exist", name)
	}
	if err != nil {
		return types.Service{}, fmt.Errorf("read service %s: %w", name, err)
	}
	return s, nil
}

// GetVersion returns version number n of service name.
func (k *Keeper) GetVersion(ctx context.Context, name string, n uint64) (types.Version, error) {
	v, err := k.Versions.Get(ctx, collections.Join(name, n))
	if errors.Is(err, collections.ErrNotFound) {
		return types.Version{}, errorsmod.Wrapf(types.ErrServiceNotFound, "service %s has no version %d", name, n)
	}
	if err != nil {
		return types.Version{}, fmt.Errorf("read version %d of service %s: %w", n, name, err)
	}
	return v, nil
}

// CurrentVersion returns the version service name runs under.
func (k *Keeper) CurrentVersion(ctx context.Context, name string) (types.Version, error) {
	s, err := k.GetService(ctx, name)
	if err != nil {
		return types.Version{}, err
	}
	return k.GetVersion(ctx, name, s.CurrentVersion)
}

// GetSpec returns the spec (the decoded manifest) of version number n of
// service name. It reads the stored spec: nothing is parsed.
func (k *Keeper) GetSpec(ctx context.Context, name string, n uint64) (*types.ServiceSpec, error) {
	s, err := k.Specs.Get(ctx, collections.Join(name, n))
	if errors.Is(err, collections.ErrNotFound) {
		return nil, errorsmod.Wrapf(types.ErrServiceNotFound, "service %s has no version %d", name, n)
	}
	if err != nil {
		return nil, fmt.Errorf("read the spec of version %d of service %s: %w", n, name, err)
	}
	return &s, nil
}

// CurrentSpec returns the spec of the version service name runs under: what
// every keeper, EndBlocker, hook and query reads a service's rules from.
func (k *Keeper) CurrentSpec(ctx context.Context, name string) (*types.ServiceSpec, error) {
	s, err := k.GetService(ctx, name)
	if err != nil {
		return nil, err
	}
	return k.GetSpec(ctx, name, s.CurrentVersion)
}

// GetProposal returns proposal id, or an error wrapping
// types.ErrProposalNotFound.
func (k *Keeper) GetProposal(ctx context.Context, id uint64) (types.Proposal, error) {
	p, err := k.Proposals.Get(ctx, id)
	if errors.Is(err, collections.ErrNotFound) {
		return types.Proposal{}, errorsmod.Wrapf(types.ErrProposalNotFound, "proposal %d does not exist", id)
	}
	if err != nil {
		return types.Proposal{}, fmt.Errorf("read proposal %d: %w", id, err)
	}
	return p, nil
}

// IterateServices calls fn with every service in name order, deleted ones
// included, until fn returns stop or an error.
func (k *Keeper) IterateServices(ctx context.Context, fn func(s types.Service) (stop bool, err error)) error {
	return k.Services.Walk(ctx, nil, func(_ string, s types.Service) (bool, error) {
		return fn(s)
	})
}

// live is a service that is not deleted, with its current version and its
// spec: what every msg but create starts from.
type live struct {
	svc  types.Service
	cur  types.Version
	spec *types.ServiceSpec
}

// loadLive loads service name for a change, refusing a deleted one. Its
// current manifest is read as its stored spec, unparsed, so no parse gas is
// charged (the store charges for what it reads).
func (k *Keeper) loadLive(ctx context.Context, name string) (*live, error) {
	s, err := k.GetService(ctx, name)
	if err != nil {
		return nil, err
	}
	if s.Status == types.StatusDeleted {
		return nil, errorsmod.Wrapf(types.ErrServiceDeleted, "service %s was deleted at height %d and can no longer change", name, s.DeletedHeight)
	}
	cur, err := k.GetVersion(ctx, name, s.CurrentVersion)
	if err != nil {
		return nil, err
	}
	spec, err := k.GetSpec(ctx, name, s.CurrentVersion)
	if err != nil {
		return nil, err
	}
	return &live{svc: s, cur: cur, spec: spec}, nil
}
