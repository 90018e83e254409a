package runtime

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/sys"

	"github.com/quantum1net/q1/core/receipt"
	"github.com/quantum1net/q1/node/fuel"
	"github.com/quantum1net/q1/sdk/guest/abi"
)

// stderrTailBytes is how much of a request's stderr an instance keeps, to
// explain a crash (a Go panic prints its message, then the stacks).
const stderrTailBytes = 16 << 10

type instanceKey struct{}

// instance is one warm instance of a service's module. It serves one request
// at a time; between requests it sits in the service's idle pool.
type instance struct {
	svc    *Service
	mod    api.Module
	handle api.Function
	stack  [1]uint64
	fuel   api.MutableGlobal // the module's fuel.GlobalName: fuel left
	depth  api.MutableGlobal // the module's fuel.DepthGlobalName: call depth

	// epoch is the epoch the instance started in; number its Instance in
	// its receipts, index the Index of its next receipt and prev the hash
	// of its last; served counts the requests it ran.
	epoch  uint64
	number uint64
	index  uint64
	prev   receipt.Hash
	served uint64

	// What the guest reads besides its request (determinism.go).
	clock fakeClock
	rand  seededRand

	// Set while guest code runs, by the goroutine that runs it; host
	// functions run on that goroutine too, so they read these unlocked.
	exec context.Context // the running call's context
	slot *ticket         // the guest slot that goroutine holds, nil if none
	call *call           // the request in progress, nil during _initialize

	// tape records the step's host answers (tape.go); player serves a
	// recorded tape instead, during a replay.
	tape   []byte
	player *tapePlayer

	// result is the pending result read_result copies from.
	result    []byte
	resultOff int

	stderr                 bytes.Buffer // the tail of this request's stderr
	stdoutLine, stderrLine []byte       // partial lines for the log sink
}

// call is the state of one request inside an instance.
type call struct {
	response         []byte
	responseTooLarge bool
	egressBytes      int64
}

// newInstance starts a fresh instance in the service's current epoch, runs
// its start-up (_initialize) and hands the start-up's receipt to the sink.
func (s *Service) newInstance(ctx context.Context) (*instance, error) {
	return s.newInstanceIn(ctx, s.currentEpoch())
}

// newInstanceIn is newInstance in epoch.
func (s *Service) newInstanceIn(ctx context.Context, epoch uint64) (*instance, error) {
	in := s.blankInstance(epoch, s.rt.numbers.take(s.sink, s.lease, epoch))
	// Start-up runs outside the guest slots, under its own small limit and
	// timeout, so a module whose _initialize loops holds up nobody's requests.
	rt := s.rt
	if err := rt.acquireStartup(ctx); err != nil {
		return nil, fmt.Errorf("instantiate: wait for other instantiations to finish: %w", err)
	}
	defer rt.releaseStartup()
	initCtx, cancel := context.WithTimeout(ctx, rt.cfg.initTimeout)
	defer cancel()
	o := in.start(initCtx, rt.cfg.now().UnixNano(), receipt.SeedFor(s.lease, epoch, in.number, 0))
	in.leave()
	if o.receipt {
		s.emit(in, in.receiptFor(o, nil, "", nil), nil, o.tape)
	}
	if o.kind == "" {
		s.stats.instances.Add(1)
		return in, nil
	}
	in.close()
	if o.kind == KindTimeout && ctx.Err() == nil {
		return nil, fmt.Errorf("instantiate: the module's _initialize did not finish within %s (its start-up code loops or is too slow); the instance was discarded", rt.cfg.initTimeout)
	}
	return nil, fmt.Errorf("instantiate: %s", o.reason)
}

// blankInstance is an instance not yet instantiated.
func (s *Service) blankInstance(epoch, number uint64) *instance {
	return &instance{svc: s, epoch: epoch, number: number}
}

// start instantiates the module and runs its _initialize with the fuel of
// a start-up, as step 0 of the instance's history, recorded at t0 with
// seed.
func (in *instance) start(ctx context.Context, t0 int64, seed receipt.Hash) outcome {
	s := in.svc
	cfg := wazero.NewModuleConfig().
		WithName("").         // anonymous, so a pool can hold many instances
		WithStartFunctions(). // _initialize is called below, metered
		WithWalltime(in.clock.walltimeCharged(in), sys.ClockResolution(clockStep)).
		WithNanotime(in.clock.nanotimeCharged(in), sys.ClockResolution(1)).
		WithNanosleep(in.nanosleep).
		WithRandSource(randCharged{in}).
		WithStdout(guestOutput{in, "stdout"}).
		WithStderr(guestOutput{in, "stderr"})
	in.begin(t0, seed)
	in.exec = ctx
	callCtx := context.WithValue(ctx, instanceKey{}, in)
	mod, err := s.wrt.InstantiateModule(callCtx, s.compiled, cfg)
	if err != nil {
		// Only a start section runs during instantiation, on the fuel
		// the module was instrumented with (instrument.go).
		return in.finish(ctx, StartupFuel, err, true)
	}
	in.mod = mod
	in.handle = mod.ExportedFunction(abi.ExportHandle)
	in.fuel, _ = mod.ExportedGlobal(fuel.GlobalName).(api.MutableGlobal)
	in.depth, _ = mod.ExportedGlobal(fuel.DepthGlobalName).(api.MutableGlobal)
	if (in.fuel == nil || in.depth == nil) && !s.rt.cfg.unmetered {
		return outcome{kind: KindTrap, reason: "the module exports no fuel or depth global: it was not metered", trap: receipt.TrapGuest}
	}
	// The start section, if any, ran on StartupFuel; _initialize gets
	// what it left, and starts at depth 0 like every call into the guest.
	in.resetDepth()
	_, err = mod.ExportedFunction(abi.ExportInitialize).Call(callCtx)
	return in.finish(ctx, StartupFuel, err, true)
}

// resetDepth sets the guest's call depth to 0 before a call into it: an
// exported function's entry adds its own frame's weight, which nothing
// takes back when it returns to the host.
func (in *instance) resetDepth() {
	if in.depth != nil {
		in.depth.Set(0)
	}
}

// depthExceeded reports whether the guest's last call was stopped by the
// call depth limit: only the limit's own check leaves the global above
// fuel.MaxDepth.
func (in *instance) depthExceeded() bool {
	return in.depth != nil && uint32(in.depth.Get()) > fuel.MaxDepth
}

// begin prepares the instance for a step recorded at t0 with seed.
func (in *instance) begin(t0 int64, seed receipt.Hash) {
	in.clock.begin(t0)
	in.rand.reseed(seed)
	in.tape = newTape()
	in.stderr.Reset()
}

// enter waits for a guest slot, in the service's turn, before guest code
// runs under ctx (which the caller may replace with the call's own context
// before the call).
func (in *instance) enter(ctx context.Context) error {
	t, err := in.svc.rt.sched.acquire(ctx, in.svc.name)
	if err != nil {
		return err
	}
	in.exec, in.slot = ctx, t
	return nil
}

// leave gives back the guest slot after guest code returned.
func (in *instance) leave() {
	if in.slot != nil {
		in.svc.rt.sched.release(in.slot)
	}
	in.exec, in.slot = nil, nil
	in.flushLine("stdout", &in.stdoutLine)
	in.flushLine("stderr", &in.stderrLine)
}

// flushLine logs a partial output line.
func (in *instance) flushLine(stream string, line *[]byte) {
	if len(*line) > 0 {
		in.svc.writeLog(slog.LevelInfo, stream, string(*line))
		*line = (*line)[:0]
	}
}

// whileWaiting runs wait (egress, a sleep) without holding a guest slot, so
// a guest that waits does not keep another from running.
func (in *instance) whileWaiting(wait func()) {
	if in.slot == nil {
		wait()
		return
	}
	in.svc.rt.sched.release(in.slot)
	in.slot = nil
	wait()
	// If the deadline passes first, the guest resumes without a slot only to
	// be stopped at its next check.
	in.slot, _ = in.svc.rt.sched.acquire(in.exec, in.svc.name)
}

// nanosleep implements WASI sleeps (Go's timers): the guest's clocks
// advance by ns and it goes on at once (determinism.go).
func (in *instance) nanosleep(ns int64) {
	in.deduct(wasiCallFuel)
	in.clock.sleep(ns)
}

// close discards the instance.
func (in *instance) close() {
	if in.mod != nil {
		in.mod.Close(context.Background())
		in.svc.stats.instances.Add(-1)
	}
}

// guestOutput receives the guest's stdout or stderr: lines go to the
// service's log sink when it has one, and stderr's tail is kept to explain
// crashes.
type guestOutput struct {
	in     *instance
	stream string
}

func (o guestOutput) Write(p []byte) (int, error) {
	n, in := len(p), o.in
	in.deduct(wasiCallFuel + byteFuel(n))
	line := &in.stdoutLine
	if o.stream == "stderr" {
		line = &in.stderrLine
		in.stderr.Write(p)
		if in.stderr.Len() > 2*stderrTailBytes {
			tail := in.stderr.Bytes()[in.stderr.Len()-stderrTailBytes:]
			in.stderr.Reset()
			in.stderr.Write(tail)
		}
	}
	if in.svc.logSink == nil {
		return len(p), nil
	}
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			*line = append(*line, p...)
			if len(*line) >= abi.MaxLogLineBytes {
				in.flushLine(o.stream, line)
			}
			break
		}
		*line = append(*line, p[:i]...)
		in.flushLine(o.stream, line)
		p = p[i+1:]
	}
	return n, nil
}
