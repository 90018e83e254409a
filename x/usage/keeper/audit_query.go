package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/collections"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/quantum1net/q1/x/usage/types"
)

// Audit implements types.QueryServer.
func (q queryServer) Audit(ctx context.Context, req *types.QueryAuditRequest) (*types.QueryAuditResponse, error) {
	if req == nil || req.Id == 0 {
		return nil, status.Error(codes.InvalidArgument, "name the audit by its id (1 or more)")
	}
	a, err := q.k.GetAudit(ctx, req.Id)
	if errors.Is(err, types.ErrAuditNotFound) {
		return nil, status.Error(codes.NotFound, err.Error())
	}
	if err != nil {
		return nil, err
	}
	a.Phase = a.PhaseAt(sdk.UnwrapSDKContext(ctx).BlockHeight())
	return &types.QueryAuditResponse{Audit: a}, nil
}

// Audits implements types.QueryServer: one page of a service's, a sharer's
// or an auditor's audits, newest first.
func (q queryServer) Audits(ctx context.Context, req *types.QueryAuditsRequest) (*types.QueryAuditsResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "name a service, a sharer or an auditor")
	}
	named := 0
	for _, s := range []string{req.Service, req.Sharer, req.Auditor} {
		if s != "" {
			named++
		}
	}
	if named != 1 {
		return nil, status.Error(codes.InvalidArgument, "name exactly one of service, sharer (audited) or auditor")
	}
	pg := req.Pagination
	if pg == nil {
		pg = &query.PageRequest{}
	}
	pg.Reverse = true // newest first
	get := func(id uint64) (types.Audit, error) { return q.k.GetAudit(ctx, id) }
	keep := func(a types.Audit) bool { return !req.OpenOnly || a.Phase != types.PhaseResolved }
	var out []types.Audit
	var page *query.PageResponse
	var err error
	if req.Service != "" {
		out, page, err = query.CollectionFilteredPaginate(ctx, q.k.AuditsByService, pg,
			func(key collections.Pair[string, uint64], _ collections.NoValue) (bool, error) {
				a, err := get(key.K2())
				return err == nil && keep(a), err
			},
			func(key collections.Pair[string, uint64], _ collections.NoValue) (types.Audit, error) {
				return get(key.K2())
			},
			query.WithCollectionPaginationPairPrefix[string, uint64](req.Service))
	} else {
		field, addr, set := "sharer", req.Sharer, q.k.AuditsBySharer
		if req.Auditor != "" {
			field, addr, set = "auditor", req.Auditor, q.k.AuditsByAuditor
		}
		_, bz, aerr := q.k.account(field, addr)
		if aerr != nil {
			return nil, status.Error(codes.InvalidArgument, aerr.Error())
		}
		out, page, err = query.CollectionFilteredPaginate(ctx, set, pg,
			func(key collections.Pair[sdk.AccAddress, uint64], _ collections.NoValue) (bool, error) {
				a, err := get(key.K2())
				return err == nil && keep(a), err
			},
			func(key collections.Pair[sdk.AccAddress, uint64], _ collections.NoValue) (types.Audit, error) {
				return get(key.K2())
			},
			query.WithCollectionPaginationPairPrefix[sdk.AccAddress, uint64](bz))
	}
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	for i := range out {
		out[i].Phase = out[i].PhaseAt(h)
	}
	return &types.QueryAuditsResponse{Audits: out, Pagination: page}, nil
}

// AuditStats implements types.QueryServer.
func (q queryServer) AuditStats(ctx context.Context, req *types.QueryAuditStatsRequest) (*types.QueryAuditStatsResponse, error) {
	if req == nil || req.Sharer == "" {
		return nil, status.Error(codes.InvalidArgument, "name the sharer")
	}
	canon, _, err := q.k.account("sharer", req.Sharer)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	st, _, err := q.k.getStats(ctx, canon)
	if err != nil {
		return nil, err
	}
	return &types.QueryAuditStatsResponse{Stats: st}, nil
}
