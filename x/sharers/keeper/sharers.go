package keeper

import (
	"context"
	"errors"
	"fmt"
	gomath "math"
	"slices"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"

	q1address "github.com/quantum1net/q1/core/address"
	"github.com/quantum1net/q1/x/sharers/types"
)

// account checks the account address s given in the msg or query field
// named field with q1address.ParseAccount, the one check of an account
// address that the manifest, genesis, the node and the CLI also use, and
// returns it (a valid address is already canonical: lowercase) with its
// bytes. The SDK's bech32 codec alone would also take an all-uppercase
// address and a payload of any length from 1 to 255 bytes, which every
// other place refuses.
func (k *Keeper) account(field, s string) (string, sdk.AccAddress, error) {
	bz, err := q1address.ParseAccount(s)
	if err != nil {
		return "", nil, errorsmod.Wrapf(types.ErrInvalidAddress, "%s: %v", field, err)
	}
	return s, bz, nil
}

// GetSharer returns the record of sharer addr (bech32), or an error wrapping
// types.ErrSharerNotFound. Deregistered sharers still holding collateral are
// found, with status SharerDeregistered.
func (k *Keeper) GetSharer(ctx context.Context, addr string) (types.Sharer, error) {
	_, bz, err := k.account("sharer", addr)
	if err != nil {
		return types.Sharer{}, err
	}
	return k.getSharer(ctx, bz)
}

// getSharer reads the sharer at raw address bz.
func (k *Keeper) getSharer(ctx context.Context, bz sdk.AccAddress) (types.Sharer, error) {
	s, err := k.Sharers.Get(ctx, bz)
	if errors.Is(err, collections.ErrNotFound) {
		addr, _ := k.addressCodec.BytesToString(bz)
		return types.Sharer{}, errorsmod.Wrapf(types.ErrSharerNotFound, "%s is not a registered sharer; register it with MsgRegisterSharer", addr)
	}
	if err != nil {
		return types.Sharer{}, fmt.Errorf("read sharer %s: %w", bz, err)
	}
	return s, nil
}

// SharerEndpoint returns the endpoint of a registered sharer, for the gateway
// to forward requests to.
func (k *Keeper) SharerEndpoint(ctx context.Context, addr string) (string, error) {
	s, err := k.GetSharer(ctx, addr)
	if err != nil {
		return "", err
	}
	if !s.Registered() {
		return "", errorsmod.Wrapf(types.ErrNotRegistered, "sharer %s deregistered", addr)
	}
	return s.Endpoint, nil
}

// putSharer writes s (nil: deletes the record) after old (nil: a new
// record), keeping the capacity index, the liveness index and the stats in
// step. Every change to a sharer record goes through it; index entries the
// change leaves as they were are not rewritten.
func (k *Keeper) putSharer(ctx context.Context, old, s *types.Sharer) error {
	var addr string
	switch {
	case s != nil:
		addr = s.Address
	case old != nil:
		addr = old.Address
	default:
		return nil
	}
	bz, err := k.addressCodec.StringToBytes(addr)
	if err != nil {
		return fmt.Errorf("sharer record address %q: %w", addr, err)
	}
	was, is := standingOf(old), standingOf(s)
	if err := k.reindex(ctx, bz, addr, was, is); err != nil {
		return err
	}
	if s == nil {
		if err := k.Sharers.Remove(ctx, bz); err != nil {
			return fmt.Errorf("delete sharer %s: %w", addr, err)
		}
		return nil
	}
	if err := k.Sharers.Set(ctx, bz, *s); err != nil {
		return fmt.Errorf("write sharer %s: %w", addr, err)
	}
	return nil
}

// Standings a sharer record counts under in the stats.
const (
	standingNone = iota // no record, or deregistered
	standingPlaceable
	standingDraining
	standingOffline
)

// standing is what the indexes and stats hold of one sharer record.
type standing struct {
	kind      int
	candidate *types.Candidate // in the capacity index when placeable
	live      bool             // in the liveness index (active)
	epoch     uint64           // its liveness key
}

func standingOf(s *types.Sharer) standing {
	var st standing
	switch {
	case s == nil:
		return st
	case s.Placeable():
		c := candidateOf(s)
		st.kind, st.candidate = standingPlaceable, &c
	case s.Status == types.SharerActive:
		st.kind = standingDraining
	case s.Status == types.SharerOffline:
		st.kind = standingOffline
	}
	st.live, st.epoch = s.Status == types.SharerActive, s.LastReportedEpoch
	return st
}

// reindex moves the sharer at bz from standing was to is.
func (k *Keeper) reindex(ctx context.Context, bz sdk.AccAddress, addr string, was, is standing) error {
	if c := was.candidate; c != nil && (is.candidate == nil || is.candidate.Prices.CpuPerCoreSecond != c.Prices.CpuPerCoreSecond) {
		if err := k.Candidates.Remove(ctx, collections.Join(c.Prices.CpuPerCoreSecond, bz)); err != nil {
			return fmt.Errorf("unindex sharer %s: %w", addr, err)
		}
	}
	if c := is.candidate; c != nil && (was.candidate == nil || !sameCandidate(was.candidate, c)) {
		if err := k.Candidates.Set(ctx, collections.Join(c.Prices.CpuPerCoreSecond, bz), *c); err != nil {
			return fmt.Errorf("index sharer %s: %w", addr, err)
		}
	}
	if was.live && (!is.live || was.epoch != is.epoch) {
		if err := k.Liveness.Remove(ctx, collections.Join(was.epoch, bz)); err != nil {
			return fmt.Errorf("unindex liveness of sharer %s: %w", addr, err)
		}
	}
	if is.live && (!was.live || was.epoch != is.epoch) {
		if err := k.Liveness.Set(ctx, collections.Join(is.epoch, bz)); err != nil {
			return fmt.Errorf("index liveness of sharer %s: %w", addr, err)
		}
	}
	if was.kind == is.kind {
		return nil
	}
	stats, err := k.Stats.Get(ctx)
	if err != nil {
		return fmt.Errorf("read sharer stats: %w", err)
	}
	counter := func(kind int) *uint64 {
		switch kind {
		case standingPlaceable:
			return &stats.Placeable
		case standingDraining:
			return &stats.Draining
		case standingOffline:
			return &stats.Offline
		}
		return nil
	}
	if c := counter(was.kind); c != nil {
		*c--
	}
	if c := counter(is.kind); c != nil {
		*c++
	}
	if err := k.Stats.Set(ctx, stats); err != nil {
		return fmt.Errorf("write sharer stats: %w", err)
	}
	return nil
}

// sameCandidate reports whether two capacity index entries are equal.
func sameCandidate(a, b *types.Candidate) bool {
	return a.Address == b.Address && a.Free == b.Free && a.CollateralUqc == b.CollateralUqc && a.Prices == b.Prices &&
		slices.Equal(a.Attributes, b.Attributes) &&
		slices.Equal(a.Deny.Services, b.Deny.Services) && slices.Equal(a.Deny.Owners, b.Deny.Owners)
}

// candidateOf is what the capacity index keeps of a placeable sharer.
func candidateOf(s *types.Sharer) types.Candidate {
	return types.Candidate{
		Address:       s.Address,
		Free:          s.Free(),
		Attributes:    s.Attributes,
		CollateralUqc: saturate(s.Collateral),
		Prices:        s.Prices,
		Deny:          s.Deny,
	}
}

// saturate returns i as a uint64, or the largest uint64 if it is larger.
func saturate(i math.Int) uint64 {
	if i.IsNil() || i.IsNegative() {
		return 0
	}
	if !i.IsUint64() {
		return gomath.MaxUint64
	}
	return i.Uint64()
}

// servicesOfSharer returns the distinct services the sharer's open leases
// belong to, in lease id order.
func (k *Keeper) servicesOfSharer(ctx context.Context, bz sdk.AccAddress) ([]string, error) {
	leases, err := k.openLeasesOf(ctx, bz)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, l := range leases {
		if !slices.Contains(out, l.Service) {
			out = append(out, l.Service)
		}
	}
	return out, nil
}
