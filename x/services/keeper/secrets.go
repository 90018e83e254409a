package keeper

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/quantum1net/q1/core/manifest"
	"github.com/quantum1net/q1/x/services/types"
)

// Secrets: the chain stores what an owner or secret writer encrypted and
// which nodes its data key is wrapped to; it never sees a value. It checks
// who may write, that the service grants the capability, that every wrap
// goes to a node holding a lease of the service, and sizes.

// SetSecret implements types.MsgServer.
func (s msgServer) SetSecret(ctx context.Context, msg *types.MsgSetSecret) (*types.MsgSetSecretResponse, error) {
	k := s.k
	sender, _, err := k.account("sender", msg.Sender)
	if err != nil {
		return nil, err
	}
	l, err := k.secretsOf(ctx, msg.Service, msg.Key)
	if err != nil {
		return nil, err
	}
	if !l.spec.MayWriteSecrets(sender) {
		return nil, errorsmod.Wrapf(types.ErrUnauthorized,
			"%s may not set secrets of service %s: only its owners and permissions.secretWriters may", sender, msg.Service)
	}
	if n := len(msg.Ciphertext); n > types.MaxSecretCiphertext || n < types.SecretSealOverhead {
		return nil, errorsmod.Wrapf(types.ErrInvalidSecret,
			"ciphertext of secret %s of service %s has %d bytes; a sealed value has %d to %d (values up to %d bytes, 64 KiB)",
			msg.Key, msg.Service, n, types.SecretSealOverhead, types.MaxSecretCiphertext, types.MaxSecretValue)
	}
	key := collections.Join(msg.Service, msg.Key)
	prev, err := k.Secrets.Get(ctx, key)
	switch {
	case errors.Is(err, collections.ErrNotFound):
		prev = types.Secret{}
		live, err := k.liveSecrets(ctx, msg.Service)
		if err != nil {
			return nil, err
		}
		if live >= types.MaxSecretsPerService {
			return nil, errorsmod.Wrapf(types.ErrInvalidSecret,
				"service %s already holds %d secrets, the most a service may; delete one first", msg.Service, live)
		}
	case err != nil:
		return nil, fmt.Errorf("read secret %s of service %s: %w", msg.Key, msg.Service, err)
	case prev.Deleted:
		live, err := k.liveSecrets(ctx, msg.Service)
		if err != nil {
			return nil, err
		}
		if live >= types.MaxSecretsPerService {
			return nil, errorsmod.Wrapf(types.ErrInvalidSecret,
				"service %s already holds %d secrets, the most a service may; delete one first", msg.Service, live)
		}
	}
	if want := prev.Version + 1; msg.Version != want {
		return nil, errorsmod.Wrapf(types.ErrStaleSecret,
			"secret %s of service %s was sealed for version %d, but the next version is %d (someone set it meanwhile); encrypt again",
			msg.Key, msg.Service, msg.Version, want)
	}
	if len(msg.Wraps) == 0 {
		return nil, errorsmod.Wrapf(types.ErrInvalidSecret,
			"secret %s of service %s has no wraps: wrap its data key to at least one node holding a lease of the service", msg.Key, msg.Service)
	}
	if len(msg.Wraps) > types.MaxSecretWraps {
		return nil, errorsmod.Wrapf(types.ErrInvalidSecret, "secret %s of service %s has %d wraps; at most %d (one per node) are allowed",
			msg.Key, msg.Service, len(msg.Wraps), types.MaxSecretWraps)
	}
	wraps := make([]types.SecretWrap, 0, len(msg.Wraps))
	for i, w := range msg.Wraps {
		if err := k.checkWrap(ctx, msg.Service, fmt.Sprintf("wraps[%d]", i), w); err != nil {
			return nil, err
		}
		wraps = append(wraps, types.SecretWrap{Node: w.Node, Wrapped: bytes.Clone(w.Wrapped)})
	}
	slices.SortFunc(wraps, func(a, b types.SecretWrap) int { return cmp.Compare(a.Node, b.Node) })
	for i := 1; i < len(wraps); i++ {
		if wraps[i].Node == wraps[i-1].Node {
			return nil, errorsmod.Wrapf(types.ErrInvalidSecret, "secret %s of service %s wraps to node %s twice; one wrap per node",
				msg.Key, msg.Service, wraps[i].Node)
		}
	}
	rec := types.Secret{
		Service: msg.Service, Key: msg.Key, Version: msg.Version,
		Ciphertext: bytes.Clone(msg.Ciphertext), Wraps: wraps,
		SetBy: sender, SetHeight: sdk.UnwrapSDKContext(ctx).BlockHeight(),
	}
	if err := k.Secrets.Set(ctx, key, rec); err != nil {
		return nil, fmt.Errorf("write secret %s of service %s: %w", msg.Key, msg.Service, err)
	}
	return &types.MsgSetSecretResponse{Version: rec.Version}, nil
}

// DeleteSecret implements types.MsgServer. The record keeps its version,
// so a name set again continues counting and old wraps never open it.
func (s msgServer) DeleteSecret(ctx context.Context, msg *types.MsgDeleteSecret) (*types.MsgDeleteSecretResponse, error) {
	k := s.k
	sender, _, err := k.account("sender", msg.Sender)
	if err != nil {
		return nil, err
	}
	l, err := k.loadLive(ctx, msg.Service)
	if err != nil {
		return nil, err
	}
	if !l.spec.MayWriteSecrets(sender) {
		return nil, errorsmod.Wrapf(types.ErrUnauthorized,
			"%s may not delete secrets of service %s: only its owners and permissions.secretWriters may", sender, msg.Service)
	}
	key := collections.Join(msg.Service, msg.Key)
	rec, err := k.liveSecret(ctx, msg.Service, msg.Key)
	if err != nil {
		return nil, err
	}
	rec = types.Secret{Service: rec.Service, Key: rec.Key, Version: rec.Version, SetBy: sender,
		SetHeight: sdk.UnwrapSDKContext(ctx).BlockHeight(), Deleted: true}
	if err := k.Secrets.Set(ctx, key, rec); err != nil {
		return nil, fmt.Errorf("write secret %s of service %s: %w", msg.Key, msg.Service, err)
	}
	return &types.MsgDeleteSecretResponse{}, nil
}

// WrapSecret implements types.MsgServer: a node holding a lease of the
// service, which could open the latest version's data key, wraps it for
// another lease-holder that has no wrap yet (a replica placed after the
// owner set the secret). The chain cannot check what is inside a wrap; it
// checks who sends it and to whom.
func (s msgServer) WrapSecret(ctx context.Context, msg *types.MsgWrapSecret) (*types.MsgWrapSecretResponse, error) {
	k := s.k
	sharer, _, err := k.account("sharer", msg.Sharer)
	if err != nil {
		return nil, err
	}
	if _, err := k.secretsOf(ctx, msg.Service, msg.Key); err != nil {
		return nil, err
	}
	holds, err := k.leases.HoldsLease(ctx, msg.Service, sharer)
	if err != nil {
		return nil, fmt.Errorf("leases of service %s: %w", msg.Service, err)
	}
	if !holds {
		return nil, errorsmod.Wrapf(types.ErrUnauthorized,
			"%s holds no lease of service %s, so it may not wrap its secrets", sharer, msg.Service)
	}
	key := collections.Join(msg.Service, msg.Key)
	rec, err := k.liveSecret(ctx, msg.Service, msg.Key)
	if err != nil {
		return nil, err
	}
	if msg.Version != rec.Version {
		return nil, errorsmod.Wrapf(types.ErrStaleSecret,
			"secret %s of service %s is at version %d; a wrap of version %d is stale", msg.Key, msg.Service, rec.Version, msg.Version)
	}
	if err := k.checkWrap(ctx, msg.Service, "wrap", msg.Wrap); err != nil {
		return nil, err
	}
	if _, ok := rec.WrapFor(msg.Wrap.Node); ok {
		return nil, errorsmod.Wrapf(types.ErrInvalidSecret,
			"node %s already holds a wrap of version %d of secret %s of service %s", msg.Wrap.Node, rec.Version, msg.Key, msg.Service)
	}
	if len(rec.Wraps) >= types.MaxSecretWraps {
		return nil, errorsmod.Wrapf(types.ErrInvalidSecret, "secret %s of service %s already has %d wraps, the most allowed",
			msg.Key, msg.Service, len(rec.Wraps))
	}
	rec.Wraps = append(rec.Wraps, types.SecretWrap{Node: msg.Wrap.Node, Wrapped: bytes.Clone(msg.Wrap.Wrapped)})
	slices.SortFunc(rec.Wraps, func(a, b types.SecretWrap) int { return cmp.Compare(a.Node, b.Node) })
	if err := k.Secrets.Set(ctx, key, rec); err != nil {
		return nil, fmt.Errorf("write secret %s of service %s: %w", msg.Key, msg.Service, err)
	}
	return &types.MsgWrapSecretResponse{}, nil
}

// secretsOf loads a live service for a change to its secret key, refusing a
// service without the capability and a name it does not allow.
func (k *Keeper) secretsOf(ctx context.Context, service, key string) (*live, error) {
	if err := manifest.ValidateSecretName(key); err != nil {
		return nil, errorsmod.Wrapf(types.ErrInvalidSecret, "key: %v", err)
	}
	l, err := k.loadLive(ctx, service)
	if err != nil {
		return nil, err
	}
	sc := l.spec.Permissions.Capabilities.Secrets
	if sc == nil {
		return nil, errorsmod.Wrapf(types.ErrInvalidSecret,
			"service %s does not grant permissions.capabilities.secrets; propose a manifest that grants it first", service)
	}
	if !l.spec.GrantsSecret(key) {
		return nil, errorsmod.Wrapf(types.ErrInvalidSecret,
			"service %s allows only the secrets %v (permissions.capabilities.secrets.names), not %q", service, sc.Names, key)
	}
	return l, nil
}

// checkWrap checks one wrap (field names it in messages): a node address
// holding a lease of service, and a wrap of the one size wraps have.
func (k *Keeper) checkWrap(ctx context.Context, service, field string, w types.SecretWrap) error {
	node, _, err := k.account(field+".node", w.Node)
	if err != nil {
		return err
	}
	if len(w.Wrapped) != types.SecretWrapSize {
		return errorsmod.Wrapf(types.ErrInvalidSecret, "%s.wrapped has %d bytes; a wrap has %d", field, len(w.Wrapped), types.SecretWrapSize)
	}
	holds, err := k.leases.HoldsLease(ctx, service, node)
	if err != nil {
		return fmt.Errorf("leases of service %s: %w", service, err)
	}
	if !holds {
		return errorsmod.Wrapf(types.ErrInvalidSecret,
			"%s.node %s holds no lease of service %s; wrap only to the nodes running its replicas", field, node, service)
	}
	return nil
}

// liveSecrets counts the secrets of service that are not deleted (at most
// MaxSecretsPerService plus the deleted ones are walked).
func (k *Keeper) liveSecrets(ctx context.Context, service string) (int, error) {
	n := 0
	err := k.Secrets.Walk(ctx, collections.NewPrefixedPairRange[string, string](service),
		func(_ collections.Pair[string, string], s types.Secret) (bool, error) {
			if !s.Deleted {
				n++
			}
			return false, nil
		})
	if err != nil {
		return 0, fmt.Errorf("walk secrets of service %s: %w", service, err)
	}
	return n, nil
}

// ListSecrets returns the secret records of service, deleted ones
// included, by name.
func (k *Keeper) ListSecrets(ctx context.Context, service string) ([]types.Secret, error) {
	var out []types.Secret
	err := k.Secrets.Walk(ctx, collections.NewPrefixedPairRange[string, string](service),
		func(_ collections.Pair[string, string], s types.Secret) (bool, error) {
			out = append(out, s)
			return false, nil
		})
	if err != nil {
		return nil, fmt.Errorf("walk secrets of service %s: %w", service, err)
	}
	return out, nil
}

// liveSecret is the record of service's secret key, refused as not found
// when there is none or it was deleted.
func (k *Keeper) liveSecret(ctx context.Context, service, key string) (types.Secret, error) {
	rec, err := k.Secrets.Get(ctx, collections.Join(service, key))
	if errors.Is(err, collections.ErrNotFound) || err == nil && rec.Deleted {
		return types.Secret{}, errorsmod.Wrapf(types.ErrSecretNotFound, "service %s has no secret %q", service, key)
	}
	if err != nil {
		return types.Secret{}, fmt.Errorf("read secret %s of service %s: %w", key, service, err)
	}
	return rec, nil
}
