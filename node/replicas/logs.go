package replicas

import "github.com/quantum1net/q1/node/runtime"

// Logs keeps the log lines of the services this node runs, for `q1 service
// logs` (node/servicelogs.Store): every version of a service logs into its
// Sink; a service's lines are replica-local data, listed and removed with
// its kv store.
type Logs interface {
	Sink(service string) runtime.LogSink
	Services() []string
	Remove(service string) error
}
