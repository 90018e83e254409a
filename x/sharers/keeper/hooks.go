package keeper

import (
	"context"

	servicestypes "github.com/quantum1net/q1/x/services/types"
)

// Hooks returns the keeper's x/services hooks: install them with
// servicesKeeper.SetHooks(sharersKeeper.Hooks()) (or within
// servicestypes.NewMultiServicesHooks).
func (k *Keeper) Hooks() servicestypes.ServicesHooks { return hooks{k} }

// hooks follows services as they change. Creating, activating, resuming and
// scaling only queue the service: the EndBlocker places it in the same block.
// Pausing and deleting close its leases at once, so a paused service stops
// holding (and, later, paying for) capacity in the transaction that paused it.
type hooks struct{ k *Keeper }

var _ servicestypes.ServicesHooks = hooks{}

// AfterServiceCreated queues the new service for placement.
func (h hooks) AfterServiceCreated(ctx context.Context, name string, _ *servicestypes.ServiceSpec) error {
	return h.k.enqueue(ctx, name)
}

// AfterVersionActivated queues the service: placement keeps the leases a new
// version leaves valid (a code-only change keeps them all) and re-places the
// rest.
func (h hooks) AfterVersionActivated(ctx context.Context, name string, _, _ *servicestypes.ServiceSpec) error {
	return h.k.enqueue(ctx, name)
}

// AfterServicePaused closes the service's leases and remembers their sharers
// as preferred for its resume.
func (h hooks) AfterServicePaused(ctx context.Context, name string, _ servicestypes.PauseReason) error {
	p, err := h.k.GetParams(ctx)
	if err != nil {
		return err
	}
	return h.k.pause(ctx, p, name)
}

// AfterServiceResumed queues the service; it is placed on the sharers that
// held it before the pause first, where they still qualify.
func (h hooks) AfterServiceResumed(ctx context.Context, name string) error {
	return h.k.enqueue(ctx, name)
}

// AfterServiceDeleted closes the service's leases and forgets its placement.
func (h hooks) AfterServiceDeleted(ctx context.Context, name string) error {
	p, err := h.k.GetParams(ctx)
	if err != nil {
		return err
	}
	return h.k.retire(ctx, p, name)
}

// AfterScaled queues the service: scaling up places more replicas, scaling
// down closes those sched.ScaleDown ranks last.
func (h hooks) AfterScaled(ctx context.Context, name string, _, _ uint32) error {
	return h.k.enqueue(ctx, name)
}
