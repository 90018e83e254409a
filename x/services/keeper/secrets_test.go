package keeper_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/quantum1net/q1/x/services/types"
)

// leaseTable is a fake x/sharers: which sharers hold a lease of which
// service.
type leaseTable map[string]map[string]bool

func (l leaseTable) HoldsLease(_ context.Context, service, sharer string) (bool, error) {
	return l[service][sharer], nil
}

// secretsFixture has service "vault" granting secrets, owned by alice with
// writer wendy and operator oscar, leased by node1 and node2; "plain"
// grants no secrets.
func secretsFixture(t *testing.T) (*fixture, leaseTable) {
	f := newFixture(t)
	leases := leaseTable{}
	f.k.SetLeaseHolders(leases)
	f.mustCreate("alice", spec{name: "vault", operators: []string{"oscar"},
		perms: "  capabilities: {secrets: {}}\n  secretWriters: [" + f.addr("wendy") + "]\n"}, 10_000_000)
	f.mustCreate("alice", spec{name: "named", perms: "  capabilities: {secrets: {names: [API_KEY]}}\n"}, 10_000_000)
	f.mustCreate("alice", spec{name: "plain"}, 10_000_000)
	leases["vault"] = map[string]bool{f.addr("node1"): true, f.addr("node2"): true}
	leases["named"] = map[string]bool{f.addr("node1"): true}
	leases["plain"] = map[string]bool{f.addr("node1"): true}
	return f, leases
}

func wrapBytes(b byte) []byte { return bytes.Repeat([]byte{b}, types.SecretWrapSize) }

func (f *fixture) setSecretMsg(sender, service, key string, version uint64, nodes ...string) *types.MsgSetSecret {
	msg := &types.MsgSetSecret{Sender: f.addr(sender), Service: service, Key: key, Version: version,
		Ciphertext: bytes.Repeat([]byte{7}, 40)}
	for i, n := range nodes {
		msg.Wraps = append(msg.Wraps, types.SecretWrap{Node: f.addr(n), Wrapped: wrapBytes(byte(i + 1))})
	}
	return msg
}

func (f *fixture) setSecret(msg *types.MsgSetSecret) (v uint64, err error) {
	err = f.tx(func(ctx context.Context) error {
		resp, err := f.msgs.SetSecret(ctx, msg)
		if err == nil {
			v = resp.Version
		}
		return err
	})
	return v, err
}

func (f *fixture) secrets(service string) []types.Secret {
	f.t.Helper()
	resp, err := f.query.Secrets(f.ctx, &types.QuerySecretsRequest{Service: service})
	if err != nil {
		f.t.Fatal(err)
	}
	return resp.Secrets
}

func wantSecretErr(t *testing.T, err, kind error, text string) {
	t.Helper()
	if err == nil {
		t.Fatalf("accepted; want %v containing %q", kind, text)
	}
	if !errors.Is(err, kind) || !strings.Contains(err.Error(), text) {
		t.Fatalf("error %q; want %v containing %q", err, kind, text)
	}
}

func TestSetSecretVersionsAndRotation(t *testing.T) {
	f, _ := secretsFixture(t)
	v, err := f.setSecret(f.setSecretMsg("alice", "vault", "API_KEY", 1, "node2", "node1"))
	if err != nil || v != 1 {
		t.Fatalf("set = %d, %v; want version 1", v, err)
	}
	// A writer rotates it: version 2, its own wraps, set_by the writer.
	v, err = f.setSecret(f.setSecretMsg("wendy", "vault", "API_KEY", 2, "node1"))
	if err != nil || v != 2 {
		t.Fatalf("rotate = %d, %v; want version 2", v, err)
	}
	got := f.secrets("vault")
	if len(got) != 1 || got[0].Version != 2 || got[0].SetBy != f.addr("wendy") || len(got[0].Wraps) != 1 || got[0].Wraps[0].Node != f.addr("node1") {
		t.Fatalf("secrets = %+v", got)
	}
	// Wraps are stored sorted by node.
	if _, err := f.setSecret(f.setSecretMsg("alice", "vault", "DB", 1, "node2", "node1")); err != nil {
		t.Fatal(err)
	}
	db := f.secrets("vault")[1]
	if db.Key != "DB" || db.Wraps[0].Node > db.Wraps[1].Node {
		t.Fatalf("DB = %+v; want wraps sorted by node", db)
	}
	// Delete, then set again: the version continues from 2.
	err = f.tx(func(ctx context.Context) error {
		_, err := f.msgs.DeleteSecret(ctx, &types.MsgDeleteSecret{Sender: f.addr("wendy"), Service: "vault", Key: "API_KEY"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := f.secrets("vault"); len(got) != 2 || got[0].Key != "API_KEY" || !got[0].Deleted || got[0].Version != 2 || len(got[0].Ciphertext) != 0 || len(got[0].Wraps) != 0 {
		t.Fatalf("after delete: %+v", got)
	}
	_, err = f.setSecret(f.setSecretMsg("alice", "vault", "API_KEY", 1, "node1"))
	wantSecretErr(t, err, types.ErrStaleSecret, "secret API_KEY of service vault was sealed for version 1, but the next version is 3")
	if v, err := f.setSecret(f.setSecretMsg("alice", "vault", "API_KEY", 3, "node1")); err != nil || v != 3 {
		t.Fatalf("set after delete = %d, %v; want 3", v, err)
	}
	// Genesis round trip keeps every record, the deleted one's version too.
	gs, err := f.k.ExportGenesis(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(gs.Secrets) != 2 {
		t.Fatalf("exported secrets: %+v", gs.Secrets)
	}
	if err := gs.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestSetSecretRefusals(t *testing.T) {
	f, _ := secretsFixture(t)
	big := f.setSecretMsg("alice", "vault", "BIG", 1, "node1")
	big.Ciphertext = make([]byte, types.MaxSecretCiphertext+1)
	short := f.setSecretMsg("alice", "vault", "S", 1, "node1")
	short.Ciphertext = make([]byte, 10)
	badWrap := f.setSecretMsg("alice", "vault", "W", 1, "node1")
	badWrap.Wraps[0].Wrapped = badWrap.Wraps[0].Wrapped[1:]
	twice := f.setSecretMsg("alice", "vault", "T", 1, "node1", "node1")
	badNode := f.setSecretMsg("alice", "vault", "N", 1, "node1")
	badNode.Wraps[0].Node = "q1nobody"
	cases := []struct {
		name string
		msg  *types.MsgSetSecret
		kind error
		text string
	}{
		{"stranger", f.setSecretMsg("mallory", "vault", "K", 1, "node1"), types.ErrUnauthorized,
			"may not set secrets of service vault: only its owners and permissions.secretWriters may"},
		{"operator", f.setSecretMsg("oscar", "vault", "K", 1, "node1"), types.ErrUnauthorized, "may not set secrets of service vault"},
		{"no capability", f.setSecretMsg("alice", "plain", "K", 1, "node1"), types.ErrInvalidSecret,
			"service plain does not grant permissions.capabilities.secrets"},
		{"name not allowed", f.setSecretMsg("alice", "named", "OTHER", 1, "node1"), types.ErrInvalidSecret,
			`service named allows only the secrets [API_KEY] (permissions.capabilities.secrets.names), not "OTHER"`},
		{"bad name", f.setSecretMsg("alice", "vault", "no spaces", 1, "node1"), types.ErrInvalidSecret, `key: secret name "no spaces"`},
		{"unknown service", f.setSecretMsg("alice", "nosuch", "K", 1, "node1"), types.ErrServiceNotFound, "nosuch"},
		{"too big", big, types.ErrInvalidSecret, "values up to 65536 bytes, 64 KiB"},
		{"too short", short, types.ErrInvalidSecret, "has 10 bytes; a sealed value has 28 to"},
		{"no wraps", f.setSecretMsg("alice", "vault", "K", 1), types.ErrInvalidSecret,
			"has no wraps: wrap its data key to at least one node holding a lease"},
		{"wrap to a node without a lease", f.setSecretMsg("alice", "vault", "K", 1, "node1", "node9"), types.ErrInvalidSecret,
			"wraps[1].node " + f.addr("node9") + " holds no lease of service vault"},
		{"wrap of the wrong size", badWrap, types.ErrInvalidSecret, "wraps[0].wrapped has 92 bytes; a wrap has 93"},
		{"two wraps for one node", twice, types.ErrInvalidSecret, "wraps to node " + f.addr("node1") + " twice"},
		{"wrap node not an address", badNode, types.ErrInvalidAddress, `wraps[0].node: "q1nobody" is not a Quantum1Net account address`},
		{"version skips", f.setSecretMsg("alice", "vault", "K", 2, "node1"), types.ErrStaleSecret, "the next version is 1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.setSecret(c.msg)
			wantSecretErr(t, err, c.kind, c.text)
		})
	}
	if got := f.secrets("vault"); len(got) != 0 {
		t.Fatalf("refused sets stored %+v", got)
	}
}

func TestSetSecretLimitPerService(t *testing.T) {
	f, _ := secretsFixture(t)
	for i := range types.MaxSecretsPerService {
		key := "K" + strings.Repeat("x", i)
		if _, err := f.setSecret(f.setSecretMsg("alice", "vault", key, 1, "node1")); err != nil {
			t.Fatalf("secret %d: %v", i, err)
		}
	}
	_, err := f.setSecret(f.setSecretMsg("alice", "vault", "ONE_MORE", 1, "node1"))
	wantSecretErr(t, err, types.ErrInvalidSecret, "service vault already holds 64 secrets, the most a service may; delete one first")
	// Rotating an existing one is still fine.
	if _, err := f.setSecret(f.setSecretMsg("alice", "vault", "K", 2, "node1")); err != nil {
		t.Fatal(err)
	}
}

func TestDeleteSecretRefusals(t *testing.T) {
	f, _ := secretsFixture(t)
	if _, err := f.setSecret(f.setSecretMsg("alice", "vault", "K", 1, "node1")); err != nil {
		t.Fatal(err)
	}
	del := func(sender, service, key string) error {
		return f.tx(func(ctx context.Context) error {
			_, err := f.msgs.DeleteSecret(ctx, &types.MsgDeleteSecret{Sender: f.addr(sender), Service: service, Key: key})
			return err
		})
	}
	wantSecretErr(t, del("mallory", "vault", "K"), types.ErrUnauthorized, "may not delete secrets of service vault")
	wantSecretErr(t, del("alice", "vault", "NONE"), types.ErrSecretNotFound, `service vault has no secret "NONE"`)
	if err := del("alice", "vault", "K"); err != nil {
		t.Fatal(err)
	}
	wantSecretErr(t, del("alice", "vault", "K"), types.ErrSecretNotFound, `service vault has no secret "K"`)
}

func TestWrapSecret(t *testing.T) {
	f, leases := secretsFixture(t)
	if _, err := f.setSecret(f.setSecretMsg("alice", "vault", "K", 1, "node1")); err != nil {
		t.Fatal(err)
	}
	wrap := func(sharer, node string, version uint64, key string) error {
		return f.tx(func(ctx context.Context) error {
			_, err := f.msgs.WrapSecret(ctx, &types.MsgWrapSecret{Sharer: f.addr(sharer), Service: "vault", Key: key, Version: version,
				Wrap: types.SecretWrap{Node: f.addr(node), Wrapped: wrapBytes(9)}})
			return err
		})
	}
	leases["vault"][f.addr("node3")] = true // placed after the secret was set
	wantSecretErr(t, wrap("node9", "node3", 1, "K"), types.ErrUnauthorized, f.addr("node9")+" holds no lease of service vault, so it may not wrap its secrets")
	wantSecretErr(t, wrap("alice", "node3", 1, "K"), types.ErrUnauthorized, "holds no lease of service vault")
	wantSecretErr(t, wrap("node1", "node8", 1, "K"), types.ErrInvalidSecret, "wrap.node "+f.addr("node8")+" holds no lease of service vault")
	wantSecretErr(t, wrap("node1", "node3", 0, "K"), types.ErrStaleSecret, "secret K of service vault is at version 1; a wrap of version 0 is stale")
	wantSecretErr(t, wrap("node1", "node3", 1, "NONE"), types.ErrSecretNotFound, `service vault has no secret "NONE"`)
	wantSecretErr(t, wrap("node1", "node1", 1, "K"), types.ErrInvalidSecret, "node "+f.addr("node1")+" already holds a wrap of version 1")
	if err := wrap("node1", "node3", 1, "K"); err != nil {
		t.Fatal(err)
	}
	got := f.secrets("vault")[0]
	if _, ok := got.WrapFor(f.addr("node3")); !ok || len(got.Wraps) != 2 {
		t.Fatalf("after wrap: %+v", got)
	}
	// A node whose lease closed is no longer a target, nor a sender.
	delete(leases["vault"], f.addr("node2"))
	wantSecretErr(t, wrap("node1", "node2", 1, "K"), types.ErrInvalidSecret, "wrap.node "+f.addr("node2")+" holds no lease")
	wantSecretErr(t, wrap("node2", "node3", 1, "K"), types.ErrUnauthorized, "holds no lease of service vault")
	// A service without the capability refuses wraps before anything else.
	err := f.tx(func(ctx context.Context) error {
		_, err := f.msgs.WrapSecret(ctx, &types.MsgWrapSecret{Sharer: f.addr("node1"), Service: "plain", Key: "K", Version: 1,
			Wrap: types.SecretWrap{Node: f.addr("node1"), Wrapped: wrapBytes(9)}})
		return err
	})
	wantSecretErr(t, err, types.ErrInvalidSecret, "service plain does not grant permissions.capabilities.secrets")
}

func TestSecretsGenesisValidate(t *testing.T) {
	f, _ := secretsFixture(t)
	if _, err := f.setSecret(f.setSecretMsg("alice", "vault", "K", 1, "node1", "node2")); err != nil {
		t.Fatal(err)
	}
	gs, err := f.k.ExportGenesis(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := gs.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := func(edit func(s *types.Secret), want string) {
		t.Helper()
		g := *gs
		g.Secrets = []types.Secret{gs.Secrets[0]}
		s := g.Secrets[0]
		s.Wraps = append([]types.SecretWrap(nil), s.Wraps...)
		edit(&s)
		g.Secrets[0] = s
		if err := g.Validate(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate = %v; want %q", err, want)
		}
	}
	bad(func(s *types.Secret) { s.Service = "nosuch" }, "secrets[0]: service nosuch does not exist")
	bad(func(s *types.Secret) { s.Version = 0 }, "version must be at least 1")
	bad(func(s *types.Secret) { s.Wraps[0], s.Wraps[1] = s.Wraps[1], s.Wraps[0] }, "wraps must be sorted by node")
	bad(func(s *types.Secret) { s.Deleted = true }, "is deleted but keeps a ciphertext or wraps")
	bad(func(s *types.Secret) { s.Wraps[0].Wrapped = nil }, "secrets[0].wraps[0].wrapped: 0 bytes, want 93")
}
