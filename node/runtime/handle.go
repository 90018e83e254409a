package runtime

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	goruntime "runtime"
	"strings"

	"github.com/tetratelabs/wazero/sys"

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
	return s.run(ctx, in, msg)
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
// call.
func (s *Service) run(ctx context.Context, in *instance, msg []byte) (*Response, error) {
	// The timeout starts once the guest may run: waiting for an instance or
	// a slot is not the guest's time.
	execCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.limits.RequestTimeout)
	defer cancel()
	in.exec = execCtx
	c := &call{}
	in.call = c
	in.result, in.resultOff = msg, 0
	in.stderr.Reset()
	in.stack[0] = uint64(len(msg))

	goruntime.LockOSThread()
	start := threadCPUTime()
	err := in.handle.CallWithStack(context.WithValue(execCtx, instanceKey{}, in), in.stack[:])
	cpu := threadCPUTime() - start
	goruntime.UnlockOSThread()

	in.leave()
	in.call, in.result = nil, nil
	usage := Usage{CPU: cpu, EgressBytes: c.egressBytes}
	s.stats.cpu.Add(int64(cpu))
	s.stats.egress.Add(c.egressBytes)
	if err != nil {
		failure := s.crashed(in, c, execCtx, err, usage)
		if failure.Kind != KindUnavailable { // else the service is gone, instances and all
			s.replace(in, failure.Reason)
		}
		return nil, failure
	}
	code := int32(in.stack[0])
	in.served++
	if s.stale(in) {
		s.renew(in)
	} else {
		s.idle <- in
	}

	switch {
	case c.responseTooLarge:
		return nil, s.fail(KindResponseTooLarge, usage, fmt.Sprintf("response exceeds the service's %s limit", byteSize(int64(s.limits.MaxResponseBytes))))
	case code != 0:
		return nil, s.fail(KindBadResponse, usage, fmt.Sprintf("guest's q1_http_handle returned %d instead of 0", code))
	case len(c.response) == 0:
		return nil, s.fail(KindBadResponse, usage, "guest returned without writing a response")
	}
	resp, err := abi.ParseResponse(c.response)
	if err != nil {
		return nil, s.fail(KindBadResponse, usage, "guest wrote an invalid response: "+err.Error())
	}
	header := abi.Header(resp.Header)
	dropHopHeaders(header)
	return &Response{Status: resp.Status, Header: header, Body: resp.Body, Usage: usage}, nil
}

// encodeRequest encodes req with its header fields sorted by name.
func encodeRequest(req *Request) []byte {
	r := abi.Request{Method: req.Method, Target: req.Path, Host: req.Host, Header: abi.HeaderFields(req.Header), Body: req.Body}
	return abi.AppendRequest(make([]byte, 0, abi.RequestSize(&r)), &r)
}

// crashed classifies a guest call that ended in an error. The instance is
// no longer usable whatever the cause.
func (s *Service) crashed(in *instance, c *call, execCtx context.Context, err error, usage Usage) *Error {
	var exit *sys.ExitError
	errors.As(err, &exit)
	switch {
	case isClosed(s.released):
		return s.fail(KindUnavailable, usage, "the service was closed while the request ran")
	case errors.Is(execCtx.Err(), context.DeadlineExceeded) || (exit != nil && exit.ExitCode() == sys.ExitCodeDeadlineExceeded):
		return s.fail(KindTimeout, usage, fmt.Sprintf("request exceeded the service's %s timeout; the instance was stopped and replaced", s.limits.RequestTimeout))
	case c.responseTooLarge:
		return s.fail(KindResponseTooLarge, usage, fmt.Sprintf("response exceeds the service's %s limit, and the guest then failed: %s", byteSize(int64(s.limits.MaxResponseBytes)), in.crashDetail(err)))
	case in.outOfMemory():
		return s.fail(KindMemory, usage, fmt.Sprintf("instance ran out of memory (limit %s per instance): %s; the instance was replaced", byteSize(int64(s.limits.MemoryBytes)), in.crashDetail(err)))
	}
	return s.fail(KindTrap, usage, fmt.Sprintf("guest failed: %s; the instance was replaced", in.crashDetail(err)))
}

// crashDetail explains a failed guest call: the panic or fatal error the Go
// runtime printed, the exit code, or the trap.
func (in *instance) crashDetail(err error) string {
	for line := range bytes.Lines(in.stderr.Bytes()) {
		if bytes.HasPrefix(line, []byte("panic: ")) || bytes.HasPrefix(line, []byte("fatal error: ")) {
			return string(bytes.TrimSpace(line))
		}
	}
	var exit *sys.ExitError
	if errors.As(err, &exit) {
		return fmt.Sprintf("guest exited with code %d", exit.ExitCode())
	}
	msg, _, _ := strings.Cut(err.Error(), "\n") // drop wazero's stack trace
	return msg
}

// outOfMemory reports whether the failed call ran out of memory: the Go
// runtime says so, or the memory reached the limit.
func (in *instance) outOfMemory() bool {
	if bytes.Contains(in.stderr.Bytes(), []byte("out of memory")) {
		return true
	}
	mem := in.mod.Memory()
	return mem != nil && uint64(mem.Size()) >= in.svc.limits.MemoryBytes/wasmPageSize*wasmPageSize
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
