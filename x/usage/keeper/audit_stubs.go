package keeper

import (
	"context"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/quantum1net/q1/x/usage/types"
)

// The audit protocol's messages and queries (issue #12) are declared; the
// keeper implements them in the commits that follow.

// PublishSamples implements types.MsgServer.
func (s msgServer) PublishSamples(context.Context, *types.MsgPublishSamples) (*types.MsgPublishSamplesResponse, error) {
	return nil, status.Error(codes.Unimplemented, "audits are not implemented yet")
}

// AuditCommit implements types.MsgServer.
func (s msgServer) AuditCommit(context.Context, *types.MsgAuditCommit) (*types.MsgAuditCommitResponse, error) {
	return nil, status.Error(codes.Unimplemented, "audits are not implemented yet")
}

// AuditReveal implements types.MsgServer.
func (s msgServer) AuditReveal(context.Context, *types.MsgAuditReveal) (*types.MsgAuditRevealResponse, error) {
	return nil, status.Error(codes.Unimplemented, "audits are not implemented yet")
}

// Audit implements types.QueryServer.
func (q queryServer) Audit(context.Context, *types.QueryAuditRequest) (*types.QueryAuditResponse, error) {
	return nil, status.Error(codes.Unimplemented, "audits are not implemented yet")
}

// Audits implements types.QueryServer.
func (q queryServer) Audits(context.Context, *types.QueryAuditsRequest) (*types.QueryAuditsResponse, error) {
	return nil, status.Error(codes.Unimplemented, "audits are not implemented yet")
}

// AuditStats implements types.QueryServer.
func (q queryServer) AuditStats(context.Context, *types.QueryAuditStatsRequest) (*types.QueryAuditStatsResponse, error) {
	return nil, status.Error(codes.Unimplemented, "audits are not implemented yet")
}
