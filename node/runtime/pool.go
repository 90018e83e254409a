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
	in.close()
	s.stats.replaced.Add(1)
	s.rt.log.Info("instance replaced", "service", s.name, "version", s.version, "reason", reason)
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
