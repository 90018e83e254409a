package e2e

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	sdkmath "cosmossdk.io/math"
	"github.com/cometbft/cometbft/privval"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	cmttypes "github.com/cometbft/cometbft/types"
)

// TestDoubleSignSlashed crafts DuplicateVoteEvidence for a devnet
// validator — two prevotes for different blocks at one height, signed with
// its consensus key — submits it with broadcast_evidence, and checks the
// SDK's evidence and slashing modules jail, slash and tombstone it while
// the chain goes on.
func TestDoubleSignSlashed(t *testing.T) {
	tn := startTestnet(t, netOptions{nodes: 4})
	victim := tn.net.Nodes[3]
	tn.waitAllHeight(5, time.Minute)
	ctx := context.Background()
	rpc := tn.clients[0].RPC

	pv := privval.LoadFilePV(filepath.Join(victim.Home, "config", "priv_validator_key.json"),
		filepath.Join(victim.Home, "data", "priv_validator_state.json"))
	h := tn.maxHeight() - 2
	vals, err := rpc.Validators(ctx, &h, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	valSet := cmttypes.NewValidatorSet(vals.Validators)
	idx, _ := valSet.GetByAddress(pv.GetAddress())
	if idx < 0 {
		t.Fatalf("validator %s is not in the set at height %d", pv.GetAddress(), h)
	}
	block, err := rpc.Block(ctx, &h)
	if err != nil {
		t.Fatal(err)
	}
	vote := func(fill byte) *cmttypes.Vote {
		hash := bytes.Repeat([]byte{fill}, 32)
		v := &cmttypes.Vote{
			Type: cmtproto.PrevoteType, Height: h, Round: 0,
			BlockID:          cmttypes.BlockID{Hash: hash, PartSetHeader: cmttypes.PartSetHeader{Total: 1, Hash: hash}},
			Timestamp:        block.Block.Time,
			ValidatorAddress: pv.GetAddress(),
			ValidatorIndex:   idx,
		}
		sig, err := pv.Key.PrivKey.Sign(cmttypes.VoteSignBytes(tn.net.ChainID, v.ToProto()))
		if err != nil {
			t.Fatal(err)
		}
		v.Signature = sig
		return v
	}
	ev, err := cmttypes.NewDuplicateVoteEvidence(vote(0xaa), vote(0xbb), block.Block.Time, valSet)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rpc.BroadcastEvidence(ctx, ev); err != nil {
		t.Fatalf("broadcast_evidence: %v", err)
	}
	t.Logf("submitted duplicate-vote evidence against %s at height %d", victim.Name, h)

	q1 := func(args ...string) (string, string, int) {
		return runQ1(t, append(args, "--home", victim.Home)...)
	}
	v := waitValidator(t, q1, func(v validatorStatus) bool { return v.Jailed && v.Tombstoned })
	tokens, _ := sdkmath.NewIntFromString(v.Tokens)
	// 5% of the 100,000 QC self-stake is slashed (the SDK's default slash_fraction_double_sign).
	if want := sdkmath.NewInt(95_000_000_000); !tokens.Equal(want) {
		t.Fatalf("after double signing the validator has %s uqc staked, want %s", tokens, want)
	}
	if v.Status == "bonded" || v.VotingPower != 0 {
		t.Fatalf("a tombstoned validator is still in the active set: %+v", v)
	}
	// The other three (75% of the power) keep the chain going.
	now := tn.maxHeight()
	tn.waitAllHeight(now+5, time.Minute)
	// The burn shows in the supply: genesis − burned = total.
	s := apiSupply(t, tn.net.Nodes[0].HTTP)
	checkSupplyBreakdown(t, s)
	if s.Burned != "5000000000" {
		t.Fatalf("GET /v1/supply says %s uqc burned, want the 5000000000 slashed", s.Burned)
	}
}
