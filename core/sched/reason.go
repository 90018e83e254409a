package sched

import (
	"slices"
	"strconv"
	"strings"
)

// Reason is why a candidate sharer was not chosen. A sharer is counted under
// the first reason it meets, in the order of the constants below.
type Reason uint8

// The reasons, in the order they are checked.
const (
	// ReasonNone means the sharer qualifies.
	ReasonNone Reason = iota
	// ReasonInvalid: the candidate entry is malformed (empty or repeated
	// address, attributes not sorted by key). Every entry of a repeated
	// address is excluded, so input order never decides which one counts.
	ReasonInvalid
	// ReasonPlaced: the sharer already holds a replica of this service.
	ReasonPlaced
	// ReasonOffline: the sharer missed its heartbeats.
	ReasonOffline
	// ReasonDenied: the sharer's deny list names the service or an owner.
	ReasonDenied
	// ReasonAttributes: a required attribute is missing or differs, or the
	// spread attribute is missing.
	ReasonAttributes
	// ReasonCollateral: bonded collateral is below the minimum.
	ReasonCollateral
	// ReasonCPU: free CPU is below one replica's reservation.
	ReasonCPU
	// ReasonMemory: free memory is below one replica's reservation.
	ReasonMemory
	// ReasonStorage: free storage is below one replica's reservation.
	ReasonStorage
	// ReasonPrice: at least one price is above the manifest's cap.
	ReasonPrice
	// ReasonSpread: the sharer's spread value (its address under SpreadNode)
	// is already used by a current or newly chosen replica.
	ReasonSpread
	// ReasonOutsideBand: the sharer qualified but costs more than the band
	// allows, and the band already supplied every replica.
	ReasonOutsideBand
	// ReasonNotNeeded: the sharer qualified and was in the band, but ranked
	// below the sharers that supplied every replica.
	ReasonNotNeeded

	numReasons
)

var reasonText = [numReasons]struct{ key, phrase string }{
	ReasonNone:        {"none", "qualified"},
	ReasonInvalid:     {"invalid_offer", "invalid offer"},
	ReasonPlaced:      {"already_placed", "already placed"},
	ReasonOffline:     {"offline", "offline"},
	ReasonDenied:      {"denied", "refused the service"},
	ReasonAttributes:  {"missing_attribute", "missing attribute"},
	ReasonCollateral:  {"low_collateral", "below min collateral"},
	ReasonCPU:         {"lacked_cpu", "lacked cpu"},
	ReasonMemory:      {"lacked_memory", "lacked memory"},
	ReasonStorage:     {"lacked_storage", "lacked storage"},
	ReasonPrice:       {"above_max_price", "above max price"},
	ReasonSpread:      {"spread_conflict", "conflicted with spread"},
	ReasonOutsideBand: {"outside_band", "outside price band"},
	ReasonNotNeeded:   {"not_needed", "not needed"},
}

// String returns the reason as the phrase Explain uses, e.g. "lacked memory".
func (r Reason) String() string {
	if r >= numReasons {
		return "reason(" + strconv.Itoa(int(r)) + ")"
	}
	return reasonText[r].phrase
}

// Key returns a stable snake_case identifier for events and JSON, e.g.
// "lacked_memory".
func (r Reason) Key() string {
	if r >= numReasons {
		return "reason_" + strconv.Itoa(int(r))
	}
	return reasonText[r].key
}

// ReasonCount is how many candidates were excluded for one reason.
type ReasonCount struct {
	Reason Reason
	Count  int
}

// Excluded returns how many candidates were excluded for reason r.
func (res Result) Excluded(r Reason) int {
	if r >= numReasons {
		return 0
	}
	return res.excluded[r]
}

// Exclusions returns the non-zero exclusion counts in Reason order.
func (res Result) Exclusions() []ReasonCount {
	var out []ReasonCount
	for r := ReasonNone + 1; r < numReasons; r++ {
		if n := res.excluded[r]; n > 0 {
			out = append(out, ReasonCount{Reason: r, Count: n})
		}
	}
	return out
}

// Explain summarizes the candidates in one line, such as
// "10 sharers: 1 chosen, 4 lacked memory, 3 above max price, 2 offline".
// Reasons come largest count first, ties in Reason order, and only those that
// occurred are named; it says "no sharers" when there were no candidates.
func (res Result) Explain() string {
	if res.Candidates == 0 {
		return "no sharers"
	}
	var b strings.Builder
	b.WriteString(strconv.Itoa(res.Candidates))
	if res.Candidates == 1 {
		b.WriteString(" sharer:")
	} else {
		b.WriteString(" sharers:")
	}
	sep := " "
	if n := len(res.Chosen); n > 0 {
		b.WriteString(sep + strconv.Itoa(n) + " chosen")
		sep = ", "
	}
	counts := res.Exclusions()
	slices.SortStableFunc(counts, func(a, b ReasonCount) int { return b.Count - a.Count })
	for _, c := range counts {
		b.WriteString(sep + strconv.Itoa(c.Count) + " " + c.Reason.String())
		sep = ", "
	}
	return b.String()
}
