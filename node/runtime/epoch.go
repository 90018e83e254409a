package runtime

// currentEpoch is the epoch a new instance belongs to: the latest one
// NewEpoch was told of or the spec's source reads.
func (s *Service) currentEpoch() uint64 {
	e := s.epoch.Load()
	if s.epochOf != nil {
		e = max(e, s.epochOf())
	}
	return e
}

// NewEpoch tells the service the chain's epoch is now epoch: idle
// instances started in an earlier epoch are replaced at once, busy ones
// after their request, so that no instance's history spans two epochs (a
// receipt chain is audited within its epoch). Calling it again with the
// same or an older epoch does nothing.
func (s *Service) NewEpoch(epoch uint64) {
	for {
		old := s.epoch.Load()
		if epoch <= old {
			return
		}
		if s.epoch.CompareAndSwap(old, epoch) {
			break
		}
	}
	if !s.begin() { // closed: nothing to restart
		return
	}
	defer s.inflight.Done()
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

// stale reports whether in must not serve another request: it belongs to
// an earlier epoch or has served its share of requests.
func (s *Service) stale(in *instance) bool {
	return in.epoch < s.currentEpoch() || in.served >= s.maxRequests
}
