package chainquery

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/cosmos/cosmos-sdk/codec"
	"github.com/cosmos/gogoproto/proto"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	q1client "github.com/quantum1net/q1/client"
	"github.com/quantum1net/q1/core/manifest"
	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
	usagetypes "github.com/quantum1net/q1/x/usage/types"
)

// The economy's answers are the usage and sharers modules' query
// responses as they are; ProtoJSON gives them the chain's JSON form.

// ProtoJSON encodes a query response as the chain's JSON: proto field names,
// every field present, 64-bit integers and amounts as strings.
func ProtoJSON(m proto.Message) (json.RawMessage, error) {
	b, err := codec.ProtoMarshalJSON(m, nil)
	if err != nil {
		return nil, fmt.Errorf("encode %T: %w", m, err)
	}
	return b, nil
}

// queryErr maps a query's gRPC error to the API's kinds.
func queryErr(err error, what string) error {
	switch status.Code(err) {
	case codes.NotFound:
		return fmt.Errorf("%w: %s", q1client.ErrNotFound, status.Convert(err).Message())
	case codes.InvalidArgument:
		return fmt.Errorf("%w: %s", q1client.ErrBadRequest, status.Convert(err).Message())
	}
	return notFound(err, what)
}

// ServiceUsage returns a service's usage records at the latest height,
// only one sharer's or one epoch's when req names them, or their sums by
// "sharer" or "epoch" (req.By).
func (c *Chain) ServiceUsage(ctx context.Context, req *usagetypes.QueryServiceUsageRequest) (*usagetypes.QueryServiceUsageResponse, error) {
	if err := manifest.ValidateName(req.Service); err != nil {
		return nil, fmt.Errorf("%w: service name %q: %v", q1client.ErrBadRequest, req.Service, err)
	}
	if req.By != "" && req.By != "sharer" && req.By != "epoch" {
		return nil, fmt.Errorf("%w: by %q: use sharer, epoch or nothing", q1client.ErrBadRequest, req.By)
	}
	if req.Sharer != "" {
		addr, err := accountParam("sharer", req.Sharer)
		if err != nil {
			return nil, err
		}
		req.Sharer = addr
	}
	height, err := c.LatestHeight(ctx)
	if err != nil {
		return nil, err
	}
	cctx, gctx := c.at(ctx, height)
	res, err := usagetypes.NewQueryClient(cctx).ServiceUsage(gctx, req)
	if err != nil {
		return nil, queryErr(err, "no service named "+req.Service)
	}
	return res, nil
}

// ServiceEconomics returns a service's escrow, rent owed, burn per hour and
// time left at the latest height.
func (c *Chain) ServiceEconomics(ctx context.Context, service string) (*usagetypes.QueryServiceEconomicsResponse, error) {
	if err := manifest.ValidateName(service); err != nil {
		return nil, fmt.Errorf("%w: service name %q: %v", q1client.ErrBadRequest, service, err)
	}
	height, err := c.LatestHeight(ctx)
	if err != nil {
		return nil, err
	}
	cctx, gctx := c.at(ctx, height)
	res, err := usagetypes.NewQueryClient(cctx).ServiceEconomics(gctx, &usagetypes.QueryServiceEconomicsRequest{Service: service})
	if err != nil {
		return nil, queryErr(err, "no service named "+service)
	}
	return res, nil
}

// SharerEarnings returns what a sharer earned, in total and summed by
// "service" or "epoch" (by), at the latest height.
func (c *Chain) SharerEarnings(ctx context.Context, address, by string) (*usagetypes.QuerySharerEarningsResponse, error) {
	addr, err := accountParam("sharer", address)
	if err != nil {
		return nil, err
	}
	if by != "" && by != "service" && by != "epoch" {
		return nil, fmt.Errorf("%w: by %q: use service, epoch or nothing", q1client.ErrBadRequest, by)
	}
	height, err := c.LatestHeight(ctx)
	if err != nil {
		return nil, err
	}
	cctx, gctx := c.at(ctx, height)
	res, err := usagetypes.NewQueryClient(cctx).SharerEarnings(gctx, &usagetypes.QuerySharerEarningsRequest{Sharer: addr, By: by})
	if err != nil {
		return nil, queryErr(err, addr+" earned nothing")
	}
	return res, nil
}

// PlacementPreview asks where a manifest (YAML or canonical) would be
// placed now and what it would cost per hour; nothing is written.
func (c *Chain) PlacementPreview(ctx context.Context, m []byte) (*sharerstypes.QueryPlacementPreviewResponse, error) {
	height, err := c.LatestHeight(ctx)
	if err != nil {
		return nil, err
	}
	cctx, gctx := c.at(ctx, height)
	res, err := sharerstypes.NewQueryClient(cctx).PlacementPreview(gctx, &sharerstypes.QueryPlacementPreviewRequest{Manifest: m})
	if err != nil {
		return nil, queryErr(err, "preview placement")
	}
	return res, nil
}
