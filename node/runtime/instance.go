package runtime

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/quantum1net/q1/sdk/guest/abi"
)

// initTimeout bounds an instance's _initialize (the guest's package init).
const initTimeout = 30 * time.Second

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

	// Set while guest code runs, by the goroutine that runs it; host
	// functions run on that goroutine too, so they read these unlocked.
	exec     context.Context // the running call's context
	slotHeld bool            // whether that goroutine holds a guest slot
	call     *call           // the request in progress, nil during _initialize

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
	in := &instance{svc: s}
	cfg := wazero.NewModuleConfig().
		WithName(""). // anonymous, so a pool can hold many instances
		WithStartFunctions(abi.ExportInitialize).
		WithSysWalltime().
		WithSysNanotime().
		WithNanosleep(in.nanosleep).
		WithRandSource(rand.Reader).
		WithStdout(guestOutput{in, "stdout"}).
		WithStderr(guestOutput{in, "stderr"})
	ctx, cancel := context.WithTimeout(ctx, initTimeout)
	defer cancel()
	if err := in.enter(ctx); err != nil {
		return nil, fmt.Errorf("instantiate: wait for a free guest slot: %w", err)
	}
	mod, err := s.wrt.InstantiateModule(context.WithValue(ctx, instanceKey{}, in), s.compiled, cfg)
	in.leave()
	if err != nil {
		return nil, fmt.Errorf("instantiate: %s", in.crashDetail(err))
	}
	in.mod = mod
	in.handle = mod.ExportedFunction(abi.ExportHandle)
	s.stats.instances.Add(1)
	return in, nil
}

// enter waits for a guest slot before guest code runs under ctx (which the
// caller may replace with the call's own context before the call).
func (in *instance) enter(ctx context.Context) error {
	if err := in.svc.rt.acquireSlot(ctx); err != nil {
		return err
	}
	in.exec, in.slotHeld = ctx, true
	return nil
}

// leave gives back the guest slot after guest code returned.
func (in *instance) leave() {
	if in.slotHeld {
		in.svc.rt.releaseSlot()
	}
	in.exec, in.slotHeld = nil, false
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
	if !in.slotHeld {
		wait()
		return
	}
	in.svc.rt.releaseSlot()
	in.slotHeld = false
	wait()
	// If the deadline passes first, the guest resumes without a slot only to
	// be stopped at its next check.
	in.slotHeld = in.svc.rt.acquireSlot(in.exec) == nil
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
