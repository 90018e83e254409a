package keeper_test

import (
	"context"
	"testing"

	"cosmossdk.io/math"

	"github.com/quantum1net/q1/x/services/types"
)

// FuzzMsgServer feeds the services module's msg handlers messages decoded
// from arbitrary bytes, against a store holding one live service, as a
// hostile sender's transactions would arrive. A handler must never panic,
// must refuse with an error that says something, and must leave the
// module's escrow account equal to the sum of its escrow records.
//
//	go test -run '^$' -fuzz FuzzMsgServer -fuzztime 60s ./x/services/keeper
func FuzzMsgServer(f *testing.F) {
	seed := func(kind byte, m interface{ Marshal() ([]byte, error) }) {
		b, err := m.Marshal()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(kind, b)
	}
	seed(0, &types.MsgCreateService{Creator: "q11", Manifest: []byte("{}"), Deposit: math.NewInt(1)})
	seed(1, &types.MsgProposeUpdate{Name: "hello"})
	seed(2, &types.MsgApproveProposal{ProposalId: 1, Hash: "sha256:00"})
	seed(3, &types.MsgPauseService{Name: "hello"})
	seed(5, &types.MsgFundEscrow{Name: "hello", Amount: math.NewInt(-5)})
	seed(6, &types.MsgWithdrawEscrow{Name: "hello", Amount: math.NewInt(1 << 62)})
	seed(7, &types.MsgScaleService{Name: "hello", Replicas: 1 << 31})
	f.Fuzz(func(t *testing.T, kind byte, data []byte) {
		fx := newFixture(t)
		fx.mustCreate("alice", spec{name: "hello", owners: []string{"alice"}, memory: "64Mi"}, 1_000_000)
		var err error
		run := func(m interface{ Unmarshal([]byte) error }, call func(ctx context.Context) error) {
			if m.Unmarshal(data) != nil {
				return // not a message of this kind: the SDK's decoder refuses it first
			}
			err = fx.tx(call)
		}
		switch kind % 8 {
		case 0:
			m := &types.MsgCreateService{}
			run(m, func(ctx context.Context) error { _, e := fx.msgs.CreateService(ctx, m); return e })
		case 1:
			m := &types.MsgProposeUpdate{}
			run(m, func(ctx context.Context) error { _, e := fx.msgs.ProposeUpdate(ctx, m); return e })
		case 2:
			m := &types.MsgApproveProposal{}
			run(m, func(ctx context.Context) error { _, e := fx.msgs.ApproveProposal(ctx, m); return e })
		case 3:
			m := &types.MsgPauseService{}
			run(m, func(ctx context.Context) error { _, e := fx.msgs.PauseService(ctx, m); return e })
		case 4:
			m := &types.MsgDeleteService{}
			run(m, func(ctx context.Context) error { _, e := fx.msgs.DeleteService(ctx, m); return e })
		case 5:
			m := &types.MsgFundEscrow{}
			run(m, func(ctx context.Context) error { _, e := fx.msgs.FundEscrow(ctx, m); return e })
		case 6:
			m := &types.MsgWithdrawEscrow{}
			run(m, func(ctx context.Context) error { _, e := fx.msgs.WithdrawEscrow(ctx, m); return e })
		case 7:
			m := &types.MsgScaleService{}
			run(m, func(ctx context.Context) error { _, e := fx.msgs.ScaleService(ctx, m); return e })
		}
		if err != nil && err.Error() == "" {
			t.Fatalf("a refusal without a message (kind %d)", kind%8)
		}
		sum, _, serr := fx.k.SumEscrows(fx.ctx)
		if serr != nil {
			t.Fatal(serr)
		}
		if got := fx.moduleBalance(); !sum.Equal(math.NewInt(got)) {
			t.Fatalf("escrow account holds %d uqc, escrow records sum to %d (kind %d)", got, sum, kind%8)
		}
	})
}
