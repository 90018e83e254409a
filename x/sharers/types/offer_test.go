package types

import (
	"strings"
	"testing"
)

func validOffer() Offer {
	return Offer{
		Endpoint:   "https://node.example.com:8443",
		Capacity:   Capacity{MilliCpu: 4000, MemoryBytes: 8 << 30, StorageBytes: 100 << 30, EgressBytesPerHour: 10 << 30},
		Attributes: []Attribute{{Key: "region", Value: "eu"}, {Key: "gpu", Value: "none"}},
		Prices:     Prices{CpuPerCoreSecond: 500, MemoryPerMibHour: 2, StoragePerGibHour: 50, Per_1KRequests: 10, EgressPerGib: 5000},
		Deny:       DenyList{Services: []string{"spam", "junk"}},
	}
}

func TestOfferNormalized(t *testing.T) {
	got, err := validOffer().Normalized(false)
	if err != nil {
		t.Fatal(err)
	}
	if got.Attributes[0].Key != "gpu" || got.Attributes[1].Key != "region" {
		t.Errorf("attributes not sorted by key: %v", got.Attributes)
	}
	if got.Deny.Services[0] != "junk" {
		t.Errorf("deny.services not sorted: %v", got.Deny.Services)
	}
}

func TestOfferRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(*Offer)
		want string
	}{
		{"private endpoint", func(o *Offer) { o.Endpoint = "http://127.0.0.1:8080" }, "127.0.0.1 is a loopback address"},
		{"zero cpu", func(o *Offer) { o.Capacity.MilliCpu = 0 }, "capacity.milli_cpu is 0; offer between 10 and 1024000 thousandths of a core"},
		{"absurd memory", func(o *Offer) { o.Capacity.MemoryBytes = 1 << 60 }, "capacity.memory_bytes is 1152921504606846976; offer between 1048576 and 70368744177664 bytes"},
		{"zero storage", func(o *Offer) { o.Capacity.StorageBytes = 0 }, "capacity.storage_bytes is 0"},
		{"zero egress", func(o *Offer) { o.Capacity.EgressBytesPerHour = 0 }, "capacity.egress_bytes_per_hour is 0"},
		{"zero price", func(o *Offer) { o.Prices.MemoryPerMibHour = 0 }, "prices.memory_per_mib_hour is 0uqc; set a price between 1 and 1000000000000 uqc"},
		{"absurd price", func(o *Offer) { o.Prices.EgressPerGib = 1 << 62 }, "prices.egress_per_gib is 4611686018427387904uqc"},
		{"uppercase key", func(o *Offer) { o.Attributes[0].Key = "Region" }, `attribute key "Region": use 1-63 lowercase letters`},
		{"uppercase value", func(o *Offer) { o.Attributes[0].Value = "EU" }, `attribute region: value "EU": use 1-63 lowercase letters`},
		{"empty value", func(o *Offer) { o.Attributes[0].Value = "" }, `attribute region: value ""`},
		{"repeated key", func(o *Offer) { o.Attributes[1].Key = "region" }, "attribute region is given twice"},
		{"too many attributes", func(o *Offer) {
			o.Attributes = nil
			for i := range MaxAttributes + 1 {
				o.Attributes = append(o.Attributes, Attribute{Key: "k" + strings.Repeat("x", i), Value: "v"})
			}
		}, "17 attributes; at most 16 are allowed"},
		{"bad denied service", func(o *Offer) { o.Deny.Services = []string{"Not_A_Name"} }, `deny.services: "Not_A_Name" is not a service name`},
		{"denied service twice", func(o *Offer) { o.Deny.Services = []string{"a", "a"} }, "deny.services lists a twice"},
		{"denied owner twice", func(o *Offer) { o.Deny.Owners = []string{"q1x", "q1x"} }, "deny.owners lists q1x twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := validOffer()
			tc.mod(&o)
			_, err := o.Normalized(false)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Normalized() = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestParamsValidate(t *testing.T) {
	for _, p := range []Params{DefaultParams(), DevnetParams()} {
		if err := p.Validate(); err != nil {
			t.Errorf("%+v: %v", p, err)
		}
	}
	for _, tc := range []struct {
		mod  func(*Params)
		want string
	}{
		{func(p *Params) { p.Denom = "" }, "params.denom"},
		{func(p *Params) { p.MinCollateral = p.MinCollateral.Neg() }, "params.min_collateral: must be zero or more"},
		{func(p *Params) { p.EpochBlocks = 0 }, "params.epoch_blocks: must be between 1 and 1000000, got 0"},
		{func(p *Params) { p.OfflineAfterEpochs = 0 }, "params.offline_after_epochs: must be between 1 and 64, got 0"},
		{func(p *Params) { p.AckTimeoutBlocks = 0 }, "params.ack_timeout_blocks"},
		{func(p *Params) { p.MaxPlacementsPerBlock = 0 }, "params.max_placements_per_block"},
		{func(p *Params) { p.MaxRetriesPerBlock = 0 }, "params.max_retries_per_block"},
		{func(p *Params) { p.BandPermille = 10_001 }, "params.band_permille: must be between 0 and 10000, got 10001"},
		{func(p *Params) { p.ClosedLeaseRetentionBlocks = 0 }, "params.closed_lease_retention_blocks"},
		{func(p *Params) { p.MaxCandidateReadsPerBlock = 0 }, "params.max_candidate_reads_per_block"},
		{func(p *Params) { p.MeterVersion = 0 }, "params.meter_version: must be between 1 and 4294967295, got 0"},
	} {
		p := DefaultParams()
		tc.mod(&p)
		if err := p.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate() = %v, want an error containing %q", err, tc.want)
		}
	}
}
