package keeper

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"cosmossdk.io/collections"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/quantum1net/q1/core/sched"
	servicestypes "github.com/quantum1net/q1/x/services/types"
	"github.com/quantum1net/q1/x/sharers/types"
)

// reconcile brings service name's leases in line with its status and the
// manifest it runs under:
//
//  1. A paused service's leases close (their sharers are remembered as
//     preferred for its resume); a deleted one's close and its state goes.
//  2. Each open lease is reviewed, by replica: it closes if the replica's
//     resources changed or its sharer no longer meets the placement rules
//     (sched.Check with the lease's locked prices); it is "moving" if its
//     sharer is draining; otherwise it is kept. A new version that only
//     changes code keeps every lease: the node swaps the code.
//  3. Surplus replicas close: moving ones first, then those sched.ScaleDown
//     ranks last.
//  4. Missing replicas are placed with sched.Place over the capacity index;
//     each new lease replaces one moving lease while any is left.
//  5. The placement state, the under-placed set and the events record the
//     outcome; a service short of replicas, or with replicas still moving,
//     is retried when capacity appears.
//
// It returns how many sharer records placement read.
func (k *Keeper) reconcile(ctx context.Context, name string) (int, error) {
	p, err := k.GetParams(ctx)
	if err != nil {
		return 0, err
	}
	svc, err := k.services.GetService(ctx, name)
	switch {
	case errors.Is(err, servicestypes.ErrServiceNotFound):
		return 0, k.retire(ctx, p, name)
	case err != nil:
		return 0, fmt.Errorf("read service %s: %w", name, err)
	case svc.Status == servicestypes.StatusDeleted:
		return 0, k.retire(ctx, p, name)
	case svc.Status == servicestypes.StatusPaused:
		return 0, k.pause(ctx, p, name)
	}
	spec, err := k.services.CurrentSpec(ctx, name)
	if err != nil {
		return 0, fmt.Errorf("spec of service %s: %w", name, err)
	}
	req := requestFor(name, spec, p.MinCollateral)
	st, err := k.placementState(ctx, name)
	if err != nil {
		return 0, err
	}
	leases, err := k.ActiveLeases(ctx, name)
	if err != nil {
		return 0, err
	}
	w := work{k: k, p: p, req: req, st: &st}
	if err := w.review(ctx, leases); err != nil {
		return 0, err
	}
	if err := w.scaleDown(ctx); err != nil {
		return 0, err
	}
	if err := w.place(ctx); err != nil {
		return 0, err
	}
	return w.reads, w.record(ctx)
}

// held is an open lease with its sharer's record.
type held struct {
	lease  types.Lease
	sharer types.Sharer
}

// work is one reconcile of one service.
type work struct {
	k   *Keeper
	p   types.Params
	req sched.Request
	st  *types.PlacementState

	kept, moving []held
	closed       int           // leases closed by this reconcile
	reads        int           // sharer records read to place
	attempted    bool          // sched.Place ran
	newLeases    []types.Lease // opened by this reconcile
}

// review sorts the open leases (ordered by replica) into kept, moving and
// closed, as described at reconcile.
func (w *work) review(ctx context.Context, leases []types.Lease) error {
	res := reservation(&w.req)
	for _, l := range leases {
		s, err := w.k.GetSharer(ctx, l.Sharer)
		if err != nil {
			return err
		}
		switch {
		case l.Resources != res:
			if err := w.close(ctx, l, types.CloseResourcesChanged, ""); err != nil {
				return err
			}
			continue
		case s.Status != types.SharerActive:
			if err := w.close(ctx, l, types.CloseNoLongerQualifies, sched.ReasonOffline.Key()); err != nil {
				return err
			}
			continue
		case s.Draining:
			w.moving = append(w.moving, held{l, s})
			continue
		}
		req := w.req
		req.Current = w.currentReplicas()
		c := candidateOf(&s)
		c.Free, c.Prices = s.Free().Add(l.Resources), l.Prices
		view := schedSharer(&c)
		reason, err := sched.Check(req, view)
		if err != nil {
			return fmt.Errorf("review lease %d of service %s: %w", l.Id, l.Service, err)
		}
		if reason != sched.ReasonNone {
			if err := w.close(ctx, l, types.CloseNoLongerQualifies, reason.Key()); err != nil {
				return err
			}
			continue
		}
		w.kept = append(w.kept, held{l, s})
	}
	return nil
}

// currentReplicas describes the kept leases for sched.
func (w *work) currentReplicas() []sched.Replica {
	out := make([]sched.Replica, len(w.kept))
	for i := range w.kept {
		out[i] = replicaOf(&w.kept[i].lease, &w.kept[i].sharer)
	}
	return out
}

// close closes lease l of the service for reason.
func (w *work) close(ctx context.Context, l types.Lease, reason types.CloseReason, detail string) error {
	w.closed++
	return w.k.closeLease(ctx, w.p, l, reason, detail)
}

// scaleDown closes the replicas beyond the wanted count: moving ones first,
// then the kept ones sched.ScaleDown ranks last.
func (w *work) scaleDown(ctx context.Context) error {
	for len(w.kept)+len(w.moving) > w.req.Replicas && len(w.moving) > 0 {
		last := w.moving[len(w.moving)-1]
		w.moving = w.moving[:len(w.moving)-1]
		if err := w.close(ctx, last.lease, types.CloseScaledDown, ""); err != nil {
			return err
		}
	}
	if len(w.kept) <= w.req.Replicas {
		return nil
	}
	req := w.req
	req.Current = w.currentReplicas()
	req.Preferred = w.st.Preferred
	drop, err := sched.ScaleDown(req, sched.Params{BandPermille: w.p.BandPermille})
	if err != nil {
		return fmt.Errorf("scale down service %s: %w", w.req.Service, err)
	}
	for _, r := range drop {
		i := slices.IndexFunc(w.kept, func(h held) bool { return h.lease.Sharer == r.Sharer })
		if i < 0 {
			return fmt.Errorf("scale down service %s: sched dropped %s, which holds none of its replicas", w.req.Service, r.Sharer)
		}
		if err := w.close(ctx, w.kept[i].lease, types.CloseScaledDown, ""); err != nil {
			return err
		}
		w.kept = slices.Delete(w.kept, i, i+1)
	}
	return nil
}

// place places the replicas the kept leases fall short of, each new lease
// replacing a moving one while any is left.
func (w *work) place(ctx context.Context) error {
	if len(w.kept) >= w.req.Replicas {
		return nil
	}
	req := w.req
	req.Current = w.currentReplicas()
	req.Preferred = w.st.Preferred
	pl, err := w.k.candidates(ctx, &req, w.p.BandPermille, w.st.Excluded)
	if err != nil {
		return err
	}
	params := sched.Params{BandPermille: w.p.BandPermille}
	res, err := sched.Place(req, pl.sharers, params)
	if err != nil {
		return fmt.Errorf("place service %s: %w", w.req.Service, err)
	}
	if pl.resume != nil && !withinBand(res) {
		// The band did not supply every replica: sched needs the sharers
		// above it too, cheapest first.
		if err := w.k.readRest(ctx, &pl, w.st.Excluded); err != nil {
			return err
		}
		if res, err = sched.Place(req, pl.sharers, params); err != nil {
			return fmt.Errorf("place service %s: %w", w.req.Service, err)
		}
	}
	w.reads = pl.reads
	w.attempted = true
	ex := explain(res, pl)
	w.st.Explanation, w.st.Reasons = ex.text, ex.reasons
	w.st.Height = sdk.UnwrapSDKContext(ctx).BlockHeight()
	for _, c := range res.Chosen {
		if len(w.moving) > 0 {
			if err := w.close(ctx, w.moving[0].lease, types.CloseDrained, ""); err != nil {
				return err
			}
			w.moving = w.moving[1:]
		}
		l, err := w.k.openLease(ctx, w.p, newLease{
			service: w.req.Service, replica: w.freeReplica(), sharer: c.Sharer,
			prices: pricesOf(c.Prices), resources: reservation(&w.req), minCollateral: w.req.MinCollateral,
		})
		if err != nil {
			return err
		}
		w.newLeases = append(w.newLeases, l)
	}
	return nil
}

// withinBand reports whether res placed every replica on preferred or
// in-band sharers, which the sharers above the band cannot change.
func withinBand(res sched.Result) bool {
	if res.Unplaced > 0 {
		return false
	}
	for _, c := range res.Chosen {
		if !c.InBand && !c.Preferred {
			return false
		}
	}
	return true
}

// freeReplica returns the lowest replica index no open lease of the service
// holds.
func (w *work) freeReplica() uint32 {
	taken := func(i uint32) bool {
		has := func(h held) bool { return h.lease.Replica == i }
		return slices.ContainsFunc(w.kept, has) || slices.ContainsFunc(w.moving, has) ||
			slices.ContainsFunc(w.newLeases, func(l types.Lease) bool { return l.Replica == i })
	}
	var i uint32
	for taken(i) {
		i++
	}
	return i
}

// record writes the service's placement state, keeps the under-placed set in
// step and emits the outcome.
func (w *work) record(ctx context.Context) error {
	name := w.req.Service
	placed := len(w.kept) + len(w.moving) + len(w.newLeases)
	st := w.st
	st.Wanted, st.Placed, st.Moving = uint32(w.req.Replicas), uint32(placed), uint32(len(w.moving))
	excluded := len(st.Excluded) > 0
	st.Excluded = nil
	short := placed < w.req.Replicas || len(w.moving) > 0
	if short {
		if err := w.k.Unplaced.Set(ctx, name); err != nil {
			return fmt.Errorf("mark service %s under-placed: %w", name, err)
		}
		// The sharers this attempt excluded (after an ack timeout) may take
		// the service next time: retry it as if capacity had appeared, or
		// it would wait for an unrelated change.
		if excluded {
			if err := w.k.markCapacityChanged(ctx); err != nil {
				return err
			}
		}
	} else {
		st.Preferred = nil
		if err := w.k.Unplaced.Remove(ctx, name); err != nil {
			return fmt.Errorf("unmark service %s under-placed: %w", name, err)
		}
	}
	if err := w.k.Placements.Set(ctx, name, *st); err != nil {
		return fmt.Errorf("write placement of service %s: %w", name, err)
	}
	switch {
	case w.attempted && placed < w.req.Replicas:
		return emit(ctx, &types.EventServiceUnplaced{
			Service: name, Wanted: st.Wanted, Placed: st.Placed, Reasons: st.Reasons, Explanation: st.Explanation,
		})
	case len(w.newLeases) > 0 || w.closed > 0:
		ids := make([]uint64, len(w.newLeases))
		for i, l := range w.newLeases {
			ids[i] = l.Id
		}
		return emit(ctx, &types.EventServicePlaced{
			Service: name, Wanted: st.Wanted, Placed: st.Placed, NewLeases: ids, Explanation: st.Explanation,
		})
	}
	return nil
}

// placementState returns service name's placement state, or a new one.
func (k *Keeper) placementState(ctx context.Context, name string) (types.PlacementState, error) {
	st, err := k.Placements.Get(ctx, name)
	if errors.Is(err, collections.ErrNotFound) {
		return types.PlacementState{Service: name}, nil
	}
	if err != nil {
		return types.PlacementState{}, fmt.Errorf("read placement of service %s: %w", name, err)
	}
	return st, nil
}

// pause closes a paused service's leases, remembering their sharers as
// preferred for its resume.
func (k *Keeper) pause(ctx context.Context, p types.Params, name string) error {
	leases, err := k.ActiveLeases(ctx, name)
	if err != nil {
		return err
	}
	st, err := k.placementState(ctx, name)
	if err != nil {
		return err
	}
	if len(leases) > 0 {
		st.Preferred = nil
		for _, l := range leases {
			st.Preferred = append(st.Preferred, l.Sharer)
			if err := k.closeLease(ctx, p, l, types.CloseServicePaused, ""); err != nil {
				return err
			}
		}
		slices.Sort(st.Preferred)
	}
	st.Placed, st.Moving, st.Excluded = 0, 0, nil
	if err := k.Unplaced.Remove(ctx, name); err != nil {
		return fmt.Errorf("unmark service %s under-placed: %w", name, err)
	}
	if err := k.Placements.Set(ctx, name, st); err != nil {
		return fmt.Errorf("write placement of service %s: %w", name, err)
	}
	return nil
}

// retire closes a deleted service's leases and forgets its placement.
func (k *Keeper) retire(ctx context.Context, p types.Params, name string) error {
	leases, err := k.ActiveLeases(ctx, name)
	if err != nil {
		return err
	}
	for _, l := range leases {
		if err := k.closeLease(ctx, p, l, types.CloseServiceDeleted, ""); err != nil {
			return err
		}
	}
	if err := k.Unplaced.Remove(ctx, name); err != nil {
		return fmt.Errorf("unmark service %s under-placed: %w", name, err)
	}
	if err := k.dequeue(ctx, name); err != nil {
		return err
	}
	if err := k.Placements.Remove(ctx, name); err != nil {
		return fmt.Errorf("delete placement of service %s: %w", name, err)
	}
	return nil
}
