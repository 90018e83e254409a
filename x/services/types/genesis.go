package types

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/quantum1net/q1/core/address"
	"github.com/quantum1net/q1/core/manifest"
)

// DefaultGenesis returns the state of a new chain: default parameters and
// no services.
func DefaultGenesis() *GenesisState {
	return &GenesisState{Params: DefaultParams(), NextProposalId: 1}
}

// Validate checks that gs is a consistent state the keeper can import: every
// service has its versions 1..current, each with the recorded hash and one
// spec of that service that encodes to exactly its manifest bytes (and an
// update proposal likewise); one escrow record per service; every proposal
// belongs to a service and has an id below next_proposal_id; and a service's
// pending_proposal_id names its only pending proposal.
//
// Manifests are not parsed or validated again: the chain accepted each when
// its msg arrived, under the rules of its spec's rules_version, and a later
// release's stricter rules must not refuse a state exported by an earlier
// one. Encoding a spec and comparing it with the stored bytes proves they
// agree without applying any manifest rule.
func (gs *GenesisState) Validate() error {
	if err := gs.Params.Validate(); err != nil {
		return err
	}
	if gs.NextProposalId == 0 {
		return fmt.Errorf("next_proposal_id: must be at least 1 (ids start at 1)")
	}
	services := make(map[string]*Service, len(gs.Services))
	for i := range gs.Services {
		s := &gs.Services[i]
		if err := s.validate(); err != nil {
			return fmt.Errorf("services[%d]: %w", i, err)
		}
		if services[s.Name] != nil {
			return fmt.Errorf("services[%d]: service %s is listed twice", i, s.Name)
		}
		services[s.Name] = s
	}
	if err := gs.validateVersions(services); err != nil {
		return err
	}
	if err := gs.validateProposals(services); err != nil {
		return err
	}
	if err := gs.validateEscrows(services); err != nil {
		return err
	}
	return gs.validateSecrets(services)
}

// validateSecrets checks every secret record: of a known service, a valid
// name, once each, a version from 1, sizes within bounds, wraps sorted by
// node and once each; a deleted record holds nothing but its version.
func (gs *GenesisState) validateSecrets(services map[string]*Service) error {
	type key struct{ service, name string }
	seen := make(map[key]bool, len(gs.Secrets))
	for i := range gs.Secrets {
		s := &gs.Secrets[i]
		if services[s.Service] == nil {
			return fmt.Errorf("secrets[%d]: service %s does not exist", i, s.Service)
		}
		if err := manifest.ValidateSecretName(s.Key); err != nil {
			return fmt.Errorf("secrets[%d]: key: %w", i, err)
		}
		if seen[key{s.Service, s.Key}] {
			return fmt.Errorf("secrets[%d]: secret %s of service %s is listed twice", i, s.Key, s.Service)
		}
		seen[key{s.Service, s.Key}] = true
		if s.Version == 0 {
			return fmt.Errorf("secrets[%d]: secret %s of service %s: version must be at least 1", i, s.Key, s.Service)
		}
		if s.Deleted {
			if len(s.Ciphertext) > 0 || len(s.Wraps) > 0 {
				return fmt.Errorf("secrets[%d]: secret %s of service %s is deleted but keeps a ciphertext or wraps", i, s.Key, s.Service)
			}
			continue
		}
		if n := len(s.Ciphertext); n < SecretSealOverhead || n > MaxSecretCiphertext {
			return fmt.Errorf("secrets[%d]: secret %s of service %s: ciphertext of %d bytes, want %d to %d", i, s.Key, s.Service, n, SecretSealOverhead, MaxSecretCiphertext)
		}
		if len(s.Wraps) > MaxSecretWraps {
			return fmt.Errorf("secrets[%d]: secret %s of service %s has %d wraps, at most %d", i, s.Key, s.Service, len(s.Wraps), MaxSecretWraps)
		}
		for j, w := range s.Wraps {
			if err := address.ValidateAccount(w.Node); err != nil {
				return fmt.Errorf("secrets[%d].wraps[%d].node: %w", i, j, err)
			}
			if len(w.Wrapped) != SecretWrapSize {
				return fmt.Errorf("secrets[%d].wraps[%d].wrapped: %d bytes, want %d", i, j, len(w.Wrapped), SecretWrapSize)
			}
			if j > 0 && s.Wraps[j-1].Node >= w.Node {
				return fmt.Errorf("secrets[%d].wraps[%d]: wraps must be sorted by node, once each", i, j)
			}
		}
	}
	return nil
}

func (s *Service) validate() error {
	if err := manifest.ValidateName(s.Name); err != nil {
		return fmt.Errorf("name: %w", err)
	}
	if s.CurrentVersion == 0 {
		return fmt.Errorf("service %s: current_version must be at least 1", s.Name)
	}
	switch s.Status {
	case StatusActive, StatusDeleted:
		if s.Pause != nil {
			return fmt.Errorf("service %s: pause is set but the service is not paused", s.Name)
		}
	case StatusPaused:
		if s.Pause == nil || s.Pause.Reason == PauseReasonUnspecified {
			return fmt.Errorf("service %s: paused without a pause reason", s.Name)
		}
	default:
		return fmt.Errorf("service %s: unknown status %v", s.Name, s.Status)
	}
	if (s.Status == StatusDeleted) != (s.DeletedHeight != 0) {
		return fmt.Errorf("service %s: deleted_height must be set exactly when the status is deleted", s.Name)
	}
	if s.Status == StatusDeleted && s.PendingProposalId != 0 {
		return fmt.Errorf("service %s: deleted but has pending proposal %d", s.Name, s.PendingProposalId)
	}
	return nil
}

// specKey names the spec of one version.
type specKey struct {
	service string
	version uint64
}

func (gs *GenesisState) validateVersions(services map[string]*Service) error {
	specs := make(map[specKey]*ServiceSpec, len(gs.Specs))
	for i := range gs.Specs {
		s := &gs.Specs[i]
		key := specKey{s.Service, s.Version}
		if specs[key] != nil {
			return fmt.Errorf("specs[%d]: service %s version %d has two specs", i, s.Service, s.Version)
		}
		specs[key] = &s.Spec
	}
	counts := make(map[string]uint64, len(services))
	for i := range gs.Versions {
		v := &gs.Versions[i]
		s := services[v.Service]
		if s == nil {
			return fmt.Errorf("versions[%d]: service %s is not listed in services", i, v.Service)
		}
		counts[v.Service]++
		if v.Number != counts[v.Service] {
			return fmt.Errorf("versions[%d]: service %s version %d is out of order (want %d; list versions 1, 2, … in order)", i, v.Service, v.Number, counts[v.Service])
		}
		if h := hashOf(v.Manifest); h != v.Hash {
			return fmt.Errorf("versions[%d]: service %s version %d has hash %s recorded but its manifest hashes to %s", i, v.Service, v.Number, v.Hash, h)
		}
		spec := specs[specKey{v.Service, v.Number}]
		if spec == nil {
			return fmt.Errorf("versions[%d]: service %s version %d has no spec (list it in specs)", i, v.Service, v.Number)
		}
		if spec.Name != v.Service {
			return fmt.Errorf("versions[%d]: service %s version %d holds the manifest of %q", i, v.Service, v.Number, spec.Name)
		}
		if err := spec.CheckStored(v.Manifest, v.Hash); err != nil {
			return fmt.Errorf("versions[%d]: service %s version %d holds the manifest of another spec: %w", i, v.Service, v.Number, err)
		}
	}
	for _, s := range gs.Services {
		if counts[s.Name] != s.CurrentVersion {
			return fmt.Errorf("service %s: current_version is %d but versions lists %d", s.Name, s.CurrentVersion, counts[s.Name])
		}
	}
	if len(specs) != len(gs.Versions) {
		return fmt.Errorf("specs: %d specs for %d versions; every version needs exactly one spec, and every spec a version", len(specs), len(gs.Versions))
	}
	return nil
}

// hashOf returns the content address of canonical manifest bytes: what
// manifest.Manifest.Hash returns for the manifest they encode.
func hashOf(b []byte) string {
	sum := sha256.Sum256(b)
	return manifest.HashPrefix + hex.EncodeToString(sum[:])
}

func (gs *GenesisState) validateProposals(services map[string]*Service) error {
	seen := make(map[uint64]bool, len(gs.Proposals))
	pending := make(map[string]uint64)
	for i := range gs.Proposals {
		p := &gs.Proposals[i]
		if p.Id == 0 || p.Id >= gs.NextProposalId {
			return fmt.Errorf("proposals[%d]: id %d must be between 1 and next_proposal_id-1 (%d)", i, p.Id, gs.NextProposalId-1)
		}
		if seen[p.Id] {
			return fmt.Errorf("proposals[%d]: proposal %d is listed twice", i, p.Id)
		}
		seen[p.Id] = true
		if services[p.Service] == nil {
			return fmt.Errorf("proposals[%d]: proposal %d belongs to unknown service %s", i, p.Id, p.Service)
		}
		if p.Kind == KindUnspecified || p.Kind > KindDelete {
			return fmt.Errorf("proposals[%d]: proposal %d has unknown kind %v", i, p.Id, p.Kind)
		}
		if p.Status == ProposalUnspecified || p.Status > ProposalFailed {
			return fmt.Errorf("proposals[%d]: proposal %d has unknown status %v", i, p.Id, p.Status)
		}
		if p.Amount.IsNil() || p.Amount.IsNegative() {
			return fmt.Errorf("proposals[%d]: proposal %d has a negative or missing amount", i, p.Id)
		}
		if p.Kind == KindUpdate {
			if p.Spec == nil {
				return fmt.Errorf("proposals[%d]: update proposal %d has no spec of its manifest", i, p.Id)
			}
			if p.Spec.Name != p.Service {
				return fmt.Errorf("proposals[%d]: update proposal %d of service %s proposes the manifest of %q", i, p.Id, p.Service, p.Spec.Name)
			}
			if err := p.Spec.CheckStored(p.Manifest, p.Hash); err != nil {
				return fmt.Errorf("proposals[%d]: update proposal %d: %w", i, p.Id, err)
			}
		} else if p.Spec != nil {
			return fmt.Errorf("proposals[%d]: proposal %d is no update but carries a spec", i, p.Id)
		}
		if p.Status == ProposalPending {
			if other, ok := pending[p.Service]; ok {
				return fmt.Errorf("proposals[%d]: service %s has two pending proposals, %d and %d", i, p.Service, other, p.Id)
			}
			pending[p.Service] = p.Id
		}
	}
	for _, s := range gs.Services {
		if pending[s.Name] != s.PendingProposalId {
			return fmt.Errorf("service %s: pending_proposal_id is %d but its pending proposal is %d (0: none)", s.Name, s.PendingProposalId, pending[s.Name])
		}
	}
	return nil
}

func (gs *GenesisState) validateEscrows(services map[string]*Service) error {
	seen := make(map[string]bool, len(gs.Escrows))
	for i := range gs.Escrows {
		e := &gs.Escrows[i]
		if services[e.Service] == nil {
			return fmt.Errorf("escrows[%d]: escrow of unknown service %s", i, e.Service)
		}
		if seen[e.Service] {
			return fmt.Errorf("escrows[%d]: service %s has two escrow records", i, e.Service)
		}
		seen[e.Service] = true
		if e.Balance.IsNil() || e.Balance.IsNegative() {
			return fmt.Errorf("escrows[%d]: service %s has a negative or missing balance", i, e.Service)
		}
	}
	if len(seen) != len(services) {
		return fmt.Errorf("escrows: %d records for %d services; every service needs exactly one", len(seen), len(services))
	}
	return nil
}
