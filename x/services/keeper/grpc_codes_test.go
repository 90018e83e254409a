package keeper_test

import (
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/quantum1net/q1/x/services/types"
)

// TestQueryErrorCodes checks that the module's errors reach gRPC clients
// with their registered codes, not Unknown: callers test codes, not text.
func TestQueryErrorCodes(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		name string
		call func() error
		want codes.Code
	}{
		{"missing service", func() error {
			_, err := f.query.Service(f.ctx, &types.QueryServiceRequest{Name: "nope"})
			return err
		}, codes.NotFound},
		{"missing proposal", func() error {
			_, err := f.query.Proposal(f.ctx, &types.QueryProposalRequest{Id: 99})
			return err
		}, codes.NotFound},
		{"history of a missing service", func() error {
			_, err := f.query.History(f.ctx, &types.QueryHistoryRequest{Name: "nope"})
			return err
		}, codes.NotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := status.Code(tc.call()); got != tc.want {
				t.Fatalf("status code %s, want %s", got, tc.want)
			}
		})
	}
}
