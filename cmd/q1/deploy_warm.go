package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/quantum1net/q1/client/blobhash"
)

// Compiling ahead on the nodes that will run the service. A node compiles a
// module when it is uploaded to it; the nodes the chain places the replicas
// on learn of it only from the lease, and a cold compile (1.4–1.9 s for a
// 5 MB Go module) would then sit between the lease and the first answer. So
// once the module is uploaded, q1 service deploy announces it to the
// gateways of the sharers the placement preview chose (POST
// /_q1/v1/blobs/{hash}/warm), while the create tx commits: each fetches it
// from the node it was uploaded to and compiles it, bounded by the node's
// own limits (node/replicas, PrecompileLimits). An announcement that fails
// costs nothing but the head start: the replica compiles when it starts.

// warmTimeout bounds one announcement; nodes answer at once (202).
const warmTimeout = 3 * time.Second

// warmResult is what the chosen sharers' nodes answered.
type warmResult struct {
	accepted, asked int
	refused         []string // "sharer: reason"
}

// announceWarm announces h to each endpoint (by sharer) and returns a
// function that waits for the answers.
func announceWarm(ctx context.Context, h blobhash.Hash, endpoints map[string]string) func() warmResult {
	var (
		mu  sync.Mutex
		res = warmResult{asked: len(endpoints)}
		wg  sync.WaitGroup
	)
	c := &http.Client{Timeout: warmTimeout}
	for sharer, ep := range endpoints {
		wg.Go(func() {
			err := warmOne(ctx, c, ep, h)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				res.refused = append(res.refused, sharer+": "+err.Error())
				return
			}
			res.accepted++
		})
	}
	return func() warmResult {
		wg.Wait()
		return res
	}
}

func warmOne(ctx context.Context, c *http.Client, endpoint string, h blobhash.Hash) error {
	url := strings.TrimRight(endpoint, "/") + "/_q1/v1/blobs/" + h.String() + "/warm"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("%s answered %s", endpoint, resp.Status)
	}
	return nil
}

// chosenEndpoints are the gateways of the sharers the preview chose.
func (d *deployCheck) chosenEndpoints() map[string]string {
	out := map[string]string{}
	if d.preview == nil {
		return out
	}
	for _, ch := range d.preview.Chosen {
		if ep := d.endpoints[ch.Sharer]; ep != "" {
			out[ch.Sharer] = ep
		}
	}
	return out
}

func (r warmResult) String() string {
	s := fmt.Sprintf("compiling ahead on %d of %d chosen sharer(s)' nodes", r.accepted, r.asked)
	if len(r.refused) > 0 {
		s += " (" + strings.Join(r.refused, "; ") + ")"
	}
	return s
}
