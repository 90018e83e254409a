package node

import (
	"sync"

	"github.com/quantum1net/q1/node/runtime"
)

// logLinesPerService bounds what a node keeps of each service's log.
const logLinesPerService = 2000

// serviceLogs keeps the recent log lines of every service this node runs,
// for `q1 service logs` (served to the manifest's logViewers only).
type serviceLogs struct {
	mu   sync.Mutex
	bufs map[string]*runtime.LogBuffer
}

func newServiceLogs() *serviceLogs { return &serviceLogs{bufs: map[string]*runtime.LogBuffer{}} }

// sink returns the buffer a service logs into; versions of one service share it.
func (l *serviceLogs) sink(service string) *runtime.LogBuffer {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.bufs[service]
	if b == nil {
		b = runtime.NewLogBuffer(logLinesPerService)
		l.bufs[service] = b
	}
	return b
}

// lines returns a copy of the service's kept lines, oldest first.
func (l *serviceLogs) lines(service string) []runtime.LogLine {
	l.mu.Lock()
	b := l.bufs[service]
	l.mu.Unlock()
	if b == nil {
		return nil
	}
	return b.Lines()
}
