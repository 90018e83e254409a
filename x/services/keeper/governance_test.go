package keeper_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/quantum1net/q1/x/services/types"
)

// twoOfThree is a service governed by alice, bob and carol, two of whom
// must approve, with dave as operator and a notice of 5 blocks.
var twoOfThree = spec{owners: []string{"alice", "bob", "carol"}, threshold: 2, operators: []string{"dave"}, notice: 5}

// with returns s changed by fn.
func with(s spec, fn func(*spec)) spec {
	fn(&s)
	return s
}

func TestOnlyOwnersPropose(t *testing.T) {
	f := newFixture(t)
	f.mustCreate("alice", twoOfThree, 1_000_000)
	next := with(twoOfThree, func(s *spec) { s.memory = "128Mi" })

	_, err := f.propose("dave", next)
	wantErr(t, err, f.addr("dave")+": not an owner of service hello (it is an operator: operators may fund, pause, resume and scale, nothing else)")
	if !errors.Is(err, types.ErrUnauthorized) {
		t.Fatalf("error %v is not ErrUnauthorized", err)
	}
	_, err = f.propose("mallory", next)
	wantErr(t, err, f.addr("mallory")+": not an owner of service hello")

	out := f.mustPropose("bob", next)
	if out.ProposalId != 1 || out.Status != types.ProposalPending || out.Approvals != 1 || out.Threshold != 2 ||
		out.ActivationHeight != startHeight+5 || out.Hash != f.hash(f.manifest(next)) {
		t.Fatalf("outcome = %+v", out)
	}
	if ev := f.events(); !slices.Contains(ev, "q1.services.v1.EventProposalSubmitted") || !slices.Contains(ev, "q1.services.v1.EventProposalApproved") {
		t.Fatalf("events = %q", ev)
	}
}

func TestOnePendingProposalAtATime(t *testing.T) {
	f := newFixture(t)
	f.mustCreate("alice", twoOfThree, 2_000_000)
	first := f.mustPropose("alice", with(twoOfThree, func(s *spec) { s.memory = "128Mi" }))

	_, err := f.propose("bob", with(twoOfThree, func(s *spec) { s.memory = "256Mi" }))
	wantErr(t, err, "service hello already has pending proposal 1; cancel it or wait")
	if !errors.Is(err, types.ErrProposalPending) {
		t.Fatalf("error %v is not ErrProposalPending", err)
	}
	_, err = f.withdraw("bob", "hello", 10, "bob")
	wantErr(t, err, "service hello already has pending proposal 1; cancel it or wait")
	_, err = f.del("bob", "hello", "bob")
	wantErr(t, err, "service hello already has pending proposal 1; cancel it or wait")

	noErr(t, f.cancel("bob", "hello", first.ProposalId))
	second, err := f.propose("bob", with(twoOfThree, func(s *spec) { s.memory = "256Mi" }))
	noErr(t, err)
	if second.ProposalId != 2 {
		t.Fatalf("second proposal id = %d, want 2", second.ProposalId)
	}
}

func TestThresholdOfDistinctOwners(t *testing.T) {
	f := newFixture(t)
	f.mustCreate("alice", with(twoOfThree, func(s *spec) { s.notice = 0 }), 1_000_000)
	next := with(twoOfThree, func(s *spec) { s.notice = 0; s.memory = "128Mi" })
	out := f.mustPropose("alice", next)

	_, err := f.approve("alice", "hello", out.ProposalId, out.Hash)
	wantErr(t, err, f.addr("alice")+" already approved proposal 1 of service hello (1 of 2 approvals)")
	if !errors.Is(err, types.ErrAlreadyApproved) {
		t.Fatalf("error %v is not ErrAlreadyApproved", err)
	}
	_, err = f.approve("dave", "hello", out.ProposalId, out.Hash)
	wantErr(t, err, f.addr("dave")+": not an owner of service hello")
	if v := f.service("hello").Service.CurrentVersion; v != 1 {
		t.Fatalf("refused approvals activated version %d", v)
	}

	got := f.mustApprove("carol", "hello", out.ProposalId, out.Hash)
	if got.Status != types.ProposalExecuted || got.Approvals != 2 {
		t.Fatalf("outcome after the second approval = %+v", got)
	}
	cur := f.service("hello").Current
	if cur.Number != 2 || !slices.Equal(cur.Approvers, []string{f.addr("alice"), f.addr("carol")}) {
		t.Fatalf("version 2 = %+v", cur)
	}
}

func TestApprovalNamesIDAndHash(t *testing.T) {
	f := newFixture(t)
	f.mustCreate("alice", twoOfThree, 1_000_000)
	f.mustCreate("alice", with(twoOfThree, func(s *spec) { s.name = "world" }), 1_000_000)
	hello := f.mustPropose("alice", with(twoOfThree, func(s *spec) { s.memory = "128Mi" }))
	world := f.mustPropose("alice", with(twoOfThree, func(s *spec) { s.name = "world"; s.memory = "128Mi" }))

	tests := []struct {
		name string
		svc  string
		id   uint64
		hash string
		want string
		is   error
	}{
		{"wrong hash", "hello", hello.ProposalId, world.Hash,
			"proposal 1 of service hello has hash " + hello.Hash + ", not " + world.Hash, types.ErrHashMismatch},
		{"another service's proposal", "hello", world.ProposalId, world.Hash,
			"proposal 2 belongs to service world, not hello", types.ErrInvalidRequest},
		{"no such proposal", "hello", 99, hello.Hash, "proposal 99 does not exist", types.ErrProposalNotFound},
		{"no hash", "hello", hello.ProposalId, "", "approving proposal 1 of service hello needs its hash", types.ErrInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.approve("bob", tt.svc, tt.id, tt.hash)
			wantErr(t, err, tt.want)
			if !errors.Is(err, tt.is) {
				t.Fatalf("error %v is not %v", err, tt.is)
			}
		})
	}
	if p := f.proposal(hello.ProposalId); len(p.Approvals) != 1 {
		t.Fatalf("refused approvals were counted: %q", p.Approvals)
	}

	// A cancelled proposal cannot be approved, even with its own hash.
	noErr(t, f.cancel("carol", "hello", hello.ProposalId))
	_, err := f.approve("bob", "hello", hello.ProposalId, hello.Hash)
	wantErr(t, err, "proposal 1 of service hello is cancelled (closed at height 10)")
}

func TestProposerApprovalWithThresholdOne(t *testing.T) {
	f := newFixture(t)
	f.mustCreate("alice", spec{}, 1_000_000)
	out := f.mustPropose("alice", spec{memory: "128Mi"})
	if out.Status != types.ProposalExecuted || out.Approvals != 1 || out.Threshold != 1 {
		t.Fatalf("outcome = %+v, want executed at once", out)
	}
	if ev := f.events(); !slices.Contains(ev, "q1.services.v1.EventVersionActivated") {
		t.Fatalf("events = %q", ev)
	}
	if cur := f.service("hello").Current; cur.Number != 2 || cur.ActivatedHeight != startHeight || cur.ProposalId != out.ProposalId {
		t.Fatalf("current = %+v", cur)
	}
}

func TestUnchangedManifestRefused(t *testing.T) {
	f := newFixture(t)
	f.mustCreate("alice", spec{}, 1_000_000)
	_, err := f.propose("alice", spec{})
	wantErr(t, err, "is already version 1 of service hello; nothing to change")
}

func TestFrozenFieldsRefusedAtProposal(t *testing.T) {
	base := spec{frozen: []string{"placement.replicas", "permissions.callers"}}
	tests := []struct {
		name string
		next spec
		want string
	}{
		{"frozen field changes", with(base, func(s *spec) { s.replicas = 3 }),
			"service hello: field placement.replicas is frozen (policies.update.frozen) and cannot change"},
		{"field under a frozen object changes", with(spec{frozen: []string{"placement"}}, func(s *spec) { s.replicasMax = 6 }),
			"service hello: field placement.replicasMax is frozen (policies.update.frozen lists placement) and cannot change"},
		{"frozen list shrinks", with(base, func(s *spec) { s.frozen = []string{"permissions.callers"} }),
			"policies.update.frozen: must still list placement.replicas: the frozen list can only grow"},
		{"name changes", with(base, func(s *spec) { s.name = "other" }),
			"a service's name never changes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			created := base
			if tt.name == "field under a frozen object changes" {
				created = spec{frozen: []string{"placement"}}
			}
			f.mustCreate("alice", created, 1_000_000)
			_, err := f.proposeBytes("alice", "hello", f.manifest(tt.next))
			wantErr(t, err, tt.want)
			if tt.name != "name changes" && !errors.Is(err, types.ErrFrozenField) {
				t.Fatalf("error %v is not ErrFrozenField", err)
			}
			if f.service("hello").Service.PendingProposalId != 0 {
				t.Fatal("a refused proposal is pending")
			}
		})
	}

	t.Run("frozen list grows and unfrozen fields change", func(t *testing.T) {
		f := newFixture(t)
		f.mustCreate("alice", base, 1_000_000)
		next := with(base, func(s *spec) { s.frozen = append(s.frozen, "resources"); s.memory = "128Mi" })
		out := f.mustPropose("alice", next)
		if out.Status != types.ProposalExecuted {
			t.Fatalf("outcome = %+v", out)
		}
		// Now resources is frozen too.
		_, err := f.propose("alice", with(next, func(s *spec) { s.memory = "256Mi" }))
		wantErr(t, err, "field resources.memory is frozen (policies.update.frozen lists resources)")
	})
}

func TestOwnerChangeNeedsOldOwnersThreshold(t *testing.T) {
	f := newFixture(t)
	old := spec{owners: []string{"alice", "bob"}, threshold: 2}
	f.mustCreate("alice", old, 1_000_000)
	next := spec{owners: []string{"carol"}, threshold: 1}
	out := f.mustPropose("alice", next)
	if out.Status != types.ProposalPending || out.Threshold != 2 {
		t.Fatalf("outcome = %+v, want pending with the old threshold 2", out)
	}
	_, err := f.approve("carol", "hello", out.ProposalId, out.Hash)
	wantErr(t, err, f.addr("carol")+": not an owner of service hello")

	if got := f.mustApprove("bob", "hello", out.ProposalId, out.Hash); got.Status != types.ProposalExecuted {
		t.Fatalf("outcome = %+v", got)
	}
	_, err = f.propose("alice", with(next, func(s *spec) { s.memory = "128Mi" }))
	wantErr(t, err, f.addr("alice")+": not an owner of service hello")
	if got := f.mustPropose("carol", with(next, func(s *spec) { s.memory = "128Mi" })); got.Status != types.ProposalExecuted {
		t.Fatalf("the new sole owner's proposal = %+v, want executed", got)
	}
}

func TestCancel(t *testing.T) {
	f := newFixture(t)
	f.mustCreate("alice", twoOfThree, 1_000_000)
	out := f.mustPropose("alice", with(twoOfThree, func(s *spec) { s.memory = "128Mi" }))

	err := f.cancel("dave", "hello", out.ProposalId)
	wantErr(t, err, f.addr("dave")+": not an owner of service hello")
	err = f.cancel("bob", "world", out.ProposalId)
	wantErr(t, err, "service world does not exist")

	// Any owner may cancel before approval: a proposal nobody wants cannot
	// block the service.
	noErr(t, f.cancel("bob", "hello", out.ProposalId))
	p := f.proposal(out.ProposalId)
	if p.Status != types.ProposalCancelled || p.CancelledBy != f.addr("bob") || p.ClosedHeight != startHeight {
		t.Fatalf("cancelled proposal = %+v", p)
	}
	if !slices.Contains(f.events(), "q1.services.v1.EventProposalCancelled") {
		t.Fatalf("events = %q", f.events())
	}
	err = f.cancel("bob", "hello", out.ProposalId)
	wantErr(t, err, "proposal 1 of service hello is cancelled")

	// Once approved, an update is final.
	second := f.mustPropose("alice", with(twoOfThree, func(s *spec) { s.memory = "256Mi" }))
	f.mustApprove("carol", "hello", second.ProposalId, second.Hash)
	err = f.cancel("alice", "hello", second.ProposalId)
	wantErr(t, err, "proposal 2 of service hello was approved at height 10 and activates at height 15; it can no longer be cancelled")
	if !errors.Is(err, types.ErrProposalClosed) {
		t.Fatalf("error %v is not ErrProposalClosed", err)
	}
}

func TestPendingChangeVisibleToAll(t *testing.T) {
	f := newFixture(t)
	f.mustCreate("alice", twoOfThree, 1_000_000)
	next := with(twoOfThree, func(s *spec) { s.memory = "128Mi" })
	out := f.mustPropose("alice", next)
	f.mustApprove("bob", "hello", out.ProposalId, out.Hash)

	got := f.service("hello")
	p := got.Pending
	if p == nil {
		t.Fatal("the service shows no pending proposal")
	}
	if p.Id != out.ProposalId || p.Kind != types.KindUpdate || p.Hash != out.Hash ||
		!slices.Equal(p.Approvals, []string{f.addr("alice"), f.addr("bob")}) ||
		p.ApprovedHeight != startHeight || p.ActivationHeight != startHeight+5 || string(p.Manifest) != string(f.manifest(next)) {
		t.Fatalf("pending = %+v", p)
	}
	if got.Current.Number != 1 {
		t.Fatalf("current version = %d before activation", got.Current.Number)
	}
}
