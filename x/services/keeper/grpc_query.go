package keeper

import (
	"context"

	"cosmossdk.io/collections"
	"github.com/cosmos/cosmos-sdk/types/query"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/quantum1net/q1/x/services/types"
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

// Service implements types.QueryServer.
func (q queryServer) Service(ctx context.Context, req *types.QueryServiceRequest) (*types.QueryServiceResponse, error) {
	if req == nil || req.Name == "" {
		return nil, status.Error(codes.InvalidArgument, "name the service")
	}
	svc, err := q.k.GetService(ctx, req.Name)
	if err != nil {
		return nil, err
	}
	cur, err := q.k.GetVersion(ctx, req.Name, svc.CurrentVersion)
	if err != nil {
		return nil, err
	}
	escrow, err := q.k.Escrows.Get(ctx, req.Name)
	if err != nil {
		return nil, err
	}
	resp := &types.QueryServiceResponse{Service: svc, Current: cur, Escrow: escrow}
	if svc.PendingProposalId != 0 {
		p, err := q.k.GetProposal(ctx, svc.PendingProposalId)
		if err != nil {
			return nil, err
		}
		resp.Pending = &p
	}
	return resp, nil
}

// Services implements types.QueryServer; services come in name order.
func (q queryServer) Services(ctx context.Context, req *types.QueryServicesRequest) (*types.QueryServicesResponse, error) {
	if req == nil {
		req = &types.QueryServicesRequest{}
	}
	services, page, err := query.CollectionPaginate(ctx, q.k.Services, req.Pagination,
		func(_ string, s types.Service) (types.Service, error) { return s, nil })
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &types.QueryServicesResponse{Services: services, Pagination: page}, nil
}

// History implements types.QueryServer; versions come oldest first.
func (q queryServer) History(ctx context.Context, req *types.QueryHistoryRequest) (*types.QueryHistoryResponse, error) {
	if req == nil || req.Name == "" {
		return nil, status.Error(codes.InvalidArgument, "name the service")
	}
	if _, err := q.k.GetService(ctx, req.Name); err != nil {
		return nil, err
	}
	versions, page, err := query.CollectionPaginate(ctx, q.k.Versions, req.Pagination,
		func(_ collections.Pair[string, uint64], v types.Version) (types.Version, error) { return v, nil },
		query.WithCollectionPaginationPairPrefix[string, uint64](req.Name))
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &types.QueryHistoryResponse{Versions: versions, Pagination: page}, nil
}

// Proposal implements types.QueryServer.
func (q queryServer) Proposal(ctx context.Context, req *types.QueryProposalRequest) (*types.QueryProposalResponse, error) {
	if req == nil || req.Id == 0 {
		return nil, status.Error(codes.InvalidArgument, "name the proposal by its id (ids start at 1)")
	}
	p, err := q.k.GetProposal(ctx, req.Id)
	if err != nil {
		return nil, err
	}
	return &types.QueryProposalResponse{Proposal: p}, nil
}

// Params implements types.QueryServer.
func (q queryServer) Params(ctx context.Context, _ *types.QueryParamsRequest) (*types.QueryParamsResponse, error) {
	p, err := q.k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	return &types.QueryParamsResponse{Params: p}, nil
}

// Secrets implements types.QueryServer: the secret records of a service,
// by name, as the chain holds them (encrypted; deleted ones with their
// version only).
func (q queryServer) Secrets(ctx context.Context, req *types.QuerySecretsRequest) (*types.QuerySecretsResponse, error) {
	if req == nil || req.Service == "" {
		return nil, status.Error(codes.InvalidArgument, "name the service")
	}
	if _, err := q.k.GetService(ctx, req.Service); err != nil {
		return nil, err
	}
	secrets, err := q.k.ListSecrets(ctx, req.Service)
	if err != nil {
		return nil, err
	}
	return &types.QuerySecretsResponse{Secrets: secrets}, nil
}
