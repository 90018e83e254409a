package keeper_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/quantum1net/q1/core/manifest"
	"github.com/quantum1net/q1/x/services/types"
)

func TestPauseAndResume(t *testing.T) {
	tests := []struct {
		name       string
		pauser     string
		wantReason types.PauseReason
		resumer    string
	}{
		{"owner pauses, operator resumes", "bob", types.PauseReasonOwner, "dave"},
		{"operator pauses, owner resumes", "dave", types.PauseReasonOperator, "carol"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.mustCreate("alice", twoOfThree, 1_000_000)
			f.hooks.calls = nil

			wantErr(t, f.pause("mallory", "hello"), f.addr("mallory")+": neither an owner nor an operator of service hello")
			noErr(t, f.pause(tt.pauser, "hello"))
			svc := f.service("hello").Service
			if svc.Status != types.StatusPaused || svc.Pause == nil || svc.Pause.Reason != tt.wantReason ||
				svc.Pause.By != f.addr(tt.pauser) || svc.Pause.Height != startHeight {
				t.Fatalf("paused service = %+v (pause %+v)", svc, svc.Pause)
			}
			if !slices.Contains(f.events(), "q1.services.v1.EventServicePaused") {
				t.Fatalf("events = %q", f.events())
			}
			err := f.pause("alice", "hello")
			wantErr(t, err, "service hello is already paused (by "+tt.wantReason.Label()+" "+f.addr(tt.pauser)+" at height 10)")
			if !errors.Is(err, types.ErrWrongStatus) {
				t.Fatalf("error %v is not ErrWrongStatus", err)
			}

			wantErr(t, f.resume("mallory", "hello"), f.addr("mallory")+": neither an owner nor an operator of service hello")
			noErr(t, f.resume(tt.resumer, "hello"))
			svc = f.service("hello").Service
			if svc.Status != types.StatusActive || svc.Pause != nil {
				t.Fatalf("resumed service = %+v", svc)
			}
			wantErr(t, f.resume(tt.resumer, "hello"), "service hello is not paused")
			want := []string{"paused hello by " + tt.wantReason.Label(), "resumed hello"}
			if !slices.Equal(f.hooks.calls, want) {
				t.Fatalf("hooks = %q, want %q", f.hooks.calls, want)
			}
		})
	}
}

func TestDepletionPauseIsNotResumedByHand(t *testing.T) {
	f := newFixture(t)
	f.mustCreate("alice", twoOfThree, 1_000_000)
	svc, err := f.k.GetService(f.ctx, "hello")
	noErr(t, err)
	svc.Status = types.StatusPaused
	svc.Pause = &types.Pause{Reason: types.PauseReasonDepletion, Height: startHeight}
	noErr(t, f.k.Services.Set(f.ctx, "hello", svc))

	err = f.resume("alice", "hello")
	wantErr(t, err, "service hello was paused because its escrow ran dry; a deposit covering policies.budget.lowBalanceBlocks resumes it")
	wantErr(t, f.pause("alice", "hello"), "service hello is already paused (by escrow depletion at height 10)")
}

func TestScale(t *testing.T) {
	f := newFixture(t)
	f.mustCreate("alice", twoOfThree, 1_000_000) // replicas 2, replicasMax 5
	f.hooks.calls = nil

	resp, err := f.scale("dave", "hello", 4)
	noErr(t, err)
	got := f.service("hello")
	cur := got.Current
	m, err := manifest.ParseCanonical(cur.Manifest)
	noErr(t, err)
	if cur.Number != 2 || resp.Version != 2 || cur.Origin != types.OriginScale || cur.Proposer != f.addr("dave") ||
		!slices.Equal(cur.Approvers, []string{f.addr("dave")}) || cur.ActivatedHeight != startHeight || cur.Hash != m.Hash() ||
		resp.Hash != cur.Hash || m.Placement.Replicas != 4 {
		t.Fatalf("version 2 = %+v (replicas %d)", cur, m.Placement.Replicas)
	}
	v1, err := f.k.GetVersion(f.ctx, "hello", 1)
	noErr(t, err)
	old, err := manifest.ParseCanonical(v1.Manifest)
	noErr(t, err)
	if changed := manifest.ChangedPaths(old, m); !slices.Equal(changed, []string{"placement", "placement.replicas"}) {
		t.Fatalf("scaling changed %q", changed)
	}
	if !slices.Equal(f.hooks.calls, []string{"scaled hello 2->4"}) {
		t.Fatalf("hooks = %q", f.hooks.calls)
	}
	if !slices.Contains(f.events(), "q1.services.v1.EventServiceScaled") {
		t.Fatalf("events = %q", f.events())
	}
	if _, err := f.scale("alice", "hello", 1); err != nil {
		t.Fatalf("an owner scaling: %v", err)
	}

	refused := []struct {
		name     string
		signer   string
		replicas uint32
		want     string
		is       error
	}{
		{"above replicasMax", "dave", 6, "service hello: placement.replicas must be between 1 and placement.replicasMax (5), got 6", types.ErrInvalidReplicas},
		{"zero", "dave", 0, "got 0", types.ErrInvalidReplicas},
		{"unchanged", "dave", 1, "service hello already runs 1 replicas", types.ErrInvalidReplicas},
		{"stranger", "mallory", 3, f.addr("mallory") + ": neither an owner nor an operator of service hello", types.ErrUnauthorized},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.scale(tt.signer, "hello", tt.replicas)
			wantErr(t, err, tt.want)
			if !errors.Is(err, tt.is) {
				t.Fatalf("error %v is not %v", err, tt.is)
			}
		})
	}
	if v := f.service("hello").Current.Number; v != 3 {
		t.Fatalf("refused scales changed the version to %d", v)
	}
}

func TestScaleFrozenReplicasRefused(t *testing.T) {
	f := newFixture(t)
	f.mustCreate("alice", spec{operators: []string{"dave"}, frozen: []string{"placement.replicas"}}, 1_000_000)
	_, err := f.scale("dave", "hello", 3)
	wantErr(t, err, "service hello: field placement.replicas is frozen (policies.update.frozen) and cannot change")
	if !errors.Is(err, types.ErrFrozenField) {
		t.Fatalf("error %v is not ErrFrozenField", err)
	}
}

func TestOperatorsNeverMoveMoneyOrGovern(t *testing.T) {
	f := newFixture(t)
	f.mustCreate("alice", twoOfThree, 1_000_000)
	_, err := f.withdraw("dave", "hello", 1, "dave")
	wantErr(t, err, "not an owner of service hello (it is an operator")
	_, err = f.del("dave", "hello", "dave")
	wantErr(t, err, "not an owner of service hello (it is an operator")
	_, err = f.propose("dave", with(twoOfThree, func(s *spec) { s.replicas = 3 }))
	wantErr(t, err, "not an owner of service hello (it is an operator")
	out := f.mustPropose("alice", with(twoOfThree, func(s *spec) { s.memory = "128Mi" }))
	_, err = f.approve("dave", "hello", out.ProposalId, out.Hash)
	wantErr(t, err, "not an owner of service hello (it is an operator")
	wantErr(t, f.cancel("dave", "hello", out.ProposalId), "not an owner of service hello (it is an operator")
	noErr(t, f.fund("dave", "hello", 5))
}

func TestHistoryKeepsEveryVersion(t *testing.T) {
	f := newFixture(t)
	f.mustCreate("alice", spec{operators: []string{"dave"}}, 1_000_000)
	_, err := f.scale("dave", "hello", 3)
	noErr(t, err)
	f.endBlock()
	f.mustPropose("alice", spec{operators: []string{"dave"}, replicas: 3, memory: "128Mi"})

	resp, err := f.query.History(f.ctx, &types.QueryHistoryRequest{Name: "hello"})
	noErr(t, err)
	var origins []types.VersionOrigin
	for i, v := range resp.Versions {
		if v.Number != uint64(i+1) || v.Service != "hello" || len(v.Manifest) == 0 || v.Hash == "" {
			t.Fatalf("version %d = %+v", i+1, v)
		}
		origins = append(origins, v.Origin)
	}
	want := []types.VersionOrigin{types.OriginCreate, types.OriginScale, types.OriginUpdate}
	if !slices.Equal(origins, want) {
		t.Fatalf("origins = %v, want %v", origins, want)
	}
	if resp.Versions[2].ProposedHeight != startHeight+1 || resp.Versions[2].ProposalId != 1 {
		t.Fatalf("version 3 = %+v", resp.Versions[2])
	}
}
