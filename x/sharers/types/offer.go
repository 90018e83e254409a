package types

import (
	"fmt"
	"slices"
	"strings"

	errorsmod "cosmossdk.io/errors"

	"github.com/quantum1net/q1/core/manifest"
)

// Bounds on an offer. A value outside them is a typo or an attempt to
// attract every service with capacity the node cannot have.
const (
	MinOfferMilliCPU      = uint64(manifest.MinMilliCPU) // 10m
	MaxOfferMilliCPU      = 1_024_000                    // 1024 cores
	MinOfferMemory        = uint64(manifest.MinMemory)   // 1 MiB
	MaxOfferMemory        = 64 << 40                     // 64 TiB
	MinOfferStorage       = 1 << 20                      // 1 MiB
	MaxOfferStorage       = 1 << 50                      // 1 PiB
	MinOfferEgressPerHr   = 1 << 20                      // 1 MiB an hour
	MaxOfferEgressPerHr   = 1 << 50                      // 1 PiB an hour
	MaxPrice              = 1_000_000_000_000            // uqc per unit: 1,000,000 QC
	MaxAttributes         = manifest.MaxAttributes
	MaxDenyEntries        = 256
	maxAttributeLength    = 63
	attributeKeyInner     = "-._/"
	attributeValueInner   = "-._"
	attributeKeyExample   = "region or topology/zone"
	attributeValueExample = "eu or eu-west-1"
)

// Normalized returns o with its attributes sorted by key and its deny lists
// sorted, after checking everything but account addresses (the keeper
// decodes those with the chain's address codec): the endpoint (see
// ValidateEndpoint), capacity and prices within bounds, attribute keys and
// values, and the deny lists.
func (o Offer) Normalized(allowPrivateEndpoints bool) (Offer, error) {
	if err := ValidateEndpoint(o.Endpoint, allowPrivateEndpoints); err != nil {
		return Offer{}, errorsmod.Wrap(ErrInvalidEndpoint, err.Error())
	}
	if err := o.Capacity.Validate(); err != nil {
		return Offer{}, errorsmod.Wrap(ErrInvalidCapacity, err.Error())
	}
	if err := o.Prices.Validate(); err != nil {
		return Offer{}, errorsmod.Wrap(ErrInvalidPrices, err.Error())
	}
	out := o
	out.Attributes = slices.Clone(o.Attributes)
	slices.SortFunc(out.Attributes, func(a, b Attribute) int { return strings.Compare(a.Key, b.Key) })
	if err := ValidateAttributes(out.Attributes); err != nil {
		return Offer{}, errorsmod.Wrap(ErrInvalidAttributes, err.Error())
	}
	out.Deny.Services = slices.Sorted(slices.Values(o.Deny.Services))
	out.Deny.Owners = slices.Sorted(slices.Values(o.Deny.Owners))
	if err := out.Deny.validate(); err != nil {
		return Offer{}, errorsmod.Wrap(ErrInvalidDenyList, err.Error())
	}
	return out, nil
}

// Validate reports a capacity that is zero or beyond the bounds.
func (c Capacity) Validate() error {
	for _, f := range []struct {
		name, unit string
		v, lo, hi  uint64
	}{
		{"milli_cpu", "thousandths of a core", c.MilliCpu, MinOfferMilliCPU, MaxOfferMilliCPU},
		{"memory_bytes", "bytes", c.MemoryBytes, MinOfferMemory, MaxOfferMemory},
		{"storage_bytes", "bytes", c.StorageBytes, MinOfferStorage, MaxOfferStorage},
		{"egress_bytes_per_hour", "bytes an hour", c.EgressBytesPerHour, MinOfferEgressPerHr, MaxOfferEgressPerHr},
	} {
		if f.v < f.lo || f.v > f.hi {
			return fmt.Errorf("capacity.%s is %d; offer between %d and %d %s", f.name, f.v, f.lo, f.hi, f.unit)
		}
	}
	return nil
}

// Validate reports a price that is zero or beyond MaxPrice.
func (p Prices) Validate() error {
	for _, f := range []struct {
		name string
		v    uint64
	}{
		{"cpu_per_core_second", p.CpuPerCoreSecond},
		{"memory_per_mib_hour", p.MemoryPerMibHour},
		{"storage_per_gib_hour", p.StoragePerGibHour},
		{"per_1k_requests", p.Per_1KRequests},
		{"egress_per_gib", p.EgressPerGib},
	} {
		if f.v == 0 || f.v > MaxPrice {
			return fmt.Errorf("prices.%s is %duqc; set a price between 1 and %d uqc", f.name, f.v, uint64(MaxPrice))
		}
	}
	return nil
}

// ValidateAttributes reports attributes that are too many, not sorted by key,
// repeat a key, or have a key or value outside the allowed characters: keys
// 1-63 lowercase letters, digits and - . _ / (as manifests' requireAttributes
// and spread keys), values 1-63 lowercase letters, digits and - . _, both
// starting and ending with a letter or digit.
func ValidateAttributes(attrs []Attribute) error {
	if len(attrs) > MaxAttributes {
		return fmt.Errorf("%d attributes; at most %d are allowed", len(attrs), MaxAttributes)
	}
	for i, a := range attrs {
		if !isToken(a.Key, attributeKeyInner) {
			return fmt.Errorf("attribute key %q: use 1-%d lowercase letters, digits and - . _ /, starting and ending with a letter or digit, such as %s",
				a.Key, maxAttributeLength, attributeKeyExample)
		}
		if !isToken(a.Value, attributeValueInner) {
			return fmt.Errorf("attribute %s: value %q: use 1-%d lowercase letters, digits and - . _, starting and ending with a letter or digit, such as %s",
				a.Key, a.Value, maxAttributeLength, attributeValueExample)
		}
		if i > 0 && attrs[i-1].Key >= a.Key {
			if attrs[i-1].Key == a.Key {
				return fmt.Errorf("attribute %s is given twice; give each key once", a.Key)
			}
			return fmt.Errorf("attributes must be sorted by key: %s comes after %s", a.Key, attrs[i-1].Key)
		}
	}
	return nil
}

// isToken reports whether s is 1-63 lowercase letters, digits and the
// characters in inner, starting and ending with a letter or digit.
func isToken(s, inner string) bool {
	alnum := func(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' }
	if len(s) == 0 || len(s) > maxAttributeLength || !alnum(s[0]) || !alnum(s[len(s)-1]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !alnum(s[i]) && strings.IndexByte(inner, s[i]) < 0 {
			return false
		}
	}
	return true
}

// validate checks sorted deny lists: bounded, service names valid, nothing
// listed twice. Owner addresses are checked by the keeper.
func (d DenyList) validate() error {
	if len(d.Services) > MaxDenyEntries || len(d.Owners) > MaxDenyEntries {
		return fmt.Errorf("deny lists %d services and %d owners; at most %d of each are allowed",
			len(d.Services), len(d.Owners), MaxDenyEntries)
	}
	for i, s := range d.Services {
		if err := manifest.ValidateName(s); err != nil {
			return fmt.Errorf("deny.services: %q is not a service name: it %v", s, err)
		}
		if i > 0 && d.Services[i-1] == s {
			return fmt.Errorf("deny.services lists %s twice", s)
		}
	}
	for i, o := range d.Owners {
		if i > 0 && d.Owners[i-1] == o {
			return fmt.Errorf("deny.owners lists %s twice", o)
		}
	}
	return nil
}
