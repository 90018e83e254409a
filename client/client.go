package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultTimeout bounds a call that reads one answer (all but followed logs,
// service calls and uploads, which end with their context), unless
// WithTimeout says otherwise.
const DefaultTimeout = 30 * time.Second

// maxAnswer bounds a JSON answer read into memory.
const maxAnswer = 64 << 20

// Option configures a Client or a Gateway.
type Option func(*conn)

// WithHTTPClient sends requests through hc (its Transport, Jar and Timeout;
// a Timeout also cuts followed logs). The default has connect, TLS and
// response-header timeouts and no overall one.
func WithHTTPClient(hc *http.Client) Option { return func(c *conn) { c.hc = hc } }

// WithTimeout sets how long a call that reads one answer may take (default
// DefaultTimeout; 0 leaves it to the context).
func WithTimeout(d time.Duration) Option { return func(c *conn) { c.timeout = d } }

// defaultHTTPClient fails fast on a node that does not answer, yet lets a
// followed log stream or a large upload run as long as its context allows.
func defaultHTTPClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: time.Minute,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConns:          16,
		ForceAttemptHTTP2:     true,
	}}
}

// conn is what a Client and a Gateway share: where the node is, under
// which path prefix its endpoints live, and how requests are sent.
type conn struct {
	base    string // scheme://host[:port], no trailing slash
	prefix  string // "" on the API listener, "/_q1" on a gateway's
	hc      *http.Client
	timeout time.Duration
}

func newConn(baseURL, prefix string, opts []Option) conn {
	c := conn{base: strings.TrimRight(baseURL, "/"), prefix: prefix, timeout: DefaultTimeout}
	for _, o := range opts {
		o(&c)
	}
	if c.hc == nil {
		c.hc = defaultHTTPClient()
	}
	return c
}

// url is the address of path (already escaped, starting with /v1/) with query q.
func (c *conn) url(path string, q url.Values) string {
	u := c.base + c.prefix + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// send sends a request and returns a 2xx response, or the node's answer
// as an *APIError, or the transport's error (which names method and URL).
func (c *conn) send(req *http.Request) (*http.Response, error) {
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		return nil, ErrorOf(resp)
	}
	return resp, nil
}

// withTimeout bounds a call that reads one answer.
func (c *conn) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if c.timeout <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, c.timeout)
}

// getJSON GETs path and decodes the JSON answer into v.
func (c *conn) getJSON(ctx context.Context, path string, q url.Values, v any) error {
	b, err := c.getBytes(ctx, path, q, maxAnswer)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("GET %s: the answer is not the JSON expected: %w", c.url(path, q), err)
	}
	return nil
}

// get GETs path and decodes its JSON answer as a T.
func get[T any](ctx context.Context, c *conn, path string, q url.Values) (*T, error) {
	var v T
	if err := c.getJSON(ctx, path, q, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// getBytes GETs path and returns the answer's body, refusing more than limit bytes.
func (c *conn) getBytes(ctx context.Context, path string, q url.Values, limit int64) ([]byte, error) {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	u := c.url(path, q)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.send(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: read the answer: %w", u, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("GET %s: the answer is larger than %d bytes", u, limit)
	}
	return b, nil
}

// seg escapes one path segment.
func seg(s string) string { return url.PathEscape(s) }

// Client is a typed client of one node's HTTP API (its --http address,
// GET /v1/…). Every method takes a context and returns the API's wire type,
// or an error: a non-2xx answer is an *APIError (errors.As), which also
// matches ErrNotFound, ErrBadRequest and ErrUnavailable (errors.Is). A
// Client is safe for concurrent use.
type Client struct {
	conn
}

// New returns a client of the node whose HTTP API is at baseURL, e.g.
// "http://127.0.0.1:8080".
func New(baseURL string, opts ...Option) *Client {
	return &Client{conn: newConn(baseURL, "", opts)}
}

// BaseURL is the address the client talks to.
func (c *Client) BaseURL() string { return c.base }

// Status is GET /v1/status.
func (c *Client) Status(ctx context.Context) (*Status, error) {
	return get[Status](ctx, &c.conn, "/v1/status", nil)
}

// Validators is GET /v1/validators.
func (c *Client) Validators(ctx context.Context) (*Validators, error) {
	return get[Validators](ctx, &c.conn, "/v1/validators", nil)
}

// Account is GET /v1/accounts/{address}.
func (c *Client) Account(ctx context.Context, address string) (*Account, error) {
	return get[Account](ctx, &c.conn, "/v1/accounts/"+seg(address), nil)
}

// Supply is GET /v1/supply.
func (c *Client) Supply(ctx context.Context) (*Supply, error) {
	return get[Supply](ctx, &c.conn, "/v1/supply", nil)
}

// Tx is GET /v1/txs/{hash}.
func (c *Client) Tx(ctx context.Context, hash string) (*Tx, error) {
	return get[Tx](ctx, &c.conn, "/v1/txs/"+seg(hash), nil)
}

// Blocks is GET /v1/blocks?limit=N: the newest blocks, newest first (limit
// 0: the node's default, 20).
func (c *Client) Blocks(ctx context.Context, limit int) (*Blocks, error) {
	var q url.Values
	if limit != 0 {
		q = url.Values{"limit": {fmt.Sprint(limit)}}
	}
	return get[Blocks](ctx, &c.conn, "/v1/blocks", q)
}

// Block is GET /v1/blocks/{height}.
func (c *Client) Block(ctx context.Context, height int64) (*BlockDetail, error) {
	return get[BlockDetail](ctx, &c.conn, fmt.Sprintf("/v1/blocks/%d", height), nil)
}

// Services is GET /v1/services.
func (c *Client) Services(ctx context.Context) (*Services, error) {
	return get[Services](ctx, &c.conn, "/v1/services", nil)
}

// Service is GET /v1/services/{name}.
func (c *Client) Service(ctx context.Context, name string) (*Service, error) {
	return get[Service](ctx, &c.conn, "/v1/services/"+seg(name), nil)
}

// History is GET /v1/services/{name}/history.
func (c *Client) History(ctx context.Context, name string) (*History, error) {
	return get[History](ctx, &c.conn, "/v1/services/"+seg(name)+"/history", nil)
}

// Placement is GET /v1/services/{name}/placement.
func (c *Client) Placement(ctx context.Context, name string) (*Placement, error) {
	return get[Placement](ctx, &c.conn, "/v1/services/"+seg(name)+"/placement", nil)
}

// Proposal is GET /v1/proposals/{id}.
func (c *Client) Proposal(ctx context.Context, id uint64) (*Proposal, error) {
	return get[Proposal](ctx, &c.conn, fmt.Sprintf("/v1/proposals/%d", id), nil)
}

// Sharers is GET /v1/sharers.
func (c *Client) Sharers(ctx context.Context) (*Sharers, error) {
	return get[Sharers](ctx, &c.conn, "/v1/sharers", nil)
}

// Sharer is GET /v1/sharers/{address}.
func (c *Client) Sharer(ctx context.Context, address string) (*SharerStatus, error) {
	return get[SharerStatus](ctx, &c.conn, "/v1/sharers/"+seg(address), nil)
}

// SharerLiveness is GET /v1/sharers/{address}/liveness.
func (c *Client) SharerLiveness(ctx context.Context, address string) (*SharerLiveness, error) {
	return get[SharerLiveness](ctx, &c.conn, "/v1/sharers/"+seg(address)+"/liveness", nil)
}

// LeaseFilter narrows GET /v1/leases; every field is optional.
type LeaseFilter struct {
	// Sharer and Service keep the open leases of one sharer or service.
	Sharer, Service string
	// Limit bounds how many are listed (0: the node's default).
	Limit int
}

// Leases is GET /v1/leases?sharer=…&service=…&limit=….
func (c *Client) Leases(ctx context.Context, f LeaseFilter) (*Leases, error) {
	q := url.Values{}
	if f.Sharer != "" {
		q.Set("sharer", f.Sharer)
	}
	if f.Service != "" {
		q.Set("service", f.Service)
	}
	if f.Limit != 0 {
		q.Set("limit", fmt.Sprint(f.Limit))
	}
	return get[Leases](ctx, &c.conn, "/v1/leases", q)
}

// Epoch is GET /v1/epoch.
func (c *Client) Epoch(ctx context.Context) (*Epoch, error) {
	return get[Epoch](ctx, &c.conn, "/v1/epoch", nil)
}

// Peers is GET /v1/peers.
func (c *Client) Peers(ctx context.Context) (*Peers, error) {
	return get[Peers](ctx, &c.conn, "/v1/peers", nil)
}

// Genesis is GET /v1/genesis: the node's genesis file, byte for byte (its
// sha256 is the genesis hash), refused when larger than limit bytes.
func (c *Client) Genesis(ctx context.Context, limit int64) ([]byte, error) {
	return c.getBytes(ctx, "/v1/genesis", nil, limit)
}

// Metrics is GET /metrics: the node's Prometheus metrics, in Prometheus's
// text format.
func (c *Client) Metrics(ctx context.Context) ([]byte, error) {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.send(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
}

// SignInChallenge is GET /v1/auth/challenge: a one-time challenge to sign
// with `q1 dashboard sign` (client/signin).
func (c *Client) SignInChallenge(ctx context.Context) (*SignInChallenge, error) {
	return get[SignInChallenge](ctx, &c.conn, "/v1/auth/challenge", nil)
}

// SignIn is POST /v1/auth/session with a signed token: the session it
// opens. The session cookie is kept by the http.Client's Jar, when it has
// one (WithHTTPClient), for later calls such as Logs.
func (c *Client) SignIn(ctx context.Context, token string) (*Session, error) {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	body, _ := json.Marshal(map[string]string{"token": token})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url("/v1/auth/session", nil), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.send(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var v Session
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxAnswer)).Decode(&v); err != nil {
		return nil, fmt.Errorf("POST %s: the answer is not a session: %w", req.URL, err)
	}
	return &v, nil
}

// Session is GET /v1/auth/session: the session the client's cookie opens
// (an *APIError with 401 when it opens none).
func (c *Client) Session(ctx context.Context) (*Session, error) {
	return get[Session](ctx, &c.conn, "/v1/auth/session", nil)
}

// SignOut is DELETE /v1/auth/session.
func (c *Client) SignOut(ctx context.Context) error {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, c.url("/v1/auth/session", nil), nil)
	if err != nil {
		return err
	}
	resp, err := c.send(req)
	if err != nil {
		return err
	}
	return resp.Body.Close()
}
