package types

import (
	"fmt"

	"cosmossdk.io/math"

	"github.com/quantum1net/q1/core/address"
)

// DefaultGenesis returns the state of a new chain: default parameters and
// nothing else.
func DefaultGenesis() *GenesisState {
	return &GenesisState{Params: DefaultParams()}
}

// NewServiceAccount returns the account of a service nothing has been
// charged to yet.
func NewServiceAccount(service string) ServiceAccount {
	return ServiceAccount{
		Service:             service,
		BurnPerHour:         math.LegacyZeroDec(),
		DepletedBurnPerHour: math.LegacyZeroDec(),
		RentCharged:         math.ZeroInt(),
		UsageCharged:        math.ZeroInt(),
		ProtocolShare:       math.ZeroInt(),
		WrittenOff:          math.ZeroInt(),
	}
}

// NewEarnings returns zero earnings for a key.
func NewEarnings(sharer, service string, epoch uint64) Earnings {
	return Earnings{Sharer: sharer, Service: service, Epoch: epoch,
		Usage: math.ZeroInt(), Rent: math.ZeroInt(), ProtocolShare: math.ZeroInt()}
}

// Add adds o's amounts to e.
func (e *Earnings) Add(o Earnings) {
	e.Usage = e.Usage.Add(o.Usage)
	e.Rent = e.Rent.Add(o.Rent)
	e.ProtocolShare = e.ProtocolShare.Add(o.ProtocolShare)
}

// Validate checks that gs is a state the keeper can import: valid params;
// at most one report per (sharer, epoch), meter per lease, account per
// service, record per (service, epoch, lease) and earnings per key; valid
// addresses; amounts set and never negative.
func (gs *GenesisState) Validate() error {
	if err := gs.Params.Validate(); err != nil {
		return err
	}
	if err := gs.validateRetention(); err != nil {
		return err
	}
	seen := map[string]bool{}
	once := func(kind string, i int, key string) error {
		k := kind + "/" + key
		if seen[k] {
			return fmt.Errorf("%s[%d]: %s appears twice", kind, i, key)
		}
		seen[k] = true
		return nil
	}
	for i, r := range gs.Reports {
		if err := address.ValidateAccount(r.Sharer); err != nil {
			return fmt.Errorf("reports[%d]: sharer: %w", i, err)
		}
		if err := once("reports", i, fmt.Sprintf("%s/%d", r.Sharer, r.Epoch)); err != nil {
			return fmt.Errorf("reports[%d]: sharer %s reports epoch %d twice", i, r.Sharer, r.Epoch)
		}
		for j := 1; j < len(r.Entries); j++ {
			if r.Entries[j].LeaseId <= r.Entries[j-1].LeaseId {
				return fmt.Errorf("reports[%d]: entries must be in ascending lease id order, each lease once", i)
			}
		}
	}
	for i, m := range gs.Meters {
		if m.LeaseId == 0 || m.Service == "" {
			return fmt.Errorf("meters[%d]: lease id and service are required", i)
		}
		if err := address.ValidateAccount(m.Sharer); err != nil {
			return fmt.Errorf("meters[%d]: sharer: %w", i, err)
		}
		if err := once("meters", i, fmt.Sprintf("lease %d", m.LeaseId)); err != nil {
			return err
		}
		if badDec(m.ListRatePerHour) || badDec(m.RatePerHour) || badDec(m.Carry) {
			return fmt.Errorf("meters[%d]: rates and carry must be set and not negative", i)
		}
	}
	for i, a := range gs.Accounts {
		if a.Service == "" {
			return fmt.Errorf("accounts[%d]: service is required", i)
		}
		if err := once("accounts", i, "service "+a.Service); err != nil {
			return err
		}
		if badDec(a.BurnPerHour) || badDec(a.DepletedBurnPerHour) ||
			badInt(a.RentCharged) || badInt(a.UsageCharged) || badInt(a.ProtocolShare) || badInt(a.WrittenOff) {
			return fmt.Errorf("accounts[%d]: amounts must be set and not negative", i)
		}
	}
	for i, r := range gs.Records {
		if err := address.ValidateAccount(r.Sharer); err != nil {
			return fmt.Errorf("records[%d]: sharer: %w", i, err)
		}
		if err := once("records", i, fmt.Sprintf("service %s epoch %d lease %d", r.Service, r.Epoch, r.LeaseId)); err != nil {
			return err
		}
		if badInt(r.Charged) || badInt(r.ToSharer) || badInt(r.ProtocolShare) {
			return fmt.Errorf("records[%d]: amounts must be set and not negative", i)
		}
	}
	for i, e := range gs.Earnings {
		if err := address.ValidateAccount(e.Sharer); err != nil {
			return fmt.Errorf("earnings[%d]: sharer: %w", i, err)
		}
		if err := once("earnings", i, fmt.Sprintf("sharer %s service %s epoch %d", e.Sharer, e.Service, e.Epoch)); err != nil {
			return err
		}
		if badInt(e.Usage) || badInt(e.Rent) || badInt(e.ProtocolShare) {
			return fmt.Errorf("earnings[%d]: amounts must be set and not negative", i)
		}
	}
	for i, a := range gs.Audits {
		if a.Id == 0 || a.Id >= max(gs.NextAuditId, 1) {
			return fmt.Errorf("audits[%d]: id %d must be between 1 and next_audit_id − 1 (%d)", i, a.Id, gs.NextAuditId)
		}
		if err := once("audits", i, fmt.Sprintf("id %d", a.Id)); err != nil {
			return err
		}
		if err := address.ValidateAccount(a.Sharer); err != nil {
			return fmt.Errorf("audits[%d]: sharer: %w", i, err)
		}
		if len(a.Votes) != len(a.Auditors) {
			return fmt.Errorf("audits[%d]: %d votes for %d auditors", i, len(a.Votes), len(a.Auditors))
		}
		for j, au := range a.Auditors {
			if err := address.ValidateAccount(au); err != nil {
				return fmt.Errorf("audits[%d]: auditors[%d]: %w", i, j, err)
			}
		}
		if badInt(a.Charged) || badInt(a.ToSharer) || badInt(a.ProtocolShare) || badInt(a.Refunded) ||
			badInt(a.Slashed) || badInt(a.Burned) || badInt(a.AuditorFees) {
			return fmt.Errorf("audits[%d]: amounts must be set and not negative", i)
		}
	}
	for i, st := range gs.AuditStats {
		if err := address.ValidateAccount(st.Sharer); err != nil {
			return fmt.Errorf("audit_stats[%d]: sharer: %w", i, err)
		}
		if err := once("audit_stats", i, st.Sharer); err != nil {
			return err
		}
	}
	return nil
}

func badDec(d math.LegacyDec) bool { return d.IsNil() || d.IsNegative() }
func badInt(n math.Int) bool       { return n.IsNil() || n.IsNegative() }

// validateRetention checks the running totals of pruned rows: one per
// (service, sharer) and (sharer, service), valid addresses, amounts set.
func (gs *GenesisState) validateRetention() error {
	seen := map[string]bool{}
	for i, pu := range gs.PrunedUsage {
		if pu.Service == "" {
			return fmt.Errorf("pruned_usage[%d]: service is required", i)
		}
		if err := address.ValidateAccount(pu.Sum.Sharer); err != nil {
			return fmt.Errorf("pruned_usage[%d]: sharer: %w", i, err)
		}
		if k := pu.Service + "/" + pu.Sum.Sharer; seen[k] {
			return fmt.Errorf("pruned_usage[%d]: sharer %s on service %s appears twice", i, pu.Sum.Sharer, pu.Service)
		} else {
			seen[k] = true
		}
		if pu.Sum.Charged.IsNil() || pu.Sum.ToSharer.IsNil() || pu.Sum.ProtocolShare.IsNil() {
			return fmt.Errorf("pruned_usage[%d]: charged, to_sharer and protocol_share must be set", i)
		}
	}
	seen = map[string]bool{}
	for i, e := range gs.PrunedEarnings {
		if e.Service == "" || e.Epoch != 0 {
			return fmt.Errorf("pruned_earnings[%d]: service is required and epoch must be 0", i)
		}
		if err := address.ValidateAccount(e.Sharer); err != nil {
			return fmt.Errorf("pruned_earnings[%d]: sharer: %w", i, err)
		}
		if k := e.Sharer + "/" + e.Service; seen[k] {
			return fmt.Errorf("pruned_earnings[%d]: sharer %s from service %s appears twice", i, e.Sharer, e.Service)
		} else {
			seen[k] = true
		}
		if e.Usage.IsNil() || e.Rent.IsNil() || e.ProtocolShare.IsNil() {
			return fmt.Errorf("pruned_earnings[%d]: usage, rent and protocol_share must be set", i)
		}
	}
	return nil
}
