package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	sdkmath "cosmossdk.io/math"

	"github.com/quantum1net/q1/core/manifest"
	"github.com/quantum1net/q1/core/qc"
	"github.com/quantum1net/q1/core/sched"
	servicestypes "github.com/quantum1net/q1/x/services/types"
	sharerstypes "github.com/quantum1net/q1/x/sharers/types"
)

// Exclusion is a group of sharers placement passes over for something other
// than price, by the manifest field that asks more than they offer: what the
// field asks, what they have, and the change that would let them qualify.
type Exclusion struct {
	// Reason is the placement reason's key (missing_attribute,
	// low_collateral, lacked_cpu, lacked_memory, lacked_storage, denied,
	// spread_conflict).
	Reason string `json:"reason"`
	// Field is the manifest field, e.g. resources.memory.
	Field string `json:"field"`
	// Wants is what the field asks (64Mi, region=eu, 1000QC, 3 replicas);
	// Offered what the sharers have (0–32Mi free, region=local, …).
	Wants   string   `json:"wants"`
	Offered string   `json:"offered"`
	Sharers []string `json:"sharers"`
	// Fix is the change to the manifest that lets them qualify.
	Fix string `json:"fix"`
}

// String reads "4 sharers lack placement.requireAttributes region=eu: they
// have region=local".
func (e Exclusion) String() string {
	switch e.Reason {
	case sched.ReasonSpread.Key():
		return fmt.Sprintf("%s wants %s; %s", e.Field, e.Wants, e.Offered)
	case sched.ReasonDenied.Key():
		if len(e.Sharers) == 1 {
			return "1 sharer refuses the service by name or owner (its deny list)"
		}
		return fmt.Sprintf("%d sharers refuse the service by name or owner (their deny lists)", len(e.Sharers))
	}
	return fmt.Sprintf("%s: %s wants %s; they have %s", sharersWord(len(e.Sharers)), e.Field, e.Wants, e.Offered)
}

func sharersWord(n int) string {
	if n == 1 {
		return "1 sharer"
	}
	return fmt.Sprintf("%d sharers", n)
}

// exclusionGroups says, per manifest field, which sharers placement passes
// over for it (each under the first reason it meets, as the chain counts
// them; price is priceGroups'), what they offer and what would let them
// qualify; and whether the sharers that qualify are too few for
// placement.replicas under placement.spread. current are the sharers holding
// a replica already.
func exclusionGroups(name string, spec *servicestypes.ServiceSpec, sharers []sharerstypes.Sharer, current []string) []Exclusion {
	req := schedRequest(name, spec, current)
	out := []Exclusion{} // [] rather than null under -o json
	by := map[sched.Reason][]*sharerstypes.Sharer{}
	for i := range sharers {
		s := &sharers[i]
		if !s.Placeable() {
			continue // offline or draining: nothing in the manifest changes that
		}
		r, err := sched.Check(req, schedSharerOf(s))
		if err != nil {
			return out // a request the chain would not build either
		}
		by[r] = append(by[r], s)
	}
	out = append(out, deniedGroup(by[sched.ReasonDenied])...)
	out = append(out, attributeGroups(req, by[sched.ReasonAttributes])...)
	out = append(out, collateralGroup(spec, by[sched.ReasonCollateral])...)
	for _, r := range []struct {
		reason sched.Reason
		field  string
		wants  uint64
		free   func(sharerstypes.Resources) uint64
		format func(uint64) string
	}{
		{sched.ReasonCPU, "resources.cpu", spec.Resources.MilliCpu, func(f sharerstypes.Resources) uint64 { return f.MilliCpu },
			func(v uint64) string { return manifest.MilliCPU(v).String() }},
		{sched.ReasonMemory, "resources.memory", spec.Resources.MemoryBytes, func(f sharerstypes.Resources) uint64 { return f.MemoryBytes },
			func(v uint64) string { return manifest.ByteSize(v).String() }},
		{sched.ReasonStorage, "resources.storage", spec.Resources.StorageBytes, func(f sharerstypes.Resources) uint64 { return f.StorageBytes },
			func(v uint64) string { return manifest.ByteSize(v).String() }},
	} {
		group := by[r.reason]
		if len(group) == 0 {
			continue
		}
		lo, hi := r.free(group[0].Free()), r.free(group[0].Free())
		for _, s := range group {
			lo, hi = min(lo, r.free(s.Free())), max(hi, r.free(s.Free()))
		}
		offered := r.format(hi) + " free"
		if lo != hi {
			offered = r.format(lo) + "–" + r.format(hi) + " free"
		}
		out = append(out, Exclusion{
			Reason: r.reason.Key(), Field: r.field, Wants: r.format(r.wants), Offered: offered, Sharers: addresses(group),
			Fix: fmt.Sprintf("lower %s to at most %s, or wait for sharers with more free (q1 sharer list)", r.field, r.format(hi)),
		})
	}
	out = append(out, spreadGroup(req, by[sched.ReasonNone], by[sched.ReasonSpread])...)
	return out
}

func addresses(group []*sharerstypes.Sharer) []string {
	out := make([]string, len(group))
	for i, s := range group {
		out[i] = s.Address
	}
	return out
}

func deniedGroup(group []*sharerstypes.Sharer) []Exclusion {
	if len(group) == 0 {
		return nil
	}
	return []Exclusion{{
		Reason: sched.ReasonDenied.Key(), Field: "name, permissions.owners", Wants: "to be hosted",
		Offered: "deny lists naming the service or an owner", Sharers: addresses(group),
		Fix: "none in the manifest (name, permissions.owners): other sharers must host it",
	}}
}

// attributeGroups groups the sharers missing a required attribute (or the
// spread attribute), one group per attribute: a sharer missing two is in
// both.
func attributeGroups(req sched.Request, group []*sharerstypes.Sharer) []Exclusion {
	if len(group) == 0 {
		return nil
	}
	valueOf := func(s *sharerstypes.Sharer, key string) (string, bool) {
		for _, a := range s.Attributes {
			if a.Key == key {
				return a.Value, true
			}
		}
		return "", false
	}
	// offered lists what the group has for key: "region=local (3), no region (1)".
	offered := func(missing []*sharerstypes.Sharer, key string) (string, string) {
		counts := map[string]int{}
		var values []string
		for _, s := range missing {
			v, ok := valueOf(s, key)
			if !ok {
				v = ""
			}
			if counts[v] == 0 {
				values = append(values, v)
			}
			counts[v]++
		}
		slices.SortStableFunc(values, func(a, b string) int { return counts[b] - counts[a] })
		var parts []string
		common := ""
		for _, v := range values {
			if v == "" {
				parts = append(parts, fmt.Sprintf("no %s (%d)", key, counts[v]))
				continue
			}
			if common == "" {
				common = v
			}
			parts = append(parts, fmt.Sprintf("%s=%s (%d)", key, v, counts[v]))
		}
		return strings.Join(parts, ", "), common
	}
	var out []Exclusion
	for _, want := range req.RequireAttributes {
		var missing []*sharerstypes.Sharer
		for _, s := range group {
			if v, ok := valueOf(s, want.Key); !ok || v != want.Value {
				missing = append(missing, s)
			}
		}
		if len(missing) == 0 {
			continue
		}
		have, common := offered(missing, want.Key)
		fix := fmt.Sprintf("remove %s from placement.requireAttributes", want.Key)
		if common != "" {
			fix = fmt.Sprintf("set placement.requireAttributes %s: %s (what most of them offer), or remove %s", want.Key, common, want.Key)
		}
		out = append(out, Exclusion{
			Reason: sched.ReasonAttributes.Key(), Field: "placement.requireAttributes", Wants: want.Key + "=" + want.Value,
			Offered: have, Sharers: addresses(missing), Fix: fix,
		})
	}
	if key := req.Spread; key != "" && key != sched.SpreadNode {
		var missing []*sharerstypes.Sharer
		for _, s := range group {
			if _, ok := valueOf(s, key); !ok {
				missing = append(missing, s)
			}
		}
		if len(missing) > 0 {
			out = append(out, Exclusion{
				Reason: sched.ReasonAttributes.Key(), Field: "placement.spread", Wants: "a " + key + " attribute to spread by",
				Offered: "no " + key, Sharers: addresses(missing),
				Fix: "spread by node (placement.spread: node), or by an attribute the sharers have (q1 sharer list)",
			})
		}
	}
	return out
}

func collateralGroup(spec *servicestypes.ServiceSpec, group []*sharerstypes.Sharer) []Exclusion {
	if len(group) == 0 {
		return nil
	}
	lo, hi := group[0].Collateral, group[0].Collateral
	for _, s := range group {
		c := s.Collateral
		if c.IsNil() {
			c = sdkmath.ZeroInt()
		}
		if lo.IsNil() || c.LT(lo) {
			lo = c
		}
		if hi.IsNil() || c.GT(hi) {
			hi = c
		}
	}
	offered := qc.Format(hi) + " of collateral"
	if !lo.Equal(hi) {
		offered = qc.Format(lo) + "–" + qc.Format(hi) + " of collateral"
	}
	return []Exclusion{{
		Reason: sched.ReasonCollateral.Key(), Field: "placement.minCollateral",
		Wants: qc.Format(sdkmath.NewIntFromUint64(spec.Placement.MinCollateralUqc)), Offered: offered, Sharers: addresses(group),
		Fix: fmt.Sprintf("lower placement.minCollateral to at most %s", qc.Format(hi)),
	}}
}

// spreadGroup says when the sharers that qualify are fewer, counted apart
// as placement.spread counts them, than the replicas wanted. It says
// nothing when none qualifies: the other groups say why.
func spreadGroup(req sched.Request, qualified, spreadTaken []*sharerstypes.Sharer) []Exclusion {
	if len(qualified) == 0 {
		return nil
	}
	apart := map[string]bool{}
	key := req.Spread
	for _, s := range qualified {
		v := s.Address
		if key != "" && key != sched.SpreadNode {
			for _, a := range s.Attributes {
				if a.Key == key {
					v = a.Value
				}
			}
		}
		apart[v] = true
	}
	have := len(req.Current) + len(apart)
	if have >= req.Replicas {
		return nil
	}
	spread, unit, qualify := "node", "sharers", sharersWord(have)
	if key != "" && key != sched.SpreadNode {
		spread, unit, qualify = key, "distinct "+key+" values", fmt.Sprintf("%d distinct %s values", have, key)
	}
	verb := " qualify"
	if have == 1 {
		verb = " qualifies"
		qualify = strings.TrimSuffix(qualify, "s")
	}
	offered := qualify + verb
	if len(req.Current) > 0 {
		offered += fmt.Sprintf(", counting the %d holding a replica", len(req.Current))
	}
	return []Exclusion{{
		Reason: sched.ReasonSpread.Key(), Field: "placement.replicas",
		Wants:   fmt.Sprintf("%d replicas on %d %s (placement.spread: %s)", req.Replicas, req.Replicas, unit, spread),
		Offered: offered, Sharers: addresses(append(slices.Clone(qualified), spreadTaken...)),
		Fix: fmt.Sprintf("lower placement.replicas to at most %d, or change what keeps the other sharers out", have),
	}}
}

// printExclusions writes each group and its fix, indented.
func printExclusions(w io.Writer, groups []Exclusion, indent string) {
	for _, g := range groups {
		fmt.Fprintf(w, "%s%s\n%s  fix: %s\n", indent, g, indent, g.Fix)
	}
}
