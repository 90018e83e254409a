package keeper_test

import (
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/quantum1net/q1/x/sharers/types"
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
		{"missing sharer", func() error {
			_, err := f.query.Sharer(f.ctx, &types.QuerySharerRequest{Address: f.addr("nobody")})
			return err
		}, codes.NotFound},
		{"malformed sharer address", func() error {
			_, err := f.query.Sharer(f.ctx, &types.QuerySharerRequest{Address: "q1xyz"})
			return err
		}, codes.InvalidArgument},
		{"missing lease", func() error {
			_, err := f.query.Lease(f.ctx, &types.QueryLeaseRequest{Id: 99})
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
