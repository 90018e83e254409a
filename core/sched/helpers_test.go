package sched

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	sdkmath "cosmossdk.io/math"
)

const (
	mi = 1 << 20
	gi = 1 << 30
)

// basePrices are the prices of every test sharer unless a test changes them.
var basePrices = Prices{
	CPUPerCoreSecond:  500,
	MemoryPerMiBHour:  2,
	StoragePerGiBHour: 50,
	Per1kRequests:     10,
	EgressPerGiB:      5000,
}

// testSharer returns an online sharer with room for many replicas, basePrices,
// ample collateral and region=eu, changed by each mod in turn.
func testSharer(addr string, mods ...func(*Sharer)) Sharer {
	s := Sharer{
		Address:    addr,
		Online:     true,
		Free:       Resources{MilliCPU: 8000, MemoryBytes: 8 * gi, StorageBytes: 100 * gi},
		Attributes: []Attribute{{Key: "region", Value: "eu"}},
		Collateral: sdkmath.NewInt(5_000_000_000),
		Prices:     basePrices,
	}
	for _, m := range mods {
		m(&s)
	}
	return s
}

// testRequest returns a request for one replica of "hello" (500m cpu, 64Mi
// memory, 128Mi storage) with caps at twice basePrices, changed by each mod.
func testRequest(mods ...func(*Request)) Request {
	r := Request{
		Service:       "hello",
		Owners:        []string{"q1owner"},
		Resources:     Resources{MilliCPU: 500, MemoryBytes: 64 * mi, StorageBytes: 128 * mi},
		Replicas:      1,
		Spread:        SpreadNode,
		MinCollateral: sdkmath.NewInt(1_000_000_000),
		MaxPrices: Prices{
			CPUPerCoreSecond:  1000,
			MemoryPerMiBHour:  4,
			StoragePerGiBHour: 100,
			Per1kRequests:     20,
			EgressPerGiB:      10000,
		},
	}
	for _, m := range mods {
		m(&r)
	}
	return r
}

// withMemoryPrice sets a sharer's memory price, the easy knob for cost tests.
func withMemoryPrice(p uint64) func(*Sharer) {
	return func(s *Sharer) { s.Prices.MemoryPerMiBHour = p }
}

// withRegion sets a sharer's region attribute.
func withRegion(region string) func(*Sharer) {
	return func(s *Sharer) { s.Attributes = []Attribute{{Key: "region", Value: region}} }
}

// addrs returns n addresses "q1s000".."q1s<n-1>".
func addrs(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("q1s%03d", i)
	}
	return out
}

// chosenAddrs lists the chosen sharers in order.
func chosenAddrs(res Result) []string {
	out := make([]string, len(res.Chosen))
	for i, c := range res.Chosen {
		out[i] = c.Sharer
	}
	return out
}

// render is a complete, comparable rendering of a Result.
func render(res Result) string {
	var b strings.Builder
	for _, c := range res.Chosen {
		fmt.Fprintf(&b, "%s %+v %s pref=%t band=%t\n", c.Sharer, c.Prices, c.HourlyCost, c.Preferred, c.InBand)
	}
	fmt.Fprintf(&b, "unplaced=%d candidates=%d excluded=%v", res.Unplaced, res.Candidates, res.excluded)
	return b.String()
}

// mustPlace runs Place and fails the test on error.
func mustPlace(t testing.TB, req Request, cands []Sharer, p Params) Result {
	t.Helper()
	res, err := Place(req, cands, p)
	if err != nil {
		t.Fatalf("Place: %v", err)
	}
	return res
}

// byWeight returns addresses ordered by rendezvous weight for service,
// highest first, computed independently of the package's weigher.
func byWeight(service string, addresses []string) []string {
	out := append([]string(nil), addresses...)
	// Insertion sort keeps this reference implementation obviously correct.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && weightHex(service, out[j]) > weightHex(service, out[j-1]); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// weightHex is the rendezvous weight as lowercase hex, which orders as the
// bytes do.
func weightHex(service, addr string) string {
	sum := sha256.Sum256([]byte(service + "\x00" + addr))
	return hex.EncodeToString(sum[:])
}
