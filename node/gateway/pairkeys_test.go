package gateway

import (
	"net/http"
	"strings"
	"testing"

	"github.com/quantum1net/q1/client/reqsign"
)

func TestPairKeys(t *testing.T) {
	n := newNetwork(t)
	a, b := n.sharer("a"), n.sharer("b")
	pa, err := newPairKeys(testKey("node-a"), n.keys)
	if err != nil {
		t.Fatal(err)
	}
	pb, err := newPairKeys(testKey("node-b"), n.keys)
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("q1-gateway-served/v1\nexample")
	tag, err := pb.mac(a, msg)
	if err != nil {
		t.Fatal(err)
	}
	if err := pa.check(b, msg, tag); err != nil {
		t.Errorf("a cannot check b's tag: %v", err)
	}
	if err := pa.check(b, []byte("other"), tag); err == nil {
		t.Error("a tag checked for another message")
	}

	// b registers a new key: a recomputes the pair key, and tags made with
	// the old one stop checking.
	n.keys.register(b, testKey("node-b-rotated"))
	if err := pa.check(b, msg, tag); err == nil || !strings.Contains(err.Error(), "it was not made with the key shared with sharer "+b) {
		t.Errorf("tag under b's old key: %v; want refused", err)
	}
	pb2, _ := newPairKeys(testKey("node-b-rotated"), n.keys)
	tag2, _ := pb2.mac(a, msg)
	if err := pa.check(b, msg, tag2); err != nil {
		t.Errorf("tag under b's new key: %v", err)
	}

	n.keys.keys[b].Key = []byte{1, 2, 3}
	if _, err := pa.mac(b, msg); err == nil || !strings.Contains(err.Error(), "the node key sharer "+b+" registered is not a secp256k1 public key") {
		t.Errorf("malformed registered key: %v", err)
	}
	if _, err := newPairKeys(nil, n.keys); err == nil || !strings.Contains(err.Error(), "Deps.NodeKey must be") {
		t.Errorf("nil node key: %v", err)
	}
}

func TestReplayCacheFull(t *testing.T) {
	n := newNetwork(t)
	a := n.node("a", Config{})
	n.deploy("hello", publicManifest(t, "hello"), []Replica{a.replica()}, a)
	v, err := reqsign.NewVerifier(reqsign.WithClock(n.now), reqsign.WithNonceCapacity(1))
	if err != nil {
		t.Fatal(err)
	}
	a.gw.deps.Verifier = v
	alice := testKey("alice")
	expect(t, send(t, n.sign(request(t, a, http.MethodGet, "hello.localhost", "/", nil), nil, alice, "hello")), 200)
	got := send(t, n.sign(request(t, a, http.MethodGet, "hello.localhost", "/", nil), nil, alice, "hello"))
	expect(t, got, 503, "too many signed requests within the last 2m0s; retry in a few seconds")
	if got.header.Get("Retry-After") != "5" {
		t.Errorf("Retry-After %q, want 5", got.header.Get("Retry-After"))
	}
}
