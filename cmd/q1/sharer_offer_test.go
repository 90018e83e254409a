package main

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"

	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
)

// offerCmd is a command with the offer flags set to args.
func offerCmd(t *testing.T, args ...string) *cobra.Command {
	t.Helper()
	cmd := &cobra.Command{Use: "test"}
	addOfferFlags(cmd)
	cmd.Flags().Bool(flagClearAttrs, false, "")
	cmd.Flags().Bool(flagClearDeny, false, "")
	if err := cmd.Flags().Parse(args); err != nil {
		t.Fatal(err)
	}
	return cmd
}

var fullOffer = []string{
	"--endpoint", "https://node.example.com:8081", "--cpu", "2", "--memory", "4Gi", "--disk", "50Gi", "--egress", "100Gi",
	"--price", examplePrices,
}

func TestOfferFromFlags(t *testing.T) {
	cmd := offerCmd(t, append(fullOffer, "--attr", "zone=eu-west-1", "--attr", "region=eu", "--deny", "spam")...)
	o, err := offerFromFlags(cmd, sharerstypes.Offer{}, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := sharerstypes.Capacity{MilliCpu: 2000, MemoryBytes: 4 << 30, StorageBytes: 50 << 30, EgressBytesPerHour: 100 << 30}
	if o.Capacity != want {
		t.Errorf("capacity %+v, want %+v", o.Capacity, want)
	}
	if got := formatPrices(o.Prices); got != examplePrices {
		t.Errorf("prices format as %s, want %s", got, examplePrices)
	}
	if len(o.Attributes) != 2 || o.Attributes[0].Key != "region" || o.Attributes[1].Key != "zone" {
		t.Errorf("attributes %v, want sorted by key", o.Attributes)
	}
	if len(o.Deny.Services) != 1 || o.Deny.Services[0] != "spam" || len(o.Deny.Owners) != 0 {
		t.Errorf("deny %+v", o.Deny)
	}

	// An update replaces only what is given.
	upd, err := offerFromFlags(offerCmd(t, "--price", "cpu=0.0004QC/core-second", "--memory", "8Gi"), o, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if upd.Prices.CpuPerCoreSecond != 400 || upd.Prices.MemoryPerMibHour != 2 || upd.Capacity.MemoryBytes != 8<<30 ||
		upd.Capacity.MilliCpu != 2000 || upd.Endpoint != o.Endpoint || len(upd.Attributes) != 2 {
		t.Errorf("update changed more or less than asked: %+v", upd)
	}
	cleared, err := offerFromFlags(offerCmd(t, "--clear-attrs"), o, false, nil)
	if err != nil || len(cleared.Attributes) != 0 {
		t.Errorf("--clear-attrs left %v (%v)", cleared.Attributes, err)
	}
}

func TestOfferFlagErrors(t *testing.T) {
	without := func(flag string) []string {
		var out []string
		for i := 0; i < len(fullOffer); i += 2 {
			if fullOffer[i] != flag {
				out = append(out, fullOffer[i], fullOffer[i+1])
			}
		}
		return out
	}
	with := func(flag, value string) []string { return append(without(flag), flag, value) }
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no endpoint", without("--endpoint"), "say where callers reach the node with --endpoint URL, such as https://node.example.com:8081"},
		{"endpoint scheme", with("--endpoint", "ftp://node.example.com"), `endpoint "ftp://node.example.com" must start with http:// or https://`},
		{"endpoint query", with("--endpoint", "https://node.example.com/?x=1"), `endpoint "https://node.example.com/?x=1" must not have a query (?…)`},
		{"no memory", without("--memory"), "say how much memory the node offers with --memory"},
		{"zero cpu", with("--cpu", "0"), "--cpu 0 is out of range: offer between 10m and 1024 cores"},
		{"absurd cpu", with("--cpu", "100000"), "--cpu 100000 is out of range: offer between 10m and 1024 cores"},
		{"cpu syntax", with("--cpu", "two"), `--cpu: invalid cpu "two": write millicores such as 500m, or cores such as 1 or 0.5 (at most 3 decimal places)`},
		{"zero memory", with("--memory", "0"), "--memory 0 is out of range: offer between 1Mi and 64Ti"},
		{"absurd storage", with("--disk", "2000Ti"), "--disk 2000Ti is out of range: offer between 1Mi and 1024Ti"},
		{"memory unit", with("--memory", "4GB"), `--memory: invalid byte size "4GB": write a whole number of bytes with an optional unit Ki, Mi, Gi, Ti (powers of 1024) or k, M, G, T (powers of 1000), such as 64Mi`},
		{"egress per hour", with("--egress", "10k/h"), "--egress 10k/h is out of range: offer between 1Mi and 1024Ti an hour"},
		{"no price", without("--price"), "say what the node charges with --price " + examplePrices},
		{"missing prices", with("--price", "cpu=500uqc/core-s,memory=2uqc/MiB-h"),
			"--price does not price storage, requests, egress: price every resource, such as --price " + examplePrices},
		{"zero price", with("--price", "cpu=0uqc/core-s"), `--price "cpu=0uqc/core-s": a price must be at least 1uqc, got 0uqc`},
		{"absurd price", with("--price", "cpu=2000000QC/core-s"), `--price "cpu=2000000QC/core-s": 2000000QC is above the highest price a sharer may ask (1000000QC per unit)`},
		{"wrong unit", with("--price", "memory=2uqc/GiB-h"), `--price "memory=2uqc/GiB-h": memory is priced per MiB-h, not per GiB-h (write memory=2uqc/MiB-h)`},
		{"no unit", with("--price", "egress=5000uqc"), `--price "egress=5000uqc": say what the price is per: egress=5000uqc/GiB`},
		{"unknown resource", with("--price", "gpu=5uqc/h"), `--price "gpu=5uqc/h": unknown resource "gpu"; price cpu, memory, storage, requests and egress`},
		{"price twice", with("--price", "cpu=1uqc/core-s,cpu=2uqc/core-s"), "--price gives cpu twice; give each resource once"},
		{"price syntax", with("--price", "cpu:500uqc"), `--price "cpu:500uqc": write RESOURCE=AMOUNT/UNIT, such as cpu=500uqc/core-s`},
		{"fractional uqc", with("--price", "cpu=0.5uqc/core-s"), `--price "cpu=0.5uqc/core-s": amount "0.5uqc" has decimals, but uqc is the smallest unit`},
		{"attr without value", append(fullOffer, "--attr", "region"), `--attr "region": write KEY=VALUE, such as region=eu`},
		{"attr uppercase", append(fullOffer, "--attr", "Region=eu"), `--attr: attribute key "Region": use 1-63 lowercase letters, digits and - . _ /, starting and ending with a letter or digit, such as region or topology/zone`},
		{"attr twice", append(fullOffer, "--attr", "region=eu", "--attr", "region=us"), "--attr: attribute region is given twice; give each key once"},
		{"deny bad name", append(fullOffer, "--deny", "Bad_Name"), `--deny "Bad_Name" is neither a q1… account, a key's name, nor a service name: it `},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := offerFromFlags(offerCmd(t, tc.args...), sharerstypes.Offer{}, true, nil)
			if err == nil {
				t.Fatalf("accepted; want %q", tc.want)
			}
			got := err.Error()
			if tc.name == "deny bad name" {
				got = got[:min(len(got), len(tc.want))]
			}
			if got != tc.want {
				t.Errorf("error\n got: %s\nwant: %s", got, tc.want)
			}
		})
	}
}

// TestParseDenyKeyNames: --deny takes a key's name for its account, as an
// owner to refuse, and says so; what is neither an account nor a key is a
// service name.
func TestParseDenyKeyNames(t *testing.T) {
	keys := func(name string) (string, bool) {
		if name == "mallory" {
			return ownerB, true
		}
		return "", false
	}
	var notes strings.Builder
	d, err := parseDeny([]string{"mallory", ownerA, "spam"}, keys, &notes)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(d.Owners, ",") != ownerB+","+ownerA || strings.Join(d.Services, ",") != "spam" {
		t.Fatalf("deny list %+v", d)
	}
	if want := "--deny mallory: the key mallory's account " + ownerB + ": services it owns are refused (a service named mallory is not)\n"; notes.String() != want {
		t.Fatalf("notes %q, want %q", notes.String(), want)
	}
	// Without keys, a name is a service's.
	if d, err := parseDeny([]string{"mallory"}, nil, &notes); err != nil || len(d.Owners) != 0 || strings.Join(d.Services, ",") != "mallory" {
		t.Fatalf("without keys: %+v, %v", d, err)
	}
}
