package types

// Bounds on secrets. The chain never opens a secret; it checks sizes only.
// The formats are core/sealed's (the chain floor's x/services may not
// import it; cmd/q1's tests check that the numbers agree).
const (
	// MaxSecretValue is the largest secret value, in bytes.
	MaxSecretValue = 64 << 10
	// SecretSealOverhead is what sealing adds to a value: a 12-byte nonce
	// and a 16-byte tag (sealed.SealOverhead).
	SecretSealOverhead = 28
	// MaxSecretCiphertext is the largest ciphertext MsgSetSecret carries.
	MaxSecretCiphertext = MaxSecretValue + SecretSealOverhead
	// SecretWrapSize is the size of every wrap: an ephemeral compressed
	// secp256k1 key, a nonce, the 32-byte data key and a tag
	// (sealed.WrappedSize).
	SecretWrapSize = 33 + 12 + 32 + 16
	// MaxSecretWraps is the most wraps one secret holds: one per node, and
	// a service has at most 100 replicas (manifest.MaxReplicas).
	MaxSecretWraps = 100
	// MaxSecretsPerService is the most live secrets a service holds.
	MaxSecretsPerService = 64
)

// Live reports whether s has not been deleted.
func (s *Secret) Live() bool { return !s.Deleted }

// WrapFor returns node's wrap, if s has one.
func (s *Secret) WrapFor(node string) ([]byte, bool) {
	for _, w := range s.Wraps {
		if w.Node == node {
			return w.Wrapped, true
		}
	}
	return nil, false
}
