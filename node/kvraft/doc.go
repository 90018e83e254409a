// Package kvraft is the replicated-state engine for stateful services
// (issue #13): one strongly consistent key-value store per service, kept by
// one Raft group across the nodes that hold the service's replicas.
package kvraft
