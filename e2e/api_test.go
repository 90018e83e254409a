package e2e

import (
	"context"
	"net/http"
	"testing"

	q1client "github.com/quantum1net/q1/client"
)

// nodeAPI is a typed client of the node whose HTTP API is at base; each call
// has the client's own timeout (q1client.DefaultTimeout).
func nodeAPI(base string) *q1client.Client { return q1client.New(base) }

// gateway is a typed client of the gateway at base, its requests sent
// through c (and its timeout).
func gateway(base string, c *http.Client) *q1client.Gateway {
	return q1client.NewGateway(base, q1client.WithHTTPClient(c))
}

// bg is the context of a test's API calls.
func bg() context.Context { return context.Background() }

// apiFatal ends the test when an API call failed, naming what was asked.
func apiFatal(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}
