package keeper_test

import (
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/quantum1net/q1/x/usage/types"
)

// TestQueryErrorCodes checks that the module's errors reach gRPC clients
// with their registered codes, not Unknown: callers test codes, not text.
func TestQueryErrorCodes(t *testing.T) {
	f := newFixture(t)
	_, err := f.query.Report(f.ctx, &types.QueryReportRequest{Sharer: f.addr("nobody"), Epoch: 1})
	if got := status.Code(err); got != codes.NotFound {
		t.Fatalf("missing report: status code %s (%v), want NotFound", got, err)
	}
}
