package types

import (
	"context"
	"errors"
)

// ServicesHooks lets other modules (x/sharers, x/usage) follow services as
// they change. The keeper calls each hook after the change is written and
// within the same transaction or block: a hook that returns an error fails
// the msg (and so undoes the change), or, during activation in EndBlock,
// marks the proposal failed.
type ServicesHooks interface {
	// AfterServiceCreated is called when a service is created, with the
	// spec of its first manifest. Hooks must not change the spec.
	AfterServiceCreated(ctx context.Context, name string, spec *ServiceSpec) error
	// AfterVersionActivated is called when an approved update takes effect,
	// with the specs of the version it replaces and of the new one. Hooks
	// must not change them.
	AfterVersionActivated(ctx context.Context, name string, old, new *ServiceSpec) error
	// AfterServicePaused is called when a service stops serving.
	AfterServicePaused(ctx context.Context, name string, reason PauseReason) error
	// AfterServiceResumed is called when a paused service serves again.
	AfterServiceResumed(ctx context.Context, name string) error
	// AfterServiceDeleted is called when a service is deleted for good.
	AfterServiceDeleted(ctx context.Context, name string) error
	// AfterScaled is called when MsgScaleService changes placement.replicas.
	// It is not followed by AfterVersionActivated for the same change.
	AfterScaled(ctx context.Context, name string, oldReplicas, newReplicas uint32) error
}

// MultiServicesHooks calls several hooks in order, joining their errors.
type MultiServicesHooks []ServicesHooks

var _ ServicesHooks = MultiServicesHooks{}

// NewMultiServicesHooks combines hooks; they are called in the given order.
func NewMultiServicesHooks(hooks ...ServicesHooks) MultiServicesHooks { return hooks }

func (mh MultiServicesHooks) each(f func(ServicesHooks) error) error {
	var errs []error
	for _, h := range mh {
		errs = append(errs, f(h))
	}
	return errors.Join(errs...)
}

// AfterServiceCreated calls every hook's AfterServiceCreated.
func (mh MultiServicesHooks) AfterServiceCreated(ctx context.Context, name string, spec *ServiceSpec) error {
	return mh.each(func(h ServicesHooks) error { return h.AfterServiceCreated(ctx, name, spec) })
}

// AfterVersionActivated calls every hook's AfterVersionActivated.
func (mh MultiServicesHooks) AfterVersionActivated(ctx context.Context, name string, old, new *ServiceSpec) error {
	return mh.each(func(h ServicesHooks) error { return h.AfterVersionActivated(ctx, name, old, new) })
}

// AfterServicePaused calls every hook's AfterServicePaused.
func (mh MultiServicesHooks) AfterServicePaused(ctx context.Context, name string, reason PauseReason) error {
	return mh.each(func(h ServicesHooks) error { return h.AfterServicePaused(ctx, name, reason) })
}

// AfterServiceResumed calls every hook's AfterServiceResumed.
func (mh MultiServicesHooks) AfterServiceResumed(ctx context.Context, name string) error {
	return mh.each(func(h ServicesHooks) error { return h.AfterServiceResumed(ctx, name) })
}

// AfterServiceDeleted calls every hook's AfterServiceDeleted.
func (mh MultiServicesHooks) AfterServiceDeleted(ctx context.Context, name string) error {
	return mh.each(func(h ServicesHooks) error { return h.AfterServiceDeleted(ctx, name) })
}

// AfterScaled calls every hook's AfterScaled.
func (mh MultiServicesHooks) AfterScaled(ctx context.Context, name string, oldReplicas, newReplicas uint32) error {
	return mh.each(func(h ServicesHooks) error { return h.AfterScaled(ctx, name, oldReplicas, newReplicas) })
}
