package keeper_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"cosmossdk.io/math"
	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/quantum1net/q1/x/services/types"
)

func TestServicesPaginatedInNameOrder(t *testing.T) {
	f := newFixture(t)
	for _, name := range []string{"delta", "alpha", "charlie", "bravo", "echo"} {
		f.mustCreate("alice", spec{name: name}, 1_000_000)
	}
	var names []string
	var key []byte
	for page := 0; ; page++ {
		resp, err := f.query.Services(f.ctx, &types.QueryServicesRequest{Pagination: &query.PageRequest{Key: key, Limit: 2}})
		noErr(t, err)
		for _, s := range resp.Services {
			names = append(names, s.Name)
		}
		if key = resp.Pagination.NextKey; key == nil {
			break
		}
		if page > 5 {
			t.Fatal("pagination does not end")
		}
	}
	if want := []string{"alpha", "bravo", "charlie", "delta", "echo"}; !slices.Equal(names, want) {
		t.Fatalf("services = %q, want %q", names, want)
	}
}

func TestQueries(t *testing.T) {
	f := newFixture(t)
	f.mustCreate("alice", twoOfThree, 1_000_000)
	out := f.mustPropose("alice", with(twoOfThree, func(s *spec) { s.memory = "128Mi" }))

	p, err := f.query.Proposal(f.ctx, &types.QueryProposalRequest{Id: out.ProposalId})
	noErr(t, err)
	if p.Proposal.Hash != out.Hash || p.Proposal.Service != "hello" {
		t.Fatalf("proposal = %+v", p.Proposal)
	}
	params, err := f.query.Params(f.ctx, &types.QueryParamsRequest{})
	noErr(t, err)
	if params.Params.Denom != denom || !params.Params.MinDeposit.Equal(math.NewInt(1_000_000)) {
		t.Fatalf("params = %+v", params.Params)
	}

	_, err = f.query.Service(f.ctx, &types.QueryServiceRequest{Name: "nope"})
	wantErr(t, err, "service nope does not exist")
	if !errors.Is(err, types.ErrServiceNotFound) {
		t.Fatalf("error %v is not ErrServiceNotFound", err)
	}
	_, err = f.query.Proposal(f.ctx, &types.QueryProposalRequest{Id: 42})
	wantErr(t, err, "proposal 42 does not exist")
	_, err = f.query.History(f.ctx, &types.QueryHistoryRequest{Name: "nope"})
	wantErr(t, err, "service nope does not exist")
	_, err = f.query.Service(f.ctx, &types.QueryServiceRequest{})
	wantErr(t, err, "name the service")
}

func TestUpdateParams(t *testing.T) {
	f := newFixture(t)
	gov := f.k.Authority()
	newParams := types.Params{Denom: denom, MinDeposit: math.NewInt(5)}
	run := func(msg *types.MsgUpdateParams) error {
		return f.tx(func(ctx context.Context) error {
			_, err := f.msgs.UpdateParams(ctx, msg)
			return err
		})
	}

	err := run(&types.MsgUpdateParams{Authority: f.addr("alice"), Params: newParams})
	wantErr(t, err, f.addr("alice")+": not the authority ("+gov+"); the parameters change only through governance")
	err = run(&types.MsgUpdateParams{Authority: gov, Params: types.Params{Denom: denom, MinDeposit: math.NewInt(-1)}})
	wantErr(t, err, "params.min_deposit: must be zero or more, got -1")
	noErr(t, run(&types.MsgUpdateParams{Authority: gov, Params: newParams}))
	got, err := f.k.GetParams(f.ctx)
	noErr(t, err)
	if !got.MinDeposit.Equal(math.NewInt(5)) {
		t.Fatalf("params = %+v", got)
	}

	// Once escrows exist the denomination is fixed.
	f.mustCreate("alice", spec{}, 5)
	err = run(&types.MsgUpdateParams{Authority: gov, Params: types.Params{Denom: "stake", MinDeposit: math.NewInt(5)}})
	wantErr(t, err, "params.denom cannot change from uqc to stake: escrows are held in uqc")
}
