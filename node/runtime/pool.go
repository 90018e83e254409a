package runtime

import (
	"context"
	"time"
)

// replace discards a broken instance and starts a fresh one in the
// background; the pool is one short until it is warm. Called only from
// Handle, so Close (which waits for Handle before the replacements) sees
// every replacement it must wait for.
func (s *Service) replace(in *instance, reason string) {
	s.stats.replaced.Add(1)
	s.rt.log.Info("instance replaced", "service", s.name, "version", s.version, "reason", reason)
	s.restart(in)
}

// renew replaces an instance that did nothing wrong: it belongs to an
// earlier epoch or has served its share of requests (Service.stale).
// Called only from Handle or with s.inflight held, as replace.
func (s *Service) renew(in *instance) {
	s.rt.log.Debug("instance renewed", "service", s.name, "version", s.version, "epoch", in.epoch, "requests", in.served)
	s.restart(in)
}

// restart closes in and puts a fresh instance in its place: a spare of
// the current epoch (NewEpoch starts them ahead) when one is warm, else one
// started in the background.
func (s *Service) restart(in *instance) {
	in.close()
	if fresh := s.takeSpare(s.currentEpoch()); fresh != nil {
		s.idle <- fresh
		return
	}
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		backoff := 100 * time.Millisecond
		for {
			fresh, err := s.newInstance(context.Background())
			if err == nil {
				s.idle <- fresh
				return
			}
			s.rt.log.Error("start replacement instance", "service", s.name, "version", s.version, "err", err, "retry_in", backoff)
			select {
			case <-time.After(backoff):
			case <-s.closing:
				return
			}
			backoff = min(2*backoff, 30*time.Second)
		}
	}()
}
