package runtime

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// mapSecrets is a SecretSource over a map, changeable while serving.
type mapSecrets struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (s *mapSecrets) set(k, v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[k] = []byte(v)
}

func (s *mapSecrets) Secret(key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[key]
	if !ok {
		return nil, fmt.Errorf("secret %q is not set for this service: %w", key, ErrNoSecret)
	}
	return bytes.Clone(v), nil
}

func vaultWasm(t testing.TB) []byte { return guestWasm(t, modulePath+"/examples/vault") }

func sign(key, msg string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(msg))
	return hex.EncodeToString(m.Sum(nil))
}

// TestSecretThroughGuest reads a secret through guest.Secret: not set, set,
// rotated; the value is on no tape, and a replay stops at the read.
func TestSecretThroughGuest(t *testing.T) {
	rt := newTestRuntime(t)
	secrets := &mapSecrets{m: map[string][]byte{}}
	sink := &captureSink{}
	spec := ServiceSpec{Name: "vault", Wasm: vaultWasm(t), Instances: 1, LeaseID: 5, Receipts: sink,
		Capabilities: Capabilities{Secrets: secrets}}
	svc := load(t, rt, spec)
	do := func(path string) (int, string) {
		t.Helper()
		resp, err := svc.Handle(context.Background(), &Request{Method: "GET", Path: path})
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		return resp.Status, strings.TrimSpace(string(resp.Body))
	}
	if status, body := do("/sign?msg=hi"); status != 503 || !strings.Contains(body, "no signing key yet") {
		t.Fatalf("before the secret is set: %d %q", status, body)
	}
	secrets.set("SIGNING_KEY", "first-key-value")
	if status, body := do("/sign?msg=hi"); status != 200 || body != sign("first-key-value", "hi") {
		t.Fatalf("with the secret: %d %q", status, body)
	}
	secrets.set("SIGNING_KEY", "rotated-key-value")
	if status, body := do("/sign?msg=hi"); status != 200 || body != sign("rotated-key-value", "hi") {
		t.Fatalf("after rotation: %d %q", status, body)
	}
	steps := sink.history(t, 5, 0, 0)
	for i, st := range steps {
		if bytes.Contains(st.Tape, []byte("key-value")) || bytes.Contains(st.Request, []byte("key-value")) {
			t.Fatalf("step %d holds a secret value on its tape or request", i)
		}
	}
	out, err := rt.Replay(context.Background(), spec.Wasm, spec, steps)
	if err != nil {
		t.Fatal(err)
	}
	// The start-up replays; the first request reaches secret_get and the
	// replay stops there, saying why, without a divergence.
	if len(out) != 2 || out[0].Receipt.Hash() != steps[0].Receipt.Hash() || out[1].Divergence != nil || out[1].SecretRead == nil {
		t.Fatalf("replay outcomes: %+v", out)
	}
	if !strings.Contains(out[1].SecretRead.Error(), "the guest read a secret, whose value is not on the tape") {
		t.Errorf("SecretRead = %v", out[1].SecretRead)
	}
}

// TestSecretNotGranted: a module importing secret_get does not load without
// the capability, and says which one it needs.
func TestSecretNotGranted(t *testing.T) {
	rt := newTestRuntime(t)
	_, err := rt.Load(context.Background(), ServiceSpec{Name: "vault", Wasm: vaultWasm(t)})
	if err == nil || !strings.Contains(err.Error(), "module imports q1.secret_get but the manifest grants no secrets capability") {
		t.Fatalf("load without the grant: %v", err)
	}
}
