package runtime

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

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

	// epoch is the epoch the instance started in; served counts the
	// requests it ran.
	epoch  uint64
	served uint64

	// Set while guest code runs, by the goroutine that runs it; host
	// functions run on that goroutine too, so they read these unlocked.
	exec context.Context // the running call's context
	slot *ticket         // the guest slot that goroutine holds, nil if none
	call *call           // the request in progress, nil during _initialize

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

// newInstance instantiates the module and runs its _initialize.
func (s *Service) newInstance(ctx context.Context) (*instance, error) {
	in := &instance{svc: s, epoch: s.currentEpoch()}
	cfg := wazero.NewModuleConfig().
		WithName(""). // anonymous, so a pool can hold many instances
		WithStartFunctions(abi.ExportInitialize).
		WithSysWalltime().
		WithSysNanotime().
		WithNanosleep(in.nanosleep).
		WithRandSource(rand.Reader).
		WithStdout(guestOutput{in, "stdout"}).
		WithStderr(guestOutput{in, "stderr"})
	// Start-up runs outside the guest slots, under its own small limit and
	// timeout, so a module whose _initialize loops holds up nobody's requests.
	rt := s.rt
	if err := rt.acquireStartup(ctx); err != nil {
		return nil, fmt.Errorf("instantiate: wait for other instantiations to finish: %w", err)
	}
	defer rt.releaseStartup()
	initCtx, cancel := context.WithTimeout(ctx, rt.cfg.initTimeout)
	defer cancel()
	in.exec = initCtx
	mod, err := s.wrt.InstantiateModule(context.WithValue(initCtx, instanceKey{}, in), s.compiled, cfg)
	in.leave()
	if err != nil {
		if ctx.Err() == nil && errors.Is(initCtx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("instantiate: the module's _initialize did not finish within %s (its start-up code loops or is too slow); the instance was discarded", rt.cfg.initTimeout)
		}
		return nil, fmt.Errorf("instantiate: %s", in.crashDetail(err))
	}
	in.mod = mod
	in.handle = mod.ExportedFunction(abi.ExportHandle)
	s.stats.instances.Add(1)
	return in, nil
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

// nanosleep implements WASI sleeps (Go's timers): it returns early when the
// call's context ends, so a sleeping guest cannot outlive its deadline.
func (in *instance) nanosleep(ns int64) {
	if in.exec == nil {
		return
	}
	done := in.exec.Done()
	in.whileWaiting(func() {
		t := time.NewTimer(time.Duration(ns))
		defer t.Stop()
		select {
		case <-t.C:
		case <-done:
		}
	})
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
