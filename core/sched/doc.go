// Package sched decides where a service's replicas run. It is the pure core
// of placement: the sharers module calls it from its EndBlocker on every
// validator, so every validator must compute the same leases from the same
// state. It therefore uses no wall clock, randomness, goroutines, floats or
// map iteration; amounts are integers; and every ordering is total, ending in
// the sharer address, so shuffled candidates give the same Result.
//
// # Algorithm
//
// Place(req, candidates, params):
//
//  1. Filter. Each candidate is checked in a fixed order and excluded for the
//     first reason it meets (see Reason): a malformed or repeated entry,
//     already holding a replica of the service, offline, the service or an
//     owner on its deny list, a required attribute missing or different (or,
//     under an attribute spread, the spread attribute missing), collateral
//     below the minimum, free cpu, memory or storage below one replica's
//     reservation, any price above the manifest's cap, and a spread value
//     already used by a current replica. The rest qualify.
//
//  2. Cost. Each qualifying sharer's cost is the hourly cost of one replica
//     at the sharer's prices (see "Cost of a replica").
//
//  3. Band. A qualifying sharer is in the band when its cost is at most the
//     cheapest qualifying cost × (1000 + BandPermille) / 1000.
//
//  4. Rank. Qualifying sharers are ordered: preferred sharers first (those
//     still holding a paused service's data, say); then the band, ordered by
//     rendezvous weight, sha256(service || 0x00 || address) compared as
//     bytes, highest first; then, only if the band cannot supply every
//     replica under the spread rule, the sharers outside it, cheapest first
//     and by weight among equal costs. Equal weights fall back to the address.
//
//  5. Take. Walking that order, each sharer is taken unless its spread value
//     is already used by a current or newly taken replica (ReasonSpread),
//     until Replicas minus len(Current) are taken. The rest are counted as
//     not needed (in the band or preferred) or outside the band.
//
// Whatever is left is Result.Unplaced, and Result.Explain says why, e.g.
// "9 sharers: 4 lacked memory, 3 above max price, 2 offline".
//
// # Cost of a replica
//
// HourlyCost, the cost placement ranks by, is
//
//	memory MiB × memoryPerMiBHour + storage GiB × storagePerGiBHour
//	+ cores × 3600 × cpuPerCoreSecond
//
// the most one replica can cost per hour short of request and egress charges,
// which depend on traffic no one knows yet. MiB, GiB and cores are exact
// fractions (a 500m, 64Mi, 128Mi replica at 500, 2 and 50 uqc costs
// 900,134.25 uqc an hour). Costs are compared exactly as integers scaled by
// 1000 × 2^30 in 256 bits, so nothing rounds and nothing overflows for any
// uint64 inputs.
//
// # Spread
//
// Every replica of a service is on a distinct sharer. Spread "node" asks for
// no more. Spread by an attribute key, e.g. "region", asks for every replica
// on a distinct value of that attribute; a sharer without the attribute is
// excluded, since nothing shows it is apart from the others. Current
// replicas' values count as taken.
//
// # Why rendezvous hashing
//
// Ranking only by cost would pile every service onto the single cheapest
// sharer until it fills, then the next. Within the band, costs are close
// enough to count as equal, and each service instead ranks the sharers by a
// weight only it gives them, so services spread evenly over the band. The
// weight of a (service, sharer) pair never changes, so when sharers join or
// leave, only the services whose top-ranked sharers changed move, and a
// replica re-placed after its sharer vanished lands where the remaining
// ranking says, not on a reshuffled network. Anyone can recompute it.
//
// # Work
//
// Filtering, costing and weighing are linear in the candidates, and nothing
// sorts them all. The walk of step 5 goes in batches: a bounded heap keeps
// the best k entries ranking after the last one walked (k the replicas still
// needed; twice the last batch when spread refused some of it), in O(n log
// k). The batches are consecutive stretches of the full rank order, and each
// sharer's fate depends only on those walked before it, so the result is
// exactly what a full sort would give (TestTopKMatchesFullSort compares them
// on thousands of random problems). Sharers outside the band are weighed
// only if the band runs out. Repeated addresses are found by a radix sort of
// one 8-byte key per candidate (linear for every input), skipped when the
// candidates come in ascending address order. Measured on 2 shared cores:
// about 0.2–0.3 ms for 1,000 candidates and 2–3.5 ms of CPU for 10,000, in about
// 35 allocations (BenchmarkPlace; docs/benchmarks.md).
//
// Every qualifying sharer of the band is weighed and every candidate gets
// its reason, so the work stays linear in the candidates whatever the
// prices: stopping early would change which sharer ranks first (a weight
// depends on the service, not on the order candidates come in) or the
// counts Result.Explain reports.
//
// ScaleDown picks the replicas to remove when a service scales down (those
// Place would have taken last), and Replace re-places lost replicas.
package sched
