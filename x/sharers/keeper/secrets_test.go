package keeper_test

import (
	"context"
	"testing"
)

// TestHoldsLease: x/services asks whether a sharer holds an open lease of a
// service before it stores a secret's wrap for it or takes one from it.
func TestHoldsLease(t *testing.T) {
	f := newFixture(t)
	f.mustRegister(offer{}, "s1", "s2")
	f.create(spec{name: "hello"})
	f.endBlock()
	l := f.leases("hello")[0]
	holder := f.name(l.Sharer)
	other := map[string]string{"s1": "s2", "s2": "s1"}[holder]
	holds := func(service, name string) bool {
		t.Helper()
		ok, err := f.k.HoldsLease(f.ctx, service, f.addr(name))
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !holds("hello", holder) || holds("hello", other) || holds("nosuch", holder) {
		t.Fatalf("HoldsLease: holder %t, other %t, other service %t", holds("hello", holder), holds("hello", other), holds("nosuch", holder))
	}
	// Once the lease closes (the service paused), nobody holds one.
	f.hook(func(ctx context.Context) error { return f.services.pause(ctx, "hello") })
	if holds("hello", holder) {
		t.Fatal("a closed lease still counts")
	}
}
