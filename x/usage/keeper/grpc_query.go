package keeper

import (
	"context"

	"cosmossdk.io/collections"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/quantum1net/q1/x/usage/types"
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

// Report implements types.QueryServer.
func (q queryServer) Report(ctx context.Context, req *types.QueryReportRequest) (*types.QueryReportResponse, error) {
	if req == nil || req.Sharer == "" {
		return nil, status.Error(codes.InvalidArgument, "name the sharer and the epoch")
	}
	r, err := q.k.GetReport(ctx, req.Sharer, req.Epoch)
	if err != nil {
		return nil, err
	}
	return &types.QueryReportResponse{Report: r}, nil
}

// Reports implements types.QueryServer; reports come oldest epoch first.
func (q queryServer) Reports(ctx context.Context, req *types.QueryReportsRequest) (*types.QueryReportsResponse, error) {
	if req == nil || req.Sharer == "" {
		return nil, status.Error(codes.InvalidArgument, "name the sharer")
	}
	_, bz, err := q.k.account("sharer", req.Sharer)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	reports, page, err := query.CollectionPaginate(ctx, q.k.Reports, req.Pagination,
		func(_ collections.Pair[sdk.AccAddress, uint64], r types.Report) (types.Report, error) { return r, nil },
		query.WithCollectionPaginationPairPrefix[sdk.AccAddress, uint64](bz))
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &types.QueryReportsResponse{Reports: reports, Pagination: page}, nil
}

// Params implements types.QueryServer.
func (q queryServer) Params(ctx context.Context, _ *types.QueryParamsRequest) (*types.QueryParamsResponse, error) {
	p, err := q.k.GetParams(ctx)
	if err != nil {
		return nil, err
	}
	return &types.QueryParamsResponse{Params: p}, nil
}
