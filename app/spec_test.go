package app

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"

	"github.com/quantum1net/q1/core/manifest"
	servicestypes "github.com/quantum1net/q1/x/services/types"
	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
	usagetypes "github.com/quantum1net/q1/x/usage/types"
)

// TestStoredSpecIsReadNotParsed proves that no keeper parses a stored
// manifest: once a service is created, the canonical bytes of its version
// are replaced with garbage that no parser accepts, and the real keepers
// still place it, charge its usage and rent, answer its economics, pause,
// resume and scale it (each reading only the stored spec), while the query
// for the service still returns the bytes as stored.
func TestStoredSpecIsReadNotParsed(t *testing.T) {
	e := newEconomy(t)
	for _, n := range []string{"s1", "s2"} {
		offer := sharerstypes.Offer{
			Endpoint:   "https://" + n + ".example.com:8443",
			Capacity:   sharerstypes.Capacity{MilliCpu: 4000, MemoryBytes: 1 << 30, StorageBytes: 1 << 30, EgressBytesPerHour: 10 << 30},
			Attributes: []sharerstypes.Attribute{{Key: "region", Value: "eu"}},
			HotKey:     account(n + "-hot").String(),
			Prices:     sharerstypes.Prices{CpuPerCoreSecond: 500, MemoryPerMibHour: 3_600_000, StoragePerGibHour: 50, Per_1KRequests: 10, EgressPerGib: 5000},
		}
		must(t, e.tx(func(ctx context.Context) error {
			_, err := e.sharers.RegisterSharer(ctx, &sharerstypes.MsgRegisterSharer{Sharer: account(n).String(), Offer: offer, Collateral: math.NewInt(2_000_000)})
			return err
		}))
	}
	doc := fmt.Sprintf(economyManifest, 7, account("alice"))
	doc = strings.Replace(doc, "placement: {replicas: 1}", "placement: {replicas: 1, replicasMax: 2}", 1)
	parsed, err := manifest.Parse([]byte(doc), manifest.ParseOptions{})
	must(t, err)
	alice := account("alice").String()
	must(t, e.tx(func(ctx context.Context) error {
		_, err := e.services.CreateService(ctx, &servicestypes.MsgCreateService{Creator: alice, Manifest: parsed.Canonical(), Deposit: math.NewInt(1_000_000)})
		return err
	}))

	// Spoil the stored bytes: any ParseCanonical of them now fails.
	garbage := []byte("{{ this is not a manifest")
	if _, err := manifest.ParseCanonical(garbage); err == nil {
		t.Fatal("the garbage parses")
	}
	key := collections.Join("hello", uint64(1))
	v, err := e.app.ServicesKeeper.Versions.Get(e.ctx, key)
	must(t, err)
	v.Manifest = garbage
	must(t, e.app.ServicesKeeper.Versions.Set(e.ctx, key, v))

	// Placement (x/sharers' EndBlocker) reads the spec.
	e.block()
	e.ackAll("hello")
	leases, err := e.app.SharersKeeper.ActiveLeases(e.ctx, "hello")
	must(t, err)
	if len(leases) != 1 {
		t.Fatalf("leases: %+v", leases)
	}

	// Rent and a usage report (x/usage) read the spec.
	start, err := e.app.SharersKeeper.CurrentEpoch(e.ctx)
	must(t, err)
	for {
		e.block()
		cur, err := e.app.SharersKeeper.CurrentEpoch(e.ctx)
		must(t, err)
		if cur.Number > start.Number {
			break
		}
	}
	var resp *usagetypes.MsgUsageReportResponse
	must(t, e.tx(func(ctx context.Context) error {
		var err error
		resp, err = e.usage.UsageReport(ctx, &usagetypes.MsgUsageReport{Sharer: leases[0].Sharer, Epoch: start.Number,
			Entries: rooted(usagetypes.UsageEntry{LeaseId: leases[0].Id, Requests: 5000})})
		return err
	}))
	if !resp.Charged.Equal(math.NewInt(50)) {
		t.Fatalf("report charged %s, want 50", resp.Charged)
	}
	eco, err := e.app.UsageKeeper.Economics(e.ctx, "hello")
	must(t, err)
	if eco.LowBalanceBlocks != 100 {
		t.Fatalf("economics: low balance blocks %d, want the spec's 100", eco.LowBalanceBlocks)
	}

	// The services keeper's msgs read the spec: pause, resume, scale.
	must(t, e.tx(func(ctx context.Context) error {
		_, err := e.services.PauseService(ctx, &servicestypes.MsgPauseService{Signer: alice, Name: "hello"})
		return err
	}))
	must(t, e.tx(func(ctx context.Context) error {
		_, err := e.services.ResumeService(ctx, &servicestypes.MsgResumeService{Signer: alice, Name: "hello"})
		return err
	}))
	var scaled *servicestypes.MsgScaleServiceResponse
	must(t, e.tx(func(ctx context.Context) error {
		var err error
		scaled, err = e.services.ScaleService(ctx, &servicestypes.MsgScaleService{Signer: alice, Name: "hello", Replicas: 2})
		return err
	}))
	e.block()
	e.ackAll("hello")
	if leases, err = e.app.SharersKeeper.ActiveLeases(e.ctx, "hello"); err != nil || len(leases) != 2 {
		t.Fatalf("after scaling to 2, leases %+v (%v)", leases, err)
	}
	// Version 2 came from the spec: its bytes are the real canonical
	// encoding again, with the new replica count.
	v2, err := e.app.ServicesKeeper.GetVersion(e.ctx, "hello", 2)
	must(t, err)
	next, err := manifest.ParseCanonical(v2.Manifest)
	must(t, err)
	if next.Placement.Replicas != 2 || v2.Hash != scaled.Hash || v2.Hash != next.Hash() {
		t.Fatalf("version 2: replicas %d, hash %s (msg said %s)", next.Placement.Replicas, v2.Hash, scaled.Hash)
	}

	// Version 1 is still stored as it was, garbage included: nothing
	// rewrote or re-read it.
	v1, err := e.app.ServicesKeeper.GetVersion(e.ctx, "hello", 1)
	must(t, err)
	if string(v1.Manifest) != string(garbage) {
		t.Fatalf("version 1 bytes changed: %q", v1.Manifest)
	}
}
