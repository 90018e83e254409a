package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"

	"github.com/cosmos/gogoproto/jsonpb"
	"github.com/cosmos/gogoproto/proto"

	usagetypes "github.com/quantum1net/q1/x/usage/types"
)

// The economy endpoints answer the usage module's query responses in the
// chain's proto JSON (snake_case, 64-bit numbers and amounts as strings), so
// their wire types are x/usage/types', read with the proto JSON rules.

// UsageFilter narrows GET /v1/services/{name}/usage; every field is optional.
type UsageFilter struct {
	// By is "" to list records, "sharer" or "epoch" to sum them.
	By string
	// Sharer keeps one sharer's records.
	Sharer string
	// Epoch, when set, keeps one epoch's records.
	Epoch *uint64
	// Pruned lists the records pruned from the chain's state too, read
	// back from the node's event index (an epoch below pruned_below is
	// read from it anyway).
	Pruned bool
}

// ServiceUsage is GET /v1/services/{name}/usage?by=…&sharer=…&epoch=….
func (c *Client) ServiceUsage(ctx context.Context, service string, f UsageFilter) (*usagetypes.QueryServiceUsageResponse, error) {
	return getProto[usagetypes.QueryServiceUsageResponse](ctx, &c.conn, "/v1/services/"+seg(service)+"/usage", f.query())
}

func (f UsageFilter) query() url.Values {
	q := url.Values{}
	if f.By != "" {
		q.Set("by", f.By)
	}
	if f.Sharer != "" {
		q.Set("sharer", f.Sharer)
	}
	if f.Epoch != nil {
		q.Set("epoch", fmt.Sprint(*f.Epoch))
	}
	if f.Pruned {
		q.Set("pruned", "true")
	}
	return q
}

// Audits is GET /v1/services/{name}/audits: a service's audits, newest first.
func (c *Client) Audits(ctx context.Context, service string) (*usagetypes.QueryAuditsResponse, error) {
	return getProto[usagetypes.QueryAuditsResponse](ctx, &c.conn, "/v1/services/"+seg(service)+"/audits", nil)
}

// ServiceEconomics is GET /v1/services/{name}/economics.
func (c *Client) ServiceEconomics(ctx context.Context, service string) (*usagetypes.QueryServiceEconomicsResponse, error) {
	return getProto[usagetypes.QueryServiceEconomicsResponse](ctx, &c.conn, "/v1/services/"+seg(service)+"/economics", nil)
}

// SharerEarnings is GET /v1/sharers/{address}/earnings?by=… (by: "",
// "service" or "epoch").
func (c *Client) SharerEarnings(ctx context.Context, address, by string) (*usagetypes.QuerySharerEarningsResponse, error) {
	q := url.Values{}
	if by != "" {
		q.Set("by", by)
	}
	return getProto[usagetypes.QuerySharerEarningsResponse](ctx, &c.conn, "/v1/sharers/"+seg(address)+"/earnings", q)
}

// getProto GETs path and reads its proto JSON answer as a T. Fields a
// newer node adds are skipped.
func getProto[T any, PT interface {
	*T
	proto.Message
}](ctx context.Context, c *conn, path string, q url.Values) (*T, error) {
	b, err := c.getBytes(ctx, path, q, maxAnswer)
	if err != nil {
		return nil, err
	}
	var v T
	u := jsonpb.Unmarshaler{AllowUnknownFields: true}
	if err := u.Unmarshal(bytes.NewReader(b), PT(&v)); err != nil {
		return nil, fmt.Errorf("GET %s: the answer is not the JSON expected: %w", c.url(path, q), err)
	}
	return &v, nil
}

// ServiceUsageAudits is ServiceUsage with the audits its records name
// (the answer's "audits"): each audit's state, samples and verdicts.
func (c *Client) ServiceUsageAudits(ctx context.Context, service string, f UsageFilter) (*usagetypes.QueryServiceUsageResponse, []usagetypes.Audit, error) {
	q := f.query()
	path := "/v1/services/" + seg(service) + "/usage"
	b, err := c.getBytes(ctx, path, q, maxAnswer)
	if err != nil {
		return nil, nil, err
	}
	u := jsonpb.Unmarshaler{AllowUnknownFields: true}
	var res usagetypes.QueryServiceUsageResponse
	if err := u.Unmarshal(bytes.NewReader(b), &res); err != nil {
		return nil, nil, fmt.Errorf("GET %s: the answer is not the JSON expected: %w", c.url(path, q), err)
	}
	var extra struct {
		Audits []json.RawMessage `json:"audits"`
	}
	if err := json.Unmarshal(b, &extra); err != nil {
		return nil, nil, fmt.Errorf("GET %s: the answer is not the JSON expected: %w", c.url(path, q), err)
	}
	audits := make([]usagetypes.Audit, len(extra.Audits))
	for i, a := range extra.Audits {
		if err := u.Unmarshal(bytes.NewReader(a), &audits[i]); err != nil {
			return nil, nil, fmt.Errorf("GET %s: audit %d is not the JSON expected: %w", c.url(path, q), i, err)
		}
	}
	return &res, audits, nil
}
