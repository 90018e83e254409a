package runtime

import "context"

// currentEpoch is the epoch a new instance belongs to: the latest one
// NewEpoch was told of or the spec's source reads.
func (s *Service) currentEpoch() uint64 {
	e := s.epoch.Load()
	if s.epochOf != nil {
		e = max(e, s.epochOf())
	}
	return e
}

// NewEpoch tells the service the chain's epoch is now epoch, so that no
// instance's history spans two epochs (a receipt chain is audited within
// its epoch). It first starts a full pool of instances in the new epoch
// beside the old ones, which keep serving meanwhile; only then does the
// service count itself in the new epoch: idle old instances are retired at
// once and busy ones after their request, each replaced at once by one of
// the warm new ones. So a request never waits for the whole pool to
// restart (under load, instantiating a pool can take longer than the slot
// wait). NewEpoch returns once the switch is made. Calling it again with
// the same or an older epoch does nothing.
//
// The spec's Epoch source, when it has one, must move to epoch only after
// NewEpoch returns: instances whose epoch is behind it are renewed on the
// way to their next request (replicas.Manager.SetEpoch does it in that
// order).
func (s *Service) NewEpoch(epoch uint64) {
	if epoch <= s.epoch.Load() {
		return
	}
	if !s.begin() { // closed: nothing to restart
		return
	}
	defer s.inflight.Done()
	s.prewarm(epoch)
	for {
		old := s.epoch.Load()
		if epoch <= old {
			return // a later NewEpoch switched meanwhile
		}
		if s.epoch.CompareAndSwap(old, epoch) {
			break
		}
	}
	for range cap(s.idle) {
		select {
		case in := <-s.idle:
			if s.stale(in) {
				s.renew(in)
			} else {
				s.idle <- in
			}
		default:
			return
		}
	}
}

// prewarm starts instances in epoch until the service holds a pool's worth
// of spares for it. An instance that fails to start is left for restart to
// start when it is needed.
func (s *Service) prewarm(epoch uint64) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-s.closing:
			cancel()
		case <-ctx.Done():
		}
	}()
	for s.spareCount(epoch) < cap(s.idle) {
		in, err := s.newInstanceIn(ctx, epoch)
		if err != nil {
			s.rt.log.Warn("start an instance ahead of the epoch change; it starts when needed", "service", s.name,
				"version", s.version, "epoch", epoch, "err", err)
			return
		}
		s.spareMu.Lock()
		s.spares = append(s.spares, in)
		s.spareMu.Unlock()
	}
}

// spareCount is the number of spare instances of epoch, after discarding
// those of earlier epochs.
func (s *Service) spareCount(epoch uint64) int {
	s.spareMu.Lock()
	defer s.spareMu.Unlock()
	n := 0
	kept := s.spares[:0]
	for _, in := range s.spares {
		if in.epoch < epoch {
			in.close()
			continue
		}
		kept = append(kept, in)
		if in.epoch == epoch {
			n++
		}
	}
	clear(s.spares[len(kept):])
	s.spares = kept
	return n
}

// takeSpare returns a spare instance of epoch, if one is warm, discarding
// those of earlier epochs.
func (s *Service) takeSpare(epoch uint64) *instance {
	if s.spareCount(epoch) == 0 {
		return nil
	}
	s.spareMu.Lock()
	defer s.spareMu.Unlock()
	for i, in := range s.spares {
		if in.epoch == epoch {
			s.spares = append(s.spares[:i], s.spares[i+1:]...)
			return in
		}
	}
	return nil
}

// stale reports whether in must not serve another request: it belongs to
// an earlier epoch or has served its share of requests.
func (s *Service) stale(in *instance) bool {
	return in.epoch < s.currentEpoch() || in.served >= s.maxRequests
}
