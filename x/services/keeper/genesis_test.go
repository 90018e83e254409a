package keeper_test

import (
	"bytes"
	"strings"
	"testing"

	"cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/quantum1net/q1/x/services/types"
)

// busyState builds a state with a service of every kind: one with an
// approved update waiting for activation, one paused, one deleted, one with
// a withdrawal waiting for approval, one scaled.
func busyState(t *testing.T) *fixture {
	f := newFixture(t)
	f.mustCreate("alice", twoOfThree, 2_000_000)
	out := f.mustPropose("alice", with(twoOfThree, func(s *spec) { s.memory = "128Mi" }))
	f.mustApprove("bob", "hello", out.ProposalId, out.Hash) // activates at 15

	f.mustCreate("alice", spec{name: "paused"}, 1_000_000)
	noErr(t, f.pause("alice", "paused"))
	f.mustCreate("alice", spec{name: "gone"}, 1_500_000)
	_, err := f.del("alice", "gone", "alice")
	noErr(t, err)
	f.mustCreate("alice", with(twoOfThree, func(s *spec) { s.name = "wd" }), 3_000_000)
	_, err = f.withdraw("alice", "wd", 500, "carol")
	noErr(t, err)
	f.mustCreate("alice", spec{name: "scaled", operators: []string{"dave"}}, 1_000_000)
	_, err = f.scale("dave", "scaled", 4)
	noErr(t, err)
	f.endBlock()
	return f
}

func TestGenesisRoundTrip(t *testing.T) {
	f := busyState(t)
	exported, err := f.k.ExportGenesis(f.ctx)
	noErr(t, err)
	noErr(t, exported.Validate())
	js := f.cdc.MustMarshalJSON(exported)

	g := newEmptyFixture(t)
	g.ctx = g.ctx.WithBlockHeight(f.ctx.BlockHeight())
	g.bank.mint(authtypes.NewModuleAddress(types.ModuleName), sdk.NewCoins(sdk.NewInt64Coin(denom, f.moduleBalance())))
	var imported types.GenesisState
	g.cdc.MustUnmarshalJSON(js, &imported)
	noErr(t, g.k.InitGenesis(g.ctx, &imported))
	again, err := g.k.ExportGenesis(g.ctx)
	noErr(t, err)
	if js2 := g.cdc.MustMarshalJSON(again); !bytes.Equal(js, js2) {
		t.Fatalf("export after import differs:\n%s\n%s", js, js2)
	}
	g.checkConservation()

	// The activation queue was rebuilt: hello's update activates at 15.
	for g.ctx.BlockHeight() <= startHeight+5 {
		g.endBlock()
	}
	if v := g.service("hello").Current.Number; v != 2 {
		t.Fatalf("hello is at version %d after its activation height", v)
	}
	// Proposal ids continue.
	out, err := g.propose("alice", spec{name: "paused", memory: "128Mi"})
	noErr(t, err)
	if out.ProposalId != exported.NextProposalId {
		t.Fatalf("next proposal id = %d, want %d", out.ProposalId, exported.NextProposalId)
	}
}

func TestDefaultGenesisValidates(t *testing.T) {
	noErr(t, types.DefaultGenesis().Validate())
}

func TestInitGenesisRefusesBalanceMismatch(t *testing.T) {
	f := busyState(t)
	exported, err := f.k.ExportGenesis(f.ctx)
	noErr(t, err)
	g := newEmptyFixture(t)
	g.bank.mint(authtypes.NewModuleAddress(types.ModuleName), sdk.NewCoins(sdk.NewInt64Coin(denom, 7)))
	err = g.k.InitGenesis(g.ctx, exported)
	wantErr(t, err, "the services module account holds 7uqc but the escrows add up to")
}

func TestGenesisValidateRefuses(t *testing.T) {
	f := busyState(t)
	tests := []struct {
		name   string
		mutate func(gs *types.GenesisState)
		want   string
	}{
		{"service listed twice", func(gs *types.GenesisState) { gs.Services = append(gs.Services, gs.Services[0]) },
			"is listed twice"},
		{"version missing", func(gs *types.GenesisState) { gs.Versions = gs.Versions[1:] },
			"current_version is"},
		{"hash does not match", func(gs *types.GenesisState) { gs.Versions[0].Hash = "sha256:00" },
			"has hash sha256:00 recorded but its manifest hashes to"},
		{"manifest of another service", func(gs *types.GenesisState) {
			gs.Versions[0].Manifest, gs.Versions[0].Hash = gs.Versions[len(gs.Versions)-1].Manifest, gs.Versions[len(gs.Versions)-1].Hash
		}, "holds the manifest of"},
		{"escrow missing", func(gs *types.GenesisState) { gs.Escrows = gs.Escrows[1:] },
			"every service needs exactly one"},
		{"negative escrow", func(gs *types.GenesisState) { gs.Escrows[0].Balance = math.NewInt(-1) },
			"negative or missing balance"},
		{"pending id wrong", func(gs *types.GenesisState) {
			for i := range gs.Services {
				if gs.Services[i].Name == "scaled" {
					gs.Services[i].PendingProposalId = 99
				}
			}
		}, "service scaled: pending_proposal_id is 99 but its pending proposal is 0"},
		{"proposal id beyond next", func(gs *types.GenesisState) { gs.NextProposalId = 1 },
			"must be between 1 and next_proposal_id-1"},
		{"paused without reason", func(gs *types.GenesisState) {
			for i := range gs.Services {
				if gs.Services[i].Status == types.StatusPaused {
					gs.Services[i].Pause = nil
				}
			}
		}, "paused without a pause reason"},
		{"bad denom", func(gs *types.GenesisState) { gs.Params.Denom = "" }, "params.denom"},
		{"spec missing", func(gs *types.GenesisState) { gs.Specs = gs.Specs[1:] }, "has no spec (list it in specs)"},
		{"spec listed twice", func(gs *types.GenesisState) { gs.Specs = append(gs.Specs, gs.Specs[0]) }, "has two specs"},
		{"spec of no version", func(gs *types.GenesisState) {
			extra := gs.Specs[0]
			extra.Version = 99
			gs.Specs = append(gs.Specs, extra)
		}, "specs: 7 specs for 6 versions"},
		{"spec differs from the bytes", func(gs *types.GenesisState) { gs.Specs[0].Spec.Resources.MemoryBytes++ },
			"holds the manifest of another spec: spec of gone does not encode to its manifest bytes"},
		{"spec of an unknown rules version", func(gs *types.GenesisState) { gs.Specs[0].Spec.RulesVersion = types.SpecRulesVersion + 1 },
			"has rules version 2; this release knows 1 to 1"},
		{"update proposal without its spec", func(gs *types.GenesisState) {
			for i := range gs.Proposals {
				if gs.Proposals[i].Kind == types.KindUpdate {
					gs.Proposals[i].Spec = nil
				}
			}
		}, "has no spec of its manifest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gs, err := f.k.ExportGenesis(f.ctx)
			noErr(t, err)
			tt.mutate(gs)
			err = gs.Validate()
			wantErr(t, err, tt.want)
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error spans lines: %q", err)
			}
		})
	}
}
