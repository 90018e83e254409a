package main

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	sdkmath "cosmossdk.io/math"
	"github.com/cosmos/cosmos-sdk/client"
	"github.com/spf13/cobra"

	"github.com/quantum1net/q1/core/address"
	"github.com/quantum1net/q1/core/manifest"
	"github.com/quantum1net/q1/core/qc"
	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
)

// The flags that describe a sharer's offer, shared by register and update.
const (
	flagEndpoint = "endpoint"
	flagCPU      = "cpu"
	flagMemory   = "memory"
	// flagDisk is the storage offered. (Not --storage: the SDK binds every
	// flag into the node config, where "storage" is CometBFT's section.)
	flagDisk       = "disk"
	flagEgress     = "egress"
	flagAttr       = "attr"
	flagPrice      = "price"
	flagDeny       = "deny"
	flagClearAttrs = "clear-attrs"
	flagClearDeny  = "clear-deny"
)

// examplePrices is a complete --price value, for help and messages.
const examplePrices = "cpu=500uqc/core-s,memory=2uqc/MiB-h,storage=50uqc/GiB-h,requests=10uqc/1k,egress=5000uqc/GiB"

// addOfferFlags adds the offer flags to a command.
func addOfferFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.String(flagEndpoint, "", "the node's public base URL (http or https), e.g. https://node.example.com:8081")
	f.String(flagCPU, "", "CPU offered: cores (2, 0.5) or millicores (500m)")
	f.String(flagMemory, "", "memory offered, e.g. 4Gi")
	f.String(flagDisk, "", "storage (disk space) offered, e.g. 50Gi")
	f.String(flagEgress, "", "outbound traffic offered per hour, e.g. 100Gi (or 100Gi/h)")
	f.StringArray(flagAttr, nil, "an attribute KEY=VALUE such as region=eu (repeat for more)")
	f.StringArray(flagPrice, nil, "prices per unit, comma-separated: "+examplePrices)
	f.StringArray(flagDeny, nil, "a service name, or an owner account (q1… or a key's name), never to host (repeat for more)")
}

// priceField is one price of an offer: its --price key, the unit it is
// priced per, and where it lives in sharerstypes.Prices.
type priceField struct {
	key, unit string
	aliases   []string
	field     func(*sharerstypes.Prices) *uint64
}

var priceFields = []priceField{
	{"cpu", "core-s", []string{"core-second"}, func(p *sharerstypes.Prices) *uint64 { return &p.CpuPerCoreSecond }},
	{"memory", "MiB-h", []string{"MiB-hour"}, func(p *sharerstypes.Prices) *uint64 { return &p.MemoryPerMibHour }},
	{"storage", "GiB-h", []string{"GiB-hour"}, func(p *sharerstypes.Prices) *uint64 { return &p.StoragePerGibHour }},
	{"requests", "1k", []string{"1k-requests", "1000"}, func(p *sharerstypes.Prices) *uint64 { return &p.Per_1KRequests }},
	{"egress", "GiB", nil, func(p *sharerstypes.Prices) *uint64 { return &p.EgressPerGib }},
}

func (f priceField) unitMatches(u string) bool {
	if strings.EqualFold(u, f.unit) {
		return true
	}
	for _, a := range f.aliases {
		if strings.EqualFold(u, a) {
			return true
		}
	}
	return false
}

// parsePrices reads --price values ("cpu=500uqc/core-s,memory=2uqc/MiB-h")
// over base. With requireAll, every resource must be priced.
func parsePrices(values []string, base sharerstypes.Prices, requireAll bool) (sharerstypes.Prices, error) {
	out := base
	seen := map[string]bool{}
	for _, v := range values {
		for _, item := range strings.Split(v, ",") {
			item = strings.TrimSpace(item)
			if item == "" {
				continue
			}
			key, price, ok := strings.Cut(item, "=")
			if !ok {
				return out, fmt.Errorf("--price %q: write RESOURCE=AMOUNT/UNIT, such as cpu=500uqc/core-s", item)
			}
			i := slices.IndexFunc(priceFields, func(f priceField) bool { return f.key == key })
			if i < 0 {
				return out, fmt.Errorf("--price %q: unknown resource %q; price cpu, memory, storage, requests and egress", item, key)
			}
			f := priceFields[i]
			if seen[key] {
				return out, fmt.Errorf("--price gives %s twice; give each resource once", key)
			}
			seen[key] = true
			amount, unit, ok := strings.Cut(price, "/")
			if !ok {
				return out, fmt.Errorf("--price %q: say what the price is per: %s=%s/%s", item, key, price, f.unit)
			}
			if !f.unitMatches(unit) {
				return out, fmt.Errorf("--price %q: %s is priced per %s, not per %s (write %s=%s/%s)", item, key, f.unit, unit, key, amount, f.unit)
			}
			n, err := parsePrice(amount)
			if err != nil {
				return out, fmt.Errorf("--price %q: %v", item, err)
			}
			*f.field(&out) = n
		}
	}
	if requireAll {
		var missing []string
		for _, f := range priceFields {
			if !seen[f.key] {
				missing = append(missing, f.key)
			}
		}
		if len(missing) > 0 {
			return out, fmt.Errorf("--price does not price %s: price every resource, such as --price %s",
				strings.Join(missing, ", "), examplePrices)
		}
	}
	return out, nil
}

// parsePrice reads one price in QC or uqc and checks it is a whole number
// of uqc between 1 and sharerstypes.MaxPrice.
func parsePrice(s string) (uint64, error) {
	v, err := qc.ParseNonNegative(s)
	if err != nil {
		return 0, err
	}
	ceiling := sdkmath.NewIntFromUint64(sharerstypes.MaxPrice)
	switch {
	case v.IsZero():
		return 0, fmt.Errorf("a price must be at least 1uqc, got %s", s)
	case v.GT(ceiling):
		return 0, fmt.Errorf("%s is above the highest price a sharer may ask (%s per unit)", s, qc.Format(ceiling))
	}
	return v.Uint64(), nil
}

// formatPrices writes prices the way --price takes them.
func formatPrices(p sharerstypes.Prices) string {
	parts := make([]string, len(priceFields))
	for i, f := range priceFields {
		parts[i] = fmt.Sprintf("%s=%duqc/%s", f.key, *f.field(&p), f.unit)
	}
	return strings.Join(parts, ",")
}

// parseCapacity reads the capacity flags over base; with requireAll every
// one must be given.
func parseCapacity(cmd *cobra.Command, base sharerstypes.Capacity, requireAll bool) (sharerstypes.Capacity, error) {
	out := base
	get := func(name string) (string, bool, error) {
		v, _ := cmd.Flags().GetString(name)
		if v == "" {
			if requireAll {
				return "", false, fmt.Errorf("say how much %s the node offers with --%s", name, name)
			}
			return "", false, nil
		}
		return v, true, nil
	}
	if v, ok, err := get(flagCPU); err != nil {
		return out, err
	} else if ok {
		m, err := manifest.ParseMilliCPU(v)
		if err != nil {
			return out, fmt.Errorf("--cpu: %v", err)
		}
		if uint64(m) < sharerstypes.MinOfferMilliCPU || uint64(m) > sharerstypes.MaxOfferMilliCPU {
			return out, fmt.Errorf("--cpu %s is out of range: offer between %s and %s cores", v,
				manifest.MilliCPU(sharerstypes.MinOfferMilliCPU), manifest.MilliCPU(sharerstypes.MaxOfferMilliCPU))
		}
		out.MilliCpu = uint64(m)
	}
	for _, b := range []struct {
		flag     string
		dst      *uint64
		min, max uint64
		perHour  bool
	}{
		{flagMemory, &out.MemoryBytes, sharerstypes.MinOfferMemory, sharerstypes.MaxOfferMemory, false},
		{flagDisk, &out.StorageBytes, sharerstypes.MinOfferStorage, sharerstypes.MaxOfferStorage, false},
		{flagEgress, &out.EgressBytesPerHour, sharerstypes.MinOfferEgressPerHr, sharerstypes.MaxOfferEgressPerHr, true},
	} {
		v, ok, err := get(b.flag)
		if err != nil {
			return out, err
		}
		if !ok {
			continue
		}
		size := v
		if b.perHour {
			size = strings.TrimSuffix(v, "/h")
		}
		n, err := manifest.ParseByteSize(size)
		if err != nil {
			return out, fmt.Errorf("--%s: %v", b.flag, err)
		}
		if uint64(n) < b.min || uint64(n) > b.max {
			unit := ""
			if b.perHour {
				unit = " an hour"
			}
			return out, fmt.Errorf("--%s %s is out of range: offer between %s and %s%s", b.flag, v,
				manifest.ByteSize(b.min), manifest.ByteSize(b.max), unit)
		}
		*b.dst = uint64(n)
	}
	return out, nil
}

// parseAttributes reads --attr KEY=VALUE values, sorted by key and checked
// as the chain checks them.
func parseAttributes(values []string) ([]sharerstypes.Attribute, error) {
	out := []sharerstypes.Attribute{}
	for _, v := range values {
		k, val, ok := strings.Cut(v, "=")
		if !ok {
			return nil, fmt.Errorf("--attr %q: write KEY=VALUE, such as region=eu", v)
		}
		out = append(out, sharerstypes.Attribute{Key: k, Value: val})
	}
	slices.SortStableFunc(out, func(a, b sharerstypes.Attribute) int { return strings.Compare(a.Key, b.Key) })
	if err := sharerstypes.ValidateAttributes(out); err != nil {
		return nil, fmt.Errorf("--attr: %v", err)
	}
	return out, nil
}

// keyLookup finds the account of a key by name; ok is false when there is
// no such key.
type keyLookup func(name string) (addr string, ok bool)

// keyringLookup looks keys up in c's keyring (none when it has no keyring).
func keyringLookup(c client.Context) keyLookup {
	return func(name string) (string, bool) {
		if c.Keyring == nil {
			return "", false
		}
		rec, err := c.Keyring.Key(name)
		if err != nil {
			return "", false
		}
		addr, err := rec.GetAddress()
		if err != nil {
			return "", false
		}
		return addr.String(), true
	}
}

// parseDeny reads --deny values: a q1… account or the name of a key in the
// keyring is an owner (keys finds it; a note on notes says whose account it
// is), anything else a service name.
func parseDeny(values []string, keys keyLookup, notes io.Writer) (sharerstypes.DenyList, error) {
	out := sharerstypes.DenyList{Services: []string{}, Owners: []string{}}
	for _, v := range values {
		if strings.HasPrefix(v, address.AccountPrefix+"1") {
			addr, err := parseAddress(v, "--deny owner")
			if err != nil {
				return out, err
			}
			out.Owners = append(out.Owners, addr.String())
			continue
		}
		if keys != nil {
			if addr, ok := keys(v); ok {
				fmt.Fprintf(notes, "--deny %s: the key %s's account %s: services it owns are refused (a service named %s is not)\n", v, v, addr, v)
				out.Owners = append(out.Owners, addr)
				continue
			}
		}
		if err := manifest.ValidateName(v); err != nil {
			return out, fmt.Errorf("--deny %q is neither a q1… account, a key's name, nor a service name: it %v", v, err)
		}
		out.Services = append(out.Services, v)
	}
	return out, nil
}

// offerFromFlags builds an offer from the command's flags over base (the
// current offer, for update). With requireAll (register) endpoint,
// capacity and every price must be given. keys resolves key names in
// --deny (nil: none are keys).
func offerFromFlags(cmd *cobra.Command, base sharerstypes.Offer, requireAll bool, keys keyLookup) (sharerstypes.Offer, error) {
	f := cmd.Flags()
	out := base
	endpoint, _ := f.GetString(flagEndpoint)
	switch {
	case endpoint != "":
		// The chain judges private addresses by its params; the form is
		// checked here so a typo costs no fee.
		if err := sharerstypes.ValidateEndpoint(endpoint, true); err != nil {
			return out, err
		}
		out.Endpoint = endpoint
	case requireAll:
		return out, errors.New("say where callers reach the node with --endpoint URL, such as https://node.example.com:8081")
	}
	var err error
	if out.Capacity, err = parseCapacity(cmd, base.Capacity, requireAll); err != nil {
		return out, err
	}
	prices, _ := f.GetStringArray(flagPrice)
	if requireAll && len(prices) == 0 {
		return out, fmt.Errorf("say what the node charges with --price %s", examplePrices)
	}
	if out.Prices, err = parsePrices(prices, base.Prices, requireAll); err != nil {
		return out, err
	}
	clearAttrs, _ := f.GetBool(flagClearAttrs)
	if attrs, _ := f.GetStringArray(flagAttr); len(attrs) > 0 || clearAttrs || requireAll {
		if clearAttrs && len(attrs) > 0 {
			return out, errors.New("--clear-attrs and --attr do not go together: --attr alone replaces every attribute")
		}
		if out.Attributes, err = parseAttributes(attrs); err != nil {
			return out, err
		}
	}
	clearDeny, _ := f.GetBool(flagClearDeny)
	if deny, _ := f.GetStringArray(flagDeny); len(deny) > 0 || clearDeny || requireAll {
		if clearDeny && len(deny) > 0 {
			return out, errors.New("--clear-deny and --deny do not go together: --deny alone replaces the deny list")
		}
		if out.Deny, err = parseDeny(deny, keys, cmd.ErrOrStderr()); err != nil {
			return out, err
		}
	}
	return out, nil
}

// offerChanged reports whether any offer flag was given.
func offerChanged(cmd *cobra.Command) bool {
	for _, name := range []string{flagEndpoint, flagCPU, flagMemory, flagDisk, flagEgress, flagAttr, flagPrice, flagDeny, flagClearAttrs, flagClearDeny} {
		if cmd.Flags().Changed(name) {
			return true
		}
	}
	return false
}
