package gateway

import (
	"testing"
	"time"
)

// A forwarded request carries the forwarder's co-signature: the serving
// node's runtime gets the forwarder as Via, its signature and its time,
// and the signature verifies under the forwarder's registered hot key.
func TestForwardCosigned(t *testing.T) {
	n := newNetwork(t)
	a, b := n.node("a", Config{}), n.node("b", Config{})
	rb := b.replica()
	rb.Lease = 42
	n.deploy("hello", publicManifest(t, "hello"), []Replica{rb}, b)

	expect(t, get(t, a, "localhost", "/s/hello/greet?x=1"), 200, "hello from b")
	reqs := b.rt.requests()
	if len(reqs) != 1 {
		t.Fatalf("node b ran %d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Via != a.addr || !r.Time.Equal(t0) || len(r.ViaSig) == 0 {
		t.Fatalf("node b's request has via %q, time %v, %d-byte signature; want node a, %v, a signature",
			r.Via, r.Time, len(r.ViaSig), t0)
	}
	pub := a.key.PubKey().Bytes()
	if err := VerifyForward(pub, 42, ForwardHash("GET", "/greet?x=1", nil), r.Time.UnixNano(), r.ViaSig); err != nil {
		t.Fatal(err)
	}
	if err := VerifyForward(pub, 43, ForwardHash("GET", "/greet?x=1", nil), r.Time.UnixNano(), r.ViaSig); err == nil {
		t.Fatal("the signature verifies for another lease")
	}
}

// A request run where it entered has no Via; a replica whose lease the
// forwarder does not know gets no co-signature; one naming another lease
// runs without it.
func TestForwardWithoutCosign(t *testing.T) {
	n := newNetwork(t)
	a, b := n.node("a", Config{}), n.node("b", Config{})
	n.deploy("hello", publicManifest(t, "hello"), []Replica{b.replica()}, b)
	expect(t, get(t, a, "localhost", "/s/hello/x"), 200)
	expect(t, get(t, b, "localhost", "/s/hello/x"), 200)
	for _, r := range b.rt.requests() {
		if r.Via != "" || !r.Time.IsZero() || r.ViaSig != nil {
			t.Fatalf("request without a co-signature has via %q, time %v", r.Via, r.Time)
		}
	}
}

// The serving node refuses a co-signature whose time is far from its clock
// and one that does not verify.
func TestForwardCosignRefused(t *testing.T) {
	n := newNetwork(t)
	a, b := n.node("a", Config{}), n.node("b", Config{})
	rb := b.replica()
	rb.Lease = 7
	n.deploy("hello", publicManifest(t, "hello"), []Replica{rb}, b)

	a.gw.now = func() time.Time { return t0.Add(MaxForwardSkew + time.Second) }
	expect(t, get(t, a, "localhost", "/s/hello/x"), 403, "away from this node's clock")
	a.gw.now = n.now
	a.gw.deps.NodeKey = testKey("someone else")
	expect(t, get(t, a, "localhost", "/s/hello/x"), 403, "co-signature", "refused")
	if len(b.rt.requests()) != 0 {
		t.Fatal("node b ran a request whose co-signature it refused")
	}
}
