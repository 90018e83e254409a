package gateway

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/quantum1net/q1/core/manifest"
)

func TestRateLimitPerCaller(t *testing.T) {
	n := newNetwork(t)
	a := n.node("a", Config{})
	n.deploy("hello", testManifest(t, "hello", "", "policies:\n  rateLimit: {perCaller: 2/s}\n"), []Replica{a.replica()}, a)
	alice := testKey("alice")
	signed := func() *http.Request {
		return n.sign(request(t, a, http.MethodGet, "hello.localhost", "/", nil), nil, alice, "hello")
	}

	expect(t, get(t, a, "hello.localhost", "/"), 200)
	expect(t, get(t, a, "hello.localhost", "/"), 200)
	got := get(t, a, "hello.localhost", "/")
	expect(t, got, 429, "rate limit: service hello allows 2/s per caller, and address 127.0.0.1 has used it up; retry in 1 s")
	if got.header.Get("Retry-After") != "1" || got.header.Get(HeaderError) != CodeRateLimited {
		t.Errorf("Retry-After %q, %s %q; want 1 and %s", got.header.Get("Retry-After"),
			HeaderError, got.header.Get(HeaderError), CodeRateLimited)
	}

	// A signed caller is limited by account, not by address.
	expect(t, send(t, signed()), 200)
	expect(t, send(t, signed()), 200)
	expect(t, send(t, signed()), 429, "account "+addressOf(t, alice)+" has used it up")

	n.clock.Advance(500 * time.Millisecond) // one token back for each
	expect(t, get(t, a, "hello.localhost", "/"), 200)
	expect(t, get(t, a, "hello.localhost", "/"), 429)
	expect(t, send(t, signed()), 200)
}

func TestRateLimitRetryAfter(t *testing.T) {
	clock := &fakeClock{now: t0}
	l := newLimiter(clock.Now, 10)
	rate := manifest.Rate{Count: 1, Per: time.Minute}
	if ok, _ := l.allow("k", rate); !ok {
		t.Fatal("first request refused")
	}
	clock.Advance(15 * time.Second)
	ok, wait := l.allow("k", rate)
	if ok || wait != 45*time.Second || retryAfter(wait) != 45 {
		t.Errorf("allow = %v, wait %s (Retry-After %d); want refused, 45s", ok, wait, retryAfter(wait))
	}
	if got := retryAfter(time.Millisecond); got != 1 {
		t.Errorf("retryAfter(1ms) = %d, want at least 1", got)
	}
}

func TestLimiterMemoryIsBounded(t *testing.T) {
	clock := &fakeClock{now: t0}
	l := newLimiter(clock.Now, 100)
	rate := manifest.Rate{Count: 5, Per: time.Second}
	for i := range 1000 {
		l.allow(fmt.Sprintf("caller-%d", i), rate)
	}
	if l.len() != 100 {
		t.Errorf("after 1000 callers the limiter keeps %d buckets, want its bound 100", l.len())
	}
	clock.Advance(time.Second) // every bucket has refilled: idle ones are forgotten
	l.allow("newcomer", rate)
	if l.len() != 1 {
		t.Errorf("after every caller went idle the limiter keeps %d buckets, want 1", l.len())
	}
}
