package sched

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	sdkmath "cosmossdk.io/math"
)

// ErrInvalidRequest is wrapped by every error about a malformed Request.
var ErrInvalidRequest = errors.New("invalid placement request")

// prepared is a validated Request with the lookups placement needs.
type prepared struct {
	req       *Request
	spreadKey string   // attribute spread key; empty under SpreadNode
	current   []string // Current sharers, sorted
	preferred []string // Preferred sharers, sorted, without repeats
	used      []string // spread values held by Current replicas
	// minCollateral is req.MinCollateral when minFits: it is nil (0) or
	// in [0, 2^64). Then collateral is compared as a uint64.
	minCollateral uint64
	minFits       bool
}

// prepare validates req and builds its lookups.
func prepare(req *Request) (prepared, error) {
	invalid := func(format string, args ...any) (prepared, error) {
		return prepared{}, fmt.Errorf("sched: %w for service %q: %s", ErrInvalidRequest, req.Service, fmt.Sprintf(format, args...))
	}
	if req.Service == "" {
		return invalid("the service name is empty: set Request.Service")
	}
	if req.Replicas < 0 {
		return invalid("replicas is %d: it must be 0 or more", req.Replicas)
	}
	if err := checkAttributes(req.RequireAttributes); err != nil {
		return invalid("requireAttributes: %v", err)
	}
	p := prepared{req: req}
	switch m := req.MinCollateral; {
	case m.IsNil() || !m.IsPositive():
		p.minFits = true
	case m.IsUint64():
		p.minCollateral, p.minFits = m.Uint64(), true
	}
	if req.Spread != "" && req.Spread != SpreadNode {
		p.spreadKey = req.Spread
	}
	p.current = make([]string, 0, len(req.Current))
	for i, r := range req.Current {
		if r.Sharer == "" {
			return invalid("current[%d] has no sharer address", i)
		}
		if err := checkAttributes(r.Attributes); err != nil {
			return invalid("current[%d] (%s) attributes: %v", i, r.Sharer, err)
		}
		p.current = append(p.current, r.Sharer)
		if p.spreadKey == "" {
			continue
		}
		if v, ok := attribute(r.Attributes, p.spreadKey); ok && !slices.Contains(p.used, v) {
			p.used = append(p.used, v)
		}
	}
	slices.Sort(p.current)
	for i := 1; i < len(p.current); i++ {
		if p.current[i] == p.current[i-1] {
			return invalid("current lists sharer %s twice: a sharer holds at most one replica of a service", p.current[i])
		}
	}
	p.preferred = slices.Compact(slices.Sorted(slices.Values(req.Preferred)))
	return p, nil
}

// checkAttributes reports an attribute list that is not sorted by key, repeats
// a key, or has an empty key.
func checkAttributes(attrs []Attribute) error {
	for i, a := range attrs {
		if a.Key == "" {
			return fmt.Errorf("entry %d has an empty key", i)
		}
		if i > 0 && attrs[i-1].Key >= a.Key {
			return fmt.Errorf("key %q at %d does not come after %q: sort by key and list each key once", a.Key, i, attrs[i-1].Key)
		}
	}
	return nil
}

// attribute returns the value of key in attrs, which are sorted by key.
func attribute(attrs []Attribute, key string) (string, bool) {
	i, ok := slices.BinarySearchFunc(attrs, key, func(a Attribute, k string) int { return strings.Compare(a.Key, k) })
	if !ok {
		return "", false
	}
	return attrs[i].Value, true
}

// contains reports whether sorted holds s.
func contains(sorted []string, s string) bool {
	_, ok := slices.BinarySearch(sorted, s)
	return ok
}

// check returns the first reason s cannot host a replica, judged on s alone
// (it does not see repeated addresses, the band or replicas chosen earlier).
func (p *prepared) check(s *Sharer) Reason {
	req := p.req
	switch {
	case s.Address == "" || checkAttributes(s.Attributes) != nil:
		return ReasonInvalid
	case contains(p.current, s.Address):
		return ReasonPlaced
	case !s.Online:
		return ReasonOffline
	case p.denied(s):
		return ReasonDenied
	case !p.attributesMatch(s):
		return ReasonAttributes
	case !p.collateralCovers(s.Collateral):
		return ReasonCollateral
	case s.Free.MilliCPU < req.Resources.MilliCPU:
		return ReasonCPU
	case s.Free.MemoryBytes < req.Resources.MemoryBytes:
		return ReasonMemory
	case s.Free.StorageBytes < req.Resources.StorageBytes:
		return ReasonStorage
	case !pricesWithin(s.Prices, req.MaxPrices):
		return ReasonPrice
	case p.spreadTaken(s.Attributes, p.used):
		return ReasonSpread
	}
	return ReasonNone
}

// denied reports whether s's deny list names the service or any owner.
func (p *prepared) denied(s *Sharer) bool {
	if slices.Contains(s.Deny.Services, p.req.Service) {
		return true
	}
	for _, o := range p.req.Owners {
		if slices.Contains(s.Deny.Owners, o) {
			return true
		}
	}
	return false
}

// attributesMatch reports whether attrs carry every required attribute with
// its exact value, and the spread attribute if spread is by attribute. Both
// lists are sorted by key, so one merge walk decides.
func (p *prepared) attributesMatch(s *Sharer) bool {
	have := s.Attributes
	j := 0
	for _, want := range p.req.RequireAttributes {
		for j < len(have) && have[j].Key < want.Key {
			j++
		}
		if j == len(have) || have[j] != want {
			return false
		}
	}
	if p.spreadKey != "" {
		_, ok := attribute(have, p.spreadKey)
		return ok
	}
	return true
}

// spreadTaken reports whether a sharer with attrs would share its spread value
// with one of used. Under SpreadNode it is always false: distinct sharers are
// enforced by ReasonPlaced and unique candidate addresses.
func (p *prepared) spreadTaken(attrs []Attribute, used []string) bool {
	if p.spreadKey == "" {
		return false
	}
	v, _ := attribute(attrs, p.spreadKey)
	return slices.Contains(used, v)
}

// collateralCovers reports whether have is at least min; a nil Int is zero.
func collateralCovers(have, min sdkmath.Int) bool {
	if min.IsNil() || !min.IsPositive() {
		return true
	}
	return !have.IsNil() && have.GTE(min)
}

// collateralCovers is collateralCovers(have, req.MinCollateral), comparing
// machine words when the minimum fits in one (any real manifest's does): a
// nil or negative have is below a positive minimum, and one too large for a
// uint64 is above it.
func (p *prepared) collateralCovers(have sdkmath.Int) bool {
	if !p.minFits {
		return collateralCovers(have, p.req.MinCollateral)
	}
	switch {
	case p.minCollateral == 0:
		return true
	case have.IsNil() || have.IsNegative():
		return false
	case have.IsUint64():
		return have.Uint64() >= p.minCollateral
	}
	return true
}

// pricesWithin reports whether every price is at most its cap.
func pricesWithin(pr, caps Prices) bool {
	return pr.CPUPerCoreSecond <= caps.CPUPerCoreSecond &&
		pr.MemoryPerMiBHour <= caps.MemoryPerMiBHour &&
		pr.StoragePerGiBHour <= caps.StoragePerGiBHour &&
		pr.Per1kRequests <= caps.Per1kRequests &&
		pr.EgressPerGiB <= caps.EgressPerGiB
}

// Check returns the first reason sharer s cannot host a replica of req,
// judged on s alone, or ReasonNone if it qualifies. It answers "why not this
// sharer?"; it cannot report the reasons that depend on the other candidates
// (a repeated address, spread with other new replicas, the band).
func Check(req Request, s Sharer) (Reason, error) {
	p, err := prepare(&req)
	if err != nil {
		return ReasonNone, err
	}
	return p.check(&s), nil
}
