package types

import (
	"fmt"
	"slices"

	"cosmossdk.io/math"

	"github.com/quantum1net/q1/internal/manifest"
)

// DefaultGenesis returns the state of a new chain: default parameters,
// zero totals and nothing else.
func DefaultGenesis() *GenesisState {
	return &GenesisState{Params: DefaultParams(), Totals: ZeroTotals()}
}

// ZeroTotals returns counters that are all zero.
func ZeroTotals() Totals {
	z := math.ZeroInt()
	return Totals{Deposited: z, PaidToSharers: z, ProtocolShare: z, Withdrawn: z, WrittenOff: z}
}

// NewTally returns an empty tally for the given key fields.
func NewTally(service, sharer string, epoch uint64) Tally {
	return Tally{
		Service: service, Sharer: sharer, Epoch: epoch,
		Usage: math.ZeroInt(), Rent: math.ZeroInt(), ProtocolShare: math.ZeroInt(), UsageCounted: math.LegacyZeroDec(),
	}
}

// NewServiceAccount returns the account of a service nothing has been
// charged to yet.
func NewServiceAccount(service string) ServiceAccount {
	return ServiceAccount{
		Service:             service,
		ReplicaRentAtCaps:   math.LegacyZeroDec(),
		ListBurnPerHour:     math.LegacyZeroDec(),
		BurnPerHour:         math.LegacyZeroDec(),
		DepletedBurnPerHour: math.LegacyZeroDec(),
		RentCharged:         math.ZeroInt(),
		UsageCharged:        math.ZeroInt(),
		ProtocolShare:       math.ZeroInt(),
		WrittenOff:          math.ZeroInt(),
	}
}

// Validate checks that gs is a state the keeper can import: valid params;
// at most one report per (sharer, epoch), one meter per lease, one account
// per service, one record per (service, epoch, lease) and one tally per
// key; valid addresses; amounts set and never negative.
func (gs *GenesisState) Validate() error {
	if err := gs.Params.Validate(); err != nil {
		return err
	}
	if err := validateReports(gs.Reports); err != nil {
		return err
	}
	seen := newSeen()
	for i, m := range gs.Meters {
		if m.LeaseId == 0 || m.Service == "" {
			return fmt.Errorf("meters[%d]: lease id and service are required", i)
		}
		if err := manifest.ValidateAccount(m.Sharer); err != nil {
			return fmt.Errorf("meters[%d]: sharer: %w", i, err)
		}
		if !seen.add(fmt.Sprint("meter/", m.LeaseId)) {
			return fmt.Errorf("meters[%d]: lease %d has two meters", i, m.LeaseId)
		}
		if err := nonNegative(fmt.Sprintf("meters[%d]", i),
			decs{"list_rate_per_hour": m.ListRatePerHour, "rate_per_hour": m.RatePerHour, "segment_base": m.SegmentBase, "usage_carry": m.UsageCarry},
			ints{"settled": m.Settled, "paid": m.Paid}); err != nil {
			return err
		}
	}
	for i, a := range gs.Accounts {
		if a.Service == "" || !seen.add("account/"+a.Service) {
			return fmt.Errorf("accounts[%d]: service %q is empty or listed twice", i, a.Service)
		}
		if err := nonNegative(fmt.Sprintf("accounts[%d]", i),
			decs{"replica_rent_at_caps": a.ReplicaRentAtCaps, "list_burn_per_hour": a.ListBurnPerHour, "burn_per_hour": a.BurnPerHour, "depleted_burn_per_hour": a.DepletedBurnPerHour},
			ints{"rent_charged": a.RentCharged, "usage_charged": a.UsageCharged, "protocol_share": a.ProtocolShare, "written_off": a.WrittenOff}); err != nil {
			return err
		}
	}
	for i, r := range gs.Records {
		if err := manifest.ValidateAccount(r.Sharer); err != nil {
			return fmt.Errorf("records[%d]: sharer: %w", i, err)
		}
		if !seen.add(fmt.Sprintf("record/%s/%d/%d", r.Service, r.Epoch, r.LeaseId)) {
			return fmt.Errorf("records[%d]: service %s has two records of lease %d for epoch %d", i, r.Service, r.LeaseId, r.Epoch)
		}
		if err := nonNegative(fmt.Sprintf("records[%d]", i),
			decs{"cpu_charge": r.CpuCharge, "requests_charge": r.RequestsCharge, "egress_charge": r.EgressCharge},
			ints{"charged": r.Charged, "to_sharer": r.ToSharer, "protocol_share": r.ProtocolShare}); err != nil {
			return err
		}
		if !r.ToSharer.Add(r.ProtocolShare).Equal(r.Charged) {
			return fmt.Errorf("records[%d]: to_sharer %s plus protocol_share %s is not charged %s", i, r.ToSharer, r.ProtocolShare, r.Charged)
		}
	}
	tallies := []struct {
		name            string
		list            []Tally
		sharer, service bool
	}{
		{"sharer_services", gs.SharerServices, true, true},
		{"sharer_epochs", gs.SharerEpochs, true, false},
		{"sharer_totals", gs.SharerTotals, true, false},
		{"service_epochs", gs.ServiceEpochs, false, true},
	}
	for _, tl := range tallies {
		for i, t := range tl.list {
			where := fmt.Sprintf("%s[%d]", tl.name, i)
			if tl.sharer {
				if err := manifest.ValidateAccount(t.Sharer); err != nil {
					return fmt.Errorf("%s: sharer: %w", where, err)
				}
			}
			if tl.service && t.Service == "" {
				return fmt.Errorf("%s: service is required", where)
			}
			if !seen.add(fmt.Sprintf("%s/%s/%s/%d", tl.name, t.Sharer, t.Service, t.Epoch)) {
				return fmt.Errorf("%s: listed twice", where)
			}
			if err := nonNegative(where, decs{"usage_counted": t.UsageCounted},
				ints{"usage": t.Usage, "rent": t.Rent, "protocol_share": t.ProtocolShare}); err != nil {
				return err
			}
		}
	}
	t := gs.Totals
	return nonNegative("totals", nil, ints{
		"deposited": t.Deposited, "paid_to_sharers": t.PaidToSharers, "protocol_share": t.ProtocolShare,
		"withdrawn": t.Withdrawn, "written_off": t.WrittenOff,
	})
}

func validateReports(reports []Report) error {
	seen := newSeen()
	for i, r := range reports {
		if err := manifest.ValidateAccount(r.Sharer); err != nil {
			return fmt.Errorf("reports[%d]: sharer: %w", i, err)
		}
		if !seen.add(fmt.Sprintf("%s/%d", r.Sharer, r.Epoch)) {
			return fmt.Errorf("reports[%d]: sharer %s reports epoch %d twice", i, r.Sharer, r.Epoch)
		}
		for j := 1; j < len(r.Entries); j++ {
			if r.Entries[j].LeaseId <= r.Entries[j-1].LeaseId {
				return fmt.Errorf("reports[%d]: entries must be in ascending lease id order, each lease once", i)
			}
		}
	}
	return nil
}

// seen is a set of keys, for finding duplicates.
type seen struct{ keys map[string]struct{} }

func newSeen() seen { return seen{keys: map[string]struct{}{}} }

// add records key and reports whether it was new.
func (s seen) add(key string) bool {
	if _, ok := s.keys[key]; ok {
		return false
	}
	s.keys[key] = struct{}{}
	return true
}

type (
	decs map[string]math.LegacyDec
	ints map[string]math.Int
)

// nonNegative reports the first amount of ds and is that is unset or
// negative, in name order.
func nonNegative(where string, ds decs, is ints) error {
	for _, name := range sortedKeys(ds) {
		if d := ds[name]; d.IsNil() || d.IsNegative() {
			return fmt.Errorf("%s: %s must be set and not negative, got %v", where, name, d)
		}
	}
	for _, name := range sortedKeys(is) {
		if i := is[name]; i.IsNil() || i.IsNegative() {
			return fmt.Errorf("%s: %s must be set and not negative, got %v", where, name, i)
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
