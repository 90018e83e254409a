package keeper_test

import (
	"errors"
	"slices"
	"testing"

	"cosmossdk.io/math"

	"github.com/quantum1net/q1/x/services/types"
)

func TestCreateService(t *testing.T) {
	f := newFixture(t)
	f.addr("alice")
	before := f.balance("alice")
	resp, err := f.create("alice", spec{owners: []string{"alice", "bob"}, threshold: 2}, 5_000_000)
	noErr(t, err)

	got := f.service("hello")
	if got.Service.Status != types.StatusActive || got.Service.CurrentVersion != 1 || got.Service.Creator != f.addr("alice") ||
		got.Service.CreatedHeight != startHeight || got.Pending != nil {
		t.Fatalf("service record = %+v, pending %v", got.Service, got.Pending)
	}
	v := got.Current
	if v.Number != 1 || v.Hash != resp.Hash || v.Origin != types.OriginCreate || v.Proposer != f.addr("alice") ||
		!slices.Equal(v.Approvers, []string{f.addr("alice")}) || v.ActivatedHeight != startHeight {
		t.Fatalf("version 1 = %+v", v)
	}
	if !got.Escrow.Balance.Equal(math.NewInt(5_000_000)) {
		t.Fatalf("escrow = %s, want 5000000", got.Escrow.Balance)
	}
	if f.balance("alice") != before-5_000_000 || f.moduleBalance() != 5_000_000 {
		t.Fatalf("alice holds %d (had %d), module %d", f.balance("alice"), before, f.moduleBalance())
	}
	if !slices.Equal(f.hooks.calls, []string{"created hello replicas=2"}) {
		t.Fatalf("hooks = %q", f.hooks.calls)
	}
	if !slices.Contains(f.events(), "q1.services.v1.EventServiceCreated") {
		t.Fatalf("events = %q", f.events())
	}
	f.checkConservation()
}

func TestCreateServiceRefused(t *testing.T) {
	f := newFixture(t)
	f.mustCreate("alice", spec{name: "taken"}, 1_000_000)
	valid := f.manifest(spec{})
	notCanonical := append([]byte(" "), valid...)
	noWasm := []byte(`{"apiVersion":"q1/v1","name":"hello"}`)

	tests := []struct {
		name     string
		msg      types.MsgCreateService
		wantIs   error
		wantText []string
	}{
		{"creator is not an owner",
			types.MsgCreateService{Creator: f.addr("mallory"), Manifest: valid, Deposit: math.NewInt(1_000_000)},
			types.ErrUnauthorized, []string{f.addr("mallory") + ": not an owner of service hello", "permissions.owners.accounts"}},
		{"deposit below the minimum",
			types.MsgCreateService{Creator: f.addr("alice"), Manifest: valid, Deposit: math.NewInt(10)},
			types.ErrDepositTooSmall, []string{"deposit 10uqc is below the minimum of 1000000uqc"}},
		{"manifest not canonical",
			types.MsgCreateService{Creator: f.addr("alice"), Manifest: notCanonical, Deposit: math.NewInt(1_000_000)},
			types.ErrInvalidManifest, []string{"not in canonical form", "differs from its canonical encoding at byte 0"}},
		{"manifest invalid",
			types.MsgCreateService{Creator: f.addr("alice"), Manifest: noWasm, Deposit: math.NewInt(1_000_000)},
			types.ErrInvalidManifest, []string{"permissions: is required", "code.wasm"}},
		{"empty manifest",
			types.MsgCreateService{Creator: f.addr("alice"), Deposit: math.NewInt(1_000_000)},
			types.ErrInvalidManifest, []string{"manifest is empty"}},
		{"bad creator address",
			types.MsgCreateService{Creator: "cosmos1xyz", Manifest: valid, Deposit: math.NewInt(1_000_000)},
			types.ErrInvalidAddress, []string{`creator: "cosmos1xyz" is not a Quantum1Net account address`}},
		{"name taken by a live service",
			types.MsgCreateService{Creator: f.addr("alice"), Manifest: f.manifest(spec{name: "taken"}), Deposit: math.NewInt(1_000_000)},
			types.ErrNameTaken, []string{"name taken is taken by an existing service (created at height 10); names are never reused"}},
		{"creator cannot pay",
			types.MsgCreateService{Creator: f.addr("alice"), Manifest: valid, Deposit: math.NewInt(1_000_000_000)},
			nil, []string{"deposit 1000000000uqc into the escrow of service hello", "insufficient funds"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.createMsg(&tt.msg)
			wantErr(t, err, tt.wantText...)
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Fatalf("error %v is not %v", err, tt.wantIs)
			}
		})
	}
	if _, err := f.k.GetService(f.ctx, "hello"); !errors.Is(err, types.ErrServiceNotFound) {
		t.Fatalf("a refused create left service hello behind: %v", err)
	}
}
