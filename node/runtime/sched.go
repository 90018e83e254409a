package runtime

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// scheduler shares the node's guest slots fairly among services.
//
// A guest runs only while it holds a ticket. At most slots tickets are in
// the shared pool at once. When one frees, it goes to the next service in
// round-robin order that has requests waiting, and within a service to the
// oldest waiter, so a service with many queued requests gets no more turns
// than one with a single request.
//
// wazero cannot pause a running guest, so a guest that never returns (a loop
// until its deadline) would keep its slot for its whole request timeout. To
// share time anyway, a guest that has held a pool slot for a whole slice
// while another service waits is moved out of the pool ("overtime"): it keeps
// running, its slot goes to the waiting service, and from then on it competes
// for CPU through the Go scheduler, which preempts it at wazero's loop
// checks. At most maxOvertime guests run in overtime node-wide; past that no
// guest is moved and waiters wait for a slot to free.
//
// The scheduler also counts requests waiting before their guest runs (for
// an instance of their service or for a slot) and refuses new ones past the
// per-service and per-node caps on their number and encoded size.
type scheduler struct {
	slots       int
	maxOvertime int
	slice       time.Duration
	limits      QueueLimits
	now         func() time.Time

	mu       sync.Mutex
	running  int // tickets in the pool
	overtime int // tickets moved out of the pool
	holders  map[*ticket]struct{}
	waiting  map[string][]*ticket // waiting tickets by service name, oldest first
	ring     []string             // services with waiting tickets, in turn order
	turn     int                  // index in ring of the next service to serve
	timer    *time.Timer          // armed to move a guest past its slice
	queued   map[string]queueUse  // requests admitted but not yet running, by service name
	total    queueUse
}

// queueUse is what requests waiting to run hold: their number and encoded
// size.
type queueUse struct {
	n     int
	bytes int64
}

// ticket is one guest's permission to run.
type ticket struct {
	service string
	granted chan struct{} // closed when the ticket enters the pool
	state   ticketState
	since   time.Time // when it entered the pool
}

type ticketState int

const (
	ticketWaiting ticketState = iota
	ticketPool
	ticketOvertime
	ticketDone
)

func newScheduler(cfg config) *scheduler {
	return &scheduler{
		slots:       cfg.maxGuests,
		maxOvertime: cfg.maxOvertime,
		slice:       cfg.slice,
		limits:      cfg.queue,
		now:         time.Now,
		holders:     map[*ticket]struct{}{},
		waiting:     map[string][]*ticket{},
		queued:      map[string]queueUse{},
	}
}

// acquire waits for a pool slot for a guest of service, until ctx ends.
func (s *scheduler) acquire(ctx context.Context, service string) (*ticket, error) {
	t := &ticket{service: service, granted: make(chan struct{})}
	s.mu.Lock()
	if s.running < s.slots && len(s.ring) == 0 {
		s.enterPool(t)
		s.mu.Unlock()
		return t, nil
	}
	if len(s.waiting[service]) == 0 {
		s.ring = append(s.ring, service)
	}
	s.waiting[service] = append(s.waiting[service], t)
	s.dispatch("")
	s.mu.Unlock()

	select {
	case <-t.granted:
		return t, nil
	case <-ctx.Done():
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if t.state == ticketWaiting {
		s.dropWaiter(t)
		return nil, ctx.Err()
	}
	// Granted as the caller gave up: give it to the next waiter.
	s.releaseLocked(t)
	return nil, ctx.Err()
}

// release gives back t's slot, or its overtime place.
func (s *scheduler) release(t *ticket) {
	s.mu.Lock()
	s.releaseLocked(t)
	s.mu.Unlock()
}

func (s *scheduler) releaseLocked(t *ticket) {
	switch t.state {
	case ticketPool:
		s.running--
		delete(s.holders, t)
	case ticketOvertime:
		s.overtime--
	default:
		return
	}
	t.state = ticketDone
	s.dispatch("")
}

func (s *scheduler) enterPool(t *ticket) {
	t.state, t.since = ticketPool, s.now()
	s.running++
	s.holders[t] = struct{}{}
	close(t.granted)
}

// dispatch hands free pool slots to waiters in turn, skipping the service
// named skip (the one whose guest was just moved to overtime: its slot goes
// to someone else). It then moves guests past their slice to overtime while
// others wait, and arms the timer for the next guest to reach its slice.
func (s *scheduler) dispatch(skip string) {
	for s.running < s.slots {
		t := s.nextWaiter(skip)
		if t == nil {
			break
		}
		s.enterPool(t)
	}
	if len(s.ring) == 0 {
		s.stopTimer()
		return
	}
	// Someone waits and the pool is full: move the longest-running guest
	// out of the pool if it has used its slice and another service waits.
	now := s.now()
	var oldest *ticket
	for h := range s.holders {
		if (oldest == nil || h.since.Before(oldest.since)) && s.othersWait(h.service) {
			oldest = h
		}
	}
	if oldest == nil || s.overtime >= s.maxOvertime {
		s.stopTimer()
		return
	}
	if wait := oldest.since.Add(s.slice).Sub(now); wait > 0 {
		s.armTimer(wait)
		return
	}
	delete(s.holders, oldest)
	s.running--
	oldest.state = ticketOvertime
	s.overtime++
	s.dispatch(oldest.service)
}

// othersWait reports whether a service other than service has a waiter.
func (s *scheduler) othersWait(service string) bool {
	for _, name := range s.ring {
		if name != service {
			return true
		}
	}
	return false
}

// nextWaiter removes and returns the oldest waiter of the next service in
// turn, other than skip.
func (s *scheduler) nextWaiter(skip string) *ticket {
	for range len(s.ring) {
		if s.turn >= len(s.ring) {
			s.turn = 0
		}
		name := s.ring[s.turn]
		if name == skip {
			s.turn++
			continue
		}
		q := s.waiting[name]
		t := q[0]
		if len(q) == 1 {
			delete(s.waiting, name)
			s.ring = append(s.ring[:s.turn], s.ring[s.turn+1:]...) // the next service moves into s.turn
		} else {
			s.waiting[name] = q[1:]
			s.turn++
		}
		return t
	}
	return nil
}

// dropWaiter removes a waiter whose caller gave up.
func (s *scheduler) dropWaiter(t *ticket) {
	q := s.waiting[t.service]
	for i, w := range q {
		if w == t {
			q = append(q[:i:i], q[i+1:]...)
			break
		}
	}
	t.state = ticketDone
	if len(q) > 0 {
		s.waiting[t.service] = q
		return
	}
	delete(s.waiting, t.service)
	for i, name := range s.ring {
		if name == t.service {
			s.ring = append(s.ring[:i], s.ring[i+1:]...)
			if s.turn > i {
				s.turn--
			}
			break
		}
	}
	s.dispatch("")
}

func (s *scheduler) armTimer(d time.Duration) {
	if s.timer == nil {
		s.timer = time.AfterFunc(d, func() {
			s.mu.Lock()
			s.dispatch("")
			s.mu.Unlock()
		})
		return
	}
	s.timer.Reset(d)
}

func (s *scheduler) stopTimer() {
	if s.timer != nil {
		s.timer.Stop()
	}
}

// admit counts a request of bytes (encoded) that will wait to run, or
// explains why the queue of its service or of the node is full. The caller
// calls leave once the request runs or fails.
func (s *scheduler) admit(service string, bytes int64) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, l := s.queued[service], s.limits
	switch {
	case q.n >= l.PerService:
		return fmt.Sprintf("service %s already has %d requests waiting to run on this node, its limit", service, q.n)
	case q.bytes+bytes > l.PerServiceBytes:
		return fmt.Sprintf("service %s already has %s of requests waiting to run on this node and its limit is %s",
			service, byteSize(q.bytes), byteSize(l.PerServiceBytes))
	case s.total.n >= l.Node:
		return fmt.Sprintf("this node already has %d requests waiting to run, its limit", s.total.n)
	case s.total.bytes+bytes > l.NodeBytes:
		return fmt.Sprintf("this node already has %s of requests waiting to run and its limit is %s",
			byteSize(s.total.bytes), byteSize(l.NodeBytes))
	}
	s.queued[service] = queueUse{q.n + 1, q.bytes + bytes}
	s.total = queueUse{s.total.n + 1, s.total.bytes + bytes}
	return ""
}

// leave uncounts a request admit counted.
func (s *scheduler) leave(service string, bytes int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queued[service]
	if q.n <= 1 {
		delete(s.queued, service)
	} else {
		s.queued[service] = queueUse{q.n - 1, q.bytes - bytes}
	}
	s.total = queueUse{s.total.n - 1, s.total.bytes - bytes}
}

// usage reports the guests running in the pool and in overtime, and the
// requests waiting to run.
func (s *scheduler) usage() (running, overtime int, queued queueUse) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.running, s.overtime, s.total
}
