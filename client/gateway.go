package client

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/quantum1net/q1/client/reqsign"
)

// Gateway is a typed client of one node's gateway (its --gateway address,
// the endpoint a sharer registers): services called through it, and what
// the node says about itself under /_q1/v1/ (its replicas, their log
// lines). Errors are as Client's. A Gateway is safe for concurrent use.
type Gateway struct {
	conn
}

// NewGateway returns a client of the gateway at baseURL, e.g.
// "http://127.0.0.1:8081".
func NewGateway(baseURL string, opts ...Option) *Gateway {
	return &Gateway{conn: newConn(baseURL, "/_q1", opts)}
}

// BaseURL is the address the gateway client talks to.
func (g *Gateway) BaseURL() string { return g.base }

// Replicas is GET /_q1/v1/replicas: this node's replicas (serving, loading
// or failed, with the reason), by service.
func (g *Gateway) Replicas(ctx context.Context) ([]NodeReplica, error) {
	v, err := get[[]NodeReplica](ctx, &g.conn, "/v1/replicas", nil)
	if err != nil {
		return nil, err
	}
	return *v, nil
}

// Logs is GET /_q1/v1/services/{name}/logs: the log lines this node keeps
// of its replica of the service, oldest first.
func (g *Gateway) Logs(ctx context.Context, service string, o LogsOptions) ([]LogEntry, error) {
	return g.readLogs(ctx, service, o)
}

// FollowLogs is Logs followed (see Client.FollowLogs).
func (g *Gateway) FollowLogs(ctx context.Context, service string, o LogsOptions, each func(LogEntry) error) error {
	return g.logs(ctx, service, o, true, each)
}

// CallRequest is one request to a service through a gateway.
type CallRequest struct {
	Service string
	// Method is the HTTP method (default GET).
	Method string
	// Path is the path in the service, with its query: "/greet?x=1".
	Path   string
	Body   []byte
	Header http.Header
	// Signer, when set, signs the request for the service (client/reqsign),
	// as paths the manifest reserves to listed accounts require.
	Signer reqsign.Signer
}

// HeaderServedBy names the node (sharer) whose replica answered a call.
const HeaderServedBy = "X-Q1-Served-By"

// Call sends r to its service through the gateway, at
// /s/{service}{path}, and returns the service's answer whatever its status
// (a service's 404 is its answer, not the API's); the caller closes the
// body. Only ctx (and the http.Client's Timeout) bounds it. A failure to
// reach the gateway is a *url.Error, as net/http reports it.
func (g *Gateway) Call(ctx context.Context, r CallRequest) (*http.Response, error) {
	method := strings.ToUpper(r.Method)
	if method == "" {
		method = http.MethodGet
	}
	path := r.Path
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	req, err := http.NewRequestWithContext(ctx, method, g.base+"/s/"+r.Service+path, bytes.NewReader(r.Body))
	if err != nil {
		return nil, err
	}
	for k, vs := range r.Header {
		req.Header[k] = append(req.Header[k], vs...)
	}
	if r.Signer != nil {
		if err := reqsign.SignRequest(req, r.Body, r.Signer, r.Service, time.Now()); err != nil {
			return nil, fmt.Errorf("sign the request: %w", err)
		}
	}
	return g.hc.Do(req)
}
