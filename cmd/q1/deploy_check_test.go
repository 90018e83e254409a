package main

import (
	"strings"
	"testing"

	sdkmath "cosmossdk.io/math"

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
		got = append(got, g.String()+" "+strings.Join(g.Sharers, ","))
	}
	want := []string{
		"3 sharers ask memory 4–6uqc/MiB-h, above pricing.memoryPerMiBHour 2uqc (2–4uqc more) s1,s2,s3",
		"1 sharer asks requests 1000uqc/1k, above pricing.per1kRequests 10uqc (990uqc more) s2",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("price groups:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// A sharer already holding a replica is not passed over for price.
	if gs := priceGroups("tiny", &spec, sharers, []string{"s1", "s2"}); len(gs) != 1 || len(gs[0].Sharers) != 1 || gs[0].Sharers[0] != "s3" {
		t.Fatalf("with s1 and s2 current: %+v", gs)
	}
}
