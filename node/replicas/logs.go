package replicas

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

// Logs returns the buffer of a service's recent log lines (every version
// of it that ran here), oldest first; it is created empty if the service
// has not logged yet.
func (m *Manager) Logs(service string) *runtime.LogBuffer { return m.logs.sink(service) }
