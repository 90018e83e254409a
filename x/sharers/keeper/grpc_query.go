package keeper

import (
	"context"

	"cosmossdk.io/collections"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/quantum1net/q1/x/sharers/types"
)

// queryServer implements types.QueryServer over the keeper.
type queryServer struct {
	k *Keeper
}

var _ types.QueryServer = queryServer{}

// NewQueryServerImpl returns the module's Query service over k.
func NewQueryServerImpl(k *Keeper) types.QueryServer {
	return queryServer{k: k}
}

// Sharer implements types.QueryServer.
func (q queryServer) Sharer(ctx context.Context, req *types.QuerySharerRequest) (*types.QuerySharerResponse, error) {
	if req == nil || req.Address == "" {
		return nil, status.Error(codes.InvalidArgument, "name the sharer by its account address")
	}
	s, err := q.k.GetSharer(ctx, req.Address)
	if err != nil {
		return nil, err
	}
	return &types.QuerySharerResponse{Sharer: s}, nil
}

// Sharers implements types.QueryServer; sharers come in address byte order.
func (q queryServer) Sharers(ctx context.Context, req *types.QuerySharersRequest) (*types.QuerySharersResponse, error) {
	if req == nil {
		req = &types.QuerySharersRequest{}
	}
	sharers, page, err := query.CollectionPaginate(ctx, q.k.Sharers, req.Pagination,
		func(_ sdk.AccAddress, s types.Sharer) (types.Sharer, error) { return s, nil })
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &types.QuerySharersResponse{Sharers: sharers, Pagination: page}, nil
}

// Leases implements types.QueryServer.
func (q queryServer) Leases(ctx context.Context, req *types.QueryLeasesRequest) (*types.QueryLeasesResponse, error) {
	if req == nil {
		req = &types.QueryLeasesRequest{}
	}
	var (
		leases []types.Lease
		page   *query.PageResponse
		err    error
	)
	switch {
	case req.Sharer != "" && req.Service != "":
		return nil, status.Error(codes.InvalidArgument, "filter leases by sharer or by service, not both")
	case req.Sharer != "":
		_, bz, aerr := q.k.account("sharer", req.Sharer)
		if aerr != nil {
			return nil, status.Error(codes.InvalidArgument, aerr.Error())
		}
		leases, page, err = query.CollectionPaginate(ctx, q.k.LeasesBySharer, req.Pagination,
			func(key collections.Pair[sdk.AccAddress, uint64], _ collections.NoValue) (types.Lease, error) {
				return q.k.GetLease(ctx, key.K2())
			}, query.WithCollectionPaginationPairPrefix[sdk.AccAddress, uint64](bz))
	case req.Service != "":
		leases, page, err = query.CollectionPaginate(ctx, q.k.LeasesByService, req.Pagination,
			func(key collections.Pair[string, uint64], _ collections.NoValue) (types.Lease, error) {
				return q.k.GetLease(ctx, key.K2())
			}, query.WithCollectionPaginationPairPrefix[string, uint64](req.Service))
	default:
		leases, page, err = query.CollectionPaginate(ctx, q.k.Leases, req.Pagination,
			func(_ uint64, l types.Lease) (types.Lease, error) { return l, nil })
	}
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &types.QueryLeasesResponse{Leases: leases, Pagination: page}, nil
}

// Lease implements types.QueryServer.
func (q queryServer) Lease(ctx context.Context, req *types.QueryLeaseRequest) (*types.QueryLeaseResponse, error) {
	if req == nil || req.Id == 0 {
		return nil, status.Error(codes.InvalidArgument, "name the lease by its id (ids start at 1)")
	}
	l, err := q.k.GetLease(ctx, req.Id)
	if err != nil {
		return nil, err
	}
	return &types.QueryLeaseResponse{Lease: l}, nil
}

// Placement implements types.QueryServer.
func (q queryServer) Placement(ctx context.Context, req *types.QueryPlacementRequest) (*types.QueryPlacementResponse, error) {
	if req == nil || req.Service == "" {
		return nil, status.Error(codes.InvalidArgument, "name the service")
	}
	leases, err := q.k.ActiveLeases(ctx, req.Service)
	if err != nil {
		return nil, err
	}
	st, err := q.k.placementState(ctx, req.Service)
	if err != nil {
		return nil, err
	}
	queued, err := q.k.Queued.Has(ctx, req.Service)
	if err != nil {
		return nil, err
	}
	return &types.QueryPlacementResponse{Leases: leases, State: st, Queued: queued}, nil
}

// Epoch implements types.QueryServer.
func (q queryServer) Epoch(ctx context.Context, _ *types.QueryEpochRequest) (*types.QueryEpochResponse, error) {
	e, err := q.k.CurrentEpoch(ctx)
	if err != nil {
		return nil, err
	}
	p, err := q.k.GetParams(ctx)
	if err != nil {
		return nil, err
	}
	return &types.QueryEpochResponse{Current: e, EpochBlocks: p.EpochBlocks}, nil
}

// Params implements types.QueryServer.
func (q queryServer) Params(ctx context.Context, _ *types.QueryParamsRequest) (*types.QueryParamsResponse, error) {
	p, err := q.k.GetParams(ctx)
	if err != nil {
		return nil, err
	}
	return &types.QueryParamsResponse{Params: p}, nil
}
