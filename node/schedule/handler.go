package schedule

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"time"

	q1client "github.com/quantum1net/q1/client"
	"github.com/quantum1net/q1/core/manifest"
)

// writeJSON writes v as the answer; node/api.WriteJSON is passed in by the
// node so this package needs no HTTP helpers of its own.
type writeJSON func(w http.ResponseWriter, status int, v any)

// LocalHandler serves GET …/services/{name}/schedules on the gateway
// (/_q1/v1/…): what this node recorded of the service's schedules. Other
// replicas' nodes ask it before a fallback run; the node API merges it.
// The records say when a schedule ran, on which node, for how long and
// with which status: no more than the service's public manifest and the
// chain's usage records already tell, so they are public like both.
func LocalHandler(chain Chain, store *Store, write writeJSON) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		m, ok := chain.Manifest(name)
		if !ok {
			write(w, http.StatusNotFound, q1client.Error{Error: "no service named " + name})
			return
		}
		write(w, http.StatusOK, store.States(name, m, time.Now()))
	})
}

// Gather merges what this node and every replica's node recorded of the
// service's schedules (see Merge); nodes that do not answer are listed.
func Gather(ctx context.Context, chain Chain, peers Peers, store *Store, self, service string) (*q1client.ServiceSchedules, bool) {
	m, ok := chain.Manifest(service)
	if !ok {
		return nil, false
	}
	out := &q1client.ServiceSchedules{Service: service}
	now := time.Now()
	lists := [][]q1client.ScheduleState{store.States(service, m, now)}
	cands, _ := chain.Candidates(service)
	if len(m.Schedules) > 0 && peers != nil {
		var mu sync.Mutex
		var wg sync.WaitGroup
		for _, c := range cands {
			if c.Sharer == self || c.Endpoint == "" {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx, cancel := context.WithTimeout(ctx, peerTimeout)
				defer cancel()
				states, err := peers.States(ctx, c.Endpoint, service)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					out.Unreachable = append(out.Unreachable, c.Sharer)
					return
				}
				lists = append(lists, q1client.PlausibleStates(m, states, now))
			}()
		}
		wg.Wait()
	}
	slices.Sort(out.Unreachable)
	out.Schedules = Merge(lists...)
	return out, true
}

// GatherHandler serves GET /v1/services/{name}/schedules on the node's API.
func GatherHandler(chain Chain, peers Peers, store *Store, self func() string, write writeJSON) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		if manifest.ValidateName(name) != nil {
			write(w, http.StatusBadRequest, q1client.Error{Error: "not a service name: " + name})
			return
		}
		res, ok := Gather(r.Context(), chain, peers, store, self(), name)
		if !ok {
			write(w, http.StatusNotFound, q1client.Error{Error: "no service named " + name})
			return
		}
		write(w, http.StatusOK, res)
	})
}

// GatewayPeers asks other nodes through their gateways (client.Gateway).
type GatewayPeers struct {
	Options []q1client.Option
}

// States implements Peers.
func (p GatewayPeers) States(ctx context.Context, endpoint, service string) ([]q1client.ScheduleState, error) {
	return q1client.NewGateway(endpoint, p.Options...).Schedules(ctx, service)
}
