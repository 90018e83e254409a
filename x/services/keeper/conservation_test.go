package keeper_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"cosmossdk.io/math"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/quantum1net/q1/x/services/types"
)

// TestEscrowConservation runs random sequences of every msg that moves
// money (and some that do not), refused ones included, and checks after
// each step that the module account holds exactly the sum of the escrow
// records and that no coin was created or destroyed.
func TestEscrowConservation(t *testing.T) {
	succeeded := map[int]int{}
	for seed := uint64(1); seed <= 8; seed++ {
		t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) {
			f := newFixture(t)
			rng := rand.New(rand.NewPCG(seed, 42))
			people := []string{"alice", "bob", "carol", "dave", "erin"}
			names := []string{"s0", "s1", "s2", "s3"}
			for _, p := range people {
				f.addr(p)
			}
			f.addr("sharer")
			supply := f.bank.total(denom)
			pick := func(list []string) string { return list[rng.IntN(len(list))] }
			pending := map[string]types.ProposalOutcome{}

			for step := 0; step < 300; step++ {
				name, who := pick(names), pick(people)
				amount := int64(rng.IntN(3_000_000))
				var err error
				op := rng.IntN(9)
				switch op {
				case 0:
					other := people[(rng.IntN(len(people)-1)+1+indexOf(people, who))%len(people)]
					_, err = f.create(who, spec{name: name, owners: []string{who, other}, threshold: uint32(1 + rng.IntN(2))}, amount)
				case 1:
					err = f.fund(who, name, amount)
				case 2:
					var out types.ProposalOutcome
					if out, err = f.withdraw(who, name, amount, pick(people)); err == nil {
						pending[name] = out
					}
				case 3:
					var out types.ProposalOutcome
					if out, err = f.del(who, name, pick(people)); err == nil {
						pending[name] = out
					}
				case 4:
					if out, ok := pending[name]; ok {
						_, err = f.approve(who, name, out.ProposalId, out.Hash)
					}
				case 5:
					if out, ok := pending[name]; ok {
						err = f.cancel(who, name, out.ProposalId)
					}
				case 6:
					err = f.tx(func(ctx context.Context) error {
						return f.k.PayFromEscrowToAccount(ctx, name, f.raw("sharer"), math.NewInt(amount))
					})
				case 7:
					err = f.tx(func(ctx context.Context) error {
						return f.k.PayFromEscrowToModule(ctx, name, authtypes.FeeCollectorName, math.NewInt(amount))
					})
				case 8:
					f.endBlock()
				}
				if err == nil {
					succeeded[op]++
				}
				f.checkConservation()
				if got := f.bank.total(denom); !got.Equal(supply) {
					t.Fatalf("step %d: supply %s, want %s", step, got, supply)
				}
			}
		})
	}
	for _, op := range []int{0, 1, 2, 3, 4, 5, 6, 7} {
		if succeeded[op] == 0 {
			t.Errorf("operation %d never succeeded: the sequences test only its refusals", op)
		}
	}
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}
