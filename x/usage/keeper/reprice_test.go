package keeper_test

import (
	"context"
	"testing"
	"time"

	"cosmossdk.io/math"

	"github.com/quantum1net/q1/core/manifest"
	servicestypes "github.com/quantum1net/q1/x/services/types"
	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
)

// activate makes a version of service name whose manifest memory cap is
// memCap the current one and runs the usage hook, as x/services does when
// an approved update activates.
func (f *fixture) activate(name string, memCap uint64) {
	f.t.Helper()
	old, err := f.services.CurrentSpec(f.ctx, name)
	noErr(f.t, err)
	m := *f.services.manifests[name]
	m.Pricing.MemoryPerMiBHour = manifest.Amount(memCap)
	f.services.manifests[name] = &m
	next, err := f.services.CurrentSpec(f.ctx, name)
	noErr(f.t, err)
	noErr(f.t, f.tx(func(ctx context.Context) error {
		return f.k.ServicesHooks().AfterVersionActivated(ctx, name, old, next)
	}))
}

// TestRentReratedWhenPricingCapsActivate: rent accrued before a new
// version activates is settled at the old rate; after it, each lease's
// rate is its locked price lowered to the new manifest's cap (and no
// higher than the locked price when the cap rises), and the burn and the
// dry time follow.
func TestRentReratedWhenPricingCapsActivate(t *testing.T) {
	f := newFixture(t)
	f.sharerWith("s1", 1000, 0)
	o := svcOpts{pricing: caps, maxPerHour: 3600}
	o.pricing.MemoryPerMiBHour = 10_000
	f.service("svc", 1_000_000, o)
	f.acked(1, "s1", "svc", sharerstypes.Prices{MemoryPerMibHour: 3600}, mib) // 3600 uqc an hour
	paid := func() math.Int { return f.services.balance(f.addr("s1")).Add(f.feeCollector()) }
	meter := func() (list, rate math.LegacyDec) {
		m, err := f.k.Meters.Get(f.ctx, 1)
		noErr(t, err)
		return m.ListRatePerHour, m.RatePerHour
	}

	f.wait(60, time.Minute)
	f.activate("svc", 1800) // the cap falls below the locked price
	wantInt(t, "paid for the first hour, at the locked price", paid(), 3600)
	if list, rate := meter(); !list.Equal(math.LegacyNewDec(1800)) || !rate.Equal(math.LegacyNewDec(1800)) {
		t.Errorf("meter after the cap fell: list %s rate %s, want 1800", list, rate)
	}
	eco := f.economics("svc")
	if !eco.BurnPerHour.Equal(math.LegacyNewDec(1800)) {
		t.Errorf("burn %s, want 1800", eco.BurnPerHour)
	}
	// 996,400 uqc left, less the 1,800 uqc the hour of epoch 0 so far may
	// still be charged for usage (maxPerHour 3600 less the burn of 1800),
	// at 1800 an hour: 552.5… hours.
	left := time.Duration(996_400-1800) * time.Hour / 1800
	if want := f.ctx.BlockTime().Add(left); eco.DryTime == nil || !eco.DryTime.Equal(want) {
		t.Errorf("dry time %v, want %v", eco.DryTime, want)
	}

	f.wait(60, time.Minute)
	f.activate("svc", 20_000) // the cap rises above the locked price
	wantInt(t, "paid after the second hour, at the cap", paid(), 3600+1800)
	if list, rate := meter(); !list.Equal(math.LegacyNewDec(3600)) || !rate.Equal(math.LegacyNewDec(3600)) {
		t.Errorf("meter after the cap rose: list %s rate %s, want the locked 3600", list, rate)
	}
	f.wait(60, time.Minute)
	noErr(t, f.tx(func(ctx context.Context) error { return f.k.EscrowHooks().BeforeEscrowWithdrawn(ctx, "svc") }))
	wantInt(t, "paid after the third hour", paid(), 3600+1800+3600)
	if s := f.services.services["svc"]; s.Status != servicestypes.StatusActive {
		t.Errorf("status %v", s.Status)
	}
	f.audit()
}
