package types

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	"github.com/quantum1net/q1/core/manifest"
)

// SpecRulesVersion is the version of the manifest validation rules this
// release accepts new manifests under, recorded in every spec it stores. A
// release that tightens a rule raises it and applies the new rule to new
// manifests only: stored specs are never parsed or validated again, so an
// old manifest that the new rule would refuse keeps working.
const SpecRulesVersion uint32 = 1

// SpecFromManifest decodes a parsed, valid manifest into the spec the chain
// stores, under the current rules version. It is the only way a spec is
// built; [ServiceSpec.Manifest] is its inverse.
func SpecFromManifest(m *manifest.Manifest) ServiceSpec {
	p := m.Permissions
	s := ServiceSpec{
		RulesVersion: SpecRulesVersion,
		ApiVersion:   m.APIVersion,
		Name:         m.Name,
		Code:         SpecCode{Wasm: m.Code.Wasm, Abi: m.Code.ABI},
		Permissions: SpecPermissions{
			Owners:     SpecOwners{Accounts: clone(p.Owners.Accounts), Threshold: p.Owners.Threshold},
			Operators:  clone(p.Operators),
			LogViewers: SpecLogViewers{Kind: p.LogViewers.Kind, Accounts: clone(p.LogViewers.Accounts)},
			Capabilities: SpecCapabilities{
				Log: p.Capabilities.Log,
			},
		},
		Policies: SpecPolicies{
			Update: SpecUpdatePolicy{NoticeBlocks: m.Policies.Update.NoticeBlocks, Frozen: clone(m.Policies.Update.Frozen)},
			Budget: SpecBudget{
				LowBalanceBlocks: m.Policies.Budget.LowBalanceBlocks,
				OnDepletion:      m.Policies.Budget.OnDepletion,
				GraceBlocks:      m.Policies.Budget.GraceBlocks,
			},
		},
		Resources: SpecResources{
			MilliCpu:         uint64(m.Resources.CPU),
			MemoryBytes:      uint64(m.Resources.Memory),
			StorageBytes:     uint64(m.Resources.Storage),
			RequestTimeoutMs: uint64(m.Resources.RequestTimeout / time.Millisecond),
		},
		Placement: SpecPlacement{
			Replicas:         m.Placement.Replicas,
			ReplicasMax:      m.Placement.ReplicasMax,
			Spread:           m.Placement.Spread,
			MinCollateralUqc: uint64(m.Placement.MinCollateral),
		},
		Pricing: SpecPricing{
			CpuPerCoreSecondUqc:  uint64(m.Pricing.CPUPerCoreSecond),
			MemoryPerMibHourUqc:  uint64(m.Pricing.MemoryPerMiBHour),
			StoragePerGibHourUqc: uint64(m.Pricing.StoragePerGiBHour),
			Per_1KRequestsUqc:    uint64(m.Pricing.Per1kRequests),
			EgressPerGibUqc:      uint64(m.Pricing.EgressPerGiB),
		},
	}
	for _, r := range p.Callers {
		s.Permissions.Callers = append(s.Permissions.Callers, SpecCallerRule{Paths: clone(r.Paths), Public: r.Public, Allow: clone(r.Allow)})
	}
	if kv := p.Capabilities.KV; kv != nil {
		s.Permissions.Capabilities.Kv = &SpecKV{QuotaBytes: uint64(kv.Quota)}
	}
	if eg := p.Capabilities.Egress; eg != nil {
		s.Permissions.Capabilities.Egress = &SpecEgress{Hosts: clone(eg.Hosts)}
	}
	if sc := p.Capabilities.Secrets; sc != nil {
		s.Permissions.Capabilities.Secrets = &SpecSecrets{Names: clone(sc.Names)}
	}
	s.Permissions.SecretWriters = clone(p.SecretWriters)
	if r := m.Policies.RateLimit.PerCaller; r != nil {
		s.Policies.RateLimitPerCaller = &SpecRate{Count: r.Count, PerSeconds: uint64(r.Per / time.Second)}
	}
	if a := m.Policies.Budget.MaxPerHour; a != nil {
		s.Policies.Budget.MaxPerHour = &SpecAmount{Uqc: uint64(*a)}
	}
	for _, a := range m.Placement.RequireAttributes {
		s.Placement.RequireAttributes = append(s.Placement.RequireAttributes, SpecAttribute{Key: a.Key, Value: a.Value})
	}
	for _, sc := range m.Schedules {
		s.Schedules = append(s.Schedules, SpecSchedule{Cron: sc.Cron, Path: sc.Path})
	}
	return s
}

// Manifest converts s back to a manifest, in memory: no parsing and no
// validation, so it works for a spec stored under any rules version. It is
// for the manifest logic that compares versions (frozen fields at proposal,
// what a scale changed) and for encoding the canonical bytes; keepers read
// the spec's fields directly. The result shares nothing with s.
func (s *ServiceSpec) Manifest() *manifest.Manifest {
	p := s.Permissions
	m := &manifest.Manifest{
		APIVersion: s.ApiVersion,
		Name:       s.Name,
		Code:       manifest.Code{Wasm: s.Code.Wasm, ABI: s.Code.Abi},
		Permissions: manifest.Permissions{
			Owners:     manifest.Owners{Accounts: clone(p.Owners.Accounts), Threshold: p.Owners.Threshold},
			Operators:  clone(p.Operators),
			LogViewers: manifest.LogViewers{Kind: p.LogViewers.Kind, Accounts: clone(p.LogViewers.Accounts)},
			Capabilities: manifest.Capabilities{
				Log: p.Capabilities.Log,
			},
		},
		Policies: manifest.Policies{
			Update: manifest.UpdatePolicy{NoticeBlocks: s.Policies.Update.NoticeBlocks, Frozen: clone(s.Policies.Update.Frozen)},
			Budget: manifest.Budget{
				LowBalanceBlocks: s.Policies.Budget.LowBalanceBlocks,
				OnDepletion:      s.Policies.Budget.OnDepletion,
				GraceBlocks:      s.Policies.Budget.GraceBlocks,
			},
		},
		Resources: manifest.Resources{
			CPU:            manifest.MilliCPU(s.Resources.MilliCpu),
			Memory:         manifest.ByteSize(s.Resources.MemoryBytes),
			Storage:        manifest.ByteSize(s.Resources.StorageBytes),
			RequestTimeout: time.Duration(s.Resources.RequestTimeoutMs) * time.Millisecond,
		},
		Placement: manifest.Placement{
			Replicas:      s.Placement.Replicas,
			ReplicasMax:   s.Placement.ReplicasMax,
			Spread:        s.Placement.Spread,
			MinCollateral: manifest.Amount(s.Placement.MinCollateralUqc),
		},
		Pricing: manifest.Pricing{
			CPUPerCoreSecond:  manifest.Amount(s.Pricing.CpuPerCoreSecondUqc),
			MemoryPerMiBHour:  manifest.Amount(s.Pricing.MemoryPerMibHourUqc),
			StoragePerGiBHour: manifest.Amount(s.Pricing.StoragePerGibHourUqc),
			Per1kRequests:     manifest.Amount(s.Pricing.Per_1KRequestsUqc),
			EgressPerGiB:      manifest.Amount(s.Pricing.EgressPerGibUqc),
		},
	}
	for _, r := range p.Callers {
		m.Permissions.Callers = append(m.Permissions.Callers, manifest.CallerRule{Paths: clone(r.Paths), Public: r.Public, Allow: clone(r.Allow)})
	}
	if kv := p.Capabilities.Kv; kv != nil {
		m.Permissions.Capabilities.KV = &manifest.KV{Quota: manifest.ByteSize(kv.QuotaBytes)}
	}
	if eg := p.Capabilities.Egress; eg != nil {
		m.Permissions.Capabilities.Egress = &manifest.Egress{Hosts: clone(eg.Hosts)}
	}
	if sc := p.Capabilities.Secrets; sc != nil {
		m.Permissions.Capabilities.Secrets = &manifest.Secrets{Names: clone(sc.Names)}
	}
	m.Permissions.SecretWriters = clone(p.SecretWriters)
	if r := s.Policies.RateLimitPerCaller; r != nil {
		m.Policies.RateLimit.PerCaller = &manifest.Rate{Count: r.Count, Per: time.Duration(r.PerSeconds) * time.Second}
	}
	if a := s.Policies.Budget.MaxPerHour; a != nil {
		amount := manifest.Amount(a.Uqc)
		m.Policies.Budget.MaxPerHour = &amount
	}
	for _, a := range s.Placement.RequireAttributes {
		m.Placement.RequireAttributes = append(m.Placement.RequireAttributes, manifest.Attribute{Key: a.Key, Value: a.Value})
	}
	for _, sc := range s.Schedules {
		m.Schedules = append(m.Schedules, manifest.Schedule{Cron: sc.Cron, Path: sc.Path})
	}
	return m
}

// clone copies a list, keeping nil as nil.
func clone(list []string) []string {
	if len(list) == 0 {
		return nil
	}
	return slices.Clone(list)
}

// IsOwner reports whether account is one of the owners.
func (s *ServiceSpec) IsOwner(account string) bool {
	return slices.Contains(s.Permissions.Owners.Accounts, account)
}

// IsOperator reports whether account is one of the operators.
func (s *ServiceSpec) IsOperator(account string) bool {
	return slices.Contains(s.Permissions.Operators, account)
}

// MayWriteSecrets reports whether account may set and delete the service's
// secrets: an owner or one of permissions.secretWriters.
func (s *ServiceSpec) MayWriteSecrets(account string) bool {
	return s.IsOwner(account) || slices.Contains(s.Permissions.SecretWriters, account)
}

// GrantsSecret reports whether the service grants the secrets capability
// and allows the secret name key under it.
func (s *ServiceSpec) GrantsSecret(key string) bool {
	sc := s.Permissions.Capabilities.Secrets
	return sc != nil && (len(sc.Names) == 0 || slices.Contains(sc.Names, key))
}

// MayViewLogs reports whether account ("" when anonymous) may read the
// service's logs. Owners always may.
func (s *ServiceSpec) MayViewLogs(account string) bool {
	lv := s.Permissions.LogViewers
	switch {
	case lv.Kind == manifest.LogViewersPublic:
		return true
	case account == "":
		return false
	case s.IsOwner(account):
		return true
	default:
		return lv.Kind == manifest.LogViewersAccounts && slices.Contains(lv.Accounts, account)
	}
}

// Canonical returns the canonical manifest encoding of s (by encoding, not
// parsing): equal to the bytes s was decoded from.
func (s *ServiceSpec) Canonical() []byte {
	return s.Manifest().Canonical()
}

// CheckStored checks that s is the stored spec of canonical manifest bytes
// b with content address hash, without parsing b: s must be of a known
// rules version and encode to exactly b. Genesis import uses it, so that a
// state exported by a release with older rules imports unchanged.
func (s *ServiceSpec) CheckStored(b []byte, hash string) error {
	if s.RulesVersion == 0 || s.RulesVersion > SpecRulesVersion {
		return fmt.Errorf("spec of %s has rules version %d; this release knows 1 to %d", s.Name, s.RulesVersion, SpecRulesVersion)
	}
	canon := s.Canonical()
	if !bytes.Equal(canon, b) {
		return fmt.Errorf("spec of %s does not encode to its manifest bytes", s.Name)
	}
	sum := sha256.Sum256(canon)
	if h := manifest.HashPrefix + hex.EncodeToString(sum[:]); h != hash {
		return fmt.Errorf("spec of %s: manifest hashes to %s, not the recorded %s", s.Name, h, hash)
	}
	return nil
}
