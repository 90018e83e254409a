package keeper_test

import (
	"testing"

	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/quantum1net/q1/x/sharers/types"
)

func TestQueries(t *testing.T) {
	f := newFixture(t)
	f.mustRegister(offer{}, "s1", "s2", "s3")
	f.create(spec{name: "hello", replicas: 2})
	f.create(spec{name: "world", replicas: 1})
	f.endBlock()

	t.Run("sharers page in a stable order", func(t *testing.T) {
		var seen []string
		var key []byte
		for {
			resp, err := f.query.Sharers(f.ctx, &types.QuerySharersRequest{Pagination: &query.PageRequest{Key: key, Limit: 2}})
			noErr(t, err)
			for _, s := range resp.Sharers {
				seen = append(seen, s.Address)
			}
			if key = resp.Pagination.NextKey; key == nil {
				break
			}
		}
		if len(seen) != 3 {
			t.Fatalf("paged through %d sharers, want 3", len(seen))
		}
		resp, err := f.query.Sharers(f.ctx, &types.QuerySharersRequest{})
		noErr(t, err)
		for i, s := range resp.Sharers {
			if s.Address != seen[i] {
				t.Fatalf("order differs between pages and one list: %v", seen)
			}
		}
	})
	t.Run("sharer", func(t *testing.T) {
		resp, err := f.query.Sharer(f.ctx, &types.QuerySharerRequest{Address: f.addr("s1")})
		noErr(t, err)
		if resp.Sharer.Address != f.addr("s1") {
			t.Errorf("got %s", resp.Sharer.Address)
		}
		_, err = f.query.Sharer(f.ctx, &types.QuerySharerRequest{})
		wantErr(t, err, "name the sharer by its account address")
		_, err = f.query.Sharer(f.ctx, &types.QuerySharerRequest{Address: "q1nope"})
		wantErr(t, err, `sharer: "q1nope" is not a Quantum1Net account address`)
	})
	t.Run("leases", func(t *testing.T) {
		all, err := f.query.Leases(f.ctx, &types.QueryLeasesRequest{})
		noErr(t, err)
		if len(all.Leases) != 3 {
			t.Fatalf("%d leases, want 3", len(all.Leases))
		}
		byService, err := f.query.Leases(f.ctx, &types.QueryLeasesRequest{Service: "hello"})
		noErr(t, err)
		if len(byService.Leases) != 2 {
			t.Errorf("hello has %d leases, want 2", len(byService.Leases))
		}
		holder := byService.Leases[0].Sharer
		bySharer, err := f.query.Leases(f.ctx, &types.QueryLeasesRequest{Sharer: holder})
		noErr(t, err)
		for _, l := range bySharer.Leases {
			if l.Sharer != holder {
				t.Errorf("lease %d of %s listed for %s", l.Id, l.Sharer, holder)
			}
		}
		_, err = f.query.Leases(f.ctx, &types.QueryLeasesRequest{Sharer: holder, Service: "hello"})
		wantErr(t, err, "filter leases by sharer or by service, not both")
		one, err := f.query.Lease(f.ctx, &types.QueryLeaseRequest{Id: byService.Leases[0].Id})
		noErr(t, err)
		if one.Lease.Service != "hello" {
			t.Errorf("lease query: %+v", one.Lease)
		}
		_, err = f.query.Lease(f.ctx, &types.QueryLeaseRequest{})
		wantErr(t, err, "name the lease by its id")
	})
	t.Run("placement", func(t *testing.T) {
		resp := f.placement("hello")
		if len(resp.Leases) != 2 || resp.State.Placed != 2 || resp.State.Explanation == "" || resp.Queued {
			t.Errorf("placement: %+v", resp)
		}
		unknown := f.placement("nothing")
		if len(unknown.Leases) != 0 || unknown.State.Wanted != 0 {
			t.Errorf("placement of an unknown service: %+v", unknown)
		}
	})
	t.Run("params", func(t *testing.T) {
		resp, err := f.query.Params(f.ctx, &types.QueryParamsRequest{})
		noErr(t, err)
		if resp.Params.EpochBlocks != 10 {
			t.Errorf("params: %+v", resp.Params)
		}
	})
}
