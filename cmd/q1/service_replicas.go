package main

import (
	"context"
	"fmt"
	"io"
	"time"

	q1client "github.com/quantum1net/q1/client"
	"github.com/quantum1net/q1/client/chainquery"
)

// replicaStates asks every node holding a lease of the service how its
// replica is doing: the chain knows where replicas are placed, each node
// knows whether its replica started (and why not).
func replicaStates(ctx context.Context, chain *chainquery.Chain, service string) ([]q1client.Replica, error) {
	p, err := chain.Placement(ctx, service)
	if err != nil {
		return nil, err
	}
	out := []q1client.Replica{}
	for _, l := range p.Leases {
		v := q1client.Replica{Lease: l.ID, Replica: l.Replica, Sharer: l.Sharer, Acked: l.Acked, State: "unreachable"}
		if s, err := chain.Sharer(ctx, l.Sharer); err == nil {
			v.Endpoint = s.Endpoint
		}
		for _, r := range fetchNodeReplicas(ctx, v.Endpoint) {
			if r.Service == service {
				v.State, v.Version, v.Reason = r.State, r.Version, r.Reason
				if r.State == "serving" {
					break // a failed newer version beside a serving one: report the serving one
				}
			}
		}
		out = append(out, v)
	}
	return out, nil
}

// fetchNodeReplicas asks the node at a sharer's endpoint (its gateway)
// about its replicas; a node that does not answer within 3 seconds lists
// none (its replicas show as unreachable).
func fetchNodeReplicas(ctx context.Context, endpoint string) []q1client.NodeReplica {
	if endpoint == "" {
		return nil
	}
	rs, err := q1client.NewGateway(endpoint, q1client.WithTimeout(3*time.Second)).Replicas(ctx)
	if err != nil {
		return nil
	}
	return rs
}

func printReplicas(w io.Writer, reps []q1client.Replica) {
	for _, r := range reps {
		fmt.Fprintf(w, "  replica %d on %s (%s): %s", r.Replica, r.Sharer, r.Endpoint, r.State)
		if r.Reason != "" {
			fmt.Fprintf(w, ": %s", r.Reason)
		}
		if !r.Acked {
			fmt.Fprint(w, " (lease not acknowledged yet)")
		}
		fmt.Fprintln(w)
	}
}
