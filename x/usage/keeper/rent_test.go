package keeper_test

import (
	"context"
	"testing"
	"time"

	"cosmossdk.io/math"

	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
)

// rentPrices charge 2 uqc per MiB-hour of reserved memory and nothing else.
var rentPrices = sharerstypes.Prices{MemoryPerMibHour: 2}

// TestRentAccruesWithHeaderTime: rent accrues from the acknowledgement
// with block header time, whatever the number of blocks, and is settled
// lazily on a touch, the fraction of a uqc carried.
func TestRentAccruesWithHeaderTime(t *testing.T) {
	for _, c := range []struct {
		name   string
		blocks int64
		each   time.Duration
	}{
		{"3 blocks of 10 minutes", 3, 10 * time.Minute},
		{"1800 blocks of 1 s", 1800, time.Second},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			f.sharerWith("s1", 1000, 0)
			f.service("hello", 1_000_000, svcOpts{maxPerHour: 128}) // the rent: nothing kept back for usage
			f.acked(1, "s1", "hello", rentPrices, 64*mib)           // 128 uqc per hour
			f.wait(c.blocks, c.each)                                // half an hour

			owed, err := f.k.RentOwed(f.ctx, "hello")
			noErr(t, err)
			wantInt(t, "owed", owed, 64)
			eco := f.economics("hello")
			if !eco.BurnPerHour.Equal(math.LegacyNewDec(128)) || !eco.Owed.Equal(math.LegacyNewDec(64)) ||
				!eco.Available.Equal(math.LegacyNewDec(1_000_000-64)) {
				t.Errorf("economics: burn %s owed %s available %s", eco.BurnPerHour, eco.Owed, eco.Available)
			}
			// Nothing moved until a touch.
			wantInt(t, "escrow before a touch", f.services.escrows["hello"], 1_000_000)

			_, err = f.fund("hello", 1) // a deposit touches the escrow
			noErr(t, err)
			wantInt(t, "escrow", f.services.escrows["hello"], 1_000_001-64)
			wantInt(t, "sharer", f.services.balance(f.addr("s1")), 64-3)
			wantInt(t, "fee collector", f.feeCollector(), 3)
			owed, err = f.k.RentOwed(f.ctx, "hello")
			noErr(t, err)
			wantInt(t, "owed after settling", owed, 0)

			// One second later 128/3600 uqc is owed: rounded up for
			// withdrawals, carried until it makes a whole uqc.
			f.wait(1, time.Second)
			owed, err = f.k.RentOwed(f.ctx, "hello")
			noErr(t, err)
			wantInt(t, "owed after 1 s", owed, 1)
			noErr(t, f.tx(func(ctx context.Context) error { return f.k.EscrowHooks().BeforeEscrowWithdrawn(ctx, "hello") }))
			wantInt(t, "sharer after a sub-uqc settlement", f.services.balance(f.addr("s1")), 61)
			f.wait(28, time.Second) // 29 s × 128/3600 = 1.03 uqc
			noErr(t, f.tx(func(ctx context.Context) error { return f.k.EscrowHooks().BeforeEscrowWithdrawn(ctx, "hello") }))
			wantInt(t, "sharer after the carry made a uqc", f.services.balance(f.addr("s1")), 62)
			f.audit()
		})
	}
}

// TestRentStopsAtClose: a closed lease is owed rent up to its close and
// nothing after.
func TestRentStopsAtClose(t *testing.T) {
	f := newFixture(t)
	f.sharerWith("s1", 1000, 0)
	f.service("hello", 1_000_000, svcOpts{})
	f.acked(1, "s1", "hello", rentPrices, 64*mib)
	f.wait(60, time.Minute)
	noErr(t, f.services.closeLeases(f.ctx, "hello", sharerstypes.CloseScaledDown))
	wantInt(t, "escrow", f.services.escrows["hello"], 1_000_000-128)
	f.wait(60, time.Minute)
	owed, err := f.k.RentOwed(f.ctx, "hello")
	noErr(t, err)
	wantInt(t, "owed after close", owed, 0)
	if eco := f.economics("hello"); !eco.BurnPerHour.IsZero() || len(eco.Leases) != 0 {
		t.Errorf("economics after close: burn %s meters %d", eco.BurnPerHour, len(eco.Leases))
	}
	f.audit()
}

// TestRentWithinMaxPerHour: rent over policies.budget.maxPerHour is scaled
// down across the service's leases.
func TestRentWithinMaxPerHour(t *testing.T) {
	f := newFixture(t)
	f.sharerWith("s1", 1000, 0)
	f.sharerWith("s2", 1000, 0)
	f.service("hello", 1_000_000, svcOpts{maxPerHour: 128})
	f.acked(1, "s1", "hello", rentPrices, 64*mib)  // 128 an hour
	f.acked(2, "s2", "hello", rentPrices, 128*mib) // 256 an hour
	eco := f.economics("hello")
	if eco.BurnPerHour.GT(math.LegacyNewDec(128)) || eco.BurnPerHour.LT(math.LegacyNewDecWithPrec(127_999_999, 6)) {
		t.Fatalf("burn = %s, want maxPerHour 128", eco.BurnPerHour)
	}
	f.wait(60, time.Minute)
	_, err := f.fund("hello", 1)
	noErr(t, err)
	// 1/3 and 2/3 of 128: 42 and 85 (fractions carried).
	wantInt(t, "paid", f.services.balance(f.addr("s1")).Add(f.services.balance(f.addr("s2"))).Add(f.feeCollector()), 42+85)
	f.audit()
}
