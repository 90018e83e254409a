package runtime

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/quantum1net/q1/core/receipt"

	"github.com/quantum1net/q1/sdk/guest/abi"
)

// Handle serves req on a warm instance and returns the guest's response.
// Every failure is an *Error: see ErrorKind for what each kind means and
// HTTPStatus for the answer a gateway gives. The wait for a free instance and
// guest slot is bounded by the caller's ctx and by the Runtime's slot wait
// (WithSlotWait), past which the request fails with KindBusy; a request
// that would overfill the queues (WithQueueLimits) fails with KindBusy at
// once. Once the guest runs, the service's RequestTimeout bounds it, and
// the caller going away does not stop it.
func (s *Service) Handle(ctx context.Context, req *Request) (*Response, error) {
	s.stats.requests.Add(1)
	if !s.begin() {
		return nil, s.fail(KindUnavailable, Usage{}, "the service is closed")
	}
	defer s.inflight.Done()

	if req.Method == "" || !strings.HasPrefix(req.Path, "/") {
		return nil, s.fail(KindBadRequest, Usage{}, fmt.Sprintf("malformed request: method %q, path %q (a method is required and the path must start with /)", req.Method, req.Path))
	}
	msg := encodeRequest(req)
	if len(msg) > s.limits.MaxRequestBytes {
		return nil, s.fail(KindRequestTooLarge, Usage{}, fmt.Sprintf("request of %s exceeds the service's %s limit", byteSize(int64(len(msg))), byteSize(int64(s.limits.MaxRequestBytes))))
	}
	in, err := s.wait(ctx, int64(len(msg)))
	if err != nil {
		return nil, err
	}
	return s.run(ctx, in, req, msg)
}

// wait admits a request of size bytes to the queue, then waits for an idle
// instance and a guest slot, at most the Runtime's slot wait. The instance
// it returns holds the slot.
func (s *Service) wait(ctx context.Context, size int64) (*instance, error) {
	sched := s.rt.sched
	if reason := sched.admit(s.name, size); reason != "" {
		return nil, s.fail(KindBusy, Usage{}, reason+"; retry")
	}
	defer sched.leave(s.name, size)
	slotWait := s.rt.cfg.slotWait
	waitCtx, cancel := context.WithTimeout(ctx, slotWait)
	defer cancel()
	busy := func() bool { return ctx.Err() == nil && errors.Is(waitCtx.Err(), context.DeadlineExceeded) }
	in, err := s.acquire(waitCtx)
	if err != nil {
		if busy() {
			return nil, s.fail(KindBusy, Usage{}, fmt.Sprintf("service %s is at its concurrency limit on this node: %s stayed busy for %s; retry", s.name, instancesPhrase(cap(s.idle)), slotWait))
		}
		if errors.Is(err, waitCtx.Err()) {
			return nil, s.waitFailed(err, "instance")
		}
		return nil, err
	}
	if err := in.enter(waitCtx); err != nil {
		s.idle <- in
		if busy() {
			return nil, s.fail(KindBusy, Usage{}, fmt.Sprintf("service %s got no guest slot on this node within %s: the node's %d slots are busy; retry", s.name, slotWait, sched.slots))
		}
		return nil, s.waitFailed(ctx.Err(), "guest slot")
	}
	return in, nil
}

// begin admits a request unless the service is closed.
func (s *Service) begin() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return false
	}
	s.inflight.Add(1)
	return true
}

// acquire takes an idle instance, waiting while all are busy. It returns
// ctx.Err() when ctx ends first.
// An instance that must not serve again (Service.stale) is renewed on the
// way.
func (s *Service) acquire(ctx context.Context) (*instance, error) {
	for {
		in, err := s.takeIdle(ctx)
		if err != nil || !s.stale(in) {
			return in, err
		}
		s.renew(in)
	}
}

func (s *Service) takeIdle(ctx context.Context) (*instance, error) {
	select {
	case in := <-s.idle:
		return in, nil
	default:
	}
	select {
	case in := <-s.idle:
		return in, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-s.released:
		return nil, s.fail(KindUnavailable, Usage{}, "the service was closed while the request waited for an instance")
	}
}

// run calls the guest with the encoded request on in, which holds a guest
// slot, on a locked OS thread so that thread CPU time measures exactly this
// call, and hands the request's receipt to the service's sink.
func (s *Service) run(ctx context.Context, in *instance, req *Request, msg []byte) (*Response, error) {
	// The timeout starts once the guest may run: waiting for an instance or
	// a slot is not the guest's time.
	execCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.limits.RequestTimeout)
	defer cancel()
	t0 := req.Time
	if t0.IsZero() {
		t0 = s.rt.cfg.now()
	}
	o := in.serve(execCtx, msg, t0.UnixNano(), receipt.SeedFor(s.lease, in.epoch, in.number, in.index), s.limits.Fuel)
	in.leave()

	usage := Usage{CPU: o.cpu, EgressBytes: o.egress}
	if o.receipt {
		usage.Fuel = o.fuel
		s.emit(in, in.receiptFor(o, msg, req.Via, req.ViaSig), msg, o.tape)
	}
	s.stats.cpu.Add(int64(o.cpu))
	s.stats.egress.Add(o.egress)
	s.stats.fuel.Add(usage.Fuel)
	in.served++
	switch {
	case o.broken && o.kind != KindUnavailable: // else the service is gone, instances and all
		s.replace(in, o.reason)
	case o.broken:
	case s.stale(in):
		s.renew(in)
	default:
		s.idle <- in
	}
	if o.kind != "" {
		return nil, s.fail(o.kind, usage, o.reason)
	}
	header := abi.Header(o.resp.Header)
	dropHopHeaders(header)
	return &Response{Status: o.resp.Status, Header: header, Body: o.resp.Body, Usage: usage}, nil
}

// encodeRequest encodes req with its header fields sorted by name.
func encodeRequest(req *Request) []byte {
	r := abi.Request{Method: req.Method, Target: req.Path, Host: req.Host, Header: abi.HeaderFields(req.Header), Body: req.Body}
	return abi.AppendRequest(make([]byte, 0, abi.RequestSize(&r)), &r)
}

// waitFailed reports a request whose caller's context ended while it waited.
func (s *Service) waitFailed(err error, what string) *Error {
	if errors.Is(err, context.DeadlineExceeded) {
		return s.fail(KindTimeout, Usage{}, fmt.Sprintf("no %s became free before the caller's deadline", what))
	}
	return s.fail(KindCanceled, Usage{}, fmt.Sprintf("the caller gave up while waiting for a free %s", what))
}

// fail counts a failed request and returns its error.
func (s *Service) fail(kind ErrorKind, usage Usage, reason string) *Error {
	s.stats.errors[kind].Add(1)
	return &Error{Service: s.name, Version: s.version, Kind: kind, Reason: reason, Usage: usage}
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// byteSize formats n bytes for messages: "8 MiB", "1.5 KiB", "100 bytes".
func byteSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d bytes", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 3; m /= unit {
		div *= unit
		exp++
	}
	s := fmt.Sprintf("%.1f", float64(n)/float64(div))
	return strings.TrimSuffix(s, ".0") + " " + [...]string{"KiB", "MiB", "GiB", "TiB"}[exp]
}

// instancesPhrase is "its only instance" or "all 3 of its instances".
func instancesPhrase(n int) string {
	if n == 1 {
		return "its only instance"
	}
	return fmt.Sprintf("all %d of its instances", n)
}
