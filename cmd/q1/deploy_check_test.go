package main

import (
	"encoding/json"
	"strings"
	"testing"

	sdkmath "cosmossdk.io/math"

	q1client "github.com/quantum1net/q1/client"
	"github.com/quantum1net/q1/core/manifest"
	servicestypes "github.com/quantum1net/q1/x/services/types"
	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
)

// TestPriceGroups: the sharers placement passes over for price, and only
// those, are grouped by which price is above which cap and by how much.
func TestPriceGroups(t *testing.T) {
	m, err := manifest.Parse([]byte(`apiVersion: q1/v1
name: tiny
permissions:
  owners: {accounts: [`+ownerA+`]}
resources: {memory: 32Mi}
pricing: {cpuPerCoreSecond: 500uqc, memoryPerMiBHour: 2uqc, storagePerGiBHour: 50uqc, per1kRequests: 10uqc, egressPerGiB: 5000uqc}
`), manifest.ParseOptions{AllowMissingWasm: true})
	if err != nil {
		t.Fatal(err)
	}
	spec := servicestypes.SpecFromManifest(m)
	ok := sharerstypes.Prices{CpuPerCoreSecond: 400, MemoryPerMibHour: 2, StoragePerGibHour: 50, Per_1KRequests: 10, EgressPerGib: 5000}
	sharer := func(addr string, memPrice, reqPrice uint64, edit func(*sharerstypes.Sharer)) sharerstypes.Sharer {
		p := ok
		p.MemoryPerMibHour, p.Per_1KRequests = memPrice, reqPrice
		s := sharerstypes.Sharer{
			Address: addr, Status: sharerstypes.SharerActive, Prices: p, Collateral: sdkmath.NewInt(1_000_000),
			Capacity: sharerstypes.Capacity{MilliCpu: 2000, MemoryBytes: 4 << 30, StorageBytes: 20 << 30},
		}
		if edit != nil {
			edit(&s)
		}
		return s
	}
	sharers := []sharerstypes.Sharer{
		sharer("s1", 4, 10, nil),
		sharer("s2", 6, 1000, nil),
		sharer("s3", 5, 10, nil),
		sharer("cheap", 2, 10, nil),
		// Passed over for something else first: not counted under price.
		sharer("offline", 9, 9000, func(s *sharerstypes.Sharer) { s.Status = sharerstypes.SharerOffline }),
		sharer("draining", 9, 9000, func(s *sharerstypes.Sharer) { s.Draining = true }),
		sharer("small", 9, 9000, func(s *sharerstypes.Sharer) { s.Capacity.MemoryBytes = 16 << 20 }),
	}
	var got []string
	for _, g := range priceGroups("tiny", &spec, sharers, nil) {
		got = append(got, g.String()+" "+strings.Join(g.Sharers, ","), "  fix: "+g.Fix)
	}
	want := []string{
		"3 sharers ask memory 4–6uqc/MiB-h, above pricing.memoryPerMiBHour 2uqc (2–4uqc more) s1,s2,s3",
		"  fix: raise pricing.memoryPerMiBHour to at least 4uqc (6uqc admits all 3)",
		"1 sharer asks requests 1000uqc/1k, above pricing.per1kRequests 10uqc (990uqc more) s2",
		"  fix: raise pricing.per1kRequests to at least 1000uqc",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("price groups:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// A sharer already holding a replica is not passed over for price.
	if gs := priceGroups("tiny", &spec, sharers, []string{"s1", "s2"}); len(gs) != 1 || len(gs[0].Sharers) != 1 || gs[0].Sharers[0] != "s3" {
		t.Fatalf("with s1 and s2 current: %+v", gs)
	}
}

// exclusionTestSharer is an active sharer with room for anything the tests
// ask, at prices every test manifest accepts, with edit applied.
func exclusionTestSharer(addr string, edit func(*sharerstypes.Sharer)) sharerstypes.Sharer {
	s := sharerstypes.Sharer{
		Address: addr, Status: sharerstypes.SharerActive, Collateral: sdkmath.NewInt(10_000_000),
		Attributes: []sharerstypes.Attribute{{Key: "region", Value: "eu"}},
		Prices:     sharerstypes.Prices{CpuPerCoreSecond: 400, MemoryPerMibHour: 500, StoragePerGibHour: 50, Per_1KRequests: 1000, EgressPerGib: 5000},
		Capacity:   sharerstypes.Capacity{MilliCpu: 2000, MemoryBytes: 4 << 30, StorageBytes: 20 << 30},
	}
	if edit != nil {
		edit(&s)
	}
	return s
}

func exclusionTestSpec(t *testing.T, placement string) servicestypes.ServiceSpec {
	t.Helper()
	m, err := manifest.Parse([]byte(`apiVersion: q1/v1
name: big
permissions:
  owners: {accounts: [`+ownerA+`]}
resources: {cpu: 500m, memory: 64Mi, storage: 1Gi}
placement: `+placement+`
pricing: {cpuPerCoreSecond: 500uqc, memoryPerMiBHour: 1000uqc, storagePerGiBHour: 50uqc, per1kRequests: 1000uqc, egressPerGiB: 5000uqc}
`), manifest.ParseOptions{AllowMissingWasm: true})
	if err != nil {
		t.Fatal(err)
	}
	return servicestypes.SpecFromManifest(m)
}

func exclusionLines(groups []Exclusion) string {
	var out []string
	for _, g := range groups {
		out = append(out, g.String()+" ["+strings.Join(g.Sharers, ",")+"]", "  fix: "+g.Fix)
	}
	return strings.Join(out, "\n")
}

// TestExclusionGroups: sharers passed over for something other than price
// are grouped by the manifest field that keeps them out (each under the
// first reason the chain counts it under), with what they have and the fix;
// and too few qualifying sharers for the replicas is a group of its own.
func TestExclusionGroups(t *testing.T) {
	spec := exclusionTestSpec(t, "{replicas: 3, requireAttributes: {region: eu}, minCollateral: 5QC}")
	edit := exclusionTestSharer
	sharers := []sharerstypes.Sharer{
		edit("local1", func(s *sharerstypes.Sharer) { s.Attributes[0].Value = "local" }),
		edit("local2", func(s *sharerstypes.Sharer) { s.Attributes[0].Value = "local" }),
		edit("bare", func(s *sharerstypes.Sharer) { s.Attributes = nil }),
		edit("poor1", func(s *sharerstypes.Sharer) { s.Collateral = sdkmath.NewInt(1_000_000) }),
		edit("poor2", func(s *sharerstypes.Sharer) { s.Collateral = sdkmath.NewInt(2_500_000) }),
		edit("busycpu", func(s *sharerstypes.Sharer) { s.Used.MilliCpu = 1800 }),
		edit("mem32", func(s *sharerstypes.Sharer) { s.Capacity.MemoryBytes = 32 << 20 }),
		edit("mem16", func(s *sharerstypes.Sharer) { s.Capacity.MemoryBytes = 16 << 20 }),
		edit("disk", func(s *sharerstypes.Sharer) { s.Capacity.StorageBytes = 512 << 20 }),
		edit("denier", func(s *sharerstypes.Sharer) { s.Deny.Services = []string{"big"} }),
		edit("good", nil),
		// Not counted anywhere: nothing in the manifest brings them in.
		edit("offline", func(s *sharerstypes.Sharer) { s.Status = sharerstypes.SharerOffline; s.Attributes = nil }),
		edit("pricey", func(s *sharerstypes.Sharer) { s.Prices.MemoryPerMibHour = 2000 }),
	}
	want := strings.Join([]string{
		"1 sharer refuses the service by name or owner (its deny list) [denier]",
		"  fix: none in the manifest (name, permissions.owners): other sharers must host it",
		"3 sharers: placement.requireAttributes wants region=eu; they have region=local (2), no region (1) [local1,local2,bare]",
		"  fix: set placement.requireAttributes region: local (what most of them offer), or remove region",
		"2 sharers: placement.minCollateral wants 5QC; they have 1QC–2.5QC of collateral [poor1,poor2]",
		"  fix: lower placement.minCollateral to at most 2.5QC",
		"1 sharer: resources.cpu wants 500m; they have 200m free [busycpu]",
		"  fix: lower resources.cpu to at most 200m, or wait for sharers with more free (q1 sharer list)",
		"2 sharers: resources.memory wants 64Mi; they have 16Mi–32Mi free [mem32,mem16]",
		"  fix: lower resources.memory to at most 32Mi, or wait for sharers with more free (q1 sharer list)",
		"1 sharer: resources.storage wants 1Gi; they have 512Mi free [disk]",
		"  fix: lower resources.storage to at most 512Mi, or wait for sharers with more free (q1 sharer list)",
		"placement.replicas wants 3 replicas on 3 sharers (placement.spread: node); 1 sharer qualifies [good]",
		"  fix: lower placement.replicas to at most 1, or change what keeps the other sharers out",
	}, "\n")
	if got := exclusionLines(exclusionGroups("big", &spec, sharers, nil)); got != want {
		t.Fatalf("exclusion groups:\n%s\nwant:\n%s", got, want)
	}
	// With a replica on good already, and another qualifying sharer, 2 of 3 qualify.
	sharers = append(sharers, edit("good2", nil))
	got := exclusionLines(exclusionGroups("big", &spec, sharers, []string{"good"}))
	if !strings.Contains(got, "placement.replicas wants 3 replicas on 3 sharers (placement.spread: node); 2 sharers qualify, counting the 1 holding a replica [good2]\n"+
		"  fix: lower placement.replicas to at most 2") {
		t.Fatalf("with good holding a replica:\n%s", got)
	}

	// Spread by an attribute: sharers without it are out, and those with it
	// count once per value.
	spec = exclusionTestSpec(t, "{replicas: 3, spread: zone}")
	zone := func(v string) func(*sharerstypes.Sharer) {
		return func(s *sharerstypes.Sharer) {
			s.Attributes = append(s.Attributes, sharerstypes.Attribute{Key: "zone", Value: v})
		}
	}
	sharers = []sharerstypes.Sharer{edit("a", zone("z1")), edit("b", zone("z1")), edit("c", zone("z2")), edit("d", nil)}
	want = strings.Join([]string{
		"1 sharer: placement.spread wants a zone attribute to spread by; they have no zone [d]",
		"  fix: spread by node (placement.spread: node), or by an attribute the sharers have (q1 sharer list)",
		"placement.replicas wants 3 replicas on 3 distinct zone values (placement.spread: zone); 2 distinct zone values qualify [a,b,c]",
		"  fix: lower placement.replicas to at most 2, or change what keeps the other sharers out",
	}, "\n")
	if got := exclusionLines(exclusionGroups("big", &spec, sharers, nil)); got != want {
		t.Fatalf("spread by zone:\n%s\nwant:\n%s", got, want)
	}
	// Every sharer qualifies and there are enough: nothing to say.
	if gs := exclusionGroups("big", &spec, []sharerstypes.Sharer{edit("a", zone("z1")), edit("b", zone("z2")), edit("c", zone("z3"))}, nil); gs == nil || len(gs) != 0 {
		t.Fatalf("placeable: %#v, want an empty list (-o json: [])", gs)
	}
}

// TestPlacementJSONKeepsTheChainsFields: q1 service placement -o json is
// the chain's placement with the CLI's groups beside it; a group field named
// like one of the placement's (it once was "excluded") hid the chain's
// field and broke every script decoding the output as a client.Placement.
func TestPlacementJSONKeepsTheChainsFields(t *testing.T) {
	p := &q1client.Placement{Service: "victim", Excluded: []string{"q11sharer"}}
	b, err := json.Marshal(placementOut{p, []PriceGroup{}, []Exclusion{}})
	if err != nil {
		t.Fatal(err)
	}
	var back q1client.Placement
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("the output does not decode as a client.Placement: %v\n%s", err, b)
	}
	if len(back.Excluded) != 1 || back.Excluded[0] != "q11sharer" {
		t.Fatalf("the chain's excluded sharers are lost: %s", b)
	}
	var groups map[string]json.RawMessage
	if err := json.Unmarshal(b, &groups); err != nil || groups["passed_over"] == nil || groups["above_price_caps"] == nil {
		t.Fatalf("no passed_over or above_price_caps: %v\n%s", err, b)
	}
}
