package runtime

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	goruntime "runtime"
	"strings"
	"time"

	"github.com/tetratelabs/wazero/sys"

	"github.com/quantum1net/q1/core/receipt"
	"github.com/quantum1net/q1/node/fuel"
	"github.com/quantum1net/q1/sdk/guest/abi"
)

// outcome is how one step of an instance (its start-up or a request)
// ended.
type outcome struct {
	// kind is "" when the step succeeded, else the failure; reason
	// explains it; trap is the receipt's code for it.
	kind   ErrorKind
	reason string
	trap   uint8
	// broken: the instance must not run again.
	broken bool
	// receipt: the outcome is a function of the step's recorded inputs,
	// so a receipt records it. Not so for a wall-clock timeout or a
	// service closed under the guest: where they stop the guest depends
	// on the machine.
	receipt bool

	fuel     uint64
	cpu      time.Duration
	response []byte        // what the guest wrote, raw
	resp     *abi.Response // decoded, when the step succeeded
	egress   int64
	tape     []byte
}

// serve runs one request on in (which holds a guest slot when it has
// one), recorded at t0 with seed, with limit fuel (the service's fuel
// limit, or less in a replay): the request's step of the instance's
// history.
func (in *instance) serve(ctx context.Context, msg []byte, t0 int64, seed receipt.Hash, limit uint64) outcome {
	in.begin(t0, seed)
	in.exec = ctx
	c := &call{}
	in.call = c
	in.result, in.resultOff = msg, 0
	in.stack[0] = uint64(len(msg))
	if in.fuel != nil {
		in.fuel.Set(limit)
	}
	in.resetDepth()

	goruntime.LockOSThread()
	start := threadCPUTime()
	err := in.handle.CallWithStack(context.WithValue(ctx, instanceKey{}, in), in.stack[:])
	cpu := threadCPUTime() - start
	goruntime.UnlockOSThread()

	o := in.finish(ctx, limit, err, false)
	o.cpu = cpu
	in.call, in.result = nil, nil
	return o
}

// finish classifies a step that began with limit fuel and whose guest
// call returned err.
func (in *instance) finish(ctx context.Context, limit uint64, err error, startup bool) outcome {
	s := in.svc
	o := outcome{receipt: true, tape: in.tape}
	left := int64(limit)
	if in.fuel != nil {
		left = in.fuelLeft()
	}
	o.fuel = uint64(min(max(int64(limit)-left, 0), int64(limit)))
	c := in.call
	if c != nil {
		o.response, o.egress = c.response, c.egressBytes
	}
	fail := func(kind ErrorKind, trap uint8, reason string) outcome {
		o.kind, o.trap, o.reason, o.broken = kind, trap, reason, true
		return o
	}
	var exit *sys.ExitError
	errors.As(err, &exit)
	switch {
	case err == nil && left >= 0:
	case isClosed(s.released):
		o.receipt = false
		return fail(KindUnavailable, receipt.TrapTimeout, "the service was closed while the request ran")
	case in.player != nil && in.player.diverge != nil:
		return fail(KindTrap, receipt.TrapGuest, in.player.diverge.Error())
	case in.player != nil && in.player.secretRead != nil:
		return fail(KindTrap, receipt.TrapGuest, in.player.secretRead.Error())
	case errors.Is(err, errHostDeadline):
		return fail(KindTimeout, receipt.TrapTimeout, fmt.Sprintf("request exceeded the service's %s timeout while waiting for an egress request; the instance was stopped and replaced", s.limits.RequestTimeout))
	case left < 0 || errors.Is(err, errOutOfFuel):
		o.fuel = limit
		if startup {
			return fail(KindFuel, receipt.TrapFuel, fmt.Sprintf("the module's _initialize ran out of fuel: used its limit of %d fuel", limit))
		}
		return fail(KindFuel, receipt.TrapFuel, outOfFuelReason(limit))
	case in.depthExceeded():
		if startup {
			return fail(KindTrap, receipt.TrapGuest, fmt.Sprintf("the module's _initialize exceeded the call depth limit (%d)", fuel.MaxDepth))
		}
		return fail(KindTrap, receipt.TrapGuest, depthReason)
	case errors.Is(ctx.Err(), context.DeadlineExceeded) || (exit != nil && exit.ExitCode() == sys.ExitCodeDeadlineExceeded):
		o.receipt = false
		return fail(KindTimeout, receipt.TrapTimeout, fmt.Sprintf("request exceeded the service's %s timeout; the instance was stopped and replaced", s.limits.RequestTimeout))
	case startup && (errors.Is(ctx.Err(), context.Canceled) || (exit != nil && exit.ExitCode() == sys.ExitCodeContextCanceled)):
		// wazero closes the module with this code when the context is
		// cancelled: not the guest's exit, and nothing to bill.
		o.receipt = false
		return fail(KindUnavailable, receipt.TrapTimeout, "the start-up was cancelled before it finished (the replica was stopped, or the node is stopping)")
	case c != nil && c.responseTooLarge:
		return fail(KindResponseTooLarge, receipt.TrapResponse, fmt.Sprintf("response exceeds the service's %s limit, and the guest then failed: %s", byteSize(int64(s.limits.MaxResponseBytes)), in.crashDetail(err)))
	case in.outOfMemory():
		return fail(KindMemory, receipt.TrapMemory, fmt.Sprintf("instance ran out of memory (limit %s per instance): %s; the instance was replaced", byteSize(int64(s.limits.MemoryBytes)), in.crashDetail(err)))
	default:
		if startup {
			return fail(KindTrap, receipt.TrapGuest, in.crashDetail(err))
		}
		return fail(KindTrap, receipt.TrapGuest, fmt.Sprintf("guest failed: %s; the instance was replaced", in.crashDetail(err)))
	}
	if in.player != nil && in.player.next < len(in.player.entries) {
		in.player.diverge = &TapeDivergence{Step: in.player.step, Call: in.player.next,
			What: fmt.Sprintf("the guest made %d recorded host calls; the tape records %d", in.player.next, len(in.player.entries))}
		return fail(KindTrap, receipt.TrapGuest, in.player.diverge.Error())
	}
	if startup {
		return o
	}
	code := int32(in.stack[0])
	switch {
	case c.responseTooLarge:
		o.kind, o.trap, o.reason = KindResponseTooLarge, receipt.TrapResponse, fmt.Sprintf("response exceeds the service's %s limit", byteSize(int64(s.limits.MaxResponseBytes)))
	case code != 0:
		o.kind, o.trap, o.reason = KindBadResponse, receipt.TrapResponse, fmt.Sprintf("guest's q1_http_handle returned %d instead of 0", code)
	case len(c.response) == 0:
		o.kind, o.trap, o.reason = KindBadResponse, receipt.TrapResponse, "guest returned without writing a response"
	default:
		resp, err := abi.ParseResponse(c.response)
		if err != nil {
			o.kind, o.trap, o.reason = KindBadResponse, receipt.TrapResponse, "guest wrote an invalid response: "+err.Error()
			break
		}
		o.resp = resp
	}
	return o
}

// depthReason explains a request stopped by the call depth limit.
var depthReason = fmt.Sprintf("request exceeded the call depth limit (%d): its calls nested too deep (unbounded recursion?); the instance was replaced", fuel.MaxDepth)

// receiptFor builds the receipt of the step that just ended with o, and
// moves the instance's chain on. request is the encoded request (nil at
// start-up).
func (in *instance) receiptFor(o outcome, request []byte, via string, viaSig []byte) receipt.Receipt {
	s := in.svc
	r := receipt.Receipt{
		LeaseID:      s.lease,
		ModuleHash:   s.moduleHash,
		Meter:        fuel.Version,
		Instance:     in.number,
		Index:        in.index,
		Prev:         in.prev,
		TimeUnixNano: in.clock.t0,
		Seed:         in.rand.seed,
		TapeHash:     sha256.Sum256(o.tape),
		Trap:         o.trap,
		Fuel:         o.fuel,
		EgressBytes:  uint64(max(o.egress, 0)),
	}
	if request != nil {
		r.RequestHash = sha256.Sum256(request)
		if len(via) <= 128 && len(viaSig) <= 128 && (via == "") == (len(viaSig) == 0) {
			r.Via, r.ViaSig = via, viaSig
		}
	}
	if len(o.response) > 0 {
		r.ResponseHash = sha256.Sum256(o.response)
	}
	if o.resp != nil {
		r.EgressBytes += uint64(len(o.resp.Body))
	}
	in.prev = r.Hash()
	in.index++
	return r
}

// emit hands a receipt to the service's sink, if it has one.
func (s *Service) emit(in *instance, r receipt.Receipt, request, tape []byte) {
	if s.sink == nil {
		return
	}
	if from := s.unbilledFrom.Load(); from != 0 && in.epoch >= from {
		return // this code's receipts of that epoch would be refused (StopReceiptsFrom)
	}
	s.sink.Receipt(r, request, tape)
}

// StopReceiptsFrom stops handing the sink receipts of instances of epoch or
// later: the requests they serve are still answered, but are in no receipt
// tree, so they are not billed (or audited). A replica manager uses it for
// a version the chain has replaced but whose successor is not warm yet:
// the chain accepts a version's receipts only in epochs the version was
// active in. Calls with an epoch of 0, or later than an earlier call's,
// change nothing.
func (s *Service) StopReceiptsFrom(epoch uint64) {
	for {
		old := s.unbilledFrom.Load()
		if epoch == 0 || (old != 0 && old <= epoch) {
			return
		}
		if s.unbilledFrom.CompareAndSwap(old, epoch) {
			return
		}
	}
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
	if err == nil {
		return "no error"
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
	if in.mod == nil {
		return false
	}
	mem := in.mod.Memory()
	return mem != nil && uint64(mem.Size()) >= in.svc.limits.MemoryBytes/wasmPageSize*wasmPageSize
}
