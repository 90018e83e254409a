package sched

import "slices"

// ScaleDown returns the current replicas to remove so that req.Current
// shrinks to req.Replicas, lowest-ranked first, or nil when none need to go.
//
// The current replicas are ranked as Place ranks candidates, with each
// replica's locked prices as its cost and the band measured from the cheapest
// of them: the replicas dropped are those Place would have taken last. So
// non-preferred replicas go before preferred ones, costly ones outside the
// band before those in it, and within the band the lowest rendezvous weight
// goes first. Removing replicas never breaks Spread. Attributes and
// candidates' free capacity play no part.
func ScaleDown(req Request, p Params) ([]Replica, error) {
	pr, err := prepare(&req)
	if err != nil {
		return nil, err
	}
	drop := len(req.Current) - req.Replicas
	if drop <= 0 {
		return nil, nil
	}
	entries := make([]entry, len(req.Current))
	w := newWeigher(req.Service)
	var cheapest u256
	for i, r := range req.Current {
		c := scaledCost(req.Resources, r.Prices)
		if i == 0 || c.cmp(cheapest) < 0 {
			cheapest = c
		}
		entries[i] = entry{
			idx:       i,
			addr:      r.Sharer,
			preferred: contains(pr.preferred, r.Sharer),
			cost:      c,
			weight:    w.weight(r.Sharer),
		}
	}
	limit := bandLimit(cheapest, p.BandPermille)
	for i := range entries {
		entries[i].inBand = inBand(entries[i].cost, limit)
	}
	// prepare rejected repeated sharers, so compareRank is a total order here.
	slices.SortFunc(entries, func(a, b entry) int { return compareRank(&a, &b) })
	out := make([]Replica, 0, drop)
	for k := len(entries) - 1; k >= len(entries)-drop; k-- {
		out = append(out, req.Current[entries[k].idx])
	}
	return out, nil
}
